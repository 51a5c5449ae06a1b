"""Keeping the index and the page plan in step with the content: patched after an edit, rebuilt otherwise.

The build (builder.py) decides when; this module does it, on the :class:`BuildState`
one build leaves for the next, and says which pages must be rendered again.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, timedelta, timezone
from typing import Any

from generator.build.state import BuildState, structure
from generator.content.local_files import (
    local_images_of,
    metadata_without,
    missing_images,
    references_missing,
    without_missing,
)
from generator.content.read import resolve_slug_collisions
from generator.core.models import Article, OutputPage, Story
from generator.index.site_index import apply_metadata, build_index
from generator.pages.plan import plan_site
from generator.stories.grouping import StoryGrouper

Included = Callable[[Article], bool]  # is this article on the site (published, or drafts shown)


def stories_of(state: BuildState, articles: Iterable[Article], jobs: int | None = 1) -> tuple[Story, ...]:
    """Group coverage across outlets; after a change, only around it (exactly as grouping everything would, but
    in the preview, which regroups only the window around it)."""
    assert state.config is not None
    if not state.config.stories.enabled:
        return ()
    window = timedelta(hours=state.config.stories.window_hours)
    grouper = state.grouper
    if grouper is None or grouper.window != window.total_seconds() or grouper.nearby != state.regroup_nearby:
        state.grouper = grouper = StoryGrouper(window, nearby=state.regroup_nearby)
    return grouper.update(articles, jobs)


def patch_index(state: BuildState, changed: set[str], included: Included) -> bool:
    """Swap re-read articles into the current index when nothing structural changed.

    An edited title or excerpt changes no list, order or sidebar membership,
    so the index and the page plan stay valid; only pages showing the file
    need rendering. Returns False when a full re-index is needed.
    """
    assert state.index is not None and state.metadata is not None
    articles = dict(state.index.articles)
    for source in changed:
        entry = state.content.sources.get(source)
        new = entry.article if entry else None
        before = state.structure_as_read.get(source)
        if new is None or not included(new):
            if before is not None:
                return False  # it left the site
            continue
        if before != structure(new) or references_missing(new, state.available):
            return False
        slug = state.slugs[source]
        articles[slug] = apply_metadata(replace(new, slug=slug), state.shown_metadata or state.metadata)
    if set(stories_of(state, articles.values())) != set(state.index.stories.values()):
        return False  # a new headline moved an article into or out of a story
    state.index = replace(state.index, articles=articles)
    return True


def rebuild_index_and_plan(
    state: BuildState, available: frozenset[str], included: Included, today: date, jobs: int | None = 1
) -> dict[str, OutputPage]:
    """Index and plan from scratch (``jobs``: worker processes it may use); return the pages to render."""
    assert state.config is not None and state.metadata is not None
    shown = [s.article for s in state.content.sources.values() if s.article and included(s.article)]
    state.structure_as_read = {a.source: structure(a) for a in shown}
    articles, state.slug_problems = resolve_slug_collisions(shown)
    state.slugs = {a.source: a.slug for a in articles}
    state.available = available
    facts = state.article_facts
    missing = missing_images(
        articles, state.metadata, state.available, lambda article: facts.get("local images", article, local_images_of)
    )
    if missing.keys() != state.missing.keys():
        state.rendered.clear()  # images appear or vanish on pages whose sources did not change
    state.missing = missing
    state.shown_metadata = metadata_without(state.metadata, missing)
    # An article none of whose images is missing stays the same object (the memos compare identity first).
    if missing:
        articles = [
            article
            if missing.keys().isdisjoint(facts.get("local images", article, local_images_of))
            else without_missing(article, missing)
            for article in articles
        ]
    tz = state.config.timezone or timezone.utc
    state.index = build_index(
        articles,
        state.shown_metadata,
        tz,
        stories_of(state, articles, jobs),
        today,
        days=state.config.digest.enabled,
        previous=state.index,
        jobs=jobs,
        days_memo=state.days_memo,
        described=state.described,
    )
    facts.retain_articles(state.index.articles.keys())
    state.replan(plan_site(state.index, state.config, state.plan_memo))
    state.stale = False
    changed = changed_inputs(state)
    return pages_to_render(state, changed)


_planned_as = operator.attrgetter("template", "kind", "key", "number", "stamp", "sources")


def fingerprint(page: OutputPage) -> tuple[Any, ...]:
    """What a page was planned as: equal fingerprints and unchanged sources render the same bytes.

    Kept for every page in the build cache: the page's own tuples and strings are shared, not copied,
    so the cache holds one small tuple per page.
    """
    return _planned_as(page)


def shown_inputs(state: BuildState) -> dict[str, tuple[str, str]]:
    """Each shown file's content digest and slug: with its page's fingerprint, what a render reads of it."""
    files = state.content.sources
    return {source: (files[source].digest, slug) for source, slug in state.slugs.items()}


def changed_inputs(state: BuildState) -> frozenset[str]:
    """The shown files whose digest or slug differs from when the pages showing them last rendered.

    One pass over the files, not one per page and file shown: a page needs rendering when its
    fingerprint changed or it shows one of these (a set test in C, see :func:`pages_to_render`).
    """
    before = state.rendered_inputs
    return frozenset(source for source, now in shown_inputs(state).items() if before.get(source) != now)


def pages_to_render(state: BuildState, changed: frozenset[str]) -> dict[str, OutputPage]:
    """The planned pages whose fingerprint differs from their last render's or that show a changed file."""
    rendered, untouched = state.rendered.get, changed.isdisjoint  # one loop, no call per page: 18,000 pages at 10,000
    return {p.path: p for p in state.pages if rendered(p.path) != _planned_as(p) or not untouched(p.sources)}
