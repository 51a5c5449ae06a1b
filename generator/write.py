"""Publish files into the output folder without ever exposing a broken state.

Changed files are first written to a staging folder beside the output (same
file system, so moving them in is an atomic rename). Nothing in the output is
touched until :meth:`Publisher.commit`, which moves files in an order that
keeps every link valid at every instant: assets, then article pages, then the
lists that link to them, then site-wide pages; removals come last. A build
that fails before ``commit`` leaves the output exactly as it was.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class WriteReport:
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0


def publish_order(path: str) -> tuple[int, str]:
    """Lower first: what is linked to goes in before what links to it."""
    if not path.endswith(".html"):
        rank = 0 if not path.endswith((".xml", ".json", ".txt")) else 4
    elif path.startswith("news/"):
        rank = 1
    elif path.count("/") >= 2:  # topics/<slug>/..., providers/<key>/...
        rank = 2
    else:
        rank = 3
    return (rank, path)


class Publisher:
    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir
        self.planned: set[str] = set()
        self._staged: list[str] = []
        self._unchanged = 0
        self._staging: Path | None = None

    def _stage_dir(self) -> Path:
        if self._staging is None:
            parent = self.output_dir.resolve().parent
            parent.mkdir(parents=True, exist_ok=True)
            self._staging = Path(tempfile.mkdtemp(prefix=f".{self.output_dir.name}.staging-", dir=parent))
        return self._staging

    def put(self, path: str, data: bytes) -> bool:
        """Plan ``path`` with these bytes; stage it only if they differ from the output."""
        self.planned.add(path)
        if _same_bytes(self.output_dir / path, data):
            self._unchanged += 1
            return False
        target = self._stage_dir() / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self._staged.append(path)
        return True

    def put_file(self, path: str, source: Path) -> bool:
        return self.put(path, source.read_bytes())

    def keep(self, path: str) -> None:
        """Plan ``path`` as it already is in the output (known unchanged, not re-rendered)."""
        self.planned.add(path)
        self._unchanged += 1

    def commit(self, previously_planned: set[str] | None = None) -> WriteReport:
        """Move staged files in, then remove what is no longer planned.

        With ``previously_planned`` (what the last build produced) only those
        files are candidates for removal; without it the whole output is scanned.
        """
        report = WriteReport(unchanged=self._unchanged)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        for path in sorted(self._staged, key=publish_order):
            target = self.output_dir / path
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._stage_dir() / path, target)
            report.written.append(path)
        if previously_planned is None:
            report.removed = self._remove_unplanned()
        else:
            report.removed = self._remove(sorted(previously_planned - self.planned))
        self.abort()
        return report

    def abort(self) -> None:
        """Forget staged files; the output folder is left as it was."""
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        self._staged = []

    def _remove(self, paths: list[str]) -> list[str]:
        removed = []
        for rel in paths:
            target = self.output_dir / rel
            try:
                target.unlink()
            except FileNotFoundError:
                continue
            removed.append(rel)
            folder = target.parent
            while folder != self.output_dir and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
        return removed

    def _remove_unplanned(self) -> list[str]:
        removed = []
        for dirpath, dirnames, filenames in os.walk(self.output_dir, topdown=True):
            # Dot entries (.git of a deploy checkout, .well-known, ...) are not ours to remove.
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if name.startswith("."):
                    continue
                full = Path(dirpath) / name
                rel = full.relative_to(self.output_dir).as_posix()
                if rel not in self.planned:
                    full.unlink()
                    removed.append(rel)
        for dirpath, _dirs, _files in sorted(os.walk(self.output_dir), key=lambda w: -len(w[0])):
            folder = Path(dirpath)
            parts = folder.relative_to(self.output_dir).parts
            if parts and not any(p.startswith(".") for p in parts) and not any(folder.iterdir()):
                folder.rmdir()
        return sorted(removed)


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False
