"""Read a .docx report that nianbao generated: tables aligned with the form's grids, text by headings.

Each table of the document is read as a filled grid (a merged cell's text in every position it covers).
A number's place is identified by its labels, not its index: the non-number texts of its row and the
header texts above it in its column. The same signatures are computed from the form's layout grid, so a
table whose rows are recognised by their labels is read even when its position in the document differs.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from docx import Document
from docx.opc.exceptions import OpcError
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph

from ..errors import UsageError
from ..form import FORM, FieldType, Table, official
from ..report import styles
from ..report.context import format_amount, parse_date, parse_fee_statement

Signature = tuple[tuple[str, ...], tuple[str, ...]]

_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Labels compared loosely: NFKC (full-width ↔ half-width punctuation), no whitespace, ASCII quotes."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    return _SPACES.sub("", text)


def _is_number(text: str) -> bool:
    return bool(_NUMBER.fullmatch(normalise(text).replace(",", "")))


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for item in items:
        if item and (not out or out[-1] != item):
            out.append(item)
    return tuple(out)


def _signatures(grid: Sequence[Sequence[str]], is_value: Sequence[Sequence[bool]]) -> dict[tuple[int, int], Signature]:
    """For each value position: (row labels, column headers above it), normalised and de-duplicated."""
    out: dict[tuple[int, int], Signature] = {}
    for r, row in enumerate(grid):
        row_labels = _dedupe(normalise(t) for c, t in enumerate(row) if not is_value[r][c])
        for c, _text in enumerate(row):
            if not is_value[r][c]:
                continue
            headers: list[str] = []
            seen_header = False
            for above in range(r - 1, -1, -1):
                if is_value[above][c]:
                    if seen_header:
                        break
                    continue
                seen_header = True
                headers.append(normalise(grid[above][c]))
            out[(r, c)] = (row_labels, _dedupe(headers))
    return out


def _form_grid(table: Table) -> tuple[list[list[str]], list[list[bool]], dict[tuple[int, int], str]]:
    grid = [[""] * table.n_cols for _ in range(table.n_rows)]
    values = [[False] * table.n_cols for _ in range(table.n_rows)]
    keys: dict[tuple[int, int], str] = {}
    for cell in table.grid:
        for r in range(cell.row, cell.row + cell.rowspan):
            for c in range(cell.col, cell.col + cell.colspan):
                grid[r][c] = cell.text
                values[r][c] = cell.kind == "value"
                if cell.key:
                    keys[(r, c)] = cell.key
    return grid, values, keys


def form_signatures() -> dict[Signature, str]:
    """Signature → field key for every value cell of the three tables (unique by construction)."""
    out: dict[Signature, str] = {}
    for table in FORM.tables:
        grid, values, keys = _form_grid(table)
        for pos, sig in _signatures(grid, values).items():
            out[sig] = keys[pos]
    return out


def _docx_grid(table: DocxTable) -> list[list[str]]:
    return [[cell.text.strip() for cell in row.cells] for row in table.rows]


def _parse_number(key: str, text: str) -> int | Decimal:
    number = Decimal(normalise(text).replace(",", ""))
    return int(number) if FORM.by_key[key].type is FieldType.INT else number


def read_tables(tables: Iterable[DocxTable]) -> dict[str, int | Decimal]:
    signatures = form_signatures()
    values: dict[str, int | Decimal] = {}
    for table in tables:
        grid = _docx_grid(table)
        is_value = [[_is_number(t) for t in row] for row in grid]
        for (r, c), sig in _signatures(grid, is_value).items():
            key = signatures.get(sig)
            if key is not None and key not in values:
                try:
                    values[key] = _parse_number(key, grid[r][c])
                except InvalidOperation:  # pragma: no cover - _is_number guarantees a number
                    continue
    return values


# -- the text -------------------------------------------------------------------------------------
_TITLE = re.compile(r"^(?P<body>.+?)(?P<year>\d{4})" + re.escape(official.TITLE_SUFFIX) + "$")
_DATE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")


def _subheadings() -> dict[str, str]:
    """Sub-heading text → the narrative field it introduces (as the template builder prints them)."""
    return {normalise(f.row[0]): f.key for f in FORM.texts if f.row and f.row[0].startswith("（")}


def _read_fees(text: str, values: dict[str, Any]) -> bool:
    """Fill fee.* from the generated 信息处理费 sentence; True when the paragraph was that sentence."""
    fees = parse_fee_statement(text)
    if fees is None:
        return False
    values.update(fees)
    return True


def _lead_key(section_keys: Sequence[str]) -> str | None:
    """The narrative field printed right under a heading, without a sub-heading of its own."""
    if section_keys and not FORM.by_key[section_keys[0]].row[0].startswith("（"):
        return section_keys[0]
    return None


def _is_signature(paragraph: Paragraph) -> bool:
    return paragraph.style is not None and paragraph.style.name == styles.STYLE_SIGNATURE


def read_texts(paragraphs: Sequence[Paragraph], values: dict[str, Any]) -> dict[str, Any]:
    """Title, narrative fields, the fee sentence and the signature from the document's paragraphs."""
    headings = {normalise(h): s for h, s in zip(official.HEADINGS, FORM.sections, strict=True)}
    subheadings = _subheadings()
    result: dict[str, Any] = {"texts": {}}
    texts: dict[str, list[str]] = {}
    section = None
    current: str | None = None
    for paragraph in paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        norm = normalise(text)
        if "body" not in result and (m := _TITLE.match(text)):
            result["body"], result["year"] = m.group("body"), int(m.group("year"))
        elif _is_signature(paragraph):
            if _DATE.match(text):
                result["date"] = parse_date(text).isoformat()
            else:
                result["texts"]["text.report.issuer"] = text
        elif norm in headings:
            section = headings[norm]
            current = _lead_key(section.text_keys)
        elif section is None:
            continue
        elif norm in subheadings and subheadings[norm] in section.text_keys:
            current = subheadings[norm]
        elif section.number == "六" and _read_fees(text, values):
            continue
        elif current is not None:
            texts.setdefault(current, []).append(text)
    for key, lines in texts.items():
        result["texts"][key] = "\n".join(lines)
    return result


