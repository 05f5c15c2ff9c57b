"""Merge the returned workbooks of a folder: read and check each, then sum the clean ones.

Data flows one way: files → `WorkbookRead` (per department, checked) → the long rows (department, key, value,
file, sheet, cell), plain column lists → each input summed → totals recomputed by the form.
The long rows are kept, so every merged number can be traced back to its departments and cells.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import parallel
from .checks import check_workbook, check_workbook_bytes
from .data import Collection, Provenance, ReportData
from .dates import parse_date
from .errors import UsageError
from .fileio import Upload, skipped_link_findings, walk_files
from .findings import Finding
from .form import FORM, layout, official
from .naming import name_key
from .numbers import Number
from .reader.xlsx import WorkbookRead, crashed_bytes, crashed_read
from .rules import RuleInput, Scope, run

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEPARTMENT_STATUS",
    "FILE_STATUS",
    "LongRows",
    "MergeResult",
    "SourceFile",
    "department_of",
    "discover_files",
    "is_hidden",
    "merge_items",
    "merge_reads",
    "read_items",
    "run_merge",
]

# Files the coordinator may have received; other files in the folder (notes, scans) are listed as ignored.
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".et", ".ett", ".ods", ".csv"})

FILE_STATUS = {"merged": "已汇总", "rejected": "有错误未汇总", "duplicate": "重复未汇总", "copy": "相同副本，只计一份"}
DEPARTMENT_STATUS = {
    "merged": "已汇总",
    "rejected": "有错误未汇总",
    "duplicate": "重复报送未汇总",
    "not_returned": "未报送",
    "allowed_missing": "经同意不报送",
    "not_on_roster": "不在部门名单",
}
# What merged.json says of the report made from it (set by `build`; None when none was written).
REPORT_KINDS = ("final", "draft")
FRAME_COLUMNS = ("department", "key", "value", "file", "sheet", "cell", "input")


@dataclass
class SourceFile:
    """One file found in the folder, with what became of it."""

    file: str
    sha256: str
    department: str
    status: str  # a key of FILE_STATUS
    mtime: float
    date: str  # 填报日期 from the cover
    size: int

    def provenance(self) -> Provenance:
        return Provenance(
            file=self.file,
            kind="workbook",
            department=self.department,
            sha256=self.sha256,
            status=self.status,
            modified=_iso(self.mtime),
            date=self.date,
            size=self.size,
        )

    def to_dict(self) -> dict[str, Any]:
        return self.provenance().to_json()


@dataclass
class MergeResult:
    body: str
    year: int | None
    values: dict[str, Number]
    texts: dict[str, str]
    departments: list[str]  # merged departments, in roster order
    sources: list[SourceFile]
    findings: list[Finding]
    rows: LongRows  # the long provenance rows of the merged files (FRAME_COLUMNS)
    roster: list[str] | None = None
    department_status: dict[str, str] = field(default_factory=dict)  # department → DEPARTMENT_STATUS key
    ignored: list[str] = field(default_factory=list)  # files in the folder that are not workbooks
    template_version: str = FORM.template_version
    allowed_missing: list[str] = field(default_factory=list)  # roster departments knowingly left out
    date: str = ""  # the collection's date: the latest 填报日期 of the merged workbooks (ISO), "" if none
    report: str | None = None  # a REPORT_KINDS value once a report was written from this merge
    body_type: str = ""  # "区域汇总" for an area's report compiled from its bodies (see rollup.py)
    bodies: dict[str, ReportData] = field(default_factory=dict)  # an area's bodies, each as given

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.findings)

    @functools.cached_property
    def frame(self) -> pd.DataFrame:
        """The long rows as a pandas DataFrame (FRAME_COLUMNS), built on first access for library users."""
        return self.rows.to_frame()

    @property
    def not_returned(self) -> list[str]:
        return [d for d, s in self.department_status.items() if s == "not_returned"]

    def counts(self) -> Counter[str]:
        return Counter(f.severity for f in self.findings)

    @property
    def data(self) -> ReportData:
        """The merged data, typed: what merged.json holds besides the findings."""
        return ReportData(
            body=self.body,
            year=self.year,
            values=dict(self.values),
            texts=dict(self.texts),
            body_type=self.body_type,
            template_version=self.template_version,
            date=self.date,
            collection=Collection(
                tuple(self.departments), dict(self.department_status), tuple(self.allowed_missing), self.report
            ),
            provenance=tuple(s.provenance() for s in self.sources),
        )

    def to_json_dict(self) -> dict[str, Any]:
        """merged.json: the data's JSON form and the findings."""
        return {**self.data.to_json(), "findings": [f.to_dict() for f in self.findings]}


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S") if timestamp else ""


