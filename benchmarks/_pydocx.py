"""The comparison for rendering: a plain python-docx build of an equivalent report, R reports in one process.

    python benchmarks/_pydocx.py REPORTS_DIR OUT_DIR

For every report_*.json (merged.json shape) it builds, from scratch, a document with the title, the
preface, the six headings, the narrative paragraphs and the three official tables with the same merged
cells and values (drawn from the form's layout grid), and saves it. This is what a hand-written script
would do, and what nianbao's template rendering must not be slower than.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from nianbao.form import FORM, Table, official


def _set_fonts(doc: Any) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = "仿宋_GB2312"
    normal.font.size = Pt(16)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋_GB2312")


def _number(value: Any) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}".rstrip("0")
    return str(int(value or 0))


def _table(doc: Any, table: Table, values: dict[str, Any]) -> None:
    out = doc.add_table(rows=table.n_rows, cols=table.n_cols)
    out.style = "Table Grid"
    # `Table.cell()` rescans the whole table on every call (quadratic: ~1 s per report here), so take
    # the cell objects once before merging; regions never overlap, so they stay valid.
    cells = out._cells
    for cell in table.grid:
        target = cells[cell.row * table.n_cols + cell.col]
        if cell.rowspan > 1 or cell.colspan > 1:
            last = cells[(cell.row + cell.rowspan - 1) * table.n_cols + cell.col + cell.colspan - 1]
            target = target.merge(last)
        text = _number(values.get(cell.key or "", 0)) if cell.kind == "value" else cell.text
        paragraph = target.paragraphs[0]
        paragraph.add_run(text).font.size = Pt(10.5)
        if cell.kind != "label":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _paragraph(doc: Any, text: str) -> None:
    if text:
        doc.add_paragraph(text).paragraph_format.first_line_indent = Pt(32)


def build(data: dict[str, Any]) -> Any:
    doc = Document()
    _set_fonts(doc)
    body, year, values, texts = data["body"], data["year"], data["values"], data["texts"]
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(f"{body}{year}{official.TITLE_SUFFIX}").font.size = Pt(22)
    _paragraph(doc, f"本报告根据《中华人民共和国政府信息公开条例》和{official.FORMAT_NAME}要求编制。"
                    f"本报告所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。")
    for section in FORM.sections:
        doc.add_heading(section.heading, level=1)
        for key in section.text_keys:
            if key.startswith("text.overview.") and texts.get(key):
                doc.add_heading(FORM.by_key[key].row[-1], level=2)
            _paragraph(doc, texts.get(key, ""))
        if section.table:
            _table(doc, FORM.table(section.table), values)
    _paragraph(doc, f"本年度发出收费通知{_number(values.get('fee.notices', 0))}件，"
                    f"金额{_number(values.get('fee.notice_amount', 0))}元，"
                    f"实际收取信息处理费{_number(values.get('fee.collected', 0))}元。")
    sign = doc.add_paragraph(texts.get("text.report.issuer") or body)
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return doc


def main(argv: list[str]) -> int:
    src, out = Path(argv[0]), Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    paths = sorted(src.glob("report_*.json"))
    for path in paths:
        build(json.loads(path.read_text(encoding="utf-8"))).save(out / f"{path.stem}.docx")
    print(f"python-docx: {len(paths)} reports")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
