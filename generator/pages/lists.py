"""Pure: the HTML page kinds (articles, lists, collection pages and their index pages, 404).

Planning is cheap: a page is its output path, template, what it shows (a
``kind`` and ``key``), the content files it shows (``sources``) and the other
values that can change what it shows (its stamp). The context, with its
Article objects, is built only for pages that are actually rendered, so an
incremental build re-renders a handful of pages without rebuilding 10,000
contexts. Pagination lives here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from typing import Any

from generator.core import urls
from generator.core.models import Article, Collection, CollectionKind, Image, OutputPage, SiteIndex, TopicRef
from generator.index.groups import COLLECTION_KINDS
from generator.pages import story_pages
from generator.pages.kinds import ArticleStamp, ListStamp, PageKind, PlanInput, RowsStamp, Site
from generator.pages.paging import Pagination, nav_stamp, page_slice, stable_chunks, top_page
from generator.pages.story_pages import also_covered, coverage, coverage_of, shown_sources, stories_of_each
from generator.stories.reach import outlet_keys


def _sources(index: SiteIndex, slugs: Sequence[str]) -> tuple[str, ...]:
    return tuple(index.articles[s].source for s in slugs)


def _articles(index: SiteIndex, slugs: Sequence[str]) -> tuple[Article, ...]:
    return tuple(index.articles[s] for s in slugs)


def _base_context(page: OutputPage) -> dict[str, Any]:
    return {"page_path": urls.url_path(page.path)}


def _list_context(
    index: SiteIndex, slugs: Sequence[str], size: int, n: int, path_of: Callable[[int], str]
) -> dict[str, Any]:
    """Page ``n`` of a list: only its own slice, never the whole list's pages."""
    shown = slugs[page_slice(len(slugs), size, n)]
    return {
        "articles": _articles(index, shown),
        "common_topics": index.common_topics,
        "coverage": coverage_of(index, shown),
        "pagination": Pagination(page=n, total=top_page(len(slugs), size), path_of=path_of),
    }


def list_stamp(
    name: str, logo: Image | None, items: int, size: int, n: int, common: frozenset[str], today: date | None = None
) -> ListStamp:
    """What a list page shows besides its stories: the count and the newest page only on page 1 (see paging),
    and the topics whose pills its cards leave out."""
    return ListStamp(name, logo, items if n == 1 else 0, nav_stamp(n, top_page(items, size)), today, common)


# --- articles -----------------------------------------------------------------------


def _plan_articles(given: PlanInput) -> list[OutputPage]:
    index, common = given.index, given.index.common_topics
    planned: list[OutputPage] = []
    for slug, article in index.articles.items():
        story, more, focus = index.story(slug), index.more_on_topic.get(slug, ()), index.focus_topic(article)
        planned += given.reuse(
            ("article", slug), (story, more, focus, common), partial(_article_page, index, slug, more, focus, common)
        )
    return planned


def _article_page(
    index: SiteIndex, slug: str, more: tuple[str, ...], focus: TopicRef | None, common: frozenset[str]
) -> list[OutputPage]:
    return [
        OutputPage(
            path=urls.output_file(urls.article_path(slug)),
            template="article.html",
            kind="article",
            key=slug,
            sources=(*shown_sources(index, (slug,)), *_sources(index, more)),
            stamp=ArticleStamp(focus, common),
        )
    ]


def _article_context(site: Site, page: OutputPage) -> dict[str, Any]:
    article = site.index.articles[page.key or ""]
    return {
        **_base_context(page),
        "article": article,
        "focus_topic": site.index.focus_topic(article),
        "common_topics": site.index.common_topics,
        "more": _articles(site.index, site.index.more_on_topic.get(article.slug, ())),
        "coverage": coverage(site.index, article.slug),
        "covered_by": also_covered(site.index, article, site.config.base_path),
        "day_path": urls.day_path(site.index.day_of[article.slug]),
    }


# --- the home page: the newest stories ------------------------------------------------


def _plan_home(given: PlanInput) -> list[OutputPage]:
    index = given.index
    listed = index.below_top
    size = given.config.page_size
    side = _side_column(index)
    return [
        OutputPage(
            urls.output_file(urls.home_path(n)),
            "home.html",
            "home",
            number=n,
            sources=shown_sources(index, (*shown, *(index.top_stories if n == 1 else ()))),
            stamp=replace(
                list_stamp("", None, len(listed), size, n, index.common_topics, index.today),
                side=side if n == 1 else (),
            ),
        )
        for n, shown in stable_chunks(listed, size)
    ]


SIDE_DAYS = 7  # the newest days the home page's side column links, with their counts
SIDE_TOPICS = 10  # the topics it links: those with the most stories


def _side_column(index: SiteIndex) -> tuple[Any, ...]:
    """What page 1's side column shows besides its articles: the newest days' and the largest topics' counts."""
    days = tuple((day.date, len(day.entries)) for day in list(index.days.values())[:SIDE_DAYS])
    topics = sorted(index.collections["topic"].values(), key=lambda t: (-len(t.entries), t.name.casefold()))
    return days, tuple(
        (t.key, t.name, len(t.entries)) for t in topics[:SIDE_TOPICS] if t.key not in index.common_topics
    )


@dataclass(frozen=True)
class RiverSection:
    """A run of the home page's river under one heading: a day, or quiet days that share one (the template writes
    the heading in the site's language: "Today", the date, or the span from ``first`` to ``last``)."""

    first: date  # the newest day of the run
    last: date  # its oldest (the same day for one day)
    articles: list[Article]

    @property
    def day(self) -> date | None:
        """Its day page, when the section is one day."""
        return self.first if self.first == self.last else None

    @property
    def dated(self) -> bool:
        """Each entry says its date (the section spans days), not only its time."""
        return self.day is None


