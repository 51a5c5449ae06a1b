"""What a plan may take from the last one: each unit's pages (an article's page, a day's), kept while what
they are made of is equal.

A structural change (a new article, a moved date) re-plans the whole site, and in the preview that is most of
what a new article costs: 10,000 article pages planned again, nearly all as before. A planner names a unit and
the values its pages are made of (``inputs``); when the last plan made the unit from equal inputs, its pages are
taken as they are. Planners look files up by slug, which inputs do not show, so the memo starts empty whenever
a slug names another file than it did (a collision resolved differently, a rename), or the configuration changed.

The build cache keeps it with the rest of the state, so a build in a new process plans a new article as the
preview does. The units planned one per article are written as columns: their inputs and pages are objects the
state holds anyway, and a tuple and a list per article would grow the pickler's table of every object it writes
past a doubling. A plan without a memo plans everything.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, TypeVar

from generator.core.memo import RoundMemo
from generator.core.models import SiteConfig, SiteIndex

T = TypeVar("T")
Unit = tuple[str, Hashable]  # (what is planned: a page kind, a part of one; which: a slug, a day)
PER_ARTICLE = frozenset(
    {"article"}
)  # kinds planned one unit (of one page) per article: the cache keeps them as columns


class PlanMemo(RoundMemo[Unit, Any]):
    """The last plan's units; a plan starts with :meth:`start`, takes units with :meth:`take` and ends with
    :meth:`end`."""

    def __init__(self) -> None:
        super().__init__()
        # The last plan's slug -> source, and its configuration.
        self._made_with: tuple[dict[str, str], SiteConfig | None] = ({}, None)

    def start(self, index: SiteIndex, config: SiteConfig) -> None:
        """Start a plan: forget everything if a slug moved to another file or the configuration changed."""
        sources = {slug: article.source for slug, article in index.articles.items()}
        before, config_before = self._made_with
        self._made_with = (sources, config)
        self.begin(
            forget=config != config_before
            or any(before.get(slug, source) != source for slug, source in sources.items())
        )

    def __getstate__(self) -> dict[str, Any]:
        """For the build cache: the units planned per article as columns (see above)."""
        rows: dict[str, list[tuple[Hashable, tuple[Any, ...], Any]]] = {kind: [] for kind in PER_ARTICLE}
        others = {}
        for unit, (inputs, planned) in self._last.items():
            if unit[0] in rows and len(planned) == 1:
                rows[unit[0]].append((unit[1], inputs, planned))
            else:
                others[unit] = (inputs, planned)
        columns = {
            kind: (
                tuple(key for key, _i, _p in found),
                tuple(zip(*(i for _k, i, _p in found), strict=True)),
                tuple(page for _k, _i, planned in found for page in planned),
            )
            for kind, found in rows.items()
        }
        return {**self.__dict__, "_last": others, "_next": {}, "_columns": columns}

    def __setstate__(self, values: dict[str, Any]) -> None:
        columns = values.pop("_columns")
        self.__dict__.update(values)
        for kind, (keys, inputs, pages) in columns.items():
            self._last.update(
                ((kind, key), (given, [page]))
                for key, given, page in zip(keys, zip(*inputs, strict=True), pages, strict=True)
            )
