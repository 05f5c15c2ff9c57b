"""表二 of a report in the superseded 2019 trial format, read with its own labels.

A 2019-format 表二 (本年新制作数量, 对外公开总数量, 第二十条第（九）项 …) has no cell in common with the 2021
table, so its numbers are kept apart, under `t2_2019.<row>.<column>` keys declared in
`form.official.T2_2019_BLOCKS`, never under 2021 keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import cache

from ..form import official
from . import labels as lb
from .align import RowSpec, Token, _best_label, value_runs

FORMAT = "2019"
ROW_THRESHOLD = 0.8


@cache
def specs() -> tuple[RowSpec, ...]:
    return tuple(
        RowSpec(f"t2_2019.{row.key}", row.label, tuple(f"t2_2019.{row.key}.{col.key}" for col in cols))
        for _block, _header, rows, cols in official.T2_2019_BLOCKS
        for row in rows
    )


@cache
def labels() -> dict[str, str]:
    """Key → "表二 / block / row / column" (or "表三 / … / column") as printed in the 2019 tables."""
    out = {
        f"t2_2019.{row.key}.{col.key}": " / ".join(("表二", header, row.label, col.label))
        for _block, header, rows, cols in official.T2_2019_BLOCKS
        for row in rows
        for col in cols
    }
    row = official.T3_2019_OTHER_ROW
    out.update(
        {f"t3_2019.{row.key}.{col.key}": " / ".join(("表三", *row.labels, col.label)) for col in official.T3_COLUMNS}
    )
    return out


@cache
def _headers() -> frozenset[str]:
    texts = {official.T2_CONTENT_HEADER}
    for _block, header, _rows, cols in official.T2_2019_BLOCKS:
        texts.add(header)
        texts.update(c.label for c in cols)
    return frozenset(lb.match_key(t) for t in texts)


def _number(key: str, text: str) -> int | Decimal | None:
    column = key.rsplit(".", 1)[1]
    number = lb.parse_number(text)
    if number is None:
        return 0 if lb.is_blank_marker(text) else None
    if number < 0 and column not in official.T2_2019_SIGNED_COLUMNS:
        return None
    if column in official.T2_2019_DECIMAL_COLUMNS:
        return number
    return int(number) if number == number.to_integral_value() else None


def read_table2(tokens: Sequence[Token]) -> dict[str, int | Decimal]:
    """The numbers of a 2019-format 表二 whose row label and cell count are unambiguous (others are left out)."""
    skip = _headers()
    runs = value_runs(tokens, skip)
    values: dict[str, int | Decimal] = {}
    start = 0
    for spec in specs():
        for j in range(start, len(runs)):
            if _best_label(runs[j], spec, skip)[0] < ROW_THRESHOLD:
                continue
            start = j + 1
            if len(runs[j].values) == len(spec.keys):
                numbers = {k: _number(k, t.text) for k, t in zip(spec.keys, runs[j].values, strict=True)}
                values.update({k: v for k, v in numbers.items() if v is not None})
            break
    return values
