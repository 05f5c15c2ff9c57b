"""A corpus of hostile inputs for every command, built as code (nothing binary is committed).

Each kind is a generator `kind_xyz(tmp: Path) -> Case` in one of the modules below: it writes its input
files under `tmp` and says how `nianbao` must answer them. `tests/test_hostile_corpus.py` runs every case
in a subprocess and checks the answer, the inputs and the output folder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from . import data, reports, workbooks
from .case import Case, says

Generator = Callable[[Path], Case]


def _collect() -> dict[str, Generator]:
    kinds: dict[str, Generator] = {}
    for module in (workbooks, data, reports):
        for attr, value in vars(module).items():
            if attr.startswith("kind_") and callable(value):
                name = attr.removeprefix("kind_")
                assert name not in kinds, f"duplicate kind {name}"
                kinds[name] = value
    return kinds


KINDS: dict[str, Generator] = _collect()

__all__ = ["KINDS", "Case", "Generator", "says"]
