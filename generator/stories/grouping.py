"""Group the articles that report the same story, across outlets.

Near-linear: candidates come from an inverted index over each article's
rarest headline and excerpt words, looking only at postings inside the time window, so no
pair of articles is compared unless they share informative words and were
published close together. A candidate pair is scored by the cosine of word
vectors (title words count double) in which a word weighs by

* how rare it is among the articles of the weeks around it ("AI", "Microsoft"
  weigh little), and
* how much of that use falls inside the window around the article: a name
  that appears only this week ("NTSB", "Carmera") marks an event, while one
  used all month ("Tesla", "ChatGPT") marks a theme.

When the shared title words are few or common, or the headline is one many
articles carry ("Daily briefing"), the excerpts must agree too; two articles
of one outlet need far stronger agreement, as an outlet seldom reports one
event twice. Strong evidence links two articles whatever the weights: the
crawler's own grouping (a ``related`` entry whose URL is exactly one other
article of the site), and the same or nearly the same headline from two
outlets within two days.

Pairs are merged strongest first, and two groups merge only if their members
are close on average (every member of one to every member of the other) and
their span stays inside the window, so a story cannot grow by chaining (A like
B, B like C, A unlike C). Everything is ordered by (published, slug): the same
articles give the same stories whatever the file order.

:class:`StoryGrouper` keeps each article's words between builds. Every weight is measured among the
articles near an article in time (stories/rarity.py), so an article's story depends only on what was
published within its background and two windows of it: older archive changes nothing. In the preview
(``nearby=True``) an edit regroups the articles within the window of the change and the stories they were
in, weighed by the articles around them; a one-off build regroups everything.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

from generator.core.models import Article, Story, lead_rank
from generator.core.words import Words, cosine, vector, words_of
from generator.stories.rarity import Neighbourhood, background_reach

# The article fields grouping reads (tests/unit/test_declared_reads.py checks it); story_words
# are made from title and excerpt (when reading), so they change only with them.
READS = frozenset(
    {
        "slug",
        "title",
        "excerpt",
        "published",
        "related",
        "link",
        "original_url",
        "quality",
        "heat",
        "provider",
        "story_words",
    }
)

DEFAULT_WINDOW = timedelta(hours=72)
PAIR_MIN = 0.36  # cosine of two articles' vectors to call them one story
SAME_OUTLET_MIN = 0.8  # the same, for two articles of one outlet
LINK_MIN = 0.25  # mean cosine of every member of one group to every member of the other, to merge them
LINK_FLOOR = 0.1  # and no two members less alike than this
GENERIC_TITLE_REPEATS = 3  # a headline this many articles carry word for word is generic ("Daily briefing")
EXCERPT_MIN = 0.1  # excerpts must agree this much when the shared title words are common ones
LONE_KEY_EXCERPT_MIN = 0.2  # and this much when the headlines share a single key word
RARE_TITLE_MASS = 7.0  # summed rarity of shared title words above which the titles alone are evidence
TERMS_PER_ARTICLE = 10  # rarest title words used to find candidates (a headline seldom has more)
EXCERPT_TERMS = 8  # and rarest excerpt words: reports of one event share names the headlines leave out
SAME_HEADLINE_WITHIN = timedelta(hours=48).total_seconds()
SAME_HEADLINE_WORDS = 4  # words a headline needs to be evidence on its own (not "AI news")
POSTINGS_SCANNED = 64  # nearest postings in time looked at per word (bounds common words)
SHARED_KEYS = 2  # rare title words two articles must share before they are compared
KEY_MIN_DF = 3  # and in three or more (a word of two articles is a key besides): measured on real coverage
KEY_DF_FLOOR, KEY_DF_SHARE = 50, 0.005  # a key word is in at most max(50, 0.5% of the articles around it)
FULL_REGROUP_SHARE = 0.2  # when more articles than this changed, regroup everything


def group_stories(articles: Iterable[Article], window: timedelta = DEFAULT_WINDOW) -> tuple[Story, ...]:
    """Every story of two or more articles, earliest first. Articles that stand alone are in none."""
    return StoryGrouper(window).update(articles)


def _inputs(article: Article) -> tuple[Any, ...]:
    """What grouping reads of an article (of its outlet, only the key: metadata may rename it)."""
    return (
        article.title,
        article.excerpt,
        article.published,
        article.related,
        article.link,
        article.original_url,
        article.quality,
        article.heat,
        article.provider.key if article.provider else None,
    )


class StoryGrouper:
    """The stories of the articles last given, and what each article contributed, for the next change."""

    def __init__(self, window: timedelta = DEFAULT_WINDOW, nearby: bool = False) -> None:
        self.window = window.total_seconds()
        self.nearby = nearby  # regroup only near a change (the preview), not everything
        self.stories: tuple[Story, ...] = ()
        self.regrouped = 0  # articles the last update looked at (the preview's cost of a change)
        self._seen: dict[str, Article] = {}  # each article as last grouped
        self._words: dict[str, Words] = {}
        self._times: dict[str, float] = {}
        self._grouped = False
        self._order: list[str] = []  # every slug by (time, slug), while no article is added, removed or moved in time

    def update(self, articles: Iterable[Article]) -> tuple[Story, ...]:
        current = {a.slug: a for a in articles}
        changed: list[float] = []  # times (before and after) of every article added, edited or removed
        reordered = False
        for slug in self._seen.keys() - current.keys():
            changed.append(self._forget(slug))
            reordered = True
        for slug, article in current.items():
            seen = self._seen.get(slug)
            if seen is not None and (seen is article or _inputs(seen) == _inputs(article)):
                continue
            if seen is not None:
                changed.append(self._forget(slug))
            self._learn(article)
            reordered = reordered or seen is None or changed[-1] != self._times[slug]
            changed.append(self._times[slug])
        if self._grouped and not changed:
            self.regrouped = 0
            return self.stories
        if reordered or not self._grouped or len(self._order) != len(current):  # an edited headline keeps the order
            self._order = sorted(current, key=lambda slug: (self._times[slug], slug))
        ordered = [current[slug] for slug in self._order]
        times = [self._times[slug] for slug in self._order]
        if not self._grouped or not self.nearby or len(changed) > FULL_REGROUP_SHARE * len(ordered):
            region, context, kept = ordered, ordered, list[Story]()
        else:
            region, context, kept = self._around(changed, ordered, times)
        found = _cluster(region, context, self._words, self.window)
        self.stories = tuple(sorted(kept + found, key=lambda s: (self._times[s.members[0]], s.id)))
        self.regrouped, self._grouped = len(region), True
        return self.stories

    def _learn(self, article: Article) -> None:
        words = article.story_words or words_of(article.title, article.excerpt)
        self._seen[article.slug], self._words[article.slug] = article, words
        self._times[article.slug] = article.published.timestamp()

    def _forget(self, slug: str) -> float:
        del self._words[slug], self._seen[slug]
        return self._times.pop(slug)

    def _around(
        self, changed: list[float], ordered: list[Article], times: list[float]
    ) -> tuple[list[Article], list[Article], list[Story]]:
        """The articles a change can regroup (those within the window of it, with the stories they were in),
        the articles whose words weigh theirs (around those), and the stories left as they were."""
        reach = self.window
        spans = _merge_spans([(t - reach, t + reach) for t in changed])
        near = {
            a.slug for lo, hi in spans for a in ordered[bisect.bisect_left(times, lo) : bisect.bisect_right(times, hi)]
        }
        kept, touched = [], set(near)
        for story in self.stories:
            if near.intersection(story.members):
                touched.update(m for m in story.members if m in self._times)
            else:
                kept.append(story)
        region = [a for a in ordered if a.slug in touched]
        # Their words weigh by the articles in their backgrounds (stories/rarity.py).
        wide = _merge_spans(
            [
                (when - far, when + far)
                for a in region
                for when in (a.published.timestamp(),)
                for far in (background_reach(times, when),)
            ]
        )
        context = [
            a for lo, hi in wide for a in ordered[bisect.bisect_left(times, lo) : bisect.bisect_right(times, hi)]
        ]
        return region, context, kept


def _merge_spans(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def _cluster(region: list[Article], context: list[Article], words: dict[str, Words], window: float) -> list[Story]:
    """The stories among ``region`` (ordered by time); ``context`` (a superset, ordered) holds every article
    in their backgrounds (stories/rarity.py), by which their words are weighed."""
    if len(region) < 2:
        return []
    around = Neighbourhood(((a.published.timestamp(), words[a.slug].distinct) for a in context), window)
    times = [a.published.timestamp() for a in region]
    # Vectors are made only for articles that have candidates: most articles have none.
    combined_vectors: dict[int, dict[str, float]] = {}

    def combined(i: int) -> dict[str, float]:
        found = combined_vectors.get(i)
        if found is None:
            own = words[region[i].slug]
            counted = [(w, 2.0) for w in own.title] + [(w, 1.0) for w in own.excerpt]
            found = combined_vectors[i] = vector(counted, around.weights(own.distinct, times[i]))
        return found

    def excerpt_vector(i: int) -> dict[str, float]:
        """For "do the excerpts agree": here a word only one article uses counts, against agreement."""
        own, when = words[region[i].slug], times[i]
        unique = math.log((around.articles(when) + 1) / 1.5)
        weights, counts = around.weights(own.excerpt, when), around.dfs(own.excerpt, when)
        weight = {w: weights[w] if counts[w] > 1 else unique for w in own.excerpt}
        return vector(((w, 1.0) for w in own.excerpt), weight)

    outlets = [a.provider.key if a.provider else None for a in region]
    headlines = _Headlines(region, context, words)
    scored, same_headline = _text_edges(
        times, [words[a.slug] for a in region], around, combined, excerpt_vector, outlets, headlines, window
    )
    # Strong evidence first (the crawler's links, one headline from two outlets), then text pairs strongest
    # first; ties by position.
    edges = [(a, b, True) for a, b in sorted(set(_related_edges(region, context, times, window)) | same_headline)]
    edges += [(a, b, False) for _score, a, b in sorted(scored, key=lambda edge: (-edge[0], edge[1], edge[2]))]
    groups = _Groups(combined, times)
    for a, b, strong in edges:
        groups.merge(a, b, window, strong=strong)

    stories = []
    for positions in groups.all():
        chosen = [region[i] for i in positions]
        lead = min(chosen, key=lead_rank)
        stories.append(Story(id=chosen[0].slug, lead=lead.slug, members=tuple(a.slug for a in chosen)))
    return stories


class _Headlines:
    """Each headline's words, and how often the articles around a moment carry the same words."""

    def __init__(self, region: list[Article], context: list[Article], words: dict[str, Words]) -> None:
        carried: dict[frozenset[str], list[float]] = defaultdict(list)
        for article in context:  # in time order
            carried[frozenset(words[article.slug].title)].append(article.published.timestamp())
        self.sets = [frozenset(words[a.slug].title) for a in region]
        self.carried = carried

    def repeats(self, i: int, when: float, reach: float) -> int:
        found = self.carried.get(self.sets[i], [])
        return bisect.bisect_right(found, when + reach) - bisect.bisect_left(found, when - reach)


