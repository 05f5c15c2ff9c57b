"""`nianbao audit`: audit published reports (one file or a folder) against the official format."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape

from ..errors import UsageError
from ..findings import Finding
from ..form import Severity
from .common import EXIT_FINDINGS, OutputPath, console, err_console, handle_errors

if TYPE_CHECKING:
    from ..audit import AuditReport

DEFAULT_OUT = "审核结果.xlsx"


def _print_report(report: AuditReport) -> None:
    from rich.table import Table

    from ..audit_outputs import SEVERITY_ORDER
    from ..form import SEVERITY_LABELS

    title = f"{report.body or report.file} {report.year or ''} — 错误 {report.errors}，警告 {report.warnings}"
    table = Table(title=title)
    for name in ("严重程度", "规则", "位置", "说明"):
        table.add_column(name, overflow="fold")
    for f in sorted(report.findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.code)):
        style = "red" if f.severity == Severity.ERROR else "yellow" if f.severity == Severity.WARNING else ""
        where = " / ".join(x for x in (f.sheet, f.cell) if x)
        label = SEVERITY_LABELS.get(f.severity, f.severity)
        table.add_row(f"[{style}]{label}[/]" if style else label, f.code, where, f.message)
    console.print(table)


def _print_summary(reports: Sequence[AuditReport]) -> None:
    from rich.table import Table

    from ..audit_outputs import SUMMARY_COLUMNS, rule_list, sorted_reports, verdict

    table = Table(title=f"共审核 {len(reports)} 份报告")
    for name in SUMMARY_COLUMNS:
        table.add_column(name, overflow="fold")
    for r in sorted_reports(reports):
        table.add_row(
            r.body,
            str(r.year or ""),
            r.file,
            str(r.errors),
            str(r.warnings),
            "是" if r.imported.complete else "否",
            verdict(r),
            rule_list(r),
        )
    console.print(table)


@click.command("audit")
@click.argument("target", type=click.Path(path_type=Path))
@click.option(
    "--last-year",
    "last_year",
    type=click.Path(path_type=Path),
    help="上年的 merged.json 或上年发布的报告（.docx/.html/.pdf/.txt/.md），用于跨年度核对。",
)
@click.option(
    "--out",
    "out",
    type=OutputPath("file"),
    help=f"把审核结果写入 Excel（默认：审核文件夹时写入当前目录的 {DEFAULT_OUT}）。",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出全部审核发现。")
@handle_errors
def audit(target: Path, last_year: Path | None, out: Path | None, as_json: bool) -> None:
    """审核已发布的政府信息公开工作年度报告（一个文件，或一个文件夹中的全部报告）。

    按国办公开办函〔2021〕30号核对：六个部分的标题、表格标签、2021年格式、表二至表四的勾稽关系、
    正文数字与表格是否一致、报告年度、信息处理费说明；给出上年报告时还核对上年结转和现行有效件数。

    例：nianbao audit 各单位年报/ --out 审核结果.xlsx
    """
    from .. import pipeline
    from ..audit import collect_files
    from ..audit_outputs import write_audit_workbook
    from .progress import progress_bar

    if not target.exists():
        raise UsageError(f"找不到文件或文件夹：{target}")
    if out is not None and out.suffix.lower() != ".xlsx":
        raise UsageError(f"--out {out}：审核结果是 Excel 工作簿，文件名应以 .xlsx 结尾。")
    skipped: list[Finding] = []
    files = collect_files(target, skipped)
    for finding in skipped:
        err_console.print(f"[yellow]警告[/] {escape(finding.code)} {escape(finding.message)}")
    if not files:
        raise UsageError(f"{target} 中没有可审核的报告（支持 .docx、.html、.htm、.pdf、.txt、.md）。")
    with progress_bar("审核报告", len(files) > 1 and not as_json) as bar:
        reports = pipeline.audit(files, last_year=last_year, progress=(lambda _w, d, t: bar(d, t)) if bar else None)
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
