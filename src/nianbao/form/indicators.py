"""The figures a 主管部门 compares across the bodies of its area, declared once over the form's keys.

The area's 汇总.xlsx (各单位对比) and its charts draw from these; a share is a count over a total of the same table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from ..numbers import Number

__all__ = ["INDICATORS", "Indicator"]


def _t3(row: str) -> tuple[str, ...]:
    return (f"t3.{row}.total",)


_WITHHELD = tuple(
    f"t3.withheld_{k}.total"
    for k in (
        "state_secret",
        "prohibited",
        "security",
        "third_party",
        "internal",
        "process",
        "enforcement_file",
        "query",
    )
)
_UNAVAILABLE = tuple(f"t3.unavailable_{k}.total" for k in ("not_held", "needs_creation", "unclear"))
_SUITS = ("t4.suit_direct.total", "t4.suit_after_review.total")


@dataclass(frozen=True)
class Indicator:
    label: str  # the column heading
    keys: tuple[str, ...]  # summed
    over: tuple[str, ...] = ()  # a share: `keys` over the sum of these (empty: a plain figure)
    unit: str = "件"

    @property
    def share(self) -> bool:
        return bool(self.over)

    def value(self, values: Mapping[str, Number]) -> Number | Decimal | None:
        """The figure (a share as a fraction from 0 to 1), or None when a share's total is 0."""
        total = sum((values.get(k, 0) for k in self.keys), 0)
        if not self.over:
            return total
        base = sum((values.get(k, 0) for k in self.over), 0)
        return Decimal(total) / Decimal(base) if base else None


INDICATORS: tuple[Indicator, ...] = (
    Indicator("新收申请", _t3("new")),
    Indicator("予以公开占比", _t3("disclosed"), _t3("concluded_total"), "%"),
    Indicator("部分公开占比", _t3("partly_disclosed"), _t3("concluded_total"), "%"),
    Indicator("不予公开占比", _WITHHELD, _t3("concluded_total"), "%"),
    Indicator("无法提供占比", _UNAVAILABLE, _t3("concluded_total"), "%"),
    Indicator("结转下年度", _t3("carried_forward")),
    Indicator("行政复议", ("t4.review.total",)),
    Indicator("复议纠正占比", ("t4.review.corrected",), ("t4.review.total",), "%"),
    Indicator("行政诉讼", _SUITS),
    Indicator("诉讼纠正占比", ("t4.suit_direct.corrected", "t4.suit_after_review.corrected"), _SUITS, "%"),
    Indicator("规范性文件现行有效", ("t2.normative_docs.in_force",)),
    Indicator("实际收取信息处理费", ("fee.collected",), unit="元"),
)
