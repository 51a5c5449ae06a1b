"""Values kept while what they were made from is unchanged: the one memo of the build, in two lifetimes.

Every memo entry is ``key -> (inputs, value)``. A request names the key, the inputs the value is made of and
how to make it; the kept value is returned when the kept inputs are the same object or equal (``==``), else
the value is made again. A value whose equality says less than its identity (a Day kept because its articles
are unchanged) enters the inputs as ``Same(value)``, equal only to itself.

- :class:`Memo`: an entry lives until :meth:`Memo.retain` drops its key (values per article, asked by whichever
  pages happen to render).
- :class:`RoundMemo`: a round (an index, a plan) takes what it needs; :meth:`RoundMemo.end` drops what the
  round did not take, and :meth:`RoundMemo.begin` may forget everything when what all entries rest on changed
  (the configuration, the metadata).

Pure functions of small values (a word's stem, an outlet's initials) use ``functools.lru_cache`` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable
from functools import partial
from typing import Any, Generic, TypeVar

from generator.core.models import Article

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Same:
    """An input equal only to itself."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same) and other.value is self.value

    def __hash__(self) -> int:
        return id(self.value)


def _unchanged(kept: Any, inputs: Any) -> bool:
    return kept is inputs or bool(kept == inputs)


class Memo(Generic[K, V]):
    """Entries kept until :meth:`retain` drops them."""

    def __init__(self) -> None:
        self._entries: dict[K, tuple[Any, V]] = {}

    def take(self, key: K, inputs: Any, make: Callable[[], V]) -> V:
        hit = self._entries.get(key)
        if hit is not None and _unchanged(hit[0], inputs):
            return hit[1]
        value = make()
        self._entries[key] = (inputs, value)
        return value

    def retain(self, keep: Callable[[K], bool]) -> None:
        """Forget every entry whose key ``keep`` refuses."""
        self._entries = {key: entry for key, entry in self._entries.items() if keep(key)}

    def keys(self) -> set[K]:
        return set(self._entries)

    def clear(self) -> None:
        self._entries.clear()


class ArticleMemo(Memo[tuple[str, str], V]):
    """Values made from one article (its card's HTML, its feed item), keyed by (slug, variant) and made from
    the article itself: a re-read article that differs misses.

    The long-running preview calls :meth:`retain_articles` after each index change, so deleted articles do not
    stay in memory for the life of the process.
    """

    def get(self, variant: str, article: Article, make: Callable[[Article], V]) -> V:
        return self.take((article.slug, variant), article, partial(make, article))

    def retain_articles(self, slugs: Collection[str]) -> None:
        """Forget every article not in ``slugs``."""
        self.retain(lambda key: key[0] in slugs)

    def slugs(self) -> set[str]:
        return {slug for slug, _variant in self._entries}


class RoundMemo(Generic[K, V]):
    """Entries kept from one round to the next while a round takes them."""

    def __init__(self) -> None:
        self._last: dict[K, tuple[Any, V]] = {}
        self._next: dict[K, tuple[Any, V]] = {}

    def begin(self, *, forget: bool = False) -> None:
        """Start a round; ``forget``: nothing kept may be taken (what every entry rests on changed)."""
        if forget:
            self._last = {}
        self._next = {}

    def take(self, key: K, inputs: Any, make: Callable[[], V]) -> V:
        """The value kept under ``key`` if made from the same inputs, else ``make()``'s. A key taken twice in
        one round (two page kinds planned from one part) is made once."""
        kept = self._next.get(key) or self._last.get(key)
        value = kept[1] if kept is not None and _unchanged(kept[0], inputs) else make()
        self._next[key] = (inputs, value)
        return value

    def end(self) -> None:
        """The round is complete: what it took is what the next one may take."""
        self._last, self._next = self._next, {}