# -- finding the files -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """What a walk of a folder found for a merge: workbook candidates, other files, links not followed."""

    books: list[Path]
    ignored: list[Path]
    links: list[Finding]


def discover_files(
    directory: Path, exclude: Sequence[Path] = (), findings: list[Finding] | None = None
) -> tuple[list[Path], list[Path]]:
    """(workbook candidates, ignored files) under `directory`, recursively, in a stable order.

    Hidden files and Office lock files (~$name.xlsx, left behind while a file is open) are skipped.
    Symbolic links are followed only inside `directory` and a file is never read twice through one;
    a link out of the folder (or a broken one) is skipped with a warning appended to `findings`.
    """
    candidates: list[Path] = []
    ignored: list[Path] = []
    files, skipped = walk_files(directory, exclude)
    if findings is not None:
        findings += skipped_link_findings(skipped, directory)
    for path in files:
        if is_hidden(path, directory):
            continue
        (candidates if path.suffix.lower() in WORKBOOK_SUFFIXES else ignored).append(path)
    return candidates, ignored


def is_hidden(path: Path, directory: Path) -> bool:
    """A hidden file or folder (.name), or an Office lock file (~$name.xlsx, there while a file is open)."""
    return path.name.startswith("~$") or any(part.startswith(".") for part in path.relative_to(directory).parts)


# -- identity across files ---------------------------------------------------------------------------


def _cover_finding(read: WorkbookRead, code: str, key: str, message: str, found: object, expected: object) -> Finding:
    loc = layout.location(key)
    return Finding(
        code=code,
        severity="error",
        message=message,
        file=read.file,
        sheet=loc.sheet,
        cell=loc.cell,
        department=read.department,
        key=key,
        value=found,
        expected=expected,
    )


def _majority(values: Iterable[Any]) -> Any:
    counted = Counter(v for v in values if v not in ("", None))
    return counted.most_common(1)[0][0] if counted else None


def _majority_spelling(named: Sequence[tuple[str, str]]) -> str:
    """The spelling most (department, spelling) pairs agree on, compared normalized, kept as first typed."""
    common = _majority(name_key(s) for _d, s in named)
    return next((s for _d, s in named if name_key(s) == common), "")


def spelling_finding(what: str, key: str, named: Sequence[tuple[str, str]], used: str, why: str) -> Finding | None:
    """A warning when departments typed a name differently: each spelling, who gave it, which one is used."""
    by_spelling: dict[str, list[str]] = {}
    for department, spelling in named:
        if spelling:
            by_spelling.setdefault(spelling, []).append(department)
    if len(by_spelling) < 2:
        return None
    listing = "；".join(f"「{s}」（{'、'.join(ds)}）" for s, ds in by_spelling.items())
    message = (
        f"各部门填写的{what}有 {len(by_spelling)} 种写法：{listing}。本次使用「{used}」（{why}）。"
        f"请核实，必要时请有关部门改正后重新汇总"
    )
    loc = layout.location(key)
    return Finding(
        code="F-SPELLING",
        severity="warning",
        message=message,
        sheet=loc.sheet,
        cell=loc.cell,
        key=key,
        value=list(by_spelling),
        expected=used,
        extra={"spellings": by_spelling},
    )


