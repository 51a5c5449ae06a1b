"""Pure: the digest as machine-readable outputs: a feed entry per day, per-topic digest feeds, the OPML list of
every feed, and the days in the JSON API.

``/digest/feed.xml`` and ``feed.json`` carry the latest 30 days, each entry's content the day's e-mail
edition, so a feed reader or a newsletter service's RSS-to-e-mail feature can follow the daily edition.
``/topics/<t>/digest.xml`` lists the topic's stories per day. Like every machine-readable output they
are made of published articles only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from generator.core import urls
from generator.core.memo import Same
from generator.core.models import Day, OutputPage, SiteIndex
from generator.index.groups import COLLECTION_KINDS, TOPICS
from generator.pages.digest_pages import day_stories, edition, latest
from generator.pages.kinds import PageKind, PlanInput, RowsStamp, Site
from generator.pages.paging import older_page, stable_chunks, top_page
from generator.pages.syndication import newest_story

DIGEST_FEED_DAYS = 30


@dataclass(frozen=True)
class DigestFeedStamp:
    title: str
    updated: datetime  # Atom's <updated>, also for an empty feed
    days: tuple[date, ...]  # the days it carries, newest first


@dataclass(frozen=True)
class DaysStamp:
    days: tuple[tuple[date, int], ...]  # (day, stories) of one API page
    older: int | None  # the next page when reading from the newest (paging.older_page)


def _published_days(given: PlanInput) -> tuple[list[date], dict[str, list[date]]]:
    """Days with a published article, newest first: of the site, and of each topic (one pass over the articles)."""
    site: list[date] = []
    topics: dict[str, list[date]] = {}
    for day, found in given.index.days.items():
        published, of_topics = given.reuse(
            ("published", day), (Same(found),), partial(_published_of, given.index, found)
        )
        if published:
            site.append(day)
        for topic in of_topics:
            topics.setdefault(topic, []).append(day)
    return site, topics


def _published_of(index: SiteIndex, found: Day) -> tuple[bool, frozenset[str]]:
    """Has the day a published article, and the topics of its published articles."""
    published = [index.articles[s] for e in found.entries for s in e.articles if index.articles[s].is_published]
    return bool(published), frozenset(t.slug for a in published for t in a.topics)


def _sources(index: SiteIndex, days: Sequence[date]) -> tuple[str, ...]:
    """The published articles of those days."""
    return tuple(
        index.articles[s].source
        for d in days
        for e in index.days[d].entries
        for s in e.articles
        if index.articles[s].is_published
    )


def _topic_sources(given: PlanInput, topic_days: dict[str, list[date]]) -> dict[str, tuple[str, ...]]:
    """Each topic's ``_sources``: the published articles of its days' stories that have an article of it.

    One pass over each day shown by any topic, not one per topic and day: a day's story is looked at once
    whatever the number of topics (a site has hundreds).
    """
    index = given.index
    by_day = {
        day: given.reuse(("topic_sources", day), (Same(index.days[day]),), partial(_sources_by_topic, index, day))
        for day in {d for days in topic_days.values() for d in days}
    }
    return {topic: tuple(s for d in days for s in by_day[d].get(topic, ())) for topic, days in topic_days.items()}


def _sources_by_topic(index: SiteIndex, day: date) -> dict[str, list[str]]:
    """A day's published articles by topic: those of each story with an article of it."""
    found: dict[str, list[str]] = {}
    for entry in index.days[day].entries:
        members = [index.articles[s] for s in entry.articles]
        published = [a.source for a in members if a.is_published]
        for topic in {t.slug for a in members for t in a.topics}:
            found.setdefault(topic, []).extend(published)
    return found


def _stamp(index: SiteIndex, days: Sequence[date], title: str) -> DigestFeedStamp:
    newest = max(
        (index.articles[s].published for d in days[:1] for e in index.days[d].entries for s in e.articles), default=None
    )
    return DigestFeedStamp(title, newest or newest_story(index), tuple(days))  # Atom needs <updated> even when empty


def _plan_feeds(given: PlanInput) -> list[OutputPage]:
    index = given.index
    site_days, topic_days = _published_days(given)
    days = site_days[:DIGEST_FEED_DAYS]
    stamp = _stamp(index, days, "Daily digest")
    sources = _sources(index, days)
    pages = [
        OutputPage(urls.digest_path() + "feed.xml", "digest_feed.xml", "digest_feed", sources=sources, stamp=stamp),
        OutputPage(urls.digest_path() + "feed.json", "digest_feed.json", "digest_feed", sources=sources, stamp=stamp),
    ]
    shown = {topic.key: topic_days.get(topic.key, [])[:DIGEST_FEED_DAYS] for topic in index.topics.values()}
    of_topic = _topic_sources(given, shown)
    for topic in index.topics.values():
        pages.append(
            OutputPage(
                topic.path() + "digest.xml",
                "topic_digest.xml",
                "topic_digest",
                topic.key,
                sources=of_topic[topic.key],
                stamp=_stamp(index, shown[topic.key], topic.name),
            )
        )
    return pages


