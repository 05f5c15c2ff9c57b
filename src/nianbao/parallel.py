"""Many independent files (workbooks to read, reports to render) on every core, with a progress bar.

Work is cut into chunks handed to worker processes; results come back in the original order. A worker
that dies (a crash in a native library, an abort, the OOM killer) costs only its own chunk: with
`on_crash`, that chunk is read again one item per task, so the item that kills its reader is found and
becomes `on_crash(item, reason)` while every other item is read normally. Without `on_crash`, and when
no worker can be started at all (a restricted machine), the chunks left run in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Advance = Callable[[int], None]
# (items done, items in all): called once with 0 when the work starts, then as items finish. The caller decides
# what to show (a console bar, a web page's counter); the library itself never prints.
Progress = Callable[[int, int], None]
OnCrash = Callable[[Any, str], Any]  # (item, reason in Chinese) → the item's result


def default_jobs(items: int, *, minimum: int, chunk_size: int) -> int:
    """One worker per core, but only when there are enough items for a second process to pay off."""
    if items < minimum:
        return 1
    return max(1, min(os.cpu_count() or 1, items // chunk_size))


def run_chunked(
    func: Callable[[Sequence[T]], list[R]],
    items: Sequence[T],
    *,
    jobs: int,
    chunk_size: int,
    progress: Progress | None = None,
    on_crash: OnCrash | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> list[R]:
    """`func` over `items` in chunks, on `jobs` processes; results flattened in the original order.

    `func` must be a module-level function (it is sent to the workers) returning one result per item.
    `on_crash(item, reason)` gives the result of an item whose worker died while reading it alone.
    `meanwhile()` runs in this process while the workers work (when there are workers; else first), for
    work the caller needs next, such as importing a module: done before this returns, its errors ignored.
    """
    chunks = split_chunks(items, chunk_size, jobs)
    slots: list[list[Any]] = [[_MISSING] * len(chunk) for chunk in chunks]
    pool = _Pool.start(func, min(jobs, len(chunks))) if jobs > 1 and len(chunks) > 1 else None
    side = _Meanwhile(meanwhile, background=pool is not None)  # started after the fork: see _Meanwhile
    if pool:
        pool.before_spawn = side.join
    try:
        # Workers are forked before the first report, so a caller's display thread never runs in a fork.
        advance = _counter(progress, len(items)) if progress else None
        if pool:
            pool.run(chunks, slots, advance, on_crash)
        for chunk, slot in zip(chunks, slots, strict=True):
            _run_here(func, chunk, slot, advance)
    finally:
        side.join()
        if pool:
            pool.close()
    return [result for slot in slots for result in slot]


def split_chunks(items: Sequence[T], chunk_size: int, jobs: int) -> list[Sequence[T]]:
    """Chunks of `chunk_size`, but the last items in smaller ones, so that the workers finish together: one
    worker left alone with a whole chunk at the end would leave the other cores idle for its length."""
    if jobs <= 1:
        return [items[i : i + chunk_size] for i in range(0, len(items), chunk_size)]
    small = max(1, chunk_size // 4)
    tail = min(len(items), 2 * jobs * chunk_size)  # the last stretch, where finishing together matters
    head = len(items) - tail
    return [
        *(items[i : min(i + chunk_size, head)] for i in range(0, head, chunk_size)),
        *(items[i : i + small] for i in range(head, len(items), small)),
    ]


class _Meanwhile:
    """A task run on a thread of this process while workers work: on two cores, an import that would
    otherwise run alone before or after the reading shares the cores with it instead.

    The thread starts only after the workers are forked, and any later fork (a worker replacing one that
    died) waits for it first: a process forked while another thread is importing could inherit that import's
    lock, held by a thread that does not exist in the child.
    """

    def __init__(self, task: Callable[[], object] | None, *, background: bool) -> None:
        self.thread: threading.Thread | None = None
        if task is None:
            return
        if background:
            self.thread = threading.Thread(target=_ignoring_errors, args=(task,), daemon=True)
            self.thread.start()
        else:
            _ignoring_errors(task)

    def join(self) -> None:
        if self.thread is not None:
            self.thread.join()
            self.thread = None


def _ignoring_errors(task: Callable[[], object]) -> None:
    with suppress(Exception):  # the caller does the work again where it needs it, and meets the error there
        task()


_MISSING: Any = object()


def _run_here(
    func: Callable[[Sequence[T]], list[R]], chunk: Sequence[T], slot: list[Any], advance: Advance | None
) -> None:
    """What the workers left of a chunk, in this process: the whole chunk, or only its missing items."""
    missing = [k for k, r in enumerate(slot) if r is _MISSING]
    if len(missing) == len(slot):
        slot[:] = func(chunk)
    else:
        for k in missing:
            slot[k] = func(chunk[k : k + 1])[0]
    if advance and missing:
        advance(len(missing))


def _counter(progress: Progress, total: int) -> Advance:
    """`advance(n)` that reports the running count to `progress`, starting with (0, total)."""
    done = 0
    progress(0, total)

    def advance(n: int = 1) -> None:
        nonlocal done
        done += n
        progress(done, total)

    return advance


def _nothing() -> None:
    pass


@dataclass(frozen=True)
class _Task:
    chunk: int  # index of the chunk
    offset: int  # where `items` start within the chunk
    items: Sequence[Any]


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    task: _Task | None = None


def _serve(conn: Connection, func: Callable[[Sequence[Any]], list[Any]]) -> None:
    """A worker: run the tasks it is sent until told to stop (None) or the parent goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops the workers
    while True:
        try:
            items = conn.recv()
        except (EOFError, OSError):
            return
        if items is None:
            return
        try:
            conn.send(("ok", func(items)))
        except Exception:  # noqa: BLE001 - an error or an unpicklable result: the parent redoes the task itself
            conn.send(("local", None))


