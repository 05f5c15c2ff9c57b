"""Plain-text reports: the flattened one-cell-per-line text of a web copy (like the seed), the column
layout `pdftotext -layout` produces, or Markdown (pipe tables, as extractions and wiki pages write them).

Flattened text marks each table cell with a leading tab and separates table rows by blank lines. Layout
text puts a table row on one line, its cells separated by runs of spaces. Markdown puts a row on one line
between pipes (`| label | 1 | 2 |`). All become a `Document`.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import UsageError
from .align import Block, Document

# Layout text: cells of a row are separated by two or more spaces (or a tab).
_CELL_GAP = re.compile(r"(?:[ \u00a0]{2,}|\t|\u3000{2,})")
# A page number on its own line near a page break, e.g. "- 3 -" or "3".
_PAGE_NUMBER = re.compile(r"^\s*[-—－]?\s*\d{1,3}\s*[-—－]?\s*$")
_ENCODINGS = ("utf-8-sig", "gb18030")


def decode(data: bytes) -> str:
    """Text saved by Chinese tools is UTF-8 (with or without BOM) or GBK/GB18030."""
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UsageError("文本文件的编码无法识别（应为 UTF-8 或 GBK）。")


def read_text(path: Path) -> Document:
    text = decode(path.read_bytes())
    return parse_text(text)


def parse_text(text: str) -> Document:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if sum(1 for line in lines if _PIPE_ROW.match(line)) >= 3:
        return Document(parse_markdown(lines), source="markdown")
    if sum(1 for line in lines if line.startswith("\t")) >= 5:
        return Document(parse_flattened(lines), source="text")
    return Document(parse_layout(text), source="text", columns_from_layout=True)


def parse_flattened(lines: list[str]) -> list[Block]:
    """One cell per line, prefixed by a tab; a blank line ends a table row."""
    blocks: list[Block] = []
    cells: list[str] = []

    def end_row() -> None:
        if cells:
            blocks.append(Block(tuple(cells), is_row=True))
            cells.clear()

    for line in lines:
        if line.startswith("\t"):
            cells.append(line[1:])
        elif not line.strip():
            end_row()
        else:
            end_row()
            blocks.append(Block((line.strip(),)))
    end_row()
    return blocks


# A Markdown table row: `| a | b |` (the outer pipes may be missing on one side, as some tools write it).
_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$|^\s*\|(?:[^|]*\|){2,}[^|]*$|^[^|]*(?:\|[^|]*){2,}\|\s*$")
_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_MARKUP = re.compile(r"\*\*|__|<br\s*/?>|&nbsp;", re.IGNORECASE)
_MD_LINE_PREFIX = re.compile(r"^\s*(?:#{1,6}\s+|>\s*|[-*+]\s+(?=\S))")


def parse_markdown(lines: list[str]) -> list[Block]:
    """Pipe rows are table rows (the `|---|` rule line is dropped); other lines are paragraphs, without
    heading marks (`## `), quote marks and bold markers."""
    blocks: list[Block] = []
    for line in lines:
        if _PIPE_RULE.match(line) and "-" in line:
            continue
        if _PIPE_ROW.match(line):
            inner = line.strip()
            inner = inner[1:] if inner.startswith("|") else inner
            inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
            cells = [
                _MARKUP.sub(lambda m: " " if m.group().lower() == "&nbsp;" else "", c).replace("\\|", "|").strip()
                for c in re.split(r"(?<!\\)\|", inner)
            ]
            blocks.append(Block(tuple(cells), is_row=True))
            continue
        text = _MARKUP.sub("", _MD_LINE_PREFIX.sub("", line)).strip()
        if text:
            blocks.append(Block((text,)))
    return blocks


def parse_layout(text: str) -> list[Block]:
    """Column layout (pdftotext -layout): a line with several cells is a table row; other lines are
    joined into paragraphs. Page numbers next to page breaks are dropped."""
    blocks: list[Block] = []
    para: list[str] = []

    def end_para() -> None:
        if para:
            blocks.append(Block(("".join(para),)))
            para.clear()

    for page in text.split("\f"):
        lines = [line.rstrip() for line in page.split("\n")]
        lines = _drop_page_numbers(lines)
        for line in lines:
            stripped = line.strip()
            if not stripped:
                end_para()
                continue
            cells = [c for c in _CELL_GAP.split(stripped) if c.strip()]
            if len(cells) > 1 or _looks_like_cell(stripped):
                end_para()
                # Within a table line a single space also separates cells (`（三） 1、属`, `161 109`).
                blocks.append(Block(tuple(stripped.split()), is_row=True))
                continue
            if _starts_paragraph(line) or _is_heading_like(stripped):
                end_para()
            para.append(stripped)
            if _is_heading_like(stripped):
                end_para()
    end_para()
    return blocks


def _drop_page_numbers(lines: list[str]) -> list[str]:
    content = [i for i, line in enumerate(lines) if line.strip()]
    drop = {i for i in (content[:1] + content[-1:]) if _PAGE_NUMBER.match(lines[i])}
    return [line for i, line in enumerate(lines) if i not in drop]


def _looks_like_cell(stripped: str) -> bool:
    """A lone number on a line is a table cell (a wrapped row), not narrative."""
    return bool(re.fullmatch(r"[\d.,]+|[—－/-]{1,2}", stripped))


def _starts_paragraph(line: str) -> bool:
    return bool(re.match(r"^(?:[ \u00a0]{2,}|\u3000)", line))


def _is_heading_like(stripped: str) -> bool:
    return len(stripped) <= 40 and bool(
        re.match(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)", stripped)
    )
