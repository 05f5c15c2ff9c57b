"""A small writer of .xlsx files for fixed, styled sheets: rows of values written straight as SpreadsheetML.

What 汇总.xlsx needs and no more: inline strings and numbers, a handful of cell styles (font, solid fill, thin
border, alignment), column widths, row heights, merged ranges, frozen panes, an autofilter, a print area and an
A4 landscape page fitted to one page wide. It imports nothing beyond the standard library and the form (openpyxl and
numpy take ~0.25 s to import) and writes each part once, with no object per cell, so 200,000 cells take ~0.05 s.
For the same 200,000 numbers XlsxWriter (45 ms to import, no numpy) takes ~0.57 s, openpyxl's cells ~1.3 s.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .form.layout import get_column_letter

__all__ = ["Book", "Font", "Sheet", "Style", "Styled", "column_letter", "number_text", "ref"]

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE = "application/vnd.openxmlformats-officedocument"

# Characters XML 1.0 cannot carry (a control character pasted into a cell): dropped rather than refused.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Font:
    name: str | None = None
    size: int | None = None
    bold: bool = False
    color: str | None = None  # RRGGBB


@dataclass(frozen=True)
class Style:
    font: Font | None = None
    fill: str | None = None  # a solid fill's RRGGBB
    border: bool = False  # thin black lines on all four sides
    horizontal: str | None = None  # "center" or "left"; set means vertically centred and wrapped too


@dataclass(frozen=True)
class Styled:
    """A cell value with its style."""

    value: Any
    style: Style


# Column letters, computed once each: a row of 1,000 departments asks for them again and again.
column_letter = functools.cache(get_column_letter)


def ref(row1: int, col1: int, row2: int, col2: int) -> str:
    return f"{column_letter(col1)}{row1}:{column_letter(col2)}{row2}"


def number_text(value: Any) -> str:
    """A number as openpyxl writes it (16 significant digits), so both writers give the same cells."""
    if type(value) is int and -(10**15) < value < 10**15:
        return str(value)
    return "%.16g" % value  # noqa: UP031 - the exact format openpyxl uses


def escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _ILLEGAL.sub("", text)


def inline_string(cell_ref: str, text: str, style: int = 0) -> str:
    s = f' s="{style}"' if style else ""
    if not text:
        return f'<c r="{cell_ref}"{s} t="inlineStr"/>'
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{cell_ref}"{s} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


@dataclass
class Sheet:
    """One worksheet: rows appended in order, then its layout."""

    book: Book
    name: str
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    merged: list[str] = field(default_factory=list)
    freeze: str | None = None  # the top-left cell of the scrolling part, e.g. "A2"
    autofilter: str | None = None
    print_area: str | None = None
    landscape: bool = False  # A4 landscape, one page wide once `fit_to_page` is set
    fit_to_page: bool = False
    _rows: list[bytes] = field(default_factory=list)  # UTF-8: a large sheet is never one str to encode

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def append(self, values: Sequence[Any]) -> None:
        """The next row; a value is a str, a number, None (no cell) or `Styled`."""
        r = len(self._rows) + 1
        cells = []
        for c, value in enumerate(values, start=1):
            style = 0
            if isinstance(value, Styled):
                style, value = self.book.style_id(value.style), value.value
            cells.append(self._cell(f"{column_letter(c)}{r}", value, style))
        self.append_xml(r, "".join(cells).encode("utf-8"))

    def append_xml(self, r: int, cells: bytes) -> None:
        """Row `r` (the next one) given as the UTF-8 XML of its cells."""
        assert r == len(self._rows) + 1, "rows are written in order"
        height = self.heights.get(r)
        attrs = f' ht="{height:g}" customHeight="1"' if height else ""
        self._rows.append(b"".join((f'<row r="{r}"{attrs}>'.encode("ascii"), cells, b"</row>")))

    @staticmethod
    def _cell(cell_ref: str, value: Any, style: int) -> str:
        s = f' s="{style}"' if style else ""
        if value is None:
            return f'<c r="{cell_ref}"{s}/>' if style else ""
        if isinstance(value, str):
            return inline_string(cell_ref, value, style)
        if isinstance(value, bool):
            return f'<c r="{cell_ref}"{s} t="b"><v>{int(value)}</v></c>'
        if isinstance(value, int | float | Decimal):
            return f'<c r="{cell_ref}"{s}><v>{number_text(value)}</v></c>'
        return inline_string(cell_ref, str(value), style)

    def xml(self) -> bytes:
        fit = '<pageSetUpPr fitToPage="1"/>' if self.fit_to_page else ""
        parts = [f'<worksheet xmlns="{_MAIN}"><sheetPr>{fit}</sheetPr>', self._view()]
        parts.append('<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>')
        if self.widths:
            cols = "".join(
                f'<col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>' for c, w in sorted(self.widths.items())
            )
            parts.append(f"<cols>{cols}</cols>")
        head = "".join([*parts, "<sheetData>"]).encode("utf-8")
        parts = ["</sheetData>"]
        if self.autofilter:
            parts.append(f'<autoFilter ref="{self.autofilter}"/>')
        if self.merged:
            merged = "".join(f'<mergeCell ref="{m}"/>' for m in self.merged)
            parts.append(f'<mergeCells count="{len(self.merged)}">{merged}</mergeCells>')
        parts.append('<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>')
        if self.landscape:
            parts.append('<pageSetup orientation="landscape" paperSize="9" fitToHeight="0" fitToWidth="1"/>')
        parts.append("</worksheet>")
        return b"".join([head, *self._rows, "".join(parts).encode("utf-8")])

    def _view(self) -> str:
        if not self.freeze:
            return '<sheetViews><sheetView workbookViewId="0"><selection activeCell="A1" sqref="A1"/></sheetView></sheetViews>'
        match = re.fullmatch(r"([A-Z]+)(\d+)", self.freeze)
        assert match is not None
        letters, row = match.groups()
        col = 0
        for ch in letters:
            col = col * 26 + ord(ch) - 64
        x, y = col - 1, int(row) - 1
        pane = "bottomRight" if x and y else ("topRight" if x else "bottomLeft")
        split = (f' xSplit="{x}"' if x else "") + (f' ySplit="{y}"' if y else "")
        return (
            f'<sheetViews><sheetView workbookViewId="0"><pane{split} topLeftCell="{self.freeze}" '
            f'activePane="{pane}" state="frozen"/><selection pane="{pane}" activeCell="{self.freeze}" '
            f'sqref="{self.freeze}"/></sheetView></sheetViews>'
        )


@dataclass
class Book:
    """The workbook: its sheets in order and the styles their cells use."""

    sheets: list[Sheet] = field(default_factory=list)
    styles: dict[Style, int] = field(default_factory=lambda: {Style(): 0})
    # Parts deflated at a lower level: one large, repetitive sheet compresses ~4x faster for ~20 % more bytes.
    fast_parts: set[str] = field(default_factory=set)

    def sheet(self, name: str) -> Sheet:
        sheet = Sheet(self, name)
        self.sheets.append(sheet)
        return sheet

    def style_id(self, style: Style) -> int:
        return self.styles.setdefault(style, len(self.styles))

    def save(self, path: Path) -> None:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
            for name, data in self._parts():
                level = 1 if name in self.fast_parts else 6
                out.writestr(name, data if isinstance(data, bytes) else data.encode("utf-8"), compresslevel=level)

    def _parts(self) -> Iterable[tuple[str, str | bytes]]:
        n = len(self.sheets)
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_OFFICE}.spreadsheetml.worksheet+xml"/>'
            for i in range(1, n + 1)
        )
        yield (
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_OFFICE}.spreadsheetml.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_OFFICE}.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            f'<Override PartName="/docProps/app.xml" ContentType="{_OFFICE}.extended-properties+xml"/>'
            f"{overrides}</Types>",
        )
        yield (
            "_rels/.rels",
            f'<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{_PKG_REL}/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>",
        )
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        yield (
            "docProps/core.xml",
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>nianbao</dc:creator>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified></cp:coreProperties>',
        )
        yield (
            "docProps/app.xml",
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            "<Application>nianbao</Application></Properties>",
        )
        yield "xl/workbook.xml", self._workbook_xml()
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)
        )
        yield (
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{_PKG_REL}">{rels}'
            f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>',
        )
        yield "xl/styles.xml", self._styles_xml()
        for i, sheet in enumerate(self.sheets, start=1):
            yield f"xl/worksheets/sheet{i}.xml", sheet.xml()

    def _workbook_xml(self) -> str:
        sheets = "".join(
            f'<sheet name="{escape(s.name)}" sheetId="{i}" r:id="rId{i}"/>' for i, s in enumerate(self.sheets, 1)
        )
        names = []
        for i, s in enumerate(self.sheets):
            quoted = "'" + escape(s.name).replace("'", "''") + "'"
            if s.print_area:
                names.append(
                    f'<definedName name="_xlnm.Print_Area" localSheetId="{i}">{quoted}!{_absolute(s.print_area)}</definedName>'
                )
            if s.autofilter:
                names.append(
                    f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                    f"{quoted}!{_absolute(s.autofilter)}</definedName>"
                )
        defined = f"<definedNames>{''.join(names)}</definedNames>" if names else ""
        return (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><workbookPr/>'
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f'<sheets>{sheets}</sheets>{defined}<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
        )

    def _styles_xml(self) -> str:
        fonts: dict[Font | None, int] = {None: 0}
        fills: dict[str | None, int] = {None: 0, "gray125": 1}
        for style in self.styles:
            fonts.setdefault(style.font, len(fonts))
            fills.setdefault(style.fill, len(fills))
        xfs = []
        for style in self.styles:
            attrs = f'numFmtId="0" fontId="{fonts[style.font]}" fillId="{fills[style.fill]}" '
            attrs += f'borderId="{int(style.border)}" xfId="0"'
            if style.horizontal:
                xfs.append(
                    f'<xf {attrs} applyAlignment="1"><alignment horizontal="{style.horizontal}" vertical="center" '
                    'wrapText="1"/></xf>'
                )
            else:
                xfs.append(f"<xf {attrs}/>")
        font_xml = "".join(_font_xml(f) for f in fonts)
        fill_xml = '<fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
        fill_xml += "".join(
            f'<fill><patternFill patternType="solid"><fgColor rgb="00{c}"/></patternFill></fill>'
            for c in list(fills)[2:]
        )
        thin = '<color rgb="00000000"/>'
        border = "".join(f'<{side} style="thin">{thin}</{side}>' for side in ("left", "right", "top", "bottom"))
        return (
            f'<styleSheet xmlns="{_MAIN}"><fonts count="{len(fonts)}">{font_xml}</fonts>'
            f'<fills count="{len(fills)}">{fill_xml}</fills>'
            f'<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
            f"<border>{border}<diagonal/></border></borders>"
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
        )


def _font_xml(font: Font | None) -> str:
    if font is None:  # the default font of a new workbook
        return '<font><name val="Calibri"/><family val="2"/><sz val="11"/></font>'
    parts = [f'<name val="{escape(font.name)}"/>' if font.name else ""]
    parts.append('<b val="1"/>' if font.bold else "")
    parts.append(f'<color rgb="00{font.color}"/>' if font.color else "")
    parts.append(f'<sz val="{font.size}"/>' if font.size else "")
    return f"<font>{''.join(parts)}</font>"


def _absolute(area: str) -> str:
    """A1:D17 → $A$1:$D$17."""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in area.split(":"))
