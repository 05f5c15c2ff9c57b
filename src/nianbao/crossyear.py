"""Last year's data and the cross-year checks (the C rules of docs/codes.md).

The rules themselves (C1, C2, T2-3, C-SWING, C3) are registered in `nianbao.rules.crossyear`; `compare(this, last)`
runs them on two `ReportData`. `load_last_year(path)` reads last year's merged.json, last year's workbook or any
report `nianbao import` can read.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from .data import ReportData
from .errors import UsageError
from .fileio import read_json
from .findings import Finding, codes
from .form import FORM
from .rules import RuleInput, Scope, run
from .rules.crossyear import SWING_FACTOR, SWING_MINIMUM

__all__ = ["CROSSYEAR_CODES", "SWING_FACTOR", "SWING_MINIMUM", "compare", "compare_to_last", "load_last_year"]

CROSSYEAR_CODES: dict[str, str] = codes("C1", "C2", "T2-3", "C-SWING", "C3")


def compare(this: ReportData, last: ReportData) -> list[Finding]:
    """Cross-year findings for this year's report data against last year's."""
    return run(Scope.TWO_YEARS, RuleInput(this, last, last_name=_last_name(last)))


def _last_year_workbook(path: Path) -> ReportData:
    from .checks import check_workbook

    read = check_workbook(path)
    if not read.readable:
        reason = next((f.message for f in read.findings if f.is_error), "")
        raise UsageError(f"上年工作簿 {path.name} 无法读取：{reason}")
    return read.to_data()


def _last_name(last: ReportData) -> str:
    return f"{last.year}年报告" if last.year else "上年报告"


def compare_to_last(
    this: ReportData, last: ReportData, *, file: str = "", department: str = "", locate: bool = False
) -> list[Finding]:
    """`compare`, with each finding attributed to `file`/`department`; with `locate`, pointed at the
    cell of this year's workbook that holds the key (for `check` and per-department use)."""
    from .form.layout import location

    out = []
    for finding in compare(this, last):
        where: dict[str, Any] = {}
        if locate and finding.key in FORM.by_key:
            loc = location(finding.key)
            where = {"sheet": loc.sheet, "cell": loc.cell}
        out.append(replace(finding, file=file or finding.file, department=department or finding.department, **where))
    return out


def load_last_year(path: Path) -> ReportData:
    """Last year's data: from a merged.json, a workbook filled in last year's template, or any report
    `nianbao import` can read."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"找不到上年报告文件：{path}")
    if path.suffix.lower() == ".xlsx":
        return _last_year_workbook(path)
    if path.suffix.lower() == ".json":
        data = read_json(path, what="上年数据 ")
        if not isinstance(data, dict) or not isinstance(data.get("values"), dict):
            raise UsageError(f"上年数据 {path.name} 不是 nianbao 汇总结果（merged.json，需含 values）。")
        return ReportData.from_json(data, what=f"上年数据 {path} ")
    from .importer.published import import_published

    result = import_published(path)
    if not any(result.tables_found.values()):
        raise UsageError(f"上年报告 {path.name} 中找不到任何统计表，无法做跨年度核对。")
    return result.data
