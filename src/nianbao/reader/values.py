"""Turning what a clerk typed into a number: the normalization rules of issue 3.

blank → 0; 无 - — / → placeholder (0); full-width digits, spaces, thousands separators and a trailing
unit → normalized; 12.0 → 12 silently; 1.5 in a count cell, negatives, other text → invalid. How serious
each outcome is, is declared in `nianbao.form.entry.ENTRY_KINDS`. Amounts (万元/元) accept up to four decimals.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from ..form import Field, FieldType, entry
from ..naming import name_key
from ..numbers import NotANumber, Number, to_decimal

MAX_DECIMALS = 4
# Both lists are declared in the form, which the workbook's live checks read too.
_PLACEHOLDERS = entry.PLACEHOLDER_WORDS
_UNITS = entry.NUMBER_UNITS
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
# What Excel and WPS show for a formula that failed (the classic seven, then the dynamic-array ones).
EXCEL_ERRORS = frozenset(
    {
        "#DIV/0!",
        "#N/A",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#NULL!",
        "#SPILL!",
        "#CALC!",
        "#GETTING_DATA",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
    }
)


class Outcome(str, Enum):
    OK = "ok"  # a proper number, used as is
    BLANK = "blank"  # counted as 0, warning
    PLACEHOLDER = "placeholder"  # 无, -, … not a number (an error, see form.entry)
    NORMALIZED = "normalized"  # typed as text but clearly a number, warning
    INVALID = "invalid"  # error; the value is not used
    EXCEL_ERROR = "excel_error"  # the cell shows an Excel error value such as #DIV/0!; error


@dataclass(frozen=True)
class Parsed:
    outcome: Outcome
    value: Number | None  # None only for INVALID and EXCEL_ERROR
    reason: str = ""  # for INVALID: what is wrong, in Chinese


def parse_value(raw: object, field: Field) -> Parsed:
    """Interpret one cell as read by calamine (float, int, str, bool, date or '') for a numeric field."""
    if raw is None or raw == "":
        return Parsed(Outcome.BLANK, 0)
    if isinstance(raw, (bool, dt.date, dt.datetime, dt.time, dt.timedelta)):
        return Parsed(Outcome.INVALID, None, "填的不是数字")
    if isinstance(raw, (int, float)):
        return _check_number(_number(raw), field, Outcome.OK)
    if isinstance(raw, str):
        if raw.strip().upper() in EXCEL_ERRORS:  # a formula result saved as text, or the error typed in
            return Parsed(Outcome.EXCEL_ERROR, None, f"显示 Excel 错误值“{raw.strip()}”")
        return _parse_text(raw, field)
    return Parsed(Outcome.INVALID, None, "填的不是数字")


def _number(raw: int | float | str) -> Decimal | None:
    """The one number parser's reading of a cell, or None when it refuses it (NaN, ±Infinity, 1e15 and more)."""
    try:
        return to_decimal(raw)
    except NotANumber:
        return None


def _parse_text(raw: str, field: Field) -> Parsed:
    compact = name_key(raw)
    if not compact:
        return Parsed(Outcome.BLANK, 0)
    if compact.lower() in _PLACEHOLDERS or set(compact) <= set("-—–/"):
        return Parsed(Outcome.PLACEHOLDER, 0)
    for unit in _UNITS:
        if compact.endswith(unit) and len(compact) > len(unit):
            compact = compact[: -len(unit)]
            break
    compact = compact.replace(",", "")
    if not _NUMBER.fullmatch(compact):
        return Parsed(Outcome.INVALID, None, f"“{raw.strip()[:20]}”不是数字")
    return _check_number(_number(compact), field, Outcome.NORMALIZED)


def _check_number(number: Decimal | None, field: Field, outcome: Outcome) -> Parsed:
    if number is None:
        return Parsed(Outcome.INVALID, None, "不是有效数字")
    if number < 0:
        return Parsed(Outcome.INVALID, None, "不能是负数")
    if field.type is FieldType.INT:
        if number != number.to_integral_value():
            return Parsed(Outcome.INVALID, None, "件数应为整数，不能有小数")
        return Parsed(outcome, int(number))
    if number != round(number, MAX_DECIMALS):
        return Parsed(Outcome.INVALID, None, f"金额最多保留{MAX_DECIMALS}位小数")
    return Parsed(outcome, _plain_decimal(number))


def _plain_decimal(number: Decimal) -> Number:
    """12.0 → 12; 96171.60 → Decimal('96171.6'); so JSON and Excel show what the clerk meant."""
    if number == number.to_integral_value():
        return int(number)
    return number.normalize()
