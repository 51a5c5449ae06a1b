"""What a page kind is: how its pages are planned, what its template gets, and its stamps.

Every kind of output (an article page, a topic list, a feed, the sitemap) is
one :class:`PageKind` in the registry (``plan.REGISTRY``). A stamp is a small
frozen dataclass holding every value a page shows besides its source
articles: two plans with equal template, sources and stamp render the same
bytes, so an unchanged stamp lets an incremental build skip the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from generator.core.memo import ArticleMemo
from generator.core.models import Image, OutputPage, SiteConfig, SiteIndex, TopicRef
from generator.pages.plan_memo import PlanMemo, T, Unit

Row = tuple[str, str, Image | None, int]  # key, name, logo, number of stories


@dataclass(frozen=True)
class ArticleStamp:
    focus: TopicRef | None  # the topic that names the "More on" sidebar
    common_topics: frozenset[str] = frozenset()  # not offered as search filters (SiteIndex.common_topics)


@dataclass(frozen=True)
class StoryStamp:
    common_topics: frozenset[str]


@dataclass(frozen=True)
class ListStamp:
    name: str
    logo: Image | None
    size: int  # stories in the whole list
    pages: int
    today: date | None = None  # the home page names days relative to it
    common: frozenset[str] = frozenset()  # topics on nearly every story: their pills are left out
    side: tuple[Any, ...] = ()  # what a side column shows besides the list (the home page's days and topics)


@dataclass(frozen=True)
class RowsStamp:
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class FeedStamp:
    scope: str  # "site" or a collection kind's name
    title: str
    updated: datetime  # Atom's <updated>, also for an empty feed


@dataclass(frozen=True)
class ApiStamp:
    scope: str  # "site", "story" or a collection kind's name
    title: str
    older: int | None  # the next page when reading from the newest (paging.older_page)
    stories: tuple[Any, ...] = ()  # each article listed: its story id (its "story" field) and count of outlets


@dataclass(frozen=True)
class SitemapStamp:
    entries: tuple[tuple[str, datetime | None], ...]  # (URL path or sitemap file, lastmod)


@dataclass(frozen=True)
class PlanInput:
    index: SiteIndex
    config: SiteConfig
    planned: Sequence[OutputPage]  # what the kinds before this one planned
    kinds: Mapping[str, PageKind]
    memo: PlanMemo | None = None  # the last plan's pages, per unit (pages/plan_memo.py)

    def reuse(self, unit: Unit, inputs: tuple[Any, ...], make: Callable[[], T]) -> T:
        """``make()``, or what the last plan made for ``unit`` from equal ``inputs``: every value it is made of
        besides the files its slugs name."""
        return make() if self.memo is None else self.memo.take(unit, inputs, make)


@dataclass(frozen=True)
class Site:
    """What a context function may read. ``translate``: an interface string in the site's language, filled in
    (``translate("%(about)s on %(site)s.", about=..., site=...)``); the few strings made in Python use it."""

    index: SiteIndex
    config: SiteConfig
    items: ArticleMemo[dict[str, Any]]  # feed and API items, made once per article
    translate: Callable[..., str] = lambda message, **values: message % values if values else message  # noqa: E731
    first_weekday: int = 0  # the calendar's first column: 0 Monday ... 6 Sunday


@dataclass(frozen=True)
class PageKind:
    name: str
    plan: Callable[[PlanInput], list[OutputPage]]
    context: Callable[[Site, OutputPage], dict[str, Any]]
    # How the sitemap lists its pages: not at all, as a list (lastmod: its newest story) or as one
    # article (left out when that article is unpublished).
    sitemap: Literal["no", "list", "article"] = "no"
    # The site.yaml switch (a boolean SiteConfig field: "digest", "search") without which it has no pages.
    needs: str = ""

    def wanted(self, config: SiteConfig) -> bool:
        return not self.needs or bool(getattr(config, self.needs))
