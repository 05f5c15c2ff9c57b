"""The department's own outline in its texts: sub-headings such as （一）提高认识，加强组织领导 and numbered items.

A text of 一 or 五 may bring its own sub-headings and lists; they are printed in the report's heading and
item styles, and the form's standard sub-headings of 一 are printed only for the texts that fill them,
or, when the department wrote no sub-headings of its own, for every mandatory one (as before).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum

from docx.document import Document as DocumentObject
from docx.oxml.ns import qn

from ..form import FORM, official
from ..form.report_text import STYLE_BODY, STYLE_HEADING2, STYLE_ITEM
from . import names

# （一）… as a line of its own, without a sentence's punctuation: a sub-heading.
_SUBHEADING = re.compile(r"^[（(][一二三四五六七八九十]{1,3}[）)][^。；;：:！？!?]{1,60}$")
# 1. / 1、/ （1）/ 一是 at the start of a line: an item of a numbered list.
_ITEM = re.compile(
    r"^(?:\d{1,2}\s*[.．、]|[（(]\d{1,2}[）)]|[一二三四五六七八九十]{1,3}是|[（(][一二三四五六七八九十]{1,3}[）)])"
)


class Kind(Enum):
    BODY = STYLE_BODY
    HEADING = STYLE_HEADING2
    ITEM = STYLE_ITEM


def paragraph_kind(text: str) -> Kind:
    if _SUBHEADING.match(text):
        return Kind.HEADING
    if _ITEM.match(text):
        return Kind.ITEM
    return Kind.BODY


def narrative_keys() -> tuple[str, ...]:
    """The texts printed in the six sections (not the report information)."""
    return tuple(f.key for f in FORM.texts if f.part in official.HEADINGS and not f.numeric)


def subheadings_shown(texts: Mapping[str, Sequence[str]]) -> dict[str, bool]:
    """For each text with a standard sub-heading: is the sub-heading printed?

    Always over a text that fills it; over an empty mandatory one only while the section has no
    sub-headings of the department's own (else the report would show five empty standard ones).
    """
    shown = {}
    for section in FORM.sections:
        own = any(paragraph_kind(p) is Kind.HEADING for key in section.text_keys for p in texts.get(key, ()))
        for key in section.text_keys:
            if names.standard_subheading(key):
                shown[key] = bool(texts.get(key)) or (FORM.by_key[key].required and not own)
    return shown


def apply_outline(document: DocumentObject, paragraphs: Iterable[str]) -> None:
    """Give the department's sub-headings and items (printed in the body style) their own styles."""
    kinds = {p: kind for p in paragraphs if (kind := paragraph_kind(p)) is not Kind.BODY}
    if not kinds:
        return
    by_name = {s.name: s.style_id for s in document.styles}
    body_id = by_name.get(STYLE_BODY)
    style_ids = {k: by_name[k.value] for k in set(kinds.values()) if k.value in by_name}
    if body_id is None or not style_ids:
        return
    # Only the body's own paragraphs in the body style are candidates; their text is read only then.
    for p in document.element.body.iterchildren(qn("w:p")):
        ppr = p.pPr
        if ppr is None or ppr.style != body_id:
            continue
        found = kinds.get("".join(t.text or "" for t in p.iter(qn("w:t"))).strip())
        if found is not None and found in style_ids:
            ppr.style = style_ids[found]
