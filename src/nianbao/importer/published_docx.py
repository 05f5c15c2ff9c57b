"""Word (.docx) reports made by any body, read through the tolerant aligner.

The body is walked in order (paragraphs and tables, also inside content controls); each table row
gives its cells once: a horizontally merged cell is one `w:tc`, and the continuation cells of a
vertical merge (`w:vMerge` without `restart`) are skipped, as in a web page's rowspan.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from docx import Document as open_docx
from docx.document import Document as DocxDocument
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from lxml import etree

from ..errors import UsageError
from ..reader.sniff import MAX_DOCX_BYTES, check_docx
from .align import Block, Document
from .labels import squash

_P, _TBL, _TR, _TC, _SDT = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc"), qn("w:sdt")
_T, _TAB, _BR, _CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")
_VMERGE, _VAL = qn("w:vMerge"), qn("w:val")


# The documents opened while one report is imported (see `one_opening`); None outside of it.
_OPENED: dict[tuple[str, int, int, int], DocxDocument] | None = None


@contextmanager
def one_opening() -> Iterator[None]:
    """Within this block a report is parsed once, however often its readers open it (the tables, whether
    nianbao made it, its texts); the document is let go when the block ends, so nothing outlives one import."""
    global _OPENED
    outer, _OPENED = _OPENED, {}
    try:
        yield
    finally:
        _OPENED = outer


def open_report(path: Path) -> DocxDocument:
    """python-docx's document, after the workbook reader's guards (size, zip bomb, DTD) passed on the bytes."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)
    if _OPENED is not None and key in _OPENED:
        return _OPENED[key]
    document = _open_report(path, stat.st_size)
    if _OPENED is not None:
        _OPENED[key] = document
    return document


def _open_report(path: Path, size: int) -> DocxDocument:
    if size > MAX_DOCX_BYTES:
        raise UsageError(f"{path.name}：文件大小 {size // 1024 // 1024} MB，远超正常的年报文件，拒绝读取。")
    data = path.read_bytes()
    refusal = check_docx(data)
    if refusal:
        raise UsageError(f"{path.name}：{refusal.message}。")
    try:
        document = open_docx(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise UsageError(f"{path.name} 不是可读取的 Word（.docx）文件：{exc}") from exc
    if document.element.tag != qn("w:document"):  # e.g. a spreadsheet part declared as the main document
        raise UsageError(f"{path.name} 不是可读取的 Word（.docx）文件：主文档部件不是 Word 正文。")
    return document


def read_docx(path: Path) -> Document:
    doc = open_report(path)
    blocks: list[Block] = []
    for el in _body_items(doc.element.body):
        if el.tag == _P:
            text = paragraph_text(el)
            if squash(text):
                blocks.append(Block((text.strip(),)))
        else:
            blocks.extend(_table_rows(el))
    title = doc.core_properties.title or ""
    return Document(blocks, source="docx", title_hint=title)


def _body_items(parent: etree._Element) -> Iterator[etree._Element]:
    for child in parent:
        if child.tag in (_P, _TBL):
            yield child
        elif child.tag == _SDT:
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _body_items(content)


def paragraph_text(p: etree._Element) -> str:
    parts: list[str] = []
    for node in p.iter(_T, _TAB, _BR, _CR):
        if node.tag == _T:
            parts.append(node.text or "")
        elif node.tag == _TAB:
            parts.append("\t")
        else:
            parts.append("\n")
    return "".join(parts)


def _table_rows(tbl: etree._Element) -> Iterator[Block]:
    for tr in tbl.iter(_TR):
        if tr.getparent() is not None and _nearest_table(tr) is not tbl:
            continue  # rows of a nested table are read with that table
        cells: list[str] = []
        for tc in tr.findall(_TC):
            vmerge = tc.find(f"{qn('w:tcPr')}/{_VMERGE}")
            if vmerge is not None and vmerge.get(_VAL, "continue") != "restart":
                continue
            cells.append("\n".join(paragraph_text(p) for p in tc.iter(_P)).strip())
        if cells:
            yield Block(tuple(cells), is_row=True)


def _nearest_table(el: etree._Element) -> etree._Element | None:
    node = el.getparent()
    while node is not None and node.tag != _TBL:
        node = node.getparent()
    return node
