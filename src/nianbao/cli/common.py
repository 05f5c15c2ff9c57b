"""What every command shares: the console, error handling and exit codes."""

from __future__ import annotations

import functools
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from ..errors import NianbaoError

F = TypeVar("F", bound=Callable[..., Any])

# Exit codes: 0 clean, 1 findings with errors (or a user-fixable problem), 2 usage error, 3 internal error.
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def _log_traceback() -> Path:
    log = Path(tempfile.gettempdir()) / "nianbao-error.log"
    log.write_text(traceback.format_exc(), encoding="utf-8")
    return log


def handle_errors(func: F) -> F:
    """Turn NianbaoError into one Chinese line; any other exception into one line plus a log path."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        debug = bool(ctx.find_root().params.get("debug"))
        try:
            return func(*args, **kwargs)
        except NianbaoError as exc:
            if debug:
                raise
            err_console.print(f"[bold red]错误：[/]{exc}")
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
            if debug:
                raise
            log = _log_traceback()
            err_console.print(f"[bold red]内部错误：[/]{type(exc).__name__}: {exc}（详细信息已写入 {log}，加 --debug 可查看）")
            sys.exit(EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]
