"""Checks of one year's report against last year's (official-format.md §8.4).

`compare(this, last)` takes two dicts of the merged.json shape (`values` keyed by the form) and returns
findings: C1 (二、上年结转 = last year's 四、结转下年度继续办理, per column; error), C2 (现行有效件数
rolls forward, per row; warning), T2-3 (本年废止件数 within last year's stock plus this year's 制发;
error, as last year is known) C-SWING (a count implausibly ×10 or ÷10; warning) and C3 (the narrative's "较上年增加n件" against last
year's number; warning).
`load_last_year(path)` reads last year's merged.json or any report `nianbao import` can read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from .errors import UsageError
from .fileio import read_json
from .findings import Finding, codes
from .form import FORM, Severity, official
from .numbers import NotANumber, plain, to_decimal

__all__ = ["CROSSYEAR_CODES", "SWING_FACTOR", "SWING_MINIMUM", "compare", "compare_to_last", "load_last_year"]

CROSSYEAR_CODES: dict[str, str] = codes("C1", "C2", "T2-3", "C-SWING", "C3")

# A count that grew or shrank by this factor, with both years at least SWING_MINIMUM, is flagged.
SWING_FACTOR = 10
SWING_MINIMUM = 20

Number = int | float | Decimal


def _t3_row(row_key: str) -> tuple[str, ...]:
    return tuple(f.key for f in FORM.table("t3").fields if f.key.startswith(f"t3.{row_key}."))


def _label(key: str) -> str:
    f = FORM.by_key[key]
    return " / ".join(x for x in (*f.row[-1:], *f.column[-1:]) if x)


def _num(values: Mapping[str, Any], key: str) -> Decimal | None:
    raw = values.get(key)
    if raw is None or isinstance(raw, bool):
        return None
    try:
        return Decimal(str(raw))
    except ArithmeticError:
        return None




def _finding(code: str, severity: str, message: str, table: str, where: str, key: str = "",
             value: Any = None, expected: Any = None) -> Finding:
    return Finding(code=code, severity=severity, message=message, sheet=table, cell=where, key=key,
                   value=value, expected=expected)


def carry_over_findings(this: Mapping[str, Any], last: Mapping[str, Any], last_name: str = "上年报告") -> list[Finding]:
    """C1, per column of 表三."""
    out: list[Finding] = []
    carried = official.T3_ROWS[1]  # 二、上年结转
    forward = official.T3_ROWS[-1]  # 四、结转下年度继续办理
    for key_this, key_last in zip(_t3_row(carried.key), _t3_row(forward.key), strict=True):
        a, b = _num(this, key_this), _num(last, key_last)
        if a is None or b is None or a == b:
            continue
        column = FORM.by_key[key_this].column[-1]
        out.append(_finding(
            "C1", Severity.ERROR,
            f"表三“{carried.label}”的“{column}”为{plain(a)}，{last_name}“{forward.label}”为{plain(b)}，两者应相等。",
            "表三", f"{carried.label} / {column}", key_this, int(a) if a == int(a) else float(a), int(b)))
    return out


def stock_findings(this: Mapping[str, Any], last: Mapping[str, Any], last_name: str = "上年报告") -> list[Finding]:
    """C2 and T2-3 for each 表二 row with 本年制发/本年废止/现行有效 columns."""
    out: list[Finding] = []
    _, header, rows, columns = official.T2_BLOCKS[0]
    issued_col, repealed_col, stock_col = (c.key for c in columns)
    for row in rows:
        keys = [f"t2.{row.key}.{c}" for c in (issued_col, repealed_col, stock_col)]
        issued, repealed, stock = (_num(this, k) for k in keys)
        last_stock = _num(last, keys[2])
        if None in (issued, repealed, stock, last_stock):
            continue
        assert issued is not None and repealed is not None and stock is not None and last_stock is not None
        if repealed > last_stock + issued:
            out.append(_finding(
                "T2-3", Severity.ERROR,
                f"表二“{row.label}”本年废止{plain(repealed)}件，超过上年现行有效{plain(last_stock)}件与本年制发{plain(issued)}件之和。",
                "表二", f"{header} / {row.label}", keys[1], int(repealed), int(last_stock + issued)))
        expected = last_stock + issued - repealed
        if stock != expected:
            out.append(_finding(
                "C2", Severity.WARNING,
                f"表二“{row.label}”现行有效{plain(stock)}件，按{last_name}现行有效{plain(last_stock)}件 + 本年制发{plain(issued)}件"
                f" − 本年废止{plain(repealed)}件应为{plain(expected)}件；如有修订计入制发、自然失效或机构改革划转，请在报告中说明。",
                "表二", f"{header} / {row.label}", keys[2], int(stock), int(expected)))
    return out


def swing_findings(this: Mapping[str, Any], last: Mapping[str, Any], last_name: str = "上年报告") -> list[Finding]:
    """C-SWING: counts that changed by a factor of 10 or more, both years at least 20."""
    out: list[Finding] = []
    for f in FORM.table_fields:
        a, b = _num(this, f.key), _num(last, f.key)
        if a is None or b is None or min(a, b) < SWING_MINIMUM:
            continue
        if max(a, b) >= SWING_FACTOR * min(a, b):
            out.append(_finding(
                "C-SWING", Severity.WARNING,
                f"{f.part}“{_label(f.key)}”本年为{plain(a)}，{last_name}为{plain(b)}，变化超过{SWING_FACTOR}倍，请核实（是否多填或少填了一位数、单位是否一致）。",
                f.part, _label(f.key), f.key, float(a) if f.type.value == "decimal" else int(a), float(b)))
    return out


_COMPARE = r"(?:较上年|比上年|同比|较去年|比去年|较上一年)度?"
_UP = ("增加", "增长", "多", "上升")
_DELTA = re.compile(r"申请(\d+)件[^。；;]{0,12}?" + _COMPARE + r"(增加|增长|多|上升|减少|下降|少)了?(\d+)件")
_PERCENT = re.compile(r"申请(\d+)件[^。；;]{0,12}?" + _COMPARE + r"(增加|增长|上升|减少|下降)了?(\d+(?:\.\d+)?)%")
_NEW_TOTAL = "t3.new.total"


def claim_findings(this: Mapping[str, Any], last: Mapping[str, Any], last_name: str = "上年报告") -> list[Finding]:
    """C3 (best effort): "申请N件，较上年增加M件 / 同比增长x%" in the narrative, against last year's 新收."""
    texts = this.get("texts") or {}
    last_new = _num(last.get("values") or {}, _NEW_TOTAL)
    if last_new is None:
        return []
    text = "".join(str(v) for k, v in texts.items() if k.startswith("text.overview"))
    text = unicodedata.normalize("NFKC", re.sub(r"\s+", "", text))
    out: list[Finding] = []
    for match in _DELTA.finditer(text):
        stated, word, delta = int(match.group(1)), match.group(2), int(match.group(3))
        implied = stated - delta if word in _UP else stated + delta
        if implied != last_new:
            out.append(_claim(match.group(0), f"按此推算上年为{implied}件", last_name, last_new))
    for match in _PERCENT.finditer(text):
        stated, word, pct = int(match.group(1)), match.group(2), Decimal(match.group(3))
        if last_new == 0:
            continue
        actual = (Decimal(stated) - last_new) / last_new * 100
        if word not in _UP:
            actual = -actual
        if abs(actual - pct) > Decimal("0.6"):
            out.append(_claim(match.group(0), f"按上年{plain(last_new)}件计算应为{actual.quantize(Decimal('0.1'))}%",
                              last_name, last_new))
    return out


