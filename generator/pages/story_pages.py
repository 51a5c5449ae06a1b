"""Pure: what pages show of a story (its coverage across outlets) and the full-coverage page kind.

A card of an article that belongs to a story says "+N outlets" and links the
story's page; an article page says "Full coverage: N outlets" and merges the
story's other articles with the crawler's ``related`` entries; the story page
``/stories/<id>/`` lists every article as a timeline, then the related
coverage no article of the story already is.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from generator.core import urls
from generator.core.models import Article, Image, OutputPage, Provider, SiteIndex, Story, TopicRef
from generator.pages.kinds import PageKind, PlanInput, Site, StoryStamp


@dataclass(frozen=True)
class Coverage:
    """What a card or an article page shows of the story an article belongs to."""

    path: str  # the full-coverage page's URL path
    outlets: tuple[Provider, ...]  # the story's distinct outlets, in order of their first report
    articles: int

    def others(self, article: Article) -> tuple[Provider, ...]:
        """The outlets besides the article's own ("+N outlets")."""
        own = article.provider.key if article.provider else None
        return tuple(p for p in self.outlets if p.key != own)


@dataclass(frozen=True)
class CoverageItem:
    """One entry of "Also covered by" or of a story's related coverage: on this site or elsewhere."""

    title: str
    href: str | None  # a site path (an article of the site) or an external http(s) URL
    source: str
    published: datetime | None
    image: Image | None
    external: bool
    provider: Provider | None = None  # its logo, or a monogram in a colour of its own


def coverage(index: SiteIndex, slug: str) -> Coverage | None:
    story = index.story(slug)
    if story is None:
        return None
    outlets: dict[str, Provider] = {}
    for member in story.members:
        provider = index.articles[member].provider
        if provider is not None:
            outlets.setdefault(provider.key, provider)
    return Coverage(urls.story_path(story.id), tuple(outlets.values()), len(story.members))


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


def _urls_of(article: Article) -> set[str]:
    return {url for url in (article.link, article.original_url) if url}


def related_items(related: Iterable[Any], exclude: set[str]) -> list[CoverageItem]:
    """``related`` entries (RelatedStory) whose URL no article listed already has, each URL once."""
    items = []
    seen = set(exclude)
    for entry in related:
        if entry.url in seen:
            continue
        if entry.url:
            seen.add(entry.url)
        items.append(CoverageItem(entry.title, entry.url, entry.provider.name if entry.provider else "Elsewhere",
                                  entry.published, entry.image, external=True, provider=entry.provider))
    return items


def also_covered(index: SiteIndex, article: Article, base_path: str) -> list[CoverageItem]:
    """The story's other articles (on this site), then the article's ``related`` entries not among them."""
    story = index.story(article.slug)
    others = [index.articles[m] for m in story.members if m != article.slug] if story else []
    items = [CoverageItem(other.title, urls.site_url(base_path, urls.article_path(other.slug)),
                          other.provider.name if other.provider else "", other.published, other.lead_image, external=False,
                          provider=other.provider)
             for other in others]
    exclude = _urls_of(article).union(*(_urls_of(other) for other in others))
    return items + related_items(article.related, exclude)


def story_topics(members: Sequence[Article]) -> list[TopicRef]:
    """The topics of a story's articles, the most shared first."""
    counts = Counter(topic for article in members for topic in article.topics)
    return sorted(counts, key=lambda topic: (-counts[topic], topic.name.casefold(), topic.slug))


def _plan_stories(given: PlanInput) -> list[OutputPage]:
    index = given.index
    return [OutputPage(urls.output_file(urls.story_path(story.id)), "story.html", "story", story.id,
                       sources=tuple(index.articles[s].source
                                     for s in (story.lead, *(m for m in story.members if m != story.lead))),
                       stamp=StoryStamp(index.common_topics))
            for story in index.stories.values()]


def _story_context(site: Site, page: OutputPage) -> dict[str, Any]:
    index = site.index
    story: Story = index.stories[page.key or ""]
    members = [index.articles[s] for s in story.members]
    exclude = set().union(*(_urls_of(a) for a in members))
    related = related_items((entry for article in members for entry in article.related), exclude)
    return {"page_path": urls.url_path(page.path), "story": story, "lead": index.articles[story.lead],
            "articles": members, "related": related, "topics": story_topics(members),
            "coverage": coverage(index, story.lead), "common_topics": index.common_topics}


KIND = PageKind("story", _plan_stories, _story_context, sitemap="list")