def _cover_names(reads: Iterable[WorkbookRead]) -> list[tuple[str, str]]:
    """(department or file, body as typed) of each file whose cover gives a body."""
    return [(r.department or r.file, r.identity.body) for r in reads if r.identity.body]


def _identity_findings(
    reads: list[WorkbookRead], body: str | None, year: int | None, roster: list[str] | None
) -> tuple[str, int | None, list[Finding]]:
    """Check body, year and department of every readable file; returns the body and year merged.

    Findings without a file (a spelling summary) are returned too; the caller files them by `file`.
    """
    readable = [r for r in reads if r.readable]
    named = _cover_names(readable)
    why = "以 --body 指定的为准" if body else "多数部门的写法"
    body = body or _majority_spelling(named)  # compared normalized, kept as typed
    spelling = spelling_finding(official.META_FIELDS[0][1], "meta.body", named, body, why)
    year = year or _majority(r.identity.year for r in readable)
    roster_names = roster_index(roster) or {}
    findings: list[Finding] = []
    for r in readable:
        ident = r.identity
        if body and name_key(ident.body) != name_key(body):
            findings.append(
                _cover_finding(
                    r,
                    "F-BODY",
                    "meta.body",
                    f"机关名称为「{ident.body or '空白'}」，本次汇总的是「{body}」：可能是发错了文件或用了其他单位的模板，请核实",
                    ident.body,
                    body,
                )
            )
        if year and ident.year != year:
            findings.append(
                _cover_finding(
                    r,
                    "F-YEAR",
                    "meta.year",
                    f"报告年度为「{ident.year or '空白'}」，本次汇总的是 {year} 年：可能是上年的文件，请使用本年下发的模板重新填报",
                    ident.year,
                    year,
                )
            )
        if not ident.department:
            findings.append(
                _cover_finding(
                    r,
                    "F-DEPARTMENT",
                    "meta.department",
                    "封面没有填报部门：这是未分发到部门的通用模板，请使用汇总单位下发给本部门的模板重新填报",
                    "",
                    "部门名称",
                )
            )
        elif roster is not None and name_key(ident.department) not in roster_names:
            close = difflib.get_close_matches(ident.department, roster, n=1, cutoff=0.6)
            hint = f"（名单中有「{close[0]}」，是否同一部门？）" if close else ""
            findings.append(
                _cover_finding(
                    r,
                    "F-DEPARTMENT",
                    "meta.department",
                    f"填报部门「{ident.department}」不在部门名单中{hint}：请核对名单，或确认是否用了其他部门的模板",
                    ident.department,
                    close[0] if close else "名单中的部门",
                )
            )
    return body, year, [*findings, *([spelling] if spelling else [])]


def roster_index(roster: Sequence[str] | None) -> dict[str, str] | None:
    """Normalized name → roster spelling, built once per merge (names compare across widths and spaces)."""
    return None if roster is None else {name_key(d): d for d in roster}


def department_of(read: WorkbookRead, names: Mapping[str, str] | None) -> str:
    """The roster's spelling of the file's department.

    A file refused before its cover could be read is attributed by its file name when exactly that
    roster name appears in it, so the department shows as "returned, with errors", not "not returned".
    """
    if not names:
        return read.department
    if read.department:
        return names.get(name_key(read.department), read.department)
    stem = name_key(Path(read.file).stem)
    matches = sorted((n for n in names if n and n in stem), key=len, reverse=True)
    return names[matches[0]] if matches else ""


