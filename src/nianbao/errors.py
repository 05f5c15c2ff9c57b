"""Exceptions for conditions where nianbao cannot go on. Problems found *in the data* are findings."""

from __future__ import annotations

import os
from pathlib import Path


class NianbaoError(Exception):
    """A problem the user can fix; the CLI prints its message (Chinese, one line) without a traceback."""

    exit_code = 1


class UsageError(NianbaoError):
    """Bad arguments or a missing/unsuitable input file."""

    exit_code = 2


def in_file(path: os.PathLike[str] | str, message: str) -> str:
    """`message` said about `path`: prefixed with the file unless it already names it."""
    path = Path(path)
    return message if str(path) in message or path.name in message else f"{path}：{message}"
