"""Tolerant label matching for published reports, with a record of how a label deviates from the form.

Published reports reach us through web pages, PDFs and Word files made by many hands, so a label is
compared on a *match key* that ignores layout (spaces, line breaks), half-width/full-width punctuation,
quote styles, the numbering style (`1、` for `1.`) and two common misspellings of the official wording.
The canonical labels always come from `nianbao.form`; this module never types a form label.

Every deviation from the verbatim label is classified, so that the audit can report edited labels (X2)
while the importer still reads the numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from difflib import SequenceMatcher
from enum import Enum
from functools import lru_cache

from ..naming import name_key
from ..numbers import NotANumber, to_decimal

# Word-level variants seen in real reports, mapped to the official wording (applied to match keys).
# `上年转结` / `转结下年度` appear in many reports (the seed among them); `规范性文件` drops `行政`.
_SYNONYMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile("上年转结"), "上年结转"),
    (re.compile("转结下年度"), "结转下年度"),
    (re.compile("(?<!行政)规范性文件"), "行政规范性文件"),
)
_QUOTES = re.compile("[“”‘’\"'「」『』]")
_SPACE = re.compile(r"\s+")
# `1、` / `1．` / `1,` at the start of an item label → `1.`; `一.` → `一、`.
_ARABIC_NUMBERING = re.compile(r"^(\d{1,2})\s*[、,，．.]")
_CHINESE_NUMBERING = re.compile(r"^([一二三四五六七八九十]{1,3})\s*[.．,，、]")
_BLANK_MARKERS = frozenset({"", "/", "-", "--", "—", "——", "－", "无", "空", "N/A", "n/a", "&nbsp;", "\\"})
# A number, optionally with a unit and a parenthesised note: `22（其中修订16件）` is 22.
_NUMBER = re.compile(r"^([+\-\u2212]?)(\d[\d,]*(?:\.\d+)?)(?:件|条|个|项|万元|元)?(?:\(.*\)?)?$")


class Deviation(str, Enum):
    """How a label found in a report differs from the official one, from harmless to edited."""

    PUNCTUATION = "punctuation"  # half-width punctuation or other quotes: accepted, not a defect
    NUMBERING = "numbering"  # `1、` for `1.`: an edit of the label (X2 warning)
    SYNONYM = "synonym"  # 上年转结, 规范性文件 …: an edit of the wording (X2 error)
    WORDING = "wording"  # any other edit, matched by similarity (X2 error)


def squash(text: str) -> str:
    """Remove every kind of whitespace (line breaks and `&nbsp;` inside labels are layout, not text)."""
    return _SPACE.sub("", text.replace("\u00a0", " ").replace("\u3000", " "))


@lru_cache(maxsize=1 << 16)  # the same labels are folded many times while aligning
def fold(text: str) -> str:
    """Whitespace removed, full-width folded to half-width (NFKC) and quote styles dropped."""
    return _QUOTES.sub("", name_key(squash(text)))


def renumber(folded: str) -> str:
    folded = _ARABIC_NUMBERING.sub(r"\1.", folded)
    return _CHINESE_NUMBERING.sub(r"\1、", folded)


def apply_synonyms(text: str) -> str:
    for pattern, replacement in _SYNONYMS:
        text = pattern.sub(replacement, text)
    return text


@lru_cache(maxsize=1 << 16)
def match_key(text: str) -> str:
    """The form in which two labels are compared: equal keys mean the same label."""
    return apply_synonyms(renumber(fold(text)))


def classify(found: str, canonical: str) -> Deviation | None:
    """How `found` deviates from the verbatim `canonical` label; None when it is the same text."""
    if squash(found) == squash(canonical):
        return None
    f, c = fold(found), fold(canonical)
    if f == c:
        return Deviation.PUNCTUATION
    f, c = renumber(f), renumber(c)
    if f == c:
        return Deviation.NUMBERING
    if apply_synonyms(f) == apply_synonyms(c):
        return Deviation.SYNONYM
    return Deviation.WORDING


@lru_cache(maxsize=1 << 16)  # the aligner compares the same candidates with the same labels many times
def similarity(found: str, canonical: str) -> float:
    """1.0 for the same label (after tolerant normalization), else a difflib ratio in [0, 1)."""
    a, b = match_key(found), match_key(canonical)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio() * 0.999


def is_blank_marker(text: str) -> bool:
    """An empty cell, or `/` / `—` / `无` (or a literal `&nbsp;` of a copied page) written where a number belongs."""
    return fold(text).replace("&nbsp;", "") in _BLANK_MARKERS


def parse_number(text: str) -> Decimal | None:
    """The number in a table cell, tolerant of `&nbsp;`, full-width digits, units and notes; else None."""
    folded = fold(text)
    match = _NUMBER.match(folded)
    if not match:
        return None
    try:  # a negative number is read as printed (the audit reports it); 2019's 本年增/减 may be negative
        number = to_decimal(match.group(2))
        return -number if match.group(1) in ("-", "\u2212") else number
    except NotANumber:  # e.g. a run of 16 digits: no count or amount is that large
        return None


def has_note(text: str) -> bool:
    """True when a number cell carries more than the number, e.g. `22（其中修订16件）`."""
    folded = fold(text)
    return parse_number(text) is not None and not re.fullmatch(r"[+\-\u2212]?\d[\d,]*(?:\.\d+)?", folded)


@dataclass(frozen=True)
class LabelDeviation:
    """A label of the report that is not verbatim: where, what was expected, what was found."""

    table: str  # "表二", "表三", "表四", or "标题" for headings
    expected: str
    found: str
    kind: Deviation
    key: str = ""  # the row or column it names, e.g. t3.carried_over

    def to_dict(self) -> dict[str, str]:
        return {
            "table": self.table,
            "expected": self.expected,
            "found": self.found,
            "kind": self.kind.value,
            "key": self.key,
        }
