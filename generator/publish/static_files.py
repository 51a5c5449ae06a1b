"""Theme and site static files and content assets: copied into the output, or only stat'ed when unchanged."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from generator.content.files import FileStat, file_stat
from generator.core.models import Problem
from generator.publish.write import Publisher

Copied = dict[str, tuple[Path, FileStat | None]]  # output path -> (source file, its stat)


def copy_files(
    publisher: Publisher,
    copies: Mapping[str, Path],
    previous: Copied,
    asset_names: Mapping[str, str],
    content_assets: Collection[str],
) -> tuple[Copied, list[Problem]]:
    """Plan every file of ``copies`` (output path -> source) with ``publisher``; return what was copied, and problems.

    A file whose stat did not move since ``previous`` is kept as it is;
    a stylesheet also goes out under its fingerprinted name (``asset_names``).
    A file that cannot be read is reported and keeps its last published copy, if any.
    """
    copied: Copied = {}
    problems = []
    for path, source in copies.items():
        stat = file_stat(source)
        if previous.get(path) == (source, stat) and stat is not None:
            publisher.keep_all([path, asset_names[path]] if path in asset_names else [path])
            copied[path] = (source, stat)
            continue
        try:
            publisher.put_file(path, source)
        except OSError as exc:
            in_content = path in content_assets
            shown = path if in_content else str(source)
            problems.append(Problem(shown, 0, f"cannot read: {exc.strerror}; not updated", "warning", in_content))
            if path in publisher.owned:
                publisher.keep(path)
            continue
        copied[path] = (source, stat)
        if path in asset_names:
            publisher.put_file(asset_names[path], source)
    return copied, problems
