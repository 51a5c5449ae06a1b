"""Pure: index -> the pages to render, and each page's template context.

Planning is cheap: a page is its output path, template, what it shows (a
``kind`` and ``key``), the content files it shows (``sources``) and the other
values that can change what it shows (``stamp``). The context, with its
Article objects, is built only for pages that are actually rendered, so an
incremental build re-renders a handful of pages without rebuilding 10,000
contexts. Pagination lives here.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import urls
from .models import Article, OutputPage, SiteConfig, SiteIndex, TopicRef


@dataclass(frozen=True)
class Pagination:
    """Where one page sits in a list of pages. Paths are computed on demand:
    a 5,000-page list must not cost 5,000 paths on each of its pages."""

    page: int
    total: int
    path_of: Callable[[int], str]  # page number -> page path

    @property
    def prev_path(self) -> str | None:
        return self.path_of(self.page - 1) if self.page > 1 else None

    @property
    def next_path(self) -> str | None:
        return self.path_of(self.page + 1) if self.page < self.total else None

    def window(self, around: int = 2) -> list[tuple[int, str] | None]:
        """Numbered links to show: first, last and ``around`` pages either side; None marks a gap."""
        shown = sorted({1, self.total, *range(max(1, self.page - around), min(self.total, self.page + around) + 1)})
        links: list[tuple[int, str] | None] = []
        for number in shown:
            if links and links[-1] is not None and number - links[-1][0] > 1:
                links.append(None)
            links.append((number, self.path_of(number)))
        return links


# --- planning -----------------------------------------------------------------------


def plan_pages(index: SiteIndex, config: SiteConfig) -> list[OutputPage]:
    size = config.page_size
    pages: list[OutputPage] = []
    counts = {slug: len(t.articles) for slug, t in index.topics.items()}
    for slug, article in index.articles.items():
        focus = _focus_topic(article, counts)
        more = index.more_on_topic.get(slug, ())
        pages.append(OutputPage(
            path=urls.output_file(urls.article_path(slug)), template="article.html", kind="article", key=slug,
            sources=(article.source, *(index.articles[m].source for m in more)),
            stamp=(focus,),
        ))
    home_chunks = chunks(index.newest, size)
    for n, shown in home_chunks:
        also = index.top_stories if n == 1 else ()
        pages.append(_list_page(index, "home", None, n, urls.home_path(n), "home.html", (*shown, *also),
                                (len(home_chunks),)))
    for topic in index.topics.values():
        for n, shown in chunks(topic.articles, size):
            pages.append(_list_page(index, "topic", topic.slug, n, urls.topic_path(topic.slug, n), "topic.html",
                                    shown, (topic.name, len(topic.articles))))
    for provider in index.providers.values():
        for n, shown in chunks(provider.articles, size):
            pages.append(_list_page(index, "provider", provider.key, n, urls.provider_path(provider.key, n),
                                    "provider.html", shown, (provider.name, provider.logo, len(provider.articles))))
    topic_rows = _topic_rows(index)
    pages.append(OutputPage(urls.output_file(urls.topics_path()), "topics.html", "topics", stamp=topic_rows))
    provider_rows = _provider_rows(index)
    pages.append(OutputPage(urls.output_file(urls.providers_path()), "providers.html", "providers", stamp=provider_rows))
    pages.append(OutputPage("404.html", "404.html", "404"))
    return pages


def _list_page(index: SiteIndex, kind: str, key: str | None, n: int, path: str, template: str,
               shown: Sequence[str], stamp: tuple[Any, ...]) -> OutputPage:
    """A page of a paginated list; ``stamp`` must determine the number of pages."""
    return OutputPage(
        path=urls.output_file(path), template=template, kind=kind, key=key, number=n,
        sources=tuple(index.articles[s].source for s in shown),
        stamp=(*stamp, n),
    )


def page_count(items: int, size: int) -> int:
    """Pages a list of ``items`` needs; an empty list still has a page 1."""
    return max(1, -(-items // size))


def chunks(slugs: Sequence[str], size: int) -> list[tuple[int, Sequence[str]]]:
    """(page number, slugs) for each page."""
    total = page_count(len(slugs), size)
    return [(n, slugs[(n - 1) * size : n * size]) for n in range(1, total + 1)]


def _focus_topic(article: Article, counts: dict[str, int]) -> TopicRef | None:
    """The article's most specific (rarest) topic names its "More on" sidebar."""
    return min(article.topics, key=lambda t: (counts[t.slug], t.slug), default=None)


def _topic_rows(index: SiteIndex) -> tuple[tuple[str, str, int], ...]:
    return tuple((t.slug, t.name, len(t.articles)) for t in index.topics.values())


def _provider_rows(index: SiteIndex) -> tuple[tuple[Any, ...], ...]:
    return tuple((p.key, p.name, p.logo, len(p.articles)) for p in index.providers.values())


# --- contexts -----------------------------------------------------------------------


def page_context(index: SiteIndex, config: SiteConfig, page: OutputPage) -> dict[str, Any]:
    """The template context of one planned page (documented in each template's header)."""
    context: dict[str, Any] = {"page_path": urls.url_path(page.path)}
    key = page.key or ""
    if page.kind == "article":
        article = index.articles[key]
        counts = {slug: len(t.articles) for slug, t in ((t.slug, index.topics[t.slug]) for t in article.topics)}
        context.update(article=article, more=_articles(index, index.more_on_topic.get(key, ())),
                       focus_topic=_focus_topic(article, counts))
    elif page.kind == "home":
        context.update(_list_context(index, index.newest, config.page_size, page.number, urls.home_path),
                       top_stories=_articles(index, index.top_stories) if page.number == 1 else ())
    elif page.kind == "topic":
        topic = index.topics[key]
        context.update(_list_context(index, topic.articles, config.page_size, page.number,
                                     lambda n: urls.topic_path(topic.slug, n)), topic=topic)
    elif page.kind == "provider":
        provider = index.providers[key]
        context.update(_list_context(index, provider.articles, config.page_size, page.number,
                                     lambda n: urls.provider_path(provider.key, n)), provider=provider)
    elif page.kind == "topics":
        context["topics"] = _topic_rows(index)
    elif page.kind == "providers":
        context["providers"] = _provider_rows(index)
    return context


def _articles(index: SiteIndex, slugs: Sequence[str]) -> tuple[Article, ...]:
    return tuple(index.articles[s] for s in slugs)


def _list_context(index: SiteIndex, slugs: Sequence[str], size: int, n: int,
                  path_of: Callable[[int], str]) -> dict[str, Any]:
    """Page ``n`` of a list: only its own slice, never the whole list's pages."""
    return {
        "articles": _articles(index, slugs[(n - 1) * size : n * size]),
        "pagination": Pagination(page=n, total=page_count(len(slugs), size), path_of=path_of),
    }
