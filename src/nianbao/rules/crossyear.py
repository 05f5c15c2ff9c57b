"""Checks of one year's data against last year's (the C rules of docs/codes.md), on `RuleInput(data, last=…)`.

C1 (二、上年结转 = last year's 四、结转下年度继续办理, per column; error), C2 (现行有效件数 rolls forward, per
row; warning), T2-3 (本年废止件数 within last year's stock plus this year's 制发; error, as last year is known),
C-SWING (a count implausibly ×10 or ÷10; warning) and C3 (the narrative's "较上年增加n件" against last year's
number; warning).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from decimal import Decimal

from ..findings import Finding
from ..form import FORM, Severity, official
from ..naming import name_key
from ..numbers import Number, plain
from .registry import RegisteredRule, RuleInput, Scope, register

__all__ = ["SWING_FACTOR", "SWING_MINIMUM"]

# A count that grew or shrank by this factor, with both years at least SWING_MINIMUM, is flagged.
SWING_FACTOR = 10
SWING_MINIMUM = 20

_TWO_YEARS = [Scope.TWO_YEARS]


def _t3_row(row_key: str) -> tuple[str, ...]:
    return tuple(f.key for f in FORM.table("t3").fields if f.key.startswith(f"t3.{row_key}."))


def _label(key: str) -> str:
    f = FORM.by_key[key]
    return " / ".join(x for x in (*f.row[-1:], *f.column[-1:]) if x)


def _num(values: Mapping[str, Number], key: str) -> Decimal | None:
    raw = values.get(key)
    return None if raw is None else Decimal(raw)


def _whole(number: Decimal) -> int | float:
    return int(number) if number == int(number) else float(number)


@register(
    "C1",
    Severity.ERROR,
    "表三“{carried}”的“{column}”为{this}，{last_name}“{forward}”为{last}，两者应相等。",
    _TWO_YEARS,
)
def _carry_over(rule: RegisteredRule, given: RuleInput) -> Iterator[Finding]:
    if given.last is None:
        return
    carried, forward = official.T3_ROWS[1], official.T3_ROWS[-1]  # 二、上年结转; 四、结转下年度继续办理
    for key_this, key_last in zip(_t3_row(carried.key), _t3_row(forward.key), strict=True):
        a, b = _num(given.data.values, key_this), _num(given.last.values, key_last)
        if a is None or b is None or a == b:
            continue
        column = FORM.by_key[key_this].column[-1]
        yield rule.finding(
            sheet="表三",
            cell=f"{carried.label} / {column}",
            key=key_this,
            value=_whole(a),
            expected=int(b),
            carried=carried.label,
            column=column,
            this=plain(a),
            last_name=given.last_name,
            forward=forward.label,
            last=plain(b),
        )


_STOCK_HEADER, _STOCK_ROWS, _STOCK_COLUMNS = official.T2_BLOCKS[0][1:4]


def _stock_rows(given: RuleInput) -> Iterator[tuple[str, list[str], Decimal, Decimal, Decimal, Decimal]]:
    """(row label, keys, issued, repealed, stock, last year's stock) of each 表二 row with all four known."""
    if given.last is None:
        return
    issued_col, repealed_col, stock_col = (c.key for c in _STOCK_COLUMNS)
    for row in _STOCK_ROWS:
        keys = [f"t2.{row.key}.{c}" for c in (issued_col, repealed_col, stock_col)]
        issued, repealed, stock = (_num(given.data.values, k) for k in keys)
        last_stock = _num(given.last.values, keys[2])
        if issued is not None and repealed is not None and stock is not None and last_stock is not None:
            yield row.label, keys, issued, repealed, stock, last_stock


@register(
    "T2-3",
    Severity.ERROR,
    "表二“{row}”本年废止{repealed}件，超过上年现行有效{last_stock}件与本年制发{issued}件之和。",
    _TWO_YEARS,
)
def _repealed_within_stock(rule: RegisteredRule, given: RuleInput) -> Iterator[Finding]:
    for label, keys, issued, repealed, _stock, last_stock in _stock_rows(given):
        if repealed > last_stock + issued:
            yield rule.finding(
                sheet="表二",
                cell=f"{_STOCK_HEADER} / {label}",
                key=keys[1],
                value=int(repealed),
                expected=int(last_stock + issued),
                row=label,
                repealed=plain(repealed),
                last_stock=plain(last_stock),
                issued=plain(issued),
            )


@register(
    "C2",
    Severity.WARNING,
    "表二“{row}”现行有效{stock}件，按{last_name}现行有效{last_stock}件 + 本年制发{issued}件"
    " − 本年废止{repealed}件应为{expected}件；如有修订计入制发、自然失效或机构改革划转，请在报告中说明。",
    _TWO_YEARS,
)
def _stock_rolls_forward(rule: RegisteredRule, given: RuleInput) -> Iterator[Finding]:
    for label, keys, issued, repealed, stock, last_stock in _stock_rows(given):
        expected = last_stock + issued - repealed
        if stock != expected:
            yield rule.finding(
                sheet="表二",
                cell=f"{_STOCK_HEADER} / {label}",
                key=keys[2],
                value=int(stock),
                expected=int(expected),
                row=label,
                stock=plain(stock),
                last_name=given.last_name,
                last_stock=plain(last_stock),
                issued=plain(issued),
                repealed=plain(repealed),
            )


@register(
    "C-SWING",
    Severity.WARNING,
    "{table}“{label}”本年为{this}，{last_name}为{last}，变化超过{factor}倍，"
    "请核实（是否多填或少填了一位数、单位是否一致）。",
    _TWO_YEARS,
)
def _swing(rule: RegisteredRule, given: RuleInput) -> Iterator[Finding]:
    if given.last is None:
        return
    for f in FORM.table_fields:
        a, b = _num(given.data.values, f.key), _num(given.last.values, f.key)
        if a is None or b is None or min(a, b) < SWING_MINIMUM:
            continue
        if max(a, b) >= SWING_FACTOR * min(a, b):
            yield rule.finding(
                sheet=f.part,
                cell=_label(f.key),
                key=f.key,
                value=float(a) if f.type.value == "decimal" else int(a),
                expected=float(b),
                table=f.part,
                label=_label(f.key),
                this=plain(a),
                last_name=given.last_name,
                last=plain(b),
                factor=SWING_FACTOR,
            )


_COMPARE = r"(?:较上年|比上年|同比|较去年|比去年|较上一年)度?"
_UP = ("增加", "增长", "多", "上升")
_DELTA = re.compile(r"申请(\d+)件[^。；;]{0,12}?" + _COMPARE + r"(增加|增长|多|上升|减少|下降|少)了?(\d+)件")
_PERCENT = re.compile(r"申请(\d+)件[^。；;]{0,12}?" + _COMPARE + r"(增加|增长|上升|减少|下降)了?(\d+(?:\.\d+)?)%")
_NEW_TOTAL = "t3.new.total"


@register("C3", Severity.WARNING, "正文写“{quote}”，{detail}，但{last_name}的本年新收申请为{last_new}件。", _TWO_YEARS)
def _year_on_year_claims(rule: RegisteredRule, given: RuleInput) -> Iterator[Finding]:
    """Best effort: "申请N件，较上年增加M件 / 同比增长x%" in the narrative, against last year's 新收."""
    last_new = _num(given.last.values, _NEW_TOTAL) if given.last is not None else None
    if last_new is None:
        return
    text = "".join(v for k, v in given.data.texts.items() if k.startswith("text.overview"))
    text = name_key(text)

    def claim(quote: str, detail: str) -> Finding:
        return rule.finding(
            sheet=official.HEADINGS[0],
            cell="与上年比较",
            key=_NEW_TOTAL,
            value=quote,
            expected=int(last_new),
            quote=quote,
            detail=detail,
            last_name=given.last_name,
            last_new=plain(last_new),
        )

    for match in _DELTA.finditer(text):
        stated, word, delta = int(match.group(1)), match.group(2), int(match.group(3))
        implied = stated - delta if word in _UP else stated + delta
        if implied != last_new:
            yield claim(match.group(0), f"按此推算上年为{implied}件")
    for match in _PERCENT.finditer(text):
        stated, word, pct = int(match.group(1)), match.group(2), Decimal(match.group(3))
        if last_new == 0:
            continue
        actual = (Decimal(stated) - last_new) / last_new * 100
        if word not in _UP:
            actual = -actual
        if abs(actual - pct) > Decimal("0.6"):
            yield claim(match.group(0), f"按上年{plain(last_new)}件计算应为{actual.quantize(Decimal('0.1'))}%")
