"""`nianbao schema`: the form as JSON."""

from __future__ import annotations

import json

import click

from ..schema import schema_dict
from .common import console, handle_errors


@click.command("schema")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（供其他系统对接）。")
@click.option(
    "--data",
    "data_schema",
    is_flag=True,
    help="输出报告数据（merged.json，nianbao import 的输出）的 JSON Schema，供其他系统校验或生成数据。",
)
@handle_errors
def schema(as_json: bool, data_schema: bool) -> None:
    """列出报告的全部字段（键、所属表、行列标签、类型、模板中的位置）。

    例：nianbao schema --json > schema.json
        nianbao schema --data > merged.schema.json
    """
    if data_schema:
        from ..data import json_schema

        click.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))
        return
    data = schema_dict()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    table = Table("键", "所属", "行", "列", "类型", "填报", "位置", title=f"模板版本 {data['template_version']}")
    for f in data["fields"]:
        table.add_row(
            f["key"],
            f["table"],
            " / ".join(f["row"]),
            " / ".join(f["column"]),
            f["type"],
            "是" if f["input"] else "自动计算",
            f"{f['sheet']}!{f['cell']}",
        )
    console.print(table)


COMMANDS = [schema]
