"""How names and labels are compared and tidied: one normaliser for every stage.

Clerks type the same 机关 or 部门 name with full-width letters, ideographic spaces or a line break where a cell
wrapped; NFKC folding and dropping whitespace make those spellings one key.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["clean_name", "name_key"]

_SPACE = re.compile(r"\s+")


def name_key(text: str | None) -> str:
    """The form in which two spellings of a name (or a label) compare equal: NFKC-folded, no whitespace."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text or ""))


def clean_name(value: object) -> str:
    """A name as typed in a cell, tidied for display and storage: NFKC-folded, outer blanks removed."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()
