"""The build cache's trust: a per-user secret, keyed digests (BLAKE2 as a MAC) of everything the cache
unpickles or unmarshals, and the keys that make a cache from other code or other options foreign.

A pickle or marshalled code runs when loaded, so nothing is loaded before its keyed digest is checked;
whoever can write a cache folder but not the secret (kept outside every cache folder) can only make a
build start afresh.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
import sys
import tempfile
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2

from generator.render import fast_jinja


class CacheIgnored(Exception):
    """The cache cannot be used; the message says why, in a few words."""


KEY_FILE_NAME = "cache.key"


def key_file() -> Path:
    """Where the caches' secret lives: ``$XDG_CONFIG_HOME/newsdigest/cache.key`` (``~/.config/...``), outside
    every project's cache folder; ``NEWSDIGEST_CACHE_KEY`` names another file."""
    named = os.environ.get("NEWSDIGEST_CACHE_KEY")
    if named:
        return Path(named)
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(config) / "newsdigest" / KEY_FILE_NAME


@cache
def secret_key() -> bytes | None:
    """This user's secret for the caches' digests, made (mode 0600) on first use, remade if damaged; None if
    it cannot be had (then nothing is cached)."""
    path = key_file()
    existing = _key_in(path)
    if existing is not None:
        return existing
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor, temporary = tempfile.mkstemp(prefix=".cache.key.", dir=path.parent)  # mode 0600
    except OSError:
        return None
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(secrets.token_bytes(32))
        try:
            os.link(temporary, path)  # a key another process made meanwhile is kept
        except FileExistsError:
            if _key_in(path) is None:
                os.replace(temporary, path)  # a damaged one is not
    except OSError:
        return None
    finally:
        Path(temporary).unlink(missing_ok=True)
    return _key_in(path)


def _key_in(path: Path) -> bytes | None:
    try:
        data = _read_regular(path, 64)
    except OSError:
        return None
    return data if len(data) == 32 else None


def _read_regular(path: Path, limit: int) -> bytes:
    """Up to ``limit`` bytes of a regular file (a FIFO or device in its place is an error, never a wait)."""
    with open_regular(path) as file:
        data: bytes = file.read(limit)
    return data


def open_regular(path: Path) -> Any:
    """``path`` opened for reading if it is a regular file (OSError otherwise, at once: O_NONBLOCK)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise OSError(0, "not a regular file", str(path))
    return os.fdopen(descriptor, "rb")


def keyed_digest() -> Any:
    """A new keyed digest (CacheIgnored when there is no key: then nothing is read or written)."""
    key = secret_key()
    if key is None:
        raise CacheIgnored(f"no key for it ({key_file()} cannot be made)")
    return hashlib.blake2b(digest_size=16, key=key)


class KeyedBytecodeCache(jinja2.BytecodeCache):
    """Jinja's compiled templates (marshalled code: loading one runs it) with a keyed digest in front of each,
    one file per template in ``folder``; one that is damaged, foreign or unreadable is compiled again, never
    an error."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _file(self, bucket: jinja2.bccache.Bucket) -> Path:
        return self.folder / f"{bucket.key}.cache"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            with open_regular(self._file(bucket)) as file:
                data = file.read()
            mac, payload = data[:32], data[32:]
            digest = keyed_digest()
            digest.update(payload)
            if not secrets.compare_digest(digest.hexdigest().encode(), mac):
                return
            bucket.bytecode_from_string(payload)
        except Exception:  # noqa: BLE001 - whatever a damaged file does, the template is compiled again
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            payload = bucket.bytecode_to_string()
            digest = keyed_digest()
            digest.update(payload)
            name = self._file(bucket)
            descriptor, temporary = tempfile.mkstemp(prefix=".tmp.", dir=self.folder)
            with os.fdopen(descriptor, "wb") as file:
                file.write(digest.hexdigest().encode() + payload)
            os.replace(temporary, name)
        except (OSError, CacheIgnored):
            pass


@cache
def _code_digest() -> bytes:
    """The generator's own source and catalogs: any change to them makes earlier caches foreign."""
    digest = hashlib.blake2b(sys.version.encode(), digest_size=16)
    package = Path(__file__).resolve().parents[1]  # generator/, every stage
    for path in sorted([*package.rglob("*.py"), *package.glob("locale/*.po")]):  # the shipped catalogs too
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.digest()


def templates_key() -> str:
    """What compiled templates depend on besides their sources: this code, Jinja's and MarkupSafe's versions,
    and whether the fast path compiles them (fast_jinja.py)."""
    versions = "/".join(metadata.version(name) for name in ("jinja2", "markupsafe"))
    return hashlib.blake2b(_code_digest() + versions.encode() + fast_jinja.mode().encode(), digest_size=8).hexdigest()


def cache_key(*parts: object) -> bytes:
    """The code's digest and ``parts`` (options that shape the state), as one hex line."""
    digest = hashlib.blake2b(_code_digest(), digest_size=16)
    for part in parts:
        digest.update(repr(part).encode() + b"\0")
    return digest.hexdigest().encode()
