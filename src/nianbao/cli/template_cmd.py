"""`nianbao template` and `nianbao distribute`: the Excel template and personalized copies."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from ..errors import UsageError
from .common import OutputPath, console, handle_errors


@click.command("template")
@click.option("--out", "out", required=True, type=OutputPath("file"), help="输出的 .xlsx 文件。")
@click.option("--body", default="", help="机关名称，如“大榭街道”（可不填，生成通用模板）。")
@click.option("--year", type=int, default=None, help="报告年度，如 2024。")
@click.option("--department", default="", help="填报部门（可不填）。")
@click.option("--force", is_flag=True, help="输出文件已存在时覆盖。")
@handle_errors
def template(out: Path, body: str, year: int | None, department: str, force: bool) -> None:
    """生成 Excel 填报模板（按官方表格排版，带数据验证、自动合计和实时校验）。

    例：nianbao template --out 填报表.xlsx --body 大榭街道 --year 2024
    """
    # Imported here: openpyxl takes ~0.2 s that every other command would pay at start-up.
    from ..workbook.distribute import check_year
    from ..workbook.template import Identity, save_template

    if out.suffix.lower() != ".xlsx":
        raise UsageError(f"输出文件必须以 .xlsx 结尾：{out.name}")
    if out.exists() and not force:
        raise UsageError(f"{out} 已存在，未覆盖。确认要覆盖请加 --force。")
    if year is not None:
        check_year(year)
    identity = Identity(body.strip(), year, department.strip())
    save_template(out, identity)
    who = "、".join(p for p in (identity.body, str(year or ""), identity.department) if p) or "通用模板"
    console.print(f"已生成填报模板（{who}）：{out}")


@click.command("distribute")
@click.option(
    "--roster",
    required=True,
    type=click.Path(path_type=Path),
    help="部门名单：CSV（UTF-8 或 GBK）或 .xlsx，第一行有“部门”列。",
)
@click.option("--body", required=True, help="机关名称，如“大榭街道”。")
@click.option("--year", required=True, type=int, help="报告年度，如 2024。")
@click.option("--out", "outdir", required=True, type=OutputPath("folder"), help="输出文件夹（不存在时自动创建）。")
@click.option("--force", is_flag=True, help="覆盖输出文件夹中的同名文件。")
@handle_errors
def distribute_cmd(roster: Path, body: str, year: int, outdir: Path, force: bool) -> None:
    """按部门名单为每个部门生成一份预填好机关名称、年度和部门的填报表。

    例：nianbao distribute --roster departments.csv --body 大榭街道 --year 2024 --out 下发
    """
    from ..workbook.distribute import check_name, distribute

    check_name(body, "机关名称")
    written = distribute(roster, body, year, outdir, force=force)
    table = Table("序号", "部门", "文件", title=f"已生成 {len(written)} 份填报表（{outdir}）")
    for i, plan in enumerate(written, start=1):
        table.add_row(str(i), plan.department, plan.path.name)
    console.print(table)


COMMANDS = [template, distribute_cmd]
