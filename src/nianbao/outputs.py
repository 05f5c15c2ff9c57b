"""What a check or a merge hands back: findings as a console table / JSON, and the merge's files.

OUTDIR receives `merged.json` (what the report renders), `汇总.xlsx` (merged tables laid out like the
official ones, per-department breakdown, 问题清单, 回收情况) and `provenance.csv` (one row per
department and number: the file and cell it came from; read back by `nianbao explain`).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import multiprocessing
import os
import sys
from collections.abc import Iterator, Sequence
from decimal import Decimal
from itertools import chain, repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .charts import PNG_DPI, Chart, chart_png
from .errors import NianbaoError
from .fileio import atomic_path, write_text_atomic
from .findings import CODES, Finding, finding_order
from .form import FORM, SEVERITY_LABELS, GridCell, Table, layout
from .numbers import jsonable, plain
from .xlsxml import Book, Font, Sheet, Style, Styled, column_letter, inline_string, number_text, ref

if TYPE_CHECKING:
    from .merge import LongRows, MergeResult

__all__ = [
    "MERGED_JSON",
    "PROVENANCE_CSV",
    "SUMMARY_XLSX",
    "add_charts_sheet",
    "findings_json",
    "read_provenance",
    "write_merged_json",
    "write_outputs",
    "write_summary_xlsx",
]

MERGED_JSON = "merged.json"
SUMMARY_XLSX = "汇总.xlsx"
PROVENANCE_CSV = "provenance.csv"

SHEET_BREAKDOWN = "分部门明细"
SHEET_COMPARISON = "各单位对比"
SHEET_FINDINGS = "问题清单"
SHEET_RETURNS = "回收情况"
FINDING_HEADERS = ("级别", "部门", "文件", "工作表", "单元格", "位置", "规则", "规则说明", "说明", "填写值", "应为")
PROVENANCE_HEADERS = ("部门", "键", "数值", "文件", "工作表", "单元格", "填报项")


# -- console and JSON --------------------------------------------------------------------------------


def findings_json(findings: Sequence[Finding]) -> str:
    return json.dumps([jsonable(f.to_dict()) for f in findings], ensure_ascii=False, indent=2)


# -- the files ---------------------------------------------------------------------------------------


def write_outputs(result: MergeResult, outdir: Path) -> list[Path]:
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = [outdir / MERGED_JSON, outdir / SUMMARY_XLSX, outdir / PROVENANCE_CSV]
    try:
        # The workbook is the slow part for many departments: a forked child writes it meanwhile.
        child = _fork(write_summary_xlsx, result, paths[1]) if len(result.departments) >= PARALLEL_XLSX_MIN else None
        write_merged_json(result, paths[0])
        write_provenance(result, paths[2])
        if child is not None:
            child.join()
        if child is None or child.exitcode != 0:  # not forked, or failed there: write (and report) it here
            write_summary_xlsx(result, paths[1])
    except PermissionError as exc:  # on Windows, a file open in Excel/WPS cannot be replaced
        raise NianbaoError(f"无法写入 {exc.filename or outdir}：文件可能正在 Excel/WPS 中打开，请关闭后重试") from exc
    return paths


def write_merged_json(result: MergeResult, path: Path) -> None:
    """merged.json alone (`build` writes it again when the report it announced could not be written)."""
    write_text_atomic(path, json.dumps(jsonable(result.to_json_dict()), ensure_ascii=False, indent=2))


def _quietly(target: Any, *args: Any) -> None:
    """In the child: no traceback on the console; a failure shows as the exit code and is redone by the parent."""
    try:
        target(*args)
    except BaseException:  # noqa: BLE001 - the parent writes the file again and reports any error itself
        sys.exit(1)


# From this many merged departments on, 汇总.xlsx is written by a second process (where fork exists).
PARALLEL_XLSX_MIN = 200


def _fork(target: Any, *args: Any) -> Any:
    """Start `target(*args)` in a forked process (shares the result in memory, nothing pickled)."""
    if "fork" not in multiprocessing.get_all_start_methods() or (os.cpu_count() or 1) < 2:
        return None
    try:
        process = multiprocessing.get_context("fork").Process(target=_quietly, args=(target, *args), daemon=True)
        process.start()
        return process
    except OSError:
        return None


def write_provenance(result: MergeResult, path: Path) -> None:
    """UTF-8 with BOM so that Excel/WPS open it with Chinese intact.

    The bytes csv.writer would write, ~3x faster: each distinct text is quoted once by csv itself (200,000
    rows hold a few thousand distinct texts), numbers never need quoting. A body's rows come in runs of the
    same fields (`LongRows.width`): each run is then one bytes template filled in C.
    """
    header = io.StringIO(newline="")
    csv.writer(header).writerow(PROVENANCE_HEADERS)
    rows = result.rows
    with atomic_path(path) as tmp, tmp.open("wb") as handle:
        handle.write(("\ufeff" + header.getvalue()).encode("utf-8"))
        for chunk in _provenance_runs(rows) if rows.width else _provenance_lines(rows):
            handle.write(chunk)


_FLAGS = {True: "是", False: "自动计算"}
_ROWS_PER_WRITE = 10_000


def _provenance_lines(rows: LongRows) -> Iterator[bytes]:
    """Any rows: each column quoted once per distinct text, then every line joined in C."""
    values = [str(v) if type(v) is int else plain(v) for v in rows.value]
    flags = [_FLAGS[bool(x)] for x in rows.input]
    columns = (rows.department, rows.key, rows.file, rows.sheet, rows.cell)
    department, key, file, sheet, cell = (_csv_quoted(c) for c in columns)
    lines = map(",".join, zip(department, key, values, file, sheet, cell, flags, strict=True))
    while block := list(itertools.islice(lines, _ROWS_PER_WRITE)):  # bounded memory, whatever the size
        yield ("\r\n".join(block) + "\r\n").encode("utf-8")


def _provenance_runs(rows: LongRows) -> Iterator[bytes]:
    """Rows in runs of the same fields: one template of a run's lines, filled in C with each run's department,
    file and values. Ints go in by %d; the few other values (amounts) as text, in a template with %s at their
    places, made once per pattern of places (every run has its amounts at the same places)."""
    width = rows.width
    fields = zip(
        *(_csv_quoted(c[:width]) for c in (rows.key, rows.sheet, rows.cell)),
        (_FLAGS[bool(x)] for x in rows.input[:width]),
        strict=True,
    )
    lines = [tuple(t.replace("%", "%%") for t in texts) for texts in fields]
    templates: dict[tuple[int, ...], bytes] = {}

    def template(texts: tuple[int, ...]) -> bytes:
        slots = ["%s" if i in texts else "%d" for i in range(width)]
        return "".join(
            f"%s,{key},{slot},%s,{sheet},{cell},{flag}\r\n"
            for slot, (key, sheet, cell, flag) in zip(slots, lines, strict=True)
        ).encode("utf-8")

    departments = [d.encode("utf-8") for d in _csv_quoted(rows.department[::width])]
    files = [f.encode("utf-8") for f in _csv_quoted(rows.file[::width])]
    for start, department, file in zip(range(0, len(rows), width), departments, files, strict=True):
        values: list[Any] = rows.value[start : start + width]
        texts: tuple[int, ...] = ()
        if set(map(type, values)) - {int}:
            texts = tuple(i for i, kind in enumerate(map(type, values)) if kind is not int)
            values = values.copy()
            for i in texts:
                values[i] = plain(values[i]).encode("utf-8")
        if texts not in templates:
            templates[texts] = template(texts)
        yield templates[texts] % tuple(chain.from_iterable(zip(repeat(department), values, repeat(file))))


def _csv_quoted(column: list[Any]) -> list[str]:
    """Each value as csv.writer writes it within a row (quoted only when it must be)."""
    quoted = {}
    for text in set(column):
        buffer = io.StringIO(newline="")
        csv.writer(buffer).writerow([text, ""])  # a second field: a lone empty field would be written as ""
        quoted[text] = buffer.getvalue()[:-3]  # without ",\r\n"
    return list(map(quoted.__getitem__, column))


def read_provenance(outdir: Path) -> list[dict[str, str]]:
    """The rows of an output folder's provenance.csv as dicts with the English column names of the long frame."""
    return read_provenance_file(Path(outdir) / PROVENANCE_CSV)


