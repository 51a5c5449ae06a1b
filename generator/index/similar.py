""" "More on <topic>": other articles ranked by shared topics, then closeness in time.

Comparing every pair of articles is quadratic, and one topic (say "AI") may
hold every article of the site. Instead each article looks only at its
``window`` nearest neighbours in time within each of its topics' lists, then
scores those candidates exactly: the sum of the inverse-frequency weights of
the topics they share (rarer topics weigh more). Cost: O(articles x topics x
window). "Recency" means closeness in publish time rather than newest-first,
which also keeps an edit from changing every sidebar of the site.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from generator.core.models import Article
from generator.core.parallel import map_chunks, worker_count

# The article fields "More on" reads (tests/unit/test_declared_reads.py checks it).
READS = frozenset({"topics", "published"})

T = TypeVar("T")


# Below this many lists to rank, starting workers costs about what they save.
PARALLEL_MIN = 20_000

RARITY_SCALE = 10_000  # a topic's rarity is judged against this many articles, not against the site's size
SIZE_CLASSES_PER_DOUBLING = 4  # topics within a fifth of each other's size weigh the same
WEIGHT_UNITS = 100  # weights in whole hundredths


def topic_weight(size: int) -> int:
    """Rarer topics weigh more: the inverse frequency of the topic's size class, in whole hundredths.

    - It depends on the topic's own size only, and only on its class: a new article moves its topics'
      weights only when one crosses into the next class (every fifth of the size or so), so the
      "More on" lists of unrelated articles keep their order, and their pages their bytes;
    - sums of whole numbers are exact in any order, so candidates sharing the same topics tie exactly
      whatever order a set iterates in (it moves with the hash seed), and closeness in time decides.
    """
    size_class = round(SIZE_CLASSES_PER_DOUBLING * math.log2(size))
    return round(WEIGHT_UNITS * math.log(1 + RARITY_SCALE / 2 ** (size_class / SIZE_CLASSES_PER_DOUBLING)))


def topic_weights(members: Mapping[str, Sequence[str]]) -> dict[str, int]:
    return {topic: topic_weight(len(slugs)) for topic, slugs in members.items() if slugs}


def more_on_topic(
    articles: Mapping[str, Article],
    members: Mapping[str, Sequence[str]],  # topic slug -> article slugs, newest first
    limit: int = 5,
    window: int = 8,
    before: Before | None = None,
    jobs: int | None = 1,
    parallel_min: int = PARALLEL_MIN,
) -> dict[str, tuple[str, ...]]:
    """Each article's "More on" list. ``before``: the articles, topic lists and result this was last computed
    from; only the lists a change can reach are computed again (the rest are the same as a full computation).
    ``jobs``: worker processes to rank in when there are ``parallel_min`` lists or more to rank (core/parallel.py)."""
    weights = topic_weights(members)
    todo: list[str] = list(articles)
    kept: dict[str, tuple[str, ...]] = {}
    if before is not None:
        dirty = _reached_by_changes(articles, members, weights, before, window)
        if dirty is not None:
            kept = {slug: shown for slug, shown in before.result.items() if slug in articles and slug not in dirty}
            todo = [slug for slug in articles if slug not in kept]
    ranker = _Ranker(articles, members, weights, limit, window)
    result: dict[str, tuple[str, ...]] = {}
    if len(todo) < parallel_min or worker_count(len(todo), jobs) == 1:
        result.update(zip(todo, ranker.rank(todo), strict=True))
    else:
        # Workers send places in ``order``, not slugs: a hundred thousand tuples of small ints travel
        # back faster than half a million strings.
        order = list(articles)
        place = {slug: n for n, slug in enumerate(order)}
        lists = map_chunks(
            lambda chunk: [tuple(map(place.__getitem__, shown)) for shown in ranker.rank(chunk)], todo, jobs
        )
        result.update(
            zip(todo, (tuple(map(order.__getitem__, shown)) for part in lists for shown in part), strict=True)
        )
    result.update(kept)
    return {slug: result[slug] for slug in articles}


class _Ranker:
    """Ranks the candidates of each article: those within ``window`` places of it in each of its topics' lists."""

    def __init__(
        self,
        articles: Mapping[str, Article],
        members: Mapping[str, Sequence[str]],
        weights: Mapping[str, int],
        limit: int,
        window: int,
    ) -> None:
        self.members, self.weights, self.limit, self.window = members, weights, limit, window
        self.positions: dict[str, dict[str, int]] = {}
        self.topic_sets = _PerSlug(lambda slug: frozenset(t.slug for t in articles[slug].topics))
        self.timestamps = _PerSlug(lambda slug: articles[slug].published.timestamp())

    def rank(self, slugs: Iterable[str]) -> list[tuple[str, ...]]:
        members, weights, window, positions = self.members, self.weights, self.window, self.positions
        topic_sets, timestamps = self.topic_sets, self.timestamps
        found = []
        for slug in slugs:
            own_topics = topic_sets[slug]
            candidates: set[str] = set()
            for topic in own_topics:
                listed = members.get(topic, ())
                if topic not in positions:
                    positions[topic] = {s: i for i, s in enumerate(listed)}
                i = positions[topic].get(slug)
                if i is None:
                    continue
                candidates.update(listed[max(0, i - window) : i])
                candidates.update(listed[i + 1 : i + 1 + window])
            when = timestamps[slug]
            # (heavier shared topics, closer in time, slug): tuples made in one expression, not a key function
            # per candidate (this ranking was half of planning a large site).
            ranked = sorted(
                [
                    (
                        -sum(map(weights.__getitem__, own_topics & topic_sets[other])),
                        abs(timestamps[other] - when),
                        other,
                    )
                    for other in candidates
                ]
            )
            found.append(tuple(other for _score, _distance, other in ranked[: self.limit]))
        return found


