"""Values made from one article (its card's HTML, its feed item), reused while the article is unchanged."""
from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Generic, TypeVar

from generator.core.models import Article

V = TypeVar("V")


class ArticleMemo(Generic[V]):
    """Keyed by (slug, variant); an entry keeps the Article it was made from, so a re-read article misses.

    The long-running preview calls :meth:`retain` after each index change, so
    deleted articles do not stay in memory for the life of the process.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], tuple[Article, V]] = {}
        self._slugs: set[str] = set()  # of the entries: a rebuild with no article gone need not look at them

    def get(self, variant: str, article: Article, make: Callable[[Article], V]) -> V:
        hit = self._entries.get((article.slug, variant))
        if hit is not None and hit[0] is article:
            return hit[1]
        value = make(article)
        self._entries[(article.slug, variant)] = (article, value)
        self._slugs.add(article.slug)
        return value

    def retain(self, slugs: Collection[str]) -> None:
        """Forget every article not in ``slugs``."""
        if self._slugs.issubset(slugs):
            return
        self._entries = {key: entry for key, entry in self._entries.items() if key[0] in slugs}
        self._slugs = {slug for slug, _variant in self._entries}

    def slugs(self) -> set[str]:
        return set(self._slugs)
