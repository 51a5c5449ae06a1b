"""How rare a word is where a story happens: counted among the articles near it in time, never the whole folder.

A name that carries an ongoing event ("Carmera", "LLaMA") is rare in the weeks around it however often the
archive has used it since; over two years of archive the same name is common, and a measure over the whole
folder lets recall fall as the archive grows. So every count here is local:

* ``articles(t)``: the articles within ``BACKGROUND`` of ``t``;
* ``df(word, t)``: those of them that use the word (its background rate);
* how many of those lie within the story window (its burst).

A quiet site has few articles in any fortnight, and among a dozen articles on one theme the theme's own
words look rare: the background then reaches as far as its ``BACKGROUND_ARTICLES`` nearest articles. So an
article's story depends on the articles within 15 days of it (or its 300 nearest, if that reaches further)
and on nothing older: adding older archive changes nothing about today's stories, and a change regroups
only its surroundings.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta

BACKGROUND = timedelta(days=15).total_seconds()  # either side of an article: what "rare" is measured against
BACKGROUND_ARTICLES = 300  # or further, until this many articles are in it (a quiet site's weeks say little)
COMMON_RARITY = 0.5  # below this a word says nothing about which story ("AI" on an AI site)


class Neighbourhood:
    """Word counts around any moment, from each article's (time, distinct words)."""

    def __init__(self, articles: Iterable[tuple[float, Sequence[str]]], window: float, changing: bool = False) -> None:
        """``changing``: articles will be added and removed (every word is kept, those of one article too)."""
        self.window = window
        times: list[float] = []
        uses: dict[str, list[float]] = defaultdict(list)
        for when, words in sorted(articles, key=lambda pair: pair[0]):
            times.append(when)
            for word in words:
                uses[word].append(when)
        self.times = times
        # A word of one article counts as none (every measure below needs two), so it need not be kept.
        self.uses = dict(uses) if changing else {word: used for word, used in uses.items() if len(used) > 1}
        self._reach: dict[float, float] = {}

    def add(self, when: float, words: Iterable[str]) -> None:
        """One more article (its distinct words), in a neighbourhood made ``changing``."""
        bisect.insort(self.times, when)
        for word in words:
            bisect.insort(self.uses.setdefault(word, []), when)
        self._reach.clear()

    def remove(self, when: float, words: Iterable[str]) -> None:
        """An article gone (as it was added)."""
        del self.times[bisect.bisect_left(self.times, when)]
        for word in words:
            used = self.uses[word]
            del used[bisect.bisect_left(used, when)]
            if not used:
                del self.uses[word]
        self._reach.clear()

    def reach(self, when: float) -> float:
        """How far either side of ``when`` its background goes: BACKGROUND, or as far as its
        BACKGROUND_ARTICLES nearest articles when fewer lie that close."""
        found = self._reach.get(when)
        if found is None:
            found = self._reach[when] = background_reach(self.times, when)
        return found

    def articles(self, when: float) -> int:
        reach = self.reach(when)
        return _between(self.times, when - reach, when + reach)

    def df(self, word: str, when: float) -> int:
        used = self.uses.get(word)
        reach = self.reach(when)
        return _between(used, when - reach, when + reach) if used else 0

    def dfs(self, words: Iterable[str], when: float) -> dict[str, int]:
        """:meth:`df` of each of ``words`` (one article's: the background found once)."""
        reach = self.reach(when)
        low, high = when - reach, when + reach
        uses, left, right = self.uses, bisect.bisect_left, bisect.bisect_right
        return {word: right(used, high) - left(used, low) if (used := uses.get(word)) else 0 for word in words}

    def rarity(self, word: str, when: float, df: int | None = None) -> float:
        """How rare the word is around ``when`` (0 for a word no other article near it uses, or most do)."""
        count = self.df(word, when) if df is None else df
        if count < 2:
            return 0.0
        rarity = math.log((self.articles(when) + 1) / (count + 0.5))
        return rarity if rarity >= COMMON_RARITY else 0.0

    def weights(self, words: Iterable[str], when: float) -> dict[str, float]:
        """Each word's rarity times the share of its nearby uses that fall inside the story window: a name used
        only this week marks an event; one used every week of the month marks a theme (one article's words: its
        background and window found once)."""
        reach = self.reach(when)
        low, high, near_low, near_high = when - reach, when + reach, when - self.window, when + self.window
        total = math.log(self.articles(when) + 1)
        uses, left, right = self.uses, bisect.bisect_left, bisect.bisect_right
        found: dict[str, float] = {}
        for word in words:
            used = uses.get(word)
            count = right(used, high) - left(used, low) if used else 0
            if used is None or count < 2:
                found[word] = 0.0
                continue
            rarity = total - math.log(count + 0.5)
            near = right(used, near_high) - left(used, near_low)
            found[word] = rarity * near / count if rarity >= COMMON_RARITY else 0.0
        return found


def _between(ordered: Sequence[float], low: float, high: float) -> int:
    return bisect.bisect_right(ordered, high) - bisect.bisect_left(ordered, low)


def background_reach(ordered: Sequence[float], when: float) -> float:
    """How far either side of ``when`` the background of an article published then goes, given every
    article's time (``ordered``)."""
    return max(BACKGROUND, _nearest(ordered, when, BACKGROUND_ARTICLES))


def _nearest(ordered: Sequence[float], when: float, count: int) -> float:
    """The distance from ``when`` within which ``count`` of ``ordered`` lie (all of them, if fewer)."""
    if len(ordered) <= count:
        return max(when - ordered[0], ordered[-1] - when) if ordered else 0.0
    middle = bisect.bisect_left(ordered, when)
    low, high = max(0, middle - count), min(middle, len(ordered) - count)  # the first of ``count`` consecutive ones
    while low < high:  # the window [first, first + count) whose farther end is nearest
        first = (low + high) // 2
        if when - ordered[first] > ordered[first + count] - when:
            low = first + 1
        else:
            high = first
    return max(when - ordered[low], ordered[low + count - 1] - when)


def weighed_span(ordered: Sequence[float], when: float) -> tuple[float, float]:
    """A span of time holding ``when`` and every article (of those at ``ordered``) whose background holds ``when``:
    the only articles whose word weights an article at ``when`` takes part in."""
    before, after = bisect.bisect_left(ordered, when), bisect.bisect_right(ordered, when)
    # Further than BACKGROUND from ``when``, with BACKGROUND_ARTICLES others strictly between, an article has
    # that many nearer than ``when``: its background stops short of it. Between these bounds, each is looked at.
    first = before - BACKGROUND_ARTICLES if before >= BACKGROUND_ARTICLES else 0
    last = after + BACKGROUND_ARTICLES if len(ordered) - after >= BACKGROUND_ARTICLES else len(ordered)
    first, last = (
        min(first, bisect.bisect_left(ordered, when - BACKGROUND)),
        max(last, bisect.bisect_right(ordered, when + BACKGROUND)),
    )
    held = [at for at in ordered[first:last] if abs(at - when) <= background_reach(ordered, at)]
    return min([when, *held[:1]]), max([when, *held[-1:]])