def read_provenance_file(path: Path) -> list[dict[str, str]]:
    """The rows of a provenance.csv as dicts with the English column names of the long frame."""
    from .merge import FRAME_COLUMNS

    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        return [dict(zip(FRAME_COLUMNS, row, strict=True)) for row in reader]


def _excel_number(value: Any) -> Any:
    """A Decimal is written as the float Excel keeps; ints stay ints."""
    return float(value) if isinstance(value, Decimal) else value


# The look of the template (workbook/styles.py), as the summary's own writer takes it; a test keeps them equal.
_FONT = Font("宋体", 11)
_FONT_BOLD = Font("宋体", 11, bold=True)
_FONT_TITLE = Font("黑体", 16)
_ERROR_FONT = Font(bold=True, color="9C0006")
_HEADER_FILL = "F2F2F2"
_DERIVED_FILL = "E7E6E6"
_CENTER, _LEFT = "center", "left"


def write_summary_xlsx(result: MergeResult, path: Path) -> None:
    """Written by a small writer of our own (`xlsxml`): no openpyxl, and each part deflated once.

    The data rows of the breakdown (200,000 cells for 1,000 departments) are written as XML in one pass.
    """
    book = Book()
    for table in FORM.tables:
        _merged_table_sheet(book.sheet(layout.TABLE_SHEETS[table.key]), table, result)
    if result.bodies:
        _comparison_sheet(book.sheet(SHEET_COMPARISON), result)
    _breakdown_sheet(book.sheet(SHEET_BREAKDOWN), result)
    book.fast_parts.add(f"xl/worksheets/sheet{len(book.sheets)}.xml")
    _findings_sheet(book.sheet(SHEET_FINDINGS), result.findings)
    _returns_sheet(book.sheet(SHEET_RETURNS), result)
    with atomic_path(path) as tmp:
        book.save(tmp)


