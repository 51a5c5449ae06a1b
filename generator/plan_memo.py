"""What a plan may take from the last one: each unit's pages (an article's page, a day's), kept while what they are made of is equal.

A structural change (a new article, a moved date) re-plans the whole site, and in the preview that is most of
what a new article costs: 10,000 article pages planned again, nearly all as before. A planner names a unit and
the values its pages are made of (``inputs``); when the last plan made the unit from equal inputs, its pages are
taken as they are. Planners look files up by slug, which inputs do not show, so the memo starts empty whenever
a slug names another file than it did (a collision resolved differently, a rename), or the configuration changed.

The build cache keeps it with the rest of the state (a build in a new process plans a new article as the
preview does); a plan without one plans everything.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .models import SiteConfig, SiteIndex

Unit = tuple[str, Hashable]  # (what is planned: a page kind, a part of one; which: a slug, a day)
T = TypeVar("T")


class Same:
    """An input equal only to itself: for values whose equality says less than their identity (a Day the index
    kept because its articles are unchanged, see days.py)."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same) and other.value is self.value

    def __hash__(self) -> int:
        return id(self.value)


@dataclass
class PlanMemo:
    _last: dict[Unit, tuple[tuple[Any, ...], Any]] = field(default_factory=dict)
    _next: dict[Unit, tuple[tuple[Any, ...], Any]] = field(default_factory=dict)
    _made_with: tuple[dict[str, str], SiteConfig | None] = ({}, None)  # the last plan's slug -> source, and configuration

    def begin(self, index: SiteIndex, config: SiteConfig) -> None:
        """Start a plan: forget everything if a slug moved to another file or the configuration changed."""
        sources = {slug: article.source for slug, article in index.articles.items()}
        before, config_before = self._made_with
        if config != config_before or any(before.get(slug, source) != source for slug, source in sources.items()):
            self._last = {}
        self._made_with, self._next = (sources, config), {}

    def take(self, unit: Unit, inputs: tuple[Any, ...], make: Callable[[], T]) -> T:
        """The unit's pages (or a value they are planned from): the last plan's if made from equal inputs, else ``make()``'s."""
        kept = self._next.get(unit) or self._last.get(unit)  # _next: two kinds may plan from one part
        planned: T = kept[1] if kept is not None and kept[0] == inputs else make()
        self._next[unit] = (inputs, planned)
        return planned

    def end(self) -> None:
        """The plan is complete: what it made is what the next one may take (units not planned are dropped)."""
        self._last, self._next = self._next, {}