def _claim(quote: str, detail: str, last_name: str, last_new: Decimal) -> Finding:
    return _finding("C3", Severity.WARNING,
                    f"正文写“{quote}”，{detail}，但{last_name}的本年新收申请为{plain(last_new)}件。",
                    "一、总体情况", "与上年比较", _NEW_TOTAL, quote, int(last_new))


def compare(this: Mapping[str, Any], last: Mapping[str, Any]) -> list[Finding]:
    """Cross-year findings for this year's report data against last year's (both merged.json-shaped)."""
    this_values = this.get("values") or {}
    last_values = last.get("values") or {}
    name = _last_name(last)
    return [
        *carry_over_findings(this_values, last_values, name),
        *stock_findings(this_values, last_values, name),
        *swing_findings(this_values, last_values, name),
        *claim_findings(this, last, name),
    ]


def _last_year_workbook(path: Path) -> dict[str, Any]:
    from .checks import check_workbook

    read = check_workbook(path)
    if not read.readable:
        reason = next((f.message for f in read.findings if f.is_error), "")
        raise UsageError(f"上年工作簿 {path.name} 无法读取：{reason}")
    return read.to_data()


def _last_name(last: Mapping[str, Any]) -> str:
    year = last.get("year")
    return f"{year}年报告" if year else "上年报告"


def compare_to_last(this: Mapping[str, Any], last: Mapping[str, Any], *, file: str = "", department: str = "",
                    locate: bool = False) -> list[Finding]:
    """`compare`, with each finding attributed to `file`/`department`; with `locate`, pointed at the
    cell of this year's workbook that holds the key (for `check` and per-department use)."""
    from .form.layout import location

    out = []
    for finding in compare(this, last):
        where: dict[str, Any] = {}
        if locate and finding.key in FORM.by_key:
            loc = location(finding.key)
            where = {"sheet": loc.sheet, "cell": loc.cell}
        out.append(replace(finding, file=file or finding.file, department=department or finding.department, **where))
    return out


def _check_last_values(values: Mapping[str, Any], path: Path) -> None:
    """Last year's numbers go into sums and ratios: NaN, Infinity or 1e400 there is refused, naming the key."""
    for key, raw in values.items():
        if raw is None:
            continue
        try:
            to_decimal(raw)
        except NotANumber as exc:
            raise UsageError(f"上年数据 {path} 中 {key} 的值 {raw} {exc}，请核对上年的 merged.json。") from exc


def load_last_year(path: Path) -> dict[str, Any]:
    """Last year's data as a merged.json-shaped dict: from a merged.json, a workbook filled in last year's
    template, or any report `nianbao import` can read."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"找不到上年报告文件：{path}")
    if path.suffix.lower() == ".xlsx":
        return _last_year_workbook(path)
    if path.suffix.lower() == ".json":
        data = read_json(path, what="上年数据 ")
        if not isinstance(data, dict) or not isinstance(data.get("values"), dict):
            raise UsageError(f"上年数据 {path.name} 不是 nianbao 汇总结果（merged.json，需含 values）。")
        _check_last_values(data["values"], path)
        return data
    from .importer.published import import_published

    result = import_published(path)
    if not any(result.tables_found.values()):
        raise UsageError(f"上年报告 {path.name} 中找不到任何统计表，无法做跨年度核对。")
    data = result.to_json_dict()
    return data
