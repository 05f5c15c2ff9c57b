"""The official form as data: fields, tables, narrative parts, metadata and single-workbook rules.

`FORM` is the one object every other stage reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from ..numbers import Number
from . import entry, official
from .model import Axis, Field, FieldType, GridCell, Section, Table
from .rules import (
    RULE_TITLES,
    SEVERITY_LABELS,
    BoundRule,
    CellRule,
    Rule,
    Severity,
    SumRule,
    ZeroRule,
    cell_rules,
    table3_rules,
    table4_rules,
)
from .tables import build_table2, build_table3, build_table4

__all__ = [
    "FORM",
    "RULE_TITLES",
    "SEVERITY_LABELS",
    "Axis",
    "BoundRule",
    "CellRule",
    "Field",
    "FieldType",
    "Form",
    "GridCell",
    "Number",
    "Rule",
    "Section",
    "Severity",
    "SumRule",
    "Table",
    "ZeroRule",
    "entry",
    "official",
]


def _text_fields() -> tuple[Field, ...]:
    o = official
    fields: list[Field] = []
    for key, label, help_, required in o.OVERVIEW_TEXTS:
        fields.append(Field(key, o.HEADINGS[0], (label,), (), FieldType.TEXT, True, help=help_, required=required))
    for (key, label, help_, required), heading in ((o.PROBLEMS_TEXT, o.HEADINGS[4]), (o.OTHER_TEXT, o.HEADINGS[5])):
        fields.append(Field(key, heading, (label,), (), FieldType.TEXT, True, help=help_, required=required))
    for key, label, type_, unit in o.FEE_FIELDS:
        fields.append(Field(key, o.HEADINGS[5], (o.FEE_SUBJECT, label), (), FieldType(type_), True, unit=unit))
    for key, label, help_ in o.REPORT_INFO_TEXTS:
        fields.append(Field(key, "报告信息", (label,), (), FieldType.TEXT, True, help=help_))
    return tuple(fields)


def _meta_fields() -> tuple[Field, ...]:
    return tuple(
        Field(
            key,
            "基本信息",
            (label,),
            (),
            FieldType.TEXT,
            not locked,
            help=help_,
            required=locked or when_empty == Severity.ERROR,
            when_empty=when_empty,
            format=format_,
            choices=official.CONFIRM_CHOICES if format_ == "choice" else (),
        )
        for key, label, locked, help_, when_empty, format_ in official.META_FIELDS
    )


@dataclass(frozen=True)
class Form:
    template_version: str
    tables: tuple[Table, ...]
    texts: tuple[Field, ...]  # narrative, fee figures and report info (the narrative sheet)
    meta: tuple[Field, ...]

    # -- lookups ---------------------------------------------------------------------------------
    @cached_property
    def table_fields(self) -> tuple[Field, ...]:
        """The 200 numbers of 表二, 表三 and 表四, in table order."""
        return tuple(f for t in self.tables for f in t.fields)

    @cached_property
    def fields(self) -> tuple[Field, ...]:
        """Every field: metadata, the three tables, then the narrative sheet."""
        return (*self.meta, *self.table_fields, *self.texts)

    @cached_property
    def by_key(self) -> dict[str, Field]:
        return {f.key: f for f in self.fields}

    @cached_property
    def numeric_fields(self) -> tuple[Field, ...]:
        """Every number a department reports: the 200 table cells and the 信息处理费 figures."""
        return tuple(f for f in self.fields if f.numeric)

    @cached_property
    def input_numeric_keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.numeric_fields if f.input)

    @cached_property
    def text_keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.texts if f.type is FieldType.TEXT)

    @cached_property
    def entry_sections(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(section label, input number keys) in form order: what blank cells are reported by."""
        sections: dict[str, list[str]] = {}
        for key in self.input_numeric_keys:
            sections.setdefault(entry.entry_section(self.by_key[key]), []).append(key)
        return tuple((label, tuple(keys)) for label, keys in sections.items())

    @cached_property
    def confirm_field(self) -> Field:
        """The cover's "all numbers are 0" confirmation."""
        return next(f for f in self.meta if f.format == "choice")

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    @cached_property
    def sections(self) -> tuple[Section, ...]:
        h = official.HEADINGS
        numbers = ("一", "二", "三", "四", "五", "六")
        tables = (None, "t2", "t3", "t4", None, None)
        return tuple(
            Section(
                n,
                heading,
                table,
                tuple(f.key for f in self.texts if f.part == heading and f.type is FieldType.TEXT),
                mandatory=heading in official.MANDATORY_SECTIONS,
            )
            for n, heading, table in zip(numbers, h, tables, strict=True)
        )

    # -- rules -----------------------------------------------------------------------------------
    @cached_property
    def rules(self) -> tuple[Rule, ...]:
        t2 = tuple(f.key for f in self.table("t2").fields)
        t3 = tuple(f.key for f in self.table("t3").fields)
        return (*cell_rules(t2, t3), *table3_rules(), *table4_rules())

    @cached_property
    def derivations(self) -> tuple[SumRule, ...]:
        """Sum rules that define derived cells, in an order where every addend is known first."""
        rules = [r for r in self.rules if isinstance(r, SumRule) and r.derives]
        derived = {r.derives for r in rules}
        ordered: list[SumRule] = []
        done: set[str] = set()
        while rules:
            ready = [r for r in rules if all(k not in derived or k in done for k in r.rhs)]
            if not ready:  # pragma: no cover - a declaration error, caught by the tests
                raise ValueError("circular derivation in the form declaration")
            for r in ready:
                ordered.append(r)
                done.add(r.derives or "")
                rules.remove(r)
        return tuple(ordered)

    def compute_derived(self, values: Mapping[str, Number]) -> dict[str, Number]:
        """All 200 table values: the inputs as given (missing = 0) plus every total recomputed."""
        out: dict[str, Number] = {f.key: values.get(f.key, 0) or 0 for f in self.table_fields if f.input}
        for rule in self.derivations:
            out[rule.derives or ""] = sum((out[k] for k in rule.rhs), 0)
        return {f.key: out[f.key] for f in self.table_fields}


def _build() -> Form:
    return Form(
        template_version=official.TEMPLATE_VERSION,
        tables=(build_table2(), build_table3(), build_table4()),
        texts=_text_fields(),
        meta=_meta_fields(),
    )


FORM = _build()
