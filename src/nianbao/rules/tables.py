"""The form's table rules (`FORM.rules`, the 勾稽 rules of the 2021 format) evaluated on a set of values, and registered.

The rules are declared once in `nianbao.form`; this module only evaluates them. Findings on a returned
workbook carry real cell addresses from the template layout, so a clerk can go straight to the cell;
findings on a published report (or on data from another system) name the table's row and column labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from ..findings import Finding
from ..form import FORM, BoundRule, CellRule, Rule, SumRule, ZeroRule
from ..form.layout import location
from ..numbers import Number, plain
from .registry import RegisteredRule, RuleInput, Scope, register

__all__ = ["NOWHERE", "TABLES", "WORKBOOK", "Context", "Places", "rule_findings", "tainted_keys", "term_label", "terms"]

# T3-5 and T3-6 can only fail where T3-1 fails in the same column (all cells being >= 0), so they are
# reported only when T3-1 holds there: one typo gives one error, not three.
_IMPLIED_BY: dict[str, str] = {"T3-5": "T3-1", "T3-6": "T3-1"}

# A rule on totals only (e.g. T3-1 on the 总计 column) is the sum of the same rule on the input columns,
# which is checked already: reporting it too would turn one typo into two errors.
_DERIVED_KEYS = frozenset(f.key for f in FORM.table_fields if not f.input)

# What the clerk should look at, per rule.
_ADVICE: dict[str, str] = {
    "T3-1": "请核对本年新收、上年结转、办理结果各行和结转下年度的数字",
    "T3-2": "请核对办理结果各行",
    "T3-3": "请核对这一行各类申请人的数字",
    "T3-5": "请核对这一列",
    "T3-6": "结转下年度的申请不可能多于本年新收与上年结转之和，请核对",
    "T4-1": "请核对各项结果",
}


@dataclass(frozen=True)
class Context:
    """Where the values came from, copied into every finding."""

    file: str = ""
    department: str = ""


def tainted_keys(invalid: Iterable[str]) -> set[str]:
    """Invalid input cells and every total computed from them: rules on these say nothing useful."""
    tainted = set(invalid)
    for rule in FORM.derivations:
        if any(k in tainted for k in rule.rhs):
            tainted.add(rule.derives or "")
    return tainted


def term_label(key: str, keys: Iterable[str]) -> str:
    """Name a cell by what distinguishes it within a rule: its row label when all share a column, etc."""
    field = FORM.by_key[key]
    fields = [FORM.by_key[k] for k in keys]
    if all(f.column == field.column for f in fields) and field.row:
        return field.row[-1]
    if all(f.row == field.row for f in fields) and field.column:
        return field.column[-1]
    return field.label


@dataclass(frozen=True)
class Places:
    """How findings point at a value: a template cell (a returned workbook), or a table's labels."""

    cells: bool

    def where(self, key: str) -> tuple[str, str]:
        """(sheet, cell) of a finding: 'Sheet', 'D7' — or '表三', 'row label / column label'."""
        if self.cells:
            loc = location(key)
            return loc.sheet, loc.cell
        f = FORM.by_key[key]
        column = f.column[-1:] if f.row else f.column[-2:]  # 表四 has no row labels: name the block
        return f.part, " / ".join(x for x in (*f.row[-1:], *column) if x)

    def term(self, key: str, all_keys: Iterable[str], values: Mapping[str, Number]) -> str:
        address = f"[{location(key).cell}]" if self.cells else ""
        return f"{term_label(key, all_keys)}{address}({plain(values.get(key, 0))})"

    def span(self, keys: tuple[str, ...]) -> str:
        if self.cells:
            return f"{location(keys[0]).cell}:{location(keys[-1]).cell} 各项"
        return f"{len(keys)}项"


WORKBOOK = Places(cells=True)
TABLES = Places(cells=False)

_MAX_TERMS = 6  # longer sums list only their non-zero terms, to keep the message on one line