def read_report(path: Path) -> dict[str, Any]:
    try:
        document = Document(str(path))
    except (zipfile.BadZipFile, OpcError, KeyError, ValueError) as exc:
        raise UsageError(f"无法读取 {path.name}：它不是有效的 Word（.docx）文件。") from exc
    values: dict[str, Any] = dict(read_tables(document.tables))
    data = read_texts(document.paragraphs, values)
    if "body" not in data:
        raise UsageError(f"{path.name} 中找不到报告标题（“机关名称+年份{official.TITLE_SUFFIX}”），"
                         "目前只能导入本工具生成的报告。")
    missing = [f.key for f in FORM.table_fields if f.key not in values]
    if len(missing) == len(FORM.table_fields):
        raise UsageError(f"{path.name} 中找不到表二、表三、表四，目前只能导入本工具生成的报告。")
    ordered = {f.key: values[f.key] for f in (*FORM.table_fields, *FORM.texts) if f.key in values}
    out: dict[str, Any] = {
        "body": data["body"],
        "year": data["year"],
        "template_version": FORM.template_version,
        "values": ordered,
        "texts": data["texts"],
        "source": path.name,
    }
    if "date" in data:
        out["date"] = data["date"]
    if missing:
        out["missing"] = missing
    return out


def to_jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """Decimals as JSON numbers (via float only when exact enough to print the same digits)."""
    def convert(value: Any) -> Any:
        if isinstance(value, Decimal):
            text = format_amount(value)
            return int(text) if "." not in text else float(text)
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value
    return convert(data)
