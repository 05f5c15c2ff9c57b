"""The committed Word template: generated from the form, up to date, official layout and fonts."""

from __future__ import annotations

import io
import re

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from lxml import etree
from report_helpers import REPO

from nianbao.form import FORM, official, report_text
from nianbao.report import names, styles
from nianbao.report.placeholders import standard_paths, template_source, used_paths
from nianbao.report.render import default_template_path
from nianbao.report.template_builder import TEMPLATE_NAME, template_bytes

COMMITTED = REPO / "docx_templates" / TEMPLATE_NAME


def _outline(doc: Document) -> dict[str, object]:
    """What matters of a template: paragraphs with styles, table cell texts, placeholders."""
    return {
        "paragraphs": [(p.style.name, p.text) for p in doc.paragraphs],
        "tables": [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables],
        "header": [p.text for p in doc.sections[0].header.paragraphs],
        "styles": [etree.tostring(doc.styles[name].element) for name in _OUR_STYLES],
        "page": etree.tostring(doc.sections[0]._sectPr),
        "tables_xml": [etree.tostring(t._tbl.tblPr) + etree.tostring(t._tbl.tblGrid) for t in doc.tables],
    }


_OUR_STYLES = (
    "Normal",
    report_text.STYLE_TITLE,
    report_text.STYLE_BODY,
    report_text.STYLE_HEADING1,
    report_text.STYLE_HEADING2,
    report_text.STYLE_TABLE,
    report_text.STYLE_SIGNATURE,
    report_text.STYLE_HEADER,
)


def test_committed_template_is_up_to_date() -> None:
    assert default_template_path() == COMMITTED
    fresh = Document(io.BytesIO(template_bytes()))
    committed = Document(str(COMMITTED))
    assert _outline(committed) == _outline(fresh), (
        "docx_templates is out of date: run python -m nianbao.report.template_builder"
    )
    assert used_paths(template_source(COMMITTED.read_bytes())) == standard_paths()


def test_placeholders_cover_every_number_and_narrative() -> None:
    paths = standard_paths()
    assert names.value_paths() <= paths
    narrative = {f.key for f in FORM.texts if f.key in FORM.text_keys and not f.key.startswith("text.report.")}
    assert narrative <= paths
    assert paths <= names.known_paths()


def test_headings_verbatim_and_in_order() -> None:
    doc = Document(str(COMMITTED))
    headings = [p.text for p in doc.paragraphs if p.style.name == report_text.STYLE_HEADING1]
    assert headings == list(official.HEADINGS)
    title = doc.paragraphs[0]
    assert title.style.name == report_text.STYLE_TITLE
    assert title.text == "{{ body }}{{ year }}" + official.TITLE_SUFFIX
    opening = doc.paragraphs[1].text
    assert official.FORMAT_NAME in opening and "1月1日起至" in opening and "六部分" in opening


def test_tables_follow_the_official_grids() -> None:
    doc = Document(str(COMMITTED))
    assert len(doc.tables) == len(FORM.tables)
    for docx_table, table in zip(doc.tables, FORM.tables, strict=True):
        assert (len(docx_table.rows), len(docx_table.columns)) == (table.n_rows, table.n_cols)
        cells = docx_table._cells  # row-major, one entry per grid position (merged cells repeated)
        for cell in table.grid:
            expected = "{{ " + cell.key + " }}" if cell.kind == "value" else cell.text
            top_left = cells[cell.row * table.n_cols + cell.col]
            bottom_right = cells[(cell.row + cell.rowspan - 1) * table.n_cols + cell.col + cell.colspan - 1]
            assert top_left.text == expected
            assert top_left._tc is bottom_right._tc, f"{table.name} {cell.text or cell.key} is not merged"


def test_each_tag_sits_in_one_run() -> None:
    doc = Document(str(COMMITTED))
    paragraphs = list(doc.paragraphs)
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs += cell.paragraphs
    for paragraph in paragraphs:
        for run in paragraph.runs:
            assert run.text.count("{{") == run.text.count("}}"), run.text
            assert run.text.count("{%") == run.text.count("%}"), run.text


def test_page_layout_and_fonts() -> None:
    doc = Document(str(COMMITTED))
    section = doc.sections[0]
    sizes = (
        section.page_width,
        section.page_height,
        section.top_margin,
        section.bottom_margin,
        section.left_margin,
        section.right_margin,
    )
    assert [round(s.mm) for s in sizes] == [210, 297, 37, 35, 28, 26]
    expected = {
        report_text.STYLE_TITLE: (styles.FONT_TITLE, Pt(22)),
        report_text.STYLE_HEADING1: (styles.FONT_HEADING1, Pt(16)),
        report_text.STYLE_HEADING2: (styles.FONT_HEADING2, Pt(16)),
        report_text.STYLE_BODY: (styles.FONT_BODY, Pt(16)),
        report_text.STYLE_TABLE: (styles.FONT_BODY, styles.SIZE_TABLE),
    }
    for name, (font, size) in expected.items():
        style = doc.styles[name]
        fonts = style.element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == font, name
        assert fonts.get(qn("w:asciiTheme")) is None
        assert style.font.size == size, name
    assert doc.styles[report_text.STYLE_BODY].paragraph_format.first_line_indent == Pt(32)
    footer_xml = section.footer._element.xml
    assert re.search(r"<w:instrText[^>]*> PAGE </w:instrText>", footer_xml)