def _copy_findings(reads: list[WorkbookRead], indexes: list[int], department: str) -> tuple[list[int], list[Finding]]:
    """Byte-identical files of one department: the first by path counts, each later copy gets a warning.

    Returns the indexes left (one per distinct content) and the warnings.
    """
    first_of: dict[str, int] = {}
    findings: list[Finding] = []
    for i in sorted(indexes, key=lambda i: reads[i].file):
        kept = first_of.setdefault(reads[i].sha256, i)
        if kept != i:
            findings.append(
                Finding(
                    code="F-COPY",
                    severity="warning",
                    file=reads[i].file,
                    department=department,
                    message=f"与 {reads[kept].file} 内容完全相同，已只计一份（汇总的是 {reads[kept].file}）；"
                    f"可把这份副本移出文件夹",
                    value=reads[i].file,
                    expected=reads[kept].file,
                )
            )
    return sorted(first_of.values()), findings


def _duplicate_findings(reads: list[WorkbookRead], departments: list[str]) -> tuple[set[int], set[int], list[Finding]]:
    """Two or more files for one department: (duplicated, copies, findings).

    Byte-identical copies are dropped with a warning and the first is merged; files that differ are an
    error on each, naming the newer one, and none of them is merged.
    """
    groups: dict[str, list[int]] = {}
    for i, (r, department) in enumerate(zip(reads, departments, strict=True)):
        if r.department:  # also files refused for their content: the clerk must say which one counts
            groups.setdefault(department, []).append(i)
    duplicated: set[int] = set()
    copies: set[int] = set()
    findings: list[Finding] = []
    for department, indexes in groups.items():
        if len(indexes) < 2:
            continue
        distinct, copy_findings = _copy_findings(reads, indexes, department)
        if len(distinct) < 2:
            copies.update(set(indexes) - set(distinct))
            findings += copy_findings
            continue
        duplicated.update(indexes)
        files = sorted((reads[i] for i in indexes), key=lambda r: (r.mtime, r.identity.date), reverse=True)
        newest = files[0]
        same = len({r.sha256 for r in files}) == 1
        listing = "；".join(
            f"{r.file}（修改时间 {_iso(r.mtime)}，填报日期 {r.identity.date or '未填'}）" for r in files
        )
        for r in files:
            note = "各份内容完全相同" if same else f"较新的是 {newest.file}"
            message = (
                f"「{department}」交了 {len(files)} 份工作簿：{listing}；{note}。"
                f"请确认以哪一份为准，把其余的移出文件夹后重新汇总（在此之前这些文件都不汇总）"
            )
            findings.append(
                Finding(
                    code="F-DUPLICATE",
                    severity="error",
                    message=message,
                    file=r.file,
                    department=department,
                    value=r.file,
                    expected=newest.file,
                    extra={"files": [x.file for x in files], "newest": newest.file},
                )
            )
    return duplicated, copies, findings


# -- merging -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LongRows:
    """The long provenance table of a merge, column by column (FRAME_COLUMNS): one row per department and number.

    Plain lists, so the merge, its files and an area's roll-up need no pandas; `frame` gives a DataFrame.
    """

    department: list[str]
    key: list[str]
    value: list[Any]  # Python ints and Decimals: exact sums, no float rounding
    file: list[str]
    sheet: list[str]
    cell: list[str]
    input: list[bool]
    # > 0 when the rows are runs of `width` rows, one run per department and file, every run with the same keys,
    # sheets, cells and inputs in the same order (as `build_rows` makes them): writers then work run by run.
    width: int = 0

    def __len__(self) -> int:
        return len(self.key)

    def rows(self) -> Iterator[tuple[str, str, Any, str, str, str, bool]]:
        """The rows as tuples in FRAME_COLUMNS order."""
        return zip(self.department, self.key, self.value, self.file, self.sheet, self.cell, self.input, strict=True)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, Any, str, str, str, bool]]) -> LongRows:
        columns = [list(c) for c in zip(*rows, strict=True)] or [[] for _ in FRAME_COLUMNS]
        department, key, value, file, sheet, cell, inputs = columns
        return cls(department, key, value, file, sheet, cell, inputs)

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        columns: dict[str, Any] = {c: getattr(self, c) for c in FRAME_COLUMNS}
        columns["value"] = pd.Series(self.value, dtype=object)
        return pd.DataFrame(columns, columns=list(FRAME_COLUMNS))