def river_sections(
    articles: Sequence[Article], day_of: Callable[[Article], date], today: date | None
) -> list[RiverSection]:
    """The river under day headings, newest first. Consecutive days with one story each share a heading: on a
    quiet site a heading per story would leave a screen with three stories on it."""
    days: list[tuple[date, list[Article]]] = []
    for article in articles:
        day = day_of(article)
        if not days or days[-1][0] != day:
            days.append((day, []))
        days[-1][1].append(article)
    sections: list[RiverSection] = []
    run: list[tuple[date, list[Article]]] = []

    def close_run() -> None:
        if run:
            sections.append(RiverSection(run[0][0], run[-1][0], [a for _, day_articles in run for a in day_articles]))
        run.clear()

    for day, day_articles in days:
        if len(day_articles) == 1 and day != today:
            run.append((day, day_articles))
            continue
        close_run()
        sections.append(RiverSection(day, day, day_articles))
    close_run()
    return sections


def _home_context(site: Site, page: OutputPage) -> dict[str, Any]:
    index = site.index
    listed = _list_context(index, index.below_top, site.config.page_size, page.number, urls.home_path)
    top = index.top_stories if page.number == 1 else ()
    newest = index.articles[index.newest[0]] if index.newest else None
    context = {
        **_base_context(page),
        **listed,
        "today": index.today,
        "top_stories": _articles(index, top),
        "updated": newest.published if newest else None,
        "sections": river_sections(listed["articles"], lambda a: index.day_of[a.slug], index.today),
        "coverage": {**listed["coverage"], **coverage_of(index, top)},
    }
    if page.number == 1 and newest is not None:
        context.update(_summary(index, index.day_of[newest.slug]))
        days, topics = _side_column(index)
        context["side_days"] = days
        context["side_topics"] = topics
    return context


def _summary(index: SiteIndex, day: date) -> dict[str, Any]:
    """The top of the home page: which day it leads with and how much happened that day."""
    found = index.days.get(day)
    if found is not None:
        stories, outlets = len(found.entries), found.outlets
    else:  # no day pages (digest: false): counted from the river
        shown = [index.articles[s] for s in index.river if index.day_of[s] == day]
        stories, outlets = len(shown), len(outlet_keys(shown))
    return {
        "summary_day": day,
        "summary_stories": stories,
        "summary_outlets": outlets,
    }


# --- collections: one kind of list page and one index page per kind of group --------


def _plan_collection(kind: CollectionKind, given: PlanInput) -> list[OutputPage]:
    index, pages = given.index, []
    for group in index.collections[kind.name].values():
        pages += given.reuse(
            (kind.name, group.key),
            (group, index.common_topics, stories_of_each(index, group.entries)),
            partial(_collection_pages, kind, index, group, given.config.page_size),
        )
    return pages


def _collection_pages(kind: CollectionKind, index: SiteIndex, group: Collection, size: int) -> list[OutputPage]:
    return [
        OutputPage(
            urls.output_file(group.path(n)),
            f"{kind.name}.html",
            kind.name,
            group.key,
            number=n,
            sources=shown_sources(index, shown),
            stamp=list_stamp(group.name, group.logo, len(group.entries), size, n, index.common_topics),
        )
        for n, shown in stable_chunks(group.entries, size)
    ]


def _collection_context(kind: CollectionKind, site: Site, page: OutputPage) -> dict[str, Any]:
    group = site.index.collections[kind.name][page.key or ""]
    return {
        **_base_context(page),
        kind.name: group,
        **_list_context(site.index, group.entries, site.config.page_size, page.number, group.path),
    }


def _rows(kind: CollectionKind, index: SiteIndex) -> tuple[tuple[Any, ...], ...]:
    return tuple(group.row() for group in index.collections[kind.name].values())


def _plan_collection_index(kind: CollectionKind, given: PlanInput) -> list[OutputPage]:
    return [
        OutputPage(
            urls.output_file(kind.index_path()),
            f"{kind.section}.html",
            kind.section,
            stamp=RowsStamp(_rows(kind, given.index)),
        )
    ]


def _collection_index_context(kind: CollectionKind, site: Site, page: OutputPage) -> dict[str, Any]:
    return {**_base_context(page), kind.section: _rows(kind, site.index)}


def _collection_kinds() -> list[PageKind]:
    lists = [
        PageKind(k.name, partial(_plan_collection, k), partial(_collection_context, k), sitemap="list")
        for k in COLLECTION_KINDS
    ]
    indexes = [
        PageKind(k.section, partial(_plan_collection_index, k), partial(_collection_index_context, k), sitemap="list")
        for k in COLLECTION_KINDS
    ]
    return lists + indexes


KINDS: list[PageKind] = [
    PageKind("article", _plan_articles, _article_context, sitemap="article"),
    story_pages.KIND,
    PageKind("home", _plan_home, _home_context, sitemap="list"),
    *_collection_kinds(),
    PageKind("404", lambda given: [OutputPage("404.html", "404.html", "404")], lambda site, page: _base_context(page)),
    PageKind(
        "search",
        lambda given: [OutputPage("search/index.html", "search.html", "search")],
        lambda site, page: _base_context(page),
        needs="search",
        sitemap="list",
    ),
]
