"""Value normalization: what a clerk may type into a number cell and what nianbao makes of it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nianbao.form import FORM
from nianbao.reader.values import Outcome, parse_value

COUNT = FORM.by_key["t3.new.natural_person"]
AMOUNT = FORM.by_key["t2.fees.amount"]


@pytest.mark.parametrize(
    ("raw", "outcome", "value"),
    [
        (12.0, Outcome.OK, 12),
        (0.0, Outcome.OK, 0),
        (7, Outcome.OK, 7),
        ("", Outcome.BLANK, 0),
        (None, Outcome.BLANK, 0),
        ("   ", Outcome.BLANK, 0),
        ("无", Outcome.PLACEHOLDER, 0),
        ("-", Outcome.PLACEHOLDER, 0),
        ("—", Outcome.PLACEHOLDER, 0),
        ("/", Outcome.PLACEHOLDER, 0),
        ("／", Outcome.PLACEHOLDER, 0),
        ("１２", Outcome.NORMALIZED, 12),
        (" 12 ", Outcome.NORMALIZED, 12),
        ("12件", Outcome.NORMALIZED, 12),
        ("１２ 件", Outcome.NORMALIZED, 12),
        ("12.0", Outcome.NORMALIZED, 12),
        ("1,234", Outcome.NORMALIZED, 1234),
    ],
)
def test_count_cells(raw: object, outcome: Outcome, value: int) -> None:
    parsed = parse_value(raw, COUNT)
    assert (parsed.outcome, parsed.value) == (outcome, value)
    assert type(parsed.value) is int


@pytest.mark.parametrize(
    "raw", [1.5, -1, -1.0, "1.5", "-3", "abc", "十二", "12个半", True, dt.date(2024, 1, 1), float("nan")]
)
def test_invalid_count_cells(raw: object) -> None:
    parsed = parse_value(raw, COUNT)
    assert parsed.outcome is Outcome.INVALID
    assert parsed.value is None and parsed.reason


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (96171.6, Decimal("96171.6")),
        (1.25, Decimal("1.25")),
        (3.0, 3),
        ("０.５万元", Decimal("0.5")),
        (0.1234, Decimal("0.1234")),
    ],
)
def test_amount_cells_keep_decimals_exactly(raw: object, value: object) -> None:
    parsed = parse_value(raw, AMOUNT)
    assert parsed.outcome is not Outcome.INVALID
    assert parsed.value == value and type(parsed.value) is type(value)


def test_amount_with_too_many_decimals_or_negative_is_invalid() -> None:
    assert parse_value(0.123456, AMOUNT).outcome is Outcome.INVALID
    assert parse_value(-0.5, AMOUNT).outcome is Outcome.INVALID


@given(st.integers(min_value=0, max_value=10**9))
def test_any_non_negative_integer_reads_back(n: int) -> None:
    assert parse_value(float(n), COUNT).value == n
    full_width = str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert parse_value(full_width + "件", COUNT).value == n


@given(st.integers(max_value=-1))
def test_any_negative_integer_is_invalid(n: int) -> None:
    assert parse_value(n, COUNT).outcome is Outcome.INVALID
    assert parse_value(str(n), COUNT).outcome is Outcome.INVALID
