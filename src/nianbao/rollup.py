"""区域汇总: an area's report compiled from its bodies' data, one level up from a body's merge of its departments.

A folder for an area holds, side by side, what each body sent: its departments' returned workbooks (grouped by the
机关名称 on their covers and merged as `nianbao merge` would), its `merged.json` (with the `provenance.csv` written
beside it, when there is one), or its published report in any form `nianbao import` reads. Each body's tables must
pass the form's rules, or the body is refused like a bad workbook, named. A body given twice is counted once. The
area's tables are the cell-wise sum of the bodies' input cells, every total recomputed by the form.

Provenance runs through every level: a district total is traced to each body, and for a body merged here or by
nianbao (its provenance.csv) to each department, file and cell.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .data import AREA_BODY_TYPE, ReportData, typed_value
from .errors import NianbaoError, UsageError
from .fileio import read_json, skipped_link_findings, walk_files
from .findings import Finding, Severity
from .form import FORM
from .merge import (
    WORKBOOK_SUFFIXES,
    Found,
    LongRows,
    MergeResult,
    SourceFile,
    WorkbookItem,
    allowed_roster_names,
    is_hidden,
    merge_reads,
    read_items,
    roster_index,
)
from .naming import name_key
from .numbers import NotANumber
from .reader.sniff import REPORT_SUFFIXES
from .reader.xlsx import WorkbookRead
from .rules import RuleInput, Scope, run
from .rules.tables import TABLES

if TYPE_CHECKING:
    from .importer.published import ImportResult

__all__ = ["AREA_BODY_TYPE", "AreaInputs", "BodyResult", "find_inputs", "run_rollup"]

DATA_SUFFIXES = (".json",)
MERGED_JSON = "merged.json"  # the name `nianbao merge` gives its data (outputs.MERGED_JSON)
PROVENANCE_NAME = "provenance.csv"  # and its provenance (outputs.PROVENANCE_CSV)
# When a body is given more than once, the most detailed form counts: its workbooks, then its data, then its report.
_PREFERENCE = {"workbooks": 0, "merged": 1, "report": 2}
_KIND_LABELS = {"workbooks": "各部门的填报表", "merged": "汇总数据（merged.json）", "report": "已发布的报告"}
_TABLE_CODES = frozenset(rule.code for rule in FORM.rules)
_TABLE_PREFIXES = tuple(f"{t.key}." for t in FORM.tables)


# A provenance row: (who, key, value, file, sheet, cell, input) — the columns of the merge's long frame.
Row = tuple[str, str, object, str, str, str, bool]


@dataclass
class BodyResult:
    """One body of the area as given: its data, where it came from, and what was found."""

    body: str
    kind: str  # "workbooks", "merged" or "report"
    files: list[str]
    data: ReportData | None  # None when refused before its numbers could be read
    rows: list[Row] = field(default_factory=list)  # provenance rows, as FRAME_COLUMNS
    findings: list[Finding] = field(default_factory=list)
    merge: MergeResult | None = None  # for a body merged here from its workbooks

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.findings)


# -- what is in the folder ------------------------------------------------------------------------------------
@dataclass
class AreaInputs:
    """What a folder holds: workbooks, other bodies' data and reports (read once), and everything else."""

    books: list[Path] = field(default_factory=list)
    data: list[tuple[Path, ReportData | str]] = field(default_factory=list)  # the data, or why it is unreadable
    reports: list[tuple[Path, ImportResult]] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)
    links: list[Finding] = field(default_factory=list)
    # Every workbook and every other file, as a body's merge takes them (an output folder's files included).
    every_book: list[Path] = field(default_factory=list)
    every_other: list[Path] = field(default_factory=list)

    @property
    def as_body(self) -> Found:
        """What a body's merge of the folder reads: the same walk, not a second one."""
        return Found(self.every_book, self.every_other, self.links)

    @property
    def is_area(self) -> bool:
        """True when the folder holds other bodies' data or reports: it is an area's, not one body's."""
        return bool(self.data or self.reports)


def _read_data(path: Path, name: str) -> ReportData | str | None:
    """A body's merged.json-shaped data; its problem in words; or None when the file is no report data at all."""
    try:
        raw = read_json(path)
    except NianbaoError:
        return None  # not readable as JSON: a file among others, listed as ignored
    if not isinstance(raw, dict) or "values" not in raw:
        return None  # some other JSON file: not a body's data
    try:
        return ReportData.from_json(raw, what=f"{name} ")
    except NianbaoError as exc:
        return str(exc)


