"""Pure: one article as the JSON API and the JSON Feed give it (every field read but ``secured``; absolute,
http(s) URLs only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from generator.core import urls
from generator.core.models import Article, Image, SiteConfig


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _image(image: Image | None, config: SiteConfig) -> dict[str, Any] | None:
    if image is None:
        return None
    return {
        "url": urls.absolute_url(config.base_url, config.base_path, image.url),
        "width": image.width,
        "height": image.height,
        **({"title": image.title} if image.title else {}),
        **({"attribution": image.attribution} if image.attribution else {}),
    }


def api_item(article: Article, config: SiteConfig, story: str | None = None, outlets: int = 1) -> dict[str, Any]:
    """One article for the JSON API: every field read from the file but ``secured`` and extras, the site
    path of its story's page (``story``; null when it stands alone) and how many outlets reported it, here or
    elsewhere (``outlets``)."""
    provider = article.provider
    return {
        "path": urls.site_url(config.base_path, urls.article_path(article.slug)),
        "story": story,
        "outlets": outlets,
        "url": urls.absolute_url(config.base_url, config.base_path, urls.article_path(article.slug)),
        "slug": article.slug,
        "title": article.title,
        "type": article.type,
        "category": article.category,
        "heat": article.heat,
        "quality": article.quality,
        "webUrl": article.link,
        "originalUrl": article.original_url,
        "excerpt": article.excerpt,
        "publishedDateTime": iso(article.published),
        "updatedDateTime": iso(article.updated),
        "provider": {
            "name": provider.name,
            "domain": provider.domain,
            "images": [_image(provider.logo, config)] if provider.logo else [],
        }
        if provider
        else None,
        "images": [_image(i, config) for i in article.images],
        "topics": [t.name for t in article.topics],
        "related": [
            {
                "title": r.title,
                "excerpt": r.excerpt,
                "webUrl": r.url,
                "publishedDateTime": iso(r.published),
                "provider": {"name": r.provider.name, "domain": r.provider.domain} if r.provider else None,
                "images": [_image(r.image, config)] if r.image else [],
            }
            for r in article.related
        ],
    }


def json_feed(feed: dict[str, Any], items: list[dict[str, Any]], config: SiteConfig) -> dict[str, Any]:
    """A JSON Feed 1.1 document around items made by :func:`json_feed_item`."""
    document: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed["title"],
        "home_page_url": feed["home_url"],
        "feed_url": feed["json_url"],
        "language": config.language,
    }
    if feed["description"]:
        document["description"] = feed["description"]
    document["items"] = items
    return document


def json_feed_item(article: Article, config: SiteConfig) -> dict[str, Any]:
    url = urls.absolute_url(config.base_url, config.base_path, urls.article_path(article.slug))
    item: dict[str, Any] = {
        "id": url,
        "url": url,
        "title": article.title,
        "content_text": article.excerpt or article.title,
        "date_published": iso(article.published),
        "tags": [t.name for t in article.topics],
    }
    if article.link:
        item["external_url"] = article.link
    if article.excerpt:
        item["summary"] = article.excerpt
    if article.updated:
        item["date_modified"] = iso(article.updated)
    if article.lead_image:
        item["image"] = urls.absolute_url(config.base_url, config.base_path, article.lead_image.url)
    if article.provider:
        author = {"name": article.provider.name}
        if article.provider.domain:
            author["url"] = f"https://{article.provider.domain}/"
        item["authors"] = [author]
        item["author"] = author  # JSON Feed 1.0 readers know only the singular
    return item
