"""`nianbao check`, `nianbao merge` and `nianbao explain`: the coordinator's commands."""

from __future__ import annotations

import difflib
import json
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape

from ..errors import UsageError
from ..findings import Finding
from .common import EXIT_FINDINGS, EXIT_OK, OutputPath, console, err_console, handle_errors

if TYPE_CHECKING:
    from ..merge import MergeResult

# Above this many warnings the console lists them by kind; the full list is in 问题清单.
MAX_WARNINGS_LISTED = 30


ALLOW_MISSING_HELP = (
    "经同意不报送的部门（按部门名单中的名称），可重复，也可用逗号分隔，如 --allow-missing 民政办；"
    "这些部门不算未报送，记入 merged.json 和 汇总.xlsx 的回收情况。"
)


BODY_HELP = (
    "本次汇总的机关名称；不填则以多数文件封面上的为准。文件夹中有其他单位的 merged.json 或已发布的报告时为区域汇总，"
    "须用它给出本区域的机关名称（如 某某区人民政府）。"
)


def split_names(values: Sequence[str]) -> list[str]:
    """--allow-missing 甲 --allow-missing 乙,丙 (also full-width commas and 、) → [甲, 乙, 丙]."""
    return [name.strip() for value in values for name in re.split(r"[,，、]", value) if name.strip()]


def missing_line(result: MergeResult) -> str:
    """Who has not returned, and the two ways forward (chase them, or allow them knowingly)."""
    names = result.not_returned
    return (
        f"[yellow]未报送（{len(names)} 个）[/]：{escape('、'.join(names))}。请催报后重新汇总；如经同意不报送，"
        f"请加 --allow-missing {escape(','.join(names))}"
    )


def _counts_line(findings: Sequence[Finding]) -> str:
    counts = Counter(f.severity for f in findings)
    return f"错误 {counts.get('error', 0)} 条，警告 {counts.get('warning', 0)} 条"


def _print_findings(out: Console, findings: Sequence[Finding], where_full: str = "") -> None:
    from ..findings import CODES
    from .printing import print_findings

    errors = [f for f in findings if f.is_error]
    warnings = [f for f in findings if not f.is_error]
    if errors:
        out.rule("错误（必须改正；有错误的文件不汇总）")
        print_findings(out, errors)
    if warnings and len(warnings) <= MAX_WARNINGS_LISTED:
        out.rule("警告（已自动处理，请核实）")
        print_findings(out, warnings)
    elif warnings:
        by_code = Counter(f.code for f in warnings)
        summary = "；".join(f"{CODES.get(code, code)} {n} 条" for code, n in by_code.most_common())
        out.print(f"[yellow]警告 {len(warnings)} 条[/]：{summary}{where_full}")


@click.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 在标准输出列出全部问题。")
@click.option(
    "--last-year",
    type=click.Path(path_type=Path, dir_okay=False),
    help="上年数据（merged.json、上年工作簿或已发布的报告），用于跨年度核对（上年结转、现行有效件数）。",
)
@handle_errors
def check(files: tuple[Path, ...], as_json: bool, last_year: Path | None) -> None:
    """检查填好的工作簿（不汇总）。部门发送前可自查。

    例：nianbao check 财政局.xlsx
    """
    from .. import pipeline

    result = pipeline.check(list(files), last_year=last_year)
    findings = result.findings
    if as_json:
        click.echo(result.findings_json())
    else:
        _print_findings(console, findings)
        verdict = "[bold red]未通过[/]" if any(f.is_error for f in findings) else "[bold green]通过[/]"
        console.print(f"检查了 {len(files)} 个文件：{verdict}，{_counts_line(findings)}")
    sys.exit(EXIT_FINDINGS if any(f.is_error for f in findings) else EXIT_OK)