class _Pool(Generic[T, R]):
    """Long-lived worker processes, each given one task at a time, so a dead worker names its task."""

    def __init__(self, func: Callable[[Sequence[T]], list[R]], context: Any) -> None:
        self.func, self.context = func, context
        self.workers: list[_Worker] = []
        self.before_spawn: Callable[[], None] = _nothing

    @classmethod
    def start(cls, func: Callable[[Sequence[T]], list[R]], jobs: int) -> _Pool[T, R] | None:
        methods = multiprocessing.get_all_start_methods()
        pool: _Pool[T, R] = cls(func, multiprocessing.get_context("fork" if "fork" in methods else None))
        for _ in range(jobs):
            if not pool._spawn():
                break
        if not pool.workers:
            return None
        return pool

    def _spawn(self) -> _Worker | None:
        self.before_spawn()
        try:
            parent, child = self.context.Pipe()
            process = self.context.Process(target=_serve, args=(child, self.func), daemon=True)
            process.start()
        except (OSError, ValueError, NotImplementedError, RuntimeError):
            return None
        child.close()
        worker = _Worker(process, parent)
        self.workers.append(worker)
        return worker

    def run(
        self, chunks: list[Sequence[T]], slots: list[list[Any]], advance: Advance | None, on_crash: OnCrash | None
    ) -> None:
        """Fill `slots`; what is left `_MISSING` the caller runs in this process."""
        pending = deque(_Task(i, 0, chunk) for i, chunk in enumerate(chunks))
        while True:
            for worker in self.workers:
                if worker.task is None and pending:
                    self._give(worker, pending.popleft(), pending)
            busy = {w.conn: w for w in self.workers if w.task is not None}
            if not busy:
                return
            for ready in wait(list(busy)):
                worker = busy[ready]  # type: ignore[index]
                task = worker.task
                assert task is not None
                worker.task = None
                try:
                    status, result = worker.conn.recv()
                except Exception:  # noqa: BLE001 - EOF (the worker died) or a truncated message
                    self._crashed(worker, task, pending, on_crash, slots, advance)
                    continue
                if status == "ok" and len(result) == len(task.items):
                    slots[task.chunk][task.offset : task.offset + len(task.items)] = result
                    if advance:
                        advance(len(task.items))

    def _give(self, worker: _Worker, task: _Task, pending: deque[_Task]) -> None:
        try:
            worker.conn.send(task.items)
            worker.task = task
        except (OSError, ValueError):  # the worker is gone already, or the items cannot be pickled
            pending.appendleft(task)
            self._retire(worker)

    def _crashed(
        self,
        worker: _Worker,
        task: _Task,
        pending: deque[_Task],
        on_crash: OnCrash | None,
        slots: list[list[Any]],
        advance: Advance | None,
    ) -> None:
        reason = self._retire(worker)
        self._spawn()
        if on_crash is None:
            return  # left to the caller, in this process
        if len(task.items) > 1:  # which item killed it? each alone, first
            pending.extendleft(
                _Task(task.chunk, task.offset + k, [item]) for k, item in reversed(list(enumerate(task.items)))
            )
        else:
            slots[task.chunk][task.offset] = on_crash(task.items[0], reason)
            if advance:
                advance(1)

    def _retire(self, worker: _Worker) -> str:
        """Remove a dead worker; why it died, in Chinese."""
        self.workers.remove(worker)
        worker.conn.close()
        worker.process.join(timeout=5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout=5)
        return _exit_reason(worker.process.exitcode)

    def close(self) -> None:
        for worker in self.workers:
            with suppress(OSError, ValueError):
                worker.conn.send(None)
        for worker in self.workers:
            worker.process.join(timeout=2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=2)
            worker.conn.close()
        self.workers.clear()


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "读取进程无响应"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return f"读取进程被信号 {name} 终止"
    return f"读取进程以退出码 {code} 结束"