def build_rows(reads: Sequence[tuple[WorkbookRead, str]]) -> LongRows:
    """The long rows of the merged files: each file's numbers in the form's order, built column by column."""
    fields = FORM.numeric_fields
    keys = [f.key for f in fields]
    locations = [layout.location(k) for k in keys]
    n, width = len(reads), len(fields)
    zeros = [0] * width
    return LongRows(
        department=list(chain.from_iterable(repeat(d, width) for _r, d in reads)),
        key=keys * n,
        value=list(chain.from_iterable(map(r.values.get, keys, zeros) for r, _d in reads)),
        file=list(chain.from_iterable(repeat(r.file, width) for r, _d in reads)),
        sheet=[loc.sheet for loc in locations] * n,
        cell=[loc.cell for loc in locations] * n,
        input=[f.input for f in fields] * n,
        width=width,
    )


def build_frame(reads: Sequence[tuple[WorkbookRead, str]]) -> pd.DataFrame:
    """The long rows as a pandas DataFrame (for library users; nianbao itself works on `build_rows`)."""
    return build_rows(reads).to_frame()


def merged_values(rows: LongRows) -> dict[str, Number]:
    """Cell-wise sum of the inputs, then every total recomputed by the form (never summed totals)."""
    totals: dict[str, Any] = {}
    for key, value, is_input in zip(rows.key, rows.value, rows.input, strict=True):
        if is_input:
            totals[key] = totals[key] + value if key in totals else value
    return _with_totals(totals)


def _run_values(rows: LongRows) -> dict[str, Number]:
    """`merged_values` of rows made by `build_rows`: each input's column is a slice of the values, summed in C."""
    if not rows.width or not len(rows):
        return merged_values(rows)
    fields = FORM.numeric_fields
    return _with_totals({f.key: sum(rows.value[j :: rows.width]) for j, f in enumerate(fields) if f.input})


def _with_totals(totals: Mapping[str, Any]) -> dict[str, Number]:
    sums = {str(k): _exact(v) for k, v in totals.items()}
    values = FORM.compute_derived(sums)
    for key in FORM.input_numeric_keys:
        values.setdefault(key, sums.get(key, 0))
    return values


def _exact(value: Any) -> Number:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value.normalize()
    return int(value)


def merged_texts(reads: Sequence[tuple[WorkbookRead, str]]) -> dict[str, str]:
    """Narrative fields: every department's non-empty text in roster order, paragraphs kept.

    Report-information fields (issuer, contact, address…) are single facts of the body: the first
    non-empty value is taken rather than a concatenation.
    """
    out: dict[str, str] = {}
    for key in FORM.text_keys:
        pieces = [r.texts.get(key, "").strip() for r, _d in reads]
        pieces = [p for p in pieces if p]
        narrative = FORM.by_key[key].part in official.HEADINGS
        out[key] = "\n".join(pieces) if narrative else (pieces[0] if pieces else "")
    return out


ISSUER_KEY, ISSUER_LABEL = official.REPORT_INFO_TEXTS[0][:2]


def merged_issuer(reads: Sequence[tuple[WorkbookRead, str]]) -> tuple[str, Finding | None]:
    """落款机关: the spelling most departments gave (compared normalized), and a warning if they differ."""
    named = [(d, r.texts.get(ISSUER_KEY, "").strip()) for r, d in reads]
    named = [(d, s) for d, s in named if s]
    used = _majority_spelling(named)
    return used, spelling_finding(ISSUER_LABEL, ISSUER_KEY, named, used, "多数部门的写法")


