"""The audit spreadsheet: one summary row per report and one row per finding, grouped by body."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .audit import AUDIT_CODES, AuditReport
from .fileio import atomic_path
from .form import SEVERITY_LABELS, Severity

SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}

SUMMARY_SHEET = "汇总"
FINDINGS_SHEET = "审核发现"
SUMMARY_COLUMNS = ("机关", "报告年度", "文件", "错误", "警告", "表格是否完整读取", "结论", "涉及规则")
FINDING_COLUMNS = (
    "机关",
    "报告年度",
    "文件",
    "严重程度",
    "规则",
    "规则说明",
    "位置",
    "行/列",
    "说明",
    "报告中的值",
    "应为",
)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_ERROR_FILL = PatternFill("solid", fgColor="FCE4E4")
_WARN_FILL = PatternFill("solid", fgColor="FFF2CC")


def sorted_reports(reports: Sequence[AuditReport]) -> list[AuditReport]:
    return sorted(reports, key=lambda r: (r.body or "\uffff", r.year or 0, r.file))


def verdict(report: AuditReport) -> str:
    if report.errors:
        return "有错误，需整改"
    if report.warnings:
        return "有警告，请核实"
    return "未发现问题"


def rule_list(report: AuditReport) -> str:
    """The rule ids a report breaks, errors first: what a coordinator scans the summary for."""
    ordered = sorted(report.findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.code))
    return "、".join(dict.fromkeys(f.code for f in ordered))


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, str)):
        return value
    return str(value)


def write_audit_workbook(reports: Sequence[AuditReport], out: Path) -> None:
    """One summary row per report and one row per finding, grouped by body; written atomically."""
    wb = Workbook()
    summary = wb.active
    assert isinstance(summary, Worksheet)  # a new workbook has one worksheet
    summary.title = SUMMARY_SHEET
    summary.append(SUMMARY_COLUMNS)
    findings = wb.create_sheet(FINDINGS_SHEET)
    findings.append(FINDING_COLUMNS)
    for report in sorted_reports(reports):
        summary.append(
            (
                report.body,
                report.year,
                report.file,
                report.errors,
                report.warnings,
                "是" if report.imported.complete else "否",
                verdict(report),
                rule_list(report),
            )
        )
        rows = sorted(report.findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.code))
        for f in rows:
            findings.append(
                (
                    report.body,
                    report.year,
                    report.file,
                    SEVERITY_LABELS.get(f.severity, f.severity),
                    f.code,
                    AUDIT_CODES.get(f.code, ""),
                    f.sheet,
                    f.cell,
                    f.message,
                    _cell(f.value),
                    _cell(f.expected),
                )
            )
            fill = (
                _ERROR_FILL if f.severity == Severity.ERROR else _WARN_FILL if f.severity == Severity.WARNING else None
            )
            if fill:
                findings.cell(findings.max_row, 4).fill = fill
    widths = {
        SUMMARY_SHEET: (24, 10, 30, 8, 8, 16, 16, 30),
        FINDINGS_SHEET: (24, 10, 26, 10, 9, 36, 22, 28, 70, 14, 14),
    }
    for ws in (summary, findings):
        for j, width in enumerate(widths[ws.title], start=1):
            ws.column_dimensions[get_column_letter(j)].width = width
            ws.cell(1, j).font = Font(bold=True)
            ws.cell(1, j).fill = _HEADER_FILL
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
    for row in findings.iter_rows(min_row=2, min_col=9, max_col=9):
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    with atomic_path(out) as tmp:
        wb.save(tmp)