def find_inputs(directory: Path, exclude: Sequence[Path] = ()) -> AreaInputs:
    """Sort the files under `directory`: a report counts only when its tables are found, data only when it is
    report data; notes and other files are ignored, so a stray 说明.txt leaves a body's merge a body's merge."""
    files, skipped = walk_files(directory, exclude)
    # A body's nianbao output folder: its merged.json stands for it; 汇总.xlsx, provenance.csv and its report there
    # are the same figures again.
    outputs = {p.parent for p in files if p.name == MERGED_JSON}
    found = AreaInputs(links=skipped_link_findings(skipped, directory))
    for path in files:
        if is_hidden(path, directory):
            continue
        (found.every_book if path.suffix.lower() in WORKBOOK_SUFFIXES else found.every_other).append(path)
        relative = path.relative_to(directory)
        if path.parent in outputs and path.name != MERGED_JSON:
            continue
        suffix = path.suffix.lower()
        if suffix in WORKBOOK_SUFFIXES:
            found.books.append(path)
        elif suffix in DATA_SUFFIXES and (data := _read_data(path, relative.as_posix())) is not None:
            found.data.append((path, data))
        elif suffix in REPORT_SUFFIXES and _is_report(imported := _import(path)):
            found.reports.append((path, imported))
        else:
            found.ignored.append(path)
    return found


def _import(path: Path) -> ImportResult:
    from .importer.published import import_or_error  # only for a folder that holds a report-like file

    return import_or_error(path)


def _is_report(imported: ImportResult) -> bool:
    return any(imported.tables_found.values())


# -- each kind of input -------------------------------------------------------------------------------------
def _finding(code: str, message: str, file: str, body: str, severity: str = Severity.ERROR, **extra: object) -> Finding:
    return Finding(code=code, severity=severity, message=message, file=file, department=body, extra=dict(extra))


def _rule_failures(data: ReportData, file: str, body: str) -> list[Finding]:
    """The form's table rules on a body's numbers as given: an area total cannot be built on a table that fails."""
    failures = [f for f in run(Scope.PUBLISHED, RuleInput(data, printed_totals=True), only=_TABLE_CODES) if f.is_error]
    if not failures:
        return []
    codes = "、".join(dict.fromkeys(f.code for f in failures))
    first = failures[0].message
    return [
        _finding(
            "A-RULES",
            f"「{body}」的表格不符合勾稽关系（{codes}，共 {len(failures)} 处，如：{first}），"
            f"未计入区域汇总；请该单位改正后重新报送",
            file,
            body,
            failures=[f.to_dict() for f in failures],
        )
    ]


def _checked(data: ReportData, file: str, body: str, scope: Scope) -> list[Finding]:
    """A body refused for incomplete or inconsistent tables, or the registered rules' other findings on it."""
    from dataclasses import replace

    refused = _incomplete(data, file, body) or _rule_failures(data, file, body)
    if refused:
        return refused
    given = RuleInput(data, printed_totals=True)
    return [replace(f, file=file, department=body) for f in run(scope, given) if f.code not in _TABLE_CODES]


def _missing_cells(values: Mapping[str, object]) -> list[str]:
    return [f.key for f in FORM.table_fields if f.key not in values]


def _body_from_workbooks(body: str, reads: list[WorkbookRead], year: int | None) -> BodyResult:
    """A body's departments' workbooks, merged as `nianbao merge` does; its findings say which body."""
    merged = merge_reads(reads, None, body=body, year=year)
    findings = [f if f.department.startswith(body) else _in_body(f, body) for f in merged.findings]
    rows: list[Row] = [(f"{body} / {d}", k, v, f, s, c, i) for d, k, v, f, s, c, i in merged.rows.rows()]
    data = merged.data if merged.departments else None
    return BodyResult(body, "workbooks", [r.file for r in reads], data, rows, findings, merged)


def _in_body(finding: Finding, body: str) -> Finding:
    from dataclasses import replace

    who = f"{body} / {finding.department}" if finding.department else body
    return replace(finding, department=who)


def _provenance_rows(path: Path, folder: str, body: str) -> list[Row]:
    """A nianbao merge's provenance.csv beside its merged.json: each department's cells, one level down."""
    from .outputs import read_provenance_file

    rows: list[Row] = []
    for r in read_provenance_file(path):
        if r["key"] not in FORM.by_key:
            continue
        file = f"{folder}/{r['file']}" if folder else r["file"]
        try:
            value: object = typed_value(r["key"], r["value"])
        except NotANumber:
            value = r["value"]
        rows.append((f"{body} / {r['department']}", r["key"], value, file, r["sheet"], r["cell"], r["input"] == "是"))
    return rows


