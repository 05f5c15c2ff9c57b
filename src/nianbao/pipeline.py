"""The library pipeline: every operation the CLI offers, as functions that take paths or bytes and return typed results.

The CLI and the collection site are thin layers over these functions. Nothing here prints: progress is reported
through a callback `(what, done, total)`, with `what` a short Chinese label such as "读取工作簿"; findings and
outcomes are returned as data. Bad input raises `UsageError` with a Chinese message (the CLI's exit 2).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import parallel
from .errors import UsageError, in_file
from .fileio import Upload
from .findings import Finding, has_errors
from .merge import MergeResult, WorkbookItem
from .reader.xlsx import WorkbookRead

__all__ = [
    "BuildResult",
    "CheckResult",
    "CheckedFile",
    "Progress",
    "RenderOutcome",
    "Upload",
    "audit",
    "build",
    "check",
    "import_report",
    "merge",
    "render",
    "write_merge_outputs",
]

# (what is being done, in Chinese; items done; items in all)
Progress = Callable[[str, int, int], None]

READING = "读取工作簿"
AUDITING = "审核报告"
RENDERING = "生成报告"


def _stage(progress: Progress | None, what: str) -> parallel.Progress | None:
    if progress is None:
        return None
    return lambda done, total: progress(what, done, total)


def _name(source: Path | Upload) -> str:
    return str(source) if isinstance(source, Path) else source.name


# -- check ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckedFile:
    """One workbook checked on its own: its findings (cross-year ones included) and what was read."""

    file: str
    read: WorkbookRead
    findings: tuple[Finding, ...]

    @property
    def department(self) -> str:
        return self.read.department

    @property
    def has_errors(self) -> bool:
        return has_errors(list(self.findings))

    @property
    def verdict(self) -> str:
        """ "error", "warning" or "passed": what a clerk is told first."""
        if self.has_errors:
            return "error"
        return "warning" if any(f.severity == "warning" for f in self.findings) else "passed"


@dataclass(frozen=True)
class CheckResult:
    files: tuple[CheckedFile, ...]

    @property
    def findings(self) -> list[Finding]:
        return [f for checked in self.files for f in checked.findings]

    @property
    def has_errors(self) -> bool:
        return has_errors(self.findings)

    def findings_json(self) -> str:
        """Exactly what `nianbao check --json` prints."""
        from .outputs import findings_json

        return findings_json(self.findings)


def check(sources: Sequence[Path | Upload], *, last_year: Path | None = None) -> CheckResult:
    """Check workbooks one by one, without merging: what a department runs before sending its file.

    A path is named as given; an upload by its `name`. `last_year` adds the cross-year findings.
    """
    from .checks import check_workbook, check_workbook_bytes
    from .crossyear import compare_to_last, load_last_year

    paths = [s for s in sources if isinstance(s, Path)]
    folders = [str(p) for p in paths if p.is_dir()]
    if folders:
        raise UsageError(f"{'、'.join(folders)} 是文件夹，不是工作簿；检查整个文件夹请用 nianbao merge。")
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise UsageError(f"找不到文件：{'、'.join(missing)}")
    last = load_last_year(last_year) if last_year else None
    checked = []
    for source in sources:
        name = _name(source)
        read = (
            check_workbook(source, name)
            if isinstance(source, Path)
            else check_workbook_bytes(source.data, name, mtime=source.mtime)
        )
        findings = list(read.findings)
        if last is not None and read.readable:
            findings += compare_to_last(read.to_data(), last, file=name, department=read.department, locate=True)
        checked.append(CheckedFile(name, read, tuple(findings)))
    return CheckResult(tuple(checked))


# -- merge ------------------------------------------------------------------------------------------
def _roster_names(roster: Path | Sequence[str] | None) -> list[str] | None:
    if roster is None:
        return None
    if isinstance(roster, Path):
        from .roster import read_roster

        if not roster.is_file():
            raise UsageError(f"找不到部门名单：{roster}")
        return read_roster(roster)
    return list(roster)


def merge(
    source: Path | Sequence[WorkbookItem | Path | Upload],
    *,
    roster: Path | Sequence[str] | None = None,
    body: str | None = None,
    year: int | None = None,
    exclude: Sequence[Path] = (),
    jobs: int | None = None,
    last_year: Path | None = None,
    allowed_missing: Sequence[str] = (),
    progress: Progress | None = None,
) -> MergeResult:
    """Check and merge the returned workbooks: a folder (read recursively) or the files given.

    Files may be paths, uploads, or (path or upload, name shown) pairs; a site passes the accepted file of
    each department named after it. `roster` is a roster file or the department names themselves.
    `last_year` (last year's merged.json, workbook or published report) adds the cross-year findings.
    """
    from .crossyear import compare_to_last, load_last_year

    last = load_last_year(last_year) if last_year else None  # a bad file fails before any reading
    result = _merge_this_year(
        source,
        roster=roster,
        body=body,
        year=year,
        exclude=[*exclude, *([last_year] if last_year else [])],
        jobs=jobs,
        allowed_missing=allowed_missing,
        progress=progress,
    )
    if last is not None and last_year is not None:  # one comparison for a body's merge and an area's
        result.findings.extend(compare_to_last(result.data, last, file=last_year.name))
    return result


def _merge_this_year(
    source: Path | Sequence[WorkbookItem | Path | Upload],
    *,
    roster: Path | Sequence[str] | None,
    body: str | None,
    year: int | None,
    exclude: Sequence[Path],
    jobs: int | None,
    allowed_missing: Sequence[str],
    progress: Progress | None,
) -> MergeResult:
    """The merge of a folder (a body's, or an area's: see rollup.py) or of the files given."""
    from .merge import allowed_roster_names, merge_items, run_merge
    from .rollup import find_inputs, run_rollup

    if isinstance(source, Path):
        if isinstance(roster, Path) and not roster.is_file():
            raise UsageError(f"找不到部门名单：{roster}")
        found = None
        if source.is_dir():
            inputs = find_inputs(source, [*exclude, *([roster] if isinstance(roster, Path) else [])])
            if inputs.is_area:
                return run_rollup(
                    source,
                    inputs,
                    _roster_names(roster),
                    area=body,
                    year=year,
                    jobs=jobs,
                    allowed_missing=allowed_missing,
                    progress=_stage(progress, READING),
                )
            found = inputs.as_body  # the folder is walked once
        return run_merge(
            source,
            roster,
            progress=_stage(progress, READING),
            body=body,
            year=year,
            exclude=exclude,
            jobs=jobs,
            allowed_missing=allowed_missing,
            meanwhile=_import_outputs,
            found=found,
        )
    names = _roster_names(roster)
    allowed_roster_names(allowed_missing, names)
    items: list[WorkbookItem] = [s if isinstance(s, tuple) else (s, _name(s)) for s in source]
    if not items:
        raise UsageError("没有要汇总的工作簿。")
    return merge_items(
        items,
        names,
        progress=_stage(progress, READING),
        body=body,
        year=year,
        jobs=jobs,
        allowed_missing=allowed_missing,
        meanwhile=_import_outputs,
    )


def _import_outputs() -> None:
    """The output writers (openpyxl, ~0.2 s), imported while worker processes read the workbooks."""
    from . import outputs  # noqa: F401


def write_merge_outputs(result: MergeResult, outdir: Path) -> list[Path]:
    """merged.json, 汇总.xlsx and provenance.csv, each written atomically; their paths in that order."""
    from .outputs import write_outputs

    return write_outputs(result, outdir)


# -- render -----------------------------------------------------------------------------------------
@dataclass
class RenderOutcome:
    """A report rendered (or refused): the .docx (None when blocked), its PDF, and every finding."""

    docx: Path | None
    findings: list[Finding] = field(default_factory=list)
    pdf: Path | None = None
    template_refused: bool = False  # a user template that may not be used, draft or not
    template_summary: str = ""  # what the check of a user template found, for the user
    draft: bool = False

    @property
    def has_errors(self) -> bool:
        return has_errors(self.findings)


def _report_data(data: Mapping[str, Any] | Path | Upload) -> Mapping[str, Any]:
    from .fileio import read_json
    from .report.render import load_data

    if isinstance(data, Path):
        try:
            return load_data(data)
        except UsageError as exc:
            raise UsageError(in_file(data, str(exc))) from exc
    if isinstance(data, Upload):
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:  # one bounded JSON reader, for bytes too
            path = Path(tmp) / "data.json"
            path.write_bytes(data.data)
            loaded = read_json(path, what="")
        if not isinstance(loaded, dict):
            raise UsageError(f"{data.name} 的内容应为 JSON 对象（含 body、year、values、texts）。")
        return loaded
    return data


def checked_report(data: Mapping[str, Any] | Any, report_date: dt.date | None) -> tuple[Any, dt.date]:
    """The data read and checked, with its signature date (a UsageError when none is known) and its window."""
    from .report.context import CheckedReport, date_window_findings, read_report_data, signature_date

    report = data if isinstance(data, CheckedReport) else read_report_data(data)
    day = signature_date(report, report_date)
    report.findings += date_window_findings(report.year, day)
    return report, day


def render(
    data: Mapping[str, Any] | Path | Upload | Any,
    out: Path,
    *,
    template: Path | None = None,
    report_date: dt.date | None = None,
    draft: bool = False,
    pdf: bool = False,
    source_name: str = "",
) -> RenderOutcome:
    """Write the Word report of one merged.json-shaped data (a dict, a file, an upload or checked data).

    Errors in the data block the report unless `draft`; a refused user template blocks it always.
    Findings about the data name `source_name` (by default the data file).
    """
    from .report.context import CheckedReport

    if isinstance(data, CheckedReport):  # already read and checked (`build`), with its date window
        return _render_checked(
            data, report_date or signature_date_of(data), out, template=template, draft=draft, pdf=pdf
        )
    loaded = _report_data(data)
    name = source_name or (str(data) if isinstance(data, Path) else data.name if isinstance(data, Upload) else "")
    try:
        report, day = checked_report(loaded, report_date)
    except UsageError as exc:
        raise UsageError(in_file(name, str(exc)) if name else str(exc)) from exc
    if name:
        report.findings = [f if f.file else dataclasses.replace(f, file=name) for f in report.findings]
    return _render_checked(report, day, out, template=template, draft=draft, pdf=pdf)


def signature_date_of(report: Any) -> dt.date:
    from .report.context import signature_date

    return signature_date(report)


def _render_checked(
    report: Any, day: dt.date, out: Path, *, template: Path | None, draft: bool, pdf: bool
) -> RenderOutcome:
    from .report.render import render_report

    result = render_report(report, out, template=template, report_date=day, draft=draft)
    outcome = RenderOutcome(
        result.output,
        list(result.findings),
        draft=draft,
        template_summary=result.template_check.summary() if result.template_check else "",
    )
    outcome.template_refused = (
        result.output is None
        and result.template_check is not None
        and any(f.code == "R-TPL" and f.is_error for f in result.findings)
    )
    if pdf and result.output is not None:
        from .report.pdf import convert_to_pdf

        (outcome.pdf,) = convert_to_pdf([result.output], result.output.parent)
    return outcome


def render_many(
    sources: Sequence[Path],
    outdir: Path,
    *,
    template: Path | None = None,
    report_date: dt.date | None = None,
    draft: bool = False,
    jobs: int | None = None,
    pdf: bool = False,
    progress: Progress | None = None,
    html: bool = False,
    charts: bool = False,
) -> tuple[list[Any], list[Path]]:
    """One report per data file into `outdir` (on every core when there are many): (outcomes, PDFs made).

    `html` and `charts` give each report its web page and charts, made in the workers; PDFs are converted
    afterwards, so they hold the charts."""
    from .report.render import render_many as render_batch

    outcomes = render_batch(
        sources,
        outdir,
        template=template,
        report_date=report_date,
        draft=draft,
        jobs=jobs,
        progress=_stage(progress, RENDERING),
        html=html,
        charts=charts,
    )
    written = [o.output for o in outcomes if o.output is not None]
    pdfs: list[Path] = []
    if pdf and written:
        from .report.pdf import convert_to_pdf

        pdfs = convert_to_pdf(written, outdir)
    return outcomes, pdfs


# -- build ------------------------------------------------------------------------------------------
@dataclass
class BuildResult:
    """A merge, its outputs, and the report made from it (or why none was made)."""

    merge: MergeResult | None  # None when a user template was refused before merging
    outputs: list[Path] = field(default_factory=list)
    render: RenderOutcome | None = None
    findings: list[Finding] = field(default_factory=list)  # the merge's and the report data's
    blocked: str = ""  # "" when a report was written; else "template", "findings", "date" or "render"
    message: str = ""  # for "date": what to give

    @property
    def report(self) -> Path | None:
        return self.render.docx if self.render is not None else None

    @property
    def kind(self) -> str | None:
        """ "final", "draft" or None: as recorded in merged.json."""
        return self.merge.report if self.merge is not None else None


def build(
    source: Path | Sequence[WorkbookItem | Path | Upload],
    outdir: Path,
    *,
    roster: Path | Sequence[str] | None = None,
    template: Path | None = None,
    report_date: dt.date | None = None,
    draft: bool = False,
    pdf: bool = False,
    last_year: Path | None = None,
    allowed_missing: Sequence[str] = (),
    body: str | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Merge, write the merge outputs, then the report.

    A final report needs every roster department returned (or named in `allowed_missing`), no error in
    the merge and text in every mandatory section; otherwise only `draft` writes one (marked 草稿).
    merged.json records which report was written ("report": "final" / "draft" / null).
    """
    from .outputs import MERGED_JSON, write_merged_json
    from .report.render import report_filename, template_refusal

    if isinstance(source, Path) and not source.is_dir():
        raise UsageError(f"找不到文件夹：{source}")
    if template is not None:
        refused = template_refusal(template)
        if refused:  # checked before the merge, so a refused template leaves no outputs behind
            return BuildResult(None, findings=refused, blocked="template")
    # The roster and earlier outputs may sit inside the folder: never read them as workbooks.
    exclude = [p for p in (roster if isinstance(roster, Path) else None, outdir) if p is not None]
    result = merge(
        source,
        roster=roster,
        body=body,
        exclude=exclude,
        last_year=last_year,
        allowed_missing=allowed_missing,
        progress=progress,
    )
    data = result.to_json_dict()
    report, day = None, None
    if draft or not result.has_errors:
        try:
            report, day = checked_report(data, report_date)
        except UsageError as exc:  # no signature date known: the merge outputs are still written
            return BuildResult(
                result,
                write_merge_outputs(result, outdir),
                findings=list(result.findings),
                blocked="date",
                message=str(exc),
            )
    writable = report is not None and (draft or not has_errors(report.findings))
    result.report = ("draft" if draft else "final") if writable else None
    outputs = write_merge_outputs(result, outdir)
    findings = [*result.findings, *(report.findings if report is not None else [])]
    if report is None or day is None or not writable:
        return BuildResult(result, outputs, findings=findings, blocked="findings")
    out = outdir / report_filename(data["body"], data["year"])
    outcome = _render_checked(report, day, out, template=template, draft=draft, pdf=pdf)
    if outcome.docx is None:
        result.report = None  # e.g. a user template that cannot be filled: merged.json must not claim a report
        write_merged_json(result, outdir / MERGED_JSON)
        return BuildResult(result, outputs, outcome, list(result.findings), blocked="render")
    return BuildResult(result, outputs, outcome, list(result.findings))


# -- import and audit -------------------------------------------------------------------------------
def _as_path(source: Path | Upload, tmp: Path) -> Path:
    if isinstance(source, Path):
        return source
    # Only the last part of the name, printable: the readers name the file in their messages.
    safe = "".join(ch for ch in Path(source.name.replace("\\", "/")).name if ch.isprintable()).lstrip(".")
    path = tmp / (safe or "report")
    path.write_bytes(source.data)
    return path


def import_report(source: Path | Upload) -> dict[str, Any]:
    """A published report (.docx, .html, .pdf, .txt) as merged.json-shaped data, plus `problems`."""
    import tempfile

    from .importer import import_report as read_report

    if isinstance(source, Path):
        return read_report(source)
    with tempfile.TemporaryDirectory() as tmp:  # the readers open files (pdftotext runs on a path)
        return read_report(_as_path(source, Path(tmp)))


def audit(
    sources: Sequence[Path | Upload], *, last_year: Path | None = None, progress: Progress | None = None
) -> list[Any]:
    """Audit published reports against the official format; one `AuditReport` per report, in order."""
    import tempfile

    from .audit import audit_paths, load_last_for_audit

    last, last_problems = load_last_for_audit(last_year) if last_year else (None, [])
    with tempfile.TemporaryDirectory() as tmp:
        paths = [_as_path(s, Path(tmp)) for s in sources]
        return audit_paths(paths, last, last_problems=last_problems, progress=_stage(progress, AUDITING))
