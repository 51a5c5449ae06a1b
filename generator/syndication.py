"""Pure: the machine-readable outputs: feeds, sitemaps, robots.txt and the JSON API.

They are built from published articles only, also in a preview build. Like
HTML pages they are planned cheaply (sources + stamp) and get their context
only when rendered. A sitemap's stamp *is* its list of (path, lastmod), so an
edited headline never re-renders a 10,000-URL sitemap.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from . import urls
from .memo import ArticleMemo
from .models import Article, Image, OutputPage, SiteConfig, SiteIndex
from .pages import chunks
from .render import JSON_OUTPUT

KINDS = {"feed", "feed_json", "sitemap", "sitemap_index", "news_sitemap", "robots", "api_list", "api_topics", "api_providers"}
FEED_SIZE = 50
SITEMAP_LIMIT = 50_000  # the sitemap protocol's limit per file
NEWS_SITEMAP_WINDOW = timedelta(days=2)
NEWS_SITEMAP_LIMIT = 1_000  # Google News' limit per sitemap


def _published(index: SiteIndex, slugs: Iterable[str]) -> tuple[str, ...]:
    return tuple(s for s in slugs if index.articles[s].is_published)


def _scopes(index: SiteIndex) -> list[tuple[str, str | None, str, tuple[str, ...]]]:
    """(kind, key, title, published slugs newest first) for the site, each topic and each provider."""
    scopes: list[tuple[str, str | None, str, tuple[str, ...]]] = [("site", None, "", _published(index, index.newest))]
    scopes += [("topic", t.slug, t.name, _published(index, t.articles)) for t in index.topics.values()]
    scopes += [("provider", p.key, p.name, _published(index, p.articles)) for p in index.providers.values()]
    return scopes


def plan_syndication(index: SiteIndex, config: SiteConfig, html_pages: Sequence[OutputPage]) -> list[OutputPage]:
    pages: list[OutputPage] = []
    scopes = _scopes(index)
    site_updated = _newest_story(index)
    for kind, key, title, slugs in scopes:
        shown = [index.articles[s] for s in slugs[:FEED_SIZE]]
        items = tuple(a.source for a in shown)
        # Atom requires <updated> even on an empty feed: then the site's newest story. It is
        # in the stamp, so an empty feed is re-rendered when the site's newest story changes.
        updated = max((a.updated or a.published for a in shown), default=site_updated)
        prefix = urls.feed_prefix(kind, key)
        pages.append(OutputPage(prefix + "feed.xml", "feed.xml", "feed", key, sources=items, stamp=(kind, title, updated)))
        pages.append(OutputPage(prefix + "feed.json", JSON_OUTPUT, "feed_json", key, sources=items, stamp=(kind, title, updated)))
    pages += _sitemaps(index, html_pages)
    recent = _news_sitemap_articles(index, scopes[0][3])
    pages.append(OutputPage("news-sitemap.xml", "news_sitemap.xml", "news_sitemap",
                            sources=tuple(index.articles[s].source for s in recent)))
    pages.append(OutputPage("robots.txt", "robots.txt", "robots"))
    pages += _api_pages(index, config, scopes)
    return pages


def _sitemaps(index: SiteIndex, html_pages: Sequence[OutputPage]) -> list[OutputPage]:
    newest = max((a.updated or a.published for a in index.articles.values()), default=None)
    entries = []
    for page in html_pages:
        if page.kind == "404" or (page.kind == "article" and not index.articles[page.key or ""].is_published):
            continue
        shown = [a for a in map(index.article_of, page.sources) if a.is_published]
        if page.kind == "article":
            shown = shown[:1]
        lastmod = max((a.updated or a.published for a in shown), default=newest)
        entries.append((urls.url_path(page.path), lastmod))
    if len(entries) <= SITEMAP_LIMIT:
        return [OutputPage("sitemap.xml", "sitemap.xml", "sitemap", stamp=tuple(entries))]
    parts = [tuple(entries[i : i + SITEMAP_LIMIT]) for i in range(0, len(entries), SITEMAP_LIMIT)]
    pages = [OutputPage(f"sitemap-{n}.xml", "sitemap.xml", "sitemap", str(n), stamp=part)
             for n, part in enumerate(parts, start=1)]
    index_entries = tuple((f"sitemap-{n}.xml", max((d for _p, d in part if d), default=None))
                          for n, part in enumerate(parts, start=1))
    pages.append(OutputPage("sitemap.xml", "sitemap_index.xml", "sitemap_index", stamp=index_entries))
    return pages


def _news_sitemap_articles(index: SiteIndex, published: Sequence[str]) -> list[str]:
    """Articles from the two days before the newest one (the build's "now" is its newest story)."""
    if not published:
        return []
    start = index.articles[published[0]].published - NEWS_SITEMAP_WINDOW
    recent: list[str] = []
    for slug in published:
        if index.articles[slug].published < start or len(recent) == NEWS_SITEMAP_LIMIT:
            break
        recent.append(slug)
    return recent


def _api_pages(index: SiteIndex, config: SiteConfig, scopes: list[tuple[str, str | None, str, tuple[str, ...]]]) -> list[OutputPage]:
    pages = []
    sections = {"site": "news", "topic": "topics", "provider": "providers"}
    for kind, key, title, slugs in scopes:
        parts = chunks(slugs, config.page_size)
        for n, shown in parts:
            path = urls.api_path(sections[kind], key, n)
            pages.append(OutputPage(path + "index.json", JSON_OUTPUT, "api_list", key, number=n,
                                    sources=tuple(index.articles[s].source for s in shown),
                                    stamp=(kind, title, len(parts))))
    topic_rows = tuple((slug, name, len(s)) for kind, slug, name, s in scopes if kind == "topic")
    provider_rows = tuple((key, name, len(s)) for kind, key, name, s in scopes if kind == "provider")
    pages.append(OutputPage(urls.api_path("topics") + "index.json", JSON_OUTPUT, "api_topics", stamp=topic_rows))
    pages.append(OutputPage(urls.api_path("providers") + "index.json", JSON_OUTPUT, "api_providers", stamp=provider_rows))
    return pages


# --- contexts -----------------------------------------------------------------------


def syndication_context(index: SiteIndex, config: SiteConfig, page: OutputPage,
                        cache: ArticleMemo[dict[str, Any]] | None = None) -> dict[str, Any]:
    """``cache`` keeps each article's API and JSON Feed items: an article is in several lists and feeds.
    Items hold absolute URLs, so a new configuration needs a new cache."""
    cache = cache or ArticleMemo()
    def absolute(target: str) -> str:
        return urls.absolute_url(config.base_url, config.base_path, target)

    items = [index.article_of(s) for s in page.sources]
    if page.kind in ("feed", "feed_json"):
        kind, title, updated = page.stamp
        prefix = urls.feed_prefix(kind, page.key)
        feed = {
            "title": f"{config.title} · {title}" if title else config.title,
            "description": {"site": config.description,
                            "topic": f"Stories about {title} on {config.title}",
                            "provider": f"Stories from {title} on {config.title}"}[kind],
            "home_url": absolute(prefix),
            "atom_url": absolute(prefix + "feed.xml"),
            "json_url": absolute(prefix + "feed.json"),
            "updated": updated,
        }
        if page.kind == "feed":
            return {"page_path": page.path, "feed": feed, "items": items}
        return {"data": json_feed(feed, [cache.get("feed", a, lambda a: json_feed_item(a, config)) for a in items], config)}
    if page.kind == "sitemap":
        return {"page_path": page.path, "entries": page.stamp}
    if page.kind == "sitemap_index":
        return {"page_path": page.path, "sitemaps": page.stamp}
    if page.kind == "news_sitemap":
        return {"page_path": page.path, "items": items}
    if page.kind == "robots":
        return {"page_path": page.path}
    if page.kind == "api_list":
        kind, title, total = page.stamp
        section = {"site": "news", "topic": "topics", "provider": "providers"}[kind]
        next_page = absolute(urls.api_path(section, page.key, page.number + 1) + "index.json") if page.number < total else None
        return {"data": {"title": title or config.title, "page": page.number,
                         "value": [cache.get("api", a, lambda a: api_item(a, config)) for a in items],
                         "nextPage": next_page}}
    if page.kind in ("api_topics", "api_providers"):
        section = "topics" if page.kind == "api_topics" else "providers"
        html_path = urls.topic_path if section == "topics" else urls.provider_path
        value = [{"name": name, "key": key, "count": count, "url": absolute(html_path(key)),
                  "api": absolute(urls.api_path(section, key) + "index.json")} for key, name, count in page.stamp]
        return {"data": {"title": section.capitalize(), "page": 1, "value": value, "nextPage": None}}
    raise ValueError(f"unknown page kind {page.kind!r}")


def _newest_story(index: SiteIndex) -> datetime:
    newest = index.articles[index.newest[0]] if index.newest else None
    return (newest.updated or newest.published) if newest else datetime(2000, 1, 1, tzinfo=timezone.utc)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _image(image: Image | None, config: SiteConfig) -> dict[str, Any] | None:
    if image is None:
        return None
    return {"url": urls.absolute_url(config.base_url, config.base_path, image.url), "width": image.width,
            "height": image.height, **({"title": image.title} if image.title else {}),
            **({"attribution": image.attribution} if image.attribution else {})}


def api_item(article: Article, config: SiteConfig) -> dict[str, Any]:
    """One article for the JSON API: every field read from the file but ``secured`` and extras."""
    provider = article.provider
    return {
        "path": urls.site_url(config.base_path, urls.article_path(article.slug)),
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
        "provider": {"name": provider.name, "domain": provider.domain,
                     "images": [_image(provider.logo, config)] if provider.logo else []} if provider else None,
        "images": [_image(i, config) for i in article.images],
        "topics": [t.name for t in article.topics],
        "related": [{"title": r.title, "excerpt": r.excerpt, "webUrl": r.url, "publishedDateTime": iso(r.published),
                     "provider": {"name": r.provider.name, "domain": r.provider.domain} if r.provider else None,
                     "images": [_image(r.image, config)] if r.image else []} for r in article.related],
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
