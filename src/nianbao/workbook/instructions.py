"""The text of the 填报说明 sheet, composed from the form declaration.

Counting rules come from each row's and column's `Axis.help`, units from the fields, check titles
from `RULE_TITLES`, deadlines from `official.DEADLINES`; only the connecting sentences are written here.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..form import FORM, RULE_TITLES, Axis, FieldType, Severity, Table, entry, official
from ..form.layout import SHEET_COVER, SHEET_TEXTS, TABLE_SHEETS
from .checks import CHECK_BAD, CHECK_OK, CHECK_WARN, STATUS_LABEL

# (kind, text): kind is "title", "heading" or "line".
Line = tuple[str, str]


def _how_to_fill() -> Iterator[str]:
    yield (
        f"本表依据《中华人民共和国政府信息公开工作年度报告格式》（{official.FORMAT_NAME}）制作，"
        f"各表的行、列与正式报告中的表格完全一致，汇总后直接生成年度报告。"
    )
    yield "只需填写浅黄色单元格；灰色单元格（总计等）自动计算；其他单元格已锁定，不能修改。"
    yield (
        f"「{SHEET_COVER}」中的机关名称、报告年度、填报部门由汇总单位预先填好，不能修改；"
        "请填写填报人、联系电话和填报日期。请使用汇总单位下发给本部门的表格，不要使用其他部门的表格。"
    )
    yield "统计期限为报告年度的1月1日至12月31日。"
    yield "没有发生的事项请填0，不要留空，不要填“/”“无”“—”等文字。数字不要带单位。"
    confirm = FORM.confirm_field
    yield (
        f"本部门本年度确实没有发生任何事项时，可以在「{SHEET_COVER}」的“{confirm.row[0]}”中选“{confirm.choices[0]}”，"
        "各表就可以不填；没有确认而各表都空白的表格不能汇总，会被退回。"
    )
    yield "从其他表格复制数字时，请使用“选择性粘贴→数值”；直接粘贴可能绕过输入检查，也可能破坏格式。"
    yield (
        f"「{SHEET_TEXTS}」填写年度报告的文字部分，每格一段，可直接输入或粘贴纯文字；"
        "内容将原样写入报告，请使用规范的书面语。"
    )
    yield (
        f"填完后查看「{SHEET_COVER}」中的“校验结果”：显示“全部校验通过”后保存"
        "（保持 .xlsx 格式，不要另存为 .xls 或 .et，不要改文件名），交回汇总单位。"
    )


def _units() -> Iterator[str]:
    by_unit: dict[tuple[str, str], list[str]] = {}
    for f in FORM.numeric_fields:
        if f.input:
            by_unit.setdefault((f.unit, f.type.value), []).append(f.row[-1] if f.row else f.column[-1])
    for (unit, type_), labels in by_unit.items():
        kind = "不小于0的整数" if type_ == FieldType.INT.value else "不小于0的数，可以有小数"
        if len(labels) > 3:
            yield f"除下列各项外，各数字单位为“{unit}”，填{kind}。"
        else:
            names = "、".join(dict.fromkeys(labels))
            yield f"{names}：单位为“{unit}”，填{kind}。"


def _axis_lines(axes: tuple[Axis, ...]) -> Iterator[str]:
    for axis in axes:
        if axis.help:
            yield f"{axis.label}：{axis.help}"


def _table_rules(table: Table) -> Iterator[str]:
    if table.key == "t3":
        yield f"{official.T3_NOTE.strip('（）')}。"
    yield from _axis_lines(table.rows)
    seen: set[str] = set()
    for col in table.columns:
        # 表四 repeats the same five outcomes in each block; explain each once.
        if col.label not in seen:
            seen.add(col.label)
            yield from _axis_lines((col,))


def _checks() -> Iterator[str]:
    yield (
        f"每张表下方（表三还有右侧一列）有“实时校验”，填写时自动计算：显示“{CHECK_OK}”（绿色）为通过，"
        f"显示“{CHECK_BAD}”（红色）为未通过，请核对相关数字。"
    )
    codes = sorted({r.code for r in FORM.rules})
    for code in codes:
        yield f"{code}：{RULE_TITLES[code]}。"
    contact = "、".join(f.row[0] for f in FORM.meta if f.when_empty)
    yield (
        f"「{SHEET_COVER}」的“{STATUS_LABEL}”还检查{contact}是否填写、各表是否填写、数字是否大得不合理；"
        f"显示“{CHECK_WARN}”（黄色）的项目不影响汇总，但请核对。"
    )
    yield from _entry_lines()
    yield "汇总单位收到表格后会再次检查全部规则；未通过的表格会被退回修改。"


def _entry_lines() -> Iterator[str]:
    """How each way of writing a number is treated, and the plausible bounds (from `form.entry`)."""
    for kind in entry.ENTRY_KINDS.values():
        verdict = "错误，表格会被退回" if kind.severity == Severity.ERROR else "提示"
        yield f"{kind.title}（{verdict}）。"
    bounds = "；".join(f"单位为“{unit}”的数字超过{bound}" for unit, bound in entry.PLAUSIBLE_MAX.items())
    yield f"{bounds}，会提示核对（可能多打了数字或填错了单位）。"


def _deadlines() -> Iterator[str]:
    yield "请按汇总单位通知的时间交回本表。年度报告的法定公布时间："
    for who, when in official.DEADLINES:
        yield f"{who}：{when}。"


def instruction_lines() -> list[Line]:
    lines: list[Line] = [("title", f"政府信息公开工作年度报告填报说明（模板版本 {FORM.template_version}）")]
    lines.append(("heading", "一、怎样填写"))
    lines += [("line", f"{i}. {t}") for i, t in enumerate(_how_to_fill(), start=1)]
    lines.append(("heading", "二、计量单位"))
    lines += [("line", t) for t in _units()]
    lines.append(("heading", "三、各项怎样统计"))
    for table in FORM.tables:
        lines.append(("subheading", f"{TABLE_SHEETS[table.key]}（{table.section}）"))
        lines += [("line", t) for t in _table_rules(table)]
    lines.append(("heading", "四、自动校验"))
    lines += [("line", t) for t in _checks()]
    lines.append(("heading", "五、时间要求"))
    lines += [("line", t) for t in _deadlines()]
    return lines
