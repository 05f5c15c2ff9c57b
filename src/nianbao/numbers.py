"""How numbers are written out: one place for the text and JSON forms of counts and amounts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

# Counts are int; amounts (万元, 元) are Decimal, so 96171.6 stays exactly 96171.6.
Number = int | Decimal


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
