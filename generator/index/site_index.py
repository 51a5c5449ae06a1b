"""Pure: articles (+ optional metadata) -> :class:`SiteIndex`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import date, timedelta, tzinfo
from functools import partial

from generator.content.metadata import Metadata
from generator.core.memo import RoundMemo
from generator.core.models import Article, Collection, CollectionKind, Image, Provider, SiteIndex, Story, lead_rank
from generator.index import similar as similar_module
from generator.index.days import DayMemo, build_days, local_day
from generator.index.groups import COLLECTION_KINDS, TOPICS
from generator.index.similar import more_on_topic
from generator.stories import reach as reach_module
from generator.stories.reach import reach

TOP_STORIES = 5
TOP_WINDOW = timedelta(hours=48)
# The article fields the index reads (order, groups, top stories, and "More on" as similar.py declares
# it); an edit touching none of them leaves the index as it is. tests/unit/test_declared_reads.py fails
# on an undeclared read.
READS = (
    frozenset({"source", "slug", "published", "topics", "provider", "related", "heat", "quality", "is_published"})
    | similar_module.READS
    | reach_module.READS
)


def newest_first_key(article: Article) -> tuple[float, str]:
    # Slug breaks ties so that equal timestamps still give one stable order.
    return (-article.published.timestamp(), article.slug)


def build_index(
    articles: Iterable[Article],
    metadata: Metadata,
    tz: tzinfo,
    stories: Iterable[Story] = (),
    today: date | None = None,
    days: bool = True,
    previous: SiteIndex | None = None,
    jobs: int | None = 1,
    days_memo: DayMemo | None = None,
    described: DescribedMemo | None = None,
) -> SiteIndex:
    """``stories`` come from :mod:`.stories` (grouping reads the text, which the index does not);
    ``days``: rank each day's stories (for the day pages, ``digest`` in site.yaml); ``previous``: the index
    before a change, whose "More on" lists are kept where the change cannot reach them; ``jobs``: worker
    processes "More on" may rank in (1: none, as in the preview, whose threads make forking unsafe); ``days_memo``:
    the days as the last index built them (:func:`.days.build_days`); ``described``: the articles as the last
    index described them (:class:`DescribedMemo`)."""
    shown = (
        described.apply(articles, metadata)
        if described is not None
        else [apply_metadata(a, metadata) for a in articles]
    )
    ordered = sorted(shown, key=newest_first_key)
    by_slug = {a.slug: a for a in ordered}
    by_id = {s.id: s for s in stories if all(m in by_slug for m in s.members)}
    story_of = {slug: story.id for story in by_id.values() for slug in story.members}
    shown_first = {story.id: _by_lead_rank(story, by_slug) for story in by_id.values()}

    def one_per_story(slugs: tuple[str, ...]) -> tuple[str, ...]:
        return _one_per_story(slugs, story_of, shown_first)

    collections = {
        kind.name: collect(kind, ordered, metadata, one_per_story if kind.per_story else None)
        for kind in COLLECTION_KINDS
    }
    topic_members = {key: group.articles for key, group in collections["topic"].items()}
    newest = tuple(by_slug)
    river = one_per_story(newest)
    reaches = {story.id: reach([by_slug[m] for m in story.members]) for story in by_id.values()}
    outlets = {story_id: len(found.outlets) for story_id, found in reaches.items()}
    top = top_stories([by_slug[s] for s in river], outlets, story_of)
    before = (
        None
        if previous is None
        else similar_module.Before(
            previous.articles, {key: group.articles for key, group in previous.topics.items()}, previous.similar
        )
    )
    similar = more_on_topic(by_slug, topic_members, before=before, jobs=jobs)
    day_of = {a.slug: local_day(a, tz) for a in ordered}
    return SiteIndex(
        articles=by_slug,
        newest=newest,
        collections=collections,
        more_on_topic=_other_stories(similar, story_of),
        top_stories=top,
        below_top=tuple(slug for slug in river if slug not in top),  # top: at most five
        slug_of_source={a.source: a.slug for a in ordered},
        river=river,
        stories=by_id,
        story_of=story_of,
        story_reach=reaches,
        days=build_days(ordered, story_of, shown_first, outlets, day_of, days_memo) if days else {},
        day_of=day_of,
        today=today,
        common_topics=common_topics(collections["topic"], len(by_slug)),
        similar=similar,
        unpublished=frozenset(a.slug for a in ordered if not a.is_published),
    )


COMMON_SHARE = 0.9  # a topic on more than this share of the articles is common
COMMON_MIN_ARTICLES = 20  # on a smaller site the shares say little


def common_topics(topics: Mapping[str, Collection], articles: int) -> frozenset[str]:
    if articles < COMMON_MIN_ARTICLES:
        return frozenset()
    return frozenset(key for key, topic in topics.items() if len(topic.articles) > COMMON_SHARE * articles)


def _other_stories(similar: Mapping[str, tuple[str, ...]], story_of: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """ "More on" leaves out the article's own story: "Also covered by" lists it."""
    return {
        slug: others if slug not in story_of else tuple(s for s in others if story_of.get(s) != story_of[slug])
        for slug, others in similar.items()
    }


