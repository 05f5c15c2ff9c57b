"""Plausibility rules on a body's tables: what is possible but most likely a mistake."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ..data import guess_body_type
from ..findings import Finding
from ..form import FORM, Severity, official
from ..numbers import plain
from .registry import RegisteredRule, RuleInput, Scope, register

__all__ = ["FEE_AMOUNT_LIMIT", "T4_4_MINIMUM"]

FEE_AMOUNT_LIMIT = Decimal(10000)  # 万元; more at a 乡镇/街道 suggests 元 were entered
T4_4_MINIMUM = 10  # fewer cases than this are no sign of anything

_WHOLE = [Scope.MERGED, Scope.PUBLISHED, Scope.RENDER]
_RULES_ROW = official.T2_BLOCKS[0][2][0]  # 规章
_RULES_KEYS = tuple(f.key for f in FORM.table("t2").fields if f.key.startswith(f"t2.{_RULES_ROW.key}."))
_FEE_KEY = next(f.key for f in FORM.table("t2").fields if f.type.value == "decimal")
_REVIEW, _DIRECT, _AFTER = (f"t4.{block}.total" for block, _ in official.T4_BLOCKS)


def _kind(given: RuleInput) -> str:
    return given.data.body_type or guess_body_type(given.data.body)


@register("T2-2", Severity.WARNING, "{body}（{kind}）没有规章制定权，表二“{row}”一行应为0，报告中不为0。", _WHOLE)
def _no_rule_making_power(rule: RegisteredRule, given: RuleInput) -> Iterator[Finding]:
    values, kind = given.data.values, _kind(given)
    nonzero = [k for k in _RULES_KEYS if (values.get(k) or 0) > 0]
    if kind in ("乡镇", "街道", "县级") and nonzero:
        yield rule.finding(
            sheet="表二",
            cell=_RULES_ROW.label,
            key=nonzero[0],
            value=values[nonzero[0]],
            body=given.data.body,
            kind=kind,
            row=_RULES_ROW.label,
        )


@register(
    "T2-4", Severity.WARNING, "表二行政事业性收费 {fee} 万元，对{kind}而言偏大，请确认是否把“元”填成了“万元”。", _WHOLE
)
def _fee_in_yuan(rule: RegisteredRule, given: RuleInput) -> Iterator[Finding]:
    fee, kind = given.data.values.get(_FEE_KEY), _kind(given)
    if fee is not None and kind in ("乡镇", "街道") and Decimal(fee) > FEE_AMOUNT_LIMIT:
        yield rule.finding(
            sheet="表二", cell=FORM.by_key[_FEE_KEY].row[-1], key=_FEE_KEY, value=plain(fee), fee=plain(fee), kind=kind
        )


@register("T4-3", Severity.WARNING, "表四“复议后起诉”总计为{after}，但{scope}行政复议总计为0，请核实。", _WHOLE)
def _suit_after_no_review(rule: RegisteredRule, given: RuleInput) -> Iterator[Finding]:
    values = given.data.values
    review, after = values.get(_REVIEW), values.get(_AFTER)
    last_review = given.last.values.get(_REVIEW) if given.last is not None else None
    if after and review == 0 and (given.last is None or not last_review):
        yield rule.finding(
            sheet="表四",
            cell=official.T4_BLOCKS[2][1][-1],
            key=_AFTER,
            after=after,
            scope="本年和上年" if given.last is not None else "本年",
        )


@register(
    "T4-4",
    Severity.WARNING,
    "表四行政复议、行政诉讼共{cases}件，多于本年新收和上年结转的申请{applications}件，"
    "可能计入了与政府信息公开无关的案件。",
    _WHOLE,
)
def _more_cases_than_applications(rule: RegisteredRule, given: RuleInput) -> Iterator[Finding]:
    v = given.data.values
    keys = (_REVIEW, _DIRECT, _AFTER, "t3.new.total", "t3.carried_over.total")
    if any(v.get(k) is None for k in keys):
        return
    cases = v[_REVIEW] + v[_DIRECT] + v[_AFTER]
    applications = v["t3.new.total"] + v["t3.carried_over.total"]
    if cases >= T4_4_MINIMUM and cases > applications:
        yield rule.finding(
            sheet="表四", cell="总计", value=cases, expected=applications, cases=cases, applications=applications
        )


@register("T3-7", Severity.WARNING, "表三“（六）2”逾期未缴费{unpaid}件，但“{section}”没有写明发出的收费通知。", _WHOLE)
def _unpaid_fee_without_notice(rule: RegisteredRule, given: RuleInput) -> Iterator[Finding]:
    unpaid = given.data.values.get("t3.other_unpaid_fee.total")
    other = given.data.texts.get(official.OTHER_TEXT[0], "")
    if unpaid and "收费通知" not in other:
        yield rule.finding(
            sheet=official.HEADINGS[5],
            key="t3.other_unpaid_fee.total",
            value=unpaid,
            unpaid=unpaid,
            section=official.HEADINGS[5],
        )
