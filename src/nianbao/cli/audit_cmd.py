"""`nianbao audit`: audit published reports (one file or a folder) against the official format."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ..audit import AUDIT_CODES, AuditReport, audit_paths, collect_files
from ..crossyear import load_last_year
from ..errors import UsageError
from ..fileio import atomic_path
from ..form import Severity
from .common import EXIT_FINDINGS, console, handle_errors

SEVERITY_NAMES = {Severity.ERROR: "错误", Severity.WARNING: "警告", Severity.INFO: "提示"}
_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
DEFAULT_OUT = "审核结果.xlsx"

SUMMARY_SHEET = "汇总"
FINDINGS_SHEET = "审核发现"
SUMMARY_COLUMNS = ("机关", "报告年度", "文件", "错误", "警告", "表格是否完整读取", "结论", "涉及规则")
FINDING_COLUMNS = ("机关", "报告年度", "文件", "严重程度", "规则", "规则说明", "位置", "行/列", "说明", "报告中的值", "应为")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_ERROR_FILL = PatternFill("solid", fgColor="FCE4E4")
_WARN_FILL = PatternFill("solid", fgColor="FFF2CC")


def _sorted_reports(reports: Sequence[AuditReport]) -> list[AuditReport]:
    return sorted(reports, key=lambda r: (r.body or "\uffff", r.year or 0, r.file))


def _verdict(report: AuditReport) -> str:
    if report.errors:
        return "有错误，需整改"
    if report.warnings:
        return "有警告，请核实"
    return "未发现问题"


def _rule_list(report: AuditReport) -> str:
    """The rule ids a report breaks, errors first: what a coordinator scans the summary for."""
    ordered = sorted(report.findings, key=lambda f: (_SEVERITY_ORDER.get(f.severity, 9), f.code))
    return "、".join(dict.fromkeys(f.code for f in ordered))


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, str)):
        return value
    return str(value)


def write_audit_workbook(reports: Sequence[AuditReport], out: Path) -> None:
    """One summary row per report and one row per finding, grouped by body; written atomically."""
    wb = Workbook()
    summary = wb.active
    summary.title = SUMMARY_SHEET
    summary.append(SUMMARY_COLUMNS)
    findings = wb.create_sheet(FINDINGS_SHEET)
    findings.append(FINDING_COLUMNS)
    for report in _sorted_reports(reports):
        summary.append((report.body, report.year, report.file, report.errors, report.warnings,
                        "是" if report.imported.complete else "否", _verdict(report), _rule_list(report)))
        rows = sorted(report.findings, key=lambda f: (_SEVERITY_ORDER.get(f.severity, 9), f.code))
        for f in rows:
            findings.append((report.body, report.year, report.file, SEVERITY_NAMES.get(f.severity, f.severity), f.code,
                             AUDIT_CODES.get(f.code, ""), f.sheet, f.cell, f.message, _cell(f.value), _cell(f.expected)))
            fill = _ERROR_FILL if f.severity == Severity.ERROR else _WARN_FILL if f.severity == Severity.WARNING else None
            if fill:
                findings.cell(findings.max_row, 4).fill = fill
    widths = {SUMMARY_SHEET: (24, 10, 30, 8, 8, 16, 16, 30), FINDINGS_SHEET: (24, 10, 26, 10, 9, 36, 22, 28, 70, 14, 14)}
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


def _print_report(report: AuditReport) -> None:
    from rich.table import Table

    title = f"{report.body or report.file} {report.year or ''} — 错误 {report.errors}，警告 {report.warnings}"
    table = Table(title=title)
    for name in ("严重程度", "规则", "位置", "说明"):
        table.add_column(name, overflow="fold")
    for f in sorted(report.findings, key=lambda f: (_SEVERITY_ORDER.get(f.severity, 9), f.code)):
        style = "red" if f.severity == Severity.ERROR else "yellow" if f.severity == Severity.WARNING else ""
        where = " / ".join(x for x in (f.sheet, f.cell) if x)
        table.add_row(f"[{style}]{SEVERITY_NAMES.get(f.severity, f.severity)}[/]" if style else f.severity,
                      f.code, where, f.message)
    console.print(table)


def _print_summary(reports: Sequence[AuditReport]) -> None:
    from rich.table import Table

    table = Table(title=f"共审核 {len(reports)} 份报告")
    for name in SUMMARY_COLUMNS:
        table.add_column(name, overflow="fold")
    for r in _sorted_reports(reports):
        table.add_row(r.body, str(r.year or ""), r.file, str(r.errors), str(r.warnings),
                      "是" if r.imported.complete else "否", _verdict(r), _rule_list(r))
    console.print(table)


@click.command("audit")
@click.argument("target", type=click.Path(path_type=Path))
@click.option("--last-year", "last_year", type=click.Path(path_type=Path),
              help="上年的 merged.json 或上年发布的报告（.docx/.html/.pdf/.txt），用于跨年度核对。")
@click.option("--out", "out", type=click.Path(path_type=Path),
              help=f"把审核结果写入 Excel（默认：审核文件夹时写入当前目录的 {DEFAULT_OUT}）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出全部审核发现。")
@handle_errors
def audit(target: Path, last_year: Path | None, out: Path | None, as_json: bool) -> None:
    """审核已发布的政府信息公开工作年度报告（一个文件，或一个文件夹中的全部报告）。

    按国办公开办函〔2021〕30号核对：六个部分的标题、表格标签、2021年格式、表二至表四的勾稽关系、
    正文数字与表格是否一致、报告年度、信息处理费说明；给出上年报告时还核对上年结转和现行有效件数。

    例：nianbao audit 各单位年报/ --out 审核结果.xlsx
    """
    if not target.exists():
        raise UsageError(f"找不到文件或文件夹：{target}")
    files = collect_files(target)
    if not files:
        raise UsageError(f"{target} 中没有可审核的报告（支持 .docx、.html、.htm、.pdf、.txt）。")
    last = load_last_year(last_year) if last_year else None
    if len(files) == 1 or as_json:
        reports = audit_paths(files, last)
    else:
        with Progress(TextColumn("审核报告"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                      console=console, transient=True) as progress:
            task = progress.add_task("", total=len(files))
            reports = audit_paths(files, last, on_done=lambda r: progress.update(task, advance=1, description=r.file))
    if out is None and target.is_dir():
        out = Path(DEFAULT_OUT)
    if out is not None:
        write_audit_workbook(reports, out)
    if as_json:
        click.echo(json.dumps([r.to_json_dict() for r in reports], ensure_ascii=False, indent=2, default=str))
    else:
        if len(reports) == 1:
            _print_report(reports[0])
        else:
            _print_summary(reports)
        if out is not None:
            console.print(f"审核结果已写入 {out}")
    if any(r.has_errors for r in reports):
        sys.exit(EXIT_FINDINGS)


COMMANDS = [audit]
