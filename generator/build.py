"""``build()``: the one place where the order of the pipeline lives.

read every file -> resolve slugs -> index -> plan pages -> render all pages
(staged beside the output) -> commit to the output in link-safe order.
Nothing in the output changes until every page has rendered.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, TypeVar

from tqdm import tqdm

from .config import load_config
from .index import build_index
from .metadata import load_metadata
from .models import Article, Problem, SiteConfig
from .pages import plan_pages
from .read import read_article, resolve_slug_collisions
from .render import BUILTIN_TEMPLATES, make_environment, render_page
from .sources import scan_content, scan_static
from .write import Publisher, WriteReport

BUILTIN_STATIC = BUILTIN_TEMPLATES.parent / "static"
T = TypeVar("T")


@dataclass(frozen=True)
class BuildOptions:
    content_dir: Path
    output_dir: Path
    config_path: Path | None = None
    include_unpublished: bool = False
    strict: bool = False
    quiet: bool = False
    now: datetime | None = None  # "today" for date checks; defaults to the clock

    @property
    def site_dir(self) -> Path:
        """Where the site's own templates/ and static/ live: beside site.yaml."""
        return self.config_path.parent if self.config_path else Path.cwd()


@dataclass
class BuildResult:
    articles: int = 0  # articles published into the output
    skipped: int = 0  # files left out because of errors
    unpublished_left_out: int = 0
    pages: int = 0
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

    def summary(self) -> str:
        if self.failed:
            head = f"Build failed, output left untouched: {self.failed}"
        else:
            head = (f"Built {self.pages} pages from {self.articles} articles: "
                    f"{len(self.report.written)} written, {len(self.report.removed)} removed, "
                    f"{self.report.unchanged} unchanged")
        return (f"{head}. {self.skipped} skipped, {len(self.warnings)} warnings, "
                f"{self.unpublished_left_out} unpublished left out ({self.seconds:.2f} s)")


def build(options: BuildOptions) -> BuildResult:
    started = time.perf_counter()
    result = BuildResult()
    config = load_config(options.config_path)
    tz = config.timezone or timezone.utc
    now = options.now or datetime.now(timezone.utc)
    files = scan_content(options.content_dir)

    articles: list[Article] = []
    for source in _progress(files.articles, "Reading", options):
        read = read_article(options.content_dir / source, source, tz, now)
        result.problems.extend(read.problems)
        if read.article is None:
            result.skipped += 1
        elif read.article.is_published or options.include_unpublished:
            articles.append(read.article)
        else:
            result.unpublished_left_out += 1
    metadata = load_metadata(options.content_dir)
    result.problems.extend(metadata.problems)
    articles, slug_problems = resolve_slug_collisions(articles)
    result.problems.extend(slug_problems)

    if options.strict and result.errors:
        result.failed = f"{len(result.errors)} content errors with --strict"
        result.seconds = time.perf_counter() - started
        return result

    index = build_index(articles, metadata, tz)
    pages = plan_pages(index, config)
    env = make_environment(config, [options.site_dir / "templates"], preview=options.include_unpublished)
    publisher = Publisher(options.output_dir)
    try:
        for page in _progress(pages, "Rendering", options):
            publisher.put(page.path, render_page(env, page))
        for path, file in _copies(options, files.assets).items():
            publisher.put_file(path, file)
    except BaseException:
        publisher.abort()
        raise
    result.report = publisher.commit()
    result.articles = len(articles)
    result.pages = len(pages)
    result.seconds = time.perf_counter() - started
    return result


def _copies(options: BuildOptions, assets: Iterable[str]) -> dict[str, Path]:
    """Static files (theme, then the site's own) and content assets, by output path."""
    copies = scan_static([BUILTIN_STATIC, options.site_dir / "static"])
    copies.update({path: options.content_dir / path for path in assets})
    return copies


def _progress(items: list[T] | tuple[T, ...], label: str, options: BuildOptions) -> Iterator[T]:
    """A progress bar on a terminal, shown only once a step has taken a second."""
    show = not options.quiet and sys.stderr.isatty()
    return iter(tqdm(items, desc=label, unit="file", delay=1.0, disable=not show, leave=False))
