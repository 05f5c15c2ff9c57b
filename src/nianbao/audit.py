"""Audit a published report against official-format.md §8: every rule that can be checked on the
published text and tables, plus last year's report when given.

The table rules are the form's own rule objects (`FORM.rules`), evaluated on the numbers *as printed*
(totals are not recomputed: a wrong printed total is exactly what an audit must find). Findings carry
the §8 rule ids as codes, the file, the table (`sheet`) and the row/column label (`cell`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import checks, parallel
from .crossyear import CROSSYEAR_CODES, compare
from .fileio import skipped_link_findings, walk_files
from .findings import Finding, codes
from .form import FORM, RULE_TITLES, CellRule, Severity, official
from .importer import labels as lb
from .importer.align import IMPORT_CODES
from .importer.published import SUFFIXES, ImportResult, import_or_error
from .importer.sections import strip_signature
from .numbers import plain

__all__ = ["AUDIT_CODES", "AuditReport", "audit_file", "audit_paths", "audit_result", "body_type",
           "collect_files", "rule_findings"]

AUDIT_CODES: dict[str, str] = {
    **RULE_TITLES,
    **codes("T2-2", "T2-4", "T3-7", "T4-3", "T4-4", "X1", "X2", "X3", "X4", "X5", "X6", "X8"),
    **CROSSYEAR_CODES,
    **IMPORT_CODES,
}

_FEE_AMOUNT_LIMIT = Decimal(10000)  # 万元; more at a 乡镇/街道 suggests 元 were entered
_T4_4_MINIMUM = 10


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
        return {"file": self.file, "body": self.body, "year": self.year, "errors": self.errors,
                "warnings": self.warnings, "findings": [f.to_dict() for f in self.findings]}


# -- table rules ------------------------------------------------------------------------------------


def rule_findings(values: Mapping[str, Any]) -> list[Finding]:
    """The form's rules on the numbers as printed (totals included); rules with an unread cell are skipped."""
    unread = frozenset(f.key for f in FORM.table_fields if f.key not in values)
    return [*_negative_findings(values),
            *checks.rule_findings(values, tainted=unread, places=checks.TABLES, printed_totals=True)]


def _negative_findings(values: Mapping[str, Any]) -> list[Finding]:
    out = []
    for rule in FORM.rules:
        if isinstance(rule, CellRule):
            for key in rule.keys:
                if key in values and values[key] < 0:
                    sheet, cell = checks.TABLES.where(key)
                    out.append(Finding(rule.code, rule.severity, f"{sheet}“{FORM.by_key[key].label}”为负数（{plain(values[key])}）。",
                                       sheet=sheet, cell=cell, key=key, value=plain(values[key])))
    return out


# -- plausibility rules -----------------------------------------------------------------------------
def body_type(name: str) -> str:
    """乡镇 / 街道 / 县级 / 其他, from the body's name (best effort)."""
    name = lb.squash(name)
    if re.search(r"街道(办事处)?$|街道$", name) or name.endswith("街道办事处"):
        return "街道"
    if re.search(r"(乡|镇)(人民政府)?$", name):
        return "乡镇"
    if re.search(r"(县|旗)(人民政府)?", name) or re.search(r"[^自治]区(人民政府)?", name.replace("自治区", "")):
        return "县级"
    return "其他"


