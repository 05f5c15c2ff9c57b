"""`run_chunked(meanwhile=…)`: work for the caller, done in this process while the workers work."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import pytest

from nianbao import parallel


def _pids(chunk: Sequence[int]) -> list[int]:
    return [os.getpid() for _ in chunk]


@pytest.mark.parametrize("jobs", [1, 2])
def test_meanwhile_is_done_when_the_results_are_back(jobs: int) -> None:
    done: list[str] = []

    def task() -> None:
        done.append(threading.current_thread().name)

    results = parallel.run_chunked(_pids, list(range(40)), jobs=jobs, chunk_size=5, meanwhile=task)
    assert len(results) == 40 and len(done) == 1
    # With workers it runs on a thread of this process, after they were forked; alone, it runs first, here.
    assert (done[0] != threading.main_thread().name) == (jobs > 1)
    assert (os.getpid() not in results) == (jobs > 1)


def test_an_error_in_meanwhile_costs_nothing() -> None:
    def broken() -> None:
        raise ImportError("no such module")

    assert parallel.run_chunked(_pids, list(range(10)), jobs=2, chunk_size=2, meanwhile=broken) != []


@pytest.mark.parametrize("n", [0, 1, 7, 25, 99, 100, 101, 1000])
@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_chunks_cover_every_item_once_in_order_and_end_small(n: int, jobs: int) -> None:
    chunks = parallel.split_chunks(list(range(n)), 25, jobs)
    assert [x for c in chunks for x in c] == list(range(n))
    assert all(0 < len(c) <= 25 for c in chunks)
    if jobs > 1 and n >= 100:
        assert all(len(c) <= 6 for c in chunks[-2 * jobs :])  # the workers finish together
