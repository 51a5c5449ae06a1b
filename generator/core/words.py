"""Pure: the words of a headline or excerpt that say which story it reports, and their weights.

Headlines of one event spell names differently ("Dall-E 3" / "DALLE-3",
"self-driving" / "self driving") and abbreviate institutions ("National
Transportation Safety Board" / "NTSB"), so a hyphenated word counts as its
parts and as one word, and a run of three or more capitalised words adds its
initials.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_WORD = re.compile(r"[a-z0-9]+")
# Starting only where a word starts, never giving back letters once taken: the same matches as
# "[a-z0-9]+(?:[-.][a-z0-9]+)+", which backtracks through every word of a text.
_COMPOUND = re.compile(r"(?<![a-z0-9])[a-z0-9]++(?:[-.][a-z0-9]++)+")
_NAME_RUN = re.compile(r"\b(?:[A-Z][a-z]+ ){2,}[A-Z][a-z]+")
_STOP = frozenset(
    """
a about above after again against all also am an and any are as at be because been before being below between both
but by can could did do does doing down during each few for from further had has have having he her here hers him his
how i if in into is it its itself just me more most my new no nor not now of off on once only or other our ours out over
own same she should so some such than that the their theirs them then there these they this those through to too under
until up very was we were what when where which while who whom why will with would you your says said say how one two
""".split()
)


def terms(text: str) -> list[str]:
    """Lower-case words without stop words, plurals folded ("models" -> "model"), compounds and initials added."""
    lowered = text.lower()
    found = _WORD.findall(lowered)
    if "-" in lowered or "." in lowered:
        found += [compound.replace("-", "").replace(".", "") for compound in _COMPOUND.findall(lowered)]
    words = ["".join(word[0] for word in run.split()).lower() for run in _NAME_RUN.findall(text)]
    words += [folded for folded in map(_fold, found) if folded]
    return words


@functools.lru_cache(maxsize=1 << 16)  # a pure function of a word; a site's vocabulary repeats
def _fold(word: str) -> str:
    """The word as compared ("" for a stop word or a single character)."""
    if word in _STOP or len(word) < 2:
        return ""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@dataclass(frozen=True)
class Words:
    """One article's terms, kept while the article is unchanged (tuples: a set per article costs many
    times the memory)."""

    title: tuple[str, ...]
    excerpt: tuple[str, ...]
    distinct: tuple[str, ...]  # every word of either, once


def words_of(title: str, excerpt: str) -> Words:
    in_title, in_excerpt = terms(title), terms(excerpt)
    return Words(tuple(in_title), tuple(in_excerpt), tuple(dict.fromkeys(in_title + in_excerpt)))


def vector(words: Iterable[tuple[str, float]], weight: Mapping[str, float]) -> dict[str, float]:
    """Unit-length vector of (word, count) pairs times each word's weight."""
    out: dict[str, float] = {}
    for word, count in words:
        out[word] = out.get(word, 0.0) + count * weight[word]
    norm = math.sqrt(sum(v * v for v in out.values())) or 1.0
    return {word: v / norm for word, v in out.items()}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(word, 0.0) for word, v in a.items())
