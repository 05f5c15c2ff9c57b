"""The report as one standalone, accessible web page (`render --html`, `build --html`).

The page is rendered from the same checked data and context as the Word report: the section headings and
fixed sentences come from the form and the template builder, the three tables from each table's layout grid
(merged cells become rowspan/colspan; every data cell names its row and column headers through `headers`,
so a screen reader reads each number with its labels). The data itself is embedded as JSON in the shape of
merged.json, so `nianbao import` reads the page back exactly. No external asset: styles are inline and the
charts are SVG data URIs.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, select_autoescape
from markupsafe import Markup

from ..charts import Chart, chart_svg
from ..errors import NianbaoError
from ..fileio import write_text_atomic
from ..findings import Finding, has_errors
from ..form import FORM, FieldType, GridCell, Table, official
from ..importer.embedded import DATA_ELEMENT_ID
from ..numbers import jsonable
from . import names
from .context import CheckedReport, build_context, format_value, paragraphs
from .outline import subheadings_shown
from .template_builder import opening_parts

__all__ = ["HtmlResult", "embedded_json", "page_html", "render_html", "table_rows"]

PAGE_TEMPLATE = "report.html.j2"
CHARTS_HEADING = "图解"
_PHONE_COLUMNS = 5  # a table with more columns scrolls sideways on a phone


# -- tables ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HtmlCell:
    tag: str  # "th" or "td"
    text: str
    rowspan: int = 1
    colspan: int = 1
    scope: str = ""  # th only: col, colgroup, row, rowgroup
    id: str = ""
    headers: str = ""  # td only: the ids of every header cell that labels it
    css: str = ""
    key: str = ""  # td only: the form's key of the number (data-key, for scripts and tests)


@dataclass(frozen=True)
class HtmlRowGroup:
    """A <thead> or <tbody> with its rows."""

    tag: str
    rows: tuple[tuple[HtmlCell, ...], ...]


def _cell_id(table: Table, cell: GridCell) -> str:
    return f"{table.key}-r{cell.row}c{cell.col}"


def _value_rows(table: Table) -> frozenset[int]:
    return frozenset(c.row for c in table.value_cells())


def _header_band(table: Table, row: int) -> frozenset[int]:
    """The header rows right above the block of value rows that `row` belongs to (表二 has four blocks)."""
    values = _value_rows(table)
    r = row
    while r > 0 and r - 1 in values:
        r -= 1
    band = set()
    while r > 0 and r - 1 not in values:
        r -= 1
        band.add(r)
    return frozenset(band)


def _overlaps(a: GridCell, b: GridCell) -> bool:
    return a.col < b.col + b.colspan and b.col < a.col + a.colspan


def header_cells(table: Table, value: GridCell) -> list[GridCell]:
    """The header cells that label a value cell: column headers of its band above it, row labels to its left."""
    band = _header_band(table, value.row)
    columns = [c for c in table.grid if c.kind == "header" and c.row in band and _overlaps(c, value)]
    rows = [c for c in table.grid if c.kind == "label" and c.col < value.col and c.row <= value.row < c.row + c.rowspan]
    return sorted(rows, key=lambda c: c.col) + sorted(columns, key=lambda c: c.row)


def _html_cell(table: Table, cell: GridCell, values: Mapping[str, Any]) -> HtmlCell:
    if cell.kind == "value":
        key = cell.key or ""
        field = FORM.by_key[key]
        headers = " ".join(_cell_id(table, h) for h in header_cells(table, cell))
        css = "num" + ("" if field.input else " total") + (" amount" if field.type is FieldType.DECIMAL else "")
        return HtmlCell(
            "td", format_value(key, values[key]), cell.rowspan, cell.colspan, headers=headers, css=css, key=key
        )
    if cell.kind == "note":
        return HtmlCell("td", cell.text, cell.rowspan, cell.colspan, css="note")
    if cell.kind == "header":
        scope = "colgroup" if cell.colspan > 1 else "col"
        return HtmlCell("th", cell.text, cell.rowspan, cell.colspan, scope, _cell_id(table, cell), css="col")
    scope = "rowgroup" if cell.rowspan > 1 else "row"
    return HtmlCell("th", cell.text, cell.rowspan, cell.colspan, scope, _cell_id(table, cell), css="row")


def table_rows(table: Table, values: Mapping[str, Any]) -> list[HtmlRowGroup]:
    """The table as row groups: one <thead> + <tbody> when the headers sit only on top (表三, 表四);
    one <tbody> per block when header rows recur (表二's four blocks)."""
    by_row: dict[int, list[HtmlCell]] = {}
    for cell in sorted(table.grid, key=lambda c: (c.row, c.col)):
        by_row.setdefault(cell.row, []).append(_html_cell(table, cell, values))
    value_rows = _value_rows(table)
    blocks: list[list[int]] = []
    for r in range(table.n_rows):
        starts_block = r not in value_rows and (r == 0 or r - 1 in value_rows)
        if starts_block or not blocks:
            blocks.append([])
        blocks[-1].append(r)
    rows = {r: tuple(by_row.get(r, ())) for r in range(table.n_rows)}
    if len(blocks) == 1:
        head = [r for r in blocks[0] if r not in value_rows]
        body = [r for r in blocks[0] if r in value_rows]
        return [
            HtmlRowGroup("thead", tuple(rows[r] for r in head)),
            HtmlRowGroup("tbody", tuple(rows[r] for r in body)),
        ]
    return [HtmlRowGroup("tbody", tuple(rows[r] for r in block)) for block in blocks]


# -- the page -------------------------------------------------------------------------------------
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def embedded_json(data: Mapping[str, Any]) -> Markup:
    """JSON that cannot end or confuse its <script> element: < > & and U+2028/9 as \\u escapes."""
    text = json.dumps(jsonable(dict(data)), ensure_ascii=False, separators=(",", ":"))
    for char, escape in _JSON_ESCAPES.items():
        text = text.replace(char, escape)
    return Markup(text)  # safe: every character that could close or break the element is escaped


def page_data(report: CheckedReport, day: dt.date) -> dict[str, Any]:
    """What the page embeds: the report's data in the merged.json contract (what `nianbao render` reads)."""
    return report.data.with_(date=day.isoformat()).to_json()


@dataclass(frozen=True)
class PageSection:
    number: str
    heading: str
    anchor: str
    table: Sequence[HtmlRowGroup] | None
    table_name: str
    wide: bool  # more columns than a phone shows: the table scrolls sideways
    blocks: tuple[tuple[str, tuple[str, ...]], ...]  # (sub-heading or "", paragraphs)


def _sections(report: CheckedReport, context: Mapping[str, Any]) -> list[PageSection]:
    # As in the Word report: a standard sub-heading is left out where the department wrote its own outline.
    shown = subheadings_shown(
        {f.key: paragraphs(report.texts.get(f.key)) for f in FORM.texts if f.type is FieldType.TEXT}
    )
    out = []
    for i, section in enumerate(FORM.sections, start=1):
        blocks: list[tuple[str, tuple[str, ...]]] = []
        if section.heading == official.HEADINGS[5]:
            blocks.append(("", tuple(context[names.FEE_STATEMENT])))
        for key in section.text_keys:
            field = FORM.by_key[key]
            texts = tuple(paragraphs(report.texts.get(key)))
            if texts or field.required:
                heading = names.standard_subheading(key) if shown.get(key, True) else None
                blocks.append((heading or "", texts))
        table = FORM.table(section.table) if section.table else None
        out.append(
            PageSection(
                section.number,
                section.heading,
                f"part-{i}",
                table_rows(table, report.values) if table else None,
                table.name if table else "",
                table is not None and table.n_cols > _PHONE_COLUMNS,
                tuple(blocks),
            )
        )
    return out


@dataclass(frozen=True)
class PageChart:
    title: str
    summary: str
    src: str  # a data: URI of the SVG
    rows: tuple[tuple[str, ...], ...]


def _page_chart(chart: Chart) -> PageChart:
    svg = base64.b64encode(chart_svg(chart, titled=False).encode("utf-8")).decode("ascii")
    rows = chart.rows()
    return PageChart(chart.title, chart.summary, f"data:image/svg+xml;base64,{svg}", tuple(rows))


@cache
def _template() -> Template:
    env = Environment(
        loader=PackageLoader("nianbao.report", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(PAGE_TEMPLATE)


def page_html(report: CheckedReport, day: dt.date, *, draft: bool = False, charts: Sequence[Chart] = ()) -> str:
    """The page's HTML. The department's texts are escaped by the template (autoescape), never trusted."""
    context = build_context(report, report_date=day, draft=draft)
    title = f"{report.body}{report.year}{official.TITLE_SUFFIX}"
    opening = "".join(opening_parts(lambda name: str(context[name])))
    return _template().render(
        title=title,
        body=report.body,
        draft_mark=context[names.DRAFT_MARK],
        opening=opening,
        sections=_sections(report, context),
        charts=[_page_chart(c) for c in charts],
        charts_heading=CHARTS_HEADING,
        issuer=context[names.ISSUER],
        date_cn=context[names.DATE],
        date_iso=day.isoformat(),
        format_name=official.FORMAT_NAME,
        data_id=DATA_ELEMENT_ID,
        data_json=embedded_json(page_data(report, day)),
    )


@dataclass
class HtmlResult:
    output: Path | None  # None when errors blocked the page
    findings: list[Finding]


def render_html(
    report: CheckedReport, out: Path, day: dt.date, *, draft: bool = False, charts: Sequence[Chart] = ()
) -> HtmlResult:
    """Write the page atomically; errors in the data block it unless `draft` (as for the Word report)."""
    findings = list(report.findings)
    if has_errors(findings) and not draft:
        return HtmlResult(None, findings)
    try:
        write_text_atomic(out, page_html(report, day, draft=draft, charts=charts))
    except OSError as exc:
        raise NianbaoError(f"无法写入网页 {out}：{exc.strerror or exc}") from exc
    return HtmlResult(out, findings)
