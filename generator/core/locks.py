"""Exclusive locks between processes: an ``flock`` on a file, released when its descriptor closes (and so when
the process dies, however it dies: no stale lock to clean up)."""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class LockHeld(Exception):
    """Another process holds the lock; ``holder`` is its process id as it wrote it ("unknown" if it did not)."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


def hold_lock(path: Path, wait: float = 0.0, name_holder: bool = True) -> int:
    """Take the lock of ``path`` (created if missing), waiting up to ``wait`` seconds; returns the descriptor that
    holds it. ``name_holder``: write this process's id in the file for the next one to name (not for a lock file
    in the user's own folders, which would then change at every run)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                os.close(fd)
                raise
            if time.monotonic() >= deadline:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                raise LockHeld(holder) from None
            time.sleep(0.05)
    if name_holder:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


@contextmanager
def locked(path: Path, wait: float = 0.0) -> Iterator[None]:
    """:func:`hold_lock` for the length of a block."""
    fd = hold_lock(path, wait)
    try:
        yield
    finally:
        os.close(fd)
