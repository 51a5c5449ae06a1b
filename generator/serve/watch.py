"""Watch the site's inputs with watchdog and turn bursts of events into :class:`Changes`."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from generator.core.options import Changes

# A single save (often several events within a millisecond) builds after 25 ms of
# quiet; once a burst shows (more events keep coming) the quiet needed grows to
# 200 ms, so a crawler dropping 500 files causes one or two builds, not 500.
SAVE_QUIET_SECONDS = 0.025
BURST_QUIET_SECONDS = 0.2
BURST_EVENTS = 20
MAX_BURST_SECONDS = 3.0  # a steady stream still gets a build this often


@dataclass(frozen=True)
class WatchedPaths:
    content: Path
    templates: tuple[Path, ...]
    static: tuple[Path, ...]
    config: Path | None
    ignore: tuple[Path, ...]  # the output folder and its staging folders' parent entries


def _is_editor_noise(name: str) -> bool:
    """Swap, backup and lock files that editors write beside the real file."""
    return name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp")) or name == "4913"


def classify(paths: Iterable[Path], watched: WatchedPaths) -> Changes | None:
    """Sort changed paths into what they mean for the build; None if nothing relevant changed."""
    content: set[str] = set()
    templates = static = config = False
    for path in paths:
        if _is_editor_noise(path.name) or any(path.is_relative_to(i) for i in watched.ignore):
            continue
        if watched.config is not None and path == watched.config:
            config = True
        elif path.is_relative_to(watched.content):
            rel = path.relative_to(watched.content).as_posix()
            if rel != "." and not any(part.startswith(".") for part in Path(rel).parts):
                content.add(rel)
        elif any(path.is_relative_to(t) for t in watched.templates):
            templates = True
        elif any(path.is_relative_to(s) for s in watched.static):
            static = True
    if not (content or templates or static or config):
        return None
    return Changes(content=frozenset(content), templates=templates, static=static, config=config)


class _Collector(FileSystemEventHandler):
    def __init__(self, events: queue.Queue[Path]) -> None:
        self.events = events

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write") or (event.is_directory and event.event_type == "modified"):
            return
        self.events.put(Path(str(event.src_path)))
        dest = getattr(event, "dest_path", "")
        if dest:
            self.events.put(Path(str(dest)))


class Watcher:
    """Runs a watchdog observer; :meth:`next_changes` blocks until a burst of changes ends."""

    def __init__(self, watched: WatchedPaths) -> None:
        self.watched = watched
        self._events: queue.Queue[Path] = queue.Queue()
        self._observer = Observer()
        self._handler = _Collector(self._events)
        self._watching: set[Path] = set()
        self._watch_new_folders()
        if watched.config is not None:
            # Only the config file's folder, not recursively: it may hold the output folder.
            # This also reports a templates/ or static/ folder created beside it.
            self._observer.schedule(self._handler, str(watched.config.parent), recursive=False)

    def _watch_new_folders(self) -> None:
        """Watch each input folder recursively once it exists (a site may create templates/ later)."""
        for folder in sorted({self.watched.content, *self.watched.templates, *self.watched.static}):
            if folder not in self._watching and folder.is_dir():
                self._observer.schedule(self._handler, str(folder), recursive=True)
                self._watching.add(folder)

    def start(self) -> None:
        self._observer.start()

    def stop(self) -> None:
        self._observer.stop()
        self._observer.join(timeout=5)

    def next_changes(self, timeout: float) -> Changes | None:
        try:
            first = self._events.get(timeout=timeout)
        except queue.Empty:
            return None
        paths = {first}
        events = 1
        burst_ends = time.monotonic() + MAX_BURST_SECONDS
        while time.monotonic() < burst_ends:
            quiet = SAVE_QUIET_SECONDS if events < BURST_EVENTS else BURST_QUIET_SECONDS
            try:
                paths.add(self._events.get(timeout=quiet))
                events += 1
            except queue.Empty:
                break
        self._watch_new_folders()
        return classify(paths, self.watched)
