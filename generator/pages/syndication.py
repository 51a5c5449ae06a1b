"""Pure: the machine-readable outputs: feeds, sitemaps, robots.txt and the JSON API.

They are built from published articles only, also in a preview build. Like
HTML pages they are planned cheaply (sources + stamp) and get their context
only when rendered. A sitemap's stamp *is* its list of (path, lastmod), so an
edited headline never re-renders a 10,000-URL sitemap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

from generator.core import urls
from generator.core.models import JSON_OUTPUT, Article, Collection, OutputPage, SiteConfig, SiteIndex, Story
from generator.index.groups import COLLECTION_KINDS
from generator.pages.items import api_item, iso, json_feed, json_feed_item
from generator.pages.kinds import ApiStamp, FeedStamp, PageKind, PlanInput, RowsStamp, Site, SitemapStamp
from generator.pages.paging import older_page, stable_chunks, top_page
from generator.pages.story_pages import coverage

COLLECTIONS_BY_NAME = {kind.name: kind for kind in COLLECTION_KINDS}

FEED_SIZE = 50
SITEMAP_LIMIT = 50_000  # the sitemap protocol's limit per file
NEWS_SITEMAP_WINDOW = timedelta(days=2)
NEWS_SITEMAP_LIMIT = 1_000  # Google News' limit per sitemap
SITE = "site"  # the scope of the site-wide feeds and API list; the others are collection kinds


@dataclass(frozen=True)
class Scope:
    """The whole site or one collection, with its published stories newest first."""

    kind: str  # SITE or a collection kind's name
    key: str | None
    title: str
    slugs: tuple[str, ...]


def _published(index: SiteIndex, slugs: Iterable[str]) -> tuple[str, ...]:
    """The published of these articles: on a public build all of them (the lists of every topic and outlet
    pass through here, three times a plan: no flag is looked up when there are no drafts)."""
    drafts = index.unpublished
    return tuple(slugs) if not drafts else tuple([s for s in slugs if s not in drafts])


def _scopes(index: SiteIndex) -> list[Scope]:
    scopes = [Scope(SITE, None, "", _published(index, index.newest))]
    for kind in COLLECTION_KINDS:
        scopes += [
            Scope(kind.name, g.key, g.name, _published(index, g.articles))
            for g in index.collections[kind.name].values()
        ]
    return scopes


def _collection(index: SiteIndex, scope: str, key: str | None) -> Collection | None:
    return None if scope == SITE else index.collections[scope][key or ""]


def _feed_folder(index: SiteIndex, scope: str, key: str | None) -> str:
    group = _collection(index, scope, key)
    return group.path() if group else ""


def _api_section(scope: str) -> str:
    return "news" if scope == SITE else COLLECTIONS_BY_NAME[scope].section


# --- feeds --------------------------------------------------------------------------


def _plan_feeds(given: PlanInput) -> list[OutputPage]:
    index = given.index
    site_updated = newest_story(index)
    pages: list[OutputPage] = []
    for scope in _scopes(index):
        shown = tuple([index.articles[s] for s in scope.slugs[:FEED_SIZE]])
        pages += given.reuse(
            ("feed", (scope.kind, scope.key)),
            (scope.title, shown, None if shown else site_updated),
            partial(_feed_pages, index, scope, shown, site_updated),
        )
    return pages


def _feed_pages(index: SiteIndex, scope: Scope, shown: tuple[Article, ...], site_updated: datetime) -> list[OutputPage]:
    # Atom requires <updated> even on an empty feed: then the site's newest story. It is
    # in the stamp, so an empty feed is re-rendered when the site's newest story changes.
    stamp = FeedStamp(scope.kind, scope.title, max((a.updated or a.published for a in shown), default=site_updated))
    folder = _feed_folder(index, scope.kind, scope.key)
    sources = tuple(a.source for a in shown)
    return [
        OutputPage(folder + "feed.xml", "feed.xml", "feed", scope.key, sources=sources, stamp=stamp),
        OutputPage(folder + "feed.json", JSON_OUTPUT, "feed_json", scope.key, sources=sources, stamp=stamp),
    ]


def _feed(site: Site, page: OutputPage) -> dict[str, Any]:
    config, stamp = site.config, page.stamp
    assert isinstance(stamp, FeedStamp)
    group = _collection(site.index, stamp.scope, page.key)
    folder = _feed_folder(site.index, stamp.scope, page.key)
    return {
        "title": f"{config.title} · {stamp.title}" if stamp.title else config.title,
        "description": (
            site.translate("%(about)s on %(site)s.", about=group.about, site=config.title)
            if group
            else config.description
        ),
        "home_url": _absolute(config, folder),
        "atom_url": _absolute(config, folder + "feed.xml"),
        "json_url": _absolute(config, folder + "feed.json"),
        "updated": stamp.updated,
    }


def _atom_context(site: Site, page: OutputPage) -> dict[str, Any]:
    return {"page_path": page.path, "feed": _feed(site, page), "items": _items(site, page)}


def _json_feed_context(site: Site, page: OutputPage) -> dict[str, Any]:
    items = [site.items.get("feed", a, lambda a: json_feed_item(a, site.config)) for a in _items(site, page)]
    return {"data": json_feed(_feed(site, page), items, site.config)}


def _items(site: Site, page: OutputPage) -> list[Article]:
    return [site.index.article_of(s) for s in page.sources]


def _absolute(config: SiteConfig, target: str) -> str:
    return urls.absolute_url(config.base_url, config.base_path, target)


# --- sitemaps and robots.txt ----------------------------------------------------------


def _plan_sitemaps(given: PlanInput) -> list[OutputPage]:
    """One sitemap of every page while it fits the protocol's limit, else an index of parts.

    The parts do not move as stories arrive: the article pages (newest first, as planned) are cut
    from the oldest end as list pages are (paging.py), so a new article changes the newest part and
    older parts keep their bytes, and crawlers can skip them by their lastmod in the index; the
    other pages, whose lastmods move with every new story anyway, follow in parts of their own.
    """
    index = given.index
    newest = max((a.updated or a.published for a in index.articles.values()), default=None)
    # Each published file's lastmod, looked up once per file shown (a list page shows twenty or more).
    modified = {a.source: a.updated or a.published for a in index.articles.values() if a.is_published}
    listing = {name: kind.sitemap for name, kind in given.kinds.items()}
    articles: list[tuple[str, datetime | None]] = []
    others: list[tuple[str, datetime | None]] = []
    for page in given.planned:
        how = listing[page.kind]
        if how == "article":  # most pages: one lookup, no list
            if (lastmod := modified.get(page.sources[0])) is not None:
                articles.append((urls.url_path(page.path), lastmod))
        elif how == "list":
            others.append(
                (urls.url_path(page.path), max([modified[s] for s in page.sources if s in modified], default=newest))
            )
    if len(articles) + len(others) <= SITEMAP_LIMIT:  # article pages are planned first: this is the plan's order
        return [OutputPage("sitemap.xml", "sitemap.xml", "sitemap", stamp=SitemapStamp((*articles, *others)))]
    # A first part holds up to twice the chunk size: the chunk is half the limit.
    parts = [(f"sitemap-articles-{n}.xml", tuple(chunk)) for n, chunk in stable_chunks(articles, SITEMAP_LIMIT // 2)]
    parts += [
        (f"sitemap-pages-{n}.xml", tuple(others[i : i + SITEMAP_LIMIT]))
        for n, i in enumerate(range(0, len(others), SITEMAP_LIMIT), start=1)
    ]
    parts = [(path, part) for path, part in parts if part]
    pages = [OutputPage(path, "sitemap.xml", "sitemap", path, stamp=SitemapStamp(part)) for path, part in parts]
    index_entries = tuple((path, max((d for _p, d in part if d), default=None)) for path, part in parts)
    pages.append(OutputPage("sitemap.xml", "sitemap_index.xml", "sitemap_index", stamp=SitemapStamp(index_entries)))
    return pages


def _sitemap_context(site: Site, page: OutputPage) -> dict[str, Any]:
    assert isinstance(page.stamp, SitemapStamp)
    return {"page_path": page.path, "entries": page.stamp.entries}


def _sitemap_index_context(site: Site, page: OutputPage) -> dict[str, Any]:
    assert isinstance(page.stamp, SitemapStamp)
    return {"page_path": page.path, "sitemaps": page.stamp.entries}


def _plan_news_sitemap(given: PlanInput) -> list[OutputPage]:
    """Articles from the two days before the newest one (the build's "now" is its newest story)."""
    index = given.index
    published = _published(index, index.newest)
    recent: list[str] = []
    if published:
        start = index.articles[published[0]].published - NEWS_SITEMAP_WINDOW
        for slug in published:
            if index.articles[slug].published < start or len(recent) == NEWS_SITEMAP_LIMIT:
                break
            recent.append(slug)
    return [
        OutputPage(
            "news-sitemap.xml",
            "news_sitemap.xml",
            "news_sitemap",
            sources=tuple(index.articles[s].source for s in recent),
        )
    ]


# --- the JSON API ------------------------------------------------------------------


def _plan_api_lists(given: PlanInput) -> list[OutputPage]:
    pages: list[OutputPage] = []
    for scope in _scopes(given.index):
        # Each item's story and its count of outlets (which the story's other articles change).
        stories = tuple(
            (story, len(given.index.story_reach[story].outlets) if story else 0)
            for story in map(given.index.story_of.get, scope.slugs)
        )
        pages += given.reuse(
            ("api_list", (scope.kind, scope.key)),
            (scope, stories),
            partial(_api_list_pages, given.index, scope, stories, given.config.page_size),
        )
    return pages


def _api_list_pages(
    index: SiteIndex, scope: Scope, stories: tuple[tuple[str | None, int], ...], size: int
) -> list[OutputPage]:
    top = top_page(len(scope.slugs), size)
    return [
        OutputPage(
            urls.api_path(_api_section(scope.kind), scope.key, n) + "index.json",
            JSON_OUTPUT,
            "api_list",
            scope.key,
            number=n,
            sources=tuple(index.articles[s].source for s in shown),
            stamp=ApiStamp(scope.kind, scope.title, older_page(n, top), tuple(listed)),
        )
        for (n, shown), (_n, listed) in zip(stable_chunks(scope.slugs, size), stable_chunks(stories, size), strict=True)
    ]


def _api_list_context(site: Site, page: OutputPage) -> dict[str, Any]:
    stamp, config = page.stamp, site.config
    assert isinstance(stamp, ApiStamp)
    section = _api_section(stamp.scope)
    next_page = _absolute(config, urls.api_path(section, page.key, stamp.older) + "index.json") if stamp.older else None
    return {
        "data": {
            "title": stamp.title or config.title,
            "page": page.number,
            "value": [_api_item(site, a) for a in _items(site, page)],
            "nextPage": next_page,
        }
    }


def _api_item(site: Site, article: Article) -> dict[str, Any]:
    story_id = site.index.story_of.get(article.slug)
    story = urls.site_url(site.config.base_path, urls.story_path(story_id)) if story_id else None
    found = coverage(site.index, article.slug)
    outlets = len(found.outlets) if found else int(article.provider is not None)
    return site.items.get(f"api {story} {outlets}", article, lambda a: api_item(a, site.config, story, outlets))


def _published_stories(index: SiteIndex) -> list[tuple[Story, tuple[str, ...]]]:
    """Stories with two or more published articles (and those articles), the newest coverage first."""
    found = [(story, _published(index, story.members)) for story in index.stories.values()]
    found = [(story, members) for story, members in found if len(members) > 1]
    return sorted(found, key=lambda pair: (-index.articles[pair[1][-1]].published.timestamp(), pair[0].id))


def _plan_api_stories(given: PlanInput) -> list[OutputPage]:
    index = given.index
    stories = _published_stories(index)
    top = top_page(len(stories), given.config.page_size)
    return [
        OutputPage(
            urls.api_path("stories", None, n) + "index.json",
            JSON_OUTPUT,
            "api_stories",
            number=n,
            sources=tuple(
                index.articles[s].source
                for story, members in shown
                for s in (story.lead, *(m for m in members if m != story.lead))
                if s in members
            ),
            stamp=ApiStamp("story", "Stories", older_page(n, top), tuple(story.id for story, _members in shown)),
        )
        for n, shown in stable_chunks(stories, given.config.page_size)
    ]


def _api_stories_context(site: Site, page: OutputPage) -> dict[str, Any]:
    assert isinstance(page.stamp, ApiStamp)
    index, config = site.index, site.config

    def path(target: str) -> str:
        return urls.site_url(config.base_path, target)

    value = []
    for story_id in page.stamp.stories:
        story = index.stories[story_id or ""]
        members = _published(index, story.members)
        lead = story.lead if story.lead in members else members[0]
        value.append(
            {
                "id": story.id,
                "path": path(urls.story_path(story.id)),
                "url": _absolute(config, urls.story_path(story.id)),
                "title": index.articles[lead].title,
                "lead": path(urls.article_path(lead)),
                "members": [path(urls.article_path(m)) for m in members],
                "publishedDateTime": iso(index.articles[members[0]].published),
                "updatedDateTime": iso(index.articles[members[-1]].published),
            }
        )
    older = page.stamp.older
    next_page = _absolute(config, urls.api_path("stories", None, older) + "index.json") if older else None
    return {"data": {"title": "Stories", "page": page.number, "value": value, "nextPage": next_page}}


def _plan_api_indexes(given: PlanInput) -> list[OutputPage]:
    """One document per kind of collection listing every group with its count of published stories."""
    scopes = _scopes(given.index)
    return [
        OutputPage(
            urls.api_path(kind.section) + "index.json",
            JSON_OUTPUT,
            "api_index",
            kind.name,
            stamp=RowsStamp(tuple((s.key or "", s.title, None, len(s.slugs)) for s in scopes if s.kind == kind.name)),
        )
        for kind in COLLECTION_KINDS
    ]


def _api_index_context(site: Site, page: OutputPage) -> dict[str, Any]:
    assert isinstance(page.stamp, RowsStamp)
    kind = COLLECTIONS_BY_NAME[page.key or ""]
    value = [
        {
            "name": name,
            "key": key,
            "count": count,
            "url": _absolute(site.config, kind.path(key, 1)),
            "api": _absolute(site.config, urls.api_path(kind.section, key) + "index.json"),
        }
        for key, name, _logo, count in page.stamp.rows
    ]
    return {"data": {"title": kind.section.capitalize(), "page": 1, "value": value, "nextPage": None}}


def _path_only(site: Site, page: OutputPage) -> dict[str, Any]:
    return {"page_path": page.path}


def _news_sitemap_context(site: Site, page: OutputPage) -> dict[str, Any]:
    return {"page_path": page.path, "items": _items(site, page)}


# After every HTML kind: the sitemap lists the pages planned before it.
KINDS: list[PageKind] = [
    PageKind("feed", _plan_feeds, _atom_context),
    PageKind("feed_json", lambda given: [], _json_feed_context),  # planned with the Atom feed of the same scope
    PageKind("sitemap", _plan_sitemaps, _sitemap_context),
    PageKind("sitemap_index", lambda given: [], _sitemap_index_context),  # planned with the sitemaps it lists
    PageKind("news_sitemap", _plan_news_sitemap, _news_sitemap_context),
    PageKind("robots", lambda given: [OutputPage("robots.txt", "robots.txt", "robots")], _path_only),
    PageKind("api_list", _plan_api_lists, _api_list_context),
    PageKind("api_index", _plan_api_indexes, _api_index_context),
    PageKind("api_stories", _plan_api_stories, _api_stories_context),
]


def newest_story(index: SiteIndex) -> datetime:
    newest = index.articles[index.newest[0]] if index.newest else None
    return (newest.updated or newest.published) if newest else datetime(2000, 1, 1, tzinfo=timezone.utc)