def _title(result: MergeResult) -> str:
    year = f"{result.year}年" if result.year else ""
    return f"{result.body}{year}"


def _styled(
    value: Any, *, font: Font | None = None, fill: str | None = None, align: str | None = None, border: bool = False
) -> Styled:
    return Styled(value, Style(font, fill, border, align))


def _merged_table_sheet(ws: Sheet, table: Table, result: MergeResult) -> None:
    """The merged table at the same cells as in the template, so addresses mean the same in both.

    Rows are written in order, so the grid is laid out in memory first.
    """
    left, right = layout.TABLE_ORIGIN_COL, layout.TABLE_ORIGIN_COL + table.n_cols - 1
    bottom = layout.table_bottom_row(table)
    rows: dict[int, dict[int, Styled]] = {}
    note = f"汇总了 {len(result.departments)} 个部门：{'、'.join(result.departments)}"
    rows[1] = {
        left: _styled(f"{_title(result)} {table.section}（{table.name}，汇总）", font=_FONT_TITLE, align=_CENTER)
    }
    rows[2] = {left: _styled(note, font=_FONT, align=_LEFT)}
    for row in (1, 2):
        ws.merged.append(ref(row, left, row, right))
    for cell in table.grid:
        loc = layout.grid_location(table, cell)
        for r in range(loc.row, loc.row + cell.rowspan):
            for c in range(loc.col, loc.col + cell.colspan):
                rows.setdefault(r, {})[c] = _styled(None, border=True)
        rows[loc.row][loc.col] = _grid_cell(cell, result)
        if cell.rowspan > 1 or cell.colspan > 1:
            ws.merged.append(ref(loc.row, loc.col, loc.row + cell.rowspan - 1, loc.col + cell.colspan - 1))
    widths = _label_widths(table)
    for col in range(left, right + 1):
        ws.widths[col] = widths.get(col, 12)
    for cell in table.grid:  # long labels wrap: give their rows the lines they need
        if cell.kind == "label" and cell.rowspan == 1 and cell.colspan == 1:
            loc = layout.grid_location(table, cell)
            lines = -(-2 * len(cell.text) // int(widths[loc.col] - 2))
            if lines > 1:
                ws.heights[loc.row] = 15 * lines
    ws.heights[2] = 15 * (1 + len(note) // (12 * table.n_cols))
    ws.print_area = ref(1, left, bottom, right)
    ws.landscape = ws.fit_to_page = True
    for r in range(1, bottom + 1):
        line = rows.get(r, {})
        ws.append([line.get(c) for c in range(1, right + 1)])


_MAX_LABEL_WIDTH = 44  # characters of width (a Chinese character takes two)


def _label_widths(table: Table) -> dict[int, float]:
    """Label columns as wide as their longest single-column label (up to a limit, then wrapped)."""
    widths: dict[int, float] = {}
    for cell in table.grid:
        if cell.kind in ("label", "note"):
            col = layout.grid_location(table, cell).col
            need = 2 * len(cell.text) + 2 if cell.colspan == 1 and cell.rowspan == 1 else 10
            widths[col] = min(_MAX_LABEL_WIDTH, max(widths.get(col, 10), need))
    return widths


def _grid_cell(cell: GridCell, result: MergeResult) -> Styled:
    if cell.kind == "value":
        field = FORM.by_key[cell.key or ""]
        return _styled(
            _excel_number(result.values.get(field.key, 0)),
            align=_CENTER,
            border=True,
            fill=None if field.input else _DERIVED_FILL,
        )
    header = cell.kind == "header"
    return _styled(
        cell.text,
        font=_FONT_BOLD if header else _FONT,
        fill=_HEADER_FILL if header else None,
        align=_CENTER if header else _LEFT,
        border=True,
    )


def _header_row(ws: Sheet, headers: Sequence[str], widths: Sequence[float], freeze: str = "A2") -> None:
    for i, width in enumerate(widths, start=1):
        ws.widths[i] = width
    ws.freeze = freeze
    ws.append([_styled(h, font=_FONT_BOLD, fill=_HEADER_FILL) for h in headers])


def _autofilter(ws: Sheet, columns: int, rows: int) -> None:
    ws.autofilter = ref(1, 1, max(rows, 1), columns)


def _comparison_sheet(ws: Sheet, result: MergeResult) -> None:
    """An area's bodies side by side: the figures a 主管部门 compares, sortable, with each body's findings."""
    from .form.indicators import INDICATORS

    counts = body_finding_counts(result.findings)
    headers = ("单位", *(f"{i.label}（{i.unit}）" for i in INDICATORS), "错误", "警告")
    _header_row(ws, headers, (28, *(12 for _ in INDICATORS), 8, 8), freeze="B2")
    for body, data in result.bodies.items():
        figures = [i.value(data.values) for i in INDICATORS]
        row = [
            body,
            *(_percent(v) if i.share else _excel_number(v) for i, v in zip(INDICATORS, figures, strict=True)),
            counts.get((body, "error"), 0),
            counts.get((body, "warning"), 0),
        ]
        ws.append([_styled(v, font=_FONT, align=_LEFT if k == 0 else _CENTER) for k, v in enumerate(row)])
    _autofilter(ws, len(headers), len(result.bodies) + 1)


def _percent(share: Any) -> Any:
    """A share as a percentage with one decimal ("" when its total is 0)."""
    return "" if share is None else round(float(share) * 100, 1)


def body_finding_counts(findings: Sequence[Finding]) -> dict[tuple[str, str], int]:
    """(body, severity) → how many findings name the body (a department is named "body / department")."""
    counts: dict[tuple[str, str], int] = {}
    for f in findings:
        body = f.department.split(" / ")[0]
        if body:
            counts[(body, f.severity)] = counts.get((body, f.severity), 0) + 1
    return counts


def _breakdown_sheet(ws: Sheet, result: MergeResult) -> None:
    """Every number by department: one row per field, one column per merged department.

    The header is styled; the data rows (200,000 cells for 1,000 departments) are written as XML directly.
    """
    departments = result.departments
    headers = ("键", "所属", "行", "列", "模板位置", "汇总", *departments)
    _header_row(ws, headers, (34, 10, 40, 24, 26, 10), freeze="G2")
    _autofilter(ws, len(headers), 1 + len(FORM.numeric_fields))
    for r, cells in enumerate(_breakdown_rows_xml(result), start=2):
        ws.append_xml(r, cells)


def _breakdown_rows_xml(result: MergeResult) -> list[bytes]:
    """The cells of the data rows of 分部门明细: labels as inline strings, numbers as openpyxl would write them."""
    departments = result.departments
    matrix = _by_field(result)
    # One template of a row's department cells, "#" standing for the row number: a row is then two C calls.
    template = "".join(f'<c r="{column_letter(c)}#"><v>%s</v></c>' for c in range(7, 7 + len(departments)))
    as_bytes = template.encode("ascii")
    cells = []
    for r, (f, numbers) in enumerate(zip(FORM.numeric_fields, matrix, strict=True), start=2):
        labels = (f.key, f.part, " / ".join(f.row), " / ".join(f.column), layout.location(f.key).ref())
        line = [inline_string(f"{column_letter(i)}{r}", text) for i, text in enumerate(labels, start=1)]
        line.append(f'<c r="F{r}"><v>{number_text(_excel_number(result.values.get(f.key, 0)))}</v></c>')
        row = as_bytes.replace(b"#", str(r).encode("ascii"))
        cells.append("".join(line).encode("utf-8") + row % tuple(_number_texts(numbers)))
    return cells


def _by_field(result: MergeResult) -> list[list[Any]]:
    """The merged departments' numbers, one list per numeric field of the form (0 where a department has none)."""
    if result.bodies:  # an area's: a column per body, its own figures (a body merged here has a row per department)
        return [[_body_value(result, body, f.key) for body in result.departments] for f in FORM.numeric_fields]
    rows = result.rows
    keys = [f.key for f in FORM.numeric_fields]
    if (
        rows.width == len(keys)
        and rows.key[: rows.width] == keys
        and rows.department[:: rows.width] == result.departments
    ):
        # A body's merge: one run of the form's fields per department, in the departments' order: transposed in C.
        runs = (rows.value[start : start + rows.width] for start in range(0, len(rows), rows.width))
        return [list(numbers) for numbers in zip(*runs, strict=True)] if result.departments else [[] for _ in keys]
    width = len(result.departments)
    position = {d: i for i, d in enumerate(result.departments)}
    field_row = {f.key: j for j, f in enumerate(FORM.numeric_fields)}
    matrix = [[0] * width for _ in FORM.numeric_fields]
    for department, key, value in zip(rows.department, rows.key, rows.value, strict=True):
        j, i = field_row.get(key), position.get(department)
        if j is not None and i is not None:
            matrix[j][i] = value
    return matrix


def _body_value(result: MergeResult, body: str, key: str) -> Any:
    data = result.bodies.get(body)
    return data.values.get(key, 0) if data is not None else 0


def _number_texts(numbers: list[Any]) -> list[Any]:
    """Numbers for a bytes `%s`: as openpyxl formats them, each distinct value formatted once."""
    texts = {v: number_text(_excel_number(v)).encode("ascii") for v in set(numbers)}
    return list(map(texts.__getitem__, numbers))


def _findings_sheet(ws: Sheet, findings: Sequence[Finding]) -> None:
    _header_row(ws, FINDING_HEADERS, (6, 16, 28, 16, 8, 24, 14, 30, 90, 14, 14))
    ws.landscape = True  # not fitted to the page: the messages would print too small to read
    for f in sorted(findings, key=finding_order):
        rule = f.extra.get("rule", f.code) if f.extra else f.code
        severity = SEVERITY_LABELS.get(f.severity, f.severity)
        ws.append(
            [
                _styled(severity, font=_ERROR_FONT) if f.is_error else severity,
                f.department,
                f.file,
                f.sheet,
                f.cell,
                f.address,
                f.code,
                CODES.get(rule, ""),
                f.message,
                _cell_text(f.value),
                _cell_text(f.expected),
            ]
        )
    _autofilter(ws, len(FINDING_HEADERS), 1 + len(findings))


def _cell_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)):
        return _excel_number(value)
    return str(value)