def _by_lead_rank(story: Story, articles: Mapping[str, Article]) -> tuple[str, ...]:
    """The story's members, the one that best leads it first (the lead)."""
    return tuple(sorted(story.members, key=lambda s: (s != story.lead, lead_rank(articles[s]))))


def _one_per_story(
    slugs: tuple[str, ...], story_of: Mapping[str, str], shown_first: Mapping[str, tuple[str, ...]]
) -> tuple[str, ...]:
    """A newest-first list with each story once, where its newest member in the list was: shown by its lead,
    or by the member that best leads it among those in the list (a topic's list may lack the lead)."""
    if story_of.keys().isdisjoint(slugs):  # no story in the list: each article is its own entry
        return slugs
    in_list = set(slugs)
    seen: set[str] = set()
    entries = []
    for slug in slugs:
        story_id = story_of.get(slug)
        if story_id is None:
            entries.append(slug)
        elif story_id not in seen:
            seen.add(story_id)
            entries.append(next(s for s in shown_first[story_id] if s in in_list))
    return tuple(entries)


def collect(
    kind: CollectionKind,
    newest_first: list[Article],
    metadata: Metadata,
    one_per_story: Callable[[tuple[str, ...]], tuple[str, ...]] | None = None,
) -> dict[str, Collection]:
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
        listed = tuple(slugs)
        groups.append(
            Collection(
                kind=kind,
                key=key,
                name=meta.name if meta else names[key],
                articles=listed,
                logo=logos.get(key),
                domain=domains[key],
                meta=meta,
                entries=one_per_story(listed) if one_per_story else listed,
            )
        )
    return {g.key: g for g in sorted(groups, key=lambda g: (g.name.casefold(), g.key))}


def apply_metadata(article: Article, metadata: Metadata) -> Article:
    """Organisation metadata names the outlet and supplies its logo everywhere it appears: the article's
    own and those of its ``related`` coverage."""
    if not metadata.providers:
        return article
    provider = _described(article.provider, metadata)
    related = tuple(
        story if (p := _described(story.provider, metadata)) is story.provider else replace(story, provider=p)
        for story in article.related
    )
    if provider is article.provider and all(new is old for new, old in zip(related, article.related, strict=True)):
        return article
    return replace(article, provider=provider, related=related)


def _described(provider: Provider | None, metadata: Metadata) -> Provider | None:
    meta = metadata.providers.get(provider.key) if provider else None
    if meta is None or provider is None:
        return provider
    return replace(provider, name=meta.name, logo=meta.logo or provider.logo)


class DescribedMemo:
    """Each article with the metadata applied, as the last index made it, kept while the article is the same
    and the metadata equal: an index rebuilt after one new file keeps its other articles' objects, which
    the planning memos compare by identity first (comparing 10,000 described copies field by field cost more
    than planning them)."""

    def __init__(self) -> None:
        self._metadata: Metadata | None = None
        self._made: RoundMemo[str, Article] = RoundMemo()  # source -> described, made from the article as given

    def apply(self, articles: Iterable[Article], metadata: Metadata) -> list[Article]:
        self._made.begin(forget=metadata != self._metadata)
        self._metadata = metadata
        described = [
            self._made.take(article.source, article, partial(apply_metadata, article, metadata)) for article in articles
        ]
        self._made.end()
        return described


def top_stories(
    river: list[Article],
    story_outlets: Mapping[str, int],
    story_of: Mapping[str, str],
    window: timedelta = TOP_WINDOW,
    limit: int = TOP_STORIES,
) -> tuple[str, ...]:
    """The most covered stories of the last two days before the newest article (outlets covering, heat,
    quality, newest); none when fewer than two would show. ``river`` lists each story once, newest first."""
    if not river:
        return ()
    start = river[0].published - window
    recent = [a for a in river if a.published >= start]
    recent.sort(
        key=lambda a: (
            -story_outlets.get(story_of.get(a.slug, ""), 0) or -len(reach((a,)).outlets),
            -a.heat,
            -a.quality,
            -a.published.timestamp(),
            a.slug,
        )
    )
    chosen = tuple(a.slug for a in recent[:limit])
    return chosen if len(chosen) >= 2 else ()
