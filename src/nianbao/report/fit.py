"""Fit the three official tables to the numbers they hold, so no number wraps inside its cell.

The template's column widths suit a 街道 or a department (four-digit figures). A county, city or province
has six- and seven-digit counts and amounts like 1234567.8912 万元, which would wrap in an 11 mm column. After
rendering, each table is measured: a column whose widest number does not fit is widened, taking the room
from the columns with slack (the long 表三 labels first, down to a floor); only when that is not enough are
the cell margins narrowed, and then the table's font made smaller, half a point at a time. A table whose
numbers fit is left untouched, so the usual report keeps the template's look exactly. Then a group of rows
kept on one page that cannot fit a page is let go (see `_tall_blocks`).

Widths are estimated from the advance widths of the 公文 fonts and their free substitutes: digits are half
an em in 仿宋_GB2312 and up to 0.562 em in Noto Serif CJK SC (LibreOffice's substitute); 0.6 em leaves a
margin for both and for the layout's rounding.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache

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
_NARROW = 2 * 20  # left plus right cell margin (twips) when the numbers need the room: 0.35 mm a side

# Tags looked up per cell, spelled out once (qn parses its argument on every call).
_W_TR, _W_TC, _W_P, _W_T, _W_R = qn("w:tr"), qn("w:tc"), qn("w:p"), qn("w:t"), qn("w:r")
_W_SZ, _W_SZ_CS, _W_RPR, _W_W, _W_VAL = qn("w:sz"), qn("w:szCs"), qn("w:rPr"), qn("w:w"), qn("w:val")
_GRID_SPAN = f"{qn('w:tcPr')}/{qn('w:gridSpan')}"
_TC_W = f"{qn('w:tcPr')}/{qn('w:tcW')}"
_V_MERGE = f"{qn('w:tcPr')}/{qn('w:vMerge')}"


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
    for tr in tbl.iterchildren(_W_TR):
        col, row = 0, []
        for tc in tr.iterchildren(_W_TC):
            span_node = tc.find(_GRID_SPAN)
            span = int(span_node.get(_W_VAL, "1")) if span_node is not None else 1
            text = "".join(t.text or "" for t in tc.iter(_W_T)).strip()
            row.append(_Cell(tc, col, span, text))
            col += span
        yield row


@cache
def _official_labels() -> tuple[tuple[Table, frozenset[str]], ...]:
    """Each official table with its header and label texts (a rendered table holding them all is that table)."""
    tables = (FORM.table(section.table) for section in FORM.sections if section.table)
    return tuple((t, frozenset(c.text for c in t.grid if c.kind in ("header", "label"))) for t in tables)


def _form_table(cells: Sequence[_Cell], n_cols: int) -> Table | None:
    """The official table whose header and label texts this table holds (all of them)."""
    texts = {c.text for c in cells}
    return next((t for t, labels in _official_labels() if t.n_cols == n_cols and labels <= texts), None)


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
    sizes = [int(sz.get(_W_VAL, "0")) for sz in tbl.iter(_W_SZ) if _parent_tag(sz) == _W_RPR]
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
    assert grid is not None  # _official found the columns
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
        for run in tbl.iter(_W_R):
            _set_size(run, size)


def _set_size(run: etree._Element, half_points: int) -> None:
    """A run's size, Latin and complex script, in the schema's order (Word refuses rPr children out of it)."""
    r_pr = run.get_or_add_rPr()  # type: ignore[attr-defined]  # python-docx's CT_R
    sz = r_pr.get_or_add_sz()
    sz.set(_W_VAL, str(half_points))
    sz_cs = sz.getnext()
    if sz_cs is None or sz_cs.tag != _W_SZ_CS:
        sz_cs = OxmlElement("w:szCs")
        sz.addnext(sz_cs)
    sz_cs.set(_W_VAL, str(half_points))


def _fit_table(tbl: etree._Element, rows: Sequence[Sequence[_Cell]], table: Table) -> bool:
    """Fit one official table to its numbers; True when it was changed."""
    grid = tbl.find(qn("w:tblGrid"))
    assert grid is not None  # _official found the columns
    base = [float(c.get(qn("w:w"), "0")) for c in grid.iterchildren(qn("w:gridCol"))]
    cells = [c for row in rows for c in row]
    if not all(base):
        return False
    margins = _margins(tbl)
    size = original = _table_size_half_pt(tbl)
    # Narrow cell margins before a smaller font: the numbers stay as large as they can.
    tries = [(sz, m) for sz in range(size, _MIN_SIZE_HALF_PT - 1, -_STEP_HALF_PT) for m in (margins, _NARROW)]
    for size, used in tries:
        if used > margins:
            continue
        widths = fit_widths(base, _needs(cells, len(base), size / 2, used), _floors(table, base, size / 2, used))
        if widths is not None:
            break
    else:  # even the smallest font cannot hold it: the smallest font, numbers may wrap
        widths, used = base, margins
    if widths == base and size == original:
        return False
    if used != margins:
        _set_margins(tbl, used // 2)
    _apply(tbl, rows, widths, size if size != original else None)
    return True


def _set_margins(tbl: etree._Element, each: int) -> None:
    """Left and right cell margins of the whole table, in twips."""
    tbl_pr = tbl.find(qn("w:tblPr"))
    assert tbl_pr is not None  # every table has its properties
    margins = tbl_pr.find(qn("w:tblCellMar"))
    if margins is None:
        margins = OxmlElement("w:tblCellMar")
        look = tbl_pr.find(qn("w:tblLook"))  # schema order: tblCellMar comes right before tblLook
        if look is not None:
            look.addprevious(margins)
        else:
            tbl_pr.append(margins)
    for side in ("left", "right"):
        node = margins.find(qn(f"w:{side}"))
        if node is None:
            node = OxmlElement(f"w:{side}")
            margins.append(node)
        node.set(qn("w:w"), str(each))
        node.set(qn("w:type"), "dxa")


def _official(tbl: etree._Element) -> tuple[list[list[_Cell]], Table] | None:
    """The rows of a rendered table and the official table it is; None for any other table."""
    grid = tbl.find(qn("w:tblGrid"))
    if grid is None:
        return None
    rows = list(_rows(tbl))
    table = _form_table([c for row in rows for c in row], len(grid.findall(qn("w:gridCol"))))
    return None if table is None else (rows, table)


def fit_tables(doc: DocumentObject, template_key: Hashable | None = None) -> int:
    """Fit every official table of a rendered report to its numbers and the page; the number changed.

    `template_key` names the template the report was rendered from: a table the fitting left as the template
    laid it out, holding the same labels, has the same row heights in every report of that template, so which of
    its kept groups are taller than a page is worked out once (about a tenth of a report's rendering).
    """
    page = _text_block_height(doc)
    spacings = _Spacings(doc)
    changed = 0
    for tbl in doc.element.body.iter(qn("w:tbl")):
        found = _official(tbl)
        if found is None:
            continue
        rows, table = found
        fitted = _fit_table(tbl, rows, table)
        key = None if fitted or template_key is None else (template_key, page, table.key, _layout_of(rows))
        tall = _TALL.get(key) if key is not None else None
        if tall is None:
            tall = _tall_blocks(tbl, rows, table, page, spacings)
            if key is not None:
                _remember(key, tall)
        changed += fitted or _release(tbl, table, tall)
    return changed


# (template, page, table, layout) → the kept groups taller than a page, for tables left as the template laid them out.
_TALL: dict[Hashable, tuple[tuple[int, int], ...]] = {}
_TALL_MAX = 64


def _remember(key: Hashable, tall: tuple[tuple[int, int], ...]) -> None:
    if len(_TALL) >= _TALL_MAX:  # a template whose labels vary from report to report: keep the memory bounded
        _TALL.clear()
    _TALL[key] = tall


def _layout_of(rows: Sequence[Sequence[_Cell]]) -> tuple[tuple[str, int], ...]:
    """What a table's row heights depend on once its widths and font are the template's: each cell's text (a
    number, fitting its column, takes one line whatever it is) and how many paragraphs it holds."""
    return tuple(("#" if _NUMBER.match(c.text) else c.text, len(c.tc)) for row in rows for c in row)


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


_W_LINE, _W_RULE, _W_STYLE_ID, _W_STYLE = qn("w:line"), qn("w:lineRule"), qn("w:styleId"), qn("w:style")
_SPACING = f"{qn('w:pPr')}/{qn('w:spacing')}"
_P_STYLE = f"{qn('w:pPr')}/{qn('w:pStyle')}"


class _Spacings:
    """Paragraph styles' line spacing (w:spacing), looked up by style id once per report."""

    def __init__(self, doc: DocumentObject) -> None:
        self._styles = doc.styles.element
        self._found: dict[str | None, etree._Element | None] = {}

    def of(self, style_id: str | None) -> etree._Element | None:
        if style_id not in self._found:
            node = next((n for n in self._styles.iterchildren(_W_STYLE) if n.get(_W_STYLE_ID) == style_id), None)
            spacing = node.find(_SPACING) if node is not None else None
            self._found[style_id] = spacing if spacing is not None and spacing.get(_W_LINE) is not None else None
        return self._found[style_id]


