"""The department roster: who should return a workbook. A CSV or .xlsx file with a column 部门."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from .errors import UsageError
from .naming import clean_name

ROSTER_COLUMN = "部门"

# Excel on Chinese Windows saves "CSV" as GBK; gb18030 is its superset and decodes both.
_CSV_ENCODINGS = ("utf-8-sig", "gb18030")


def _decode(data: bytes, path: Path) -> str:
    for encoding in _CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UsageError(f"部门名单 {path.name} 的编码无法识别，请用 Excel 另存为“CSV UTF-8”或 .xlsx 后重试。")


def _csv_rows(path: Path) -> list[list[str]]:
    text = _decode(path.read_bytes(), path)
    # Sniffing guesses wrong on one-column files; the header line tells the delimiter reliably.
    header = text.split("\n", 1)[0]
    delimiter = next((d for d in (",", "\t", ";") if d in header), ",")
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _xlsx_rows(path: Path) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a damaged or foreign file
        raise UsageError(f"部门名单 {path.name} 无法打开（{type(exc).__name__}），请确认是 .xlsx 文件。") from None
    try:
        ws = wb.worksheets[0]
        return [list(row) for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def _header_index(rows: list[list[object]], path: Path) -> tuple[int, int]:
    """(row index, column index) of the 部门 header: the first non-blank row must hold it."""
    for i, row in enumerate(rows):
        cells = [clean_name(c) for c in row]
        if not any(cells):
            continue
        if ROSTER_COLUMN in cells:
            return i, cells.index(ROSTER_COLUMN)
        break
    raise UsageError(f"部门名单 {path.name} 的第一行没有“{ROSTER_COLUMN}”列，请在第一行写上列名“{ROSTER_COLUMN}”。")


def read_roster(path: str | os.PathLike[str]) -> list[str]:
    """Department names in file order. Blank lines are skipped; duplicates or no 部门 column are an error."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"找不到部门名单文件：{path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows: list[list[object]] = [list(row) for row in _csv_rows(path)]
    elif suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path)
    else:
        raise UsageError(f"部门名单只支持 .csv 或 .xlsx 文件，收到的是：{path.name}")
    header_row, col = _header_index(rows, path)
    names: list[str] = []
    seen: dict[str, int] = {}
    duplicates: list[str] = []
    for line, row in enumerate(rows[header_row + 1 :], start=header_row + 2):
        name = clean_name(row[col]) if col < len(row) else ""
        if not name:
            continue
        if name in seen:
            duplicates.append(f"“{name}”（第{seen[name]}行和第{line}行）")
            continue
        seen[name] = line
        names.append(name)
    if duplicates:
        raise UsageError(f"部门名单 {path.name} 有重复的部门：{'、'.join(duplicates)}。请删除重复行后重试。")
    if not names:
        raise UsageError(f"部门名单 {path.name} 的“{ROSTER_COLUMN}”列是空的。")
    return names
