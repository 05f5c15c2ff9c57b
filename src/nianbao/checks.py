"""Apply the form's rules (`FORM.rules`, the 勾稽 rules of the 2021 format) to a set of values.

The rules are declared once in `nianbao.form`; this module only evaluates them. Findings on a returned
workbook carry real cell addresses from the template layout, so a clerk can go straight to the cell;
findings on a published report (or on data from another system) name the table's row and column labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from .findings import Finding
from .form import FORM, Field, SumRule, entry
from .form.layout import location
from .numbers import Number, plain
from .reader.values import parse_value
from .reader.xlsx import WorkbookRead, read_workbook, read_workbook_bytes
from .rules import RuleInput, Scope, run
from .rules.tables import NOWHERE, TABLES, WORKBOOK, Context, Places, rule_findings, tainted_keys, term_label, terms

__all__ = [
    "TABLES",
    "WORKBOOK",
    "Context",
    "Places",
    "cached_total_findings",
    "check_read",
    "check_workbook",
    "confirm_findings",
    "cover_findings",
    "implausible_findings",
    "rule_findings",
    "tainted_keys",
    "term_label",
]


def cached_total_findings(
    computed: Mapping[str, Number],
    cached: Mapping[str, object],
    ctx: Context = NOWHERE,
    tainted: set[str] | frozenset[str] = frozenset(),
    in_sheet: Mapping[str, Number] | None = None,
) -> list[Finding]:
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


def _cached_finding(
    rule: SumRule,
    key: str,
    raw: object,
    shown: Number | None,
    expected: Number,
    computed: Mapping[str, Number],
    ctx: Context,
) -> Finding:
    field: Field = FORM.by_key[key]
    loc = location(key)
    shown_text = plain(shown) if shown is not None else f"“{raw}”"
    message = (
        f"{field.part}{rule.scope}：{loc.cell} 显示 {shown_text}，但按 {terms(rule.rhs, rule.rhs, computed)} "
        f"计算应为 {plain(expected)}；总计公式可能被改写成了数字，请恢复公式或核对各项"
    )
    return Finding(
        code="V-CACHED-TOTAL",
        severity="error",
        message=message,
        file=ctx.file,
        sheet=loc.sheet,
        cell=loc.cell,
        department=ctx.department,
        key=key,
        value=shown_text,
        expected=plain(expected),
        extra={"rule": rule.code, "cells": [location(k).cell for k in rule.rhs]},
    )


def _cell_name(field: Field) -> str:
    loc = location(field.key)
    return f"{field.part}「{' / '.join(x for x in (*field.row[-1:], *field.column[-1:]) if x)}」{loc.cell}"


def _entry_finding(
    read: WorkbookRead,
    field: Field,
    code: str,
    severity: str,
    message: str,
    value: object,
    expected: object,
    **extra: object,
) -> Finding:
    loc = location(field.key)
    return Finding(
        code=code,
        severity=severity,
        message=message,
        file=read.file,
        sheet=loc.sheet,
        cell=loc.cell,
        department=read.department,
        key=field.key,
        value=value,
        expected=expected,
        extra=dict(extra),
    )


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
                findings.append(
                    _entry_finding(
                        read,
                        field,
                        entry.COVER_CODE,
                        field.when_empty,
                        f"「{location(field.key).sheet}」{cell} {label}未填写，请填写" + _hint(field.help),
                        "",
                        label,
                    )
                )
            continue
        check = entry.FORMAT_CHECKS.get(field.format)
        if check and not check[0](text):
            findings.append(
                _entry_finding(
                    read,
                    field,
                    entry.COVER_CODE,
                    entry.COVER_FORMAT_SEVERITY,
                    f"「{location(field.key).sheet}」{cell} {label}“{text[:30]}”{check[1]}",
                    text,
                    label,
                )
            )
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
    return [
        _entry_finding(
            read,
            field,
            entry.CONFIRM_CODE,
            entry.CONFIRM_SEVERITY,
            f"“{field.row[0]}”选了“{field.choices[0]}”，但 {shown}{more}单元格不为0；请核对数字，或取消这项确认",
            field.choices[0],
            "各表数字全部为0",
            cells=[location(k).cell for k in nonzero],
        )
    ]


# The plausible bound of each input with one, and the least of them: no input above it is the usual case.
_BOUNDS = {k: b for k, f in FORM.by_key.items() if (b := entry.plausible_max(f)) is not None}
_LEAST_BOUND = min(_BOUNDS.values(), default=0)


def implausible_findings(read: WorkbookRead) -> list[Finding]:
    """Numbers above the plausible bound the form declares for their unit (a warning: the clerk confirms)."""
    if not read.inputs or max(read.inputs.values()) <= _LEAST_BOUND:
        return []
    findings = []
    for key, value in read.inputs.items():
        field = FORM.by_key[key]
        bound = _BOUNDS.get(key)
        if bound is not None and value > bound:
            findings.append(
                _entry_finding(
                    read,
                    field,
                    entry.IMPLAUSIBLE_CODE,
                    entry.IMPLAUSIBLE_SEVERITY,
                    f"{_cell_name(field)} 填了 {plain(value)}，超过了合理上限 {plain(bound)}（{field.unit}）；"
                    "请核对是否多打了数字、粘贴错了内容或填错了单位",
                    plain(value),
                    f"≤ {plain(bound)}",
                )
            )
    return findings


def check_read(read: WorkbookRead) -> WorkbookRead:
    """The read with every total recomputed from the inputs and the rules applied: a new `WorkbookRead`,
    with the values and the findings added; the read given is left as it was."""
    if not read.readable:
        return read
    computed = FORM.compute_derived(read.inputs)
    checked = replace(
        read,
        values={**computed, **{k: v for k, v in read.inputs.items() if k not in computed}},
        findings=list(read.findings),
    )
    ctx = Context(read.file, read.department)
    tainted = tainted_keys(read.invalid) if read.invalid else set()  # nothing derives from no cell
    in_sheet = (
        FORM.compute_derived({k: v for k, v in read.inputs.items() if k not in read.as_text}) if read.as_text else None
    )
    given = RuleInput(checked.to_data(), cells=True, tainted=frozenset(tainted))
    checked.findings += [
        *cover_findings(read),
        *confirm_findings(read),
        *implausible_findings(read),
        *cached_total_findings(computed, read.cached, ctx, tainted, in_sheet),
        *(replace(f, file=ctx.file, department=ctx.department) for f in run(Scope.WORKBOOK, given)),
    ]
    return checked


def check_workbook(path: Path, display: str | None = None) -> WorkbookRead:
    """Read one returned workbook and check it on its own (no roster, no other files)."""
    return check_read(read_workbook(path, display))


def check_workbook_bytes(data: bytes, name: str, *, mtime: float = 0.0) -> WorkbookRead:
    """The same for a workbook given as bytes (an upload): nothing is written anywhere."""
    return check_read(read_workbook_bytes(data, name, mtime=mtime))
