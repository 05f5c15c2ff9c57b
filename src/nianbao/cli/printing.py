"""The console's one way of showing findings and the return status; the library returns data, this prints it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from ..findings import Finding, finding_order
from ..form import SEVERITY_LABELS

if TYPE_CHECKING:
    from ..merge import MergeResult

# With more departments than this, the console lists only those needing attention (all are in 回收情况).
MAX_DEPARTMENTS_LISTED = 50


def severity_markup(severity: str) -> str:
    label = SEVERITY_LABELS.get(severity, severity)
    return {"error": f"[bold red]{label}[/]", "warning": f"[yellow]{label}[/]"}.get(severity, label)


def print_findings(console: Console, findings: Sequence[Finding], *, limit: int | None = None, rest: str = "") -> None:
    """One block per finding (readable at any terminal width, unlike a table with a long message column).

    With `limit`, only the first findings are shown and one line says how many more there are and `rest`
    (where the full list is).
    """
    ordered = sorted(findings, key=finding_order)
    shown = ordered if limit is None else ordered[:limit]
    for f in shown:
        where = " ".join(x for x in (f.file, f.address, f.department and f"（{f.department}）") if x)
        console.print(f"{severity_markup(f.severity)} [bold]{escape(where)}[/] [dim]{escape(f.code)}[/]")
        console.print(f"    {escape(f.message)}", soft_wrap=True)
    if len(ordered) > len(shown):
        console.print(f"……另有 {len(ordered) - len(shown)} 条{rest}。")


def status_table(result: MergeResult) -> RichTable:
    from ..merge import DEPARTMENT_STATUS

    files: dict[str, list[str]] = {}
    for s in result.sources:
        files.setdefault(s.department, []).append(s.file)
    errors: dict[str, int] = {}
    for f in result.findings:
        if f.is_error:
            errors[f.department] = errors.get(f.department, 0) + 1
    statuses = result.department_status
    title = "各部门报送情况"
    if len(statuses) > MAX_DEPARTMENTS_LISTED:
        merged = sum(1 for s in statuses.values() if s == "merged")
        statuses = {d: s for d, s in statuses.items() if s != "merged"}
        title = f"各部门报送情况（{merged} 个部门已汇总，下面只列出其余的；全部见 汇总.xlsx 的回收情况）"
    table = RichTable("部门", "状态", "文件", "错误数", title=title)
    for department, status in statuses.items():
        style = {"merged": "green", "not_returned": "red", "allowed_missing": "yellow"}.get(status, "red")
        table.add_row(
            department,
            f"[{style}]{DEPARTMENT_STATUS[status]}[/]",
            "、".join(files.get(department, [])),
            str(errors.get(department, "")),
        )
    for s in result.sources:
        if not s.department:
            table.add_row(
                "（无法识别）",
                "[red]有错误未汇总[/]",
                s.file,
                str(sum(1 for f in result.findings if f.file == s.file and f.is_error)),
            )
    return table
