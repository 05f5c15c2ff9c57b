"""How numbers are written out: one place for the text and JSON forms of counts and amounts."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from .naming import name_key

# Counts are int; amounts (万元, 元) are Decimal, so 96171.6 stays exactly 96171.6.
Number = int | Decimal

# Excel keeps 15 significant digits, so no count or amount typed into a workbook reaches 10^15; a larger
# value (1e400 is infinite to any reader that uses floats) is a typing or export error, not a figure.
MAX_MAGNITUDE = Decimal(10) ** 15


class NotANumber(ValueError):
    """A value the number parser refuses; the argument is the reason, in Chinese."""


def to_decimal(value: Any) -> Decimal:
    """The one number parser for data values: int, float, Decimal or numeric text → a finite Decimal.

    Refused (NotANumber): bools, None, other types, text that is not a number, NaN, ±Infinity, and any
    magnitude of MAX_MAGNITUDE or more.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise NotANumber("不是数字")
    if isinstance(value, float):
        number = Decimal(repr(value)) if math.isfinite(value) else Decimal(str(value))
    elif isinstance(value, str):
        try:
            number = Decimal(name_key(value).replace(",", ""))
        except InvalidOperation:
            raise NotANumber("不是数字") from None
    else:
        number = Decimal(value)
    if number.is_nan():
        raise NotANumber("不是数字（NaN）")
    if not number.is_finite() or abs(number) >= MAX_MAGNITUDE:
        raise NotANumber(f"超出可能的范围（应小于 {plain(MAX_MAGNITUDE)}）")
    return number


def plain(value: Any) -> str:
    """A number as people write it: no trailing zeros, never in exponent form (12.50 → "12.5", 0 → "0")."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def to_json(value: Number) -> int | float:
    """JSON has no decimal type: whole amounts become ints; the rest (at most 4 decimals) a float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return int(value)


def jsonable(value: Any) -> Any:
    """A structure ready for json.dumps: every Decimal inside it as a JSON number (see `to_json`)."""
    if isinstance(value, Decimal):
        return to_json(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
