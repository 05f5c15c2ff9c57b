"""Read back a .docx report that nianbao generated.

The tables go through the same tolerant aligner as every published report (`published.py`); what this
module adds is the exact reading of nianbao's own text layout: each narrative field by its sub-heading,
the generated 信息处理费 sentence, and the signature (issuer and date), so that render → import gives back
every field by its key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docx.document import Document as DocxDocument
from docx.text.paragraph import Paragraph

from ..dates import parse_date
from ..errors import UsageError
from ..form import FORM, official
from ..form.report_text import STYLE_SIGNATURE, parse_fee_statement
from .labels import fold as normalise
from .published_docx import open_report

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


def _signature_style(document: DocxDocument) -> str | None:
    """The style id of nianbao's signature style in this document (None when it has none).

    Paragraphs are compared by style id: `Paragraph.style` looks the style up in the styles part on every call.
    """
    try:
        return str(document.styles[STYLE_SIGNATURE].style_id)
    except KeyError:
        return None


def _is_signature(paragraph: Paragraph, style_id: str | None) -> bool:
    return style_id is not None and paragraph._p.style == style_id


def read_texts(paragraphs: Sequence[Paragraph], values: dict[str, Any], signature: str | None) -> dict[str, Any]:
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
        elif _is_signature(paragraph, signature):
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


def is_own_report(path: Path) -> bool:
    """True for a .docx whose paragraphs use nianbao's signature style (what the template builder writes)."""
    try:
        document = open_report(path)
    except Exception:  # noqa: BLE001 - anything unreadable is simply not ours; the caller reports it
        return False
    signature = _signature_style(document)
    return any(_is_signature(p, signature) for p in reversed(document.paragraphs))  # it closes the report


def read_own_texts(path: Path) -> dict[str, Any]:
    """Title, narrative fields by key, 信息处理费 figures, issuer and date of a nianbao report."""
    document = open_report(path)
    fees: dict[str, Any] = {}
    data = read_texts(document.paragraphs, fees, _signature_style(document))
    if "body" not in data:
        raise UsageError(f"{path.name} 中找不到报告标题（“机关名称+年份{official.TITLE_SUFFIX}”）。")
    data["fees"] = fees
    return data
