"""The `nianbao` command. Each command lives in its own module and stays a thin layer over the library."""

from __future__ import annotations

import click

from .. import __version__
from . import zh

zh.install()  # before the decorators below: click's help and errors in Chinese

# Chinese names of the commands' arguments, shown in usage lines (`nianbao merge [选项] 文件夹`).
ARGUMENT_NAMES = {
    "files": "工作簿",
    "directory": "文件夹",
    "outdir": "汇总结果文件夹",
    "key": "键或单元格",
    "target": "报告或文件夹",
    "data_files": "数据文件",
    "report": "报告",
}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nianbao")
@click.option("--debug", is_flag=True, help="出错时显示完整的 Python 错误信息（供开发者排查）。")
def main(debug: bool) -> None:
    """nianbao：政府信息公开工作年度报告的填报模板、汇总校验与报告生成。"""


def _register() -> None:
    from . import audit_cmd, merge_cmd, report_cmd, schema_cmd, template_cmd

    for module in (schema_cmd, template_cmd, merge_cmd, audit_cmd, report_cmd):
        for command in module.COMMANDS:
            main.add_command(command)
    from . import serve_cmd  # the collection website; its dependencies load only when it runs

    for command in serve_cmd.COMMANDS:
        main.add_command(command)
    zh.localise([main, *main.commands.values()], ARGUMENT_NAMES)


_register()
