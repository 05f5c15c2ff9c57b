"""Fit the three official tables to the numbers they hold, so no number wraps inside its cell.

The template's column widths suit a 街道 or a department (four-digit figures). A county, city or province
has six- and seven-digit counts and amounts like 1234567.8912 万元, which would wrap in a 11 mm column. After
rendering, each table is measured: a column whose widest number does not fit is widened, taking the room
from the columns with slack (the long 表三 labels first, down to a floor); only when that is not enough is
the table's font made smaller, half a point at a time. A table whose numbers fit is left untouched, so the
usual report keeps the template's look exactly.

Widths are estimated from the advance widths of the 公文 fonts and their free substitutes: digits are half
an em in 仿宋_GB2312 and up to 0.562 em in Noto Serif CJK SC (LibreOffice's substitute); 0.6 em leaves a
margin for both and for the layout's rounding.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from docx.document import Document as DocumentObject
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

from ..form import FORM, Table
from . import styles
from .template_builder import page_blocks

_NUMBER = re.compile(r"^-?[0-9][0-9.,]*$")
_DIGIT_EM = 0.6
_NARROW_EM = 0.3  # . and ,
_CJK_EM = 1.0
TWIPS_PER_PT = 20
_WORD_DEFAULT_MARGIN = 108  # twips each side, Word's default cell margin
# Label columns give up at most this share of their width (表三's items then take one more line).
_LABEL_FLOOR = 0.6
# Header cells of a value column keep two characters a line (结果/维持, 商业/企业).
_HEADER_CHARS = 2
_MIN_SIZE_HALF_PT = 13  # 6.5 pt: below it a printed number is hard to read
_STEP_HALF_PT = 1


def text_width_pt(text: str, size_pt: float) -> float:
    """The printed width of `text` at `size_pt`, by the fonts' advance widths (conservative)."""
    em = 0.0
    for ch in text:
        if ch.isdigit() and ch.isascii():
            em += _DIGIT_EM
        elif ch in ".,":
            em += _NARROW_EM
        elif ord(ch) < 0x2E80:
            em += 0.6
        else:
            em += _CJK_EM
    return em * size_pt


@dataclass
class _Cell:
    tc: etree._Element
    col: int
    span: int
    text: str


def _rows(tbl: etree._Element) -> Iterator[list[_Cell]]:
    for tr in tbl.iterchildren(qn("w:tr")):
        col, row = 0, []
        for tc in tr.iterchildren(qn("w:tc")):
            span_node = tc.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
            span = int(span_node.get(qn("w:val"), "1")) if span_node is not None else 1
            text = "".join(t.text or "" for t in tc.iter(qn("w:t"))).strip()
            row.append(_Cell(tc, col, span, text))
            col += span
        yield row


def _form_table(cells: Sequence[_Cell], n_cols: int) -> Table | None:
    """The official table whose header and label texts this table holds (all of them)."""
    texts = {c.text for c in cells}
    for section in FORM.sections:
        if not section.table:
            continue
        table = FORM.table(section.table)
        labels = {c.text for c in table.grid if c.kind in ("header", "label")}
        if table.n_cols == n_cols and labels <= texts:
            return table
    return None


def _margins(tbl: etree._Element) -> int:
    """Left plus right cell margin in twips."""
    total = 0
    for side in ("left", "right"):
        node = tbl.find(f"{qn('w:tblPr')}/{qn('w:tblCellMar')}/{qn(f'w:{side}')}")
        total += int(node.get(qn("w:w"), "0")) if node is not None else _WORD_DEFAULT_MARGIN
    return total


def _parent_tag(node: etree._Element) -> object:
    parent = node.getparent()
    return None if parent is None else parent.tag


def _table_size_half_pt(tbl: etree._Element) -> int:
    sizes = [int(sz.get(qn("w:val"), "0")) for sz in tbl.iter(qn("w:sz")) if _parent_tag(sz) == qn("w:rPr")]
    return max(sizes) if sizes else int(styles.SIZE_TABLE.pt * 2)


def _needs(cells: Sequence[_Cell], n_cols: int, size_pt: float, margins: int) -> list[float]:
    """Each column's width (twips) for its widest number at `size_pt`; a merged cell shares it evenly."""
    need = [0.0] * n_cols
    for cell in cells:
        if _NUMBER.match(cell.text):
            width = (text_width_pt(cell.text, size_pt) * TWIPS_PER_PT + margins) / cell.span
            for j in range(cell.col, cell.col + cell.span):
                need[j] = max(need[j], width)
    return need


