"""What nianbao's own report writes beyond the form's values, shared by the report writer and the importer.

The paragraph styles mark the parts of a generated report (the importer finds the signature by its style),
and the 信息处理费 sentence is written from the fee figures and read back into them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from ..numbers import Number, plain
from . import FORM, official

__all__ = ["FEE_KEYS", "fee_statement", "parse_fee_statement"]

# Paragraph styles of the generated report.
STYLE_TITLE = "报告标题"
STYLE_BODY = "报告正文"
STYLE_HEADING1 = "Heading 1"  # built-in, so the navigation pane and outline keep working
STYLE_HEADING2 = "Heading 2"
STYLE_TABLE = "表格文字"
STYLE_SIGNATURE = "报告落款"
STYLE_HEADER = "页眉标记"
STYLE_ITEM = "报告条目"  # an item of a numbered list the department wrote (1. … / 一是… / （1）…)

FEE_KEYS: tuple[str, ...] = tuple(f.key for f in FORM.texts if f.numeric)
_FEE_SUBJECT = official.FEE_SUBJECT
_FEE_NONE = f"本年度未发出{_FEE_SUBJECT}收费通知，未收取{_FEE_SUBJECT}。"
_FEE_FIGURES = (
    "依据《政府信息公开信息处理费管理办法》，本年度发出收费通知{n}件，收费通知总金额{a}元，"
    "实际收取" + _FEE_SUBJECT + "{c}元。"
)
_FEE_FIGURES_PATTERN = re.compile(
    re.escape(_FEE_FIGURES)
    .replace(r"\{n\}", r"(?P<n>\d+)")
    .replace(r"\{a\}", r"(?P<a>[\d.]+)")
    .replace(r"\{c\}", r"(?P<c>[\d.]+)")
)


def fee_statement(fees: Mapping[str, Number], other_text: str) -> list[str]:
    """The mandatory 信息处理费 sentence of 六, unless the clerk's text of 六 already states it."""
    if _FEE_SUBJECT in (other_text or ""):
        return []
    notices, notice_amount, collected = (fees.get(k, 0) for k in FEE_KEYS)
    if not notices and not notice_amount and not collected:
        return [_FEE_NONE]
    return [_FEE_FIGURES.format(n=str(int(notices)), a=plain(Decimal(notice_amount)), c=plain(Decimal(collected)))]


def parse_fee_statement(text: str) -> dict[str, Number] | None:
    """The fee.* figures of a sentence `fee_statement` wrote, or None for any other text."""
    if text == _FEE_NONE:
        return {k: 0 for k in FEE_KEYS}
    match = _FEE_FIGURES_PATTERN.fullmatch(text)
    if not match:
        return None
    n, a, c = match.group("n", "a", "c")
    return dict(zip(FEE_KEYS, (int(n), Decimal(a), Decimal(c)), strict=True))
