"""What the pages show, computed from the store: department states, findings grouped by sheet, times, the merged
tables laid out from the form's grid. No HTTP here."""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from typing import Any

from ..findings import CODES
from ..form import FORM, SEVERITY_LABELS
from .store import Collection, Department, StoredUpload

# A department's state, as the dashboard and its own page name it: (label, css class).
STATES: dict[str, tuple[str, str]] = {
    "missing": ("未报送", "missing"),
    "error": ("有错误", "error"),
    "returned": ("已退回", "error"),
    "warning": ("有警告", "warning"),
    "passed": ("已通过", "passed"),
}
STATE_ORDER = ("missing", "returned", "error", "warning", "passed")


def local_time(timestamp: float | None) -> str:
    """The machine's local time, as 2025-01-06 14:30."""
    if timestamp is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def state_of(history: list[StoredUpload]) -> str:
    if not history:
        return "missing"
    newest = history[0]
    return "returned" if newest.returned_at is not None else newest.verdict


@dataclass(frozen=True)
class DepartmentRow:
    department: Department
    state: str
    history: list[StoredUpload]

    @property
    def label(self) -> str:
        return STATES[self.state][0]

    @property
    def css(self) -> str:
        return STATES[self.state][1]

    @property
    def last(self) -> StoredUpload | None:
        return self.history[0] if self.history else None

    @property
    def last_time(self) -> str:
        return local_time(self.last.uploaded_at) if self.last else ""

    @property
    def versions(self) -> int:
        return len(self.history)


def rows(departments: list[Department], uploads: dict[int, list[StoredUpload]]) -> list[DepartmentRow]:
    return [DepartmentRow(d, state_of(uploads.get(d.id, [])), uploads.get(d.id, [])) for d in departments]


def counts(table: list[DepartmentRow]) -> dict[str, int]:
    return {state: sum(1 for r in table if r.state == state) for state in STATE_ORDER}


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "、".join(_shown(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class FindingView:
    severity: str  # "error", "warning", "info"
    label: str  # 错误 / 警告 / 提示
    code: str
    title: str
    sheet: str
    cell: str
    value: str
    expected: str
    message: str


def finding_views(findings_json: str) -> list[FindingView]:
    out = []
    for f in json.loads(findings_json or "[]"):
        severity = str(f.get("severity", ""))
        code = str(f.get("code", ""))
        out.append(
            FindingView(
                severity,
                SEVERITY_LABELS.get(severity, severity),
                code,
                CODES.get(code, ""),
                str(f.get("sheet") or ""),
                str(f.get("cell") or ""),
                _shown(f.get("value")),
                _shown(f.get("expected")),
                str(f.get("message", "")),
            )
        )
    return out


def by_sheet(findings: list[FindingView]) -> list[tuple[str, list[FindingView]]]:
    """Findings grouped by sheet, in the order they come (errors first); whole-file ones under 整个文件."""
    groups: dict[str, list[FindingView]] = {}
    for f in findings:
        groups.setdefault(f.sheet or "整个文件", []).append(f)
    return list(groups.items())


def deadline_note(collection: Collection, today: dt.date | None = None) -> str:
    days = (collection.deadline - (today or dt.date.today())).days
    if days > 0:
        return f"还有 {days} 天"
    return "今天截止" if days == 0 else f"已过截止日期 {-days} 天"


def reminder_text(collection: Collection, missing: list[str], link_hint: str = "") -> str:
    """A reminder to paste into a chat or an e-mail to the departments that have not returned."""
    who = "、".join(missing)
    return (
        f"{who}：请于 {collection.deadline.year}年{collection.deadline.month}月{collection.deadline.day}日前"
        f"报送{collection.body}{collection.year}年政府信息公开工作年度报告填报表。请打开本部门的专用报送链接，"
        f"下载填报表，填好后在同一页面上传，页面会立即显示检查结果；有错误的请改正后重新上传。{link_hint}谢谢！"
    )


# -- merged tables --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    text: str
    rowspan: int
    colspan: int
    kind: str


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def merged_tables(values: dict[str, Any]) -> list[tuple[str, str, list[list[Cell]]]]:
    """(name, heading, rows of cells) of each table, laid out from the form's grid with the merged values."""
    out = []
    for table in FORM.tables:
        grid: list[list[Cell]] = [[] for _ in range(table.n_rows)]
        for c in sorted(table.grid, key=lambda c: (c.row, c.col)):
            text = _number(values.get(c.key)) if c.kind == "value" and c.key else c.text
            grid[c.row].append(Cell(text, c.rowspan, c.colspan, c.kind))
        out.append((table.name, table.section, grid))
    return out
