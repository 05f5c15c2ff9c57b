"""The report's other editions beside the Word file: the web page (`--html`) and the charts (`--charts`).

One call after the Word report is written: the charts are drawn once and go into the page (SVG), into the
Word report right after its last table (PNG, with alt text and a caption), and, for a merge, into 汇总.xlsx.
Missing matplotlib or Chinese fonts never stop a report: the editions are made without charts and a note
says what to install.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Mm

from ..charts import Chart, ChartsUnavailable, chart_png, report_charts
from ..data import ReportData
from ..fileio import write_bytes_atomic
from ..form import report_text
from .context import CheckedReport
from .html import render_html

__all__ = [
    "Editions",
    "add_charts_to_docx",
    "build_editions",
    "charts_for",
    "html_path",
    "render_editions",
    "write_editions",
]

_CHART_WIDTH_MM = 150  # within the 156 mm text block


@dataclass
class Editions:
    html: Path | None = None
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # why something was left out (shown as warnings)


def html_path(docx_path: Path) -> Path:
    return docx_path.with_suffix(".html")


def charts_for(
    report: CheckedReport,
    *,
    last: Mapping[str, Any] | None = None,
    bodies: Mapping[str, Mapping[str, Any]] | None = None,
    notes: list[str] | None = None,
) -> list[Chart]:
    """The report's charts; none (and a note) when they cannot be drawn on this computer."""
    charts = report_charts(report.values, year=report.year, last=last, bodies=bodies)
    try:
        from ..charts import cjk_font

        cjk_font()
    except ChartsUnavailable as exc:
        if notes is not None:
            notes.append(str(exc))
        return []
    return charts


def add_charts_to_docx(path: Path, charts: Sequence[Chart]) -> None:
    """Each chart as a centred picture (alt text = its summary) and a caption, right after the last table."""
    if not charts:
        return
    doc = Document(str(path))
    anchor: BaseOxmlElement | None = doc.tables[-1]._tbl if doc.tables else None
    for chart in charts:
        picture = doc.add_paragraph(style=report_text.STYLE_BODY)
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.paragraph_format.first_line_indent = 0
        picture.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE  # the body's exact spacing clips it
        picture.paragraph_format.keep_with_next = True  # the caption stays on the picture's page
        picture.add_run().add_picture(io.BytesIO(chart_png(chart)), width=Mm(_CHART_WIDTH_MM))
        for doc_pr in picture._p.iter(qn("wp:docPr")):
            doc_pr.set("title", chart.title)
            doc_pr.set("descr", chart.summary)
        caption = doc.add_paragraph(f"图：{chart.title}。{chart.summary}", style=report_text.STYLE_TABLE)
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for paragraph in (picture, caption):
            if anchor is not None:
                anchor.addnext(paragraph._p)
                anchor = paragraph._p
    buffer = io.BytesIO()
    doc.save(buffer)
    write_bytes_atomic(path, buffer.getvalue())


def _last_year(last: ReportData | Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """Last year's data as the charts take it: {"year", "values"}."""
    if last is None or isinstance(last, Mapping):
        return last
    return {"year": last.year, "values": dict(last.values)}


def write_editions(
    report: CheckedReport,
    day: dt.date,
    docx_path: Path,
    *,
    html: bool,
    charts: bool,
    draft: bool,
    last: ReportData | Mapping[str, Any] | None = None,
    bodies: Mapping[str, Mapping[str, Any]] | None = None,
) -> Editions:
    """The page beside `docx_path` (same name, .html) and/or the charts in the Word report."""
    out = Editions()
    if html or charts:
        out.charts = charts_for(report, last=_last_year(last), bodies=bodies, notes=out.notes)
    if (html or charts) and not out.charts and not out.notes:
        out.notes.append("没有可画的图解：本年度没有办结的申请，也没有上年数据或多个部门可以对比。")
    if charts:
        add_charts_to_docx(docx_path, out.charts)
    if html:
        out.html = render_html(report, html_path(docx_path), day, draft=draft, charts=out.charts).output
    return out


def build_editions(
    outdir: Path,
    docx_path: Path,
    *,
    html: bool,
    charts: bool,
    draft: bool,
    report_date: dt.date | None = None,
    last_year: Path | None = None,
) -> Editions:
    """`build --html/--charts`: the editions from what the merge wrote (merged.json, provenance.csv), and
    with `charts` the 图解 sheet of 汇总.xlsx; the departments are the bodies shown side by side."""
    from ..charts import department_values
    from ..crossyear import load_last_year
    from ..data import AREA_BODY_TYPE
    from ..outputs import MERGED_JSON, SUMMARY_XLSX, add_charts_sheet, read_provenance
    from .context import read_report_data, signature_date
    from .render import load_data

    data = load_data(outdir / MERGED_JSON)
    report = read_report_data(data)
    day = signature_date(report, report_date)
    rows = [(r["department"], r["key"], r["value"]) for r in read_provenance(outdir)]
    last = load_last_year(last_year) if last_year is not None else None
    area = data.get("body_type") == AREA_BODY_TYPE  # an area's bodies side by side, not their departments
    editions = write_editions(
        report,
        day,
        docx_path,
        html=html,
        charts=charts,
        draft=draft,
        last=last,
        bodies=department_values(rows, by_body=area),
    )
    if charts:
        add_charts_sheet(outdir / SUMMARY_XLSX, editions.charts)
    return editions


def render_editions(
    source: Path,
    docx_path: Path,
    *,
    html: bool,
    charts: bool,
    draft: bool,
    report_date: dt.date | None = None,
    last: ReportData | Mapping[str, Any] | None = None,
) -> Editions:
    """`render --html/--charts`: the editions of the report just rendered from `source` (a merged.json)."""
    from .context import read_report_data, signature_date
    from .render import load_data

    report = read_report_data(load_data(source))
    return write_editions(
        report, signature_date(report, report_date), docx_path, html=html, charts=charts, draft=draft, last=last
    )
