"""Cells printed without separators (`120300015` for 12, 0, 3, 0, 0, 0, 15), split by the form's rules.

Web-page text often loses the separators between a row's cells. The digits can still be read when the
form's own sum rules leave one way to split them: a split is accepted only when every rule that lies
within the row holds, and the table later keeps only the combination of rows that satisfies the column
rules too. No split is ever guessed.

A row whose rules make it blocks of "parts, then their total" (表三's row: six applicant cells, then 总计;
表四: three blocks of four results and 总计) is split block by block: each block's total is a suffix of
its digits and its parts are split to add up to it (memoised), so a long row costs milliseconds. Other
rows (表二: three cells, no rule) are cut every possible way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from ..form import FORM, SumRule

# A cell of a published table has at most this many digits (件数 below 10 million).
MAX_DIGITS = 7
# More splits than this is no answer: the row is reported, not guessed.
MAX_SPLITS = 64
# The search is bounded: a row of three- and four-digit counts (22 digits) splits well within it, in a few
# milliseconds; a row that needs more is reported as not splittable rather than slowing the import down.
MAX_STEPS = 5_000


class _TooLong(Exception):
    pass


_DIGITS = re.compile(r"\d+")


def digit_cells(texts: Sequence[str]) -> list[str] | None:
    """The cells' digit strings when every cell is only digits (what a run-together row looks like)."""
    out = [t.strip() for t in texts]
    return out if out and all(_DIGITS.fullmatch(t) for t in out) else None


@cache
def _blocks(keys: tuple[str, ...]) -> tuple[int, ...] | None:
    """Block lengths when the row is blocks of parts followed by their total (each a rule of the form)."""
    totals = {r.lhs[0]: r.rhs for r in FORM.rules if isinstance(r, SumRule) and len(r.lhs) == 1}
    lengths: list[int] = []
    start = 0
    for i, key in enumerate(keys):
        if totals.get(key) == keys[start:i]:
            lengths.append(i + 1 - start)
            start = i + 1
    return tuple(lengths) if lengths and start == len(keys) else None


def splits(cells: Sequence[str], keys: tuple[str, ...]) -> list[tuple[int, ...]]:
    """Every way to cut the digit cells into len(keys) numbers that satisfies the rules within the row.

    Printed cell boundaries are kept; a number has no leading zero (unless it is 0) and at most MAX_DIGITS
    digits. Returns [] when there is none, or more than MAX_SPLITS (then no split can be trusted).
    """
    text = "".join(cells)
    cuts = frozenset(_cut_positions(cells))
    blocks = _blocks(keys)
    try:
        found = _by_blocks(text, cuts, blocks) if blocks else _any_way(text, cuts, len(keys))
    except _TooLong:
        return []
    return sorted(found) if len(found) <= MAX_SPLITS else []


def _cut_positions(cells: Sequence[str]) -> list[int]:
    positions, at = [], 0
    for cell in cells[:-1]:
        at += len(cell)
        positions.append(at)
    return positions


def _number(text: str, start: int, end: int, cuts: frozenset[int]) -> int | None:
    """The number text[start:end], when it is well formed and crosses no printed cell boundary."""
    if end - start > MAX_DIGITS or (text[start] == "0" and end - start > 1):
        return None
    if any(start < c < end for c in cuts):
        return None
    return int(text[start:end])


def _by_blocks(text: str, cuts: frozenset[int], blocks: tuple[int, ...]) -> set[tuple[int, ...]]:
    steps = 0

    @cache
    def parts(start: int, end: int, count: int, target: int) -> frozenset[tuple[int, ...]]:
        """text[start:end] as `count` numbers adding up to `target`."""
        nonlocal steps
        steps += 1
        if steps > MAX_STEPS:
            raise _TooLong
        if not count <= end - start <= count * len(str(target)):  # no part can have more digits than the sum
            return frozenset()
        if count == 1:
            value = _number(text, start, end, cuts) if start < end else None
            return frozenset({(value,)}) if value == target else frozenset()
        out: set[tuple[int, ...]] = set()
        for stop in range(start + 1, min(end - count + 1, start + MAX_DIGITS) + 1):
            value = _number(text, start, stop, cuts)
            if value is None:
                continue
            if value > target:
                break  # a longer number is larger still
            rest = end - stop
            if target - value > (count - 1) * (10 ** min(MAX_DIGITS, rest - count + 2) - 1):
                continue  # the digits left cannot add up to what is missing
            out.update((value, *rest) for rest in parts(stop, end, count - 1, target - value))
            if len(out) > MAX_SPLITS:
                break
        return frozenset(out)

    @cache
    def rows(start: int, block: int) -> frozenset[tuple[int, ...]]:
        """text[start:] as the blocks from `block` on, each its parts then their total."""
        if block == len(blocks):
            return frozenset({()}) if start == len(text) else frozenset()
        size = blocks[block]
        out: set[tuple[int, ...]] = set()
        for total_start in range(start + size - 1, len(text)):
            for total_end in range(total_start + 1, min(len(text), total_start + MAX_DIGITS) + 1):
                total = _number(text, total_start, total_end, cuts)
                if total is None:
                    continue
                for head in parts(start, total_start, size - 1, total):
                    out.update((*head, total, *tail) for tail in rows(total_end, block + 1))
                if len(out) > MAX_SPLITS:
                    return frozenset(out)
        return frozenset(out)

    return set(rows(0, 0))


def _any_way(text: str, cuts: frozenset[int], count: int) -> set[tuple[int, ...]]:
    out: set[tuple[int, ...]] = set()

    steps = 0

    def place(start: int, placed: tuple[int, ...]) -> None:
        nonlocal steps
        steps += 1
        if steps > MAX_STEPS:
            raise _TooLong
        if len(out) > MAX_SPLITS:
            return
        if len(placed) == count:
            if start == len(text):
                out.add(placed)
            return
        for stop in range(start + 1, min(len(text), start + MAX_DIGITS) + 1):
            value = _number(text, start, stop, cuts)
            if value is not None:
                place(stop, (*placed, value))

    place(0, ())
    return out
