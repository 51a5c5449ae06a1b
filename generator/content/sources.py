"""Find the input files: articles, metadata, and assets to copy."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from generator.core.models import Problem

DATA_DIR = "_data"


@dataclass(frozen=True)
class SourceFiles:
    articles: tuple[str, ...]  # content-relative POSIX paths of *.md files
    assets: tuple[str, ...]  # content-relative paths of other files, copied as-is
    problems: tuple[Problem, ...] = ()  # symlinks that lead out of the content folder


def link_out_of(content_dir: Path, rel: str) -> Problem | None:
    """A warning if ``rel`` is a symlink whose target lies outside the content folder.

    Such a file is never read or published: ``content/passwd -> /etc/passwd``
    must not end up on a web server.
    """
    return _link_out(content_dir, rel, "content folder", in_content=True)


def _link_out(folder: Path, rel: str, what: str, in_content: bool) -> Problem | None:
    root = folder.resolve()
    try:
        target = (folder / rel).resolve()
    except (RuntimeError, OSError):  # a loop of links (RuntimeError before Python 3.13)
        return Problem(rel if in_content else str(folder / rel), 0, "symlink loop; skipped", "warning", in_content)
    if target == root or root in target.parents:
        return None
    shown = rel if in_content else str(folder / rel)
    return Problem(shown, 0, f"symlink leads outside the {what} (to {target}); not published", "warning", in_content)


def _not_regular(shown: str, in_content: bool) -> Problem:
    """A FIFO, socket or device: reading one could block the build for ever."""
    return Problem(shown, 0, "not a regular file (a FIFO, socket or device); skipped", "warning", in_content)


def scan_content(content_dir: Path, exclude: Iterable[Path] = ()) -> SourceFiles:
    """Every file under ``content_dir`` except dot-files, ``_data/`` and the ``exclude`` folders (an output inside it).

    Uses ``os.scandir``: its entries know whether they are links or folders
    without another system call, which matters at 100,000 files.
    """
    skipped = {folder.resolve() for folder in exclude}
    articles: list[str] = []
    assets: list[str] = []
    problems: list[Problem] = []
    pending = [""]  # content-relative folders, "" for the content folder itself
    while pending:
        rel_dir = pending.pop()
        try:
            entries = sorted(os.scandir(content_dir / rel_dir if rel_dir else content_dir), key=lambda e: e.name)
        except OSError:
            continue
        folders = []
        for entry in entries:
            name = entry.name
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if name.startswith("."):
                continue
            if entry.is_symlink():  # never followed into; reported if it leads out
                problem = link_out_of(content_dir, rel)
                if problem:
                    problems.append(problem)
                elif entry.is_file():
                    (articles if name.endswith(".md") else assets).append(rel)
                elif not entry.is_dir():
                    problems.append(_not_regular(rel, True))
            elif entry.is_dir():
                if not (rel == DATA_DIR or Path(entry.path).resolve() in skipped):
                    folders.append(rel)
            elif entry.is_file(follow_symlinks=False):
                (articles if name.endswith(".md") else assets).append(rel)
            else:
                problems.append(_not_regular(rel, True))
        pending += reversed(folders)
    return SourceFiles(tuple(articles), tuple(assets), tuple(problems))


def scan_layered(static_dirs: list[Path], problems: list[Problem] | None = None) -> dict[str, Path]:
    """Relative path -> file across layered folders; later folders override earlier ones (site over theme).

    A symlink leading out of its folder (``static/leak.txt -> /etc/passwd``), a loop of links and anything
    that is not a regular file are skipped, with a warning added to ``problems``.
    """
    files: dict[str, Path] = {}
    skipped: list[Problem] = [] if problems is None else problems
    for folder in static_dirs:
        if not folder.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                if name.startswith("."):
                    continue
                full = Path(dirpath) / name
                rel = full.relative_to(folder).as_posix()
                if full.is_symlink() and (problem := _link_out(folder, rel, f"{folder.name} folder", in_content=False)):
                    skipped.append(problem)
                elif full.is_file():
                    files[rel] = full
                elif not full.is_dir():
                    skipped.append(_not_regular(str(full), False))
    return files
