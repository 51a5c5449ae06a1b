"""The build: the one place where the order of the pipeline lives.

    read changed files -> resolve slugs -> index -> plan pages
    -> render the pages whose inputs changed (staged beside the output)
    -> commit to the output in link-safe order.

Nothing in the output changes until every page has rendered. A
:class:`Builder` keeps what it read and rendered, so that ``serve`` can
rebuild after a change by re-reading only the changed files and re-rendering
only the pages that show them. A one-off build is a Builder used once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

import jinja2

from generator.build.cache import Manifest, Saving, published_stats, state_cache
from generator.build.pictures import mirror_pictures
from generator.build.reindex import fingerprint, patch_index, rebuild_index_and_plan
from generator.build.state import BuildState, shared_with_the_state
from generator.build.steps import stage_files_and_steps
from generator.build.transaction import claim_output, open_publisher, publishing_problems, record_publish, staging
from generator.content.files import ContentFiles, file_stat
from generator.content.inputs import input_stats
from generator.content.local_files import missing_problems
from generator.content.metadata import load_metadata
from generator.content.read import ReadResult, read_article, read_limits
from generator.content.sources import scan_layered
from generator.core import urls
from generator.core.budget import roomy
from generator.core.config import load_config
from generator.core.interrupts import Interrupted, held_while_publishing
from generator.core.memory import give_back_free_memory
from generator.core.models import Article, OutputPage, Problem
from generator.core.options import BuildOptions, BuildResult, Changes, OutputStep, WriteReport
from generator.core.parallel import map_chunks
from generator.core.progress import Progress
from generator.images import mirror
from generator.index.days import local_day_now
from generator.publish.output import OutputLock
from generator.publish.write import Publisher
from generator.render.assets import fingerprinted_names
from generator.render.environment import BUILTIN_TEMPLATES, preload_templates, theme_folder
from generator.render.session import RenderSession, render_order
from generator.search.pagefind import search_index

__all__ = ["BuildOptions", "BuildResult", "Builder", "Changes", "build"]

BUILTIN_STATIC = theme_folder("static")


# Writing the build cache holds a table of every object it writes, and what it made for them, until the cache is
# finished (a fifth to a quarter of the build's own memory), and Pagefind's processes run beside it.
CACHE_WRITING_SHARE = 0.5


def build(options: BuildOptions) -> BuildResult:
    return Builder(options).build()


class Builder:
    def __init__(self, options: BuildOptions, preview: bool = False, steps: Sequence[OutputStep] = ()) -> None:
        self.options = options
        # Run after rendering, in order; their files are published with the pages. The search index is one
        # (not in the preview, where serve indexes in the background: Pagefind would delay each reload).
        self.steps = tuple(steps) if preview else (*steps, search_index)
        # In serve (a long-running preview), a file that breaks keeps its last good
        # version on the site, and replaced output trees are deleted in the background.
        self.preview = preview
        self.state = BuildState(
            ContentFiles(options.content_dir, exclude=(options.output_dir,), keep_last_good=preview, jobs=options.jobs),
            regroup_nearby=preview,
        )
        self._lock: OutputLock | None = None
        self._rendering = RenderSession(
            [options.site_dir / "templates"], options.include_unpublished, self._compiled, options.site_dir
        )
        self._mirror: mirror.ImageMirror | None = None
        # A one-off build starts from the last one's state; serve keeps its state in memory instead.
        self._cache = None if preview else state_cache(options, self.steps)
        self._started = time.perf_counter()
        self._published = False  # this build's commit is done (an interrupt after it says so)

    # --- the steps, in order ----------------------------------------------------------

    def build(self, changes: Changes | None = None) -> BuildResult:
        """Build once; a one-off builder holds the output's lock only while it builds."""
        self.claim_output()
        self._published = False
        try:
            inputs = self._inputs()
            if changes is None and inputs is not None:
                unchanged = self._unchanged_result(inputs)
                if unchanged is not None:
                    return unchanged
            notes = self._load_cache()
            result = self._build(changes, inputs)
            result.problems[:0] = notes
            return result
        except Interrupted as interrupt:  # said as it stands: before the commit, or after it, the cache unsaved
            raise Interrupted(interrupt.signum, published=interrupt.published or self._published) from None
        finally:
            if not self.preview:
                self.close()

    def _inputs(self) -> object | None:
        """A one-off build: every input file's stat, as the build begins (see content/inputs.py)."""
        if self._cache is None:
            return None
        site = self.options.site_dir
        layered = (BUILTIN_TEMPLATES, site / "templates", site / "i18n", BUILTIN_STATIC, site / "static")
        return input_stats(self.options.content_dir, (self.options.output_dir,), layered, self.options.config_path)

    def _unchanged_result(self, inputs: object) -> BuildResult | None:
        """Nothing changed since the last build began (inputs, day, output): its result, without loading its state."""
        if self._cache is None or not self.options.cache or self.state.index is not None or self.options.strict:
            return None
        started = time.perf_counter()
        result = self._cache.unchanged_result(inputs, self.options.now or datetime.now(timezone.utc))
        if not isinstance(result, BuildResult):
            return None
        return replace(result, problems=list(result.problems), seconds=time.perf_counter() - started)

    def _load_cache(self) -> list[Problem]:
        """Start from the cached state of the last build into this output (once, with the output locked)."""
        if self._cache is None or not self.options.cache or self.state.index is not None:
            return []
        loaded, note = self._cache.load(shared_with_the_state)
        if loaded is not None:
            state = BuildState.from_cache(*loaded)
            state.content.jobs = self.options.jobs
            self.state = state
        return [Problem("cache", 0, note, "note", in_content=False)] if note else []

    def plan_only(self) -> None:
        """Read, index and plan without touching any output (``newsdigest digest`` renders from the plan)."""
        self._load_config()
        self.state.content.rescan(self._read, self._progress)
        self.state.metadata = load_metadata(self.options.content_dir)
        static = scan_layered([BUILTIN_STATIC, self.options.site_dir / "static"])
        self._rebuild_index_and_plan(frozenset(static) | frozenset(self.state.content.assets))

    def render(self, page: OutputPage) -> bytes:
        """One planned page's bytes."""
        return self._render(self._environment(), page)

    def remembered(self) -> dict[str, set[str]]:
        """What this builder keeps of each article for the next build (the preview must forget deleted ones)."""
        return self._rendering.remembered()

    def close(self) -> None:
        """Let other builds use the output (the preview holds it from its first build on)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def claim_output(self) -> None:
        """Refuse an output that could destroy the user's files, then take its lock."""
        if self._lock is None:
            self._lock = claim_output(self.options, self.preview)

    def _build(self, changes: Changes | None, inputs: object | None = None) -> BuildResult:
        """Read, plan, render, publish: each phase stops the build by setting ``result.failed``."""
        started = self._started = time.perf_counter()
        result = BuildResult()
        static, changed = self._read_inputs(changes, result)
        if not result.failed:
            to_render = self._plan(changed, static, result)
            assert self._lock is not None
            publisher = open_publisher(self._lock, self.state, self.preview, self.options.allow_empty, result)
            if not result.failed:
                self._render_and_publish(publisher, to_render, static, changed, inputs, result)
        result.seconds = time.perf_counter() - started
        return result

    def _read_inputs(self, changes: Changes | None, result: BuildResult) -> tuple[dict[str, Path], set[str]]:
        """Settings, templates, static files, content and metadata as they are now; the static files by output
        path, and the content files whose bytes changed."""
        if changes is None or changes.config or self.state.config is None:
            self._load_config()
        if changes is None or changes.templates:
            self._check_templates()
        static_problems: list[Problem] = []
        static = scan_layered([BUILTIN_STATIC, self.options.site_dir / "static"], static_problems)  # once per build
        if self.options.fingerprint_assets and (changes is None or changes.static):
            self._fingerprint_assets(static)
        if changes is None or self.state.index is None:
            changed, metadata_changed = self.state.content.rescan(self._read, self._progress), True
        else:
            changed, metadata_changed = self.state.content.update(changes.content, self._read, self._progress)
        if metadata_changed:
            self.state.take_metadata(load_metadata(self.options.content_dir))
        assert self.state.config is not None and self.state.metadata is not None
        language = list(self._rendering.language(self.state.config).problems)
        result.problems = (
            self.state.content.problems() + list(self.state.metadata.problems) + static_problems + language
        )
        result.skipped = self.state.content.skipped()
        if self.options.strict and result.errors:
            result.failed = f"{len(result.errors)} content errors with --strict"
        return static, changed

    def _plan(self, changed: set[str], static: dict[str, Path], result: BuildResult) -> dict[str, OutputPage]:
        """The index and the page plan, patched after an edit or made again; the pages to render."""
        available = frozenset(static) | frozenset(self.state.content.assets)  # what site-relative images may name
        if available != self.state.available:
            self.state.stale = True  # a referenced image may have appeared or vanished
        if self.state.index is not None and self.state.index.today != self._today():
            self.state.stale = True  # a new day: "Today" on the home page moves (serve overnight, a cached state)
        if self.state.stale or not patch_index(self.state, changed, self._included):
            to_render = self._rebuild_index_and_plan(available)
        elif not self.state.rendered:  # templates changed: same plan, every page re-rendered
            to_render = {p.path: p for p in self.state.pages}
        else:
            to_render = {p.path: p for s in changed for p in self.state.pages_showing(s)}
        self._mirror, to_render = mirror_pictures(
            self.state, self.options.cache_dir, to_render, self._rendering.pictures, result
        )
        searched = (self.options.content_dir, self.options.site_dir / "static")
        result.problems += self.state.slug_problems + missing_problems(self.state.missing, searched)
        result.unpublished_left_out = 0 if self.options.include_unpublished else len(self.state.content.unpublished)
        return to_render

    def _render_and_publish(
        self,
        publisher: Publisher,
        to_render: dict[str, OutputPage],
        static: dict[str, Path],
        changed: set[str],
        inputs: object | None,
        result: BuildResult,
    ) -> None:
        """Stage every page and file, then commit them in one publish (the build cache saved meanwhile)."""
        restatted, self.state.content.restatted = self.state.content.restatted, False  # before the state is saved
        # The cache's first part is written while the workers render (this process would only wait for them);
        # a build that fails or changes nothing leaves no cache being written.
        with Saving(
            self._cache, self.state.cache_records, shared_with_the_state, self.state.settled_before_render
        ) as saving:
            with staging(publisher, self.state) as staged:
                fingerprints, copied = self._stage(publisher, to_render, static, saving, result)
            if not staged.done:  # --strict and a step could not run: nothing is published
                return
            same_state = (
                not changed
                and not restatted
                and not fingerprints
                and copied == self.state.copied
                and not publisher.pending()
            )
            self._commit(publisher, fingerprints, copied, same_state, saving, inputs, result)

    def _stage(
        self,
        publisher: Publisher,
        to_render: dict[str, OutputPage],
        static: dict[str, Path],
        saving: Saving,
        result: BuildResult,
    ) -> tuple[dict[str, Any], Any]:
        """Render the pages (in forked workers for many), copy the files and run the steps, all into staging.
        Returns each rendered page's fingerprint and what was copied."""
        assert self.state.index is not None and self.state.config is not None
        publisher.keep_all(p.path for p in self.state.pages if p.path not in to_render)
        pages = render_order(to_render.values(), self.state.index, by_time=not self.preview)
        publisher.prepare()  # one staging folder, made before any worker forks
        preload_templates(self._environment(), {page.template for page in pages})  # forked workers inherit them
        with self._progress.counting(len(pages), "Rendering") as done:
            chunks = map_chunks(
                partial(self._render_chunk, publisher),
                pages,
                self._worker_jobs,
                done,
                collect=True,
                meanwhile=saving.begin,
            )
        for results in chunks:
            publisher.absorb(results)
        if not self.preview:
            # What rendering kept (cards, feed items, editions, formatted dates) is of no use to the steps after it;
            # freed, its memory serves them and the writing of the cache. A later build makes it again.
            self._rendering.end()
            give_back_free_memory()
        if self._mirror is not None:
            mirror.publish(publisher, self._mirror, set(self._rendering.pictures.values()))
        # Here, not in the workers: the fingerprints then share the plan's stamp objects (in memory and in the cache).
        fingerprints = {page.path: fingerprint(page) for page in pages}
        # The cache's first part is written while Pagefind indexes, if the pages were rendered here and the memory
        # budget has room for the pickler's table beside Pagefind; else once the new site is out.
        meanwhile = saving.begin if roomy(CACHE_WRITING_SHARE) else lambda: None
        copied = stage_files_and_steps(publisher, self.state, self.options, self.steps, static, result, meanwhile)
        return fingerprints, copied

    def _commit(
        self,
        publisher: Publisher,
        fingerprints: dict[str, Any],
        copied: Any,
        same_state: bool,
        saving: Saving,
        inputs: object | None,
        result: BuildResult,
    ) -> None:
        """Publish what was staged, then record it in the state and the build cache."""
        assert self._lock is not None and self.state.index is not None
        if self._cache is not None and not same_state:
            self._cache.discard()  # before the output changes: a build killed while publishing leaves no cache
        try:
            with held_while_publishing():  # an interrupt now ends the build once the new site is complete
                result.report = publisher.commit()
                self._published = True
            result.problems += publishing_problems(publisher, self.options.output_dir)
            record_publish(self.state, publisher.owned, fingerprints, copied)
            result.articles = len(self.state.index.articles)
            result.pages = len(self.state.pages)
            result.rendered = len(fingerprints)
            if self._cache is not None and not same_state:  # while a child deletes the replaced tree
                self.state.published = published_stats(
                    self._lock.place.folder, publisher.owned, result.report.written, self.state.published
                )
                give_back_free_memory()  # what publishing dropped, before the cache's writer takes its share
                saving.finish(
                    self._manifest(inputs, result), self.state.settled_by_publishing(), self.options.output_dir
                )
        except Interrupted:
            publisher.let_go()  # the replaced tree's deletion goes on without us; nothing is waited for
            raise
        finally:
            publisher.finish()

    def _manifest(self, inputs: object | None, result: BuildResult) -> Manifest:
        """What the next build checks before loading the state: if ``inputs`` are the same, it reports ``result``."""
        assert self.state.config is not None and self.state.owned is not None
        unchanged = replace(result, rendered=0, report=WriteReport(unchanged=len(self.state.owned)), seconds=0.0)
        return Manifest(inputs, self._today(), self.state.config.timezone, self.state.published, unchanged)

    @property
    def _worker_jobs(self) -> int | None:
        """Worker processes a step may fork: none in the preview, whose server threads make forking unsafe."""
        return 1 if self.preview else self.options.jobs

    def _render_chunk(self, publisher: Publisher, pages: Sequence[OutputPage]) -> tuple[list[str], int, set[str]]:
        """Render pages into the staging folder; runs in a forked worker for large one-off builds."""
        env = self._environment()
        if not self.preview:
            # Pages come in runs ordered by time (render_order): the cards and items made for articles no page of
            # this run shows are seldom wanted again in this build, and would be kept to its end (in a forked
            # worker, or in this process). The preview keeps them all for its next build.
            self._rendering.retain({slug for page in pages for slug in self._shown_slugs(page)})
        staging = publisher.share()
        for page in pages:
            staging.put(page.path, self._render(env, page))
        return staging.results()

    def _shown_slugs(self, page: OutputPage) -> Iterator[str]:
        for source in page.sources:
            slug = self.state.slugs.get(source)
            if slug is not None:
                yield slug

    def page_of(self, source: str) -> str | None:
        """The output path of a content file's article page, if the last build made one."""
        slug = self.state.slugs.get(source)
        if slug is None or self.state.index is None or slug not in self.state.index.articles:
            return None
        return urls.output_file(urls.article_path(slug))

    def _load_config(self) -> None:
        config = load_config(self.options.config_path)
        if self.state.take_config(replace(config, base_url=self.options.base_url) if self.options.base_url else config):
            self._forget_rendering()

    def _check_templates(self) -> None:
        """Start rendering afresh if any template file was added, removed or changed."""
        files = scan_layered([BUILTIN_TEMPLATES, self.options.site_dir / "templates"])
        files.update({f"i18n/{name}": path for name, path in scan_layered([self.options.site_dir / "i18n"]).items()})
        if self.state.take_template_stats({path: (source, file_stat(source)) for path, source in files.items()}):
            self._forget_rendering()

    def _fingerprint_assets(self, static: dict[str, Path]) -> None:
        """Published pages link stylesheets by content hash; the preview (never cached) does not."""
        if self.state.take_asset_names(fingerprinted_names(static)):
            self._forget_rendering()

    def _forget_rendering(self) -> None:
        self._rendering.end()
        self.state.rendered.clear()

    def _read(self, path: Path, source: str) -> ReadResult:
        config = self.state.config
        assert config is not None
        return read_article(
            path,
            source,
            config.timezone or timezone.utc,
            self.options.now or datetime.now(timezone.utc),
            read_limits(config),
        )

    def _included(self, article: Article) -> bool:
        return article.is_published or self.options.include_unpublished

    # --- index and plan --------------------------------------------------------------

    def _rebuild_index_and_plan(self, available: frozenset[str]) -> dict[str, OutputPage]:
        to_render = rebuild_index_and_plan(self.state, available, self._included, self._today(), self._worker_jobs)
        assert self.state.index is not None
        self._rendering.retain(self.state.index.articles)
        if not self.preview:  # story grouping dropped its word vectors (the preview, waited on, drops little)
            give_back_free_memory()
        return to_render

    def _today(self) -> date:
        assert self.state.config is not None
        return local_day_now(self.options.now or datetime.now(timezone.utc), self.state.config.timezone)

    # --- rendering --------------------------------------------------------------------

    def _render(self, env: jinja2.Environment, page: OutputPage) -> bytes:
        assert self.state.index is not None and self.state.config is not None
        return self._rendering.render(env, page, self.state.index, self.state.config)

    def _environment(self) -> jinja2.Environment:
        assert self.state.config is not None
        return self._rendering.environment(self.state.config, self.state.asset_names)

    def _compiled(self) -> Any:
        """Where compiled templates are kept between processes (never with --no-cache, which ignores every cache)."""
        return self._cache.compiled_templates() if self._cache is not None and self.options.cache else None

    @property
    def _progress(self) -> Progress:
        return Progress(self.options.quiet, self._started)