def allowed_roster_names(allowed: Sequence[str], roster: Sequence[str] | None) -> list[str]:
    """The roster spellings of the departments knowingly left out; a name not on the roster is a usage error."""
    if not allowed:
        return []
    if roster is None:
        raise UsageError("--allow-missing 需要同时给出部门名单（--roster）")
    names = roster_index(roster) or {}
    unknown = [a for a in allowed if name_key(a) not in names]
    if unknown:
        raise UsageError(f"--allow-missing 中的部门不在部门名单中：{'、'.join(unknown)}（请按名单中的名称填写）")
    return list(dict.fromkeys(names[name_key(a)] for a in allowed))


def _missing_findings(status: Mapping[str, str]) -> list[Finding]:
    """A roster department that sent nothing, and was not knowingly left out, keeps the report from being final."""
    return [
        Finding(
            code="F-MISSING",
            severity="error",
            department=d,
            value=d,
            message=f"「{d}」未报送工作簿：请催报后重新汇总；如经同意不报送，汇总时用 --allow-missing {d} 注明",
        )
        for d, s in status.items()
        if s == "not_returned"
    ]


def _returned_anyway(allowed: Sequence[str], status: Mapping[str, str]) -> list[Finding]:
    """A department allowed to be missing that did send a file: its file counts, the allowance is dropped."""
    return [
        Finding(
            code="F-ALLOWED",
            severity="warning",
            department=d,
            value=d,
            message=f"「{d}」已交回工作簿（{DEPARTMENT_STATUS[status[d]]}），按已报送处理，"
            "不记为经同意不报送；请核对 --allow-missing 中的部门",
        )
        for d in allowed
        if status.get(d) != "allowed_missing"
    ]


def collection_date(reads: Iterable[WorkbookRead]) -> str:
    """The latest 填报日期 of the given workbooks (ISO), or "" when none gives a readable date."""
    days = []
    for text in {r.identity.date for r in reads}:  # most departments give one of a few dates: each parsed once
        try:
            days.append(parse_date(text))
        except ValueError:
            continue
    return max(days).isoformat() if days else ""


def merge_reads(
    reads: list[WorkbookRead],
    roster: list[str] | None = None,
    *,
    body: str | None = None,
    year: int | None = None,
    ignored: Sequence[str] = (),
    allowed_missing: Sequence[str] = (),
) -> MergeResult:
    """Cross-file checks and the merge, on files already read and checked one by one.

    The cross-file findings of one file (body, year, department, duplicates) are listed with its own findings
    (the reads given are not changed); those of the whole merge (spellings, departments not returned, the
    registered rules on the merged data) follow the files' findings.
    `allowed_missing` names roster departments knowingly left out (a UsageError if not on the roster).
    """
    roster = _display_roster(roster, reads)
    allowed = allowed_roster_names(allowed_missing, roster)
    names = roster_index(roster)
    departments = [department_of(r, names) for r in reads]
    body, year, identity_findings = _identity_findings(reads, body, year, roster)
    duplicated, copies, duplicate_findings = _duplicate_findings(reads, departments)
    overall: list[Finding] = []
    of_file: dict[str, list[Finding]] = {}
    for finding in (*identity_findings, *duplicate_findings):
        (of_file.setdefault(finding.file, []) if finding.file else overall).append(finding)
    reads = [
        dataclasses.replace(r, findings=[*r.findings, *of_file[r.file]]) if r.file in of_file else r for r in reads
    ]

    sources: list[SourceFile] = []
    merged: list[tuple[WorkbookRead, str]] = []
    seen: dict[str, str] = {}
    position = {d: i for i, d in enumerate(roster or [])}
    for i, (r, department) in enumerate(zip(reads, departments, strict=True)):
        status = "duplicate" if i in duplicated else ("rejected" if r.has_errors or not r.readable else "merged")
        status = "copy" if i in copies else status
        sources.append(SourceFile(r.file, r.sha256, department, status, r.mtime, r.identity.date, r.size))
        if status == "merged":
            merged.append((r, department))
        if department and status != "copy":  # a dropped copy says nothing the kept file does not
            on_roster = roster is None or department in position
            seen[department] = _worse(seen.get(department), status) if on_roster else "not_on_roster"
    merged.sort(key=lambda pair: (position.get(pair[1], len(position)), pair[1]))
    statuses = {d: "allowed_missing" if d in allowed else "not_returned" for d in roster or []}
    statuses.update(seen)
    ordered = {d: statuses[d] for d in sorted(statuses, key=lambda d: (position.get(d, len(position)), d))}
    overall += _returned_anyway(allowed, ordered)
    allowed = [d for d in allowed if ordered.get(d) == "allowed_missing"]
    rows = build_rows(merged)
    texts = merged_texts(merged)
    texts[ISSUER_KEY], issuer_spelling = merged_issuer(merged)
    overall += [*([issuer_spelling] if issuer_spelling else []), *_missing_findings(ordered)]
    result = MergeResult(
        body=body,
        year=year,
        values=_run_values(rows),
        texts=texts,
        departments=[d for _r, d in merged],
        sources=sources,
        findings=[*_attributed_findings(reads, sources), *overall],
        rows=rows,
        roster=roster,
        department_status=ordered,
        ignored=list(ignored),
        allowed_missing=allowed,
        date=collection_date(r for r, _d in merged),
    )
    if merged:  # the rules on the body's merged tables (plausibility: 规章 at a 街道, 元 typed as 万元 …)
        result.findings += run(Scope.MERGED, RuleInput(result.data))
    return result