@click.command("merge")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--roster",
    type=click.Path(path_type=Path, dir_okay=False),
    help="部门名单（CSV 或 .xlsx，含“部门”列），用于核对谁未报送、谁不在名单中。",
)
@click.option(
    "--out",
    "outdir",
    type=OutputPath("folder", lock=True),
    default=Path("汇总结果"),
    show_default=True,
    help="输出文件夹：merged.json、汇总.xlsx、provenance.csv。",
)
@click.option("--body", help=BODY_HELP)
@click.option("--year", type=int, help="本次汇总的报告年度；不填则以多数文件封面上的为准。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 在标准输出列出全部问题（摘要改到标准错误输出）。")
@click.option("--quiet", "-q", is_flag=True, help="不显示进度条。")
@click.option("--jobs", type=click.IntRange(min=1), help="同时读取工作簿的进程数；默认文件多时每个 CPU 核一个。")
@click.option(
    "--last-year",
    type=click.Path(path_type=Path, dir_okay=False),
    help="上年数据（merged.json、上年工作簿或已发布的报告），用于跨年度核对（上年结转、现行有效件数）。",
)
@click.option("--allow-missing", "allow_missing", multiple=True, metavar="部门", help=ALLOW_MISSING_HELP)
@handle_errors
def merge(
    directory: Path,
    roster: Path | None,
    outdir: Path,
    body: str | None,
    year: int | None,
    as_json: bool,
    quiet: bool,
    jobs: int | None,
    last_year: Path | None,
    allow_missing: tuple[str, ...],
) -> None:
    """读取文件夹（含子文件夹）中的全部工作簿，逐个校验，汇总没有错误的，写出汇总结果。

    文件夹中还有其他单位的 merged.json 或已发布的报告（.docx、.html、.pdf、.txt）时为区域汇总：按封面上的机关名称
    把工作簿分到各单位，逐个单位核对表格的勾稽关系，再把各单位的数字相加；部门名单（--roster）此时列出各单位。

    例：nianbao merge 回收表格 --roster 部门名单.csv --out 汇总结果
        nianbao merge 各单位报送 --body 某某区人民政府 --roster 单位名单.csv --out 区域汇总
    """
    from .. import pipeline
    from .printing import status_table
    from .progress import progress_bar

    # Nothing else is imported before the reading starts: the writers load while the workers read.
    with progress_bar("读取工作簿", not quiet) as bar:
        result = pipeline.merge(
            directory,
            roster=roster,
            body=body,
            year=year,
            exclude=[outdir],
            jobs=jobs,
            last_year=last_year,
            allowed_missing=split_names(allow_missing),
            progress=(lambda _w, d, t: bar(d, t)) if bar else None,
        )
    paths = pipeline.write_merge_outputs(result, outdir)
    out = err_console if as_json else console
    if as_json:
        from ..outputs import findings_json

        click.echo(findings_json(result.findings))
    table = status_table(result)
    if table.row_count:
        out.print(table)
    else:
        out.print(f"[green]全部 {len(result.departments)} 个部门已汇总。[/]")
    if result.not_returned:
        out.print(missing_line(result))
    if result.allowed_missing:
        out.print(f"经同意不报送（{len(result.allowed_missing)} 个）：{'、'.join(result.allowed_missing)}")
    if result.ignored:
        out.print(
            f"已忽略 {len(result.ignored)} 个非工作簿文件：{'、'.join(result.ignored[:10])}"
            f"{' 等' if len(result.ignored) > 10 else ''}"
        )
    if not as_json:
        _print_findings(out, result.findings, f"，详见 {paths[1]} 的“问题清单”")
    merged = len(result.departments)
    out.print(f"汇总了 {merged} 个部门（{result.body} {result.year or ''}年），{_counts_line(result.findings)}")
    out.print("输出：" + "、".join(str(p) for p in paths))
    sys.exit(EXIT_FINDINGS if result.has_errors else EXIT_OK)


@click.command("explain")
@click.argument("outdir", type=click.Path(path_type=Path, file_okay=False))
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@handle_errors
def explain(outdir: Path, key: str, as_json: bool) -> None:
    """说明一个汇总数由哪些部门、文件、单元格相加而来。

    KEY 可以是字段键（见 nianbao schema），也可以是模板中的位置，如 "表三 依申请公开!D7"。

    例：nianbao explain 汇总结果 t3.new.natural_person
    """
    from ..fileio import read_json
    from ..numbers import to_json
    from ..outputs import MERGED_JSON, PROVENANCE_CSV, read_provenance

    if not (outdir / PROVENANCE_CSV).is_file():
        raise UsageError(f"{outdir} 中没有 {PROVENANCE_CSV}，请先运行 nianbao merge 生成汇总结果")
    field_key = resolve_key(key)
    rows = [r for r in read_provenance(outdir) if r["key"] == field_key]
    merged_value = None
    if (outdir / MERGED_JSON).is_file():
        data = read_json(outdir / MERGED_JSON)
        values = data.get("values") if isinstance(data, dict) else None
        merged_value = values.get(field_key) if isinstance(values, dict) else None
    if as_json:
        click.echo(
            json.dumps(
                {"key": field_key, "value": merged_value, "sources": rows},
                ensure_ascii=False,
                indent=2,
                default=to_json,
            )
        )
        return
    _print_explanation(field_key, rows, merged_value)


def _print_explanation(field_key: str, rows: list[dict[str, str]], merged_value: object) -> None:
    from rich.table import Table

    from ..form import FORM
    from ..form.layout import location

    field = FORM.by_key[field_key]
    loc = location(field_key)
    how = "填报数之和" if field.input else "自动计算（各部门该项之和，等于按汇总后的各项重新计算）"
    table = Table("部门", "文件", "位置", "数值", title=f"{field.label}（{field_key}，模板位置 {loc.ref()}）")
    for r in rows:
        table.add_row(r["department"], r["file"], f"'{r['sheet']}'!{r['cell']}", r["value"])
    console.print(table)
    nonzero = sum(1 for r in rows if r["value"] not in ("0", ""))
    console.print(f"汇总值 {merged_value}：{how}，共 {len(rows)} 个部门，其中 {nonzero} 个不为0")


def resolve_key(text: str) -> str:
    """A field key, a defined name (NB_…) or a template address ('表三 依申请公开'!D7) → the field key."""
    from ..form import FORM
    from ..form.layout import defined_name, locations

    text = text.strip()
    if text in FORM.by_key and FORM.by_key[text].numeric:
        return text
    by_name = {defined_name(f.key): f.key for f in FORM.numeric_fields}
    if text.upper() in by_name:
        return by_name[text.upper()]
    if "!" in text:
        sheet, cell = text.rsplit("!", 1)
        sheet = sheet.strip().strip("'")
        cell = cell.replace("$", "").upper()
        for f in FORM.numeric_fields:
            loc = locations()[f.key]
            if loc.sheet == sheet and loc.cell == cell:
                return f.key
    close = difflib.get_close_matches(text, [f.key for f in FORM.numeric_fields], n=3)
    hint = f"，是不是：{'、'.join(close)}" if close else "，可用 nianbao schema 查看全部字段键"
    raise UsageError(f"没有这个数字字段：{text}{hint}")


COMMANDS = [check, merge, explain]
