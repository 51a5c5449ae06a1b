"""The process's memory around a build: the cyclic garbage collector, set by the programs that run builds (the
command line and the preview), never by the library (a program embedding the builder keeps its own collector
settings); and the C heap's free memory, given back after the steps that leave much of it."""

from __future__ import annotations

import ctypes
import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """No collection while the block runs, and what it kept frozen out of later passes.

    A build makes hundreds of thousands of objects in bulk, nearly all of them kept (a one-off build's
    until it ends): the collector's passes over the heap cost seconds and find nothing. What a later build
    replaces is freed by reference counting; the preview collects cycles in its idle time (serve/server.py);
    forked workers collect their own (core/parallel.py).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


@functools.cache
def _trimmer() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim  # the symbols this process already has
    except (OSError, AttributeError):
        return None
    return trim


def give_back_free_memory() -> None:
    """Return the C heap's free memory to the system, after a step that made and dropped much (story grouping's
    word vectors, rendering's memos).

    Python hands the blocks of large objects (a dict of a few dozen entries and up) to the C library's allocator,
    which keeps what is freed for reuse; freed among objects that stay, it stays in the process, counted as its
    memory until the process ends, and the next step's peak stands on it. Only the C library can give it back.
    """
    trim = _trimmer()
    if trim is not None:
        trim(0)