def terms(
    keys: tuple[str, ...], all_keys: tuple[str, ...], values: Mapping[str, Number], places: Places = WORKBOOK
) -> str:
    shown = keys if len(keys) <= _MAX_TERMS else tuple(k for k in keys if values.get(k, 0) != 0)
    text = " + ".join(places.term(k, all_keys, values) for k in shown)
    if len(shown) < len(keys):
        text = f"{places.span(keys)}（{text or '均为0'}{'，其余为0' if text else ''}）"
    return text


def _total(keys: Iterable[str], values: Mapping[str, Number]) -> Number:
    total: Number = 0
    for k in keys:
        total += values.get(k, 0)
    return total


def _finding(
    rule: Rule,
    key: str,
    message: str,
    ctx: Context,
    value: object,
    expected: object,
    cells: Iterable[str],
    places: Places,
) -> Finding:
    sheet, cell = places.where(key)
    return Finding(
        code=rule.code,
        severity=rule.severity,
        message=message,
        file=ctx.file,
        sheet=sheet,
        cell=cell,
        department=ctx.department,
        key=key,
        value=value,
        expected=expected,
        extra={"cells": [location(k).cell for k in cells]} if places.cells else {},
    )


def _table_name(key: str) -> str:
    return FORM.by_key[key].part


def _message(
    rule: SumRule | BoundRule | ZeroRule,
    lhs: tuple[str, ...],
    rhs: tuple[str, ...],
    keys: tuple[str, ...],
    values: Mapping[str, Number],
    places: Places,
    **fields: str,
) -> str:
    """The rule's message from its code's registered template."""
    from .registry import REGISTRY

    return REGISTRY[rule.code].message.format(
        table=_table_name(lhs[0] if lhs else rhs[0]),
        scope=rule.scope,
        left_terms=terms(lhs, keys, values, places),
        right_terms=terms(rhs, keys, values, places),
        advice=_ADVICE.get(rule.code, "请核对"),
        **fields,
    )


def _check_sum(rule: SumRule, values: Mapping[str, Number], ctx: Context, places: Places) -> Finding | None:
    left, right = _total(rule.lhs, values), _total(rule.rhs, values)
    if left == right:
        return None
    keys = (*rule.lhs, *rule.rhs)
    message = _message(rule, rule.lhs, rule.rhs, keys, values, places, left=plain(left), right=plain(right))
    return _finding(rule, rule.lhs[0], message, ctx, plain(left), plain(right), keys, places)


def _check_bound(rule: BoundRule, values: Mapping[str, Number], ctx: Context, places: Places) -> Finding | None:
    left, right = _total(rule.lhs, values), _total(rule.rhs, values)
    if left <= right:
        return None
    keys = (*rule.lhs, *rule.rhs)
    message = _message(rule, rule.lhs, rule.rhs, keys, values, places, left=plain(left), right=plain(right))
    return _finding(rule, rule.lhs[0], message, ctx, plain(left), f"≤ {plain(right)}", keys, places)


def _check_zero(rule: ZeroRule, values: Mapping[str, Number], ctx: Context, places: Places) -> Finding | None:
    if _total(rule.condition, values) != 0:
        return None
    nonzero = [k for k in rule.targets if values.get(k, 0) != 0]
    if not nonzero:
        return None
    keys = (*rule.condition, *nonzero)
    message = _message(rule, rule.condition, tuple(nonzero), keys, values, places, description=rule.description)
    return _finding(rule, nonzero[0], message, ctx, plain(values.get(nonzero[0], 0)), 0, keys, places)


def _rule_keys(rule: Rule) -> tuple[str, ...]:
    if isinstance(rule, (SumRule, BoundRule)):
        return (*rule.lhs, *rule.rhs)
    if isinstance(rule, ZeroRule):
        return (*rule.condition, *rule.targets)
    return rule.keys


# The equation and bound rules with their keys, resolved once: all of them for printed tables, and
# for recomputed totals only those not implied by the same rule on the input cells.
_TABLE_RULES: tuple[tuple[SumRule | BoundRule | ZeroRule, frozenset[str]], ...] = tuple(
    (rule, frozenset(_rule_keys(rule))) for rule in FORM.rules if not isinstance(rule, CellRule)
)
_ACTIVE_RULES = tuple((rule, keys) for rule, keys in _TABLE_RULES if not keys <= _DERIVED_KEYS)


