"""The persistent build cache: what one build leaves for the next process, in ``.cache/`` beside the output.

A one-off build normally starts from nothing: it reads, indexes, plans and
renders everything and lets the publisher find that most files are unchanged.
With the cache, a new process starts from the last build's :class:`BuildState`
(articles as read with their stats and digests, the index, the plan, every
page's fingerprint, what the output holds) and does what ``serve`` does after
an edit: re-read the files whose (mtime, size) moved, re-render the pages
whose fingerprint changed.

The file's small last part, the :class:`Manifest`, lists every input file's stat as the last build
began (content/inputs.py), its day and its result: a build that finds the same files, day and output reports
that result without loading the state (large for a large site) at all. The state before
it is a series of pickles (:class:`Saving`, the layout in build/cache_layout.py):

- the records (each content file as read): for a large site each pickled on its own, as a pickler keeps a
  table of every object it writes until it is done, some fifty per article (a small site's go in one stream);
- the parts of the state, by one pickler that writes the objects the records share with them (the articles,
  their slugs, texts and words: :data:`SharedOf`) as references to the records, so the loaded state shares
  them as the saved one did. What is settled before pages render is written while the workers render (the
  build's own process has nothing else to do then, and writing the state of a large site takes seconds),
  the rest once the output is published, sharing the first part's objects.

It must never make a build wrong, so anything doubtful means "no cache":

- the file starts with a format line and a key made of the generator's own
  source code, the Python version and the options that shape the state; a
  cache from another version or another content folder is ignored;
- the manifest and the payload carry their digests, so a truncated or corrupt file is ignored; the
  state is pickled straight to the file and its digest checked in pieces, never held in memory whole;
- the digests are keyed (BLAKE2 as a MAC) with a secret kept outside the cache folder
  (:func:`secret_key`), and nothing is unpickled before its digest is checked: a pickle runs code
  when loaded, so whoever can write the cache but not that key (a shared or restored ``.cache/``)
  cannot make a build run theirs, only make it start afresh; the compiled templates are kept the
  same way (:class:`KeyedBytecodeCache`);
- any damage at all (a header whose sizes do not match the file, a FIFO in its place, a file that
  cannot be decoded) is a note and a clean build, never an error;
- it is written to a temporary file and renamed into place (atomic), under the
  output's lock (two builds cannot interleave), and removed *before* the
  output is changed, so a build killed while publishing leaves no cache that
  would describe an output that is no longer there; a temporary file a killed
  build left is removed by the next build that writes one;
- it records the output's mark; if the output was changed by anything else
  (the mark differs, or a file it lists is gone) the cache is ignored.
"""

from __future__ import annotations

import gc
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

from generator.build.cache_keys import (
    CacheIgnored,
    KeyedBytecodeCache,
    cache_key,
    keyed_digest,
    open_regular,
    secret_key,
    templates_key,
)
from generator.build.cache_layout import (
    FORMAT,
    HEADER_SIZE,
    Hashing,
    Header,
    SharedOf,
    digest_of,
    start_reading,
    start_writing,
)
from generator.core.options import BuildOptions, OutputStep
from generator.index.days import local_day_now
from generator.publish.output import MARK, output_id

STATE_PARTS = 2  # the state as settled before pages render, then what publishing settles (state.py)


def cache_file(output_dir: Path, cache_dir: Path) -> Path:
    """``<cache folder>/<output id>.state``: in the project, ``.cache/newsdigest/public-3f2a9c0d1e.state``."""
    return cache_dir / f"{output_id(output_dir)}.state"


@dataclass(frozen=True)
class Manifest:
    """The small first part of the cache: enough to tell, without loading the state, that nothing changed."""

    inputs: object  # inputs.input_stats() as the build began
    today: date | None  # the build's day in the site's time zone ("Today" on the home page)
    zone: tzinfo | None  # that time zone
    published: dict[str, int]  # every file the output's mark lists -> published_stat() as last published
    result: Any  # the BuildResult a build with nothing changed reports (problems, counts)


def published_stat(path: str) -> int:
    """What says a published file is as it was published: its (mtime, size, inode). A build renames files into
    place and hard-links unchanged ones into a new tree, which keeps all three; truncating, appending or
    overwriting a page changes them, and then the cache is not used: the build compares every page with
    what it would publish and rewrites what differs. -1 for a file that is not there."""
    try:
        status = os.lstat(path)
    except OSError:
        return -1
    return hash(
        (status.st_mtime_ns, status.st_size, status.st_ino)
    )  # ints and tuples of ints hash alike in every process


def published_stats(folder: Path, owned: frozenset[str], written: list[str], before: dict[str, int]) -> dict[str, int]:
    """Each published file's :func:`published_stat`: those written now stat'ed again, the others as they were."""
    base, join = str(folder), os.path.join
    fresh = set(written)
    return {
        name: known
        if (known := before.get(name)) is not None and name not in fresh
        else published_stat(join(base, name))
        for name in owned
    }


