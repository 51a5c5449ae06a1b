"""Pairs into stories: the strongest evidence first, and two groups joined only while they stay one story.

Two groups merge only if their members are close on average (every member of
one to every member of the other) and their span stays inside the window, so a
story cannot grow by chaining (A like B, B like C, A unlike C).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from generator.core.words import cosine

LINK_MIN = 0.25  # mean cosine of every member of one group to every member of the other, to merge them
LINK_FLOOR = 0.1  # and no two members less alike than this


def merged(
    edges: Iterable[tuple[int, int, bool]],
    vector_of: Callable[[int], dict[str, float]],
    times: Sequence[float],
    window: float,
) -> list[list[int]]:
    """The groups of two or more positions (each in position order, ordered by their first) that ``edges``
    (a, b, strong) form, taken in the order given."""
    groups = _Groups(vector_of, times)
    for a, b, strong in edges:
        groups.merge(a, b, window, strong=strong)
    return groups.all()


class _Groups:
    """Union-find over article positions, with each group's summed vector, members and time span."""

    def __init__(self, vector_of: Callable[[int], dict[str, float]], times: Sequence[float]) -> None:
        self.parent = list(range(len(times)))
        self.vector_of = vector_of
        self.summed: dict[int, dict[str, float]] = {}  # of groups that grew
        self.members = [[i] for i in range(len(times))]
        self.span = [(t, t) for t in times]

    def find(self, i: int) -> int:
        return _root(self.parent, i)

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


def components(size: int, links: Iterable[tuple[int, int]]) -> list[int]:
    """Each position's component (a representative position) in the graph of ``links``."""
    parent = list(range(size))
    for a, b in links:
        ra, rb = _root(parent, a), _root(parent, b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [_root(parent, i) for i in range(size)]


def _root(parent: list[int], i: int) -> int:
    """The representative of ``i`` in a union-find forest (halving the path on the way)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i
