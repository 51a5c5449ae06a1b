"""The output folder: whether a build may publish there, what it owns there, one build at a time.

The rule is that a build deletes only files it wrote. Every output folder
carries a mark file listing the files the generator published there; a file
not on that list (a ``CNAME``, a deploy checkout's ``.git``) is never removed.
A folder that cannot be an output at all (``/``, the home folder, the
content folder or one containing it or the site's own files) is refused
before anything is touched, and so is a non-empty folder without the mark,
unless the user passes ``--force``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from generator.core.atomic import process_umask
from generator.core.locks import LockHeld, hold_lock

MARK = ".newsdigest-output"
MARK_FORMAT = "newsdigest-output/2"
LOCK_WAIT_SECONDS = 3.0


class OutputRefused(Exception):
    """The output folder must not be published into; the message says why and what to do."""


class OutputBusy(Exception):
    """Another build holds the output's lock."""


@dataclass(frozen=True)
class OutputPlace:
    """Where a build stages and locks for one output folder.

    Staging happens on the output's own file system so that moving files in
    is a rename: beside the output normally, inside it (as dot-entries) when
    the output is a mount point, which cannot be renamed or swapped.
    """

    folder: Path  # absolute
    in_place: bool
    lock_dir: Path  # the build's cache folder, where the output's lock lives

    @property
    def work_area(self) -> Path:
        return self.folder if self.in_place else self.folder.parent

    @property
    def lock_path(self) -> Path:
        return self.lock_dir / f"{output_id(self.folder)}.lock"

    @property
    def staging_prefix(self) -> str:
        return ".newsdigest-staging-" if self.in_place else f".{self.folder.name}.staging-"

    @property
    def trash_prefix(self) -> str:
        """Replaced trees the preview deletes in the background (never a killed build's staging to recover)."""
        return ".newsdigest-trash-" if self.in_place else f".{self.folder.name}.trash-"


def place_of(output: Path, cache_dir: Path) -> OutputPlace:
    """Where ``output`` really is: a symlinked output (``public -> /srv/www``) is published into its target."""
    folder = output.resolve()
    return OutputPlace(folder, in_place=folder.is_dir() and os.path.ismount(folder), lock_dir=cache_dir)


def output_id(output: Path) -> str:
    """A name for one output folder in the cache folder: its name and a digest of where it really is
    (``public-3f2a9c0d1e``), so that two outputs of one name never share a cache or a lock."""
    folder = output.resolve()
    return f"{folder.name}-{hashlib.blake2b(str(folder).encode(), digest_size=5).hexdigest()}"


def _contains(folder: Path, other: Path) -> bool:
    return folder == other or folder in other.parents


def check_output(
    output: Path, content_dir: Path, own_files: Iterable[Path], force: bool = False, preview: bool = False
) -> None:
    """Raise :class:`OutputRefused` unless publishing into ``output`` can destroy nothing of the user's.

    ``own_files`` are the site's files (site.yaml, templates/, static/) and
    the generator's own code: an output folder must not contain them. A
    preview (drafts, a localhost base URL) and a published site never share
    a folder.
    """
    folder = output.resolve()
    shown = str(output)
    if folder == Path(folder.anchor):
        raise OutputRefused(f"{shown}: refusing to publish into the root folder")
    if folder == Path.home().resolve():
        raise OutputRefused(f"{shown}: refusing to publish into the home folder")
    content = content_dir.resolve()
    if _contains(content, folder) and folder != content:
        raise OutputRefused(
            f"{shown}: refusing to publish into a folder inside the content folder {content_dir} "
            "(its pages would be read as content); choose an --output outside it"
        )
    if _contains(folder, content):
        what = "is the content folder" if folder == content else f"contains the content folder {content_dir}"
        raise OutputRefused(f"{shown}: refusing to publish into a folder that {what}")
    for own in own_files:
        if own.exists() and _contains(folder, own.resolve()):
            raise OutputRefused(
                f"{shown}: refusing to publish into a folder that contains the site's own files ({own})"
            )
    if folder.exists() and not folder.is_dir():
        raise OutputRefused(f"{shown}: the output exists and is not a folder")
    if (folder / MARK).is_file():
        purpose = _read_mark(folder).get("purpose", "site")
        if purpose != ("preview" if preview else "site"):
            raise OutputRefused(
                f"{shown}: refusing to publish a {'preview' if preview else 'site'} into the "
                f"{'preview' if purpose == 'preview' else 'published site'} folder; choose another folder"
            )
        return
    if force or not folder.is_dir():
        return
    foreign = sorted(entry.name for entry in folder.iterdir() if not entry.name.startswith("."))
    if foreign:
        raise OutputRefused(
            f"{shown}: refusing to publish into a non-empty folder that this generator did not create "
            f"(it holds {foreign[0]!r} and no {MARK} mark); choose another --output, empty it, "
            f"or pass --force to publish beside its files (none of them is ever deleted)"
        )


