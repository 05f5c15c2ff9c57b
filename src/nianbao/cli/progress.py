"""A console progress bar behind the library's plain `(done, total)` progress callback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Report = Callable[[int, int], None]


@contextmanager
def progress_bar(label: str, show: bool = True) -> Iterator[Report | None]:
    """Yields a callback for the library, or None when not shown (not asked for, or stderr not a terminal).

    The rich bar starts on the first report, after the library has started its worker processes, so its
    refresh thread never runs inside a fork.
    """
    from rich.console import Console

    console = Console(stderr=True)
    if not show or not console.is_terminal:
        yield None
        return
    state: dict[str, Any] = {}

    def report(done: int, total: int) -> None:
        if "bar" not in state:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            bar = Progress(
                TextColumn(label),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task(label, total=total)
        state["bar"].update(state["task"], completed=done, total=total)

    try:
        yield report
    finally:
        if "bar" in state:
            state["bar"].stop()
