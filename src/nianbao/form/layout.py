"""Where every field of the form lives in the Excel template: sheet names and cell addresses.

The template writer and the reader both take their addresses from here, so a returned workbook is read
from exactly the cells the template declared. Nothing here is typed per cell: table positions come from
the form's layout grid placed at a fixed origin on each sheet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from . import FORM, Field, GridCell, Table

SHEET_INSTRUCTIONS = "填报说明"
SHEET_COVER = "基本信息"
SHEET_TEXTS = "文字材料"
TABLE_SHEETS: dict[str, str] = {
    "t2": "表二 主动公开",
    "t3": "表三 依申请公开",
    "t4": "表四 复议诉讼",
}
SHEET_ORDER: tuple[str, ...] = (SHEET_INSTRUCTIONS, SHEET_COVER, *TABLE_SHEETS.values(), SHEET_TEXTS)

# Each table sheet: row 1 title, row 2 identity line, row 3 unit note; the table starts at row 4, column A.
TABLE_ORIGIN_ROW = 4
TABLE_ORIGIN_COL = 1

# The cover sheet: label in column A, value in column B, from row 3 (row 1 title, row 2 hint).
COVER_FIRST_ROW = 3
COVER_VERSION_LABEL = "模板版本"
# The narrative sheet: group label in A, item label in B, the input cell in C.
TEXTS_FIRST_ROW = 3

# Custom document properties that carry the identity (checked against the cover when files come back).
PROP_VERSION = "nianbao_template_version"
PROP_BODY = "nianbao_body"
PROP_YEAR = "nianbao_year"
PROP_DEPARTMENT = "nianbao_department"


def get_column_letter(col: int) -> str:
    """1 → A, 27 → AA (as openpyxl's, without importing openpyxl and numpy at start-up: ~0.2 s)."""
    letters = ""
    while col > 0:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass(frozen=True)
class Location:
    sheet: str
    row: int  # 1-based Excel row
    col: int  # 1-based Excel column

    @property
    def cell(self) -> str:
        return f"{get_column_letter(self.col)}{self.row}"

    @property
    def absolute(self) -> str:
        return f"${get_column_letter(self.col)}${self.row}"

    def ref(self, absolute: bool = False) -> str:
        """A reference usable in a formula on another sheet: 'Sheet name'!D7."""
        return f"{quote_sheet(self.sheet)}!{self.absolute if absolute else self.cell}"


def quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def grid_location(table: Table, cell: GridCell) -> Location:
    return Location(TABLE_SHEETS[table.key], TABLE_ORIGIN_ROW + cell.row, TABLE_ORIGIN_COL + cell.col)


@cache
def cover_rows() -> tuple[tuple[str, str, int], ...]:
    """(key or "version", label, row) for the cover sheet, the version first."""
    rows = [("version", COVER_VERSION_LABEL, COVER_FIRST_ROW)]
    for i, f in enumerate(FORM.meta, start=1):
        rows.append((f.key, f.row[0], COVER_FIRST_ROW + i))
    return tuple(rows)


def version_location() -> Location:
    return Location(SHEET_COVER, COVER_FIRST_ROW, 2)


@cache
def text_rows() -> tuple[tuple[Field, int], ...]:
    """Each field of the narrative sheet with its row."""
    return tuple((f, TEXTS_FIRST_ROW + i) for i, f in enumerate(FORM.texts))


@cache
def locations() -> dict[str, Location]:
    """Every field key → where it lives in the template."""
    out: dict[str, Location] = {}
    for key, _label, row in cover_rows():
        if key != "version":
            out[key] = Location(SHEET_COVER, row, 2)
    for table in FORM.tables:
        for cell in table.value_cells():
            out[cell.key or ""] = grid_location(table, cell)
    for f, row in text_rows():
        out[f.key] = Location(SHEET_TEXTS, row, 3)
    missing = [f.key for f in FORM.fields if f.key not in out]
    if missing:  # pragma: no cover - declaration error
        raise ValueError(f"fields without a template cell: {missing}")
    return out


def location(key: str) -> Location:
    return locations()[key]


def defined_name(key: str) -> str:
    """The workbook-level name of a field's cell, e.g. t3.new.natural_person → NB_T3_NEW_NATURAL_PERSON.

    The prefix keeps names from ever looking like a cell address (T3 alone would be one).
    """
    return "NB_" + key.replace(".", "_").upper()


def table_bottom_row(table: Table) -> int:
    return TABLE_ORIGIN_ROW + table.n_rows - 1


def address(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"


def rectangles(locs: Iterable[Location]) -> list[tuple[int, int, int, int]]:
    """Cover a set of cells on one sheet with few rectangles (row1, col1, row2, col2).

    Runs of adjacent cells in a row are joined first, then identical runs on consecutive rows, so a
    whole table body becomes one range and formulas stay short.
    """
    by_row: dict[int, list[int]] = {}
    for loc in locs:
        by_row.setdefault(loc.row, []).append(loc.col)
    runs: list[tuple[int, int, int]] = []  # (row, col1, col2)
    for row in sorted(by_row):
        cols = sorted(set(by_row[row]))
        start = prev = cols[0]
        for col in cols[1:]:
            if col != prev + 1:
                runs.append((row, start, prev))
                start = col
            prev = col
        runs.append((row, start, prev))
    rects: list[list[int]] = []
    for row, c1, c2 in runs:
        match = next((r for r in rects if r[1] == c1 and r[3] == c2 and r[2] == row - 1), None)
        if match:
            match[2] = row
        else:
            rects.append([row, c1, row, c2])
    return [(r1, c1, r2, c2) for r1, c1, r2, c2 in rects]


def range_refs(locs: Iterable[Location], sheet: str | None = None) -> list[str]:
    """Range references ("D7:J31") covering the cells; prefixed with the sheet when `sheet` is given."""
    refs = []
    for r1, c1, r2, c2 in rectangles(locs):
        ref = address(r1, c1) if (r1, c1) == (r2, c2) else f"{address(r1, c1)}:{address(r2, c2)}"
        refs.append(f"{quote_sheet(sheet)}!{ref}" if sheet else ref)
    return refs


def text_item_label(field: Field) -> str:
    """The label shown next to a narrative-sheet cell: the field's row labels, e.g. 信息处理费：收费通知…."""
    return "：".join(field.row)
