"""What a check or a merge hands back: findings as a console table / JSON, and the merge's files.

OUTDIR receives `merged.json` (what the report renders), `汇总.xlsx` (merged tables laid out like the
official ones, per-department breakdown, 问题清单, 回收情况) and `provenance.csv` (one row per
department and number: the file and cell it came from; read back by `nianbao explain`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from .errors import NianbaoError
from .fileio import atomic_path, write_text_atomic
from .findings import CODES, Finding
from .form import FORM, Table
from .workbook import layout
from .workbook.styles import (
    BORDER, CENTER, DERIVED_FILL, FONT, FONT_BOLD, FONT_TITLE, HEADER_FILL, LEFT, landscape_a4, merge,
)

if TYPE_CHECKING:
    from .merge import MergeResult

__all__ = [
    "MERGED_JSON",
    "PROVENANCE_CSV",
    "SUMMARY_XLSX",
    "findings_json",
    "findings_table",
    "print_findings",
    "read_provenance",
    "status_table",
    "write_outputs",
    "write_summary_xlsx",
]

MERGED_JSON = "merged.json"
SUMMARY_XLSX = "汇总.xlsx"
PROVENANCE_CSV = "provenance.csv"

SHEET_BREAKDOWN = "分部门明细"
SHEET_FINDINGS = "问题清单"
SHEET_RETURNS = "回收情况"
SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}
FINDING_HEADERS = ("级别", "部门", "文件", "工作表", "单元格", "位置", "规则", "规则说明", "说明", "填写值", "应为")
PROVENANCE_HEADERS = ("部门", "键", "数值", "文件", "工作表", "单元格", "填报项")


# -- console and JSON --------------------------------------------------------------------------------

def _severity_markup(severity: str) -> str:
    label = SEVERITY_LABELS.get(severity, severity)
    return {"error": f"[bold red]{label}[/]", "warning": f"[yellow]{label}[/]"}.get(severity, label)


def findings_table(findings: Sequence[Finding], title: str = "问题清单") -> RichTable:
    table = RichTable("级别", "部门", "文件", "位置", "规则", "说明", title=title, show_lines=False)
    for f in sorted(findings, key=_finding_order):
        table.add_row(_severity_markup(f.severity), f.department, f.file, f.address, f.code, f.message)
    return table


def print_findings(console: Console, findings: Sequence[Finding]) -> None:
    """One block per finding (readable at any terminal width, unlike a table with a long message column)."""
    for f in sorted(findings, key=_finding_order):
        where = " ".join(x for x in (f.file, f.address, f.department and f"（{f.department}）") if x)
        console.print(f"{_severity_markup(f.severity)} [bold]{escape(where)}[/] [dim]{f.code}[/]")
        console.print(f"    {escape(f.message)}", soft_wrap=True)


def _finding_order(f: Finding) -> tuple[Any, ...]:
    return (f.severity != "error", f.file, f.sheet, f.cell)


def findings_json(findings: Sequence[Finding]) -> str:
    return json.dumps([_jsonable(f.to_dict()) for f in findings], ensure_ascii=False, indent=2)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def status_table(result: MergeResult) -> RichTable:
    from .merge import DEPARTMENT_STATUS

    files: dict[str, list[str]] = {}
    for s in result.sources:
        files.setdefault(s.department, []).append(s.file)
    errors: dict[str, int] = {}
    for f in result.findings:
        if f.is_error:
            errors[f.department] = errors.get(f.department, 0) + 1
    table = RichTable("部门", "状态", "文件", "错误数", title="各部门报送情况")
    for department, status in result.department_status.items():
        style = {"merged": "green", "not_returned": "yellow"}.get(status, "red")
        table.add_row(department, f"[{style}]{DEPARTMENT_STATUS[status]}[/]", "、".join(files.get(department, [])),
                      str(errors.get(department, "")))
    for s in result.sources:
        if not s.department:
            table.add_row("（无法识别）", "[red]有错误未汇总[/]", s.file, str(sum(
                1 for f in result.findings if f.file == s.file and f.is_error)))
    return table


# -- the files ---------------------------------------------------------------------------------------

def write_outputs(result: MergeResult, outdir: Path) -> list[Path]:
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = [outdir / MERGED_JSON, outdir / SUMMARY_XLSX, outdir / PROVENANCE_CSV]
    try:
        write_text_atomic(paths[0], json.dumps(_jsonable(result.to_json_dict()), ensure_ascii=False, indent=2))
        write_summary_xlsx(result, paths[1])
        write_provenance(result, paths[2])
    except PermissionError as exc:  # on Windows, a file open in Excel/WPS cannot be replaced
        raise NianbaoError(f"无法写入 {exc.filename or outdir}：文件可能正在 Excel/WPS 中打开，请关闭后重试") from exc
    return paths


def write_provenance(result: MergeResult, path: Path) -> None:
    """UTF-8 with BOM so that Excel/WPS open it with Chinese intact."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(PROVENANCE_HEADERS)
    frame = result.frame
    for row in zip(frame["department"], frame["key"], frame["value"], frame["file"], frame["sheet"],
                   frame["cell"], frame["input"], strict=True):
        department, key, value, file, sheet, cell, is_input = row
        writer.writerow((department, key, _plain(value), file, sheet, cell, "是" if is_input else "自动计算"))
    write_text_atomic(path, "\ufeff" + buffer.getvalue())