class _Groups:
    """Union-find over article positions, with each group's summed vector, members and time span."""

    def __init__(self, vector_of: Callable[[int], dict[str, float]], times: Sequence[float]) -> None:
        self.parent = list(range(len(times)))
        self.vector_of = vector_of
        self.summed: dict[int, dict[str, float]] = {}  # of groups that grew
        self.members = [[i] for i in range(len(times))]
        self.span = [(t, t) for t in times]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def merge(self, a: int, b: int, window: float, strong: bool) -> None:
        """Join the groups of ``a`` and ``b`` if the result stays one story (``strong`` evidence: no text check)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        start, end = min(self.span[ra][0], self.span[rb][0]), max(self.span[ra][1], self.span[rb][1])
        if end - start > window:
            return
        sa = self.summed[ra] if ra in self.summed else self.vector_of(ra)
        sb = self.summed[rb] if rb in self.summed else self.vector_of(rb)
        # The sum of every cross-pair cosine is the dot product of the summed unit vectors.
        if not strong and (
            cosine(sa, sb) / (len(self.members[ra]) * len(self.members[rb])) < LINK_MIN
            or any(
                cosine(self.vector_of(i), self.vector_of(j)) < LINK_FLOOR
                for i in self.members[ra]
                for j in self.members[rb]
            )
        ):
            return  # close to some members only: that is chaining, not one story
        if len(self.members[ra]) < len(self.members[rb]) or (
            len(self.members[ra]) == len(self.members[rb]) and rb < ra
        ):
            ra, rb, sa, sb = rb, ra, sb, sa
        if ra not in self.summed:
            sa = self.summed[ra] = dict(sa)
        for word, v in sb.items():
            sa[word] = sa.get(word, 0.0) + v
        self.parent[rb] = ra
        self.span[ra] = (start, end)
        self.members[ra] += self.members[rb]
        self.summed.pop(rb, None)
        self.members[rb] = []

    def all(self) -> list[list[int]]:
        """Groups of two or more, each in position order, ordered by their first position."""
        found: dict[int, list[int]] = defaultdict(list)
        for i in range(len(self.parent)):
            found[self.find(i)].append(i)
        return sorted(group for group in found.values() if len(group) > 1)


def _keys(own: Words, when: float, around: Neighbourhood) -> list[str]:
    """The words an article is found by: its rarest headline words and a few of its rarest excerpt words, each
    used by other articles around it but not by so many that it marks a theme rather than a story."""
    common = max(KEY_DF_FLOOR, KEY_DF_SHARE * around.articles(when))
    counts = around.dfs(own.distinct, when)
    title = set(own.title)
    usable = [w for w in own.distinct if KEY_MIN_DF <= counts[w] <= common]
    rarest = sorted((w for w in usable if w in title), key=lambda w: (counts[w], w))[:TERMS_PER_ARTICLE]
    rarest += sorted((w for w in usable if w not in title), key=lambda w: (counts[w], w))[:EXCERPT_TERMS]
    return rarest + sorted(w for w in own.distinct if counts[w] == 2)  # a name only two articles use: telling


def _text_edges(
    times: Sequence[float],
    article_words: Sequence[Words],
    around: Neighbourhood,
    combined: Callable[[int], dict[str, float]],
    excerpt_vector: Callable[[int], dict[str, float]],
    outlets: Sequence[str | None],
    headlines: _Headlines,
    window: float,
) -> tuple[list[tuple[float, int, int]], set[tuple[int, int]]]:
    """Scored candidate pairs, and the pairs whose headlines are the same or nearly (strong evidence)."""
    keys = [_keys(own, when, around) for own, when in zip(article_words, times, strict=True)]
    keysets = [frozenset(found) for found in keys]
    # A pair shares a key in both headlines before it is looked at: postings of headline keys only.
    postings: dict[str, list[int]] = defaultdict(list)  # word -> positions whose headline has it as a key, in order
    placed = []  # each article's headline keys, with where it stands in their postings
    for i, found in enumerate(keys):
        where = []
        for word in headlines.sets[i].intersection(found):
            posting = postings[word]
            where.append((word, len(posting)))
            posting.append(i)
        placed.append(sorted(where))
    edges, same_headline = [], set()
    for i, found in enumerate(keys):
        titled: set[int] = set()
        latest = times[i] + window
        for word, at in placed[i]:
            posting = postings[word]
            for j in posting[at + 1 : at + 1 + POSTINGS_SCANNED]:  # later articles only: each pair once
                if times[j] > latest:
                    break
                titled.add(j)
        # One shared rare word is weak evidence: two are needed before the full comparison, one of them in both
        # headlines (excerpts alone share too many background facts).
        needed = min(SHARED_KEYS, len(found))
        generic_headline = headlines.repeats(i, times[i], around.reach(times[i])) >= GENERIC_TITLE_REPEATS
        mine = keysets[i]
        for j in sorted(j for j in titled if len(mine & keysets[j]) >= needed):
            same_outlet = outlets[i] is not None and outlets[i] == outlets[j]
            if (
                not same_outlet
                and not generic_headline
                and _same_headline(headlines.sets[i], headlines.sets[j])
                and times[j] - times[i] <= SAME_HEADLINE_WITHIN
            ):
                same_headline.add((i, j))
                continue
            score = cosine(combined(i), combined(j))
            if score < (SAME_OUTLET_MIN if same_outlet else PAIR_MIN):
                continue
            shared = set(article_words[i].title) & set(article_words[j].title)
            # "real-time" is one thing said, not three: the parts of a shared compound do not add to the evidence.
            shared = {w for w in shared if not any(w != other and w in other for other in shared)}
            generic = (
                math.fsum(around.rarity(w, times[i]) for w in sorted(shared)) < RARE_TITLE_MASS or generic_headline
            )
            # Generic headlines ("Microsoft Power Apps") need the excerpts to agree; headlines that share a single
            # key word ("Watson", "Azure") need them to agree more: that word is a theme as often as a story.
            lone = len(headlines.sets[i] & headlines.sets[j] & mine & keysets[j]) < SHARED_KEYS
            if (generic or lone) and cosine(excerpt_vector(i), excerpt_vector(j)) < (
                LONE_KEY_EXCERPT_MIN if lone else EXCERPT_MIN
            ):
                continue
            edges.append((round(score, 9), i, j))
    return edges, same_headline


def _same_headline(a: frozenset[str], b: frozenset[str]) -> bool:
    """One headline, word for word (case, punctuation and stop words aside). Not "nearly": a headline that
    differs in one word ("The quarry project..." and "The meadow project...") is another story's."""
    return len(a) >= SAME_HEADLINE_WORDS and a == b


def _related_edges(
    region: Sequence[Article], context: Sequence[Article], times: Sequence[float], window: float
) -> list[tuple[int, int]]:
    """The crawler's own grouping: a ``related`` URL that is exactly one other article (of those near in time)."""
    position = {a.slug: i for i, a in enumerate(region)}
    by_url: dict[str, list[str]] = defaultdict(list)
    for article in context:
        for url in {article.link, article.original_url} - {None}:
            by_url[str(url)].append(article.slug)
    edges = set()
    for i, article in enumerate(region):
        for entry in article.related:
            targets = by_url.get(entry.url or "", [])
            j = position.get(targets[0]) if len(targets) == 1 else None
            if j is not None and j != i and abs(times[j] - times[i]) <= window:
                edges.add((min(i, j), max(i, j)))
    return sorted(edges)
