"""What a build is asked to do (:class:`BuildOptions`, :class:`Changes`) and what it reports (:class:`BuildResult`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from generator.core.models import OutputPage, Problem, SiteConfig, SiteIndex


@dataclass(frozen=True)
class BuildOptions:
    content_dir: Path
    output_dir: Path
    config_path: Path | None = None
    include_unpublished: bool = False
    strict: bool = False
    quiet: bool = False
    now: datetime | None = None  # "today" for date checks; defaults to the clock
    base_url: str | None = None  # overrides site.yaml's (serve uses its own address)
    force: bool = False  # publish into a non-empty folder this generator did not create (its files are kept)
    allow_empty: bool = False  # publish a site with no articles over an earlier build
    fingerprint_assets: bool = True  # link stylesheets by content hash (the never-cached preview does not)
    jobs: int | None = None  # worker processes for one-off builds; None: one per core
    cache: bool = True  # start from the last build's state in .cache/ beside the output (--no-cache: from nothing)

    @property
    def cache_dir(self) -> Path:
        """Where every cache of the build and the output's lock live: the project's ``.cache/newsdigest`` beside
        site.yaml, or ``$XDG_CACHE_HOME/newsdigest`` (``~/.cache/newsdigest``) for a build with no site.yaml."""
        if self.config_path is not None:
            return self.config_path.parent / ".cache" / "newsdigest"
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsdigest"

    @property
    def site_dir(self) -> Path:
        """Where the site's own templates/ and static/ live: beside site.yaml."""
        return self.config_path.parent if self.config_path else Path.cwd()


@dataclass
class WriteReport:
    """What publishing did: the files written and removed, and how many were already as planned."""

    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    swapped: bool = False  # published by swapping in a whole new tree


@dataclass(frozen=True)
class Changes:
    """What changed since the last build, as the file watcher classified it."""

    content: frozenset[str] = frozenset()  # paths relative to the content folder
    templates: bool = False
    static: bool = False
    config: bool = False


@dataclass
class BuildResult:
    articles: int = 0  # articles published into the output
    skipped: int = 0  # files with errors (left out, or kept at their last good version by serve)
    unpublished_left_out: int = 0
    pages: int = 0
    rendered: int = 0
    problems: list[Problem] = field(default_factory=list)
    report: WriteReport = field(default_factory=WriteReport)
    seconds: float = 0.0
    failed: str = ""  # why nothing was written, if so

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def summary(self, new_warnings: int | None = None) -> str:
        """One line; ``new_warnings`` (the preview, which shows a warning once): how many were not shown before."""
        warnings = f"{len(self.warnings)} warnings"
        if new_warnings is not None and self.warnings:
            warnings += (
                " (unchanged)"
                if new_warnings == 0
                else f" ({new_warnings} new)"
                if new_warnings < len(self.warnings)
                else ""
            )
        if self.failed:
            head = f"Build failed, output left untouched: {self.failed}"
        else:
            head = (
                f"Built {self.pages} pages from {self.articles} articles: "
                f"{len(self.report.written)} written, {len(self.report.removed)} removed, "
                f"{self.report.unchanged} unchanged"
            )
        return (
            f"{head}. {self.skipped} skipped, {warnings}, "
            f"{self.unpublished_left_out} unpublished left out ({self.seconds:.2f} s)"
        )


@dataclass(frozen=True)
class StepInput:
    """What a build step that runs after rendering (a search index) sees of this build."""

    index: SiteIndex
    config: SiteConfig
    pages: Sequence[OutputPage]
    read: Callable[[str], bytes]  # an output file's bytes as this build publishes it, staged or unchanged
    owned: Collection[str] = ()  # what the output held from earlier builds (its mark), for a step to keep
    published: Callable[[str], Path] | None = None  # where one of those files is now
    # The files this build stages anew (None: unknown). Every other planned file is as the last build made it.
    restaged: Collection[str] | None = None
    # The steps' own record, kept with the build state from one build to the next (None: none is kept).
    memo: dict[str, Any] | None = None
    # Called once by a step while it waits for other processes, so that this one works meanwhile.
    while_waiting: Callable[[], None] = lambda: None
    # A folder a step may leave the files it returns in (as Paths); removed once they are staged.
    scratch: Path | None = None


# A step returns (output path, bytes) pairs, or (output path, a file holding them): a large output need not sit
# in memory. They go through the publisher like pages: part of the atomic publish, never rewritten when
# unchanged, removed when a later build no longer makes them.
StepOutput = tuple[str, bytes | Path]
OutputStep = Callable[[StepInput], Iterable[StepOutput]]
