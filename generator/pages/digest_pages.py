"""Pure: the daily digest's page kinds: a page per day, its e-mail edition (HTML and text), the archive.

A day page lists the day's stories once each, the most covered first, then
the rest under their most specific topic. The e-mail edition carries the top
``digest.email_stories`` of them (a message over 102 KB is clipped by Gmail)
and links the day page for the rest. The archive is a calendar per month,
newest first; with more than a year of days, each month also gets its own
page, so any day is two clicks from the archive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from generator.core import urls
from generator.core.models import Article, Day, DayEntry, OutputPage, SiteConfig, SiteIndex, TopicRef
from generator.pages.kinds import PageKind, PlanInput, Site
from generator.pages.story_pages import Coverage, coverage
from generator.stories.reach import outlet_keys

TOP_OF_DAY = 5  # stories listed first on a day page, before the rest by topic
MONTHS_ON_ARCHIVE = 12  # more months than this: month pages, the archive links them


@dataclass(frozen=True)
class DayStamp:
    entries: tuple[tuple[str | None, tuple[str, ...], int], ...]  # (story, its articles that day, outlets)
    previous: date | None
    next: date | None
    outlets: int
    email_stories: int


@dataclass(frozen=True)
class CalendarStamp:
    days: tuple[tuple[date, int], ...]  # every day shown, with its count of stories
    months: tuple[tuple[int, int], ...]  # every month of the site (for the archive's links), newest first


@dataclass(frozen=True)
class ShownEntry:
    """A day's story as a template shows it."""

    lead: Article  # the article that leads it that day
    others: tuple[Article, ...]  # its other articles of the day
    outlets: int  # every outlet that reported it, here or elsewhere
    story_path: str | None  # its full-coverage page, if it is a story
    coverage: Coverage | None = None  # the outlets by name, and where every report is listed


@dataclass(frozen=True)
class MonthGrid:
    """One month of the archive as a calendar: weeks of seven cells (None outside the month)."""

    year: int
    month: int
    weeks: tuple[tuple[tuple[date, int] | None, ...], ...]  # (day, stories) or None
    path: str | None  # its own page, when months have pages


def _day_sources(index: SiteIndex, day: Day) -> tuple[str, ...]:
    """The day's articles, then their stories' articles of other days (each entry names every outlet)."""
    shown = {slug: None for entry in day.entries for slug in entry.articles}
    others = {
        m: None for entry in day.entries if entry.story for m in index.stories[entry.story].members if m not in shown
    }
    return tuple(index.articles[slug].source for slug in (*shown, *others))


def _neighbours(index: SiteIndex) -> dict[date, tuple[date | None, date | None]]:
    order = list(index.days)  # newest first
    return {d: (order[n + 1] if n + 1 < len(order) else None, order[n - 1] if n else None) for n, d in enumerate(order)}


def _plan_days(given: PlanInput) -> list[OutputPage]:
    index, email_stories = given.index, given.config.digest.email_stories
    pages: list[OutputPage] = []
    for day, (previous, following) in _neighbours(index).items():
        found = index.days[day]
        pages += given.reuse(
            ("day", day),
            (found, previous, following),
            partial(_day_pages, index, found, previous, following, email_stories),
        )
    return pages


def _day_pages(
    index: SiteIndex, found: Day, previous: date | None, following: date | None, email_stories: int
) -> list[OutputPage]:
    stamp = DayStamp(
        tuple((e.story, e.articles, e.outlets) for e in found.entries),
        previous,
        following,
        found.outlets,
        email_stories,
    )
    sources, base, key = _day_sources(index, found), urls.day_path(found.date), found.date.isoformat()
    return [
        OutputPage(urls.output_file(base), "day.html", "day", key, sources=sources, stamp=stamp),
        OutputPage(base + "email.html", "email.html", "day_email", key, sources=sources, stamp=stamp),
        OutputPage(base + "email.txt", "email.txt", "day_email", key, sources=sources, stamp=stamp),
    ]


def _shown(index: SiteIndex, entry: DayEntry, articles: tuple[str, ...]) -> ShownEntry:
    lead, *others = (index.articles[slug] for slug in articles)
    return ShownEntry(
        lead,
        tuple(others),
        entry.outlets,
        urls.story_path(entry.story) if entry.story else None,
        coverage(index, lead.slug),
    )


def _kept(
    index: SiteIndex, day: date, published_only: bool, topic: str | None
) -> list[tuple[DayEntry, tuple[str, ...]]]:
    """A day's entries with the articles shown of each; ``topic``: only the entries with an article of it."""
    entries = index.days[day].entries
    if topic is not None:
        entries = tuple(
            e for e in entries if any(t.slug == topic for s in e.articles for t in index.articles[s].topics)
        )
    if not published_only:
        return [(e, e.articles) for e in entries]
    return [(e, kept) for e in entries if (kept := tuple(s for s in e.articles if index.articles[s].is_published))]


def latest(stories: Sequence[ShownEntry]) -> datetime | None:
    """When the newest lead of ``stories`` was published: a feed entry's <updated>."""
    return max((e.lead.published for e in stories), default=None)


