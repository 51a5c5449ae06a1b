"""The read step's memory: which content files exist, what each last read gave, and what changed.

A one-off build reads every article once (in forked workers for large
sites); ``serve`` keeps one :class:`ContentFiles` for its lifetime and, after
each change, re-reads only the files whose stat moved (:func:`file_stat`), and
counts one as changed only when the digest of its bytes differs. What a file
holds is identified by the digest of its bytes, never by a counter, so a
fingerprint means the same in the next process. The sets of
files with problems and of unpublished files are kept up to date as files
are read, so a build's summary costs nothing per unchanged file.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from generator.content.read import ReadResult
from generator.content.sources import DATA_DIR, link_out_of, scan_content
from generator.core.models import Article, Problem
from generator.core.parallel import map_chunks
from generator.core.progress import Progress

T = TypeVar("T")
Reader = Callable[[Path, str], ReadResult]  # (file, content-relative path) -> what it holds


# (mtime, ctime, inode, size) in ns and bytes. The ctime is what makes the stat trustworthy: tools that keep an
# edited file's mtime and size (touch -r, cp -p, rsync -t, tar) cannot set it, and every write and rename moves
# it. A stat taken within RACY_NS of the file's last change is not trusted (the next change could leave the
# same timestamps where the file system's clock is coarse): its ctime is NaN, which equals nothing, so the
# file is read and its digest compared again next time.
FileStat = tuple[int, float, int, int]
RACY_NS = 2_000_000_000


@dataclass
class Source:
    """One article file as last read: its stat, the result, and the digest of what the site shows."""

    stat: FileStat | None  # None: vanished while being read
    result: ReadResult
    digest: str  # of the bytes ``article`` was read from (in serve, maybe an earlier version than ``result``)
    article: Article | None  # what the site uses: the read article, or in serve the last good one


def file_stat(path: Path | str) -> FileStat | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return trusted_stat(st)


def trusted_stat(st: os.stat_result) -> FileStat:
    changed: float = st.st_ctime_ns
    if time.time_ns() - changed < RACY_NS:
        changed = math.nan
    return (st.st_mtime_ns, changed, st.st_ino, st.st_size)


def _toggle(members: set[str], item: str, present: bool) -> None:
    if present:
        members.add(item)
    else:
        members.discard(item)


@dataclass
class ContentFiles:
    content_dir: Path
    exclude: tuple[Path, ...] = ()  # folders inside the content folder that are not content (an output)
    keep_last_good: bool = False  # serve: a file that breaks keeps its last good version on the site
    jobs: int | None = None
    sources: dict[str, Source] = field(default_factory=dict)
    with_problems: set[str] = field(default_factory=set)
    unpublished: set[str] = field(default_factory=set)
    assets: set[str] = field(default_factory=set)  # other files, copied as they are
    # Symlinks leading out of the content folder, never read.
    links_out: dict[str, Problem] = field(default_factory=dict)
    restatted: bool = False  # a file was read again and found unchanged since the state was last saved

    def rescan(self, read: Reader, progress: Progress) -> set[str]:
        """Walk the content folder; re-read files whose stat changed. Returns the sources whose bytes changed."""
        files = scan_content(self.content_dir, exclude=self.exclude)
        self.assets = set(files.assets)
        self.links_out = {p.path: p for p in files.problems}
        present = set(files.articles)
        changed = {s for s in self.sources if s not in present}
        for source in changed:
            self._forget(source)
        if self.keep_last_good:  # the long-running preview has threads: never fork there
            changed.update(s for s in progress.each(files.articles, "Reading") if self._refresh(s, read))
            return changed
        # A one-off build reads in parallel: stat here, read in workers, record here.
        base = str(self.content_dir)
        stale = [
            s
            for s in files.articles
            if s not in self.sources or self.sources[s].stat != file_stat(os.path.join(base, s))
        ]

        def read_chunk(chunk: Sequence[str]) -> list[tuple[str, FileStat | None, ReadResult]]:
            return [(s, file_stat(os.path.join(base, s)), read(self.content_dir / s, s)) for s in chunk]

        with progress.counting(len(stale), "Reading") as done:
            for results in map_chunks(read_chunk, stale, self.jobs, done):
                for source, stat, result in results:
                    previous = self.sources.get(source)
                    if previous is not None and previous.digest == result.digest and previous.article is not None:
                        self._remember(source, replace(previous, stat=stat, result=result))
                        self.restatted = True  # touched, not changed: the cache must learn the new stat
                        continue
                    self._remember(source, Source(stat, result, result.digest, result.article))
                    changed.add(source)
        return changed

    def update(self, paths: Iterable[str], read: Reader, progress: Progress) -> tuple[set[str], bool]:
        """Apply the watcher's list of changed content paths. Returns (changed sources, metadata changed)."""
        changed: set[str] = set()
        metadata_changed = False
        for rel in paths:
            full = self.content_dir / rel
            link_out = link_out_of(self.content_dir, rel) if full.is_symlink() else None
            if link_out is not None:
                self.links_out[rel] = link_out
                self.assets.discard(rel)
                if self._forget(rel):
                    changed.add(rel)
                continue
            self.links_out.pop(rel, None)
            if rel == DATA_DIR or rel.startswith(DATA_DIR + "/"):
                metadata_changed = True
            elif rel.endswith(".md") and not full.is_dir():
                if self._refresh(rel, read):
                    changed.add(rel)
            elif full.is_file():
                self.assets.add(rel)
            elif rel in self.assets:
                self.assets.discard(rel)
            else:
                # A folder appeared, vanished or moved: walking is simplest and still re-reads only what changed.
                return self.rescan(read, progress), True
        return changed, metadata_changed

    def problems(self) -> list[Problem]:
        return [p for s in sorted(self.with_problems) for p in self.sources[s].result.problems] + list(
            self.links_out.values()
        )

    def skipped(self) -> int:
        return sum(1 for s in self.with_problems if self.sources[s].result.article is None)

    def _refresh(self, source: str, read: Reader) -> bool:
        """Re-read one article file if it changed on disk. Returns whether anything changed."""
        path = self.content_dir / source
        stat = file_stat(path)
        previous = self.sources.get(source)
        if stat is None:
            return self._forget(source)
        if previous is not None and previous.stat == stat:
            return False
        result = read(path, source)
        if result.article is None and self.keep_last_good and previous is not None and previous.article is not None:
            self._remember(source, replace(previous, stat=stat, result=result))
            return False  # the site keeps showing the last good version
        if previous is not None and previous.digest == result.digest and previous.article is not None:
            self._remember(source, replace(previous, stat=stat, result=result))
            return False  # touched, not changed
        self._remember(source, Source(stat, result, result.digest, result.article))
        return True

    def _remember(self, source: str, entry: Source) -> None:
        self.sources[source] = entry
        _toggle(self.with_problems, source, bool(entry.result.problems))
        _toggle(self.unpublished, source, entry.article is not None and not entry.article.is_published)

    def _forget(self, source: str) -> bool:
        self.with_problems.discard(source)
        self.unpublished.discard(source)
        return self.sources.pop(source, None) is not None
