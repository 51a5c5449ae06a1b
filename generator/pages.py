"""Pure: index -> the list of pages to render. Pagination lives here.

Each page gets an explicit context (documented in its template's header) and
the set of content files it shows, so an incremental build knows which pages
a changed file touches. ``stamp`` holds the few other values a page shows
(counts, page numbers, names) so that a change to them is noticed too.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from .models import Article, OutputPage, SiteConfig, SiteIndex
from . import urls


@dataclass(frozen=True)
class Pagination:
    page: int
    total: int
    paths: tuple[str, ...]  # the path of every page, first to last

    @property
    def prev_path(self) -> str | None:
        return self.paths[self.page - 2] if self.page > 1 else None

    @property
    def next_path(self) -> str | None:
        return self.paths[self.page] if self.page < self.total else None

    def window(self, around: int = 2) -> list[tuple[int, str] | None]:
        """Numbered links to show: first, last and ``around`` pages either side; None marks a gap.

        Listing every page would make a 500-page topic cost 500 links per page.
        """
        shown = sorted({1, self.total, *range(max(1, self.page - around), min(self.total, self.page + around) + 1)})
        links: list[tuple[int, str] | None] = []
        for number in shown:
            if links and links[-1] is not None and number - links[-1][0] > 1:
                links.append(None)
            links.append((number, self.paths[number - 1]))
        return links


def plan_pages(index: SiteIndex, config: SiteConfig) -> list[OutputPage]:
    pages: list[OutputPage] = []
    pages += _article_pages(index)
    pages += _paginated(index, index.newest, config.page_size, urls.home_path, "home.html",
                        extra=lambda page: {"top_stories": _articles(index, index.top_stories) if page == 1 else ()},
                        extra_sources=lambda page: index.top_stories if page == 1 else ())
    for topic in index.topics.values():
        pages += _paginated(index, topic.articles, config.page_size,
                            lambda n, slug=topic.slug: urls.topic_path(slug, n), "topic.html",
                            extra=lambda page, t=topic: {"topic": t}, stamp=(topic.name, len(topic.articles)))
    for provider in index.providers.values():
        pages += _paginated(index, provider.articles, config.page_size,
                            lambda n, key=provider.key: urls.provider_path(key, n), "provider.html",
                            extra=lambda page, p=provider: {"provider": p},
                            stamp=(provider.name, provider.logo, len(provider.articles)))
    topic_rows = tuple((t.slug, t.name, len(t.articles)) for t in index.topics.values())
    pages.append(OutputPage(urls.output_file(urls.topics_path()), "topics.html",
                            {"page_path": urls.topics_path(), "topics": topic_rows}, stamp=topic_rows))
    provider_rows = tuple((p.key, p.name, p.logo, len(p.articles)) for p in index.providers.values())
    pages.append(OutputPage(urls.output_file(urls.providers_path()), "providers.html",
                            {"page_path": urls.providers_path(), "providers": provider_rows}, stamp=provider_rows))
    pages.append(OutputPage("404.html", "404.html", {"page_path": "404.html"}))
    return pages


def _articles(index: SiteIndex, slugs: Sequence[str]) -> tuple[Article, ...]:
    return tuple(index.articles[s] for s in slugs)


def _article_pages(index: SiteIndex) -> list[OutputPage]:
    pages = []
    counts = {slug: len(t.articles) for slug, t in index.topics.items()}
    for slug, article in index.articles.items():
        more = _articles(index, index.more_on_topic.get(slug, ()))
        # The sidebar is named after the article's most specific (rarest) topic.
        focus = min(article.topics, key=lambda t: (counts[t.slug], t.slug), default=None)
        path = urls.article_path(slug)
        pages.append(OutputPage(
            path=urls.output_file(path),
            template="article.html",
            context={"page_path": path, "article": article, "more": more, "focus_topic": focus},
            sources=frozenset([article.source, *(m.source for m in more)]),
            stamp=(focus,),
        ))
    return pages


def _paginated(
    index: SiteIndex,
    slugs: Sequence[str],
    page_size: int,
    path_of: Callable[[int], str],
    template: str,
    extra: Callable[[int], dict],
    extra_sources: Callable[[int], Sequence[str]] = lambda page: (),
    stamp: tuple = (),
) -> list[OutputPage]:
    total = max(1, -(-len(slugs) // page_size))
    paths = tuple(path_of(n) for n in range(1, total + 1))
    pages = []
    for n in range(1, total + 1):
        shown = _articles(index, slugs[(n - 1) * page_size : n * page_size])
        also = _articles(index, extra_sources(n))
        pagination = Pagination(page=n, total=total, paths=paths)
        pages.append(OutputPage(
            path=urls.output_file(paths[n - 1]),
            template=template,
            context={"page_path": paths[n - 1], "articles": shown, "pagination": pagination, **extra(n)},
            sources=frozenset(a.source for a in shown + also),
            stamp=(*stamp, n, total),
        ))
    return pages