def _attributed_findings(reads: list[WorkbookRead], sources: list[SourceFile]) -> list[Finding]:
    """All findings; those of a file refused before its cover was read get the department from its name."""
    out = []
    for read, source in zip(reads, sources, strict=True):
        for finding in read.findings:
            if not finding.department and source.department:
                finding = dataclasses.replace(finding, department=source.department)
            out.append(finding)
    return out


def _display_roster(roster: list[str] | None, reads: list[WorkbookRead]) -> list[str] | None:
    """Roster names as spelled on the covers (e.g. full-width brackets), matched across width and spaces."""
    if roster is None:
        return None
    spelled = {name_key(r.department): r.department for r in reads if r.department}
    return [spelled.get(name_key(name), name) for name in roster]


def _worse(previous: str | None, status: str) -> str:
    """A department's status from its files: a duplicate beats a rejection beats a merge."""
    order = ["merged", "rejected", "duplicate"]  # a dropped identical copy ("copy") is not counted
    return max(previous or "merged", status, key=order.index)


# -- the whole run -----------------------------------------------------------------------------------

# Below this many files a second process costs more (start-up, pickling) than it saves.
PARALLEL_MIN_FILES = 200
_CHUNK_FILES = 25  # files per task: small enough for a smooth progress bar, large enough to amortize IPC


# A file to read: a path on disk or an upload's bytes, with the name shown for it.
WorkbookItem = tuple[Path | Upload, str]


def _read_chunk(chunk: Sequence[WorkbookItem]) -> list[WorkbookRead]:
    """Read and check each file; an unforeseen error is that file's finding, the others are still read."""
    reads = []
    for source, name in chunk:
        try:
            reads.append(
                check_workbook(source, name)
                if isinstance(source, Path)
                else check_workbook_bytes(source.data, name, mtime=source.mtime)
            )
        except Exception as exc:  # noqa: BLE001 - one file's failure must not cost the whole merge
            reads.append(_crashed_item((source, name), f"程序内部错误 {type(exc).__name__}"))
    return reads


def default_jobs(files: int) -> int:
    """Worker processes for reading: one per core, but only when there are enough files to gain."""
    return parallel.default_jobs(files, minimum=PARALLEL_MIN_FILES, chunk_size=_CHUNK_FILES)


