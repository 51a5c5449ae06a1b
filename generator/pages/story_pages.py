"""Pure: what pages show of a story (its coverage across outlets) and the full-coverage page kind.

A card or a river line says "+N outlets: names" and links the story's page (a lone article with
``related`` coverage links its own list); an article page says "Full coverage: N outlets" and lists the
story's other articles and the crawler's ``related`` entries in time order; the story page
``/stories/<id>/`` lists every report, the site's and the related ones, in time order. The outlets are
counted once, by stories/reach.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from generator.core import urls
from generator.core.models import Article, Image, OutputPage, Provider, RelatedStory, SiteIndex, Story, TopicRef
from generator.pages.kinds import PageKind, PlanInput, Site, StoryStamp
from generator.stories.reach import reach, time_order


@dataclass(frozen=True)
class Coverage:
    """What a card, a day entry or an article page shows of an article's reach (stories/reach.py)."""

    path: str  # where every report is listed: the story's page, or a lone article's own coverage list
    outlets: tuple[Provider, ...]  # the distinct outlets that reported it, here or elsewhere
    reports: int
    story: bool  # path is a story's full-coverage page (else the article's own list of other reports)

    def others(self, article: Article) -> tuple[Provider, ...]:
        """The outlets besides the article's own ("+N outlets")."""
        own = article.provider.key if article.provider else None
        return tuple(p for p in self.outlets if p.key != own)


@dataclass(frozen=True)
class CoverageItem:
    """One report of a story in a coverage list: on this site or elsewhere."""

    title: str
    href: str | None  # a site path (an article of the site) or an external http(s) URL
    source: str
    published: datetime | None
    image: Image | None
    external: bool
    provider: Provider | None = None  # its logo, or a monogram in a colour of its own


def coverage(index: SiteIndex, slug: str) -> Coverage | None:
    """The reach of ``slug``'s story (or of the article alone); None when no other report is known."""
    story = index.story(slug)
    found = index.story_reach[story.id] if story else reach([index.articles[slug]])
    if found.reports < 2:
        return None
    path = urls.story_path(story.id) if story else urls.article_path(slug) + "#coverage"
    return Coverage(path, found.outlets, found.reports, story is not None)


def coverage_of(index: SiteIndex, slugs: Iterable[str]) -> dict[str, Coverage]:
    return {slug: found for slug in slugs if (found := coverage(index, slug)) is not None}


def shown_sources(index: SiteIndex, slugs: Sequence[str]) -> tuple[str, ...]:
    """The files a list of cards shows: its articles, then the other articles of their stories (outlet names)."""
    sources = [index.articles[s].source for s in slugs]
    for slug in slugs:
        story = index.story(slug)
        if story is not None:
            sources += [index.articles[m].source for m in story.members if m != slug]
    return tuple(sources)


def stories_of_each(index: SiteIndex, slugs: Sequence[str]) -> tuple[Story | None, ...]:
    """The story of each article (None when it has none): what :func:`shown_sources` reads besides the slugs,
    as a plan memo's input (two lookups a slug, both in C)."""
    return tuple(map(index.stories.get, map(index.story_of.get, slugs)))  # type: ignore[arg-type]


def related_items(related: Iterable[RelatedStory]) -> list[CoverageItem]:
    return [
        CoverageItem(
            entry.title,
            entry.url,
            entry.provider.name if entry.provider else "",  # the template names an unknown outlet
            entry.published,
            entry.image,
            external=True,
            provider=entry.provider,
        )
        for entry in related
    ]


def site_item(article: Article, base_path: str) -> CoverageItem:
    return CoverageItem(
        article.title,
        urls.site_url(base_path, urls.article_path(article.slug)),
        article.provider.name if article.provider else "",
        article.published,
        article.lead_image,
        external=False,
        provider=article.provider,
    )


def also_covered(index: SiteIndex, article: Article, base_path: str) -> list[CoverageItem]:
    """Every other report of the article's story, the site's articles and the related coverage, in time order."""
    story = index.story(article.slug)
    members = [index.articles[m] for m in story.members] if story else [article]
    others = [other for other in members if other.slug != article.slug]
    items = [site_item(other, base_path) for other in others] + related_items(reach(members).related)
    return sorted(items, key=lambda item: time_order(item.published))


def story_topics(members: Sequence[Article]) -> list[TopicRef]:
    """The topics of a story's articles, the most shared first."""
    counts = Counter(topic for article in members for topic in article.topics)
    return sorted(counts, key=lambda topic: (-counts[topic], topic.name.casefold(), topic.slug))


def _plan_stories(given: PlanInput) -> list[OutputPage]:
    index = given.index
    return [
        OutputPage(
            urls.output_file(urls.story_path(story.id)),
            "story.html",
            "story",
            story.id,
            sources=tuple(
                index.articles[s].source for s in (story.lead, *(m for m in story.members if m != story.lead))
            ),
            stamp=StoryStamp(index.common_topics),
        )
        for story in index.stories.values()
    ]


def _story_context(site: Site, page: OutputPage) -> dict[str, Any]:
    index = site.index
    story: Story = index.stories[page.key or ""]
    members = [index.articles[s] for s in story.members]
    reports = [site_item(a, site.config.base_path) for a in members] + related_items(reach(members).related)
    return {
        "page_path": urls.url_path(page.path),
        "story": story,
        "lead": index.articles[story.lead],
        "articles": members,
        "reports": sorted(reports, key=lambda item: time_order(item.published)),
        "topics": story_topics(members),
        "coverage": coverage(index, story.lead),
        "common_topics": index.common_topics,
    }


KIND = PageKind("story", _plan_stories, _story_context, sitemap="list")
