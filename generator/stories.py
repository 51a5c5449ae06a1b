"""Pure: group the articles that report the same story, across outlets.

Near-linear: candidates come from an inverted index over each article's
rarest title terms, looking only at postings inside the time window, so no
pair of articles is compared unless they share an informative word and were
published close together. Each candidate pair is scored by the cosine of
tf-idf vectors (title words count double), so words many stories share
("AI", "Microsoft", "briefing") weigh little. When the shared title words
are only such common ones, the excerpts must agree too. The crawler's own
grouping (a ``related`` entry whose URL is another article of the site) is
strong evidence and links two articles whatever their words.

Pairs are merged strongest first, and two groups merge only if their
centroids are close and their span stays inside the window, so a story
cannot grow by chaining (A like B, B like C, A unlike C). Everything is
ordered by (published, slug) and ties are broken by slug: the same articles
give the same stories whatever the file order.
"""
from __future__ import annotations

import bisect
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from .models import Article

# The article fields grouping reads (tests/unit/test_declared_reads.py checks it).
READS = frozenset({"slug", "title", "excerpt", "published", "related", "link", "original_url", "quality", "heat"})

DEFAULT_WINDOW = timedelta(hours=72)
PAIR_MIN = 0.18  # cosine of two articles' vectors to call them one story
GROUP_MIN = 0.15  # cosine of two groups' centroids to merge them
LINK_MIN = 0.1  # and every member of one must share at least this much with every member of the other
GENERIC_TITLE_REPEATS = 3  # a headline this many articles carry word for word is generic ("Daily briefing")
EXCERPT_MIN = 0.1  # excerpts must agree this much when the shared title words are common ones
RARE_TITLE_MASS = 6.0  # summed idf of shared title words above which the titles alone are evidence
TERMS_PER_ARTICLE = 6  # rarest title terms used to find candidates
POSTINGS_SCANNED = 64  # nearest postings in time looked at per term (bounds common terms)
SHARED_KEYS = 2  # rare title words two articles must share before they are compared
KEY_DF_FLOOR, KEY_DF_SHARE = 50, 0.005  # a key word is in at most max(50, 0.5% of articles)

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between both
but by can could did do does doing down during each few for from further had has have having he her here hers him his
how i if in into is it its itself just me more most my new no nor not now of off on once only or other our ours out over
own same she should so some such than that the their theirs them then there these they this those through to too under
until up very was we were what when where which while who whom why will with would you your says said say how one two
""".split())


@dataclass(frozen=True)
class Story:
    id: str  # the earliest member's slug: stable while coverage is added later
    lead: str  # highest quality, then heat, then earliest; ties by slug
    members: tuple[str, ...]  # earliest first


def terms(text: str) -> list[str]:
    """Lower-case words without stop words, plurals folded ("models" -> "model")."""
    words = []
    for word in _WORD.findall(text.lower()):
        if word in _STOP or len(word) < 2:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.append(word)
    return words


def _vector(weights: Mapping[str, float], idf: Mapping[str, float]) -> dict[str, float]:
    vector = {term: weight * idf[term] for term, weight in weights.items()}
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {term: v / norm for term, v in vector.items()}


def _cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(term, 0.0) for term, v in a.items())


def _counts(words: Iterable[str], weight: float, into: dict[str, float]) -> dict[str, float]:
    for word in words:
        into[word] = into.get(word, 0.0) + weight
    return into


class _Groups:
    """Union-find over article positions, with each group's centroid, members and time span."""

    def __init__(self, vectors: Sequence[dict[str, float]], times: Sequence[float]) -> None:
        self.vectors = vectors
        self.parent = list(range(len(vectors)))
        self.centroid = [dict(v) for v in vectors]
        self.members = [[i] for i in range(len(vectors))]
        self.span = [(t, t) for t in times]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def merge(self, a: int, b: int, window: float, strong: bool) -> None:
        """Join the groups of ``a`` and ``b`` if the result stays one story; ``strong`` evidence skips the text checks."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        start, end = min(self.span[ra][0], self.span[rb][0]), max(self.span[ra][1], self.span[rb][1])
        if end - start > window:
            return
        ca, cb = self.centroid[ra], self.centroid[rb]
        if not strong:
            norms = math.sqrt(sum(v * v for v in ca.values())) * math.sqrt(sum(v * v for v in cb.values())) or 1.0
            if _cosine(ca, cb) / norms < GROUP_MIN:
                return
            if any(_cosine(self.vectors[i], self.vectors[j]) < LINK_MIN for i in self.members[ra] for j in self.members[rb]):
                return  # close to one member only: that is chaining, not one story
        if len(self.members[ra]) < len(self.members[rb]) or (len(self.members[ra]) == len(self.members[rb]) and rb < ra):
            ra, rb, ca, cb = rb, ra, cb, ca
        for term, v in cb.items():
            ca[term] = ca.get(term, 0.0) + v
        self.parent[rb] = ra
        self.span[ra] = (start, end)
        self.members[ra] += self.members[rb]
        self.centroid[rb], self.members[rb] = {}, []


def group_stories(articles: Iterable[Article], window: timedelta = DEFAULT_WINDOW) -> tuple[Story, ...]:
    """Every story of two or more articles, earliest first. Articles that stand alone are in none."""
    ordered = sorted(articles, key=lambda a: (a.published, a.slug))
    if len(ordered) < 2:
        return ()
    times = [a.published.timestamp() for a in ordered]
    title_words = [terms(a.title) for a in ordered]
    excerpt_words = [terms(a.excerpt) for a in ordered]
    df: dict[str, int] = defaultdict(int)
    for title, excerpt in zip(title_words, excerpt_words, strict=True):
        for term in set(title) | set(excerpt):
            df[term] += 1
    total = len(ordered)
    idf = {term: math.log((total + 1) / (count + 0.5)) for term, count in df.items()}
    titles = [_vector(_counts(words, 1.0, {}), idf) for words in title_words]
    excerpts = [_vector(_counts(words, 1.0, {}), idf) for words in excerpt_words]
    combined = [_vector(_counts(e, 1.0, _counts(t, 2.0, {})), idf) for t, e in zip(title_words, excerpt_words, strict=True)]

    # The crawler's links first (strong: no text checks), then text pairs strongest first; ties by position.
    linked = [(a, b, True) for a, b in _related_edges(ordered, times, window.total_seconds())]
    scored = _text_edges(times, title_words, idf, titles, excerpts, combined, window.total_seconds())
    similar = [(a, b, False) for _score, a, b in sorted(scored, key=lambda edge: (-edge[0], edge[1], edge[2]))]
    groups = _Groups(combined, times)
    for a, b, strong in linked + similar:
        groups.merge(a, b, window.total_seconds(), strong=strong)

    members: dict[int, list[int]] = defaultdict(list)
    for i in range(total):
        members[groups.find(i)].append(i)
    stories = []
    for positions in sorted(members.values()):  # by earliest member: positions follow (published, slug)
        if len(positions) < 2:
            continue
        chosen = [ordered[i] for i in positions]
        lead = min(chosen, key=lambda a: (-a.quality, -a.heat, a.published, a.slug))
        stories.append(Story(id=chosen[0].slug, lead=lead.slug, members=tuple(a.slug for a in chosen)))
    return tuple(stories)


def _text_edges(times: Sequence[float], title_words: Sequence[list[str]],
                idf: Mapping[str, float], titles: Sequence[dict[str, float]], excerpts: Sequence[dict[str, float]],
                combined: Sequence[dict[str, float]], window: float) -> list[tuple[float, int, int]]:
    title_keys = [" ".join(sorted(set(words))) for words in title_words]
    generic_titles: dict[str, int] = defaultdict(int)
    for key in title_keys:
        generic_titles[key] += 1
    postings: dict[str, list[int]] = defaultdict(list)  # term -> positions, in time order
    keys: list[list[str]] = []
    # A word in more than this many articles finds no story, only a theme; its postings would be long.
    common = math.log((len(title_words) + 1) / (max(KEY_DF_FLOOR, KEY_DF_SHARE * len(title_words)) + 0.5))
    for i, words in enumerate(title_words):
        rarest = sorted((t for t in set(words) if idf[t] >= common), key=lambda term: (-idf[term], term))[:TERMS_PER_ARTICLE]
        keys.append(rarest)
        for term in rarest:
            postings[term].append(i)
    edges = []
    for i, rarest in enumerate(keys):
        hits: dict[int, int] = defaultdict(int)
        for term in rarest:
            posting = postings[term]
            start = bisect.bisect_left(posting, i) + 1  # later articles only: each pair once
            for j in posting[start : start + POSTINGS_SCANNED]:
                if times[j] - times[i] > window:
                    break
                hits[j] += 1
        # One shared rare word is weak evidence; two are needed before the full comparison.
        needed = min(SHARED_KEYS, len(rarest))
        for j in sorted(j for j, count in hits.items() if count >= needed):
            score = _cosine(combined[i], combined[j])
            if score < PAIR_MIN:
                continue
            shared = set(titles[i]) & set(titles[j])
            generic = sum(idf[t] for t in shared) < RARE_TITLE_MASS or generic_titles[title_keys[i]] >= GENERIC_TITLE_REPEATS
            if generic and _cosine(excerpts[i], excerpts[j]) < EXCERPT_MIN:
                continue  # generic headlines ("Microsoft Power Apps"): the excerpts must agree too
            edges.append((round(score, 9), i, j))
    return edges


def _related_edges(ordered: Sequence[Article], times: Sequence[float], window: float) -> list[tuple[int, int]]:
    """The crawler's own grouping: a ``related`` URL that is exactly one other article of the site."""
    by_url: dict[str, list[int]] = defaultdict(list)
    for i, article in enumerate(ordered):
        for url in {article.link, article.original_url} - {None}:
            by_url[str(url)].append(i)
    edges = set()
    for i, article in enumerate(ordered):
        for story in article.related:
            targets = by_url.get(story.url or "", [])
            if len(targets) == 1 and targets[0] != i and abs(times[targets[0]] - times[i]) <= window:
                a, b = sorted((i, targets[0]))
                edges.add((a, b))
    return sorted(edges)