def _output_present(manifest: Manifest, output_dir: Path) -> bool:
    """Every file the last build published is still there as it was published (a stat each: once per build)."""
    folder = str(output_dir)
    join = os.path.join
    return all(published_stat(join(folder, name)) == known for name, known in manifest.published.items())


def _open_checked(path: Path, key: bytes, output_dir: Path, check_output: bool = True) -> tuple[Any, Header, Manifest]:
    """The open cache file (after its manifest), its header and manifest; CacheIgnored unless all can be trusted
    (``check_output=False``: except that the output still holds its files, which the caller checks if it needs to)."""
    try:
        file = open_regular(path)
    except FileNotFoundError:
        raise CacheIgnored("no cache yet") from None
    except OSError as exc:
        raise CacheIgnored(f"cannot read it ({exc.strerror})") from None
    try:
        lines = file.read(HEADER_SIZE).split(b"\n")
        if (
            len(lines) != 9
            or lines[0] != FORMAT
            or lines[-2:] != [b"", b""]
            or not lines[5].isdigit()
            or not lines[6].isdigit()
        ):
            raise CacheIgnored("not a cache of this format")
        header = Header(lines[1], lines[2], lines[3], lines[4], int(lines[5]), int(lines[6]))
        if HEADER_SIZE + header.payload_size + header.manifest_size != os.fstat(file.fileno()).st_size:
            raise CacheIgnored("truncated or corrupt")
        if header.key != key:
            raise CacheIgnored("made by another version of the generator or other settings")
        try:
            mark = (output_dir / MARK).read_bytes()
        except OSError:
            mark = b""
        if digest_of(mark) != header.mark:  # checked first: a clean build into an empty folder pays nothing
            raise CacheIgnored("the output was changed by something else")
        file.seek(HEADER_SIZE + header.payload_size)
        data = file.read(header.manifest_size)
        if digest_of(data) != header.manifest:
            raise CacheIgnored("truncated or corrupt")
        try:
            manifest = pickle.loads(data)  # noqa: S301 - our own file, checked against its digest above
        except Exception:  # noqa: BLE001 - whatever a damaged file does, the build starts afresh
            raise CacheIgnored("unreadable") from None
        if not isinstance(manifest, Manifest):
            raise CacheIgnored("unreadable")
        if check_output and not _output_present(manifest, output_dir):
            raise CacheIgnored("files of the output were changed or removed")
        return file, header, manifest
    except BaseException:
        file.close()
        raise


def load(path: Path, key: bytes, output_dir: Path, shared_of: SharedOf) -> tuple[list[Any], tuple[Any, ...]]:
    """The cached state's records and parts for this key and output, or CacheIgnored (why) when none can be
    trusted."""
    file, header, _manifest = _open_checked(path, key, output_dir)
    with file:
        file.seek(HEADER_SIZE)
        digest = keyed_digest()
        left = header.payload_size
        while left and (chunk := file.read(min(left, 1 << 20))):  # in pieces: a large site's state is not held twice
            digest.update(chunk)
            left -= len(chunk)
        if left or digest.hexdigest().encode() != header.payload:
            raise CacheIgnored("truncated or corrupt")
        file.seek(HEADER_SIZE)
        try:
            records, unpickler = start_reading(file, shared_of)  # one unpickler for all parts: later parts refer to
            parts = tuple(unpickler.load() for _ in range(STATE_PARTS))  # noqa: S301 - earlier parts' objects
        except Exception:  # noqa: BLE001 - whatever a damaged file does, the build starts afresh
            raise CacheIgnored("unreadable") from None
        if file.tell() != HEADER_SIZE + header.payload_size:
            raise CacheIgnored("unreadable")
        return records, parts


def unchanged_result(path: Path, key: bytes, output_dir: Path, inputs: object, now: datetime) -> Any:
    """The last build's result when no input, day or output has changed since it began, else None."""
    try:
        file, _header, manifest = _open_checked(path, key, output_dir, check_output=False)
    except Exception:  # noqa: BLE001 - CacheIgnored, or damage it did not foresee: the state is loaded next
        return None
    file.close()
    if manifest.inputs != inputs or manifest.today != local_day_now(now, manifest.zone):
        return None  # the state is loaded next, and the output checked then
    return manifest.result if _output_present(manifest, output_dir) else None


