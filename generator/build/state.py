"""What one build leaves for the next: the build state, apart from the control flow in builder.py.

Everything here is data derived from the inputs (files read with their
content digests, configuration, metadata, index, page plan, the fingerprint
of every page as last rendered and what the output holds), so the next build
can tell what changed. Fingerprints are made from content, never from
counters, so a state written to disk would mean the same to the next process.
The planning memos (plan_memo.py, the days memo) are data too: each entry
keeps what it was made from and is checked before use.
Process-bound things (the lock, the Jinja environment, rendered fragments)
stay in the Builder.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from generator.content.files import ContentFiles, FileStat, Source
from generator.content.metadata import Metadata
from generator.core.memo import ArticleMemo, RoundMemo
from generator.core.models import Article, OutputPage, Problem, SiteConfig, SiteIndex
from generator.index import site_index as index
from generator.index.days import DayMemo
from generator.index.site_index import DescribedMemo
from generator.pages import plan
from generator.pages.plan_memo import PlanMemo
from generator.stories.grouping import StoryGrouper

# What the index and the page plan read of an article, as they declare it: an edit that changes
# none of these (a headline, an excerpt, a body) keeps the index and plan and re-renders only the
# pages that show the article.
STRUCTURE_FIELDS = tuple(sorted(index.READS | plan.READS))
_structure_of = operator.attrgetter(*STRUCTURE_FIELDS)  # one C call per article, not a generator of getattrs


def structure(article: Article) -> tuple[Any, ...]:
    found: tuple[Any, ...] = _structure_of(article)
    return found


# What a build sets once its pages are rendered and published; everything else is settled before they render.
SET_BY_PUBLISHING = ("rendered", "rendered_inputs", "copied", "owned", "published", "step_memo")


def shared_with_the_state(record: tuple[str, Source]) -> tuple[object | None, ...]:
    """What the rest of the state refers to in a build cache record: the index, plan and stamps key by source
    and slug, the stories hold the articles and their words, the stamps the publish time, and an article the
    index describes with metadata (site_index.apply_metadata) is a copy holding the same texts and coverage.
    Outlets and topics need no place here: they unpickle as one object each (core/models.py)."""
    path, source = record
    article = source.article
    if article is None:
        return (path, source.digest)
    return (
        path,
        source.digest,
        article,
        article.slug,
        article.title,
        article.excerpt,
        article.body_html,
        article.link,
        article.original_url,
        article.published,
        article.story_words,
        *article.related,
        *article.images,
    )


@dataclass
class BuildState:
    content: ContentFiles  # files read, with digests and problems
    config: SiteConfig | None = None
    metadata: Metadata | None = None
    shown_metadata: Metadata | None = None  # metadata without images of missing files
    index: SiteIndex | None = None
    pages: list[OutputPage] = field(default_factory=list)  # the plan (set it with replan)
    slugs: dict[str, str] = field(default_factory=dict)  # source -> resolved slug
    structure_as_read: dict[str, tuple[Any, ...]] = field(
        default_factory=dict
    )  # source -> fields the index and plan read
    slug_problems: list[Problem] = field(default_factory=list)
    available: frozenset[str] = frozenset()  # output paths of static files and content assets
    missing: dict[str, str] = field(default_factory=dict)  # site-relative images naming no file -> first user
    rendered: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # output path -> fingerprint of its last render
    rendered_inputs: dict[str, tuple[str, str]] = field(
        default_factory=dict
    )  # source -> (digest, slug) as last rendered
    copied: dict[str, tuple[Path, FileStat | None]] = field(default_factory=dict)  # static files as last copied
    owned: frozenset[str] | None = None  # what the output's mark lists, once known
    published: dict[str, int] = field(default_factory=dict)  # each owned file's cache.published_stat(), as published
    stale: bool = True  # index and plan must be rebuilt from scratch
    template_stats: dict[str, Any] = field(default_factory=dict)
    asset_names: dict[str, str] = field(default_factory=dict)  # css/site.css -> css/site.<hash>.css
    grouper: StoryGrouper | None = None  # the stories, with each article's words, for the next change
    regroup_nearby: bool = False  # the preview's faster, nearly exact regrouping (stories/grouping.py)
    step_memo: dict[str, Any] = field(default_factory=dict)  # the steps' own record (core/options.StepInput)
    mirrored: dict[str, Any] = field(
        default_factory=dict
    )  # remote picture URL -> mirror.Mirrored, or None: not mirrored
    plan_memo: PlanMemo = field(default_factory=PlanMemo, repr=False, compare=False)  # the last plan's pages, per unit
    days_memo: DayMemo = field(default_factory=RoundMemo, repr=False, compare=False)  # each day as last built
    article_facts: ArticleMemo[Any] = field(
        default_factory=ArticleMemo, repr=False, compare=False
    )  # per article, while unchanged
    described: DescribedMemo = field(default_factory=DescribedMemo, repr=False, compare=False)  # articles with metadata
    # Which pages show each source: made when an edit first asks (a build that re-plans never needs it).
    _by_source: dict[str, list[OutputPage]] | None = field(default=None, repr=False, compare=False)

    def replan(self, pages: list[OutputPage]) -> None:
        self.pages, self._by_source = pages, None

    def take_config(self, config: SiteConfig) -> bool:
        """The settings as read now; True if they changed (everything is planned and rendered again)."""
        if config == self.config:
            return False
        self.config, self.stale = config, True
        return True

    def take_template_stats(self, stats: dict[str, Any]) -> bool:
        """Each template file's stat; True if any was added, removed or changed (every page renders again)."""
        changed = stats != self.template_stats
        self.template_stats = stats
        return changed

    def take_asset_names(self, names: dict[str, str]) -> bool:
        """The fingerprinted stylesheet and script names; True if any changed (every page renders again)."""
        changed = names != self.asset_names
        self.asset_names = names
        return changed

    def take_metadata(self, metadata: Metadata) -> None:
        """The topics' and outlets' metadata as read now; names and logos may change on any page."""
        if metadata != self.metadata:
            self.metadata = metadata
            self.stale = True
            self.rendered.clear()

    def pages_showing(self, source: str) -> list[OutputPage]:
        if self._by_source is None:
            self._by_source = pages_by_source(self.pages)
        return self._by_source.get(source, [])

    def cache_records(self) -> list[tuple[str, Source]]:
        """The build cache's records: each content file as read (a large site's written each apart,
        build/cache_layout.py)."""
        return list(self.content.sources.items())

    def settled_before_render(self) -> dict[str, Any]:
        """The build cache's first part: all but the records and what publishing sets (the cache writes it while
        pages render)."""
        settled = {k: v for k, v in self.__getstate__().items() if k not in SET_BY_PUBLISHING}
        return {**settled, "content": replace(self.content, sources={})}

    def settled_by_publishing(self) -> dict[str, Any]:
        """The build cache's last part."""
        return {k: self.__dict__[k] for k in SET_BY_PUBLISHING}

    @classmethod
    def from_cache(cls, records: list[tuple[str, Source]], parts: tuple[dict[str, Any], ...]) -> BuildState:
        values = {k: v for part in parts for k, v in part.items()}
        values["content"].sources = dict(records)  # before __setstate__, which reads them
        state = cls.__new__(cls)
        state.__setstate__(values)
        return state

    def __getstate__(self) -> dict[str, Any]:
        """For the build cache: what can be derived again quickly is not written (the pickler keeps a table of
        every object it writes, which doubles as it grows: a tuple more per article can push it past a doubling)."""
        return {
            **self.__dict__,
            "_by_source": None,
            "article_facts": ArticleMemo(),
            "described": DescribedMemo(),
            "structure_as_read": None,
        }

    def __setstate__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
        if self.structure_as_read is None:  # as the last index read them: its files, before any is read again
            sources = self.content.sources
            self.structure_as_read = {
                source: structure(entry.article)
                for source in self.slugs
                if (entry := sources.get(source)) is not None and entry.article is not None
            }


def pages_by_source(pages: list[OutputPage]) -> dict[str, list[OutputPage]]:
    """Which planned pages show each content file."""
    found: dict[str, list[OutputPage]] = {}
    for page in pages:
        for source in page.sources:
            found.setdefault(source, []).append(page)
    return found
