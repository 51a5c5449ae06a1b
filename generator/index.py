"""Pure: articles (+ optional metadata) -> :class:`SiteIndex`."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import tzinfo

from .metadata import Metadata
from .models import Article, ProviderGroup, SiteIndex, Topic
from .similar import more_on_topic

TOP_STORIES = 5


def newest_first_key(article: Article) -> tuple[float, str]:
    # Slug breaks ties so that equal timestamps still give one stable order.
    return (-article.published.timestamp(), article.slug)


def build_index(articles: Iterable[Article], metadata: Metadata, tz: tzinfo) -> SiteIndex:
    ordered = sorted((apply_metadata(a, metadata) for a in articles), key=newest_first_key)
    by_slug = {a.slug: a for a in ordered}

    topic_members: dict[str, list[str]] = defaultdict(list)
    topic_names: dict[str, str] = {}
    provider_members: dict[str, list[str]] = defaultdict(list)
    for article in ordered:
        for ref in article.topics:
            topic_members[ref.slug].append(article.slug)
            topic_names.setdefault(ref.slug, ref.name)  # the newest spelling wins
        if article.provider:
            provider_members[article.provider.key].append(article.slug)

    topics = {}
    for slug in sorted(topic_members, key=lambda s: (_name_of_topic(s, topic_names, metadata).casefold(), s)):
        meta = metadata.topics.get(slug)
        topics[slug] = Topic(slug=slug, name=_name_of_topic(slug, topic_names, metadata),
                             articles=tuple(topic_members[slug]), meta=meta)

    providers = {}
    for key, slugs in provider_members.items():
        newest = by_slug[slugs[0]].provider
        assert newest is not None
        logo = next((p.logo for s in slugs if (p := by_slug[s].provider) and p.logo), None)
        providers[key] = ProviderGroup(key=key, name=newest.name, domain=newest.domain, logo=logo,
                                       articles=tuple(slugs))
    providers = dict(sorted(providers.items(), key=lambda kv: (kv[1].name.casefold(), kv[0])))

    return SiteIndex(
        articles=by_slug,
        newest=tuple(by_slug),
        topics=topics,
        providers=providers,
        more_on_topic=more_on_topic(by_slug, topic_members),
        top_stories=top_stories(ordered, tz),
        slug_of_source={a.source: a.slug for a in ordered},
    )


def apply_metadata(article: Article, metadata: Metadata) -> Article:
    """Organisation metadata names the outlet and supplies its logo everywhere it appears."""
    meta = metadata.providers.get(article.provider.key) if article.provider else None
    if meta is None or article.provider is None:
        return article
    provider = replace(article.provider, name=meta.name, logo=meta.logo or article.provider.logo)
    return replace(article, provider=provider)


def _name_of_topic(slug: str, names: dict[str, str], metadata: Metadata) -> str:
    meta = metadata.topics.get(slug)
    return meta.name if meta else names[slug]


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