def read_provenance(outdir: Path) -> list[dict[str, str]]:
    """The rows of provenance.csv as dicts with the English column names of the long frame."""
    from .merge import FRAME_COLUMNS

    with (Path(outdir) / PROVENANCE_CSV).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        return [dict(zip(FRAME_COLUMNS, row, strict=True)) for row in reader]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def _excel_number(value: Any) -> Any:
    """openpyxl writes Decimal as a number already; keep ints as ints."""
    return float(value) if isinstance(value, Decimal) else value


def write_summary_xlsx(result: MergeResult, path: Path) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    for table in FORM.tables:
        _merged_table_sheet(wb.create_sheet(layout.TABLE_SHEETS[table.key]), table, result)
    _breakdown_sheet(wb.create_sheet(SHEET_BREAKDOWN), result)
    _findings_sheet(wb.create_sheet(SHEET_FINDINGS), result.findings)
    _returns_sheet(wb.create_sheet(SHEET_RETURNS), result)
    with atomic_path(path) as tmp:
        wb.save(tmp)


def _title(result: MergeResult) -> str:
    year = f"{result.year}年" if result.year else ""
    return f"{result.body}{year}"


def _merged_table_sheet(ws: Worksheet, table: Table, result: MergeResult) -> None:
    """The merged table at the same cells as in the template, so addresses mean the same in both."""
    left, right = layout.TABLE_ORIGIN_COL, layout.TABLE_ORIGIN_COL + table.n_cols - 1
    title = ws.cell(1, left, f"{_title(result)} {table.section}（{table.name}，汇总）")
    title.font, title.alignment = FONT_TITLE, CENTER
    note = ws.cell(2, left, f"汇总了 {len(result.departments)} 个部门：{'、'.join(result.departments)}")
    note.font, note.alignment = FONT, LEFT
    for row in (1, 2):
        merge(ws, row, left, row, right)
    ws.row_dimensions[2].height = 15 * (1 + len(note.value) // (12 * table.n_cols))
    for cell in table.grid:
        loc = layout.grid_location(table, cell)
        target = ws.cell(loc.row, loc.col)
        if cell.kind == "value":
            field = FORM.by_key[cell.key or ""]
            target.value = _excel_number(result.values.get(field.key, 0))
            target.alignment = CENTER
            if not field.input:
                target.fill = DERIVED_FILL
        else:
            target.value = cell.text
            target.alignment = CENTER if cell.kind == "header" else LEFT
            target.font = FONT_BOLD if cell.kind == "header" else FONT
            if cell.kind == "header":
                target.fill = HEADER_FILL
        for r in range(loc.row, loc.row + cell.rowspan):
            for c in range(loc.col, loc.col + cell.colspan):
                ws.cell(r, c).border = BORDER
        merge(ws, loc.row, loc.col, loc.row + cell.rowspan - 1, loc.col + cell.colspan - 1)
    label_cols = {layout.grid_location(table, c).col for c in table.grid if c.kind in ("label", "note")}
    for col in range(left, right + 1):
        ws.column_dimensions[get_column_letter(col)].width = 24 if col in label_cols else 12
    ws.print_area = f"{get_column_letter(left)}1:{get_column_letter(right)}{layout.table_bottom_row(table)}"
    landscape_a4(ws)


def _header_row(ws: Worksheet, headers: Sequence[str]) -> None:
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = FONT_BOLD
        cell.fill = HEADER_FILL
    ws.freeze_panes = "A2"


def _breakdown_sheet(ws: Worksheet, result: MergeResult) -> None:
    """Every number by department: one row per field, one column per merged department."""
    departments = result.departments
    _header_row(ws, ("键", "所属", "行", "列", "模板位置", "汇总", *departments))
    by_key: dict[str, dict[str, Any]] = {}
    frame = result.frame
    for department, key, value in zip(frame["department"], frame["key"], frame["value"], strict=True):
        by_key.setdefault(key, {})[department] = value
    for f in FORM.numeric_fields:
        loc = layout.location(f.key)
        row = by_key.get(f.key, {})
        ws.append([f.key, f.part, " / ".join(f.row), " / ".join(f.column), loc.ref(),
                   _excel_number(result.values.get(f.key, 0)),
                   *(_excel_number(row.get(d, 0)) for d in departments)])
    ws.auto_filter.ref = ws.dimensions
    ws.freeze_panes = "G2"
    for letter, width in zip("ABCDEF", (34, 10, 40, 24, 26, 10), strict=True):
        ws.column_dimensions[letter].width = width


def _findings_sheet(ws: Worksheet, findings: Sequence[Finding]) -> None:
    _header_row(ws, FINDING_HEADERS)
    for f in sorted(findings, key=_finding_order):
        rule = f.extra.get("rule", f.code) if f.extra else f.code
        ws.append([SEVERITY_LABELS.get(f.severity, f.severity), f.department, f.file, f.sheet, f.cell, f.address,
                   f.code, CODES.get(rule, ""), f.message, _cell_text(f.value), _cell_text(f.expected)])
        if f.is_error:
            ws.cell(ws.max_row, 1).font = Font(color="9C0006", bold=True)
    ws.auto_filter.ref = ws.dimensions
    landscape_a4(ws)
    for letter, width in zip("ABCDEFGHIJK", (6, 16, 28, 16, 8, 24, 14, 30, 90, 14, 14), strict=True):
        ws.column_dimensions[letter].width = width


def _cell_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)):
        return _excel_number(value)
    return str(value)


def _returns_sheet(ws: Worksheet, result: MergeResult) -> None:
    """Who returned what: one row per file, then the departments on the roster with no file."""
    from .merge import DEPARTMENT_STATUS, FILE_STATUS

    _header_row(ws, ("部门", "部门状态", "文件", "文件状态", "填报日期", "修改时间", "大小(字节)", "SHA-256"))
    for s in sorted(result.sources, key=lambda s: (s.department == "", s.department, s.file)):
        d = s.to_dict()
        department_status = DEPARTMENT_STATUS.get(result.department_status.get(s.department, ""), "无法识别部门")
        ws.append([s.department or "（无法识别）", department_status, s.file, FILE_STATUS[s.status], s.date,
                   d["modified"], s.size, s.sha256])
    for department in result.not_returned:
        ws.append([department, DEPARTMENT_STATUS["not_returned"], "", "", "", "", "", ""])
    for name in result.ignored:
        ws.append(["", "", name, "不是工作簿，已忽略", "", "", "", ""])
    ws.auto_filter.ref = ws.dimensions
    for letter, width in zip("ABCDEFGH", (20, 14, 36, 14, 12, 20, 12, 66), strict=True):
        ws.column_dimensions[letter].width = width