def read_items(
    items: Sequence[WorkbookItem],
    progress: parallel.Progress | None = None,
    jobs: int | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> list[WorkbookRead]:
    """Read and check every file (each opened, read and closed on its own), in order.

    While worker processes read, this process runs `meanwhile` if given.
    """
    jobs = default_jobs(len(items)) if jobs is None else max(1, jobs)
    return parallel.run_chunked(
        _read_chunk,
        items,
        jobs=jobs,
        chunk_size=_CHUNK_FILES,
        progress=progress,
        on_crash=_crashed_item,
        meanwhile=functools.partial(_prepare, meanwhile),
    )


def _prepare(then: Callable[[], object] | None) -> None:
    if then is not None:
        then()


def read_all(
    paths: Sequence[Path], directory: Path, progress: parallel.Progress | None = None, jobs: int | None = None
) -> list[WorkbookRead]:
    """`read_items` for files under `directory`, named relative to it."""
    return read_items([(p, p.relative_to(directory).as_posix()) for p in paths], progress, jobs)


def _crashed_item(item: WorkbookItem, reason: str) -> WorkbookRead:
    source, display = item
    if isinstance(source, Path):
        return crashed_read(source, display, reason)
    return crashed_bytes(source.data, display, reason)


def run_merge(
    directory: Path,
    roster: Path | Sequence[str] | None = None,
    *,
    progress: parallel.Progress | None = None,
    body: str | None = None,
    year: int | None = None,
    exclude: Sequence[Path] = (),
    jobs: int | None = None,
    allowed_missing: Sequence[str] = (),
    meanwhile: Callable[[], object] | None = None,
    found: Found | None = None,
) -> MergeResult:
    """Read every workbook under `directory`, check each, and merge those without errors.

    `body`/`year` fix what the files must say; by default the value most files agree on is used.
    `exclude` keeps an output folder inside `directory` from being read back. `jobs` is the number of
    reading processes (default: one per core when there are many files). The cross-year findings against
    last year's data are `pipeline.merge`'s, for a body's merge and an area's alike.
    `allowed_missing` names roster departments knowingly left out (checked against the roster first).
    `meanwhile` runs in this process while worker processes read (e.g. importing what writing needs).
    `found` is what a walk of `directory` with the same exclusions already found (`Found`), so that a
    caller who looked at the folder first does not make the merge walk it again.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise UsageError(f"找不到文件夹：{directory}")
    names = _load_roster(roster) if isinstance(roster, Path) else None if roster is None else list(roster)
    allowed_roster_names(allowed_missing, names)  # a name off the roster fails before any reading
    if found is None:
        links: list[Finding] = []
        skip = [*exclude, *([roster] if isinstance(roster, Path) else [])]
        paths, ignored = discover_files(directory, skip, links)
        found = Found(paths, ignored, links)
    paths, ignored, link_findings = found.books, found.ignored, list(found.links)
    if not paths:
        raise UsageError(f"文件夹 {directory} 中没有找到任何工作簿（.xlsx）")
    items: list[WorkbookItem] = [(p, p.relative_to(directory).as_posix()) for p in paths]
    result = merge_items(
        items,
        names,
        progress=progress,
        body=body,
        year=year,
        jobs=jobs,
        allowed_missing=allowed_missing,
        meanwhile=meanwhile,
        ignored=[p.relative_to(directory).as_posix() for p in ignored],
    )
    result.findings.extend(link_findings)
    return result


def merge_items(
    items: Sequence[WorkbookItem],
    roster: list[str] | None = None,
    *,
    progress: parallel.Progress | None = None,
    body: str | None = None,
    year: int | None = None,
    jobs: int | None = None,
    allowed_missing: Sequence[str] = (),
    ignored: Sequence[str] = (),
    meanwhile: Callable[[], object] | None = None,
) -> MergeResult:
    """Read, check and merge the given files (paths or uploads), each under the name given with it."""
    allowed_roster_names(allowed_missing, roster)
    reads = read_items(items, progress, jobs, meanwhile)
    return merge_reads(reads, roster, body=body, year=year, allowed_missing=allowed_missing, ignored=ignored)


def _load_roster(path: Path) -> list[str]:
    from .roster import read_roster

    return read_roster(path)
