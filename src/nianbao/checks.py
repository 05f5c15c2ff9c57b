"""Apply the form's rules (`FORM.rules`, official-format.md §8) to a set of values.

The rules are declared once in `nianbao.form`; this module only evaluates them. Findings on a returned
workbook carry real cell addresses from the template layout, so a clerk can go straight to the cell;
findings on a published report (or on data from another system) name the table's row and column labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .findings import Finding
from .form import FORM, BoundRule, CellRule, Field, Rule, SumRule, ZeroRule, entry
from .form.layout import location
from .numbers import Number, plain
from .reader.values import parse_value
from .reader.xlsx import WorkbookRead, read_workbook, read_workbook_bytes

__all__ = ["TABLES", "WORKBOOK", "Context", "Places", "cached_total_findings", "check_read", "check_workbook",
           "confirm_findings", "cover_findings", "implausible_findings", "rule_findings", "tainted_keys",
           "term_label"]

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


def _terms(keys: tuple[str, ...], all_keys: tuple[str, ...], values: Mapping[str, Number],
           places: Places = WORKBOOK) -> str:
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


def _finding(rule: Rule, key: str, message: str, ctx: Context, value: object, expected: object,
             cells: Iterable[str], places: Places) -> Finding:
    sheet, cell = places.where(key)
    return Finding(
        code=rule.code, severity=rule.severity, message=message, file=ctx.file, sheet=sheet,
        cell=cell, department=ctx.department, key=key, value=value, expected=expected,
        extra={"cells": [location(k).cell for k in cells]} if places.cells else {},
    )


def _table_name(key: str) -> str:
    return FORM.by_key[key].part


def _check_sum(rule: SumRule, values: Mapping[str, Number], ctx: Context, places: Places) -> Finding | None:
    left, right = _total(rule.lhs, values), _total(rule.rhs, values)
    if left == right:
        return None
    keys = (*rule.lhs, *rule.rhs)
    message = (
        f"{_table_name(rule.lhs[0])}{rule.scope}：{_terms(rule.lhs, keys, values, places)} = {plain(left)}，"
        f"但 {_terms(rule.rhs, keys, values, places)} = {plain(right)}，两边应相等；{_ADVICE.get(rule.code, '请核对')}"
    )
    return _finding(rule, rule.lhs[0], message, ctx, plain(left), plain(right), keys, places)


def _check_bound(rule: BoundRule, values: Mapping[str, Number], ctx: Context, places: Places) -> Finding | None:
    left, right = _total(rule.lhs, values), _total(rule.rhs, values)
    if left <= right:
        return None
    keys = (*rule.lhs, *rule.rhs)
    message = (
        f"{_table_name(rule.lhs[0])}{rule.scope}：{_terms(rule.lhs, keys, values, places)} = {plain(left)}，"
        f"超过了 {_terms(rule.rhs, keys, values, places)} = {plain(right)}；{_ADVICE.get(rule.code, '请核对')}"
    )
    return _finding(rule, rule.lhs[0], message, ctx, plain(left), f"≤ {plain(right)}", keys, places)


def _check_zero(rule: ZeroRule, values: Mapping[str, Number], ctx: Context, places: Places) -> Finding | None:
    if _total(rule.condition, values) != 0:
        return None
    nonzero = [k for k in rule.targets if values.get(k, 0) != 0]
    if not nonzero:
        return None
    keys = (*rule.condition, *nonzero)
    message = (
        f"{_table_name(nonzero[0])}{rule.scope}：{_terms(rule.condition, keys, values, places)} 都为0，"
        f"但 {_terms(tuple(nonzero), keys, values, places)} 不为0；{rule.description}，{_ADVICE.get(rule.code, '请核对')}"
    )
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


def rule_findings(values: Mapping[str, Number], ctx: Context = Context(),
                  tainted: set[str] | frozenset[str] = frozenset(), *, places: Places = WORKBOOK,
                  printed_totals: bool = False) -> list[Finding]:
    """Evaluate the equation and bound rules on the 200 values.

    By default the totals are taken as recomputed from the inputs; with `printed_totals` (a published
    report) the rules on the totals are checked too. Per-cell type rules (`CellRule`) are enforced where
    the raw cell is read. Rules that touch a `tainted` key (an invalid or unread cell) are skipped: that
    cell has its own finding.
    """
    findings: list[Finding] = []
    failed: set[tuple[str, str]] = set()
    for rule, keys in (_TABLE_RULES if printed_totals else _ACTIVE_RULES):
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


def cached_total_findings(computed: Mapping[str, Number], cached: Mapping[str, object], ctx: Context = Context(),
                          tainted: set[str] | frozenset[str] = frozenset(),
                          in_sheet: Mapping[str, Number] | None = None) -> list[Finding]:
    """Compare the totals a spreadsheet program saved with the recomputed ones.

    A mismatch means the formula was overwritten by a typed number (or calculation was set to manual):
    the clerk's own totals disagree with their inputs, which is exactly a broken 勾稽. `in_sheet` is
    what the sheet's own SUM gives (numbers typed as text count 0 there); agreeing with it is no finding,
    the text cell already has its own warning.
    """
    findings: list[Finding] = []
    for rule in FORM.derivations:
        key = rule.derives or ""
        raw = cached.get(key, "")
        if raw in ("", None) or key in tainted:
            continue
        shown = parse_value(raw, FORM.by_key[key]).value
        expected = computed[key]
        if shown == expected or (in_sheet is not None and shown == in_sheet[key]):
            continue
        findings.append(_cached_finding(rule, key, raw, shown, expected, computed, ctx))
    return findings


def _cached_finding(rule: SumRule, key: str, raw: object, shown: Number | None, expected: Number,
                    computed: Mapping[str, Number], ctx: Context) -> Finding:
    field: Field = FORM.by_key[key]
    loc = location(key)
    shown_text = plain(shown) if shown is not None else f"“{raw}”"
    message = (
        f"{field.part}{rule.scope}：{loc.cell} 显示 {shown_text}，但按 {_terms(rule.rhs, rule.rhs, computed)} "
        f"计算应为 {plain(expected)}；总计公式可能被改写成了数字，请恢复公式或核对各项"
    )
    return Finding(
        code="V-CACHED-TOTAL", severity="error", message=message, file=ctx.file, sheet=loc.sheet,
        cell=loc.cell, department=ctx.department, key=key,
        value=shown_text, expected=plain(expected),
        extra={"rule": rule.code, "cells": [location(k).cell for k in rule.rhs]},
    )


def _cell_name(field: Field) -> str:
    loc = location(field.key)
    return f"{field.part}「{' / '.join(x for x in (*field.row[-1:], *field.column[-1:]) if x)}」{loc.cell}"


def _entry_finding(read: WorkbookRead, field: Field, code: str, severity: str, message: str, value: object,
                   expected: object, **extra: object) -> Finding:
    loc = location(field.key)
    return Finding(code=code, severity=severity, message=message, file=read.file, sheet=loc.sheet, cell=loc.cell,
                   department=read.department, key=field.key, value=value, expected=expected, extra=dict(extra))


def cover_findings(read: WorkbookRead) -> list[Finding]:
    """填报人, 联系电话, 填报日期: empty (with the severity the form declares) or not written as a phone or date."""
    findings = []
    for field in FORM.meta:
        if not field.input or not (field.when_empty or field.format in entry.FORMAT_CHECKS):
            continue
        text = str(getattr(read.identity, field.key.split(".", 1)[1], "") or "").strip()
        label, cell = field.row[0], location(field.key).cell
        if not text:
            if field.when_empty:
                findings.append(_entry_finding(
                    read, field, entry.COVER_CODE, field.when_empty,
                    f"「{location(field.key).sheet}」{cell} {label}未填写，请填写" + _hint(field.help),
                    "", label))
            continue
        check = entry.FORMAT_CHECKS.get(field.format)
        if check and not check[0](text):
            findings.append(_entry_finding(
                read, field, entry.COVER_CODE, entry.COVER_FORMAT_SEVERITY,
                f"「{location(field.key).sheet}」{cell} {label}“{text[:30]}”{check[1]}", text, label))
    return findings


def _hint(help_: str) -> str:
    return f"（{help_.rstrip('。')}）" if help_ else ""


def confirm_findings(read: WorkbookRead) -> list[Finding]:
    """The cover confirms that every number is 0, but some are not: the confirmation or the numbers are wrong."""
    if not read.identity.all_zero:
        return []
    nonzero = [k for k in FORM.input_numeric_keys if read.inputs.get(k, 0) != 0]
    if not nonzero:
        return []
    field = FORM.confirm_field
    shown = "、".join(f"{_cell_name(FORM.by_key[k])}（{plain(read.inputs[k])}）" for k in nonzero[:3])
    more = f"等 {len(nonzero)} 个" if len(nonzero) > 3 else ""
    return [_entry_finding(
        read, field, entry.CONFIRM_CODE, entry.CONFIRM_SEVERITY,
        f"“{field.row[0]}”选了“{field.choices[0]}”，但 {shown}{more}单元格不为0；请核对数字，或取消这项确认",
        field.choices[0], "各表数字全部为0", cells=[location(k).cell for k in nonzero])]


def implausible_findings(read: WorkbookRead) -> list[Finding]:
    """Numbers above the plausible bound the form declares for their unit (a warning: the clerk confirms)."""
    findings = []
    for key, value in read.inputs.items():
        field = FORM.by_key[key]
        bound = entry.plausible_max(field)
        if bound is not None and value > bound:
            findings.append(_entry_finding(
                read, field, entry.IMPLAUSIBLE_CODE, entry.IMPLAUSIBLE_SEVERITY,
                f"{_cell_name(field)} 填了 {plain(value)}，超过了合理上限 {plain(bound)}（{field.unit}）；"
                "请核对是否多打了数字、粘贴错了内容或填错了单位", plain(value), f"≤ {plain(bound)}"))
    return findings


def check_read(read: WorkbookRead) -> WorkbookRead:
    """Recompute every total from the inputs, then apply the rules; adds to `read.values`/`read.findings`."""
    if not read.readable:
        return read
    read.findings.extend(cover_findings(read))
    read.findings.extend(confirm_findings(read))
    read.findings.extend(implausible_findings(read))
    ctx = Context(read.file, read.department)
    computed = FORM.compute_derived(read.inputs)
    read.values = {**computed, **{k: v for k, v in read.inputs.items() if k not in computed}}
    tainted = tainted_keys(read.invalid)
    in_sheet = FORM.compute_derived({k: v for k, v in read.inputs.items() if k not in read.as_text}) \
        if read.as_text else None
    read.findings.extend(cached_total_findings(computed, read.cached, ctx, tainted, in_sheet))
    read.findings.extend(rule_findings(computed, ctx, tainted))
    return read


def check_workbook(path: Path, display: str | None = None) -> WorkbookRead:
    """Read one returned workbook and check it on its own (no roster, no other files)."""
    return check_read(read_workbook(path, display))


def check_workbook_bytes(data: bytes, name: str, *, mtime: float = 0.0) -> WorkbookRead:
    """The same for a workbook given as bytes (an upload): nothing is written anywhere."""
    return check_read(read_workbook_bytes(data, name, mtime=mtime))
