"""What every command shares: the console, error handling and exit codes."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, TypeVar

import click
from rich.console import Console, ConsoleDimensions
from rich.markup import escape

from ..errors import NianbaoError
from ..fileio import lock_folder, os_reason
from ..findings import visible

F = TypeVar("F", bound=Callable[..., Any])

# Exit codes: 0 clean, 1 findings with errors (or a user-fixable problem), 2 usage error, 3 internal error.
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

# Output that is not a terminal (a pipe, a log file, a CI job) is not wrapped: a path cut at column 80
# cannot be copied back. A terminal keeps rich's own width.
PIPE_WIDTH = 4096


class _Console(Console):
    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        return size if self.is_terminal else ConsoleDimensions(PIPE_WIDTH, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


console = _Console(highlight=False)
err_console = _Console(stderr=True, highlight=False)


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
            _refuse_output_over_input(ctx)
            with _output_locks(ctx):
                return func(*args, **kwargs)
        except NianbaoError as exc:
            if debug:
                raise
            err_console.print(f"[bold red]错误：[/]{escape(visible(str(exc)))}")
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except OSError as exc:  # a file that vanished or cannot be written mid-run: name it, no traceback
            if debug:
                raise
            where = f" {exc.filename}" if exc.filename else ""
            err_console.print(f"[bold red]错误：[/]无法读写{escape(visible(where))}：{escape(os_reason(exc))}")
            sys.exit(EXIT_FINDINGS)
        except Exception as exc:  # the last line of defence against tracebacks
            if debug:
                raise
            log = _log_traceback()
            err_console.print(
                f"[bold red]内部错误：[/]{type(exc).__name__}: {exc}（详细信息已写入 {log}，加 --debug 可查看）"
            )
            sys.exit(EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


# -- output paths -----------------------------------------------------------------------------------
class CommandLineError(click.ClickException):
    """A bad option found while reading the command line, said in one Chinese line (click's own is English)."""

    exit_code = EXIT_USAGE

    def show(self, file: IO[Any] | None = None) -> None:
        err_console.print(f"[bold red]错误：[/]{escape(visible(self.message))}")


_LOCKS = "nianbao.output_locks"  # ctx.meta key: the output folders this run must hold, with their condition
_NAME_MAX = 255  # bytes per path component on every file system an office uses (NTFS, ext4, APFS)
_PATH_MAX = 4096


def _nearest_existing(path: Path) -> Path:
    """`path` itself or its closest ancestor that exists (an absolute path always reaches its root)."""
    return next((c for c in (path, *path.parents) if os.path.lexists(c)), Path(path.anchor))


def output_problem(path: Path, kind: Literal["folder", "file", "any"]) -> str | None:
    """Why `path` cannot be this command's output (in Chinese), or None; nothing is created."""
    absolute = Path(os.path.abspath(path))
    for part in absolute.parts:
        if len(os.fsencode(part)) > _NAME_MAX:
            return f"名称太长（“{part[:20]}…”有 {len(os.fsencode(part))} 字节，最多 {_NAME_MAX} 字节）"
    if len(os.fsencode(str(absolute))) > _PATH_MAX:
        return f"路径太长（最多 {_PATH_MAX} 字节）"
    if absolute.exists():
        if kind == "folder" and not absolute.is_dir():
            return "是一个已有的文件，这里要的是文件夹"
        if kind == "file" and absolute.is_dir():
            return "是一个已有的文件夹，这里要的是文件名"
    existing = _nearest_existing(absolute)
    if existing != absolute and not existing.is_dir():
        return f"路径中的 {existing} 是文件而不是文件夹"
    # A folder is written into; a file is replaced by a rename in its folder; otherwise the nearest existing
    # folder is where the missing folders (or the file) will be created.
    folder = (absolute if absolute.is_dir() else absolute.parent) if existing == absolute else existing
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"无法写入文件夹 {folder}（没有写入权限，或磁盘只读）"
    return None


if TYPE_CHECKING:
    _PathType = click.ParamType[Path, Any]
else:  # click before 8.2 has no type parameters on ParamType
    _PathType = click.ParamType


class OutputPath(_PathType):
    """Every command's --out: checked before any work starts; a folder can be held for the whole run.

    `lock` says when the folder is locked (fileio.lock_folder): always, or when a condition on the
    command's parameters holds (render locks its --out only when it writes many reports into it).
    """

    name = "path"

    def __init__(
        self, kind: Literal["folder", "file", "any"], lock: bool | Callable[[Mapping[str, Any]], bool] = False
    ) -> None:
        self.kind = kind
        self.lock = lock

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        path = Path(value)
        problem = output_problem(path, self.kind)
        if problem:
            option = param.opts[0] if param is not None and param.opts else "--out"
            raise CommandLineError(f"{option} {path} 不能用作输出：{problem}。")
        if self.lock and ctx is not None:
            ctx.meta.setdefault(_LOCKS, []).append((path, self.lock))
        return path


def _paths(value: Any) -> list[Path]:
    items = value if isinstance(value, tuple | list) else (value,)
    return [Path(item) for item in items if isinstance(item, Path)]


def _refuse_output_over_input(ctx: click.Context) -> None:
    """An --out that names one of the command's own inputs would replace it: refuse before any work."""
    outputs: list[tuple[click.Parameter, Path]] = []
    inputs: set[Path] = set()
    for param in ctx.command.params:
        paths = _paths(ctx.params.get(param.name or ""))
        if isinstance(param.type, OutputPath):
            outputs += [(param, path) for path in paths]
        else:
            inputs.update(Path(os.path.realpath(path)) for path in paths)
    for param, path in outputs:
        if Path(os.path.realpath(path)) in inputs:
            option = param.opts[0] if param.opts else "--out"
            raise CommandLineError(
                f"{option} {path} 不能用作输出：它就是本次的输入，写入会覆盖输入。请换一个输出位置。"
            )


@contextlib.contextmanager
def _output_locks(ctx: click.Context) -> Iterator[None]:
    """Hold the output folders OutputPath registered for this command, for as long as it runs."""
    with contextlib.ExitStack() as stack:
        for folder, when in ctx.meta.get(_LOCKS, ()):
            if when is True or (callable(when) and when(ctx.params)):
                stack.enter_context(lock_folder(folder))
        yield


def more_than_one(name: str) -> Callable[[Mapping[str, Any]], bool]:
    """A lock condition: the command was given more than one `name` argument."""
    return lambda params: len(params.get(name) or ()) > 1
