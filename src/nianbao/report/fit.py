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

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from docx.document import Document as DocumentObject
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

from ..form import FORM, Table
from . import styles

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
    """Fit every official table of a rendered report; the number of tables changed."""
    return sum(fit_table(tbl) for tbl in doc.element.body.iter(qn("w:tbl")))
