"""Run a function over chunks of a list in forked worker processes.

One-off builds of large sites use every core for reading and rendering.
Forking lets workers inherit the index, plan and template environment
without pickling them; only each chunk's small results travel back. Each
worker works through its own run of consecutive chunks, and one that runs out
takes chunks from the far end of the longest run left: a core slowed by
something else on the machine does not hold the build back, and neighbouring
items (pages showing the same articles, whose cards each worker makes once)
stay with one worker. Never used by the preview server, whose threads make
forking unsafe.
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
CHUNKS_PER_WORKER = 8  # enough for the workers to even out, few enough that each chunk's results travel in bulk

# What the forked workers need; set just before forking, read by _run_chunk in the child.
_job: tuple[Callable[[Sequence[Any]], Any], list[Sequence[Any]], Any] | None = None
_worker = 0  # this worker's number (in a forked worker), which names its run of chunks


def worker_count(items: int, jobs: int | None = None) -> int:
    if items < MIN_ITEMS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(jobs or os.cpu_count() or 1, 8))


def map_chunks(work: Callable[[Sequence[T]], R], items: Sequence[T], jobs: int | None = None,
               done: Callable[[int], None] = lambda count: None, collect: bool = False,
               meanwhile: Callable[[], None] | None = None) -> list[R]:
    """``work(chunk)`` for consecutive chunks of ``items``, in parallel when worthwhile; results in order.

    ``done(count)`` is called here as each chunk finishes. An exception in any worker is raised here.
    ``jobs=1`` keeps the work in this process (the preview server, whose threads make forking unsafe).
    ``collect``: the work leaves reference cycles (Jinja's rendering does), so workers run the cyclic
    collector; without it they do not (reading makes only acyclic objects, in bulk: the collector's passes
    over them made reading 100,000 files twice as slow).
    ``meanwhile``: called here once the workers have their tasks, while they work (only when they are forked;
    this process would otherwise wait for them).
    """
    workers = worker_count(len(items), jobs)
    size = max(1, -(-len(items) // (workers * CHUNKS_PER_WORKER)))
    chunks = [items[start:start + size] for start in range(0, len(items), size)]
    results: list[Any] = []
    if workers == 1:  # in this process, chunk by chunk so that progress shows
        for chunk in chunks:
            results.append(work(chunk))
            done(len(chunk))
        return results
    global _job
    context = multiprocessing.get_context("fork")
    _job = (work, chunks, _Runs(context, len(chunks), workers))
    collecting = gc.isenabled()
    gc.disable()  # unpickling the chunks' results makes millions of objects: no use scanning them as they arrive
    try:
        results = [None] * len(chunks)
        joined = context.Value("i", 0)
        with context.Pool(workers, initializer=_start_worker, initargs=(collect, joined)) as pool:
            # One task per chunk; which chunk a task works on is the worker's to take (_Runs.take).
            finished = pool.imap_unordered(_run_chunk, range(len(chunks)))
            if meanwhile is not None:
                meanwhile()
            for number, result in finished:
                results[number] = result
                done(len(chunks[number]))
        return results
    finally:
        _job = None
        if collecting:
            gc.enable()


class _Runs:
    """Which chunks are left: a run of consecutive chunks per worker, shared by the forked workers."""

    def __init__(self, context: Any, chunks: int, workers: int) -> None:
        bounds = [chunks * n // workers for n in range(workers + 1)]
        self.fronts = context.Array("i", bounds[:-1], lock=False)
        self.backs = context.Array("i", bounds[1:], lock=False)
        self.lock = context.Lock()

    def take(self, worker: int) -> int:
        """The next chunk of this worker's run, or, when that is done, the last of the longest run left."""
        worker %= len(self.fronts)  # a worker the pool started in place of one that died takes another's number
        with self.lock:
            fronts, backs = self.fronts, self.backs
            if fronts[worker] < backs[worker]:
                fronts[worker] += 1
                return int(fronts[worker]) - 1
            longest = max(range(len(fronts)), key=lambda run: backs[run] - fronts[run])
            backs[longest] -= 1  # there is one: a task is sent for every chunk
            return int(backs[longest])


def _start_worker(collect: bool, joined: Any) -> None:
    """What a worker inherited lives until it exits, and the collector need not scan it."""
    global _worker
    with joined.get_lock():
        _worker, joined.value = joined.value, joined.value + 1
    gc.freeze()
    if collect:
        gc.enable()


def _run_chunk(_task: int) -> tuple[int, Any]:
    assert _job is not None
    work, chunks, runs = _job
    number = runs.take(_worker)
    return number, work(chunks[number])
