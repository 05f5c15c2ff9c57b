"""`nianbao serve` (the collection website) and `nianbao collection` (set up a collection from the command line)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from ..errors import UsageError
from .common import console, handle_errors

PASSWORD_ENV = "NIANBAO_ADMIN_PASSWORD"

_DATA = click.option(
    "--data",
    "data",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="数据文件夹：数据库（默认 SQLite）和收到的全部文件都保存在这里（不存在时自动创建）。",
)
_DB = click.option(
    "--db",
    default=None,
    metavar="URL",
    help="数据库地址，如 postgresql://用户:密码@主机/库名；不给时用数据文件夹中的 SQLite。",
)


def _open_store(data: Path, db: str | None) -> Any:
    try:
        from ..site.store import Store
    except ImportError as exc:
        raise UsageError("收集网站需要额外的组件，请先安装：pip install 'nianbao[site]'") from exc
    try:
        return Store(data, db)
    except Exception as exc:  # a database that cannot be reached or opened: one clear line
        if exc.__class__.__module__.startswith(("sqlalchemy", "psycopg", "sqlite3")):
            raise UsageError(f"无法打开数据库：{str(exc).splitlines()[0]}") from exc
        raise


def _ensure_password(store: Any) -> None:
    """The coordinator's password: set at first start, from the environment or typed twice; stored only hashed."""
    from ..site.app import PASSWORD_KEY

    if store.setting(PASSWORD_KEY) is not None:
        return
    _set_password(store, "第一次启动，请设置汇总单位的管理密码", "第一次启动需要设置管理密码")
    console.print("管理密码已设置（只保存加盐的慢哈希）。")


def _terminal() -> bool:
    return sys.stdin.isatty()


def _set_password(store: Any, prompt: str, why: str) -> None:
    """A new password from the environment variable, else typed twice in a terminal; checked, stored hashed."""
    from ..site.app import PASSWORD_KEY
    from ..site.security import hash_password, password_problem

    given = os.environ.get(PASSWORD_ENV)
    if given is None:
        if not _terminal():
            raise UsageError(f"{why}：请在终端中运行，或设置环境变量 {PASSWORD_ENV}。")
        given = click.prompt(prompt, hide_input=True, confirmation_prompt="请再输入一次")
    problem = password_problem(given)
    if problem:
        raise UsageError(problem)
    store.set_setting(PASSWORD_KEY, hash_password(given))


def _example_collection(store: Any) -> None:
    """The bundled example's roster as a collection, once: what `--example` starts with."""
    from ..roster import read_roster
    from .report_cmd import DEMO_ROSTER, find_example

    if store.collections():
        return
    example = find_example()
    if example is None:
        raise UsageError("找不到自带的示例：安装可能不完整，请重新安装 nianbao。")
    store.create_collection("大榭街道", 2024, dt.date(2025, 1, 10), read_roster(example / DEMO_ROSTER))
    console.print(f"已按示例建立收集：大榭街道 2024 年（{escape(str(example))} 中的工作簿可用来试着上传）")


@click.command("serve")
@_DATA
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="监听地址；默认只有本机能访问，让办公网访问请用 0.0.0.0。"
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="端口。")
@_DB
@click.option(
    "--max-upload",
    default=20,
    show_default=True,
    type=click.IntRange(1, 200),
    metavar="MB",
    help="上传文件的大小上限（MB）。",
)
@click.option(
    "--public-url",
    default="",
    metavar="URL",
    help="各部门访问本站的地址（如 http://192.168.1.20:8000），用于生成报送链接；不给时取浏览器访问的地址。",
)
@click.option("--example", is_flag=True, help="没有收集时，按自带示例（大榭街道 2024 年）建立一个。")
@handle_errors
def serve(data: Path, host: str, port: int, db: str | None, max_upload: int, public_url: str, example: bool) -> None:
    """启动填报收集网站：各部门用专用链接上传填报表并立即看到检查结果，汇总单位在网页上查看回收情况、下载汇总和报告。

    例：nianbao serve --data 年报收集
    """
    try:
        import uvicorn

        from ..site.app import create_app
    except ImportError as exc:
        raise UsageError("收集网站需要额外的组件，请先安装：pip install 'nianbao[site]'") from exc
    store = _open_store(data, db)
    _ensure_password(store)
    if example:
        _example_collection(store)
    app = create_app(store, max_upload=max_upload * 1024 * 1024, public_url=public_url)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    console.print(f"收集网站已启动：http://{shown}:{port}/ （按 Ctrl+C 停止）")
    if host in ("127.0.0.1", "localhost", "::1"):
        console.print("只有本机可以访问；让办公网内的部门访问，请加 --host 0.0.0.0（并在防火墙中放行端口）。")
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)


