"""Pure: articles (+ optional metadata) -> :class:`SiteIndex`."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import tzinfo

from . import similar
from .groups import COLLECTION_KINDS, TOPICS
from .metadata import Metadata
from .models import Article, Collection, CollectionKind, Image, SiteIndex
from .similar import more_on_topic

TOP_STORIES = 5
# The article fields the index reads (order, groups, top stories, and "More on" as similar.py declares
# it); an edit touching none of them leaves the index as it is. tests/unit/test_declared_reads.py fails
# on an undeclared read.
READS = frozenset({"source", "slug", "published", "topics", "provider", "heat", "quality"}) | similar.READS


def newest_first_key(article: Article) -> tuple[float, str]:
    # Slug breaks ties so that equal timestamps still give one stable order.
    return (-article.published.timestamp(), article.slug)


def build_index(articles: Iterable[Article], metadata: Metadata, tz: tzinfo) -> SiteIndex:
    ordered = sorted((apply_metadata(a, metadata) for a in articles), key=newest_first_key)
    by_slug = {a.slug: a for a in ordered}
    collections = {kind.name: collect(kind, ordered, metadata) for kind in COLLECTION_KINDS}
    topic_members = {key: list(group.articles) for key, group in collections["topic"].items()}
    return SiteIndex(
        articles=by_slug,
        newest=tuple(by_slug),
        collections=collections,
        more_on_topic=more_on_topic(by_slug, topic_members),
        top_stories=top_stories(ordered, tz),
        slug_of_source={a.source: a.slug for a in ordered},
    )


def collect(kind: CollectionKind, newest_first: list[Article], metadata: Metadata) -> dict[str, Collection]:
    """Every group of ``kind``, sorted by name: members newest first; the newest member names it
    (unless metadata does), the newest that has a logo gives it one."""
    members: dict[str, list[str]] = defaultdict(list)
    names: dict[str, str] = {}
    logos: dict[str, Image] = {}
    domains: dict[str, str] = {}
    for article in newest_first:
        for key, name, logo, domain in kind.members(article):
            members[key].append(article.slug)
            names.setdefault(key, name)
            domains.setdefault(key, domain)
            if logo is not None:
                logos.setdefault(key, logo)
    groups = []
    for key, slugs in members.items():
        meta = metadata.topics.get(key) if kind is TOPICS else None
        groups.append(Collection(kind=kind, key=key, name=meta.name if meta else names[key], articles=tuple(slugs),
                                 logo=logos.get(key), domain=domains[key], meta=meta))
    return {g.key: g for g in sorted(groups, key=lambda g: (g.name.casefold(), g.key))}


def apply_metadata(article: Article, metadata: Metadata) -> Article:
    """Organisation metadata names the outlet and supplies its logo everywhere it appears."""
    meta = metadata.providers.get(article.provider.key) if article.provider else None
    if meta is None or article.provider is None:
        return article
    provider = replace(article.provider, name=meta.name, logo=meta.logo or article.provider.logo)
    return replace(article, provider=provider)


def top_stories(newest_first: list[Article], tz: tzinfo, limit: int = TOP_STORIES) -> tuple[str, ...]:
    """The hottest stories of the newest day (in the site's time zone): heat, then quality."""
    if not newest_first:
        return ()
    newest_day = newest_first[0].published.astimezone(tz).date()
    same_day = []
    for article in newest_first:
        if article.published.astimezone(tz).date() != newest_day:
            break
        same_day.append(article)
    same_day.sort(key=lambda a: (-a.heat, -a.quality, newest_first_key(a)))
    return tuple(a.slug for a in same_day[:limit])
