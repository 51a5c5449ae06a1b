"""Every file a build reads, with its stat: the build cache's quick test that nothing changed.

Taken when a build begins, before anything is read, and kept with the
cache: if the next build finds the same files with the same stats (and the
same settings bytes, day and output), nothing it could make would differ, so
it need not load the last build's state at all. A file changed while a build
runs has another stat by then, so the next build looks at it again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from generator.content.files import FileStat, trusted_stat

Stat = tuple[FileStat, bool]  # content.file_stat (of a link's target), and whether it is a symlink


def input_stats(
    content_dir: Path, exclude: Iterable[Path], layered: Iterable[Path], config: Path | None
) -> tuple[object, ...]:
    """The content folder (articles, assets and ``_data/``), the template and static folders, and the settings."""
    config_part: object = None
    if config is not None:
        try:
            config_part = hashlib.blake2b(config.read_bytes(), digest_size=16).hexdigest()
        except OSError:
            config_part = "unreadable"
    return (
        _tree(content_dir, {folder.resolve() for folder in exclude}),
        *(_tree(folder, set()) for folder in layered),
        config_part,
    )


def _tree(root: Path, skipped: set[Path]) -> dict[str, Stat | None]:
    """Every file below ``root`` but dot-files (as the build sees them), by relative path; {} if there is no folder."""
    found: dict[str, Stat | None] = {}
    pending = [("", str(root))]
    while pending:
        prefix, folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = prefix + entry.name
            try:
                link = entry.is_symlink()
                if entry.is_dir(follow_symlinks=False):
                    if skipped and Path(entry.path).resolve() in skipped:
                        continue
                    pending.append((rel + "/", entry.path))
                    continue
                stat = entry.stat(follow_symlinks=True)  # a link: what it points to is what is read
                found[rel] = (trusted_stat(stat), link)  # too recent to trust: equal to nothing (content/files.py)
            except OSError:
                found[rel] = None  # a dangling link or a file that vanished: its appearing later is a change
    return found