REPORT_LABELS = {"final": "已生成正式报告", "draft": "已生成草稿报告（每页标“草稿”）"}


def returns_summary(result: MergeResult) -> str:
    """The line above 回收情况: how many departments are in, who was knowingly left out, which report."""
    statuses = list(result.department_status.values())
    parts = [f"已汇总 {len(result.departments)} 个部门"]
    if result.not_returned:
        parts.append(f"未报送 {len(result.not_returned)} 个（{'、'.join(result.not_returned)}）")
    if result.allowed_missing:
        parts.append(
            f"经同意不报送 {len(result.allowed_missing)} 个（{'、'.join(result.allowed_missing)}），"
            "报告不含这些部门的数字"
        )
    if result.roster is not None:
        parts.insert(0, f"部门名单共 {sum(1 for s in statuses if s != 'not_on_roster')} 个部门")
    report = REPORT_LABELS.get(result.report or "", "未生成报告")
    return "；".join(parts) + f"。{report}。"


def _returns_sheet(ws: Sheet, result: MergeResult) -> None:
    """Who returned what: a summary line, then one row per file, then the roster departments with no file."""
    from .merge import DEPARTMENT_STATUS, FILE_STATUS

    headers = ("部门", "部门状态", "文件", "文件状态", "填报日期", "修改时间", "大小(字节)", "SHA-256")
    for i, width in enumerate((20, 14, 36, 14, 12, 20, 12, 66), start=1):
        ws.widths[i] = width
    ws.freeze = "A3"
    ws.append([_styled(returns_summary(result), font=_FONT_BOLD)])
    ws.append([_styled(h, font=_FONT_BOLD, fill=_HEADER_FILL) for h in headers])
    for s in sorted(result.sources, key=lambda s: (s.department == "", s.department, s.file)):
        department_status = DEPARTMENT_STATUS.get(result.department_status.get(s.department, ""), "无法识别部门")
        ws.append(
            [
                s.department or "（无法识别）",
                department_status,
                s.file,
                FILE_STATUS[s.status],
                s.date,
                s.to_dict()["modified"],
                s.size,
                s.sha256,
            ]
        )
    for department, status in result.department_status.items():
        if status in ("not_returned", "allowed_missing"):
            ws.append([department, DEPARTMENT_STATUS[status], "", "", "", "", "", ""])
    for name in result.ignored:
        ws.append(["", "", name, "不是工作簿，已忽略", "", "", "", ""])
    ws.autofilter = ref(2, 1, ws.row_count, len(headers))


