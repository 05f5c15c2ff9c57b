"""Helpers of the collection site's tests: the bundled example, its roster, and workbooks with a mistake."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl

from nianbao.form import layout
from nianbao.naming import name_key
from nianbao.roster import read_roster

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "nianbao" / "data" / "examples" / "大榭街道-2024"
PASSWORD = "correct horse 2024"
PG_ENV = "NIANBAO_TEST_PG_URL"


def roster() -> list[str]:
    return read_roster(EXAMPLE / "departments.csv")


def example_file(department: str) -> Path:
    """The example workbook of a roster department (the roster reads names NFKC-normalized)."""
    return next(p for p in EXAMPLE.glob("*.xlsx") if name_key(p.stem) == name_key(department))


def example_bytes(department: str) -> bytes:
    return example_file(department).read_bytes()


def with_t3_mistake(department: str, add: int = 5) -> bytes:
    """The department's example workbook with 表三 自然人 本年新收 raised: T3-1 no longer balances (D7)."""
    loc = layout.location("t3.new.natural_person")
    wb = openpyxl.load_workbook(example_file(department))
    ws = wb[loc.sheet]
    ws.cell(loc.row, loc.col).value = (ws.cell(loc.row, loc.col).value or 0) + add
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
