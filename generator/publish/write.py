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
not ours: they are kept, never removed, and so are other files and folders the
mark does not list, with their modes (a swap rebuilds the tree around them). A
file of someone else's where a page goes is moved aside (``index.html.orig``),
never overwritten; a mount point inside the output stops the build with a
one-line error before anything moves.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from generator.core import urls
from generator.core.options import WriteReport
from generator.publish.output import MARK, OutputPlace, default_modes, leads_out, mark_bytes, read_owned
from generator.publish.swap import exchange_paths, remove_in_child, remove_leftovers


def publish_order(path: str) -> tuple[int, int, str]:
    """Lower first: assets, article pages, deeper list pages, then site-wide pages and feeds."""
    if not path.endswith(".html"):
        rank = 4 if path.endswith((".xml", ".json", ".txt")) else 0
    elif urls.is_article_page(path):
        rank = 1
    else:
        rank = 2
    return (rank, -path.count("/"), path)


class OutputMount(OSError):
    """A file system is mounted inside the output: its files cannot be swapped or renamed with the rest."""


class Publisher:
    """Stages one build's files and publishes them; removes only files an earlier build published.

    ``owned`` is what the output's mark says the generator published there
    (read from the mark when not given); anything else in the output is the
    user's and survives every build, a tree swap included.
    """

    def __init__(self, place: OutputPlace, owned: frozenset[str] | None = None, preview: bool = False) -> None:
        self.place = place
        self.output_dir = place.folder
        self.refused_entries: list[str] = []  # entries of a tampered mark, ignored
        if owned is None:
            owned, self.refused_entries = read_owned(place.folder)
        self.owned = owned
        self.moved_aside: list[tuple[str, str]] = []  # (file of someone else's that a page replaces, where it went)
        # A long-running preview marks its folder as a preview's and need not wait
        # for a replaced tree (already out of the output) to be deleted.
        self.preview = preview
        self.planned: set[str] = set()
        self._staged: list[str] = []
        self._unchanged = 0
        self._staging: Path | None = None
        self._made: set[str] = set()  # folders made in the staging folder (put runs for every page: strings, not Paths)
        self._removing: list[int | None] = []  # child processes deleting a replaced tree (see finish)

    def _stage_dir(self) -> Path:
        if self._staging is None:
            area = self.place.work_area
            area.mkdir(parents=True, exist_ok=True)
            remove_leftovers(self.place)
            self._staging = Path(tempfile.mkdtemp(prefix=self.place.staging_prefix, dir=area))
            self._made.clear()
            os.chmod(self._staging, default_modes()[0])  # mkdtemp's 0700 would become the output root's
        return self._staging

    def prepare(self) -> None:
        """Create the staging folder now (before forking workers that share it)."""
        self._stage_dir()

    def share(self) -> Publisher:
        """A publisher that stages into this one's folder, for one worker's share of the pages.

        Its results come back through :meth:`absorb`; only this publisher commits.
        """
        if self._staging is None:
            raise RuntimeError("prepare() the publisher before sharing it")
        shared = Publisher(self.place, self.owned, self.preview)
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
        # Only a file an earlier build published can be unchanged (a clean build then stats nothing).
        if path in self.owned and _same_bytes(os.path.join(self.output_dir, path), data):
            self._unchanged += 1
            return False
        target = os.path.join(self._stage_dir(), path)
        folder = os.path.dirname(target)
        if folder not in self._made:
            try:
                os.mkdir(folder)  # usually the page's own folder, in one that exists
            except FileNotFoundError:
                os.makedirs(folder, exist_ok=True)
            except FileExistsError:
                pass
            self._made.add(folder)
        _write(target, data)
        self._staged.append(path)
        return True

    def staged_paths(self) -> frozenset[str]:
        """The files staged so far: every other planned file is as the output holds it."""
        return frozenset(self._staged)

    def read(self, path: str) -> bytes:
        """A planned file's bytes as this build will publish them (staged, else already in the output)."""
        if path not in self.planned:
            raise FileNotFoundError(path)
        staged = self._staging / path if self._staging is not None else None
        return staged.read_bytes() if staged is not None and staged.is_file() else (self.output_dir / path).read_bytes()

    def published_file(self, path: str) -> Path:
        """Where a file an earlier build published here is."""
        if path not in self.owned:
            raise FileNotFoundError(path)
        return self.output_dir / path

    def put_file(self, path: str, source: Path) -> bool:
        """Plan ``path`` with ``source``'s bytes; a file put from where this output already holds it is unchanged
        (a search part kept as published), and is not read again."""
        if path in self.owned and source == self.output_dir / path:
            self.keep(path)
            return False
        return self.put(path, source.read_bytes())

    def keep(self, path: str) -> None:
        """Plan ``path`` as it already is in the output (known unchanged, not re-rendered)."""
        self.keep_all((path,))

    def keep_all(self, paths: Iterable[str]) -> None:
        before = len(self.planned)
        self.planned.update(paths)
        self._unchanged += len(self.planned) - before

    def pending(self) -> bool:
        """Whether committing would change the output: files staged, or files to add to or drop from it."""
        return bool(self._staged) or frozenset(self.planned) != self.owned

    def commit(self) -> WriteReport:
        """Publish the staged files and remove the generator's files that are no longer planned."""
        report = WriteReport(unchanged=self._unchanged, written=sorted(self._staged, key=publish_order))
        planned = frozenset(self.planned)
        try:
            if not self.output_dir.exists():
                self._write_mark_into(self._stage_dir(), planned)
                self.output_dir.parent.mkdir(parents=True, exist_ok=True)
                os.rename(self._stage_dir(), self.output_dir)
                self._staging = None
            else:
                stale = sorted(p for p in self.owned - planned if os.path.lexists(self.output_dir / p))
                adds_files = any(not (self.output_dir / p).exists() for p in self._staged)
                # The preview (one browser here, which reloads after the build) moves files in one by one,
                # new ones first: a swap would link every file of the site and delete the old tree.
                if adds_files and not self.place.in_place and not self.preview:
                    self._swap_in_full_tree(planned)
                    report.swapped = True
                    report.removed = stale
                else:
                    self._move_foreign_aside()
                    # The mark lists old and new files while both may be present, so a
                    # build killed half-way still knows every file it may remove.
                    listed = self.owned | planned
                    if listed != self.owned:  # files to add: the mark lists them before they appear
                        self._update_mark(listed)
                    new_first = sorted(
                        report.written, key=lambda path: os.path.lexists(os.path.join(self.output_dir, path))
                    )
                    for path in new_first:  # (a stable sort: otherwise in publish order)
                        target = self.output_dir / path
                        target.parent.mkdir(parents=True, exist_ok=True)
                        os.replace(self._stage_dir() / path, target)
                    report.removed = self._remove(stale)
                    if listed != planned or not (self.output_dir / MARK).is_file():  # files dropped, or no mark
                        self._update_mark(planned)
            self.owned = planned
        finally:
            self.abort()
        return report

    def abort(self) -> None:
        """Forget staged files; the output folder is left as it was."""
        if self._staging is not None:
            if self.preview:
                # Renamed first, so that the next build does not take it for a killed build's staging
                # folder and delete it again itself (a whole tree deleted twice).
                trash = self._staging.with_name(f"{self.place.trash_prefix}{os.getpid()}-{self._staging.name}")
                try:
                    os.rename(self._staging, trash)
                except OSError:
                    trash = self._staging
                threading.Thread(target=shutil.rmtree, args=(trash, True), daemon=True).start()
            else:
                self._removing.append(remove_in_child(self._staging))
            self._staging = None
        self._staged = []

    def let_go(self) -> None:
        """Wait for nothing: the children deleting replaced trees finish on their own (an interrupted build)."""
        self._removing = []

    def finish(self) -> None:
        """Wait until the folders this publisher is removing (a replaced tree) are gone."""
        for pid in self._removing:
            if pid is not None:
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
        self._removing = []

    def _move_foreign_aside(self) -> list[str]:
        """Rename each file the mark does not list that a staged page would replace to ``NAME.orig`` (or
        ``NAME.orig.2``...), so that publishing never destroys it; :attr:`moved_aside` says where each went."""
        for path in self._staged:
            if path in self.owned:
                continue
            target = os.path.join(self.output_dir, path)
            if not os.path.lexists(target) or os.path.isdir(target) and not os.path.islink(target):
                continue
            aside, n = f"{target}.orig", 1
            while os.path.lexists(aside):
                n += 1
                aside = f"{target}.orig.{n}"
            os.rename(target, aside)
            self.moved_aside.append((path, os.path.relpath(aside, self.output_dir)))
        return [aside for _path, aside in self.moved_aside]

    def _write_mark_into(self, folder: Path, files: frozenset[str]) -> None:
        (folder / MARK).write_bytes(mark_bytes(files, self.preview))

    def _update_mark(self, files: frozenset[str]) -> None:
        data = mark_bytes(files, self.preview)
        if _same_bytes(self.output_dir / MARK, data):
            return
        temporary = self._stage_dir() / MARK
        temporary.write_bytes(data)
        os.replace(temporary, self.output_dir / MARK)

    def _swap_in_full_tree(self, planned: frozenset[str]) -> None:
        staging = self._stage_dir()
        made: set[str] = set()
        staged_root, output_root = str(staging), str(self.output_dir)

        def link(path: str) -> None:  # strings, not Paths: this runs for every file of the site
            target = os.path.join(staged_root, path)
            parent = os.path.dirname(target)
            if parent not in made:
                os.makedirs(parent, exist_ok=True)
                made.add(parent)
            os.link(os.path.join(output_root, path), target, follow_symlinks=False)

        for path in planned.difference(self._staged):
            link(path)
        foreign, folders = self._foreign_files(planned)  # a mount point inside stops here, before anything moves
        for path in foreign + self._move_foreign_aside():
            link(path)
        for folder, mode, held_ours in reversed(
            folders
        ):  # deepest first: a mode may close a folder to its parent's user
            target = os.path.join(staged_root, folder)
            if not held_ours:
                os.makedirs(target, exist_ok=True)  # an empty folder of the user's is kept
            elif not os.path.isdir(target):
                continue  # emptied of our files: gone, as when they are removed one by one
            os.chmod(target, mode)
        os.chmod(staged_root, stat.S_IMODE(os.stat(output_root).st_mode))  # the output's own mode (2750, 0700...)
        self._write_mark_into(staging, planned)
        if exchange_paths(staging, self.output_dir):
            old = staging
        else:
            old = staging.with_name(staging.name + "-old")
            os.rename(self.output_dir, old)
            os.rename(staging, self.output_dir)
            self._staging = old
        for entry in old.iterdir():
            if entry.name.startswith(".") and entry.name != MARK:
                os.rename(entry, self.output_dir / entry.name)

    def _foreign_files(self, planned: frozenset[str]) -> tuple[list[str], list[tuple[str, int, bool]]]:
        """Files in the output that no build of ours published (top-level dot-entries move as a whole), and
        every folder with its mode and whether it holds a file of ours, parents first. A mount point among
        them is an :class:`OutputMount` error.

        A symlink to a folder counts as a file: it moves as the link itself. scandir's entries know their
        type, so the walk costs one call per folder (os.walk and islink cost several).
        """
        found = []
        device = os.stat(self.output_dir).st_dev
        modes: dict[str, int] = {}
        ours: set[str] = set()  # folders holding a file of ours, or a folder that does
        pending = [("", str(self.output_dir))]
        while pending:
            prefix, folder = pending.pop()
            with os.scandir(folder) as entries:
                for entry in entries:
                    if not prefix and entry.name.startswith("."):
                        continue
                    rel = prefix + entry.name
                    if entry.is_dir(follow_symlinks=False):
                        status = entry.stat(follow_symlinks=False)
                        if status.st_dev != device:
                            raise OutputMount(
                                f"{entry.path}: a mount point inside the output; a build cannot publish "
                                "around it (unmount it, or publish into another folder)"
                            )
                        modes[rel] = stat.S_IMODE(status.st_mode)
                        pending.append((rel + "/", entry.path))
                    elif rel in self.owned:
                        ours.add(prefix[:-1])
                    elif rel not in planned:
                        found.append(rel)
        parents_first = sorted(modes, key=lambda folder: folder.count("/"))
        for folder in reversed(parents_first):
            if folder in ours:
                ours.add(os.path.dirname(folder))
        return found, [(folder, modes[folder], folder in ours) for folder in parents_first]

    def _remove(self, paths: list[str]) -> list[str]:
        for rel in paths:
            if leads_out(self.output_dir, rel):
                continue  # never delete through a link to somewhere else
            target = self.output_dir / rel
            target.unlink(missing_ok=True)
            folder = target.parent
            while folder != self.output_dir and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
        return paths


def _write(path: str, data: bytes) -> None:
    """A new file with these bytes (os.open: Python's buffered open costs more than the write on tmpfs)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)  # the umask gives 0644
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


def _same_bytes(path: Path | str, data: bytes) -> bool:
    try:
        if os.stat(path).st_size != len(data):
            return False
        with open(path, "rb") as file:
            return file.read() == data
    except OSError:
        return False