@click.group("collection")
def collection() -> None:
    """在命令行中建立收集、查看各部门的报送链接、重设管理密码。"""


@collection.command("create")
@_DATA
@_DB
@click.option(
    "--roster",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="部门名单：CSV（UTF-8 或 GBK）或 .xlsx，第一行有“部门”列（与 distribute 相同）。",
)
@click.option("--body", required=True, help="机关名称，如“大榭街道”。")
@click.option("--year", required=True, type=int, help="报告年度，如 2024。")
@click.option("--deadline", required=True, type=click.DateTime(["%Y-%m-%d"]), help="截止日期，如 2025-01-10。")
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="网站地址，用于显示报送链接。")
@handle_errors
def create(data: Path, db: str | None, roster: Path, body: str, year: int, deadline: dt.datetime, url: str) -> None:
    """建立一次收集，并列出每个部门的专用报送链接。

    例：nianbao collection create --data 年报收集 --roster departments.csv --body 大榭街道 --year 2024 --deadline 2025-01-10
    """
    from ..roster import read_roster
    from ..workbook.distribute import check_name, check_year

    check_name(body, "机关名称")
    check_year(year)
    if not roster.is_file():
        raise UsageError(f"找不到部门名单：{roster}")
    names = read_roster(roster)
    store = _open_store(data, db)
    cid = store.create_collection(body.strip(), year, deadline.date(), names)
    _print_links(store, cid, url)


@collection.command("links")
@_DATA
@_DB
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="网站地址。")
@handle_errors
def links(data: Path, db: str | None, url: str) -> None:
    """列出每次收集中各部门的专用报送链接。"""
    store = _open_store(data, db)
    found = store.collections()
    if not found:
        raise UsageError("还没有收集。请用 nianbao collection create 或在网页上建立。")
    for c in found:
        _print_links(store, c.id, url)


@collection.command("password")
@_DATA
@_DB
@handle_errors
def password(data: Path, db: str | None) -> None:
    """重设汇总单位的管理密码（忘记密码时在运行网站的电脑上执行）。

    新密码取自环境变量 NIANBAO_ADMIN_PASSWORD，没有时在终端中输入两次。重设后，所有已登录的浏览器都需用新密码重新登录；
    网站不必重启。

    例：nianbao collection password --data 年报收集
    """
    if db is None and not (data / "nianbao-site.db").is_file():
        raise UsageError(f"{data} 中没有收集网站的数据：请给出 nianbao serve 使用的 --data 文件夹（和 --db）。")
    store = _open_store(data, db)
    _set_password(store, "请设置新的管理密码", "重设管理密码")
    console.print("管理密码已重设（只保存加盐的慢哈希），所有已登录的浏览器都需用新密码重新登录。")


def _print_links(store: Any, cid: int, url: str) -> None:
    """One line per department, never wrapped or cut: each link is copied as it stands."""
    c = store.collection(cid)
    click.echo(f"{c.body} {c.year} 年（截止 {c.deadline.isoformat()}）各部门的专用报送链接：")
    for d in store.departments(cid):
        click.echo(f"{d.name}：{url.rstrip('/')}/d/{d.token}")
    removed = store.removed_departments(cid)
    if removed:  # said, so that a department missing from the list is not taken for a lost one
        click.echo(f"已移出名单（链接不接受上传，在网页上可放回）：{'、'.join(d.name for d in removed)}")


COMMANDS = [serve, collection]