def _body_from_data(path: Path, directory: Path, data: ReportData | str) -> BodyResult:
    name = path.relative_to(directory).as_posix()
    if isinstance(data, str):
        return BodyResult(path.stem, "merged", [name], None, findings=[_finding("A-UNREADABLE", data, name, "")])
    body = data.body or path.stem
    problems = _checked(data, name, body, Scope.MERGED)
    beside = path.parent / PROVENANCE_NAME
    folder = path.parent.relative_to(directory).as_posix()
    folder = "" if folder == "." else folder
    rows = _provenance_rows(beside, folder, body) if beside.is_file() else _cell_rows(data, name, body)
    return BodyResult(body, "merged", [name], data, rows, problems)


def _incomplete(data: ReportData, name: str, body: str) -> list[Finding]:
    missing = _missing_cells(data.values)
    if not missing:
        return []
    return [
        _finding(
            "A-INCOMPLETE",
            f"「{body}」的数据缺少 {len(missing)} 个表格数字（如 {FORM.by_key[missing[0]].label}），"
            "未计入区域汇总；请该单位提供完整的报告或 merged.json",
            name,
            body,
            missing=missing,
        )
    ]


def _cell_rows(data: ReportData, file: str, body: str) -> list[Row]:
    """One provenance row per number of a body known only by its report or data: the table and its labels."""
    rows: list[Row] = []
    for f in FORM.numeric_fields:
        if f.key in data.values:
            sheet, cell = TABLES.where(f.key) if f.key.startswith(_TABLE_PREFIXES) else (f.part, f.label)
            rows.append((body, f.key, data.values[f.key], file, sheet, cell, f.input))
    return rows


def _body_from_report(path: Path, directory: Path, imported: ImportResult) -> BodyResult:
    name = path.relative_to(directory).as_posix()
    data = imported.data
    body = data.body or path.stem
    problems = _import_warnings(imported, name, body) + _checked(data, name, body, Scope.PUBLISHED)
    return BodyResult(body, "report", [name], data, _cell_rows(data, name, body), problems)


def _import_warnings(imported: ImportResult, file: str, body: str) -> list[Finding]:
    """How the importer read a body's report (a blank read as 0, a row aligned by a rule …), for the coordinator."""
    from dataclasses import replace

    return [replace(f, file=file, department=body) for f in imported.problems if not f.is_error]


# -- putting the area together --------------------------------------------------------------------------------
def _group_workbooks(reads: list[WorkbookRead]) -> tuple[dict[str, list[WorkbookRead]], list[WorkbookRead]]:
    """Workbooks by the body on their covers (spelling as first seen); unreadable ones apart."""
    groups: dict[str, list[WorkbookRead]] = {}
    spelling: dict[str, str] = {}
    unreadable = []
    for read in reads:
        if not read.readable or not read.identity.body:
            unreadable.append(read)
            continue
        key = name_key(read.identity.body)
        groups.setdefault(spelling.setdefault(key, read.identity.body), []).append(read)
    return groups, unreadable


def _once_each(bodies: list[BodyResult]) -> tuple[list[BodyResult], list[Finding]]:
    """One input per body: the most detailed counts, each other one is named in a warning."""
    by_key: dict[str, list[BodyResult]] = {}
    for b in bodies:
        by_key.setdefault(name_key(b.body), []).append(b)
    kept: list[BodyResult] = []
    findings: list[Finding] = []
    for group in by_key.values():
        group.sort(key=lambda b: (_PREFERENCE[b.kind], b.files[0]))
        first, *others = group
        kept.append(first)
        for other in others:
            findings.append(
                _finding(
                    "A-TWICE",
                    f"「{first.body}」既有{_KIND_LABELS[first.kind]}（{first.files[0]}），又有"
                    f"{_KIND_LABELS[other.kind]}（{other.files[0]}）：只计一次，使用前者；请确认两者数字一致",
                    other.files[0],
                    first.body,
                    Severity.WARNING,
                    used=first.files[0],
                )
            )
    return kept, findings


def _year_findings(bodies: list[BodyResult], year: int | None) -> tuple[int | None, list[Finding]]:
    years = [b.data.year for b in bodies if b.data is not None and b.data.year]
    year = year or (max(set(years), key=years.count) if years else None)
    findings = [
        _finding("A-YEAR", f"「{b.body}」是 {b.data.year} 年度的数据，本次汇总 {year} 年度，未计入", b.files[0], b.body)
        for b in bodies
        if b.data is not None and year and b.data.year and b.data.year != year
    ]
    return year, findings


def _status(bodies: list[BodyResult], roster: list[str] | None, allowed: list[str]) -> dict[str, str]:
    names = roster_index(roster) or {}
    position = {d: i for i, d in enumerate(roster or [])}
    status = {d: "allowed_missing" if d in allowed else "not_returned" for d in roster or []}
    for b in bodies:
        name = names.get(name_key(b.body), b.body)
        state = "rejected" if b.has_errors or b.data is None else "merged"
        status[name] = state if roster is None or name in position else "not_on_roster"
    return {d: status[d] for d in sorted(status, key=lambda d: (position.get(d, len(position)), d))}