def fit_widths(base: Sequence[float], needs: Sequence[float], floors: Sequence[float]) -> list[float] | None:
    """Widths summing to sum(base) with every column ≥ max(need, floor); None when impossible.

    A column keeps its base width unless a number needs more; the room comes from the columns with
    slack above their floor, in proportion to it.
    """
    required = [max(n, f) for n, f in zip(needs, floors, strict=True)]
    total = sum(base)
    if sum(required) > total + 0.5:
        return None
    widths = [max(b, r) for b, r in zip(base, required, strict=True)]
    excess = sum(widths) - total
    slack = [w - r for w, r in zip(widths, required, strict=True)]
    if excess > 0:
        available = sum(slack)
        widths = [w - excess * s / available for w, s in zip(widths, slack, strict=True)]
    return widths


def _floors(table: Table, base: Sequence[float], size_pt: float, margins: int) -> list[float]:
    value_cols = {c.col for c in table.value_cells()}
    header = _HEADER_CHARS * size_pt * TWIPS_PER_PT + margins
    return [min(b, header) if j in value_cols else b * _LABEL_FLOOR for j, b in enumerate(base)]


def _apply(tbl: etree._Element, rows: Sequence[Sequence[_Cell]], widths: Sequence[float], size: int | None) -> None:
    grid = tbl.find(qn("w:tblGrid"))
    assert grid is not None  # fit_table returned early otherwise
    for col, width in zip(grid.iterchildren(qn("w:gridCol")), widths, strict=False):
        col.set(qn("w:w"), str(round(width)))
    for row in rows:
        for cell in row:
            tc_pr = cell.tc.find(qn("w:tcPr"))
            tc_w = tc_pr.find(qn("w:tcW")) if tc_pr is not None else None
            if tc_w is not None:
                tc_w.set(qn("w:w"), str(round(sum(widths[cell.col : cell.col + cell.span]))))
                tc_w.set(qn("w:type"), "dxa")
    if size is not None:
        for run in tbl.iter(qn("w:r")):
            r_pr = run.find(qn("w:rPr"))
            if r_pr is None:
                r_pr = OxmlElement("w:rPr")
                run.insert(0, r_pr)
            for tag in ("w:sz", "w:szCs"):
                node = r_pr.find(qn(tag))
                if node is None:
                    node = OxmlElement(tag)
                    r_pr.append(node)
                node.set(qn("w:val"), str(size))


def fit_table(tbl: etree._Element) -> bool:
    """Fit one rendered table if it is an official one; True when it was changed."""
    grid = tbl.find(qn("w:tblGrid"))
    if grid is None:
        return False
    base = [float(c.get(qn("w:w"), "0")) for c in grid.iterchildren(qn("w:gridCol"))]
    rows = list(_rows(tbl))
    cells = [c for row in rows for c in row]
    table = _form_table(cells, len(base))
    if table is None or not all(base):
        return False
    margins = _margins(tbl)
    size = _table_size_half_pt(tbl)
    while True:
        widths = fit_widths(base, _needs(cells, len(base), size / 2, margins), _floors(table, base, size / 2, margins))
        if widths is not None or size - _STEP_HALF_PT < _MIN_SIZE_HALF_PT:
            break
        size -= _STEP_HALF_PT
    original = _table_size_half_pt(tbl)
    if widths is None:  # even the smallest font cannot hold it: the smallest font, numbers may wrap
        widths = base
    if widths == base and size == original:
        return False
    _apply(tbl, rows, widths, size if size != original else None)
    return True


def fit_tables(doc: DocumentObject) -> int:
    """Fit every official table of a rendered report to its numbers and the page; the number changed."""
    changed = 0
    for tbl in doc.element.body.iter(qn("w:tbl")):
        fitted = fit_table(tbl)
        released = release_tall_blocks(doc, tbl)
        changed += fitted or released
    return changed


