"""How a department writes its numbers, declared once: what each kind of entry means and how serious it is,
which values are implausible, and the sections blank cells are reported by.

The reader's findings, the workbook's data validation and its live checks all read these declarations,
so Excel and `nianbao check` say the same thing about the same cell.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..naming import name_key
from .model import Field
from .rules import Severity


@dataclass(frozen=True)
class EntryKind:
    """One way a number cell can be written, with the finding it gives."""

    key: str  # "blank", "placeholder", "normalized", "invalid" (the reader's outcomes)
    code: str
    severity: str
    title: str  # Chinese, for the instructions


# A placeholder word is not a number: the clerk was told to write 0, and a "无" might equally stand for
# "not counted yet". It is an error, as the sheet's data validation already refuses it. Full-width
# digits, spaces and a trailing unit leave no doubt about the number: a warning, and the number is used.
ENTRY_KINDS: dict[str, EntryKind] = {
    k.key: k
    for k in (
        EntryKind("blank", "V-BLANK", Severity.WARNING, "空白：按0计算（各表都空白时，须在基本信息中确认“全部为0”）"),
        EntryKind("placeholder", "V-INVALID", Severity.ERROR, "“无”“—”“/”等文字：不是数字，没有发生请填0"),
        EntryKind(
            "normalized", "V-NORMALIZED", Severity.WARNING, "全角数字、空格、千位分隔符或“件”等单位：自动规范后使用"
        ),
        EntryKind("invalid", "V-INVALID", Severity.ERROR, "其他文字、负数、件数带小数：不能使用"),
    )
}

# Words clerks write for "nothing"; compared after NFKC folding, spaces removed and lower-cased.
PLACEHOLDER_WORDS: frozenset[str] = frozenset({"无", "-", "—", "–", "/", "\\", "——", "--", "无。", "没有", "n/a", "na"})
# Units a clerk may type after the number (after NFKC folding); the longest first.
NUMBER_UNITS: tuple[str, ...] = ("万元", "件", "个", "条", "元", "项", "次")

# Plausible upper bounds per unit, for one body's year. The busiest bodies receive some tens of thousands of
# applications and hold a few thousand normative documents, so a count above 1,000,000 is a typo (an ID or
# phone number pasted, digits repeated). 万元: 10,000,000 万元 (1,000亿元) is above any single body's
# administrative fees. 元 (信息处理费): fees are at most some hundreds of 元 per application, so 1,000,000 元
# would already need thousands of charged applications. Above the bound is a warning, never an error.
PLAUSIBLE_MAX: dict[str, int] = {"件": 1_000_000, "万元": 10_000_000, "元": 1_000_000}
IMPLAUSIBLE_CODE = "V-IMPLAUSIBLE"
IMPLAUSIBLE_SEVERITY = Severity.WARNING

# A workbook with no number at all: an error unless the department confirms that every number is 0.
UNFILLED_CODE = "V-UNFILLED"
UNFILLED_SEVERITY = Severity.ERROR
# The confirmation ticked, but a number is not 0: the confirmation cannot be true.
CONFIRM_CODE = "V-CONFIRM"
CONFIRM_SEVERITY = Severity.ERROR
# An empty or malformed 填报人 / 联系电话 / 填报日期; empty fields take the field's own `when_empty`.
COVER_CODE = "V-COVER"
COVER_FORMAT_SEVERITY = Severity.WARNING


def plausible_max(field: Field) -> int | None:
    return PLAUSIBLE_MAX.get(field.unit)


def entry_section(field: Field) -> str:
    """The part of the form blank cells are counted by, e.g. "表三 三、本年度办理结果 （三）不予公开".

    表三's result rows group by their sub-heading, 表二 by its block (第二十条第（…）项), 表四 by its
    category, the fee figures by their subject: one warning per section a clerk recognises on paper.
    """
    if field.part == "表三":
        path = field.row[:2] if len(field.row) > 2 else field.row
    elif field.part == "表四":
        path = field.column[:-1]
    else:
        path = field.row[:1]
    return " ".join((field.part, *path))


_PHONE_SEPARATORS = re.compile(r"[、,，;；/]|或")
_PHONE = re.compile(r"(\+?86)?[\d()\-]+((转|ext\.?|#|-)\d{1,6})?")
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")


def looks_like_phone(text: str) -> bool:
    """A landline (with area code or extension) or a mobile number; several may be listed with 、 or /."""
    folded = name_key(text)
    parts = [p for p in _PHONE_SEPARATORS.split(folded) if p]
    return bool(parts) and all(_PHONE.fullmatch(p) and 7 <= len(re.sub(r"\D", "", p)) <= 18 for p in parts)


def looks_like_date(text: str) -> bool:
    """A calendar date such as 2025-01-06, 2025/1/6, 2025.1.6 or 2025年1月6日."""
    match = _DATE.fullmatch(name_key(text))
    if not match:
        return False
    try:
        dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return False
    return True


FORMAT_CHECKS: dict[str, tuple[Callable[[str], bool], str]] = {
    "phone": (looks_like_phone, "看起来不是电话号码，请填写可以联系到填报人的电话（如 0574-86761234 或 13900000000）"),
    "date": (looks_like_date, "不是日期，请按 2025-01-06 的格式填写"),
}
