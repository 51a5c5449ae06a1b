"""The preview's search index: rebuilt in the background after rebuilds, never delaying a reload.

``serve`` hands every good build's indexed pages to :class:`PreviewSearch`.
A worker thread waits until the edits pause (``delay``), runs Pagefind at low
CPU priority on the pages as the preview last published them, writes the
bundles into a new generation folder and then points the preview server at
it: a reader's search sees the old index or the new one, never a mixture.
Parts whose pages did not change are copied from the current generation, not
re-indexed. The folders live in a temporary directory (tmpfs when there is
one), never in the output, and are removed when ``serve`` stops.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from generator.search.pagefind import INPUT_NAME, Part, SearchUnavailable, build_bundles, scratch


class PreviewSearch:
    def __init__(self, output_dir: Path, delay: float = 1.0) -> None:
        self.output_dir = output_dir
        self.delay = delay
        self._root = scratch("preview-search")
        self._current: Path | None = None
        self._generation = 0
        self._wanted: Sequence[Part] | None = None
        self._due = 0.0
        self._closed = False
        self._pagefind: subprocess.Popen[str] | None = None  # running now, to stop with serve
        self._changed = threading.Condition()
        self._worker = threading.Thread(target=self._run, name="preview-search", daemon=True)
        self._worker.start()

    @property
    def current(self) -> Path | None:
        """The folder holding ``pagefind/`` as readers should see it now (None until the first index)."""
        return self._current

    def update(self, parts: Sequence[Part]) -> None:
        """Index these parts once the edits have paused for ``delay`` seconds; a newer call replaces an older one."""
        with self._changed:
            self._wanted, self._due = parts, time.monotonic() + self.delay
            self._changed.notify()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify()
        if self._pagefind is not None and self._pagefind.poll() is None:
            self._pagefind.kill()  # a stopping preview does not wait for an index nobody will read
        self._worker.join(timeout=5)
        shutil.rmtree(self._root, ignore_errors=True)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._closed and (self._wanted is None or time.monotonic() < self._due):
                    self._changed.wait(None if self._wanted is None else max(0.0, self._due - time.monotonic()))
                if self._closed:
                    return
                parts, self._wanted = self._wanted, None
            if parts is not None:
                self._index(parts)

    def _started(self, process: subprocess.Popen[str]) -> None:
        self._pagefind = process
        if self._closed:
            process.kill()

    def _index(self, parts: Sequence[Part]) -> None:
        started = time.perf_counter()
        previous = self._current
        kept = {p.relative_to(previous).as_posix() for p in previous.rglob("*") if p.is_file()} if previous else set()
        made = scratch("preview-bundles")
        try:
            self._publish(parts, previous, kept, made, started)
        finally:
            shutil.rmtree(made, ignore_errors=True)

    def _publish(self, parts: Sequence[Part], previous: Path | None, kept: set[str], made: Path, began: float) -> None:
        try:
            files = build_bundles(
                parts,
                lambda path: (self.output_dir / path).read_bytes(),
                kept,
                (lambda path: previous / path) if previous else None,
                made,
                started=self._started,
            )
        except SearchUnavailable as exc:
            if not self._closed:
                print(f"warning: search: {exc}", file=sys.stderr, flush=True)
            return
        except OSError:  # a rebuild replaced the pages while they were read: its own update follows
            return
        if (
            previous is not None
            and {path for path, _ in files} == kept
            and all((previous / path).read_bytes() == data for path, data in files if path.endswith(INPUT_NAME))
        ):
            return  # every part kept its pages: the index being served is this one
        self._generation += 1
        fresh = self._root / str(self._generation)
        for path, data in files:
            target = fresh / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, Path):
                shutil.copyfile(data, target)
            else:
                target.write_bytes(data)
        self._current = fresh  # one reference swap: requests from now on read the new index
        for old in self._root.iterdir():  # the one before stays for requests that are still reading it
            if old.name not in (fresh.name, previous.name if previous else ""):
                shutil.rmtree(old, ignore_errors=True)
        pages = sum(len(part.pages) for part in parts)
        print(f"Search index updated: {pages} pages ({time.perf_counter() - began:.2f} s)", flush=True)
