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
import pickle
import queue
import selectors
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, TypeVar

from generator.core import interrupts
from generator.core.budget import affordable, own_memory

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 1000  # below this, starting processes costs more than it saves
CHUNKS_PER_WORKER = 8  # enough for the workers to even out, few enough that each chunk's results travel in bulk


def worker_count(items: int, jobs: int | None = None) -> int:
    """Processes to fork for ``items``: one per core (or ``jobs``), as many as the memory budget holds beside this
    process (each is expected to come to hold as much as this one: core/budget.py), and none (1: the work stays
    in this process) when fewer than two would fit or there is too little work."""
    if items < MIN_ITEMS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    wanted = max(1, min(jobs or os.cpu_count() or 1, 8))
    workers = affordable(own_memory(), wanted) if wanted > 1 else 1
    return workers if workers > 1 else 1


def map_chunks(
    work: Callable[[Sequence[T]], R],
    items: Sequence[T],
    jobs: int | None = None,
    done: Callable[[int], None] = lambda count: None,
    collect: bool = False,
    meanwhile: Callable[[], None] | None = None,
) -> list[R]:
    """``work(chunk)`` for consecutive chunks of ``items``, in parallel when worthwhile; results in order.

    ``done(count)`` is called here as each chunk finishes. An exception in any worker is raised here.
    ``jobs=1`` keeps the work in this process (the preview server, whose threads make forking unsafe).
    ``collect``: the work leaves reference cycles (Jinja's rendering does), so workers run the cyclic
    collector; without it they do not (reading makes only acyclic objects, in bulk: the collector's passes
    over them would only slow reading down).
    ``meanwhile``: called here once the workers have their tasks, while they work (only when they are forked;
    this process would otherwise wait for them).

    Whatever ends this call early (a worker's error, an interrupt) kills the workers and reaps them before it
    returns: no worker outlives the call, and none prints anything of its own.
    """
    workers = worker_count(len(items), jobs)
    size = max(1, -(-len(items) // (workers * CHUNKS_PER_WORKER)))
    chunks = [items[start : start + size] for start in range(0, len(items), size)]
    results: list[Any] = []
    if workers == 1:  # in this process, chunk by chunk so that progress shows
        for chunk in chunks:
            results.append(work(chunk))
            done(len(chunk))
        return results
    runs = _Runs(multiprocessing.get_context("fork"), len(chunks), workers)
    collecting = gc.isenabled()
    gc.disable()  # unpickling the chunks' results makes millions of objects: no use scanning them as they arrive
    pool = _Workers()
    try:
        for number in range(workers):
            pool.start(partial(_serve_chunks, work, chunks, runs, number, collect))
        pool.drain()
        if meanwhile is not None:
            meanwhile()
        results = [None] * len(chunks)
        for number, result in pool.results():
            results[number] = result
            done(len(chunks[number]))
        return results
    finally:
        pool.stop()
        if collecting:
            gc.enable()


def _serve_chunks(
    work: Callable[[Sequence[Any]], Any], chunks: list[Sequence[Any]], runs: _Runs, worker: int, collect: bool, out: Any
) -> None:
    """In a forked worker: take chunks until none is left, sending (number, result) for each."""
    gc.freeze()  # what the worker inherited lives until it exits: the collector need not scan it
    if collect:
        gc.enable()
    while (number := runs.take(worker)) >= 0:
        _send(out, (number, work(chunks[number])))


def _send(out: Any, message: Any) -> None:
    """One message on a worker's pipe: its length in 8 bytes, then its pickle."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(len(data).to_bytes(8, "little") + data)
    out.flush()


class _WorkerFailed(Exception):
    """A worker ended without finishing its share and without saying why."""


class _Workers:
    """Forked worker processes, each sending pickled results through a pipe of its own.

    A thread of this process drains the pipes as the workers write (raw bytes: it holds the GIL only to
    append them), so no worker waits on a full pipe while this process does something else meanwhile
    (``map_chunks``' ``meanwhile``); the results are unpickled by whoever iterates :meth:`results`.
    """

    def __init__(self) -> None:
        self._pipes: dict[int, int] = {}  # pid -> the read end of its pipe
        self._pids: list[int] = []
        self._arrived: queue.SimpleQueue[tuple[int, bytes | None]] = queue.SimpleQueue()
        self._drainer: threading.Thread | None = None

    def start(self, task: Callable[[Any], None]) -> None:
        read, write = os.pipe()
        pid = interrupts.fork(self._pids.append)
        if pid == 0:  # the worker: never returns
            status = 0
            try:
                os.close(read)
                with os.fdopen(write, "wb") as out:
                    try:
                        task(out)
                    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
                        status = 1
                        _send(out, (-1, _picklable(exc)))
            except BaseException:  # noqa: BLE001 - the parent reports a worker that ended without a word
                status = 1
            finally:
                os._exit(status)  # no atexit handlers, no flushing of buffers the parent inherited to us
        os.close(write)
        self._pipes[pid] = read

    def drain(self) -> None:
        """Start reading the pipes (once every worker is forked: no fork may happen while a thread runs)."""
        self._drainer = threading.Thread(target=self._drain, name="newsdigest-results", daemon=True)
        self._drainer.start()

    def results(self) -> Iterator[tuple[int, Any]]:
        """(chunk number, result) as the workers send them; a worker's exception is raised here."""
        running = len(self._pipes)
        while running:
            try:
                pid, data = self._arrived.get(timeout=0.2)  # a timeout: a signal is acted on within it
            except queue.Empty:
                continue
            if data is None:  # the worker is done (or died: then its status says so)
                running -= 1
                self._reap(pid)
                continue
            number, result = pickle.loads(data)  # noqa: S301 - our own forked worker's message
            if number < 0:
                raise result
            yield number, result

    def _drain(self) -> None:
        """In a thread: read every pipe until it ends, handing each whole message (or None at the end) on."""
        pending = {fd: bytearray() for fd in self._pipes.values()}
        try:
            with selectors.DefaultSelector() as selector:
                for pid, fd in self._pipes.items():
                    selector.register(fd, selectors.EVENT_READ, pid)
                while selector.get_map():
                    for key, _events in selector.select():
                        fd, pid = int(key.fd), int(key.data)
                        data = os.read(fd, 1 << 20)
                        if not data:
                            selector.unregister(fd)
                            self._arrived.put((pid, None))
                            continue
                        buffer = pending[fd]
                        buffer += data
                        while len(buffer) >= 8 and len(buffer) >= 8 + (size := int.from_bytes(buffer[:8], "little")):
                            self._arrived.put((pid, bytes(buffer[8 : 8 + size])))
                            del buffer[: 8 + size]
        except (OSError, ValueError):  # the pipes were closed under it: the call is over
            return

    def _reap(self, pid: int) -> None:
        _, status = os.waitpid(pid, 0)
        self._pids.remove(pid)
        if status != 0:
            raise _WorkerFailed(f"a worker process ended with status {status}")

    def stop(self) -> None:
        """Kill every worker still running and reap it; close the pipes once the drain has seen them end."""
        for pid in self._pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in self._pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        self._pids = []
        if self._drainer is not None:
            self._drainer.join(timeout=2.0)  # every pipe has ended (its writer is gone): it finishes at once
        for fd in self._pipes.values():
            try:
                os.close(fd)
            except OSError:
                pass
        self._pipes = {}


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - any exception that cannot travel is described instead
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


class _Runs:
    """Which chunks are left: a run of consecutive chunks per worker, shared by the forked workers."""

    def __init__(self, context: Any, chunks: int, workers: int) -> None:
        bounds = [chunks * n // workers for n in range(workers + 1)]
        self.fronts = context.Array("i", bounds[:-1], lock=False)
        self.backs = context.Array("i", bounds[1:], lock=False)
        self.lock = context.Lock()

    def take(self, worker: int) -> int:
        """The next chunk of this worker's run, or, when that is done, the last of the longest run left; -1 when
        every chunk is taken."""
        worker %= len(self.fronts)  # a worker the pool started in place of one that died takes another's number
        with self.lock:
            fronts, backs = self.fronts, self.backs
            if fronts[worker] < backs[worker]:
                fronts[worker] += 1
                return int(fronts[worker]) - 1
            longest = max(range(len(fronts)), key=lambda run: backs[run] - fronts[run])
            if backs[longest] <= fronts[longest]:
                return -1  # every chunk is taken
            backs[longest] -= 1
            return int(backs[longest])