# -- blocks taller than a page --------------------------------------------------------------------------
# The template keeps 表三's header with its first row and each group of rows beside its merged label on one
# page (keep with next). A group taller than a page (a template with a large font, narrow margins, long
# labels) cannot be kept: Word and LibreOffice then move it to a new page, leaving most of a page empty, and
# break it anyway. So such a group is released before that: the table flows on, breaking where the page
# ends, with its header rows repeated (the template marks them so), and the groups inside it that do fit a
# page are still kept together.
_ROW_PADDING_TWIPS = 20  # borders and rounding of one row
_SINGLE_LINE_EM = 1.3  # a CJK font's single line height


def _text_block_height(doc: DocumentObject) -> int:
    section = doc.sections[-1]
    height, top, bottom = section.page_height, section.top_margin, section.bottom_margin
    if height is None or top is None or bottom is None:
        return 0
    return int((height - top - bottom) / 635)  # EMU → twips


def _line_pitch(doc: DocumentObject, p: etree._Element, size_pt: float) -> float:
    """A paragraph's line height in twips: its own spacing, else its style's."""
    single = _SINGLE_LINE_EM * size_pt * TWIPS_PER_PT
    spacing = p.find(f"{qn('w:pPr')}/{qn('w:spacing')}")
    if spacing is None or spacing.get(qn("w:line")) is None:
        style = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        style_id = style.get(qn("w:val")) if style is not None else None
        for node in doc.styles.element.iterchildren(qn("w:style")):
            if node.get(qn("w:styleId")) == style_id:
                spacing = node.find(f"{qn('w:pPr')}/{qn('w:spacing')}")
    if spacing is None or spacing.get(qn("w:line")) is None:
        return single
    line = float(spacing.get(qn("w:line"), "240"))
    rule = spacing.get(qn("w:lineRule"), "auto")
    if rule == "exact":
        return line
    if rule == "atLeast":
        return max(line, single)
    return single * line / 240


def _row_heights(doc: DocumentObject, tbl: etree._Element, rows: Sequence[Sequence[_Cell]]) -> list[float]:
    """Each row's height in twips, estimated from its cells' lines (merged label cells aside)."""
    margins = _margins(tbl)
    size = _table_size_half_pt(tbl) / 2
    heights = []
    for row in rows:
        tallest = 0.0
        for cell in row:
            if cell.tc.find(f"{qn('w:tcPr')}/{qn('w:vMerge')}") is not None:
                continue
            width_node = cell.tc.find(f"{qn('w:tcPr')}/{qn('w:tcW')}")
            room = max(int(width_node.get(qn("w:w"), "0")) - margins if width_node is not None else 0, 1)
            height = 0.0
            for p in cell.tc.iterchildren(qn("w:p")):
                text = "".join(t.text or "" for t in p.iter(qn("w:t")))
                lines = max(math.ceil(text_width_pt(text, size) * TWIPS_PER_PT / room), 1)
                height += lines * _line_pitch(doc, p, size)
            tallest = max(tallest, height)
        heights.append(tallest + _ROW_PADDING_TWIPS)
    return heights


def _keep_with_next(tr: etree._Element, keep: bool) -> None:
    for p in tr.iter(qn("w:p")):
        p_pr = p.find(qn("w:pPr"))
        node = p_pr.find(qn("w:keepNext")) if p_pr is not None else None
        if keep and node is None and p_pr is not None:
            p_pr.insert(1 if p_pr.find(qn("w:pStyle")) is not None else 0, OxmlElement("w:keepNext"))
        elif not keep and node is not None and p_pr is not None:
            p_pr.remove(node)


def release_tall_blocks(doc: DocumentObject, tbl: etree._Element) -> bool:
    """Let an official table break inside a kept group that cannot fit one page; True when one was released."""
    rows = list(_rows(tbl))
    grid = tbl.find(qn("w:tblGrid"))
    n_cols = len(grid.findall(qn("w:gridCol"))) if grid is not None else 0
    table = _form_table([c for row in rows for c in row], n_cols)
    page = _text_block_height(doc)
    if table is None or len(rows) != table.n_rows or not page:
        return False
    heights = _row_heights(doc, tbl, rows)
    room = page - sum(heights[: table.header_rows()])  # the header rows repeat on every page
    blocks = page_blocks(table)
    tall = [(first, last) for first, last in blocks if sum(heights[first : last + 1]) > room]
    if not tall:
        return False
    kept = {i for first, last in blocks if (first, last) not in tall for i in range(first, last)}
    trs = tbl.findall(qn("w:tr"))
    for first, last in tall:
        for i in range(first, last):
            _keep_with_next(trs[i], i in kept)
    return True
