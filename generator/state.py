"""What one build leaves for the next: the build state, apart from the control flow in build.py.

Everything here is data derived from the inputs (files read with their
content digests, configuration, metadata, index, page plan, the fingerprint
of every page as last rendered and what the output holds), so the next build
can tell what changed. Fingerprints are made from content, never from
counters, so a state written to disk would mean the same to the next process.
Process-bound things (the lock, the Jinja environment, memo caches) stay in
the Builder.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .content import ContentFiles
from .metadata import Metadata
from .models import OutputPage, Problem, SiteConfig, SiteIndex
from .stories import StoryGrouper


@dataclass
class BuildState:
    content: ContentFiles  # files read, with digests and problems
    config: SiteConfig | None = None
    metadata: Metadata | None = None
    shown_metadata: Metadata | None = None  # metadata without images of missing files
    index: SiteIndex | None = None
    pages: list[OutputPage] = field(default_factory=list)
    pages_by_source: dict[str, list[OutputPage]] = field(default_factory=dict)
    slugs: dict[str, str] = field(default_factory=dict)  # source -> resolved slug
    structure_as_read: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # source -> fields the index and plan read
    slug_problems: list[Problem] = field(default_factory=list)
    available: frozenset[str] = frozenset()  # output paths of static files and content assets
    missing: dict[str, str] = field(default_factory=dict)  # site-relative images naming no file -> first user
    rendered: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # output path -> fingerprint of its last render
    copied: dict[str, tuple[Path, tuple[int, int] | None]] = field(default_factory=dict)  # static files as last copied
    owned: frozenset[str] | None = None  # what the output's mark lists, once known
    stale: bool = True  # index and plan must be rebuilt from scratch
    template_stats: dict[str, Any] = field(default_factory=dict)
    asset_names: dict[str, str] = field(default_factory=dict)  # css/site.css -> css/site.<hash>.css
    grouper: StoryGrouper | None = None  # the stories, with each article's words, for regrouping only near a change
    mirrored: dict[str, Any] = field(default_factory=dict)  # remote picture URL -> mirror.Mirrored, or None: not mirrored

    def __getstate__(self) -> dict[str, Any]:
        """For the build cache: what can be derived again quickly is not written."""
        state = dict(self.__dict__)
        state["pages_by_source"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if self.pages_by_source is None:
            self.pages_by_source = pages_by_source(self.pages)


def pages_by_source(pages: list[OutputPage]) -> dict[str, list[OutputPage]]:
    """Which planned pages show each content file."""
    found: dict[str, list[OutputPage]] = {}
    for page in pages:
        for source in page.sources:
            found.setdefault(source, []).append(page)
    return found
