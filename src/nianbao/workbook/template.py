"""Generate the Excel template from `FORM` and `layout`, and personalized or pre-filled copies.

Every label, cell address, total and check comes from the form declaration: this module only decides
how things look. Sheets are protected against accidents, not against a determined user (the sheet
password is the legacy 16-bit hash), so returned files are always checked again by the reader.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.properties import CalcProperties
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

if TYPE_CHECKING:
    from openpyxl.cell import _CellSetValue

from ..fileio import atomic_path
from ..form import FORM, RULE_TITLES, Field, FieldType, Rule, Severity, Table, entry, layout, official
from ..form.layout import Location, location, range_refs, text_item_label
from . import checks as live
from .checks import (
    CHECK_BAD,
    CHECK_OK,
    CHECK_WARN,
    STATUS_LABEL,
    CheckCell,
    check_formula,
    rule_keys,
    rules_by_table,
    sum_formula,
)
from .instructions import instruction_lines
from .styles import (
    BAD_FILL,
    BAD_FONT,
    CENTER,
    DERIVED_FILL,
    FONT,
    FONT_BOLD,
    FONT_HEADING,
    FONT_SMALL,
    FONT_TITLE,
    HEADER_FILL,
    INPUT_FILL,
    LEFT,
    OK_FILL,
    OK_FONT,
    TOP_LEFT,
    WARN_FILL,
    WARN_FONT,
    box,
    landscape_a4,
    merge,
    page_footer,
)

__all__ = [
    "SHEET_PASSWORD",
    "TEXT_MAX_LENGTH",
    "Identity",
    "build_template",
    "check_cells",
    "save_template",
    "write_filled",
]

# Guards against accidental edits only; documented for coordinators in the README.
SHEET_PASSWORD = "nianbao"
TEXT_MAX_LENGTH = 8000  # characters per narrative cell: generous, but stops a pasted document
META_MAX_LENGTH = 50

COVER_LABEL_CHARS = 10  # Chinese characters that fit on one line of the cover's label column
INSTRUCTIONS_WIDTH = 78  # Excel character units: one column that fits a portrait A4 page

STATUS_ALL_OK = "全部校验通过"
STATUS_WARNINGS = "校验通过"  # followed by how many warnings: "校验通过，有2项提示"
BLANK_LABEL = "未填写的数字单元格"
CHECK_AREA_TITLE = f"实时校验（“{CHECK_OK}”为通过，“{CHECK_BAD}”为未通过，请核对相关数字）"
ROW_CHECK_HEADER = "行校验"


@dataclass(frozen=True)
class Identity:
    """Who a copy of the template is for; empty values give the generic template."""

    body: str = ""
    year: int | None = None
    department: str = ""

    def values(self) -> dict[str, str | int]:
        """Cover-sheet values by meta key (the three locked identity fields)."""
        body, year, department = (f.key for f in FORM.meta[:3])
        return {body: self.body, year: self.year if self.year is not None else "", department: self.department}


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------
def _number_validation(field: Field) -> DataValidation:
    is_int = field.type is FieldType.INT
    kind = "不小于0的整数" if is_int else "不小于0的数（可以有小数）"
    dv = DataValidation(
        type="whole" if is_int else "decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        errorStyle="stop",
        errorTitle="输入有误",
        error=f"这里只能填{kind}，单位为“{field.unit}”，不要带单位或文字；没有请填0。",
        promptTitle="填报提示",
        prompt=_prompt(field, f"填{kind}，单位：{field.unit}。{_bound_hint(field)}"),
    )
    return dv


def _bound_hint(field: Field) -> str:
    bound = entry.plausible_max(field)
    return f"超过{bound}时会提示核对。" if bound is not None else ""


def _choice_validation(field: Field) -> DataValidation:
    choices = "、".join(f"“{c}”" for c in field.choices)
    return DataValidation(
        type="list",
        formula1='"' + ",".join(field.choices) + '"',
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        errorStyle="stop",
        errorTitle="输入有误",
        error=f"请从下拉列表中选择{choices}。",
        promptTitle="填报提示",
        prompt=_prompt(field, ""),
    )


def _text_validation(field: Field, limit: int) -> DataValidation:
    return DataValidation(
        type="textLength",
        operator="lessThanOrEqual",
        formula1=str(limit),
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=bool(field.help),
        errorStyle="stop",
        errorTitle="内容过长",
        error=f"每格最多{limit}个字，请精简或分段填写。",
        promptTitle="填报提示",
        prompt=_prompt(field, ""),
    )


def _prompt(field: Field, tail: str) -> str:
    # Excel refuses prompts over 255 characters.
    return " ".join(p for p in (field.help, tail) if p)[:255]


class _Validations:
    """One DataValidation per distinct rule text, so the file holds a few dozen, not hundreds."""

    def __init__(self) -> None:
        self._by_text: dict[tuple[str, ...], tuple[Worksheet, DataValidation]] = {}

    def add(self, ws: Worksheet, field: Field, cell: str) -> None:
        if field.numeric:
            dv = _number_validation(field)
        elif field.choices:
            dv = _choice_validation(field)
        else:
            dv = _text_validation(field, TEXT_MAX_LENGTH if field.key.startswith("text.") else META_MAX_LENGTH)
        sig = (ws.title, dv.type or "", dv.formula1 or "", dv.error or "", dv.prompt or "")
        if sig not in self._by_text:
            ws.add_data_validation(dv)
            self._by_text[sig] = (ws, dv)
        self._by_text[sig][1].add(cell)


# ---------------------------------------------------------------------------------------------
# Cell helpers
# ---------------------------------------------------------------------------------------------
def _put(
    ws: Worksheet,
    row: int,
    col: int,
    value: _CellSetValue,
    *,
    font: Font = FONT,
    align: Alignment = CENTER,
    fill: PatternFill | None = None,
    border: bool = True,
    span: tuple[int, int] = (1, 1),
) -> None:
    """Write a (possibly merged) cell with its style; borders go on every covered cell."""
    cell = ws.cell(row=row, column=col, value=value)
    cell.font = font
    cell.alignment = align
    if fill is not None:
        cell.fill = fill
    end_row, end_col = row + span[0] - 1, col + span[1] - 1
    merge(ws, row, col, end_row, end_col)
    if border:
        box(ws, row, col, end_row, end_col)


def _style_input(ws: Worksheet, loc: Location, field: Field) -> None:
    cell = ws[loc.cell]
    cell.protection = Protection(locked=False)
    cell.fill = INPUT_FILL
    if field.type is FieldType.INT:
        cell.number_format = "0"
    elif field.type is FieldType.DECIMAL:
        cell.number_format = "General"
    else:
        cell.number_format = "@"  # keep phone numbers and dates as typed


def _protect(ws: Worksheet) -> None:
    ws.protection.sheet = True
    ws.protection.password = SHEET_PASSWORD
    # Let clerks resize rows and columns (long texts) but nothing else.
    ws.protection.formatRows = False
    ws.protection.formatColumns = False


def _identity_line() -> str:
    """A live formula on each table sheet showing who the copy is for, read from the cover."""
    parts = []
    for f in FORM.meta[:3]:
        parts.append(f'"{f.row[0]}："&{location(f.key).ref(absolute=True)}')
    return "=" + '&"　　"&'.join(parts)


# ---------------------------------------------------------------------------------------------
# Sheets
# ---------------------------------------------------------------------------------------------
def _instructions_sheet(ws: Worksheet) -> None:
    ws.column_dimensions["A"].width = INSTRUCTIONS_WIDTH
    fonts = {"title": FONT_TITLE, "heading": FONT_HEADING, "subheading": FONT_BOLD, "line": FONT}
    for row, (kind, text) in enumerate(instruction_lines(), start=1):
        cell = ws.cell(row=row, column=1, value=text)
        cell.font = fonts[kind]
        cell.alignment = LEFT if kind != "title" else CENTER
        if kind == "title":
            ws.row_dimensions[row].height = 30
        elif kind == "line":
            # Wrapped rows do not grow by themselves in every program; estimate the lines needed.
            ws.row_dimensions[row].height = 16 * (1 + len(text) // (INSTRUCTIONS_WIDTH // 2 - 2))
    ws.page_setup.paperSize = ws.PAPERSIZE_A4  # portrait; the column fits the page at 100 %
    page_footer(ws)


def _cover_sheet(ws: Worksheet, validations: _Validations, checks: list[CheckCell]) -> None:
    width = 2
    _put(
        ws,
        1,
        1,
        f"政府信息公开工作年度报告填报表（{official.FORMAT_NAME}）",
        font=FONT_TITLE,
        border=False,
        span=(1, width),
    )
    _put(
        ws,
        2,
        1,
        "灰色为汇总单位预先填写的内容，不能修改；请填写浅黄色单元格。",
        font=FONT_SMALL,
        align=LEFT,
        border=False,
        span=(1, width),
    )
    ws.row_dimensions[1].height = 32
    for key, label, row in layout.cover_rows():
        _put(ws, row, 1, label, font=FONT_BOLD, fill=HEADER_FILL)
        if key == "version":
            _put(ws, row, 2, FORM.template_version, align=LEFT, fill=DERIVED_FILL)
            continue
        field = FORM.by_key[key]
        _put(ws, row, 2, None, align=LEFT, fill=DERIVED_FILL)
        if field.input:
            loc = location(key)
            _style_input(ws, loc, field)
            validations.add(ws, field, loc.cell)
    status_row = int(status_cell()[1:])
    _status_row(ws, status_row, STATUS_LABEL, checks, overall=True)
    _put(ws, status_row + 1, 1, BLANK_LABEL, font=FONT_BOLD, fill=HEADER_FILL)
    _put(ws, status_row + 1, 2, _blank_count_formula(), align=LEFT)
    row = status_row + 2
    for sheet in dict.fromkeys(c.sheet for c in checks):  # one line per table, linking to its checks
        sheet_checks = [c for c in checks if c.sheet == sheet]
        _status_row(ws, row, sheet, sheet_checks)
        first = min(sheet_checks, key=lambda c: (c.row, c.col))
        ws.cell(row=row, column=2).hyperlink = Hyperlink(
            ref=f"B{row}", location=f"{layout.quote_sheet(sheet)}!{first.cell}"
        )
        row += 1
    for label, formula in cover_checks():
        _put(ws, row, 1, label, font=FONT_BOLD, fill=HEADER_FILL)
        _put(ws, row, 2, formula, font=FONT_BOLD, align=LEFT)
        _traffic_light(ws, f"B{row}", CHECK_OK)
        row += 1
    _put(
        ws,
        row,
        1,
        "没有发生的事项请填0；点击上面各表的校验结果可跳到该表的“实时校验”，查看具体哪一项未通过。",
        font=FONT_SMALL,
        align=LEFT,
        border=False,
        span=(1, width),
    )
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 60
    for r in range(layout.COVER_FIRST_ROW, row):
        ws.row_dimensions[r].height = 24
    # Two lines for a label longer than column A, and for the whole-workbook checks' messages.
    for _key, label, r in layout.cover_rows():
        if len(label) > COVER_LABEL_CHARS:
            ws.row_dimensions[r].height = 36
    for cell in cover_check_cells():
        ws.row_dimensions[int(cell[1:])].height = 36
    landscape_a4(ws)


def _status_row(ws: Worksheet, row: int, label: str, checks: list[CheckCell], overall: bool = False) -> None:
    """A live "all passed / N failed" line over the given checks: green, amber (warnings only) or red."""
    _put(ws, row, 1, label, font=FONT_BOLD, fill=HEADER_FILL)
    _put(ws, row, 2, _status_formula(checks, cover_check_cells() if overall else ()), font=FONT_BOLD, align=LEFT)
    _traffic_light(ws, f"B{row}", STATUS_ALL_OK)


def _traffic_light(ws: Worksheet, cell: str, ok: str) -> None:
    """Green when the cell shows `ok`, amber when it starts with a warning word, red otherwise."""
    warn = f'OR(LEFT({cell},{len(CHECK_WARN)})="{CHECK_WARN}",LEFT({cell},{len(STATUS_WARNINGS)})="{STATUS_WARNINGS}")'
    ws.conditional_formatting.add(cell, CellIsRule(operator="equal", formula=[f'"{ok}"'], fill=OK_FILL, font=OK_FONT))
    ws.conditional_formatting.add(cell, FormulaRule(formula=[warn], fill=WARN_FILL, font=WARN_FONT))
    ws.conditional_formatting.add(
        cell, FormulaRule(formula=[f'AND({cell}<>"{ok}",NOT({warn}))'], fill=BAD_FILL, font=BAD_FONT)
    )


def status_cell() -> str:
    """The cover cell holding the overall live status."""
    return f"B{layout.cover_rows()[-1][2] + 2}"


def blank_count_cell() -> str:
    return f"B{layout.cover_rows()[-1][2] + 3}"


def cover_check_cells() -> tuple[str, ...]:
    """The cover cells of `cover_checks`, below the status, the blank count and one line per table."""
    first = layout.cover_rows()[-1][2] + 4 + len(FORM.tables)
    return tuple(f"B{first + i}" for i in range(len(cover_checks())))


def _status_formula(checks: list[CheckCell], cover: tuple[str, ...] = ()) -> str:
    by_sheet: dict[str, list[Location]] = {}
    for c in checks:
        by_sheet.setdefault(c.sheet, []).append(Location(c.sheet, c.row, c.col))
    counts = "+".join(
        f'COUNTIF({ref},"{CHECK_BAD}")' for sheet, locs in by_sheet.items() for ref in range_refs(locs, sheet)
    )
    if not cover:
        return f'=IF(({counts})=0,"{STATUS_ALL_OK}","有"&({counts})&"项校验未通过")'
    errors = "+".join([counts, *(f'(LEFT({c},{len(CHECK_BAD)})="{CHECK_BAD}")' for c in cover)])
    warnings = "+".join(f'(LEFT({c},{len(CHECK_WARN)})="{CHECK_WARN}")' for c in cover)
    return (
        f'=IF(({errors})>0,"有"&({errors})&"项校验未通过",'
        f'IF(({warnings})>0,"{STATUS_WARNINGS}，有"&({warnings})&"项{CHECK_WARN}","{STATUS_ALL_OK}"))'
    )


def _cover_value(status: str, what: str) -> str:
    return f'"{status}：{what}"'


def _cover_if(cases: list[tuple[str, str]]) -> str:
    """=IF(c1,v1,IF(c2,v2,…,"正确")): the first failing condition names the problem."""
    formula = f'"{CHECK_OK}"'
    for condition, value in reversed(cases):
        formula = f"IF({condition},{value},{formula})"
    return "=" + formula


def _contact_check() -> tuple[str, str]:
    """填报人 / 联系电话 / 填报日期 empty, with the severity each declares (the reader's V-COVER)."""
    fields = [f for f in FORM.meta if f.input and f.when_empty]
    cases = []
    for severity, status in ((Severity.ERROR, CHECK_BAD), (Severity.WARNING, CHECK_WARN)):
        group = [f for f in fields if f.when_empty == severity]
        if group:
            condition = "OR(" + ",".join(live.empty(f.key) for f in group) + ")"
            cases.append((condition, _cover_value(status, f"请填写{'、'.join(f.row[0] for f in group)}")))
    return "、".join(f.row[0] for f in fields), _cover_if(cases)


def _numbers_check() -> tuple[str, str]:
    """Nothing filled without the confirmation, a false confirmation, or blank sections (V-UNFILLED, V-CONFIRM, V-BLANK)."""
    confirm = FORM.confirm_field
    where = f"{confirm.row[0]}（{location(confirm.key).cell}）"
    blank = live.blank_sections()
    cases = [
        (
            live.unfilled(),
            _cover_value(
                CHECK_BAD, f"各表都没有填写数字；请逐项填写（没有发生的填0），或在“{where}”选“{confirm.choices[0]}”"
            ),
        ),
        (live.contradicted(), _cover_value(CHECK_BAD, f"“{where}”选了“{confirm.choices[0]}”，但表中有不为0的数字")),
        (f"({blank})>0", f'"{CHECK_WARN}："&({blank})&"个部分有未填写的单元格，按0计算；没有发生的请填0"'),
    ]
    return "数字填写", _cover_if(cases)


def _values_check() -> tuple[str, str]:
    """Numbers above their plausible bound, or written as text (V-IMPLAUSIBLE, V-NORMALIZED)."""
    too_big = live.implausible()
    as_text = live.normalized_text_count(live.input_refs())
    cases = [
        (f"({too_big})>0", f'"{CHECK_WARN}："&({too_big})&"个数字大得不合理，请核对是否多打了数字或填错了单位"'),
    ]
    if entry.ENTRY_KINDS["normalized"].severity == Severity.WARNING:
        cases.append(
            (
                f"({as_text})>0",
                f'"{CHECK_WARN}："&({as_text})&"个数字写成了文字（全角数字、带单位等），请改为阿拉伯数字"',
            )
        )
    return "数字范围与写法", _cover_if(cases)


def cover_checks() -> list[tuple[str, str]]:
    """(label, formula) of the cover's checks on the whole workbook, each the twin of a reader finding."""
    return [_contact_check(), _numbers_check(), _values_check()]


def _blank_count_formula() -> str:
    by_sheet: dict[str, list[Location]] = {}
    for key in FORM.input_numeric_keys:
        loc = location(key)
        by_sheet.setdefault(loc.sheet, []).append(loc)
    parts = [f"COUNTBLANK({ref})" for sheet, locs in by_sheet.items() for ref in range_refs(locs, sheet)]
    return "=" + "+".join(parts)


def _table_sheet(ws: Worksheet, table: Table, validations: _Validations) -> list[CheckCell]:
    top, left = layout.TABLE_ORIGIN_ROW, layout.TABLE_ORIGIN_COL
    right = left + table.n_cols - 1
    _put(ws, 1, left, f"{table.section}（{table.name}）", font=FONT_TITLE, border=False, span=(1, table.n_cols))
    _put(ws, 2, left, _identity_line(), font=FONT_SMALL, align=LEFT, border=False, span=(1, table.n_cols))
    _put(ws, 3, left, _unit_note(table), font=FONT_SMALL, align=LEFT, border=False, span=(1, table.n_cols))
    ws.row_dimensions[1].height = 30
    derivation = {r.derives: r for r in FORM.derivations}
    for cell in table.grid:
        loc = layout.grid_location(table, cell)
        span = (cell.rowspan, cell.colspan)
        if cell.kind == "value":
            field = FORM.by_key[cell.key or ""]
            if field.input:
                _put(ws, loc.row, loc.col, None, span=span)
                _style_input(ws, loc, field)
                validations.add(ws, field, loc.cell)
            else:
                _put(ws, loc.row, loc.col, sum_formula(derivation[field.key].rhs), fill=DERIVED_FILL, span=span)
                ws[loc.cell].number_format = "0"
        elif cell.kind == "note":
            _put(ws, loc.row, loc.col, cell.text, font=FONT_SMALL, align=LEFT, span=span)
        else:
            _put(
                ws,
                loc.row,
                loc.col,
                cell.text,
                font=FONT_BOLD if cell.kind == "header" else FONT,
                align=CENTER if cell.kind == "header" else LEFT,
                fill=HEADER_FILL if cell.kind == "header" else None,
                span=span,
            )
    checks = _place_checks(ws, table)
    _mark_implausible(ws, [f for f in table.fields if f.input])
    _size_table(ws, table, right)
    first_value_col = min(layout.grid_location(table, c).col for c in table.value_cells())
    header_blocks = len({c.row for c in table.grid if c.kind == "header" and c.row >= table.header_rows()})
    if header_blocks:  # 表二 repeats its headers per block: keep only the title in view
        ws.freeze_panes = ws.cell(row=top, column=left).coordinate
    else:
        ws.freeze_panes = ws.cell(row=top + table.header_rows(), column=first_value_col).coordinate
        ws.print_title_rows = f"{top}:{top + table.header_rows() - 1}"
    landscape_a4(ws)
    return checks


def _mark_implausible(ws: Worksheet, fields: list[Field]) -> None:
    """Amber input cells above their plausible bound: the twin of the reader's V-IMPLAUSIBLE warning."""
    for unit, bound in entry.PLAUSIBLE_MAX.items():
        locs = [location(f.key) for f in fields if f.unit == unit]
        if locs:
            ref = " ".join(range_refs(locs))
            ws.conditional_formatting.add(
                ref, CellIsRule(operator="greaterThan", formula=[str(bound)], fill=WARN_FILL, font=WARN_FONT)
            )


def _unit_note(table: Table) -> str:
    units: dict[str, list[str]] = {}
    for f in table.fields:
        units.setdefault(f.unit, []).append(f.row[-1] if f.row else f.column[-1])
    main = max(units, key=lambda u: len(units[u]))
    extra = "；".join(f"{'、'.join(dict.fromkeys(labels))}：{unit}" for unit, labels in units.items() if unit != main)
    note = f"单位：{main}" + (f"（{extra}）" if extra else "")
    return note + "。浅黄色格填写，灰色格自动计算。"


def _size_table(ws: Worksheet, table: Table, right: int) -> None:
    """Column widths: label columns by their longest single-column label, value columns uniform."""
    value_cols = {layout.grid_location(table, c).col for c in table.value_cells()}
    for col in range(layout.TABLE_ORIGIN_COL, right + 2):
        letter = get_column_letter(col)
        if col in value_cols or col > right:
            ws.column_dimensions[letter].width = 11 if table.key != "t2" else 16
            continue
        texts = [
            c.text
            for c in table.grid
            if c.kind == "label" and c.colspan == 1 and layout.grid_location(table, c).col == col
        ]
        longest = max((len(t) for t in texts), default=4)
        ws.column_dimensions[letter].width = (
            max(6, min(44, longest * 2 + 2)) if len(texts) > 1 or table.key == "t2" else 6
        )
    for cell in table.grid:
        loc = layout.grid_location(table, cell)
        if cell.kind == "label" and cell.rowspan == 1:
            ws.row_dimensions[loc.row].height = 30 if len(cell.text) > 22 else 20
    for cell in table.grid:
        if cell.kind == "header":
            ws.row_dimensions[layout.grid_location(table, cell).row].height = 26


def _place_checks(ws: Worksheet, table: Table) -> list[CheckCell]:
    """Write one live check per rule of this table, below the table (or to its right for row rules)."""
    rules = rules_by_table().get(table.key, [])
    left = layout.TABLE_ORIGIN_COL
    right = left + table.n_cols - 1
    first_value_col = min(layout.grid_location(table, c).col for c in table.value_cells())
    # A check's title sits beside its results when the table has room for it (表三's three label
    # columns); otherwise on its own line above them.
    has_label_cols = first_value_col - left >= 2
    row = layout.table_bottom_row(table) + 2
    _put(ws, row, left, CHECK_AREA_TITLE, font=FONT_BOLD, align=LEFT, border=False, span=(1, table.n_cols))
    row += 1
    codes = sorted(dict.fromkeys(r.code for r in rules))
    out: list[CheckCell] = []
    for code in codes:
        group = [r for r in rules if r.code == code]
        anchors = [location(rule_keys(r)[0]) for r in group]
        by_row = len(group) > 1 and len({a.col for a in anchors}) == 1
        title = f"{code} {RULE_TITLES[code]}" + ("（结果见表格右侧一列）" if by_row else "")
        if has_label_cols:
            _put(ws, row, left, title, font=FONT, align=LEFT, span=(1, first_value_col - left))
        else:
            _put(ws, row, left, title, font=FONT, align=LEFT, span=(1, table.n_cols))
            row += 1
            if first_value_col > left:
                _put(ws, row, left, STATUS_LABEL, font=FONT, span=(1, first_value_col - left))
        ws.row_dimensions[row].height = 36 if has_label_cols else 20
        if by_row:
            out += _row_checks(ws, table, group, anchors, right + 1)
            if has_label_cols:
                _put(ws, row, first_value_col, None, span=(1, right - first_value_col + 1))
        else:
            out += _column_checks(ws, group, anchors, row, first_value_col, right)
        row += 1
    for c in out:
        ws.conditional_formatting.add(
            c.cell, CellIsRule(operator="equal", formula=[f'"{CHECK_OK}"'], fill=OK_FILL, font=OK_FONT)
        )
        ws.conditional_formatting.add(
            c.cell, CellIsRule(operator="equal", formula=[f'"{CHECK_BAD}"'], fill=BAD_FILL, font=BAD_FONT)
        )
    return out


def _column_checks(
    ws: Worksheet, group: list[Rule], anchors: list[Location], row: int, first_value_col: int, right: int
) -> list[CheckCell]:
    """Checks side by side in one row, each spanning from after the previous check to its anchor column.

    A single rule (a whole-table cell rule) spans all value columns.
    """
    if len(group) == 1:
        _put(ws, row, first_value_col, check_formula(group[0]), font=FONT_BOLD, span=(1, right - first_value_col + 1))
        return [CheckCell(group[0], ws.title, row, first_value_col)]
    out = []
    start = first_value_col
    for anchor, rule in sorted(zip(anchors, group, strict=True), key=lambda p: p[0].col):
        _put(ws, row, start, check_formula(rule), font=FONT_BOLD, span=(1, anchor.col - start + 1))
        out.append(CheckCell(rule, ws.title, row, start))
        start = anchor.col + 1
    return out


def _row_checks(ws: Worksheet, table: Table, group: list[Rule], anchors: list[Location], col: int) -> list[CheckCell]:
    top = layout.TABLE_ORIGIN_ROW
    _put(
        ws,
        top,
        col,
        f"{ROW_CHECK_HEADER}\n{group[0].code}",
        font=FONT_BOLD,
        fill=HEADER_FILL,
        span=(table.header_rows(), 1),
    )
    out = []
    for anchor, rule in zip(anchors, group, strict=True):
        _put(ws, anchor.row, col, check_formula(rule), font=FONT_BOLD)
        out.append(CheckCell(rule, ws.title, anchor.row, col))
    return out


def _texts_sheet(ws: Worksheet, validations: _Validations) -> None:
    _put(ws, 1, 1, "文字材料（年度报告的文字部分，每格一段）", font=FONT_TITLE, border=False, span=(1, 4))
    _put(ws, 2, 1, "所属部分", font=FONT_BOLD, fill=HEADER_FILL)
    _put(ws, 2, 2, "项目", font=FONT_BOLD, fill=HEADER_FILL)
    _put(ws, 2, 3, "填写内容", font=FONT_BOLD, fill=HEADER_FILL)
    _put(ws, 2, 4, "说明", font=FONT_BOLD, fill=HEADER_FILL)
    rows = layout.text_rows()
    start = 0
    for i in range(1, len(rows) + 1):  # merge the part label over its consecutive rows
        if i == len(rows) or rows[i][0].part != rows[start][0].part:
            _put(ws, rows[start][1], 1, rows[start][0].part, font=FONT_BOLD, span=(i - start, 1))
            start = i
    for field, row in rows:
        _put(ws, row, 2, text_item_label(field), align=LEFT)
        _put(ws, row, 3, None, align=CENTER if field.numeric else TOP_LEFT)
        _put(ws, row, 4, field.help or None, font=FONT_SMALL, align=LEFT)
        _style_input(ws, location(field.key), field)
        validations.add(ws, field, location(field.key).cell)
        if field.numeric:
            _mark_implausible(ws, [field])
        long_text = (
            field.type is FieldType.TEXT and field.key.startswith("text.") and not field.key.startswith("text.report.")
        )
        ws.row_dimensions[row].height = 120 if long_text else 32
    for letter, width in zip("ABCD", (16, 34, 84, 32), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "C3"
    landscape_a4(ws)


def _custom_properties(wb: Workbook, identity: Identity) -> None:
    values = {
        layout.PROP_VERSION: FORM.template_version,
        layout.PROP_BODY: identity.body,
        layout.PROP_YEAR: "" if identity.year is None else str(identity.year),
        layout.PROP_DEPARTMENT: identity.department,
    }
    for name, value in values.items():
        if value:  # a generic template carries only its version; an empty property reads back as None
            # custom_doc_props (openpyxl 3.1) is missing from types-openpyxl
            wb.custom_doc_props.append(StringProperty(name=name, value=value))  # type: ignore[attr-defined]


def _defined_names(wb: Workbook) -> None:
    for f in FORM.fields:
        name = layout.defined_name(f.key)
        wb.defined_names[name] = DefinedName(name, attr_text=location(f.key).ref(absolute=True))


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------
def build_template(identity: Identity | None = None) -> Workbook:
    """The whole template as an openpyxl workbook, personalized when `identity` is given."""
    wb = _fresh_template()
    _apply_identity(wb, identity or Identity())
    return wb


def _fresh_template() -> Workbook:
    wb = Workbook()
    default = wb.active
    assert default is not None  # a new workbook has one sheet
    wb.remove(default)
    sheets = {name: wb.create_sheet(name) for name in layout.SHEET_ORDER}
    validations = _Validations()
    _instructions_sheet(sheets[layout.SHEET_INSTRUCTIONS])
    checks: list[CheckCell] = []
    for table in FORM.tables:
        checks += _table_sheet(sheets[layout.TABLE_SHEETS[table.key]], table, validations)
    _cover_sheet(sheets[layout.SHEET_COVER], validations, checks)
    _texts_sheet(sheets[layout.SHEET_TEXTS], validations)
    for ws in sheets.values():
        ws.sheet_view.zoomScale = 100
        ws.sheet_view.showGridLines = False  # the tables draw their own borders, like the printed form
        _protect(ws)
    wb.active = wb.sheetnames.index(layout.SHEET_COVER)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == layout.SHEET_COVER
    _defined_names(wb)
    wb.properties.title = "政府信息公开工作年度报告填报表"
    wb.properties.creator = "nianbao"
    wb.calculation = CalcProperties(fullCalcOnLoad=True)
    wb.security = WorkbookProtection(workbookPassword=SHEET_PASSWORD, lockStructure=True)
    return wb


def _apply_identity(wb: Workbook, identity: Identity) -> None:
    """Who the copy is for: the locked cover cells and the custom document properties."""
    for key, value in identity.values().items():
        loc = location(key)
        wb[loc.sheet][loc.cell].value = value if value != "" else None
    _custom_properties(wb, identity)


def check_cells(wb: Workbook | None = None) -> list[CheckCell]:
    """Where every live check sits in the template (for tests and for readers of cached values)."""
    wb = wb or Workbook()
    out: list[CheckCell] = []
    for table in FORM.tables:
        name = layout.TABLE_SHEETS[table.key]
        ws = wb[name] if name in wb.sheetnames else wb.create_sheet(name)
        out += _place_checks(ws, table)
    return out


def _save(wb: Workbook, path: str | os.PathLike[str]) -> None:
    with atomic_path(path) as tmp:
        wb.save(tmp)


def save_template(path: str | os.PathLike[str], identity: Identity | None = None) -> None:
    """Write the template (personalized when `identity` is given) atomically to `path`."""
    _save(build_template(identity), path)


def write_filled(
    path: str | os.PathLike[str],
    identity: Identity,
    values: Mapping[str, int | float | Decimal],
    texts: Mapping[str, str] | None = None,
    meta: Mapping[str, str] | None = None,
) -> None:
    """A personalized template with input values typed into their cells, written atomically.

    Keys are those of `nianbao schema`. Values for derived (total) cells are ignored: those cells keep
    their formulas. Unknown keys, text keys in `values`, or the locked identity keys in `meta` raise
    ValueError, because a silently dropped value would make a wrong fixture.
    """
    wb = build_template(identity)
    for key, value in values.items():
        field = _known(key)
        if not field.numeric:
            raise ValueError(f"not a numeric field: {key}")
        if field.input:
            _set(wb, key, value)
    for key, text in (texts or {}).items():
        field = _known(key)
        if field.numeric or field in FORM.meta:
            raise ValueError(f"not a narrative text field: {key}")
        _set(wb, key, text)
    for key, text in (meta or {}).items():
        field = _known(key)
        if field not in FORM.meta or not field.input:
            raise ValueError(f"not an editable cover field (identity comes from `identity`): {key}")
        _set(wb, key, text)
    _save(wb, path)


def _known(key: str) -> Field:
    try:
        return FORM.by_key[key]
    except KeyError:
        raise ValueError(f"unknown field key: {key}") from None


def _set(wb: Workbook, key: str, value: object) -> None:
    loc = location(key)
    wb[loc.sheet][loc.cell].value = value