def _line_pitch(p: etree._Element, size_pt: float, spacings: _Spacings) -> float:
    """A paragraph's line height in twips: its own spacing, else its style's."""
    single = _SINGLE_LINE_EM * size_pt * TWIPS_PER_PT
    spacing = p.find(_SPACING)
    if spacing is None or spacing.get(_W_LINE) is None:
        style = p.find(_P_STYLE)
        spacing = spacings.of(style.get(_W_VAL) if style is not None else None)
    if spacing is None:
        return single
    line = float(spacing.get(_W_LINE, "240"))
    rule = spacing.get(_W_RULE, "auto")
    if rule == "exact":
        return line
    if rule == "atLeast":
        return max(line, single)
    return single * line / 240


def _row_heights(tbl: etree._Element, rows: Sequence[Sequence[_Cell]], spacings: _Spacings) -> list[float]:
    """Each row's height in twips, estimated from its cells' lines (merged label cells aside)."""
    margins = _margins(tbl)
    size = _table_size_half_pt(tbl) / 2
    heights = []
    for row in rows:
        tallest, one_line = 0.0, False
        for cell in row:
            if cell.tc.find(_V_MERGE) is not None:
                continue
            paragraphs = cell.tc.findall(_W_P)
            if len(paragraphs) == 1 and (not cell.text or _NUMBER.match(cell.text)):
                # A number fits its column (the widths were fitted first): one line, as an empty cell.
                if not one_line:
                    tallest, one_line = max(tallest, _line_pitch(paragraphs[0], size, spacings)), True
                continue
            width_node = cell.tc.find(_TC_W)
            room = max(int(width_node.get(_W_W, "0")) - margins if width_node is not None else 0, 1)
            height = 0.0
            for p in paragraphs:
                text = "".join(t.text or "" for t in p.iter(_W_T))
                lines = max(math.ceil(text_width_pt(text, size) * TWIPS_PER_PT / room), 1)
                height += lines * _line_pitch(p, size, spacings)
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


def _tall_blocks(
    tbl: etree._Element,
    rows: Sequence[Sequence[_Cell]],
    table: Table,
    page: int,
    spacings: _Spacings,
) -> tuple[tuple[int, int], ...]:
    """The kept groups of rows (first, last) of an official table that cannot fit one page."""
    if len(rows) != table.n_rows or not page:
        return ()
    heights = _row_heights(tbl, rows, spacings)
    room = page - sum(heights[: table.header_rows()])  # the header rows repeat on every page
    return tuple((first, last) for first, last in page_blocks(table) if sum(heights[first : last + 1]) > room)


def _release(tbl: etree._Element, table: Table, tall: tuple[tuple[int, int], ...]) -> bool:
    """Let an official table break inside its kept groups that cannot fit one page; True when one was released."""
    if not tall:
        return False
    kept = {i for first, last in page_blocks(table) if (first, last) not in tall for i in range(first, last)}
    trs = tbl.findall(qn("w:tr"))
    for first, last in tall:
        for i in range(first, last):
            _keep_with_next(trs[i], i in kept)
    return True
