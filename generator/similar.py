""""More on <topic>": other articles ranked by shared topics, then closeness in time.

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
from collections.abc import Mapping, Sequence

from .models import Article

# The article fields "More on" reads (tests/unit/test_declared_reads.py checks it).
READS = frozenset({"topics", "published"})


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
) -> dict[str, tuple[str, ...]]:
    weights = topic_weights(members)
    position = {topic: {slug: i for i, slug in enumerate(slugs)} for topic, slugs in members.items()}
    topic_sets = {slug: frozenset(t.slug for t in a.topics) for slug, a in articles.items()}
    timestamps = {slug: a.published.timestamp() for slug, a in articles.items()}
    result: dict[str, tuple[str, ...]] = {}
    for slug, own_topics in topic_sets.items():
        candidates: set[str] = set()
        for topic in own_topics:
            slugs = members.get(topic, ())
            i = position[topic].get(slug)
            if i is None:
                continue
            candidates.update(slugs[max(0, i - window) : i])
            candidates.update(slugs[i + 1 : i + 1 + window])
        when = timestamps[slug]
        ranked = sorted(
            candidates,
            key=lambda other: (
                -sum(weights[t] for t in own_topics & topic_sets[other]),
                abs(timestamps[other] - when),
                other,
            ),
        )
        result[slug] = tuple(ranked[:limit])
    return result
