"""Publish files into the output folder without ever exposing a broken state.

Changed files are first written to a staging folder beside the output (same
file system, so moving them in is an atomic rename). Nothing in the output is
touched until :meth:`Publisher.commit`, so a build that fails before it leaves
the output exactly as it was. Then:

- If the build only changes files that already exist (an edited story), each
  is renamed into place; every link target already exists, and files no
  longer produced are removed last.
- If it adds files, new pages may link to each other (a new story and its new
  topic page), so no file-by-file order keeps every link valid. The complete
  new tree is assembled in the staging folder instead (unchanged files are
  hard links, so nothing is copied or rewritten) and swapped with the output
  in one atomic ``renameat2(RENAME_EXCHANGE)``. Where the file system lacks
  that call, two renames leave the output missing for an instant, never broken.

Dot-entries in the output (a deploy checkout's ``.git``, ``.well-known``) are
not ours: they are kept, never removed.
"""
from __future__ import annotations

import ctypes
import errno
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@dataclass
class WriteReport:
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    swapped: bool = False  # published by swapping in a whole new tree


def publish_order(path: str) -> tuple[int, int, str]:
    """Lower first: assets, article pages, deeper list pages, then site-wide pages and feeds."""
    if not path.endswith(".html"):
        rank = 4 if path.endswith((".xml", ".json", ".txt")) else 0
    elif path.startswith("news/"):
        rank = 1
    else:
        rank = 2
    return (rank, -path.count("/"), path)


def exchange_paths(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2). False if the system cannot."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(a))


class Publisher:
    def __init__(self, output_dir: Path, background_cleanup: bool = False) -> None:
        self.output_dir = output_dir
        # The replaced tree is already out of the output; a long-running preview
        # need not wait for it to be deleted.
        self.background_cleanup = background_cleanup
        self.planned: set[str] = set()
        self._staged: list[str] = []
        self._unchanged = 0
        self._staging: Path | None = None

    def _stage_dir(self) -> Path:
        if self._staging is None:
            parent = self.output_dir.resolve().parent
            parent.mkdir(parents=True, exist_ok=True)
            prefix = f".{self.output_dir.name}.staging-"
            for stale in parent.glob(prefix + "*"):  # left by a build that was killed
                shutil.rmtree(stale, ignore_errors=True)
            self._staging = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        return self._staging

    def prepare(self) -> None:
        """Create the staging folder now (before forking workers that share it)."""
        self._stage_dir()

    def share(self) -> "Publisher":
        """A publisher that stages into this one's folder, for one worker's share of the pages.

        Its results come back through :meth:`absorb`; only this publisher commits.
        """
        if self._staging is None:
            raise RuntimeError("prepare() the publisher before sharing it")
        shared = Publisher(self.output_dir)
        shared._staging = self._staging
        return shared

    def results(self) -> tuple[list[str], int, set[str]]:
        return self._staged, self._unchanged, self.planned

    def absorb(self, results: tuple[list[str], int, set[str]]) -> None:
        staged, unchanged, planned = results
        self._staged.extend(staged)
        self._unchanged += unchanged
        self.planned.update(planned)

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
        self.keep_all((path,))

    def keep_all(self, paths: Iterable[str]) -> None:
        before = len(self.planned)
        self.planned.update(paths)
        self._unchanged += len(self.planned) - before

    def commit(self, previously_planned: set[str] | None = None) -> WriteReport:
        """Publish the staged files and remove what is no longer planned.

        ``previously_planned`` (what the last build produced) saves scanning
        the whole output for files to remove.
        """
        report = WriteReport(unchanged=self._unchanged, written=sorted(self._staged, key=publish_order))
        try:
            if not self.output_dir.exists():
                if self._staged:
                    self.output_dir.parent.mkdir(parents=True, exist_ok=True)
                    os.rename(self._stage_dir(), self.output_dir)
                    self._staging = None
                else:
                    self.output_dir.mkdir(parents=True)
            else:
                stale = self._unplanned(previously_planned)
                if any(not (self.output_dir / p).exists() for p in self._staged):
                    self._swap_in_full_tree()
                    report.swapped = True
                    report.removed = stale
                else:
                    for path in report.written:
                        os.replace(self._stage_dir() / path, self.output_dir / path)
                    report.removed = self._remove(stale)
        finally:
            self.abort()
        return report

    def abort(self) -> None:
        """Forget staged files; the output folder is left as it was."""
        if self._staging is not None:
            if self.background_cleanup:
                threading.Thread(target=shutil.rmtree, args=(self._staging, True), daemon=True).start()
            else:
                shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        self._staged = []

    def _swap_in_full_tree(self) -> None:
        staging = self._stage_dir()
        made: set[Path] = set()
        for path in self.planned.difference(self._staged):
            target = staging / path
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            os.link(self.output_dir / path, target)
        if exchange_paths(staging, self.output_dir):
            old = staging
        else:
            old = staging.with_name(staging.name + "-old")
            os.rename(self.output_dir, old)
            os.rename(staging, self.output_dir)
            self._staging = old
        for entry in old.iterdir():
            if entry.name.startswith("."):
                os.rename(entry, self.output_dir / entry.name)

    def _unplanned(self, previously_planned: set[str] | None) -> list[str]:
        if previously_planned is not None:
            return sorted(p for p in previously_planned - self.planned if (self.output_dir / p).exists())
        found = []
        for dirpath, dirnames, filenames in os.walk(self.output_dir):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if not name.startswith("."):
                    rel = (Path(dirpath) / name).relative_to(self.output_dir).as_posix()
                    if rel not in self.planned:
                        found.append(rel)
        return sorted(found)

    def _remove(self, paths: list[str]) -> list[str]:
        for rel in paths:
            target = self.output_dir / rel
            target.unlink(missing_ok=True)
            folder = target.parent
            while folder != self.output_dir and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
        return paths


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False
