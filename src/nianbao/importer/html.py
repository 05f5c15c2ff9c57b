"""Saved web pages (.html/.htm) of published reports.

Government sites wrap the report in layout tables, menus and scripts, and their data tables use
rowspan/colspan, `&nbsp;` and `<br>` inside cells. Only innermost tables are data tables; every other
block element with text becomes a paragraph.
"""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
from lxml import etree

from ..errors import UsageError
from .align import Block, Document
from .labels import squash

_SKIP = frozenset({"script", "style", "noscript", "head", "template", "iframe", "select", "option", "button"})
_BLOCK = frozenset(
    {
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "section",
        "article",
        "center",
        "blockquote",
        "pre",
        "dd",
        "dt",
        "header",
        "footer",
        "main",
        "td",
        "th",
        "tr",
        "table",
        "ul",
        "ol",
        "dl",
        "form",
        "body",
        "span_block",
    }
)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.IGNORECASE)


def decode_page(data: bytes) -> str:
    """Pages are UTF-8 or GBK, declared in a <meta> or not at all (then UTF-8 is tried first)."""
    match = _META_CHARSET.search(data[:4096])
    declared = match.group(1).decode("ascii").lower() if match else ""
    if declared in ("gb2312", "gbk", "gb18030"):
        declared = "gb18030"  # a superset: pages declared GB2312 often use GBK characters
    for encoding in dict.fromkeys(e for e in (declared, "utf-8-sig", "gb18030") if e):
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("utf-8", "replace")


def read_html(path: Path) -> Document:
    text = decode_page(path.read_bytes())
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # lxml refuses str input with an encoding declaration
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise UsageError(f"{path.name} 不是可读取的网页文件：{exc}") from exc
    title_el = root.find(".//title")
    title = title_el.text_content().strip() if title_el is not None else ""
    body = root.find("body")
    blocks: list[Block] = []
    _walk(body if body is not None else root, blocks)
    return Document(blocks, source="html", title_hint=title)


def _cell_text(el: lxml.html.HtmlElement) -> str:
    """Text of a cell or paragraph, with <br> and nested blocks as line breaks."""
    parts: list[str] = []

    def visit(node: lxml.html.HtmlElement) -> None:
        if not isinstance(node.tag, str) or node.tag in _SKIP:
            return
        if node.tag == "br":
            parts.append("\n")
        elif node.text:
            parts.append(node.text)
        for child in node:
            visit(child)
            if isinstance(child.tag, str) and child.tag in _BLOCK:
                parts.append("\n")
            if child.tail:
                parts.append(child.tail)

    visit(el)
    return "".join(parts).replace("\u00a0", " ").strip()


def _is_data_table(el: lxml.html.HtmlElement) -> bool:
    return el.tag == "table" and el.find(".//table") is None


def _walk(el: lxml.html.HtmlElement, blocks: list[Block]) -> None:
    if not isinstance(el.tag, str) or el.tag in _SKIP:
        return
    if _is_data_table(el):
        for tr in el.iter("tr"):
            cells = tuple(_cell_text(td) for td in tr if isinstance(td.tag, str) and td.tag in ("td", "th"))
            if cells:
                blocks.append(Block(cells, is_row=True))
        return
    has_block_children = any(
        isinstance(c.tag, str)
        and (
            c.tag in _BLOCK
            or c.find(".//table") is not None
            or c.find(".//p") is not None
            or c.find(".//div") is not None
        )
        for c in el
    )
    if not has_block_children:
        _add_paragraphs(_cell_text(el), blocks)
        return
    if el.text and squash(el.text):
        _add_paragraphs(el.text, blocks)
    for child in el:
        if not isinstance(child.tag, str):
            if child.tail and squash(child.tail):
                _add_paragraphs(child.tail, blocks)
            continue
        if (
            child.tag in _BLOCK
            or child.find(".//table") is not None
            or child.find(".//p") is not None
            or child.find(".//div") is not None
        ):
            _walk(child, blocks)
        else:
            _add_paragraphs(_cell_text(child), blocks)
        if child.tail and squash(child.tail):
            _add_paragraphs(child.tail, blocks)


def _add_paragraphs(text: str, blocks: list[Block]) -> None:
    for line in text.replace("\u00a0", " ").split("\n"):
        if squash(line):
            blocks.append(Block((line.strip(),)))
