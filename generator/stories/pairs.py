"""The evidence that two articles report one story: candidate pairs and how alike they are.

Near-linear: candidates come from an inverted index over each article's rarest
headline and excerpt words, looking only at postings inside the time window, so no
pair of articles is compared unless they share informative words and were
published close together. A candidate pair is scored by the cosine of word
vectors (title words count double) weighed by stories/rarity.py.

When the shared title words are few or common, or the headline is one many
articles carry ("Daily briefing"), the excerpts must agree too; two articles
of one outlet need far stronger agreement, as an outlet seldom reports one
event twice. Strong evidence links two articles whatever the weights: the
crawler's own grouping (a ``related`` entry whose URL is exactly one other
article of the site), and the same headline from two outlets within two days.

What an article's pairs depend on is local (stories/grouping.py relies on it): the pairs found from an
article read its own words and those of the articles in the window after it, each weighed by the articles
in its background, and nothing else.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import timedelta

from generator.core.models import Article
from generator.core.words import Words, cosine, vector
from generator.stories.rarity import Neighbourhood

PAIR_MIN = 0.36  # cosine of two articles' vectors to call them one story
SAME_OUTLET_MIN = 0.8  # the same, for two articles of one outlet
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

STRONG = math.inf  # the score of a pair that is one story whatever the text says (the same headline)


class Surroundings:
    """What the articles around a moment say: their word counts, and which headlines they carry when."""

    def __init__(
        self, context: Sequence[Article], words: Mapping[str, Words], window: float, changing: bool = False
    ) -> None:
        """``changing``: articles will be added and removed."""
        stamped = [(a.published.timestamp(), words[a.slug]) for a in context]
        self.around = Neighbourhood(((when, own.distinct) for when, own in stamped), window, changing)
        carried: dict[frozenset[str], list[float]] = defaultdict(list)
        for when, own in stamped:  # in time order
            carried[frozenset(own.title)].append(when)
        self.carried = carried

    def add(self, when: float, own: Words) -> None:
        self.around.add(when, own.distinct)
        bisect.insort(self.carried[frozenset(own.title)], when)

    def remove(self, when: float, own: Words) -> None:
        self.around.remove(when, own.distinct)
        times = self.carried[frozenset(own.title)]
        del times[bisect.bisect_left(times, when)]


class Weighing:
    """Articles' word vectors, each weighed by the articles around it (``surroundings`` must hold every article in
    the background of each article weighed); vectors are made once, when first asked for."""

    def __init__(self, surroundings: Surroundings, words: Mapping[str, Words]) -> None:
        self.surroundings, self.around, self.words = surroundings, surroundings.around, words
        self._combined: dict[str, dict[str, float]] = {}
        self._excerpts: dict[str, dict[str, float]] = {}

    def combined(self, slug: str, when: float) -> dict[str, float]:
        """Headline and excerpt words together (headline words twice): what two reports of one story share."""
        found = self._combined.get(slug)
        if found is None:
            own = self.words[slug]
            counted = [(w, 2.0) for w in own.title] + [(w, 1.0) for w in own.excerpt]
            found = self._combined[slug] = vector(counted, self.around.weights(own.distinct, when))
        return found

    def excerpt(self, slug: str, when: float) -> dict[str, float]:
        """For "do the excerpts agree": here a word only one article uses counts, against agreement."""
        found = self._excerpts.get(slug)
        if found is None:
            own, around = self.words[slug], self.around
            unique = math.log((around.articles(when) + 1) / 1.5)
            weights, counts = around.weights(own.excerpt, when), around.dfs(own.excerpt, when)
            weight = {w: weights[w] if counts[w] > 1 else unique for w in own.excerpt}
            found = self._excerpts[slug] = vector(((w, 1.0) for w in own.excerpt), weight)
        return found

    def headline_repeats(self, headline: frozenset[str], when: float) -> int:
        """How many articles around ``when`` carry this headline's words, word for word."""
        found, reach = self.surroundings.carried.get(headline, []), self.around.reach(when)
        return bisect.bisect_right(found, when + reach) - bisect.bisect_left(found, when - reach)


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


