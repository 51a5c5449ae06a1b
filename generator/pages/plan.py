"""The registry of page kinds, in planning order, and the two things done with it.

A new kind of page (a day, a story, the search page) is one :class:`PageKind`
entry here (or in the module that groups its kind of output) plus a template.
"""

from __future__ import annotations

from typing import Any

from generator.core.models import OutputPage, SiteConfig, SiteIndex
from generator.pages import digest_feeds, digest_pages, syndication
from generator.pages import lists as pages
from generator.pages.kinds import PageKind, PlanInput, Site
from generator.pages.plan_memo import PlanMemo

# The article fields planning reads besides the index's (feeds' and sitemaps' dates, what is
# published); tests/unit/test_declared_reads.py fails on an undeclared read.
READS = frozenset({"source", "slug", "published", "updated", "is_published", "topics"})

# HTML kinds first: the sitemap lists the pages planned before it.
REGISTRY: tuple[PageKind, ...] = (*pages.KINDS, *digest_pages.KINDS, *syndication.KINDS, *digest_feeds.KINDS)
BY_NAME: dict[str, PageKind] = {kind.name: kind for kind in REGISTRY}
assert len(BY_NAME) == len(REGISTRY), "two page kinds share a name"


def plan_site(index: SiteIndex, config: SiteConfig, memo: PlanMemo | None = None) -> list[OutputPage]:
    """Every page of the site, as cheap records; nothing is rendered here. ``memo``: the last plan's pages, which
    the kinds take where what they are made of is unchanged (the same pages, found sooner)."""
    if memo is not None:
        memo.start(index, config)
    planned: list[OutputPage] = []
    for kind in REGISTRY:
        if kind.wanted(config):
            planned += kind.plan(PlanInput(index, config, tuple(planned), BY_NAME, memo))
    if memo is not None:
        memo.end()
    return planned


def page_context(site: Site, page: OutputPage) -> dict[str, Any]:
    """The template context of one planned page (each template's header comment documents it)."""
    return BY_NAME[page.kind].context(site, page)