class _PerSlug(dict[str, T]):
    """A value per article slug, made when first asked: every lookup after that is a plain dict's."""

    def __init__(self, make: Callable[[str], T]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, slug: str) -> T:
        value = self[slug] = self.make(slug)
        return value


@dataclass(frozen=True)
class Before:
    """What "More on" was last computed from, and what it gave."""

    articles: Mapping[str, Article]
    members: Mapping[str, Sequence[str]]
    result: Mapping[str, tuple[str, ...]]


FULL_SHARE = 0.05  # past this share of articles changed, computing every list is as quick


def _reached_by_changes(
    articles: Mapping[str, Article],
    members: Mapping[str, Sequence[str]],
    weights: Mapping[str, int],
    before: Before,
    window: int,
) -> set[str] | None:
    """The articles whose list a change can alter (None: too many changes, compute them all).

    An article's list depends on its topics and time, the topic weights, and its neighbours within
    ``window`` places in each of its topics' lists (their topics and times). So a changed article
    (added, removed, or with other topics or time) reaches the articles near it in the lists of its
    topics, old and new, before and after; a topic whose weight changed reaches all its members.
    """
    changed = [
        slug
        for slug in articles.keys() | before.articles.keys()
        if not _same_for_similar(articles.get(slug), before.articles.get(slug))
    ]
    if len(changed) > FULL_SHARE * max(len(articles), 1):
        return None
    old_weights = topic_weights(before.members)
    dirty: set[str] = set(changed)
    for topic in weights.keys() | old_weights.keys():
        if weights.get(topic) != old_weights.get(topic):
            dirty.update(members.get(topic, ()))
    places: dict[tuple[int, str], dict[str, int]] = {}  # (list now or before, topic) -> slug -> place, made once each
    for slug in changed:
        topics = {
            t.slug for version in (articles.get(slug), before.articles.get(slug)) if version for t in version.topics
        }
        for topic in topics:
            for which, lists in enumerate((members, before.members)):
                slugs = lists.get(topic, ())
                place = places.get((which, topic))
                if place is None:
                    place = places[(which, topic)] = {s: i for i, s in enumerate(slugs)}
                i = place.get(slug)
                if i is not None:
                    dirty.update(slugs[max(0, i - window) : i + window + 1])
    return dirty


def _same_for_similar(a: Article | None, b: Article | None) -> bool:
    if a is b:
        return True
    return a is not None and b is not None and a.topics == b.topics and a.published == b.published
