"""Audit a published report against the 2021 format (国办公开办函〔2021〕30号): every rule that can be checked on the
published text and tables, plus last year's report when given.

The rules on the data come from the registry (`nianbao.rules`, scope "published"): the form's table rules on the
numbers *as printed* (totals are not recomputed: a wrong printed total is exactly what an audit must find), the
plausibility rules and X3 on the narrative as printed. The checks of the printed layout (X1, X2, X4–X6, X8) are here. Findings carry
the rule ids of docs/codes.md as codes, the file, the table (`sheet`) and the row/column label (`cell`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import parallel
from .crossyear import CROSSYEAR_CODES, compare, load_last_year
from .data import ReportData
from .errors import UsageError
from .fileio import skipped_link_findings, walk_files
from .findings import Finding, codes
from .form import FORM, RULE_TITLES, Severity, official
from .importer import labels as lb
from .importer.align import IMPORT_CODES
from .importer.published import SUFFIXES, ImportResult, import_or_error
from .importer.sections import strip_signature
from .numbers import Number
from .rules import RuleInput, Scope, run

__all__ = [
    "AUDIT_CODES",
    "AuditReport",
    "audit_file",
    "audit_paths",
    "audit_result",
    "collect_files",
    "load_last_for_audit",
    "rule_findings",
]

AUDIT_CODES: dict[str, str] = {
    **RULE_TITLES,
    **codes("T2-2", "T2-4", "T3-7", "T4-3", "T4-4", "X1", "X2", "X3", "X4", "X5", "X6", "X8", "C-LAST"),
    **CROSSYEAR_CODES,
    **IMPORT_CODES,
}


@dataclass
class AuditReport:
    """One audited report: what was read and what was found."""

    file: str
    imported: ImportResult
    findings: list[Finding] = field(default_factory=list)

    @property
    def body(self) -> str:
        return self.imported.body

    @property
    def year(self) -> int | None:
        return self.imported.year

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == Severity.WARNING)

    @property
    def has_errors(self) -> bool:
        return self.errors > 0

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "body": self.body,
            "year": self.year,
            "errors": self.errors,
            "warnings": self.warnings,
            "findings": [f.to_dict() for f in self.findings],
        }


# -- table rules ------------------------------------------------------------------------------------


_TABLE_CODES = frozenset(rule.code for rule in FORM.rules)


def _unread(values: Mapping[str, Number]) -> frozenset[str]:
    return frozenset(f.key for f in FORM.table_fields if f.key not in values)


def rule_findings(values: Mapping[str, Number]) -> list[Finding]:
    """The form's rules on the numbers as printed (totals included); rules with an unread cell are skipped."""
    given = RuleInput(ReportData("", None, values), printed_totals=True, tainted=_unread(values))
    return run(Scope.PUBLISHED, given, only=_TABLE_CODES)


# -- structure: headings, labels, layout, fee statement, years ---------------------------------------
def heading_findings(result: ImportResult) -> list[Finding]:
    out: list[Finding] = []
    outline = result.outline
    for section in FORM.sections:
        hit = outline.hit(section.number)
        if hit is None:
            out.append(Finding("X1", Severity.ERROR, f"缺少“{section.heading}”部分。", sheet=section.heading))
        elif hit.problem == "numeral":
            out.append(
                Finding(
                    "X1",
                    Severity.ERROR,
                    f"标题“{hit.found}”缺少序号，应为“{section.heading}”。",
                    sheet=section.heading,
                    value=hit.found,
                    expected=section.heading,
                )
            )
        elif hit.problem in ("wording", lb.Deviation.SYNONYM.value, lb.Deviation.NUMBERING.value):
            out.append(
                Finding(
                    "X1",
                    Severity.ERROR,
                    f"标题“{hit.found}”与官方格式不一致，应为“{section.heading}”。",
                    sheet=section.heading,
                    value=hit.found,
                    expected=section.heading,
                )
            )
    order = [s.number for s in FORM.sections]
    found = [order.index(h.number) for h in outline.headings]
    if found != sorted(found):
        out.append(
            Finding(
                "X1",
                Severity.ERROR,
                "六个部分的顺序与官方格式不一致：" + "、".join(h.found for h in outline.headings) + "。",
            )
        )
    title = lb.squash(outline.title)
    if title and result.year and not title.endswith(f"{result.year}{official.TITLE_SUFFIX}"):
        out.append(
            Finding(
                "X1",
                Severity.WARNING,
                f"报告标题“{outline.title}”不规范，应为“{result.body or '<机关全称>'}{result.year}{official.TITLE_SUFFIX}”。",
                sheet="标题",
                value=outline.title,
            )
        )
    return out


def label_findings(result: ImportResult) -> list[Finding]:
    out: list[Finding] = []
    for d in result.deviations:
        if d.kind is lb.Deviation.PUNCTUATION:
            continue
        severity = Severity.WARNING if d.kind is lb.Deviation.NUMBERING else Severity.ERROR
        out.append(
            Finding(
                "X2",
                severity,
                f"{d.table}标签“{d.found}”与官方格式不一致，应为“{d.expected}”。",
                sheet=d.table,
                cell=d.expected,
                key=d.key,
                value=d.found,
                expected=d.expected,
            )
        )
    return out


