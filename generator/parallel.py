"""Run a function over shares of a list in forked worker processes.

One-off builds of large sites use every core for reading and rendering.
Forking lets workers inherit the index, plan and template environment
without pickling them; only each share's small results travel back. Never
used by the preview server, whose threads make forking unsafe.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 1000  # below this, starting processes costs more than it saves

# What the forked workers need; set just before forking, read by _run_share in the child.
_job: tuple[Callable[[Sequence[Any], int], Any], Sequence[Any], int] | None = None


def worker_count(items: int, jobs: int | None = None) -> int:
    if items < MIN_ITEMS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(jobs or os.cpu_count() or 1, 8))


def map_shares(work: Callable[[Sequence[T], int], R], items: Sequence[T], jobs: int | None = None) -> list[R]:
    """``work(share, worker_number)`` for interleaved shares of ``items``, in parallel when worthwhile.

    Worker 0 runs in the calling process's child like the others; an exception
    in any worker is raised here.
    """
    workers = worker_count(len(items), jobs)
    if workers == 1:
        return [work(items, 0)]
    global _job
    _job = (work, items, workers)
    collecting = gc.isenabled()
    gc.disable()  # unpickling the shares' results makes millions of objects: no use scanning them as they arrive
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(_run_share, range(workers))
    finally:
        _job = None
        if collecting:
            gc.enable()


def _run_share(number: int) -> Any:
    assert _job is not None
    gc.freeze()  # what the worker inherited lives until it exits: the collector need not scan it
    work, items, workers = _job
    return work(items[number::workers], number)