class Saving:
    """The cache this build writes, as a context manager: the records and the state's first part from
    ``begin()`` on (called while the workers render), the last part and the manifest at ``finish()``, once
    the output is published.
    Written to a temporary file renamed into place when finished; a build that leaves the block without
    finishing (it failed, or changed nothing) leaves no file. A cache that cannot be written is no error:
    the next build starts afresh. With no cache (the preview), nothing is written."""

    def __init__(
        self,
        cache: StateCache | None,
        records: Callable[[], Sequence[Any]],
        shared_of: SharedOf,
        first_part: Callable[[], Any],
    ) -> None:
        self._cache, self._records, self._shared_of, self._first_part = cache, records, shared_of, first_part
        self._begun = False
        self._file: Any = None
        self._temporary: str | None = None

    def __enter__(self) -> Saving:
        return self

    def __exit__(self, *exc: object) -> None:
        self._abandon()

    def begin(self) -> None:
        if self._cache is None or self._begun:
            return
        self._begun = True
        folder, name = self._cache.path.parent, self._cache.path.name
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for left in folder.glob(f".{name}.*"):  # a killed build's (builds of one output never overlap)
                left.unlink(missing_ok=True)
            descriptor, self._temporary = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
            self._file = os.fdopen(descriptor, "wb")
            self._file.write(b"\0" * HEADER_SIZE)
            self._payload = Hashing(self._file)
            records = self._records()
            # One pickler for every part: later parts refer to the objects of earlier ones.
            self._pickler = start_writing(self._payload, records, self._shared_of)
            self._pickler.dump(self._first_part())
        except (OSError, pickle.PicklingError, CacheIgnored):
            self._abandon()

    def finish(self, manifest: Manifest, last_part: Any, output_dir: Path) -> None:
        """Write the last part and the manifest, and put the cache in place."""
        if self._cache is None:
            return
        self.begin()
        if self._file is None:  # could not be written
            return
        try:
            self._pickler.dump(last_part)
            payload_size = self._file.tell() - HEADER_SIZE
            manifest_data = pickle.dumps(manifest, protocol=pickle.HIGHEST_PROTOCOL)
            self._file.write(manifest_data)
            mark = (output_dir / MARK).read_bytes()
            self._file.seek(0)
            self._file.write(
                Header(
                    self._cache.key,
                    self._payload.digest.hexdigest().encode(),
                    digest_of(mark),
                    digest_of(manifest_data),
                    payload_size,
                    len(manifest_data),
                ).encode()
            )
            self._file.close()
            self._file = None
            assert self._temporary is not None
            os.replace(self._temporary, self._cache.path)
            self._temporary = None
        except (OSError, pickle.PicklingError, CacheIgnored):
            self._abandon()

    def _abandon(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._temporary is not None:
            Path(self._temporary).unlink(missing_ok=True)
            self._temporary = None


def discard(path: Path) -> None:
    """Remove the cache: the output is about to change."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


class StateCache:
    """One output's cache file, for a one-off build: load once at the start, discard before publishing, save after."""

    def __init__(self, output_dir: Path, cache_dir: Path, *shaping: object) -> None:
        self.output_dir = output_dir
        self.path = cache_file(output_dir, cache_dir)
        self.key = cache_key(*shaping)

    def compiled_templates(self) -> KeyedBytecodeCache | None:
        """Jinja's compiled templates, in a folder made when first asked (the output was accepted by then).

        Jinja checks each against its template's source, not against the code that compiled it, and
        render/fast_jinja.py compiles templates its own way: the folder is named by the generator's code, and
        folders of other versions are removed.
        """
        folder = self.path.parent / f"templates-{templates_key()}"
        try:
            for old in self.path.parent.glob("templates*"):
                if old != folder and old.is_dir():
                    shutil.rmtree(old, ignore_errors=True)
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        return KeyedBytecodeCache(folder) if secret_key() is not None else None

    def load(self, shared_of: SharedOf) -> tuple[tuple[list[Any], tuple[Any, ...]] | None, str | None]:
        """(the cached state's records and parts, or None; a note saying why they were not used, or None when
        there was none)."""
        gc_was_enabled = gc.isenabled()
        gc.disable()  # unpickling allocates millions of objects: no use scanning them as they arrive
        try:
            return load(self.path, self.key, self.output_dir, shared_of), None
        except CacheIgnored as exc:
            reason = str(exc)
        except Exception:  # noqa: BLE001 - a damaged cache of any kind means a clean build, never an error
            reason = "unreadable"
        finally:
            if gc_was_enabled:
                gc.enable()
        return None, None if reason == "no cache yet" else f"build cache ignored ({reason}); building from scratch"

    def unchanged_result(self, inputs: object, now: datetime) -> Any:
        """The last build's result if nothing has changed since it began (see :class:`Manifest`), else None."""
        return unchanged_result(self.path, self.key, self.output_dir, inputs, now)

    def discard(self) -> None:
        discard(self.path)


def state_cache(options: BuildOptions, steps: Sequence[OutputStep]) -> StateCache:
    """The cache of one-off builds into ``options.output_dir``, keyed by every option that shapes the state and by
    the steps (a build with other steps is not the cached one)."""
    return StateCache(
        options.output_dir,
        options.cache_dir,
        options.content_dir.resolve(),
        options.include_unpublished,
        options.fingerprint_assets,
        options.base_url,
        options.config_path.resolve() if options.config_path else None,
        str(options.site_dir.resolve()),
        tuple(f"{step.__module__}.{step.__qualname__}" for step in steps),
    )
