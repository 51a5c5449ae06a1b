"""Work shared among forked workers: every chunk done once, each worker on its own run of neighbours."""
from __future__ import annotations

import multiprocessing
import os
import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.core import budget, parallel
from generator.core.parallel import MIN_ITEMS, _Runs, map_chunks


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 40), st.integers(1, 4), st.randoms(use_true_random=False))
def test_every_chunk_is_taken_once_and_a_worker_starts_on_its_own_run(chunks, workers, order):
    runs = _Runs(multiprocessing.get_context("fork"), chunks, workers)
    taken: dict[int, list[int]] = {w: [] for w in range(workers)}
    for _ in range(chunks):  # one task per chunk, taken by whichever worker is free
        worker = order.randrange(workers)
        taken[worker].append(runs.take(worker))
    assert sorted(n for numbers in taken.values() for n in numbers) == list(range(chunks))
    bounds = [chunks * n // workers for n in range(workers + 1)]
    for worker, numbers in taken.items():
        own = [n for n in numbers if bounds[worker] <= n < bounds[worker + 1]]
        assert own == sorted(own) and numbers[:len(own)] == own  # its own run first, in order, then others' ends


def test_a_lone_worker_goes_through_its_run_then_the_others_from_their_far_ends():
    runs = _Runs(multiprocessing.get_context("fork"), 8, 2)
    assert [runs.take(0) for _ in range(8)] == [0, 1, 2, 3, 7, 6, 5, 4]


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this platform")
def test_forked_workers_give_every_result_in_order_and_mostly_neighbours_each():
    items = list(range(4000))
    random.Random(1).shuffle(items)

    def work(chunk):
        time.sleep(0.02)  # long enough that both workers are up before the other could do everything
        return [(os.getpid(), item * 2) for item in chunk]

    results = map_chunks(work, items, jobs=2)
    pairs = [pair for chunk in results for pair in chunk]
    assert [doubled for _pid, doubled in pairs] == [item * 2 for item in items]
    workers = [pid for pid, _ in pairs]
    assert len(set(workers)) == 2 and os.getpid() not in workers
    switches = sum(1 for a, b in zip(workers, workers[1:], strict=False) if a != b)
    assert switches <= 4  # two runs, each maybe ended by the other worker: not a chunk-by-chunk interleave


def test_a_memory_limit_is_read_in_binary_units_and_a_bad_one_is_refused():
    assert budget.parse_size("2G") == 2 * 2**30 and budget.parse_size("1500M") == 1500 * 2**20
    assert budget.parse_size("512k") == 512 * 1024 and budget.parse_size("1.5GiB") == 3 * 2**29
    assert budget.parse_size("4096") == 4096
    for bad in ("", "lots", "2T", "-1G", "0"):
        with pytest.raises(budget.BadLimit, match="NEWSDIGEST_MEMORY_LIMIT"):
            budget.parse_size(bad)


def test_workers_are_forked_only_as_far_as_the_memory_budget_holds_them(monkeypatch):
    """Each forked worker is counted as holding as much as this process: a budget for fewer than two beside it
    keeps the work in this process."""
    own = budget.own_memory()
    assert own > 10 * 2**20  # this process's own memory is measured (Linux)
    monkeypatch.setenv(budget.LIMIT_VARIABLE, str(own * 3 + own // 2))
    assert parallel.worker_count(MIN_ITEMS, jobs=8) == 2
    monkeypatch.setenv(budget.LIMIT_VARIABLE, str(own * 2 + own // 2))
    assert parallel.worker_count(MIN_ITEMS, jobs=8) == 1  # one worker beside this process would only add memory
    monkeypatch.setenv(budget.LIMIT_VARIABLE, "1M")
    assert parallel.worker_count(MIN_ITEMS, jobs=8) == 1
    results = parallel.map_chunks(sum, list(range(MIN_ITEMS)), jobs=8)
    assert sum(results) == sum(range(MIN_ITEMS))  # done, in this process
    monkeypatch.setenv(budget.LIMIT_VARIABLE, "1000G")
    assert parallel.worker_count(MIN_ITEMS, jobs=3) == 3 and parallel.worker_count(MIN_ITEMS - 1, jobs=3) == 1
    monkeypatch.delenv(budget.LIMIT_VARIABLE)
    assert budget.memory_budget() is not None  # the machine's available memory (or the cgroup's limit)


def test_work_beside_the_build_waits_when_the_budget_has_no_room_for_it(monkeypatch):
    own = budget.own_memory()
    monkeypatch.setenv(budget.LIMIT_VARIABLE, str(int(own * 1.6)))
    assert budget.roomy(0.5) and not budget.roomy(0.7)
    monkeypatch.setenv(budget.LIMIT_VARIABLE, "1M")
    assert not budget.roomy(0.1)