def _read_mark(folder: Path, files: bool = False) -> dict[str, Any]:
    """The mark's header line ({"format", "purpose"}); with ``files``, also its second line, the file list."""
    try:
        with open(folder / MARK, "rb") as mark:
            header = json.loads(mark.readline())
            if not isinstance(header, dict) or header.get("format") != MARK_FORMAT:
                return {}
            return {**header, "files": json.loads(mark.readline())} if files else header
    except (OSError, ValueError):
        return {}


def read_owned(folder: Path) -> tuple[frozenset[str], list[str]]:
    """The files the generator published into ``folder`` (empty if unmarked or unreadable), and the entries of
    the mark that cannot name such a file (absolute, or with ``..``): a tampered mark must not make a build
    delete anything outside the output (what a symlinked folder would lead out of is checked on deleting:
    :func:`leads_out`)."""
    files = _read_mark(folder, files=True).get("files")
    if not isinstance(files, list):
        return frozenset(), []
    owned, refused = [], []
    for name in files:
        if isinstance(name, str) and _plain_relative(name):
            owned.append(name)
        else:
            refused.append(str(name)[:200])
    return frozenset(owned), refused


def _plain_relative(name: str) -> bool:
    return (
        bool(name)
        and not name.startswith("/")
        and "\0" not in name
        and not any(part in ("", ".", "..") for part in name.split("/"))
    )


def leads_out(folder: Path, name: str) -> bool:
    """Whether ``folder/name``'s folder is really elsewhere (a symlinked folder on the way leads out)."""
    root = os.path.realpath(folder)
    parent = os.path.realpath(os.path.dirname(os.path.join(root, name)))
    return parent != root and not parent.startswith(root + os.sep)


def mark_bytes(files: Iterable[str], preview: bool = False) -> bytes:
    """Two JSON lines: a small header (read on every build to check the purpose), then the file list."""
    header = {"format": MARK_FORMAT, "purpose": "preview" if preview else "site"}
    listed = sorted(files)
    try:
        names = orjson.dumps(listed)  # every file of the site, on every build that adds or drops one
    except orjson.JSONEncodeError:  # a name that is not UTF-8 (undecodable bytes on disk): escaped as JSON does
        names = json.dumps(listed, separators=(",", ":")).encode()
    return json.dumps(header).encode() + b"\n" + names + b"\n"


def default_modes() -> tuple[int, int]:
    """(folder mode, file mode) from the process's umask, as ``mkdir`` and ``open`` would give."""
    umask = process_umask()
    return 0o777 & ~umask, 0o666 & ~umask


class OutputLock:
    """An exclusive ``flock`` on the output's lock file, released on close or process death."""

    def __init__(self, place: OutputPlace, wait: float = LOCK_WAIT_SECONDS) -> None:
        self.place = place
        self.wait = wait
        self._fd: int | None = None

    def acquire(self) -> None:
        if self._fd is not None:
            return
        try:
            self._fd = hold_lock(self.place.lock_path, self.wait)
        except LockHeld as held:
            raise OutputBusy(f"{self.place.folder}: another build is running (pid {held.holder})") from None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