def day_stories(
    index: SiteIndex, day: date, published_only: bool = False, topic: str | None = None
) -> list[ShownEntry]:
    """A day's stories as shown. The topic digest feeds ask for thirty days of each topic: this builds only those."""
    return [_shown(index, entry, articles) for entry, articles in _kept(index, day, published_only, topic)]


def edition(
    index: SiteIndex,
    config: SiteConfig,
    day: date,
    published_only: bool = False,
    neighbours: tuple[date | None, date | None] = (None, None),
) -> dict[str, Any]:
    """What a day page and its e-mail edition show. ``published_only`` for feeds and the API, which never
    carry drafts (a day page and its e-mail edition show what a preview shows)."""
    kept = _kept(index, day, published_only, None)
    shown = [_shown(index, entry, articles) for entry, articles in kept]
    found = index.days[day]
    if published_only:  # the day counted again without its drafts
        published = [index.articles[s] for _, articles in kept for s in articles]
        found = replace(
            found,
            entries=tuple(
                e if len(articles) == len(e.articles) else replace(e, articles=articles) for e, articles in kept
            ),
            articles=len(published),
            outlets=len(outlet_keys(published)),
        )
    by_topic: dict[TopicRef | None, list[ShownEntry]] = {}
    for entry in shown[TOP_OF_DAY:]:
        by_topic.setdefault(index.focus_topic(entry.lead), []).append(entry)
    topics = sorted(
        by_topic.items(), key=lambda pair: (pair[0] is None, -len(pair[1]), pair[0].name if pair[0] else "")
    )
    previous, following = neighbours
    return {
        "page_path": urls.day_path(day),
        "day": found,
        "date": day,
        "top": shown[:TOP_OF_DAY],
        "by_topic": topics,
        "stories": shown,
        "updated": latest(shown),
        "email_stories": shown[: config.digest.email_stories],
        "more": max(0, len(shown) - config.digest.email_stories),
        "previous": previous,
        "next": following,
        "day_url": urls.absolute_url(config.base_url, config.base_path, urls.day_path(day)),
    }


def day_context(site: Site, page: OutputPage) -> dict[str, Any]:
    assert isinstance(page.stamp, DayStamp)
    return edition(
        site.index, site.config, date.fromisoformat(page.key or ""), neighbours=(page.stamp.previous, page.stamp.next)
    )


def _calendar(
    days: Sequence[tuple[date, int]], year: int, month: int, path: str | None, first_weekday: int = 0
) -> MonthGrid:
    """``first_weekday``: the column weeks start in, 0 for Monday (ISO 8601) to 6 for Sunday, as the site's
    language has it."""
    counts = dict(days)
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    cells: list[tuple[date, int] | None] = [None] * ((first.weekday() - first_weekday) % 7)
    current = first
    while current < following:
        cells.append((current, counts.get(current, 0)))
        current += timedelta(days=1)
    cells += [None] * (-len(cells) % 7)
    return MonthGrid(year, month, tuple(tuple(cells[i : i + 7]) for i in range(0, len(cells), 7)), path)


def _months(index: SiteIndex) -> list[tuple[int, int]]:
    return list(dict.fromkeys((d.year, d.month) for d in index.days))  # newest first


def _counts(index: SiteIndex, months: set[tuple[int, int]]) -> tuple[tuple[date, int], ...]:
    return tuple((d, len(day.entries)) for d, day in index.days.items() if (d.year, d.month) in months)


def _plan_archive(given: PlanInput) -> list[OutputPage]:
    index = given.index
    if not index.days:
        return []
    months = _months(index)
    shown = set(months[:MONTHS_ON_ARCHIVE])
    pages = [
        OutputPage(
            urls.output_file(urls.digest_path()),
            "digest.html",
            "digest",
            stamp=CalendarStamp(_counts(index, shown), tuple(months)),
        )
    ]
    if len(months) > MONTHS_ON_ARCHIVE:
        pages += [
            OutputPage(
                urls.output_file(urls.month_path(*month)),
                "digest_month.html",
                "digest_month",
                f"{month[0]:04d}-{month[1]:02d}",
                stamp=CalendarStamp(_counts(index, {month}), (month,)),
            )
            for month in months
        ]
    return pages


def _calendar_context(site: Site, page: OutputPage) -> dict[str, Any]:
    stamp = page.stamp
    assert isinstance(stamp, CalendarStamp)
    paged = page.kind == "digest_month" or len(_months(site.index)) > MONTHS_ON_ARCHIVE
    shown = sorted({(d.year, d.month) for d, _count in stamp.days}, reverse=True)
    grids = [
        _calendar(stamp.days, year, month, urls.month_path(year, month) if paged else None, site.first_weekday)
        for year, month in shown
    ]
    return {
        "page_path": urls.url_path(page.path),
        "months": grids,
        "all_months": [(y, m, urls.month_path(y, m)) for y, m in stamp.months] if paged else [],
    }


KINDS: list[PageKind] = [
    PageKind("day", _plan_days, day_context, sitemap="list", needs="digest"),
    PageKind("day_email", lambda given: [], day_context, needs="digest"),  # planned with its day page
    PageKind("digest", _plan_archive, _calendar_context, sitemap="list", needs="digest"),
    PageKind(
        "digest_month", lambda given: [], _calendar_context, sitemap="list", needs="digest"
    ),  # planned with the archive
]
