"""Exceptions for conditions where nianbao cannot go on. Problems found *in the data* are findings."""

from __future__ import annotations


class NianbaoError(Exception):
    """A problem the user can fix; the CLI prints its message (Chinese, one line) without a traceback."""

    exit_code = 1


class UsageError(NianbaoError):
    """Bad arguments or a missing/unsuitable input file."""

    exit_code = 2
