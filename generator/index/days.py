"""Pure: the site's days. Each local day (the site's time zone) lists its stories once each.

A story reported over two days is on both, each time with that day's reports.
Within a day, stories rank by how many outlets cover them, then heat, quality
and time: what a morning briefing leads with. One pass over the articles,
newest first: near-linear at any size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone, tzinfo
from functools import partial

from generator.core.memo import RoundMemo
from generator.core.models import Article, Day, DayEntry
from generator.stories.reach import outlet_keys, reach


def local_day(article: Article, tz: tzinfo) -> date:
    return article.published.astimezone(tz).date()


def local_day_now(now: datetime, tz: tzinfo | None) -> date:
    """The site's today: ``now`` in its time zone (UTC when it has none)."""
    return now.astimezone(tz or timezone.utc).date()


DayMemo = RoundMemo[date, Day]  # each day as last built, while its articles and their stories are the same


def build_days(
    newest_first: Sequence[Article],
    story_of: Mapping[str, str],
    shown_first: Mapping[str, tuple[str, ...]],
    outlets_of: Mapping[str, int],
    day_of: Mapping[str, date],
    memo: DayMemo | None = None,
) -> dict[date, Day]:
    """Every day with an article, newest first. ``shown_first``: each story's members, the best lead first;
    ``outlets_of``: each story's count of outlets; ``day_of``: each article's local day (:func:`local_day`).

    ``memo``: the days as the last index built them, updated to these. A day whose articles are equal, in the
    same stories ranked and counted the same, keeps its Day object: planning takes a kept Day's pages as they
    were (its identity says its articles are unchanged, which its own fields do not)."""
    by_day: dict[date, list[Article]] = defaultdict(list)
    for article in newest_first:
        by_day[day_of[article.slug]].append(article)
    if memo is None:
        return {day: _day(day, articles, story_of, shown_first, outlets_of) for day, articles in by_day.items()}
    memo.begin()
    built = {
        day: memo.take(
            day,
            (
                tuple(articles),
                tuple(
                    (story, shown_first[story], outlets_of[story])
                    if (story := story_of.get(a.slug)) is not None
                    else None
                    for a in articles
                ),
            ),
            partial(_day, day, articles, story_of, shown_first, outlets_of),
        )
        for day, articles in by_day.items()  # newest day first, as the articles come
    }
    memo.end()
    return built


def _day(
    day: date,
    articles: list[Article],
    story_of: Mapping[str, str],
    shown_first: Mapping[str, tuple[str, ...]],
    outlets_of: Mapping[str, int],
) -> Day:
    grouped: dict[str, list[Article]] = {}
    for article in articles:
        grouped.setdefault(story_of.get(article.slug) or f"\0{article.slug}", []).append(article)
    entries = []
    for key, members in grouped.items():
        story_id = None if key.startswith("\0") else key
        if story_id is not None:
            rank = {slug: n for n, slug in enumerate(shown_first[story_id])}
            members.sort(key=lambda a: rank[a.slug])
        outlets = outlets_of[story_id] if story_id else len(reach(members).outlets)
        entries.append(
            DayEntry(
                story_id,
                tuple(a.slug for a in members),
                outlets,
                max(a.heat for a in members),
                max(a.quality for a in members),
                max(a.published for a in members),
            )
        )
    entries.sort(key=lambda e: (-e.outlets, -e.heat, -e.quality, -e.newest.timestamp(), e.articles[0]))
    return Day(day, tuple(entries), len(articles), len(outlet_keys(articles)))
