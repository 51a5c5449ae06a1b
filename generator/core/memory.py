"""The cyclic garbage collector around a build, set by the programs that run builds (the command line and
the preview), never by the library: a program embedding the builder keeps its own collector settings."""

from __future__ import annotations

import gc
from collections.abc import Iterator
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