def plausibility_findings(result: ImportResult, last: Mapping[str, Any] | None = None) -> list[Finding]:
    values = result.values
    out: list[Finding] = []
    kind = body_type(result.body)
    rules_row = official.T2_BLOCKS[0][2][0]  # 规章
    rules_keys = [f.key for f in FORM.table("t2").fields if f.key.startswith(f"t2.{rules_row.key}.")]
    nonzero = [k for k in rules_keys if (values.get(k) or 0) > 0]
    if kind in ("乡镇", "街道", "县级") and nonzero:
        out.append(Finding("T2-2", Severity.WARNING,
                           f"{result.body}（{kind}）没有规章制定权，表二“{rules_row.label}”一行应为0，报告中不为0。",
                           sheet="表二", cell=rules_row.label, key=nonzero[0], value=values[nonzero[0]]))
    fee_key = next(f.key for f in FORM.table("t2").fields if f.type.value == "decimal")
    fee = values.get(fee_key)
    if fee is not None and kind in ("乡镇", "街道") and Decimal(str(fee)) > _FEE_AMOUNT_LIMIT:
        out.append(Finding("T2-4", Severity.WARNING,
                           f"表二行政事业性收费 {plain(fee)} 万元，对{kind}而言偏大，请确认是否把“元”填成了“万元”。",
                           sheet="表二", cell=FORM.by_key[fee_key].row[-1], key=fee_key, value=plain(fee)))
    review, direct, after = (values.get(f"t4.{b}.total") for b, _ in official.T4_BLOCKS)
    last_review = (last or {}).get("values", {}).get(f"t4.{official.T4_BLOCKS[0][0]}.total") if last else None
    if after and review == 0 and (last is None or not last_review):
        scope = "本年和上年" if last is not None else "本年"
        out.append(Finding("T4-3", Severity.WARNING,
                           f"表四“复议后起诉”总计为{after}，但{scope}行政复议总计为0，请核实。",
                           sheet="表四", cell=official.T4_BLOCKS[2][1][-1], key=f"t4.{official.T4_BLOCKS[2][0]}.total"))
    new = values.get("t3.new.total")
    carried = values.get("t3.carried_over.total")
    if review is not None and direct is not None and after is not None and new is not None and carried is not None:
        cases = review + direct + after
        applications = new + carried
        if cases >= _T4_4_MINIMUM and cases > applications:
            out.append(Finding("T4-4", Severity.WARNING,
                               f"表四行政复议、行政诉讼共{cases}件，多于本年新收和上年结转的申请{applications}件，"
                               "可能计入了与政府信息公开无关的案件。", sheet="表四", cell="总计", value=cases, expected=applications))
    unpaid = values.get("t3.other_unpaid_fee.total")
    other = result.texts.get(official.OTHER_TEXT[0], "")
    if unpaid and "收费通知" not in other:
        out.append(Finding("T3-7", Severity.WARNING,
                           f"表三“（六）2”逾期未缴费{unpaid}件，但“六、其他需要报告的事项”没有写明发出的收费通知。",
                           sheet="六、其他需要报告的事项", key="t3.other_unpaid_fee.total", value=unpaid))
    return out


# -- structure: headings, labels, layout, fee statement, years ---------------------------------------
def heading_findings(result: ImportResult) -> list[Finding]:
    out: list[Finding] = []
    outline = result.outline
    for section in FORM.sections:
        hit = outline.hit(section.number)
        if hit is None:
            out.append(Finding("X1", Severity.ERROR, f"缺少“{section.heading}”部分。", sheet=section.heading))
        elif hit.problem == "numeral":
            out.append(Finding("X1", Severity.ERROR, f"标题“{hit.found}”缺少序号，应为“{section.heading}”。",
                               sheet=section.heading, value=hit.found, expected=section.heading))
        elif hit.problem in ("wording", lb.Deviation.SYNONYM.value, lb.Deviation.NUMBERING.value):
            out.append(Finding("X1", Severity.ERROR, f"标题“{hit.found}”与官方格式不一致，应为“{section.heading}”。",
                               sheet=section.heading, value=hit.found, expected=section.heading))
    order = [s.number for s in FORM.sections]
    found = [order.index(h.number) for h in outline.headings]
    if found != sorted(found):
        out.append(Finding("X1", Severity.ERROR, "六个部分的顺序与官方格式不一致：" + "、".join(h.found for h in outline.headings) + "。"))
    title = lb.squash(outline.title)
    if title and result.year and not title.endswith(f"{result.year}{official.TITLE_SUFFIX}"):
        out.append(Finding("X1", Severity.WARNING,
                           f"报告标题“{outline.title}”不规范，应为“{result.body or '<机关全称>'}{result.year}{official.TITLE_SUFFIX}”。",
                           sheet="标题", value=outline.title))
    return out


def label_findings(result: ImportResult) -> list[Finding]:
    out: list[Finding] = []
    for d in result.deviations:
        if d.kind is lb.Deviation.PUNCTUATION:
            continue
        severity = Severity.WARNING if d.kind is lb.Deviation.NUMBERING else Severity.ERROR
        out.append(Finding("X2", severity, f"{d.table}标签“{d.found}”与官方格式不一致，应为“{d.expected}”。",
                           sheet=d.table, cell=d.expected, key=d.key, value=d.found, expected=d.expected))
    return out


def layout_findings(result: ImportResult) -> list[Finding]:
    if not result.layout_2019 or (result.year is not None and result.year < 2021):
        return []
    return [Finding("X6", Severity.ERROR,
                    f"表二使用了2019年试行格式（{'、'.join(result.layout_2019)}），{result.year or '2021'}年度报告应使用"
                    f"{official.FORMAT_NAME}规定的格式。", sheet="表二", value="、".join(result.layout_2019))]


