"""Pure: the digest as machine-readable outputs: a feed entry per day, per-topic digest feeds, the OPML list of
every feed, and the days in the JSON API.

``/digest/feed.xml`` and ``feed.json`` carry the latest 30 days, each entry's content the day's e-mail
edition, so a feed reader or a newsletter service's RSS-to-e-mail feature can follow the daily edition.
``/topics/<t>/digest.xml`` lists the topic's stories per day. Like every machine-readable output they
are made of published articles only.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from . import urls
from .digest_pages import edition
from .groups import COLLECTION_KINDS, TOPICS
from .kinds import FeedStamp, PageKind, PlanInput, RowsStamp, Site
from .models import OutputPage, SiteIndex
from .pages import chunks
from .syndication import newest_story

DIGEST_FEED_DAYS = 30


def _published_days(index: SiteIndex, topic: str | None = None) -> list[date]:
    """Days with a published article (of ``topic``), newest first."""
    def shown(slug: str) -> bool:
        article = index.articles[slug]
        return article.is_published and (topic is None or any(t.slug == topic for t in article.topics))

    return [d for d, day in index.days.items() if any(shown(s) for e in day.entries for s in e.articles)]


def _sources(index: SiteIndex, days: list[date]) -> tuple[str, ...]:
    return tuple(index.articles[s].source for d in days for e in index.days[d].entries for s in e.articles
                 if index.articles[s].is_published)


def _stamp(index: SiteIndex, days: list[date], title: str) -> FeedStamp:
    newest = max((index.articles[s].published for d in days[:1] for e in index.days[d].entries for s in e.articles),
                 default=None)
    return FeedStamp("digest", title, newest or newest_story(index))  # Atom needs <updated> even when empty


def _plan_feeds(given: PlanInput) -> list[OutputPage]:
    index = given.index
    days = _published_days(index)[:DIGEST_FEED_DAYS]
    stamp = _stamp(index, days, "Daily digest")
    sources = _sources(index, days)
    pages = [OutputPage(urls.digest_path() + "feed.xml", "digest_feed.xml", "digest_feed", sources=sources, stamp=stamp),
             OutputPage(urls.digest_path() + "feed.json", "digest_feed.json", "digest_feed", sources=sources, stamp=stamp)]
    for topic in index.topics.values():
        topic_days = _published_days(index, topic.key)[:DIGEST_FEED_DAYS]
        pages.append(OutputPage(topic.path() + "digest.xml", "topic_digest.xml", "topic_digest", topic.key,
                                sources=_sources(index, topic_days), stamp=_stamp(index, topic_days, topic.name)))
    return pages


def _feed_context(site: Site, page: OutputPage) -> dict[str, Any]:
    index, config = site.index, site.config
    topic = index.topics[page.key] if page.key else None
    days = _published_days(index, topic.key if topic else None)[:DIGEST_FEED_DAYS]
    editions = [edition(index, config, d, published_only=True) for d in days]
    if topic is not None:  # the topic's stories of each day
        for shown in editions:
            shown["stories"] = [e for e in shown["stories"]
                                if any(t.slug == topic.key for a in (e.lead, *e.others) for t in a.topics)]
    assert isinstance(page.stamp, FeedStamp)
    folder = topic.path() if topic else urls.digest_path()
    return {"page_path": page.path, "editions": editions, "topic": topic, "updated": page.stamp.updated,
            "self_url": urls.absolute_url(config.base_url, config.base_path, page.path),
            "home_url": urls.absolute_url(config.base_url, config.base_path, folder)}


def _plan_opml(given: PlanInput) -> list[OutputPage]:
    rows = tuple((f"{kind.name}:{group.key}", group.name, None, 0) for kind in COLLECTION_KINDS
                 for group in given.index.collections[kind.name].values())
    return [OutputPage("feeds.opml", "feeds.opml", "opml", stamp=RowsStamp(rows))]


def _opml_context(site: Site, page: OutputPage) -> dict[str, Any]:
    assert isinstance(page.stamp, RowsStamp)
    groups: dict[str, list[tuple[str, str]]] = {kind.name: [] for kind in COLLECTION_KINDS}
    for qualified, name, _logo, _count in page.stamp.rows:
        kind, key = qualified.split(":", 1)
        groups[kind].append((name, next(k for k in COLLECTION_KINDS if k.name == kind).path(key, 1)))
    return {"page_path": page.path, "topics": groups[TOPICS.name], "providers": groups["provider"]}


def _plan_api_days(given: PlanInput) -> list[OutputPage]:
    index, config = given.index, given.config
    days = _published_days(index)
    pages = [OutputPage(urls.api_path("digest", d.isoformat()) + "index.json", "api_day.json", "api_day", d.isoformat(),
                        sources=_sources(index, [d]), stamp=_stamp(index, [d], d.isoformat())) for d in days]
    parts = chunks(days, config.page_size)
    pages += [OutputPage(urls.api_path("digest", None, n) + "index.json", "api_days.json", "api_days", number=n,
                         stamp=RowsStamp(tuple((d.isoformat(), "", None, len(index.days[d].entries)) for d in shown)))
              for n, shown in parts]
    return pages


def _api_day_context(site: Site, page: OutputPage) -> dict[str, Any]:
    index, config = site.index, site.config
    shown = edition(index, config, date.fromisoformat(page.key or ""), published_only=True)

    def path(target: str) -> str:
        return urls.site_url(config.base_path, target)

    value = [{"title": e.lead.title, "path": path(urls.article_path(e.lead.slug)),
              "story": path(e.story_path) if e.story_path else None, "outlets": e.outlets,
              "articles": [path(urls.article_path(a.slug)) for a in (e.lead, *e.others)]} for e in shown["stories"]]
    return {**shown, "page_path": page.path, "value": value}


def _api_days_context(site: Site, page: OutputPage) -> dict[str, Any]:
    assert isinstance(page.stamp, RowsStamp)
    config = site.config
    pages = -(-len(_published_days(site.index)) // config.page_size)

    def absolute(target: str) -> str:
        return urls.absolute_url(config.base_url, config.base_path, target)

    value = [{"date": key, "stories": count, "path": urls.site_url(config.base_path, urls.day_path(date.fromisoformat(key))),
              "url": absolute(urls.day_path(date.fromisoformat(key))), "api": absolute(urls.api_path("digest", key) + "index.json")}
             for key, _name, _logo, count in page.stamp.rows]
    following = absolute(urls.api_path("digest", None, page.number + 1) + "index.json") if page.number < pages else None
    return {"page_path": page.path, "value": value, "page": page.number, "next_page": following}


KINDS: list[PageKind] = [
    PageKind("digest_feed", _plan_feeds, _feed_context),
    PageKind("topic_digest", lambda given: [], _feed_context),  # planned with the site's digest feed
    PageKind("opml", _plan_opml, _opml_context),
    PageKind("api_day", _plan_api_days, _api_day_context),
    PageKind("api_days", lambda given: [], _api_days_context),  # planned with the days
]