def _missing_bodies(status: Mapping[str, str]) -> list[Finding]:
    return [
        Finding(
            code="F-MISSING",
            severity=Severity.ERROR,
            department=d,
            value=d,
            message=f"「{d}」未报送：请催报后重新汇总；如经同意不报送，汇总时用 --allow-missing {d} 注明",
        )
        for d, s in status.items()
        if s == "not_returned"
    ]


def _area_values(bodies: Sequence[BodyResult]) -> dict[str, object]:
    sums: dict[str, object] = {}
    for b in bodies:
        assert b.data is not None
        for key in FORM.input_numeric_keys:
            sums[key] = sums.get(key, 0) + b.data.values.get(key, 0)  # type: ignore[operator]
    values: dict[str, object] = dict(FORM.compute_derived(sums))  # type: ignore[arg-type]
    for key in FORM.input_numeric_keys:
        values.setdefault(key, sums.get(key, 0))
    return values


def _sources(bodies: Sequence[BodyResult], status: Mapping[str, str]) -> list[SourceFile]:
    out = []
    for b in bodies:
        state = "merged" if status.get(b.body) == "merged" else "rejected"
        if b.merge is not None:
            out += [
                SourceFile(
                    s.file,
                    s.sha256,
                    f"{b.body} / {s.department}" if s.department else b.body,
                    s.status,
                    s.mtime,
                    s.date,
                    s.size,
                )
                for s in b.merge.sources
            ]
        else:
            out += [SourceFile(f, "", b.body, state, 0.0, "", 0) for f in b.files]
    return out


def run_rollup(
    directory: Path,
    inputs: AreaInputs,
    roster: Sequence[str] | None = None,
    *,
    area: str | None = None,
    year: int | None = None,
    jobs: int | None = None,
    allowed_missing: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> MergeResult:
    """The 区域汇总 of the bodies found in `directory` (`find_inputs`); `roster` names the bodies expected, `area`
    the area's 机关名称.

    The area's own workbooks (those whose cover names the area) give the report's texts and count as one body.
    """
    if not area:
        raise UsageError("区域汇总需要用 --body 给出本区域的机关名称（如“某某区人民政府”），报告以它的名义发布。")
    roster_names = list(roster) if roster is not None else None
    allowed = allowed_roster_names(allowed_missing, roster_names)
    findings = list(inputs.links)
    items: list[WorkbookItem] = [(p, p.relative_to(directory).as_posix()) for p in inputs.books]
    reads = read_items(items, progress, jobs) if items else []
    groups, unreadable = _group_workbooks(reads)
    bodies = [_body_from_workbooks(body, group, year) for body, group in groups.items()]
    bodies += [_body_from_data(p, directory, data) for p, data in inputs.data]
    bodies += [_body_from_report(p, directory, imported) for p, imported in inputs.reports]
    findings += [f for r in unreadable for f in r.findings]
    bodies, twice = _once_each(bodies)
    position = {name_key(d): i for i, d in enumerate(roster_names or [])}
    bodies.sort(key=lambda b: (position.get(name_key(b.body), len(position)), b.body))  # roster order
    year, wrong_year = _year_findings(bodies, year)
    status_findings = wrong_year
    for f in wrong_year:
        next(b for b in bodies if b.files[0] == f.file).findings.append(f)
    status = _status(bodies, roster_names, allowed)
    accepted = [b for b in bodies if b.data is not None and not b.has_errors]
    own = next((b for b in accepted if name_key(b.body) == name_key(area)), None)
    result = MergeResult(
        body=area,
        year=year,
        values=_area_values(accepted),  # type: ignore[arg-type]
        texts=dict(own.data.texts) if own is not None and own.data is not None else {},
        departments=[b.body for b in accepted],
        sources=_sources(bodies, status),
        findings=[
            *findings,
            *(f for b in bodies for f in b.findings if f not in status_findings),
            *twice,
            *status_findings,
            *_missing_bodies(status),
        ],
        rows=LongRows.from_rows(row for b in accepted for row in b.rows),
        roster=roster_names,
        department_status=status,
        ignored=[p.relative_to(directory).as_posix() for p in inputs.ignored],
        allowed_missing=allowed,
        date=max((b.data.date for b in accepted if b.data is not None and b.data.date), default=""),
        body_type=AREA_BODY_TYPE,
        bodies={b.body: b.data for b in accepted if b.data is not None},
    )
    if accepted:
        result.findings += run(Scope.MERGED, RuleInput(result.data))
    return result