def text_pairs(
    span: Sequence[Article], sources: Sequence[int], weighing: Weighing, window: float
) -> list[tuple[float, int, int]]:
    """The pairs (score, i, j) of positions in ``span`` (articles in time order) with ``i`` in ``sources`` and ``j``
    after it within the window; ``span`` must hold every article within the window after each source. The same
    headline from two outlets scores :data:`STRONG`."""
    words, around = weighing.words, weighing.around
    times = [a.published.timestamp() for a in span]
    article_words = [words[a.slug] for a in span]
    outlets = [a.provider.key if a.provider else None for a in span]
    headlines = [frozenset(own.title) for own in article_words]
    keys = [_keys(own, when, around) for own, when in zip(article_words, times, strict=True)]
    keysets = [frozenset(found) for found in keys]
    # A pair shares a key in both headlines before it is looked at: postings of headline keys only.
    postings: dict[str, list[int]] = defaultdict(list)  # word -> positions whose headline has it as a key, in order
    placed = []  # each article's headline keys, with where it stands in their postings
    for i, found in enumerate(keys):
        where = []
        for word in headlines[i].intersection(found):
            posting = postings[word]
            where.append((word, len(posting)))
            posting.append(i)
        placed.append(sorted(where))
    pairs: list[tuple[float, int, int]] = []
    for i in sources:
        titled: set[int] = set()
        latest = times[i] + window
        for word, at in placed[i]:
            for j in postings[word][at + 1 : at + 1 + POSTINGS_SCANNED]:  # later articles only: each pair once
                if times[j] > latest:
                    break
                titled.add(j)
        # One shared rare word is weak evidence: two are needed before the full comparison, one of them in both
        # headlines (excerpts alone share too many background facts).
        needed = min(SHARED_KEYS, len(keys[i]))
        generic_headline = weighing.headline_repeats(headlines[i], times[i]) >= GENERIC_TITLE_REPEATS
        mine = keysets[i]
        for j in sorted(j for j in titled if len(mine & keysets[j]) >= needed):
            same_outlet = outlets[i] is not None and outlets[i] == outlets[j]
            if (
                not same_outlet
                and not generic_headline
                and _same_headline(headlines[i], headlines[j])
                and times[j] - times[i] <= SAME_HEADLINE_WITHIN
            ):
                pairs.append((STRONG, i, j))
                continue
            score = cosine(weighing.combined(span[i].slug, times[i]), weighing.combined(span[j].slug, times[j]))
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
            lone = len(headlines[i] & headlines[j] & mine & keysets[j]) < SHARED_KEYS
            if (generic or lone) and cosine(
                weighing.excerpt(span[i].slug, times[i]), weighing.excerpt(span[j].slug, times[j])
            ) < (LONE_KEY_EXCERPT_MIN if lone else EXCERPT_MIN):
                continue
            pairs.append((round(score, 9), i, j))
    return pairs


def _same_headline(a: frozenset[str], b: frozenset[str]) -> bool:
    """One headline, word for word (case, punctuation and stop words aside). Not "nearly": a headline that
    differs in one word ("The quarry project..." and "The meadow project...") is another story's."""
    return len(a) >= SAME_HEADLINE_WORDS and a == b


def related_pairs(ordered: Sequence[Article], window: float) -> list[tuple[int, int]]:
    """The crawler's own grouping: a ``related`` URL that is exactly one other article of the site, published
    within the window; positions in ``ordered``, each pair once (earlier first)."""
    by_url: dict[str, list[int]] = defaultdict(list)
    for position, article in enumerate(ordered):
        for url in {article.link, article.original_url} - {None}:
            by_url[str(url)].append(position)
    pairs = set()
    for i, article in enumerate(ordered):
        for entry in article.related:
            targets = by_url.get(entry.url or "", [])
            if len(targets) == 1 and (j := targets[0]) != i:
                if abs(ordered[j].published.timestamp() - article.published.timestamp()) <= window:
                    pairs.add((min(i, j), max(i, j)))
    return sorted(pairs)
