"""A story's reach: every outlet that reported it, on this site or elsewhere.

What "+N outlets", "Full coverage: N outlets", a day's ranking and the API's ``outlets`` all count, so they
agree: the distinct outlets of the story's articles, then of their ``related`` coverage (the crawler's list
of other outlets' reports), each report counted once by URL. An article that is in no story is a story of
one, with its own ``related`` coverage.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from generator.core.models import Article, Provider, Reach, RelatedStory

# The Article fields a reach is made of (the index declares what it reads: build/reindex.py relies on it).
READS = frozenset({"provider", "related", "link", "original_url"})


def urls_of(article: Article) -> set[str]:
    return {url for url in (article.link, article.original_url) if url}


def reach(members: Sequence[Article]) -> Reach:
    """``members``: a story's articles (or one article), in the order their outlets should be named."""
    outlets: dict[str, Provider] = {}
    for article in members:
        if article.provider is not None:
            outlets.setdefault(article.provider.key, article.provider)
    related = distinct_related(
        (entry for article in members for entry in article.related), set().union(*map(urls_of, members))
    )
    for entry in related:
        if entry.provider is not None:
            outlets.setdefault(entry.provider.key, entry.provider)
    return Reach(tuple(outlets.values()), len(members) + len(related), tuple(related))


def distinct_related(related: Iterable[RelatedStory], exclude: set[str]) -> list[RelatedStory]:
    """``related`` entries whose URL is not in ``exclude`` nor listed before (entries with no URL all count)."""
    seen, kept = set(exclude), []
    for entry in related:
        if entry.url in seen:
            continue
        if entry.url:
            seen.add(entry.url)
        kept.append(entry)
    return kept


def time_order(moment: datetime | None) -> tuple[bool, float]:
    """A sort key: earliest first, undated last (``sorted`` keeps undated ones in their given order)."""
    return (moment is None, moment.timestamp() if moment else 0.0)


def outlet_keys(articles: Iterable[Article]) -> set[str]:
    """Every outlet that reported any of ``articles``: theirs and their related coverage's (a day's count)."""
    keys = set()
    for article in articles:
        if article.provider is not None:
            keys.add(article.provider.key)
        keys.update(entry.provider.key for entry in article.related if entry.provider is not None)
    return keys
