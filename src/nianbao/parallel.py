"""Many independent files (workbooks to read, reports to render) on every core, with a progress bar.

Work is cut into chunks handed to worker processes; results come back in the original order. If a
pool cannot start or breaks (a restricted machine, a killed worker), the remaining chunks run in this
process, so a command never fails for that reason.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, contextmanager
from pickle import PicklingError
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Advance = Callable[[int], None]
ProgressFactory = Callable[[int], AbstractContextManager[Advance | None]]


def default_jobs(items: int, *, minimum: int, chunk_size: int) -> int:
    """One worker per core, but only when there are enough items for a second process to pay off."""
    if items < minimum:
        return 1
    return max(1, min(os.cpu_count() or 1, items // chunk_size))


@contextmanager
def progress_bar(label: str, show: bool, total: int) -> Iterator[Advance | None]:
    """A rich progress bar on stderr (only on a terminal); yields `advance(n)` or None."""
    if not show:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n=1: progress.advance(task, n)


def run_chunked(func: Callable[[Sequence[T]], list[R]], items: Sequence[T], *, jobs: int, chunk_size: int,
                progress: ProgressFactory | None = None) -> list[R]:
    """`func` over `items` in chunks, on `jobs` processes; results flattened in the original order.

    `func` must be a module-level function (it is sent to the workers) returning one result per item.
    """
    chunks = [items[i:i + chunk_size] for i in range(0, len(items), chunk_size)]
    results: list[list[R] | None] = [None] * len(chunks)
    pool = _start_pool(jobs) if jobs > 1 and len(chunks) > 1 else None
    try:
        # Workers are forked before the progress bar starts its refresh thread.
        futures = _submit(pool, func, chunks) if pool else {}
        with progress(len(items)) if progress else _no_progress() as advance:
            _collect(futures, chunks, results, advance)
            for i, chunk in enumerate(chunks):
                if results[i] is None:
                    results[i] = func(chunk)
                    if advance:
                        advance(len(chunk))
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    return [result for chunk in results for result in chunk or []]


@contextmanager
def _no_progress() -> Iterator[None]:
    yield None


def _start_pool(jobs: int) -> ProcessPoolExecutor | None:
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)  # fork: no re-import
    try:
        return ProcessPoolExecutor(jobs, mp_context=context)
    except (OSError, ValueError, NotImplementedError):
        return None


def _submit(pool: ProcessPoolExecutor, func: Callable[..., Any], chunks: list[Sequence[Any]]) -> dict[Future[Any], int]:
    try:
        return {pool.submit(func, chunk): i for i, chunk in enumerate(chunks)}
    except (BrokenProcessPool, OSError, RuntimeError):
        return {}


def _collect(futures: dict[Future[Any], int], chunks: list[Sequence[Any]], results: list[Any],
             advance: Advance | None) -> None:
    """Results as workers finish; a broken pool leaves the rest to run in this process."""
    try:
        for future in as_completed(futures):
            i = futures[future]
            results[i] = future.result()
            if advance:
                advance(len(chunks[i]))
    except (BrokenProcessPool, OSError, PicklingError):
        return