def fee_findings(result: ImportResult) -> list[Finding]:
    other = result.outline.section_text.get("六", "")
    subject = official.FEE_SUBJECT
    if subject in lb.squash(other):
        return []
    everywhere = "\n".join(result.outline.section_text.values())
    if subject in lb.squash(everywhere):
        return [Finding("X5", Severity.WARNING, f"{subject}的情况写在了其他部分，应写在“{official.HEADINGS[5]}”中。",
                        sheet=official.HEADINGS[5])]
    return [Finding("X5", Severity.ERROR, f"“{official.HEADINGS[5]}”没有说明{subject}收取情况（未收取也应写明）。",
                    sheet=official.HEADINGS[5])]


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
        text = "\n".join(line for line in o.section_text.get(section.number, "").split("\n")
                         if not _PAGE_CHROME.search(lb.squash(line)))
        if section.number == FORM.sections[-1].number:  # the signature closes the last section
            text = strip_signature(text, result.body)
        skip = _subheadings(section.heading)
        if any(lb.squash(line) and lb.squash(line) not in skip for line in text.split("\n")):
            continue
        out.append(Finding("X8", Severity.ERROR, f"“{section.heading}”只有标题，没有内容（这一部分必须有文字）。",
                           sheet=section.heading))
    return out


_YEAR_AS_THIS_YEAR = re.compile(r"(?<![较比与于自至从同])(20\d{2})年(?:度|，|,|全年|共|我|本)")


def year_findings(result: ImportResult) -> list[Finding]:
    """X4: the title, the statistics period and the narrative's "YYYY年度/YYYY年，我…" agree."""
    out: list[Finding] = []
    o = result.outline
    year = o.title_year or o.period_year
    if o.title_year and o.period_year and o.title_year != o.period_year:
        out.append(Finding("X4", Severity.WARNING,
                           f"标题的年度（{o.title_year}年）与统计期限（{o.period_year}年）不一致。",
                           sheet="标题", value=o.period_year, expected=o.title_year))
    if not year:
        return out
    narrative = "\n".join(x for x in (o.preamble, o.section_text.get("一", "")) if x)
    seen: set[int] = set()
    for match in _YEAR_AS_THIS_YEAR.finditer(lb.squash(narrative)):
        other = int(match.group(1))
        if other != year and other not in seen:
            seen.add(other)
            context = lb.squash(narrative)[max(0, match.start() - 8): match.end() + 12]
            out.append(Finding("X4", Severity.WARNING,
                               f"正文把“{other}年”当作本年度使用（“…{context}…”），本报告为{year}年度。",
                               sheet=official.HEADINGS[0], value=other, expected=year))
    return out


# -- X3: numbers stated in the narrative -------------------------------------------------------------
@dataclass(frozen=True)
class NarrativeClaim:
    """A pattern in the narrative that states a table number."""

    what: str  # in Chinese, for the message
    pattern: re.Pattern[str]
    keys: tuple[tuple[str, ...], ...]  # acceptable sums of cells (any one may match)
    table: str


def _p(regex: str) -> re.Pattern[str]:
    return re.compile(regex)


_N = r"(\d+)\s*件"
_GAP = r"[^。；;，,\d]{0,14}?"
_CLAIMS: tuple[NarrativeClaim, ...] = (
    NarrativeClaim("新收政府信息公开申请", _p(r"(?:新收|收到|受理|接收|接到)" + _GAP + r"申请" + r"[^。；;\d]{0,6}?" + _N),
                   (("t3.new.total",), ("t3.new.total", "t3.carried_over.total")), "表三"),
    NarrativeClaim("上年结转的申请", _p(r"上年(?:度)?(?:结转|转结)" + _GAP + _N), (("t3.carried_over.total",),), "表三"),
    NarrativeClaim("办结的申请", _p(r"(?:已|共|全部)?办结" + _GAP + _N), (("t3.concluded_total.total",),), "表三"),
    NarrativeClaim("结转下年度的申请", _p(r"(?:结转|转结|转)下(?:一)?年度?" + _GAP + _N), (("t3.carried_forward.total",),), "表三"),
    NarrativeClaim("行政复议", _p(r"行政复议" + _GAP + _N), (("t4.review.total",),), "表四"),
    NarrativeClaim("行政诉讼", _p(r"行政诉讼" + _GAP + _N), (("t4.suit_direct.total", "t4.suit_after_review.total"),), "表四"),
    NarrativeClaim("制发的行政规范性文件", _p(r"(?:制发|印发|出台|制定|发布)" + r"[^。；;，,\d]{0,6}?" + r"规范性文件" + _GAP + _N),
                   (("t2.normative_docs.issued",),), "表二"),
    NarrativeClaim("废止的行政规范性文件", _p(r"废止" + r"[^。；;，,\d]{0,6}?" + r"规范性文件" + _GAP + _N),
                   (("t2.normative_docs.repealed",),), "表二"),
    NarrativeClaim("现行有效的行政规范性文件", _p(r"规范性文件[^。；;\d]{0,10}?现行有效" + _GAP + _N),
                   (("t2.normative_docs.in_force",),), "表二"),
)
_NONE_CLAIMS: tuple[NarrativeClaim, ...] = (
    NarrativeClaim("政府信息公开申请", _p(r"(?:未|没有|无)(?:收到|受理|接到|发生)" + r"[^。；;\d]{0,10}?" + r"申请"),
                   (("t3.new.total",),), "表三"),
    NarrativeClaim("行政复议", _p(r"(?:未|没有|无)(?:发生|收到|被申请)?" + r"[^。；;\d]{0,12}?" + r"行政复议"), (("t4.review.total",),), "表四"),
    NarrativeClaim("行政诉讼", _p(r"(?:未|没有|无)(?:发生|被提起)?" + r"[^。；;\d]{0,16}?" + r"行政诉讼"),
                   (("t4.suit_direct.total", "t4.suit_after_review.total"),), "表四"),
)


