"""The rule registry: every rule that judges report data, declared once with its code, title, severity, message
template, where it applies, and a function of the typed data.

`check`, `merge`, `audit`, `render` and the cross-year checks all call `run(scope, …)`; the list of codes in
docs/codes.md is generated from the same declarations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ..data import ReportData
from ..findings import CODES, Finding
from ..numbers import plain

__all__ = ["REGISTRY", "RegisteredRule", "RuleInput", "Scope", "register", "rules_for", "run"]


class Scope(str, Enum):
    """Where a rule applies."""

    WORKBOOK = "workbook"  # one returned workbook (nianbao check, each file of a merge)
    MERGED = "merged"  # the merged data of a body (nianbao merge, build)
    PUBLISHED = "published"  # a published report read back (nianbao audit)
    RENDER = "render"  # data about to become a report (nianbao render, build)
    TWO_YEARS = "two_years"  # this year's data against last year's (--last-year)


SCOPE_LABELS: dict[Scope, str] = {
    Scope.WORKBOOK: "工作簿",
    Scope.MERGED: "汇总数据",
    Scope.PUBLISHED: "已发布的报告",
    Scope.RENDER: "生成报告",
    Scope.TWO_YEARS: "跨年度",
}


@dataclass(frozen=True)
class RuleInput:
    """What a rule looks at: the data, last year's data, and how findings point at a value."""

    data: ReportData
    last: ReportData | None = None
    # The narrative by section heading, as printed (a published report); None: taken from `data.texts`.
    sections: Mapping[str, str] | None = None
    cells: bool = False  # findings point at workbook cells ('表三 …'!D7) rather than table labels
    printed_totals: bool = False  # the totals are as printed, not recomputed (check the rules on them too)
    tainted: frozenset[str] = frozenset()  # unread or invalid cells: rules touching them are skipped
    last_name: str = "上年报告"  # how last year's report is named in messages


Check = Callable[["RegisteredRule", RuleInput], Iterable[Finding]]


@dataclass(frozen=True)
class RegisteredRule:
    code: str
    severity: str
    message: str  # the template of every finding's message, filled by `finding(**fields)`
    scopes: frozenset[Scope]
    check: Check
    statement: str = ""  # the rule in words, for docs/codes.md (default: the code's title)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return CODES[self.code]

    def finding(
        self,
        *,
        sheet: str = "",
        cell: str = "",
        key: str = "",
        value: Any = None,
        expected: Any = None,
        severity: str = "",
        **fields: Any,
    ) -> Finding:
        """A finding of this rule, its message filled from the rule's own template.

        The template may name the finding's own fields ({sheet}, {cell}, {value}, {expected} …) besides `fields`.
        """
        own = {"sheet": sheet, "cell": cell, "key": key, "value": plain(value), "expected": plain(expected)}
        return Finding(
            code=self.code,
            severity=severity or self.severity,
            message=self.message.format(**{**own, **fields}),
            sheet=sheet,
            cell=cell,
            key=key,
            value=value,
            expected=expected,
        )

    def __call__(self, given: RuleInput) -> list[Finding]:
        return list(self.check(self, given))


REGISTRY: dict[str, RegisteredRule] = {}


def register(
    code: str, severity: str, message: str, scopes: Iterable[Scope], statement: str = ""
) -> Callable[[Check], Check]:
    """Declare a rule; the decorated function is its check. A code is registered once."""
    if code not in CODES:
        raise ValueError(f"rule {code} has no title in findings.CODES")

    def add(check: Check) -> Check:
        if code in REGISTRY:
            raise ValueError(f"rule {code} registered twice")
        REGISTRY[code] = RegisteredRule(code, severity, message, frozenset(scopes), check, statement)
        return check

    return add


def rules_for(scope: Scope) -> list[RegisteredRule]:
    return [rule for rule in REGISTRY.values() if scope in rule.scopes]


def run(scope: Scope, given: RuleInput, *, only: Iterable[str] | None = None) -> list[Finding]:
    """Every finding of the rules that apply in `scope` (or of the codes in `only`), in registry order."""
    wanted = set(only) if only is not None else None
    return [f for rule in rules_for(scope) if wanted is None or rule.code in wanted for f in rule(given)]
