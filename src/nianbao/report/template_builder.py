"""Generate the Word template `docx_templates/政府信息公开工作年度报告.docx` from the form declaration.

Run `python -m nianbao.report.template_builder --out docx_templates/政府信息公开工作年度报告.docx` after a
change to the form; a test fails while the committed template is out of date. Every label and heading comes
from `nianbao.form`; the tables are drawn from each table's layout grid, merged cells included.
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph

from ..fileio import write_bytes_atomic
from ..form import FORM, GridCell, Table, official, report_text
from . import names, styles

TEMPLATE_NAME = "政府信息公开工作年度报告.docx"

# Column widths in mm; each table fills the 156 mm text block.
_LABEL_WIDTHS_MM: dict[str, tuple[float, ...]] = {"t2": (48,), "t3": (11, 22, 44), "t4": ()}
_CELL_MARGIN_TWIPS = 57  # 1 mm left and right, so narrow number columns keep two characters per line
_TEXT_BLOCK_MM = 156.0

# Tables whose row labels are short and centred; 表三's long items read better left-aligned.
_CENTRED_LABEL_TABLES = frozenset({"t2"})
# Tables short enough to be printed whole on one page (a page break moves them, with their heading).
_WHOLE_TABLES = frozenset({"t2", "t4"})


def _column_widths(table: Table) -> list[float]:
    labels = list(_LABEL_WIDTHS_MM[table.key])
    n_data = table.n_cols - len(labels)
    data = (_TEXT_BLOCK_MM - sum(labels)) / n_data
    return labels + [data] * n_data


def _tag(expr: str) -> str:
    return "{{ " + expr + " }}"


def _add_paragraph(doc: DocumentObject, style: str, *parts: str) -> Paragraph:
    """A paragraph whose parts are separate runs, so each tag sits alone in one run."""
    paragraph = doc.add_paragraph(style=style)
    for part in parts:
        if part:
            paragraph.add_run(part)
    return paragraph


def _control(doc: DocumentObject, statement: str) -> None:
    """A `{%p … %}` paragraph: docxtpl replaces the whole paragraph with the Jinja statement."""
    doc.add_paragraph("{%p " + statement + " %}", style=report_text.STYLE_BODY)


# -- opening --------------------------------------------------------------------------------------
def _six_parts() -> str:
    return "、".join(h.split("、", 1)[1] for h in official.HEADINGS)


def opening_parts(fill: Callable[[str], str]) -> tuple[str, ...]:
    """The opening paragraph, with `fill(name)` where a context value goes (the web page shares it)."""
    return (
        "本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《中华人民共和国政府信息公开工作"
        f"年度报告格式》（{official.FORMAT_NAME}）要求编制。全文包括{_six_parts()}六部分。"
        "本报告所列数据的统计期限自",
        fill(names.YEAR),
        "年1月1日起至",
        fill(names.YEAR),
        "年12月31日止。",
        fill(names.CONTACT),
    )


def _add_title_and_opening(doc: DocumentObject) -> None:
    _add_paragraph(doc, report_text.STYLE_TITLE, _tag(names.BODY), _tag(names.YEAR), official.TITLE_SUFFIX)
    _add_paragraph(doc, report_text.STYLE_BODY, *opening_parts(_tag))


# -- narrative ------------------------------------------------------------------------------------
def _add_narrative(doc: DocumentObject, key: str) -> None:
    field = FORM.by_key[key]
    heading = names.standard_subheading(key)
    if not field.required:
        _control(doc, f"if {key}")
    if heading:
        # Printed unless the department wrote its own sub-headings and left this text empty (outline.py).
        _control(doc, f"if {names.subheading_path(key)}")
        _add_paragraph(doc, report_text.STYLE_HEADING2, heading)
        _control(doc, "endif")
    _control(doc, f"for p in {key}")
    _add_paragraph(doc, report_text.STYLE_BODY, _tag("p"))
    _control(doc, "endfor")
    if not field.required:
        _control(doc, "endif")


def _add_fee_statement(doc: DocumentObject) -> None:
    _control(doc, f"for p in {names.FEE_STATEMENT}")
    _add_paragraph(doc, report_text.STYLE_BODY, _tag("p"))
    _control(doc, "endfor")


# -- tables ---------------------------------------------------------------------------------------
def _set_cell_text(cell: object, text: str, centred: bool, style_id: str) -> None:
    paragraphs = cell.paragraphs  # type: ignore[attr-defined]
    for extra in paragraphs[1:]:
        extra._p.getparent().remove(extra._p)
    paragraph = paragraphs[0]
    paragraph._p.get_or_add_pPr().style = style_id  # by id: python-docx's lookup by name is slow
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if centred else WD_ALIGN_PARAGRAPH.LEFT
    run = paragraph.add_run(text)
    styles.set_run_fonts(run._r, styles.FONT_BODY)
    run.font.size = styles.SIZE_TABLE
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER  # type: ignore[attr-defined]


def _cell_text(cell: GridCell) -> str:
    return _tag(cell.key or "") if cell.kind == "value" else cell.text


def _narrow_cell_margins(docx_table: DocxTable) -> None:
    tbl_pr = docx_table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        node = OxmlElement(f"w:{side}")
        node.set(qn("w:w"), str(_CELL_MARGIN_TWIPS))
        node.set(qn("w:type"), "dxa")
        margins.append(node)
    # Schema order matters to Word: tblCellMar comes right before tblLook (or last).
    look = tbl_pr.find(qn("w:tblLook"))
    if look is not None:
        look.addprevious(margins)
    else:
        tbl_pr.append(margins)


def _mark_header_rows(docx_table: DocxTable, count: int) -> None:
    """Repeat the header rows on every page and keep each row on one page."""
    for i, row in enumerate(docx_table.rows):
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if i < count:
            tr_pr.append(OxmlElement("w:tblHeader"))


def _keep_rows_together(docx_table: DocxTable, first: int, last: int) -> None:
    """Rows first..last on one page: every paragraph of a row keeps with the next row (Word and LibreOffice)."""
    for row in docx_table.rows[first:last]:
        for tc in row._tr.tc_lst:  # continuation cells of a vertical merge too
            for p in tc.p_lst:
                Paragraph(p, docx_table).paragraph_format.keep_with_next = True


def page_blocks(table: Table) -> list[tuple[int, int]]:
    """Row ranges that must not be split by a page break.

    A small table (表二, 表四) is one block. Otherwise the header rows stay with the first body row, and the
    rows a vertically merged label spans (三、本年度办理结果 with its groups) stay together, so every row
    is printed beside its group labels; the header rows repeat on the next page.
    """
    if table.key in _WHOLE_TABLES:
        return [(0, table.n_rows - 1)]
    header = table.header_rows()
    blocks = [(0, header)] if header else []
    blocks += [
        (c.row, c.row + c.rowspan - 1) for c in table.grid if c.kind == "label" and c.rowspan > 1 and c.row >= header
    ]
    return blocks


def _add_table(doc: DocumentObject, table: Table) -> DocxTable:
    widths = _column_widths(table)
    docx_table: DocxTable = doc.add_table(rows=table.n_rows, cols=table.n_cols)
    docx_table.style = doc.styles["Table Grid"]
    docx_table.alignment = WD_TABLE_ALIGNMENT.CENTER
    docx_table.autofit = False
    _narrow_cell_margins(docx_table)
    # All cells fetched once before merging (python-docx's table.cell() re-walks the table every call);
    # grid cells never overlap, so the corners of a later merge are still untouched cells.
    cells = docx_table._cells
    n_cols = table.n_cols
    for j, width in enumerate(widths):
        docx_table.columns[j].width = Mm(width)
        for i in range(table.n_rows):
            cells[i * n_cols + j].width = Mm(width)
    style_id = doc.styles[report_text.STYLE_TABLE].style_id
    for cell in table.grid:
        target = cells[cell.row * n_cols + cell.col]
        if cell.rowspan > 1 or cell.colspan > 1:
            target = target.merge(cells[(cell.row + cell.rowspan - 1) * n_cols + cell.col + cell.colspan - 1])
        text = _cell_text(cell)
        centred = cell.kind != "label" or table.key in _CENTRED_LABEL_TABLES or cell.rowspan > 1
        _set_cell_text(target, text, centred, style_id)
    _mark_header_rows(docx_table, table.header_rows() if table.key != "t2" else 0)
    for first, last in page_blocks(table):
        _keep_rows_together(docx_table, first, last)
    return docx_table


# -- header, footer, signature --------------------------------------------------------------------
def _add_header_and_footer(doc: DocumentObject) -> None:
    section = doc.sections[0]
    header = section.header.paragraphs[0]
    header.style = doc.styles[report_text.STYLE_HEADER]
    header.add_run(_tag(names.DRAFT_MARK))
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    styles.add_page_number_field(footer)


def _add_signature(doc: DocumentObject) -> None:
    doc.add_paragraph(style=report_text.STYLE_BODY)
    _add_paragraph(doc, report_text.STYLE_SIGNATURE, _tag(names.ISSUER))
    _add_paragraph(doc, report_text.STYLE_SIGNATURE, _tag(names.DATE))


# -- the document ---------------------------------------------------------------------------------
def build_template_document() -> DocumentObject:
    doc = Document()
    styles.set_page_layout(doc)
    styles.define_styles(doc)
    styles.set_language(doc)
    doc.core_properties.title = "政府信息公开工作年度报告（模板）"
    doc.core_properties.author = "nianbao"
    doc.core_properties.comments = f"{official.FORMAT_NAME}；模板版本 {FORM.template_version}"
    _add_header_and_footer(doc)
    _add_title_and_opening(doc)
    for section in FORM.sections:
        _add_paragraph(doc, report_text.STYLE_HEADING1, section.heading)
        if section.table:
            _add_table(doc, FORM.table(section.table))
        if section.number == "六":
            _add_fee_statement(doc)
        for key in section.text_keys:
            _add_narrative(doc, key)
    _add_signature(doc)
    # The body must not end in a table or a control paragraph; python-docx's default empty paragraph is gone.
    first = doc.paragraphs[0]
    parent = first._p.getparent()
    if not first.text and first.style is not None and first.style.name == "Normal" and parent is not None:
        parent.remove(first._p)
    return doc


def template_bytes() -> bytes:
    buffer = io.BytesIO()
    build_template_document().save(buffer)
    return buffer.getvalue()


def write_template(path: Path) -> None:
    write_bytes_atomic(path, template_bytes())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="生成报告的 Word 模板（docxtpl 占位符）。")
    parser.add_argument("--out", type=Path, default=Path("docx_templates") / TEMPLATE_NAME)
    args = parser.parse_args(argv)
    write_template(args.out)
    print(f"已生成模板：{args.out}")


if __name__ == "__main__":
    main()
