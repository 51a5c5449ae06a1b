"""Find the input files: articles, metadata, and assets to copy."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = "_data"


@dataclass(frozen=True)
class SourceFiles:
    articles: tuple[str, ...]  # content-relative POSIX paths of *.md files
    assets: tuple[str, ...]  # content-relative paths of other files, copied as-is


def scan_content(content_dir: Path) -> SourceFiles:
    articles: list[str] = []
    assets: list[str] = []
    for dirpath, dirnames, filenames in os.walk(content_dir):
        rel_dir = Path(dirpath).relative_to(content_dir)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not (rel_dir == Path(".") and d == DATA_DIR))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            rel = (rel_dir / name).as_posix()
            (articles if name.endswith(".md") else assets).append(rel)
    return SourceFiles(tuple(articles), tuple(assets))


def scan_layered(static_dirs: list[Path]) -> dict[str, Path]:
    """Relative path -> file across layered folders; later folders override earlier ones (site over theme)."""
    files: dict[str, Path] = {}
    for folder in static_dirs:
        if not folder.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if not name.startswith("."):
                    full = Path(dirpath) / name
                    files[full.relative_to(folder).as_posix()] = full
    return files