def layout_findings(result: ImportResult) -> list[Finding]:
    if not result.layout_2019:
        return []
    if result.year is not None and result.year < 2021:  # the trial format was the one in force then
        return [
            Finding(
                "X6",
                Severity.INFO,
                f"本报告使用2019年试行格式（{official.FORMAT_2019_NAME}），为{result.year}年度适用的格式；"
                "表二按旧格式读取，不与2021年格式的表二比较。",
                sheet="表二",
                value="、".join(result.layout_2019),
            )
        ]
    return [
        Finding(
            "X6",
            Severity.ERROR,
            f"表二使用了2019年试行格式（{'、'.join(result.layout_2019)}），{result.year or '2021'}年度报告应使用"
            f"{official.FORMAT_NAME}规定的格式。",
            sheet="表二",
            value="、".join(result.layout_2019),
        )
    ]


def fee_findings(result: ImportResult) -> list[Finding]:
    other = result.outline.section_text.get("六", "")
    subject = official.FEE_SUBJECT
    if subject in lb.squash(other):
        return []
    everywhere = "\n".join(result.outline.section_text.values())
    if subject in lb.squash(everywhere):
        return [
            Finding(
                "X5",
                Severity.WARNING,
                f"{subject}的情况写在了其他部分，应写在“{official.HEADINGS[5]}”中。",
                sheet=official.HEADINGS[5],
            )
        ]
    return [
        Finding(
            "X5",
            Severity.ERROR,
            f"“{official.HEADINGS[5]}”没有说明{subject}收取情况（未收取也应写明）。",
            sheet=official.HEADINGS[5],
        )
    ]


# A web page's footer (site owner, ICP record) lands after the last section of an imported page: not content.
_PAGE_CHROME = re.compile(r"ICP备|备案号|版权所有|主办单位|承办单位|技术支持|网站标识码")


def _subheadings(heading: str) -> set[str]:
    """The printed sub-headings of a section (（一）主动公开 …): a line that is only one of them is no content."""
    return {lb.squash(f.row[0]) for f in FORM.texts if f.part == heading and f.row}


def empty_section_findings(result: ImportResult) -> list[Finding]:
    """X8: a mandatory section that is printed but has only its heading (and sub-headings, or the signature)."""
    out: list[Finding] = []
    o = result.outline
    for section in FORM.sections:
        if not section.mandatory or o.hit(section.number) is None:  # a missing heading is X1's
            continue
        text = "\n".join(
            line
            for line in o.section_text.get(section.number, "").split("\n")
            if not _PAGE_CHROME.search(lb.squash(line))
        )
        if section.number == FORM.sections[-1].number:  # the signature closes the last section
            text = strip_signature(text, result.body)
        skip = _subheadings(section.heading)
        if any(lb.squash(line) and lb.squash(line) not in skip for line in text.split("\n")):
            continue
        out.append(
            Finding(
                "X8",
                Severity.ERROR,
                f"“{section.heading}”只有标题，没有内容（这一部分必须有文字）。",
                sheet=section.heading,
            )
        )
    return out


_YEAR_AS_THIS_YEAR = re.compile(r"(?<![较比与于自至从同])(20\d{2})年(?:度|，|,|全年|共|我|本)")


def year_findings(result: ImportResult) -> list[Finding]:
    """X4: the title, the statistics period and the narrative's "YYYY年度/YYYY年，我…" agree."""
    out: list[Finding] = []
    o = result.outline
    year = o.title_year or o.period_year
    if o.title_year and o.period_year and o.title_year != o.period_year:
        out.append(
            Finding(
                "X4",
                Severity.WARNING,
                f"标题的年度（{o.title_year}年）与统计期限（{o.period_year}年）不一致。",
                sheet="标题",
                value=o.period_year,
                expected=o.title_year,
            )
        )
    if not year:
        return out
    narrative = "\n".join(x for x in (o.preamble, o.section_text.get("一", "")) if x)
    seen: set[int] = set()
    for match in _YEAR_AS_THIS_YEAR.finditer(lb.squash(narrative)):
        other = int(match.group(1))
        if other != year and other not in seen:
            seen.add(other)
            context = lb.squash(narrative)[max(0, match.start() - 8) : match.end() + 12]
            out.append(
                Finding(
                    "X4",
                    Severity.WARNING,
                    f"正文把“{other}年”当作本年度使用（“…{context}…”），本报告为{year}年度。",
                    sheet=official.HEADINGS[0],
                    value=other,
                    expected=year,
                )
            )
    return out


