"""The data nianbao embeds in its own web page, read back exactly.

`nianbao render --html` writes the report's data, in the merged.json contract (`data.ReportData`), into
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

from ..data import DATA_FORMAT, ReportData
from ..errors import UsageError
from ..findings import Finding, Severity
from ..form import FORM
from .html import decode_page

__all__ = ["DATA_ELEMENT_ID", "compare_visible", "read_embedded"]

DATA_ELEMENT_ID = "nianbao-data"


def read_embedded(path: Path) -> dict[str, Any] | None:
    """The embedded data of a page nianbao wrote (body, year, values, texts, date), or None when the page
    has none or it is not nianbao's report data."""
    try:
        root = lxml.html.document_fromstring(decode_page(path.read_bytes()))
    except (etree.ParserError, ValueError):
        return None
    found = root.xpath(f'//script[@id="{DATA_ELEMENT_ID}"][@type="application/json"]')
    if not found:
        return None
    try:
        raw = json.loads(found[0].text or "", parse_float=Decimal)
    except (json.JSONDecodeError, RecursionError, ValueError):
        return None
    if not isinstance(raw, dict) or raw.get("format") != DATA_FORMAT:
        return None
    try:
        data = ReportData.from_json(raw, what="网页内嵌的数据")
    except UsageError:
        return None
    return {
        "body": data.body,
        "year": data.year,
        "values": dict(data.values),
        "texts": dict(data.texts),
        **({"date": data.date} if data.date else {}),
    }


def compare_visible(embedded: Mapping[str, Any], visible: Mapping[str, Any], file: str) -> list[Finding]:
    """One warning when the page's visible tables say something else than its embedded data."""
    differ = [
        f.key
        for f in FORM.table_fields
        if f.key in visible and f.key in embedded and Decimal(visible[f.key]) != Decimal(embedded[f.key])
    ]
    if not differ:
        return []
    shown = "、".join(FORM.by_key[k].label for k in differ[:3]) + (" 等" if len(differ) > 3 else "")
    return [
        Finding(
            "IM-13",
            Severity.WARNING,
            f"网页中的表格与其内嵌数据有 {len(differ)} 处不一致（{shown}），已按内嵌数据导入："
            "网页可能在生成后被改动，请核对。",
            file=file,
            value=differ,
        )
    ]
