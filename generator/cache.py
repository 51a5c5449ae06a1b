"""The persistent build cache: what one build leaves for the next process, in ``.cache/`` beside the output.

A one-off build normally starts from nothing: it reads, indexes, plans and
renders everything and lets the publisher find that most files are unchanged.
With the cache, a new process starts from the last build's :class:`BuildState`
(articles as read with their stats and digests, the index, the plan, every
page's fingerprint, what the output holds) and does what ``serve`` does after
an edit: re-read the files whose (mtime, size) moved, re-render the pages
whose fingerprint changed.

It must never make a build wrong, so anything doubtful means "no cache":

- the file starts with a format line and a key made of the generator's own
  source code, the Python version and the options that shape the state; a
  cache from another version or another content folder is ignored;
- the payload carries its digest, so a truncated or corrupt file is ignored;
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
from functools import cache
from pathlib import Path
from typing import Any

from .output import MARK

FORMAT = b"newsdigest-cache/1"
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


def load(path: Path, key: bytes, output_dir: Path) -> Any:
    """The cached state for this key and output, or CacheIgnored (why) when there is none that can be trusted."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CacheIgnored("no cache yet") from None
    except OSError as exc:
        raise CacheIgnored(f"cannot read it ({exc.strerror})") from None
    header, _, payload = data.partition(b"\n\n")
    lines = header.split(b"\n")
    if len(lines) != 4 or lines[0] != FORMAT:
        raise CacheIgnored("not a cache of this format")
    if lines[1] != key:
        raise CacheIgnored("made by another version of the generator or other settings")
    try:
        mark = (output_dir / MARK).read_bytes()
    except OSError:
        mark = b""
    if _digest(mark) != lines[3]:  # checked before the payload: a clean build into an empty folder pays nothing
        raise CacheIgnored("the output was changed by something else")
    if _digest(payload) != lines[2]:
        raise CacheIgnored("truncated or corrupt")
    try:
        state = pickle.loads(payload)  # noqa: S301 - our own file, checked against its digest above
    except Exception:  # noqa: BLE001 - whatever a damaged file does, the build starts afresh
        raise CacheIgnored("unreadable") from None
    owned = getattr(state, "owned", None) or frozenset()
    folder = str(output_dir)
    if not all(os.path.lexists(os.path.join(folder, name)) for name in owned):
        raise CacheIgnored("files of the output are missing")
    return state


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).hexdigest().encode()


def save(path: Path, key: bytes, state: Any, output_dir: Path) -> None:
    """Write the cache atomically; a cache that cannot be written is no error (the next build starts afresh)."""
    try:
        mark = (output_dir / MARK).read_bytes()
        payload = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        header = b"\n".join([FORMAT, key, _digest(payload), _digest(mark)])
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(header + b"\n\n" + payload)
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

    def discard(self) -> None:
        discard(self.path)

    def save(self, state: Any) -> None:
        save(self.path, self.key, state, self.output_dir)