# -- putting it together ------------------------------------------------------------------------------
def _given(result: ImportResult, last: ReportData | None) -> RuleInput:
    """What the registered rules look at: the numbers and the narrative as printed."""
    sections = {s.heading: result.outline.section_text.get(s.number, "") for s in FORM.sections}
    return RuleInput(
        result.data,
        last,
        sections=sections,
        printed_totals=True,
        tainted=_unread(result.values),
        last_name=f"{last.year}年报告" if last is not None and last.year else "上年报告",
    )


def audit_result(result: ImportResult, last: ReportData | None = None) -> list[Finding]:
    """Every finding for one imported report (optionally against last year's data)."""
    if any(p.code == "IM-1" and p.is_error for p in result.problems):  # the file itself could not be read
        return [dataclasses.replace(f, file=result.file) for f in result.problems]
    findings = [
        *result.problems,
        *heading_findings(result),
        *layout_findings(result),
        *label_findings(result),
        *run(Scope.PUBLISHED, _given(result, last)),
        *year_findings(result),
        *fee_findings(result),
        *empty_section_findings(result),
    ]
    if last is not None:
        findings.extend(compare(result.data, last))
    return [dataclasses.replace(f, file=result.file, department=result.body) for f in findings]


def load_last_for_audit(path: Path) -> tuple[ReportData | None, list[Finding]]:
    """Last year's data for the cross-year checks, and what could not be read of it.

    A published last-year report without readable tables (a scan, a page of links, a broken file) must
    not stop the audit of this year's reports: it becomes a C-LAST warning on each of them, and the checks
    that need it are skipped. A path that does not exist, or a bad merged.json or workbook (nianbao's own
    data, so the wrong file was given), still stops the audit with a usage error.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"找不到上年报告文件：{path}")
    try:
        last = load_last_year(path)
    except UsageError as exc:
        if path.suffix.lower() not in SUFFIXES:
            raise
        reason = str(exc).rstrip("。")
        reason = reason if reason.startswith("上年") else f"上年报告 {reason}"
        return None, [
            Finding(
                "C-LAST",
                Severity.WARNING,
                f"{reason}；本年报告照常审核，上年结转、现行有效件数等跨年度核对未做。",
                sheet="上年报告",
                value=path.name,
            )
        ]
    missing = [t for t in FORM.tables if not any(f.key in last.values for f in t.fields)]
    if not missing:
        return last, []
    names = "、".join(t.name for t in missing)
    return last, [
        Finding(
            "C-LAST",
            Severity.WARNING,
            f"上年报告 {path.name} 中读不出{names}（如表格缺失，或使用2019年试行格式），与{names}有关的跨年度核对未做。",
            sheet="上年报告",
            value=path.name,
        )
    ]


def audit_file(path: Path, last: ReportData | None = None, last_problems: Sequence[Finding] = ()) -> AuditReport:
    result = import_or_error(Path(path))
    findings = audit_result(result, last)
    if not any(p.code == "IM-1" for p in result.problems):
        findings += [dataclasses.replace(f, file=result.file, department=result.body) for f in last_problems]
    return AuditReport(Path(path).name, result, findings)


def collect_files(target: Path, findings: list[Finding] | None = None) -> list[Path]:
    """The report files in a folder (sorted, hidden and temporary files skipped), or the one file.

    Symbolic links are followed only inside the folder, never twice to one file; a link out of it (or a
    broken one) is skipped with an F-SYMLINK warning appended to `findings`.
    """
    target = Path(target)
    if target.is_file():
        return [target]
    files, skipped = walk_files(target)
    if findings is not None:
        findings += skipped_link_findings(skipped, target)
    return [p for p in files if p.suffix.lower() in SUFFIXES and not p.name.startswith((".", "~$"))]


# Below this many reports a second process costs more (start-up) than it saves; a chunk is a few reports.
PARALLEL_MIN_REPORTS = 8
_CHUNK_REPORTS = 4


def audit_paths(
    paths: Sequence[Path],
    last: ReportData | None = None,
    on_done: Callable[[AuditReport], None] | None = None,
    *,
    last_problems: Sequence[Finding] = (),
    jobs: int | None = None,
    progress: parallel.Progress | None = None,
) -> list[AuditReport]:
    """Audit every file, in order. Many files are spread over every core (`jobs` processes; by default one
    per core from PARALLEL_MIN_REPORTS files on), with `progress(done, total)` counting them; `on_done(report)`
    is called for each report in order."""
    items = [(Path(path), last, tuple(last_problems)) for path in paths]
    if jobs is None:
        jobs = parallel.default_jobs(len(items), minimum=PARALLEL_MIN_REPORTS, chunk_size=_CHUNK_REPORTS)
    reports = parallel.run_chunked(_audit_chunk, items, jobs=jobs, chunk_size=_CHUNK_REPORTS, progress=progress)
    if on_done:
        for report in reports:
            on_done(report)
    return reports


def _audit_chunk(chunk: Sequence[tuple[Path, ReportData | None, tuple[Finding, ...]]]) -> list[AuditReport]:
    return [audit_file(path, last, problems) for path, last, problems in chunk]
