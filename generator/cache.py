"""The persistent build cache: what one build leaves for the next process, in ``.cache/`` beside the output.

A one-off build normally starts from nothing: it reads, indexes, plans and
renders everything and lets the publisher find that most files are unchanged.
With the cache, a new process starts from the last build's :class:`BuildState`
(articles as read with their stats and digests, the index, the plan, every
page's fingerprint, what the output holds) and does what ``serve`` does after
an edit: re-read the files whose (mtime, size) moved, re-render the pages
whose fingerprint changed.

The file's small first part, the :class:`Manifest`, lists every input file's stat as the last build
began (inputs.py), its day and its result: a build that finds the same files, day and output reports
that result without loading the state (hundreds of MB at 100,000 articles) at all.

It must never make a build wrong, so anything doubtful means "no cache":

- the file starts with a format line and a key made of the generator's own
  source code, the Python version and the options that shape the state; a
  cache from another version or another content folder is ignored;
- the manifest and the payload carry their digests, so a truncated or corrupt file is ignored; the
  state is pickled straight to the file and its digest checked in pieces, never held in memory whole;
- it is written to a temporary file and renamed into place (atomic), under the
  output's lock (two builds cannot interleave), and removed *before* the
  output is changed, so a build killed while publishing leaves no cache that
  would describe an output that is no longer there;
- it records the output's mark; if the output was changed by anything else
  (the mark differs, or a file it lists is gone) the cache is ignored.
"""
from __future__ import annotations

import gc
import hashlib
import os
import pickle
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo
from functools import cache
from pathlib import Path
from typing import Any

from .output import MARK

FORMAT = b"newsdigest-cache/2"
FOLDER = ".cache"


class CacheIgnored(Exception):
    """The cache cannot be used; the message says why, in a few words."""


def cache_file(output_dir: Path) -> Path:
    """``.cache/newsdigest/<output>.state`` in the folder that holds the output (``.cache/newsdigest/public.state``).

    A folder of our own inside ``.cache``: the output's parent may be a home folder whose ``.cache`` is not ours.
    """
    output = output_dir.absolute()
    return output.parent / FOLDER / "newsdigest" / f"{output.name}.state"


@cache
def _code_digest() -> bytes:
    """The generator's own source: any change to the code makes earlier caches foreign."""
    digest = hashlib.blake2b(sys.version.encode(), digest_size=16)
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.digest()


def cache_key(*parts: object) -> bytes:
    """The code's digest and ``parts`` (options that shape the state), as one hex line."""
    digest = hashlib.blake2b(_code_digest(), digest_size=16)
    for part in parts:
        digest.update(repr(part).encode() + b"\0")
    return digest.hexdigest().encode()


@dataclass(frozen=True)
class Manifest:
    """The small first part of the cache: enough to tell, without loading the state, that nothing changed."""

    inputs: object  # inputs.input_stats() as the build began
    today: date | None  # the build's day in the site's time zone ("Today" on the home page)
    zone: tzinfo | None  # that time zone
    owned: frozenset[str]  # what the output's mark lists
    result: Any  # the BuildResult a build with nothing changed reports (problems, counts)


@dataclass(frozen=True)
class _Header:
    key: bytes
    payload: bytes  # digest
    mark: bytes  # digest of the output's mark
    manifest: bytes  # digest
    manifest_size: int

    def encode(self) -> bytes:
        lines = [FORMAT, self.key, self.payload, self.mark, self.manifest, b"%016d" % self.manifest_size]
        return b"\n".join(lines) + b"\n\n"


HEADER_SIZE = len(_Header(b"0" * 32, b"0" * 32, b"0" * 32, b"0" * 32, 0).encode())  # every field has a fixed width


def _output_present(manifest: Manifest, output_dir: Path) -> bool:
    """Every file the last build published is still there (a stat each: checked once per build)."""
    folder = str(output_dir)
    return all(os.path.lexists(os.path.join(folder, name)) for name in manifest.owned)


def _open_checked(path: Path, key: bytes, output_dir: Path, check_output: bool = True) -> tuple[Any, _Header, Manifest]:
    """The open cache file (after its manifest), its header and manifest; CacheIgnored unless all can be trusted
    (``check_output=False``: except that the output still holds its files, which the caller checks if it needs to)."""
    try:
        file = open(path, "rb")  # noqa: SIM115 - handed to the caller, which closes it
    except FileNotFoundError:
        raise CacheIgnored("no cache yet") from None
    except OSError as exc:
        raise CacheIgnored(f"cannot read it ({exc.strerror})") from None
    try:
        lines = file.read(HEADER_SIZE).split(b"\n")
        if len(lines) != 8 or lines[0] != FORMAT or lines[-2:] != [b"", b""] or not lines[5].isdigit():
            raise CacheIgnored("not a cache of this format")
        header = _Header(lines[1], lines[2], lines[3], lines[4], int(lines[5]))
        if header.key != key:
            raise CacheIgnored("made by another version of the generator or other settings")
        try:
            mark = (output_dir / MARK).read_bytes()
        except OSError:
            mark = b""
        if _digest(mark) != header.mark:  # checked first: a clean build into an empty folder pays nothing
            raise CacheIgnored("the output was changed by something else")
        data = file.read(header.manifest_size)
        if _digest(data) != header.manifest:
            raise CacheIgnored("truncated or corrupt")
        try:
            manifest = pickle.loads(data)  # noqa: S301 - our own file, checked against its digest above
        except Exception:  # noqa: BLE001 - whatever a damaged file does, the build starts afresh
            raise CacheIgnored("unreadable") from None
        if not isinstance(manifest, Manifest):
            raise CacheIgnored("unreadable")
        if check_output and not _output_present(manifest, output_dir):
            raise CacheIgnored("files of the output are missing")
        return file, header, manifest
    except BaseException:
        file.close()
        raise