NOWHERE = Context()


def rule_findings(
    values: Mapping[str, Number],
    ctx: Context = NOWHERE,
    tainted: set[str] | frozenset[str] = frozenset(),
    *,
    places: Places = WORKBOOK,
    printed_totals: bool = False,
) -> list[Finding]:
    """Evaluate the equation and bound rules on the 200 values.

    By default the totals are taken as recomputed from the inputs; with `printed_totals` (a published
    report) the rules on the totals are checked too. Per-cell type rules (`CellRule`) are enforced where
    the raw cell is read. Rules that touch a `tainted` key (an invalid or unread cell) are skipped: that
    cell has its own finding.
    """
    findings: list[Finding] = []
    failed: set[tuple[str, str]] = set()
    for rule, keys in _TABLE_RULES if printed_totals else _ACTIVE_RULES:
        if tainted and not tainted.isdisjoint(keys):
            continue
        implied = _IMPLIED_BY.get(rule.code)
        if implied and (implied, rule.scope) in failed:
            continue
        if isinstance(rule, SumRule):
            found = _check_sum(rule, values, ctx, places)
        elif isinstance(rule, BoundRule):
            found = _check_bound(rule, values, ctx, places)
        elif isinstance(rule, ZeroRule):
            found = _check_zero(rule, values, ctx, places)
        else:
            continue
        if found:
            failed.add((rule.code, rule.scope))
            findings.append(found)
    return findings


# -- the registry entries ---------------------------------------------------------------------------------
# Each code of the form's equation and bound rules is one registered rule. They are evaluated together, once per
# input (T3-5 and T3-6 are left out where T3-1 already failed in the same column), and each takes its own.
_TEMPLATES = {
    SumRule: "{table}{scope}：{left_terms} = {left}，但 {right_terms} = {right}，两边应相等；{advice}",
    BoundRule: "{table}{scope}：{left_terms} = {left}，超过了 {right_terms} = {right}；{advice}",
    ZeroRule: "{table}{scope}：{left_terms} 都为0，但 {right_terms} 不为0；{description}，{advice}",
}
_MEMO: list[tuple[RuleInput, list[Finding]]] = []


def _evaluated(given: RuleInput) -> list[Finding]:
    if not _MEMO or _MEMO[0][0] is not given:
        places = WORKBOOK if given.cells else TABLES
        _MEMO[:] = [
            (
                given,
                rule_findings(
                    given.data.values, tainted=given.tainted, places=places, printed_totals=given.printed_totals
                ),
            )
        ]
    return _MEMO[0][1]


def _own(rule: RegisteredRule, given: RuleInput) -> Iterator[Finding]:
    return (f for f in _evaluated(given) if f.code == rule.code)


def _negative(rule: RegisteredRule, given: RuleInput) -> Iterator[Finding]:
    """Cell rules on numbers as printed: a negative count. (A returned workbook's cells are judged as read.)"""
    places = WORKBOOK if given.cells else TABLES
    for form_rule in FORM.rules:
        if isinstance(form_rule, CellRule) and form_rule.code == rule.code:
            for key in form_rule.keys:
                value = given.data.values.get(key)
                if value is not None and value < 0:
                    sheet, cell = places.where(key)
                    yield rule.finding(
                        sheet=sheet,
                        cell=cell,
                        key=key,
                        value=plain(value),
                        table=sheet,
                        label=FORM.by_key[key].label,
                        shown=plain(value),
                    )


def _register_form_rules() -> None:
    kinds: dict[str, type] = {}
    for form_rule in FORM.rules:
        kinds.setdefault(form_rule.code, type(form_rule))
    for code, kind in kinds.items():
        severity = next(r.severity for r in FORM.rules if r.code == code)
        if kind is CellRule:
            register(code, severity, "{table}“{label}”为负数（{shown}）。", [Scope.PUBLISHED])(_negative)
        else:
            register(code, severity, _TEMPLATES[kind], [Scope.WORKBOOK, Scope.MERGED, Scope.PUBLISHED, Scope.RENDER])(
                _own
            )


_register_form_rules()
