"""Cells printed without separators (`120300015` for 12, 0, 3, 0, 0, 0, 15), split by the form's rules.

Web-page text often loses the separators between a row's cells. The digits can still be read when the
form's own sum rules leave one way to split them: a split is accepted only when every rule that lies
within the row holds, and the table later keeps only the combination of rows that satisfies the column
rules too. No split is ever guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import cache

from ..form import FORM, SumRule

# A cell of a published table has at most this many digits (件数 below 10 million).
MAX_DIGITS = 7
# The search is bounded: a row that would need more steps is reported, not split.
MAX_STEPS = 200_000
_DIGITS = re.compile(r"\d+")


@cache
def _rules_within(keys: tuple[str, ...]) -> tuple[SumRule, ...]:
    inside = set(keys)
    return tuple(r for r in FORM.rules if isinstance(r, SumRule) and set(r.lhs) | set(r.rhs) <= inside)


def digit_cells(texts: Sequence[str]) -> list[str] | None:
    """The cells' digit strings when every cell is only digits (what a run-together row looks like)."""
    out = [t.strip() for t in texts]
    return out if out and all(_DIGITS.fullmatch(t) for t in out) else None


def splits(cells: Sequence[str], keys: tuple[str, ...]) -> list[tuple[int, ...]]:
    """Every way to cut the digit cells into len(keys) numbers that satisfies the rules within the row.

    Cell boundaries that were printed are kept; each number has no leading zero (unless it is 0) and at
    most MAX_DIGITS digits. Returns [] when there is none, or when the search would be unbounded.
    """
    n = len(keys)
    rules = _rules_within(keys)
    index = {k: i for i, k in enumerate(keys)}
    # A rule can be checked as soon as its last key is placed.
    due: dict[int, list[SumRule]] = {}
    for rule in rules:
        due.setdefault(max(index[k] for k in (*rule.lhs, *rule.rhs)), []).append(rule)
    pieces = list(cells)
    found: list[tuple[int, ...]] = []
    steps = 0

    def parts_of(text: str, count: int) -> Iterator[tuple[str, ...]]:
        """`text` cut into `count` numbers (each well formed)."""
        if count == 1:
            if len(text) <= MAX_DIGITS and (text == "0" or not text.startswith("0")):
                yield (text,)
            return
        limit = 1 if text.startswith("0") else MAX_DIGITS
        for cut in range(1, min(limit, len(text) - count + 1) + 1):
            for rest in parts_of(text[cut:], count - 1):
                yield (text[:cut], *rest)

    def place(cell: int, placed: list[int]) -> None:
        nonlocal steps
        if steps > MAX_STEPS:
            return
        if cell == len(pieces):
            if len(placed) == n:
                found.append(tuple(placed))
            return
        remaining_cells = len(pieces) - cell - 1
        text = pieces[cell]
        for count in range(1, min(len(text), n - len(placed) - remaining_cells) + 1):
            for parts in parts_of(text, count):
                steps += 1
                values = [*placed, *(int(p) for p in parts)]
                if all(_holds(rule, values, index) for i in range(len(placed), len(values)) for rule in due.get(i, ())):
                    place(cell + 1, values)

    place(0, [])
    return [] if steps > MAX_STEPS else found


def _holds(rule: SumRule, values: Sequence[int], index: dict[str, int]) -> bool:
    return sum(values[index[k]] for k in rule.lhs) == sum(values[index[k]] for k in rule.rhs)