def load(path: Path, key: bytes, output_dir: Path) -> Any:
    """The cached state for this key and output, or CacheIgnored (why) when there is none that can be trusted."""
    file, header, _manifest = _open_checked(path, key, output_dir)
    with file:
        start = file.tell()
        digest = hashlib.blake2b(digest_size=16)
        while chunk := file.read(1 << 20):  # in pieces: at 100,000 articles the state is hundreds of MB
            digest.update(chunk)
        if digest.hexdigest().encode() != header.payload:
            raise CacheIgnored("truncated or corrupt")
        file.seek(start)
        try:
            return pickle.load(file)  # noqa: S301 - our own file, checked against its digest above
        except Exception:  # noqa: BLE001 - whatever a damaged file does, the build starts afresh
            raise CacheIgnored("unreadable") from None


def unchanged_result(path: Path, key: bytes, output_dir: Path, inputs: object, now: datetime) -> Any:
    """The last build's result when no input, day or output has changed since it began, else None."""
    try:
        file, _header, manifest = _open_checked(path, key, output_dir, check_output=False)
    except CacheIgnored:
        return None
    file.close()
    if manifest.inputs != inputs or manifest.today != now.astimezone(manifest.zone or timezone.utc).date():
        return None  # the state is loaded next, and the output checked then
    return manifest.result if _output_present(manifest, output_dir) else None


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).hexdigest().encode()


class _Hashing:
    """A file that also digests what is written to it (the state is pickled straight to disk, never held whole)."""

    def __init__(self, file: Any) -> None:
        self.file = file
        self.digest = hashlib.blake2b(digest_size=16)

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        written: int = self.file.write(data)
        return written


def save(path: Path, key: bytes, manifest: Manifest, state: Any, output_dir: Path) -> None:
    """Write the cache atomically; a cache that cannot be written is no error (the next build starts afresh)."""
    try:
        mark = (output_dir / MARK).read_bytes()
        manifest_data = pickle.dumps(manifest, protocol=pickle.HIGHEST_PROTOCOL)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(b"\0" * HEADER_SIZE + manifest_data)
                payload = _Hashing(file)
                pickle.dump(state, payload, protocol=pickle.HIGHEST_PROTOCOL)
                file.seek(0)
                file.write(_Header(key, payload.digest.hexdigest().encode(), _digest(mark), _digest(manifest_data),
                                   len(manifest_data)).encode())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        discard(path)


def discard(path: Path) -> None:
    """Remove the cache: the output is about to change."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


class StateCache:
    """One output's cache file, for a one-off build: load once at the start, discard before publishing, save after."""

    def __init__(self, output_dir: Path, *shaping: object) -> None:
        self.output_dir = output_dir
        self.path = cache_file(output_dir)
        self.key = cache_key(*shaping)

    def compiled_templates(self) -> Path | None:
        """A folder for Jinja's compiled templates (made when first asked: the output was accepted by then).

        Jinja checks each against its template's source, not against the code that compiled it, and
        render.py compiles templates its own way: the folder is named by the generator's code, and
        folders of other versions are removed.
        """
        folder = self.path.parent / f"templates-{_code_digest().hex()[:16]}"
        try:
            for old in self.path.parent.glob("templates*"):
                if old != folder and old.is_dir():
                    shutil.rmtree(old, ignore_errors=True)
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        return folder

    def load(self) -> tuple[Any, str | None]:
        """(the cached state or None, a note saying why it was not used, or None when there simply was none)."""
        gc_was_enabled = gc.isenabled()
        gc.disable()  # unpickling allocates millions of objects: no use scanning them as they arrive
        try:
            return load(self.path, self.key, self.output_dir), None
        except CacheIgnored as exc:
            reason = str(exc)
            return None, None if reason == "no cache yet" else f"build cache ignored ({reason}); building from scratch"
        finally:
            if gc_was_enabled:
                gc.enable()

    def unchanged_result(self, inputs: object, now: datetime) -> Any:
        """The last build's result if nothing has changed since it began (see :class:`Manifest`), else None."""
        return unchanged_result(self.path, self.key, self.output_dir, inputs, now)

    def discard(self) -> None:
        discard(self.path)

    def save(self, manifest: Manifest, state: Any) -> None:
        save(self.path, self.key, manifest, state, self.output_dir)
