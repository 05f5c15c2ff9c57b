"""The data nianbao embeds in its own web page, read back exactly.

`nianbao render --html` writes the report's data, in the shape of merged.json, into
`<script type="application/json" id="nianbao-data">`. A page that carries it is read from it (every number
and text as rendered); the visible tables are still read by the tolerant reader and compared, so a page
whose tables were edited after it was generated is reported, not trusted silently.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import lxml.html
from lxml import etree

from ..findings import Finding, Severity
from ..form import FORM
from ..numbers import NotANumber, to_decimal
from .html import decode_page

__all__ = ["DATA_ELEMENT_ID", "DATA_FORMAT", "compare_visible", "read_embedded"]

DATA_ELEMENT_ID = "nianbao-data"
DATA_FORMAT = "nianbao-report-page/1"
_MAX_DEPTH = 8  # the data nests three levels; more is not nianbao's


def _depth(value: Any, level: int = 1) -> int:
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level)
    return level


def _number(value: Any) -> int | Decimal | None:
    try:
        number = to_decimal(value)
    except NotANumber:
        return None
    return int(number) if isinstance(value, int) else number


def read_embedded(path: Path) -> dict[str, Any] | None:
    """The embedded data of a page nianbao wrote, or None when the page has none (or it is not usable)."""
    try:
        root = lxml.html.document_fromstring(decode_page(path.read_bytes()))
    except (etree.ParserError, ValueError):
        return None
    found = root.xpath(f'//script[@id="{DATA_ELEMENT_ID}"][@type="application/json"]')
    if not found:
        return None
    try:
        data = json.loads(found[0].text or "", parse_float=Decimal)
    except (json.JSONDecodeError, RecursionError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != DATA_FORMAT or _depth(data) > _MAX_DEPTH:
        return None
    values, texts = data.get("values"), data.get("texts")
    if not isinstance(values, dict) or not isinstance(texts, dict):
        return None
    known = {f.key for f in FORM.numeric_fields}
    numbers = {k: n for k, v in values.items() if k in known and (n := _number(v)) is not None}
    return {
        "body": data.get("body") if isinstance(data.get("body"), str) else "",
        "year": data.get("year") if isinstance(data.get("year"), int) else None,
        "values": {f.key: numbers[f.key] for f in FORM.numeric_fields if f.key in numbers},
        "texts": {k: v for k, v in texts.items() if k in FORM.text_keys and isinstance(v, str)},
        **({"date": data["date"]} if isinstance(data.get("date"), str) else {}),
    }


def compare_visible(embedded: Mapping[str, Any], visible: Mapping[str, Any], file: str) -> list[Finding]:
    """One warning when the page's visible tables say something else than its embedded data."""
    differ = [f.key for f in FORM.table_fields
              if f.key in visible and f.key in embedded and Decimal(visible[f.key]) != Decimal(embedded[f.key])]
    if not differ:
        return []
    shown = "、".join(FORM.by_key[k].label for k in differ[:3]) + (" 等" if len(differ) > 3 else "")
    return [Finding("IM-8", Severity.WARNING,
                    f"网页中的表格与其内嵌数据有 {len(differ)} 处不一致（{shown}），已按内嵌数据导入："
                    "网页可能在生成后被改动，请核对。", file=file, value=differ)]