# -- 图解 ------------------------------------------------------------------------------------------------
SHEET_CHARTS = "图解"
_CHART_DPI = 100  # pictures shown at about their printed size in Excel (the PNG is 7.2 inches wide)
_ROW_PIXELS = 20  # the default row height, in pixels


def add_charts_sheet(path: Path, charts: Sequence[Chart]) -> None:
    """The charts as pictures on their own sheet of 汇总.xlsx, each with its summary and its data beside it.

    Written after the merge outputs (only when charts are asked for), so a merge without them never pays
    for drawing; the workbook is rewritten atomically.
    """
    from openpyxl import load_workbook
    from openpyxl.drawing.image import Image

    from .workbook.styles import BORDER, FONT, FONT_BOLD, FONT_TITLE

    if not charts:
        return
    wb = load_workbook(path)
    if SHEET_CHARTS in wb.sheetnames:
        del wb[SHEET_CHARTS]
    ws = wb.create_sheet(SHEET_CHARTS)
    ws.column_dimensions["M"].width = 30
    row = 1
    for chart in charts:
        ws.cell(row, 1, chart.title).font = FONT_TITLE
        ws.cell(row + 1, 1, chart.summary).font = FONT
        picture = Image(io.BytesIO(chart_png(chart)))  # the Word report's drawing, shown at screen size
        picture.width, picture.height = (round(n * _CHART_DPI / PNG_DPI) for n in (picture.width, picture.height))
        ws.add_image(picture, f"A{row + 2}")
        for i, line in enumerate(chart.rows()):
            for j, value in enumerate(line):
                cell = ws.cell(row + 2 + i, 13 + j, value)
                cell.font = FONT_BOLD if i == 0 or j == 0 else FONT
                cell.border = BORDER
        row += 4 + max(int(picture.height) // _ROW_PIXELS, len(chart.rows()))
    with atomic_path(path) as tmp:
        wb.save(tmp)
