"""Group the articles that report the same story, across outlets.

Candidate pairs and their evidence come from stories/pairs.py (word weights from
stories/rarity.py); pairs are merged strongest first, without chaining, by
stories/merging.py. Everything is ordered by (published, slug): the same
articles give the same stories whatever the file order.

:class:`StoryGrouper` keeps, between builds (and in the build cache), each article's words and the pairs found
from it. Everything grouping reads is local in time: an article's word weights depend on the articles in its
background, and the pairs found from it on those within the window after it. So a change (an article added,
edited, removed or moved) looks for pairs again only from the articles whose inputs it can have changed, and
merges again only the groups of pairs (connected components) that hold one of them; every other story is kept
as it was. The result is exactly what grouping everything again gives (tests/unit/test_stories.py checks it
on random changes), at the cost of the weeks around the change. The preview (``nearby``) looks only within one
window of the change: faster, and nearly the same; the next build is exact again.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from generator.core.models import Article, Story, lead_rank
from generator.core.parallel import map_chunks, worker_count
from generator.core.words import Words, words_of
from generator.stories.merging import components, merged
from generator.stories.pairs import STRONG, Surroundings, Weighing, related_pairs, text_pairs
from generator.stories.rarity import background_reach, weighed_span

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
FULL_REGROUP_SHARE = 0.2  # when more articles than this changed, regroup everything
REACHED_SHARE = 0.5  # and when a change reaches more than this (a crowded site's weeks): it costs less

Span = tuple[float, float]
EVERYTHING: list[Span] = [(float("-inf"), float("inf"))]


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
        # The preview's: a change looks for pairs again only within one window of it. Articles further away
        # whose word weights it shifts keep their pairs until a build, which regroups exactly.
        self.nearby = nearby
        self.stories: tuple[Story, ...] = ()
        self.regrouped = 0  # articles the last update looked for pairs from (the cost of a change)
        self._seen: dict[str, Article] = {}  # each article as last grouped
        self._words: dict[str, Words] = {}
        self._times: dict[str, float] = {}
        self._pairs: dict[str, tuple[tuple[str, float], ...]] = {}  # slug -> (later slug, score) found from it
        self._grouped = False
        self._order: list[str] = []  # every slug by (time, slug)
        self._ordered_times: list[float] = []  # their times
        self._surroundings: Surroundings | None = None  # the preview's, of every article, kept up to date

    def update(self, articles: Iterable[Article], jobs: int | None = 1) -> tuple[Story, ...]:
        """The stories of ``articles`` (``jobs``: worker processes it may fork to look for pairs)."""
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
        before = self._ordered_times
        if reordered or not self._grouped:  # an edited headline keeps the order
            self._order = sorted(current, key=lambda slug: (self._times[slug], slug))
            self._ordered_times = [self._times[slug] for slug in self._order]
        ordered = [current[slug] for slug in self._order]
        if not self._grouped or len(changed) > FULL_REGROUP_SHARE * len(ordered):
            weighed = EVERYTHING
        elif self.nearby:
            weighed = _merge_spans([(at - self.window, at + self.window) for at in changed])
        else:  # the articles whose weights the change takes part in, before or after it
            weighed = _merge_spans(
                [weighed_span(times, at) for at in changed for times in (before, self._ordered_times)]
            )
        # Pairs are found from an article by its weights and those of the articles in the window after it (in the
        # preview, the window around the change holds the pairs it makes or breaks).
        sources = weighed if self.nearby else _merge_spans([(low - self.window, high) for low, high in weighed])
        if sum(len(span) for span in self._positions(sources)) > REACHED_SHARE * len(ordered):
            weighed = sources = EVERYTHING  # most of a crowded site: everything at once costs less
        weighings = self._find_pairs(ordered, sources, jobs)
        self.stories = self._merge(ordered, weighed, sources, weighings)
        self._grouped = True
        return self.stories

    def _learn(self, article: Article) -> None:
        words = article.story_words or words_of(article.title, article.excerpt)
        self._seen[article.slug], self._words[article.slug] = article, words
        self._times[article.slug] = when = article.published.timestamp()
        if self._surroundings is not None:
            self._surroundings.add(when, words)

    def _forget(self, slug: str) -> float:
        if self._surroundings is not None:
            self._surroundings.remove(self._times[slug], self._words[slug])
        del self._words[slug], self._seen[slug]
        self._pairs.pop(slug, None)
        return self._times.pop(slug)

    def _positions(self, spans: Sequence[Span]) -> list[range]:
        times = self._ordered_times
        return [range(bisect.bisect_left(times, low), bisect.bisect_right(times, high)) for low, high in spans]

    def _weighing(self, ordered: list[Article], positions: Sequence[int]) -> Weighing:
        """The weights of the articles at ``positions``, made from the articles in their backgrounds."""
        times = self._ordered_times
        if self._surroundings is not None:  # the preview's, of every article
            return Weighing(self._surroundings, self._words)
        if len(positions) == len(ordered):
            everything = Surroundings(ordered, self._words, self.window, changing=self.nearby)
            if self.nearby:  # kept up to date from now on: a change then weighs without counting its weeks again
                self._surroundings = everything
            return Weighing(everything, self._words)
        backgrounds = _merge_spans(
            [(times[k] - reach, times[k] + reach) for k in positions for reach in (background_reach(times, times[k]),)]
        )
        context = [ordered[k] for span in self._positions(backgrounds) for k in span]
        return Weighing(Surroundings(context, self._words, self.window), self._words)

    def _find_pairs(
        self, ordered: list[Article], sources: list[Span], jobs: int | None
    ) -> list[tuple[range, Weighing]]:
        """Look for the pairs from each article within ``sources`` again. Returns the weighings made, each with
        the positions it weighs (a window either side of its sources: merging reuses it)."""
        self.regrouped, weighings = 0, []
        for found, (low, high) in zip(self._positions(sources), sources, strict=True):
            (weighed,) = self._positions([(low - self.window, high + self.window)])
            weighing = self._weighing(ordered, weighed)
            weighings.append((weighed, weighing))
            slugs = self._order
            pairs: dict[str, list[tuple[str, float]]] = {slug: [] for slug in slugs[found.start : found.stop]}
            for score, i, j in self._text_pairs(ordered, found, weighing, jobs):
                pairs[slugs[i]].append((slugs[j], score))
            self._pairs.update((slug, tuple(found_pairs)) for slug, found_pairs in pairs.items())
            self.regrouped += len(found)
        return weighings

    def _text_pairs(
        self, ordered: list[Article], found: range, weighing: Weighing, jobs: int | None
    ) -> list[tuple[float, int, int]]:
        """The pairs (score, i, j) from the articles at positions ``found``, in forked workers when many (each
        weighs by the weighing it inherits, made once here)."""
        times = self._ordered_times

        def chunk_pairs(chunk: Sequence[int]) -> list[tuple[float, int, int]]:
            first, stop = chunk[0], chunk[-1] + 1
            end = bisect.bisect_right(times, times[stop - 1] + self.window)  # every article within the window after
            span = ordered[first:end]
            return [
                (score, first + i, first + j)
                for score, i, j in text_pairs(span, range(stop - first), weighing, self.window)
            ]

        if not found:
            return []
        if worker_count(len(found), jobs) == 1:  # in one piece: chunks would each find their window's keys again
            return chunk_pairs(found)
        return [pair for pairs in map_chunks(chunk_pairs, found, jobs) for pair in pairs]

    def _merge(
        self, ordered: list[Article], weighed: list[Span], sources: list[Span], weighings: list[tuple[range, Weighing]]
    ) -> tuple[Story, ...]:
        """Merge the pairs again in each group of pairs (connected component) that holds an article whose weights
        or pairs may have changed, or one of a story that did; keep every other story."""
        rank = {slug: position for position, slug in enumerate(self._order)}
        strong = set(related_pairs(ordered, self.window))
        scored = []
        for slug, pairs in self._pairs.items():
            for other, score in pairs:
                if score == STRONG:
                    strong.add((rank[slug], rank[other]))
                else:
                    scored.append((score, rank[slug], rank[other]))
        region: Sequence[int] = range(len(ordered))
        kept: list[Story] = []
        if sources != EVERYTHING:  # part of the site
            touched = {i for span in self._positions(_merge_spans(weighed + sources)) for i in span}
            for story in self.stories:
                if any(rank.get(slug, -1) in touched or slug not in rank for slug in story.members):
                    touched.update(rank[slug] for slug in story.members if slug in rank)
            component = components(len(ordered), [*strong, *((i, j) for _, i, j in scored)])
            roots = {component[i] for i in touched}
            region = [i for i in range(len(ordered)) if component[i] in roots]
            kept = [s for s in self.stories if all(m in rank and component[rank[m]] not in roots for m in s.members)]
        weighing = next(
            (found for span, found in weighings if not region or (region[0] in span and region[-1] in span)), None
        ) or self._weighing(ordered, region)
        local = {position: n for n, position in enumerate(region)}  # a component is in the region whole, or not
        # Strong evidence first (the crawler's links, one headline from two outlets), then text pairs strongest
        # first; ties by position.
        edges = [(local[a], local[b], True) for a, b in sorted(pair for pair in strong if pair[0] in local)]
        edges += [
            (local[a], local[b], False)
            for _score, a, b in sorted((edge for edge in scored if edge[1] in local), key=lambda e: (-e[0], e[1], e[2]))
        ]
        members = [ordered[i] for i in region]
        times = [self._ordered_times[i] for i in region]
        for positions in merged(edges, lambda n: weighing.combined(members[n].slug, times[n]), times, self.window):
            chosen = [members[n] for n in positions]
            lead = min(chosen, key=lead_rank)
            kept.append(Story(id=chosen[0].slug, lead=lead.slug, members=tuple(a.slug for a in chosen)))
        return tuple(sorted(kept, key=lambda s: (self._times[s.members[0]], s.id)))


def _merge_spans(spans: list[Span]) -> list[Span]:
    merged_spans: list[Span] = []
    for low, high in sorted(spans):
        if merged_spans and low <= merged_spans[-1][1]:
            merged_spans[-1] = (merged_spans[-1][0], max(high, merged_spans[-1][1]))
        else:
            merged_spans.append((low, high))
    return merged_spans
