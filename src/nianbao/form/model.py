"""Data types that describe the official form. The declaration itself lives in `official.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class FieldType(str, Enum):
    INT = "int"
    DECIMAL = "decimal"
    TEXT = "text"


@dataclass(frozen=True)
class Axis:
    """One row or one column of a table: a stable key and its label path, outermost label first."""

    key: str
    labels: tuple[str, ...]
    help: str = ""  # plain-Chinese counting rule, shown in the workbook's instructions

    @property
    def label(self) -> str:
        return self.labels[-1] if self.labels else ""


@dataclass(frozen=True)
class Field:
    """One value of the report: a table cell, a narrative text or a metadata item."""

    key: str
    part: str  # "表二", "表三", "表四", a section heading, or "基本信息"
    row: tuple[str, ...]
    column: tuple[str, ...]
    type: FieldType
    input: bool  # entered by a department; False for derived totals
    unit: str = ""
    help: str = ""  # a plain-Chinese hint, shown in the workbook
    required: bool = False  # only meaningful for text/metadata fields
    when_empty: str = ""  # cover fields: the severity of leaving it empty ("" = may stay empty)
    format: str = ""  # cover fields: "phone", "date" or "choice" (a drop-down of `choices`)
    choices: tuple[str, ...] = ()

    @property
    def numeric(self) -> bool:
        return self.type in (FieldType.INT, FieldType.DECIMAL)

    @property
    def label(self) -> str:
        """A one-line human name: part, row and column labels."""
        parts = [self.part, *self.row, *self.column]
        return " / ".join(p for p in parts if p)


@dataclass(frozen=True)
class GridCell:
    """A cell of a table's published layout, in table-local coordinates (0-based)."""

    row: int
    col: int
    text: str = ""
    rowspan: int = 1
    colspan: int = 1
    kind: str = "label"  # "header", "label", "note", "value"
    key: str | None = None  # the field shown here, for kind == "value"


@dataclass(frozen=True)
class Table:
    """One of the three official tables, with its published layout."""

    key: str  # "t2", "t3", "t4"
    name: str  # "表二"
    section: str  # the heading it sits under
    rows: tuple[Axis, ...]
    columns: tuple[Axis, ...]
    grid: tuple[GridCell, ...]
    n_rows: int
    n_cols: int
    fields: tuple[Field, ...] = field(default=())

    def value_cells(self) -> tuple[GridCell, ...]:
        return tuple(c for c in self.grid if c.kind == "value")

    def header_rows(self) -> int:
        """Rows at the top that hold only header/note cells (before the first value row)."""
        return min(c.row for c in self.value_cells())


@dataclass(frozen=True)
class Section:
    """One of the six headings of the report, with the narrative fields it holds."""

    number: str  # "一"
    heading: str  # "一、总体情况"
    table: str | None  # "t2" for sections carrying a table
    text_keys: tuple[str, ...] = ()
    mandatory: bool = False  # must have text in a final report (official.MANDATORY_SECTIONS)