def narrative_findings(result: ImportResult) -> list[Finding]:
    """X3 (best effort): numbers the narrative of 一 and 六 states, against the table cells."""
    out: list[Finding] = []
    o = result.outline
    values = result.values
    for number in ("一", "六"):
        text = lb.squash(lb.fold(o.section_text.get(number, "")))
        heading = next(s.heading for s in FORM.sections if s.number == number)
        for claim in _CLAIMS:
            for match in claim.pattern.finditer(text):
                stated = int(match.group(1))
                out.extend(_check_claim(claim, stated, match.group(0), values, heading))
        for claim in _NONE_CLAIMS:
            for match in claim.pattern.finditer(text):
                out.extend(_check_claim(claim, 0, match.group(0), values, heading))
    unique: dict[tuple[str, str], Finding] = {}
    for f in out:
        unique.setdefault((f.key, str(f.value)), f)
    return list(unique.values())


def _check_claim(claim: NarrativeClaim, stated: int, quote: str, values: Mapping[str, Any], heading: str) -> list[Finding]:
    sums = []
    for keys in claim.keys:
        if any(k not in values for k in keys):
            return []
        sums.append(sum(values[k] for k in keys))
    if stated in sums:
        return []
    return [Finding("X3", Severity.ERROR,
                    f"“{heading}”写“{quote}”，但{claim.table}中{claim.what}为{sums[0]}件。",
                    sheet=heading, cell=claim.what, key=claim.keys[0][0], value=stated, expected=sums[0])]


# -- putting it together ------------------------------------------------------------------------------
def audit_result(result: ImportResult, last: Mapping[str, Any] | None = None) -> list[Finding]:
    """Every finding for one imported report (optionally against last year's data)."""
    import dataclasses

    if any(p.code == "IM-1" and p.is_error for p in result.problems):  # the file itself could not be read
        return [dataclasses.replace(f, file=result.file) for f in result.problems]
    findings = [
        *result.problems,
        *heading_findings(result),
        *layout_findings(result),
        *label_findings(result),
        *rule_findings(result.values),
        *plausibility_findings(result, last),
        *narrative_findings(result),
        *year_findings(result),
        *fee_findings(result),
        *empty_section_findings(result),
    ]
    if last is not None:
        findings.extend(compare(result.to_json_dict(), last))
    return [dataclasses.replace(f, file=result.file, department=result.body) for f in findings]


def audit_file(path: Path, last: Mapping[str, Any] | None = None) -> AuditReport:
    result = import_or_error(Path(path))
    return AuditReport(Path(path).name, result, audit_result(result, last))


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


def audit_paths(paths: Sequence[Path], last: Mapping[str, Any] | None = None,
                on_done: Callable[[AuditReport], None] | None = None, *, jobs: int | None = None,
                progress: parallel.ProgressFactory | None = None) -> list[AuditReport]:
    """Audit every file, in order. Many files are spread over every core (`jobs` processes; by default one
    per core from PARALLEL_MIN_REPORTS files on), with `progress` counting them; `on_done(report)` is
    called for each report as it is done when the files are audited here, in this process."""
    items = [(Path(path), last) for path in paths]
    if jobs is None:
        jobs = parallel.default_jobs(len(items), minimum=PARALLEL_MIN_REPORTS, chunk_size=_CHUNK_REPORTS)
    if jobs > 1:
        reports = parallel.run_chunked(_audit_chunk, items, jobs=jobs, chunk_size=_CHUNK_REPORTS, progress=progress)
        if on_done:
            for report in reports:
                on_done(report)
        return reports
    reports = []
    for path, _last in items:
        report = audit_file(path, last)
        reports.append(report)
        if on_done:
            on_done(report)
    return reports


def _audit_chunk(chunk: Sequence[tuple[Path, Mapping[str, Any] | None]]) -> list[AuditReport]:
    return [audit_file(path, last) for path, last in chunk]
