"""The consistency (勾稽) rules of the 2021 format that apply to one workbook, declared as data.

A `SumRule` says sum(lhs) == sum(rhs); when `derives` is set, the rule also defines a derived (total)
cell, so the Excel formulas, the reader's recomputation and the checks all come from the same object.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import official as o
from .tables import t4_columns


class Severity:
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# How each severity is named to clerks, on the console and in every spreadsheet.
SEVERITY_LABELS: dict[str, str] = {Severity.ERROR: "错误", Severity.WARNING: "警告", Severity.INFO: "提示"}


@dataclass(frozen=True)
class SumRule:
    code: str
    scope: str  # the column or row the rule is about, in Chinese, e.g. "「自然人」列"
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    description: str  # the equation in words
    derives: str | None = None  # lhs[0] is computed as sum(rhs)
    severity: str = Severity.ERROR


@dataclass(frozen=True)
class BoundRule:
    """sum(lhs) <= sum(rhs)."""

    code: str
    scope: str
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    description: str
    severity: str = Severity.ERROR


@dataclass(frozen=True)
class ZeroRule:
    """When sum(condition) == 0, every key in `targets` must be 0."""

    code: str
    scope: str
    condition: tuple[str, ...]
    targets: tuple[str, ...]
    description: str
    severity: str = Severity.ERROR


@dataclass(frozen=True)
class CellRule:
    """Every key must hold a value of its declared type, >= 0 (applied cell by cell)."""

    code: str
    keys: tuple[str, ...]
    description: str
    severity: str = Severity.ERROR


Rule = SumRule | BoundRule | ZeroRule | CellRule

# Human descriptions of each rule code, for the instructions sheet, the findings and the docs.
RULE_TITLES: dict[str, str] = {
    "T2-1": "表二各单元格为不小于0的整数，收费金额为不小于0的数（万元）",
    "T3-1": "表三每一列：一、本年新收 + 二、上年结转 = （七）总计 + 四、结转下年度继续办理",
    "T3-2": "表三每一列：（七）总计 = （一）至（六）各行之和",
    "T3-3": "表三每一行：总计 = 自然人 + 五类法人或其他组织之和",
    "T3-4": "表三各单元格为不小于0的整数",
    "T3-5": "表三某列的本年新收和上年结转都为0时，该列其他各行也应为0",
    "T3-6": "表三每一列：四、结转下年度继续办理 不超过 一、本年新收 + 二、上年结转",
    "T4-1": "表四每一类：结果维持 + 结果纠正 + 其他结果 + 尚未审结 = 总计",
    "T4-2": "表四各单元格为不小于0的整数",
}


def _t3(row: str, col: str) -> str:
    return f"t3.{row}.{col}"


def _column_scope(col_label: str) -> str:
    return f"「{col_label}」列"


def table3_rules() -> list[Rule]:
    rules: list[Rule] = []
    result_rows = o.T3_RESULT_ROWS
    applicant_cols = [c for c in o.T3_COLUMNS if c.key != "total"]
    for col in o.T3_COLUMNS:
        scope = _column_scope(col.label)
        rules.append(
            SumRule(
                "T3-1",
                scope,
                (_t3("new", col.key), _t3("carried_over", col.key)),
                (_t3("concluded_total", col.key), _t3("carried_forward", col.key)),
                "一、本年新收 + 二、上年结转 应等于 （七）总计 + 四、结转下年度继续办理",
            )
        )
        rules.append(
            SumRule(
                "T3-2",
                scope,
                (_t3("concluded_total", col.key),),
                tuple(_t3(r, col.key) for r in result_rows),
                "（七）总计 应等于 （一）至（六）各行之和",
                derives=_t3("concluded_total", col.key) if col.key != "total" else None,
            )
        )
        rules.append(
            BoundRule(
                "T3-6",
                scope,
                (_t3("carried_forward", col.key),),
                (_t3("new", col.key), _t3("carried_over", col.key)),
                "四、结转下年度继续办理 不应超过 一、本年新收 + 二、上年结转",
            )
        )
        rules.append(
            ZeroRule(
                "T3-5",
                scope,
                (_t3("new", col.key), _t3("carried_over", col.key)),
                tuple(_t3(r.key, col.key) for r in o.T3_ROWS[2:]),
                "本年新收和上年结转都为0时，办理结果和结转下年度也应为0",
            )
        )
    for row in o.T3_ROWS:
        rules.append(
            SumRule(
                "T3-3",
                f"「{row.label}」行",
                (_t3(row.key, "total"),),
                tuple(_t3(row.key, c.key) for c in applicant_cols),
                "总计 应等于 自然人与五类法人或其他组织之和",
                derives=_t3(row.key, "total"),
            )
        )
    return rules


def table4_rules() -> list[Rule]:
    rules: list[Rule] = []
    for block, labels in o.T4_BLOCKS:
        parts = tuple(f"t4.{block}.{x.key}" for x in o.T4_OUTCOMES if x.key != "total")
        rules.append(
            SumRule(
                "T4-1",
                f"「{labels[-1]}」",
                (f"t4.{block}.total",),
                parts,
                "结果维持 + 结果纠正 + 其他结果 + 尚未审结 应等于 总计",
                derives=f"t4.{block}.total",
            )
        )
    return rules


def cell_rules(t2_keys: tuple[str, ...], t3_keys: tuple[str, ...]) -> list[Rule]:
    t4_keys = tuple(f"t4.{c.key}" for c in t4_columns())
    return [
        CellRule("T2-1", t2_keys, RULE_TITLES["T2-1"]),
        CellRule("T3-4", t3_keys, RULE_TITLES["T3-4"]),
        CellRule("T4-2", t4_keys, RULE_TITLES["T4-2"]),
    ]