def _feed_context(site: Site, page: OutputPage) -> dict[str, Any]:
    index, config, stamp = site.index, site.config, page.stamp
    assert isinstance(stamp, DigestFeedStamp)
    topic = index.topics[page.key] if page.key else None
    if topic is None:  # the site's digest feed carries each day's e-mail edition
        editions = [edition(index, config, d, published_only=True) for d in stamp.days]
    else:  # a topic's lists its stories
        shown = {d: day_stories(index, d, published_only=True, topic=page.key) for d in stamp.days}
        editions = [
            {
                "date": d,
                "stories": stories,
                "updated": latest(stories),
                "day_url": urls.absolute_url(config.base_url, config.base_path, urls.day_path(d)),
            }
            for d, stories in shown.items()
        ]
    folder = topic.path() if topic else urls.digest_path()
    return {
        "page_path": page.path,
        "editions": editions,
        "topic": topic,
        "updated": stamp.updated,
        "self_url": urls.absolute_url(config.base_url, config.base_path, page.path),
        "home_url": urls.absolute_url(config.base_url, config.base_path, folder),
    }


def _plan_opml(given: PlanInput) -> list[OutputPage]:
    rows = tuple(
        (f"{kind.name}:{group.key}", group.name, None, 0)
        for kind in COLLECTION_KINDS
        for group in given.index.collections[kind.name].values()
    )
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
    days, _topics = _published_days(given)
    pages = [
        page for d in days for page in given.reuse(("api_day", d), (Same(index.days[d]),), partial(_api_day, index, d))
    ]
    top = top_page(len(days), config.page_size)
    pages += [
        OutputPage(
            urls.api_path("digest", None, n) + "index.json",
            "api_days.json",
            "api_days",
            number=n,
            stamp=DaysStamp(tuple((d, len(index.days[d].entries)) for d in shown), older_page(n, top)),
        )
        for n, shown in stable_chunks(days, config.page_size)
    ]
    return pages


def _api_day(index: SiteIndex, day: date) -> list[OutputPage]:
    return [
        OutputPage(
            urls.api_path("digest", day.isoformat()) + "index.json",
            "api_day.json",
            "api_day",
            day.isoformat(),
            sources=_sources(index, [day]),
            stamp=_stamp(index, [day], day.isoformat()),
        )
    ]


def _api_day_context(site: Site, page: OutputPage) -> dict[str, Any]:
    index, config = site.index, site.config
    shown = edition(index, config, date.fromisoformat(page.key or ""), published_only=True)

    def path(target: str) -> str:
        return urls.site_url(config.base_path, target)

    value = [
        {
            "title": e.lead.title,
            "path": path(urls.article_path(e.lead.slug)),
            "story": path(e.story_path) if e.story_path else None,
            "outlets": e.outlets,
            "articles": [path(urls.article_path(a.slug)) for a in (e.lead, *e.others)],
        }
        for e in shown["stories"]
    ]
    return {**shown, "page_path": page.path, "value": value, "edition": shown}


def _api_days_context(site: Site, page: OutputPage) -> dict[str, Any]:
    assert isinstance(page.stamp, DaysStamp)
    config = site.config

    def absolute(target: str) -> str:
        return urls.absolute_url(config.base_url, config.base_path, target)

    value = [
        {
            "date": day.isoformat(),
            "stories": count,
            "path": urls.site_url(config.base_path, urls.day_path(day)),
            "url": absolute(urls.day_path(day)),
            "api": absolute(urls.api_path("digest", day.isoformat()) + "index.json"),
        }
        for day, count in page.stamp.days
    ]
    older = page.stamp.older
    following = absolute(urls.api_path("digest", None, older) + "index.json") if older else None
    return {"page_path": page.path, "value": value, "page": page.number, "next_page": following}


KINDS: list[PageKind] = [
    PageKind("digest_feed", _plan_feeds, _feed_context, needs="digest"),
    PageKind("topic_digest", lambda given: [], _feed_context, needs="digest"),  # planned with the site's digest feed
    PageKind("opml", _plan_opml, _opml_context),
    PageKind("api_day", _plan_api_days, _api_day_context, needs="digest"),
    PageKind("api_days", lambda given: [], _api_days_context, needs="digest"),  # planned with the days
]
