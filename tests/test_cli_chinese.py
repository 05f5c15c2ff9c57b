"""The console speaks Chinese: click's help and usage errors, and output that is not a terminal is not wrapped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_helpers import zero_data

from nianbao.cli import main
from nianbao.cli.zh import display_width, wrap

# click's own English: headings, its help option, markers, error words, metavars derived from types.
CLICK_ENGLISH = (
    "Usage",
    "Options",
    "Commands",
    "Show this message",
    "Show the version",
    "[required]",
    "required]",
    "Error:",
    "Missing argument",
    "Missing option",
    "No such option",
    "No such command",
    "for help",
    "[default:",
    "default:",
    "[OPTIONS]",
    "COMMAND [ARGS]",
    "PATH",
    "TEXT",
    "INTEGER",
    "FILE",
    "DIRECTORY",
    "Invalid value",
    "is not a valid",
    "requires an argument",
    "Did you mean",
    "Got unexpected extra",
    ", version",
)


def english_left(text: str) -> list[str]:
    return [word for word in CLICK_ENGLISH if word in text]


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("command", [None, *sorted(main.commands)])
def test_help_of_every_command_is_chinese(command: str | None) -> None:
    code, out = _run(*([command] if command else []), "--help")
    assert code == 0
    assert english_left(out) == [], out
    assert out.startswith("用法：")
    assert not any(line.lstrip().startswith(("。", "，")) for line in out.splitlines())
    assert "选项：" in out and "显示本帮助并退出。" in out


@pytest.mark.parametrize(
    "args",
    [
        ["render"],  # a missing argument
        ["render", "x.json", "--bogus"],  # an unknown option
        ["render", "x.json", "--jobs", "0"],  # out of range
        ["render", "x.json", "--jobs", "two"],  # not an integer
        ["check", "--last-year"],  # an option without its value
        ["nosuch"],  # an unknown command
        ["explain", "a", "b", "c"],  # an extra argument
        ["template"],  # a missing required option
        ["merge", "no-such-folder"],  # a path that does not exist
    ],
)
def test_usage_errors_are_chinese(args: list[str]) -> None:
    code, out = _run(*args)
    assert code == 2, out
    assert "错误：" in out
    assert english_left(out) == [], out


def test_version_is_chinese() -> None:
    code, out = _run("--version")
    assert code == 0 and "版本" in out and english_left(out) == []


def test_the_check_can_fail() -> None:
    assert english_left("Usage: nianbao [OPTIONS]\nError: Missing argument 'X'.") != []


def test_output_that_is_not_a_terminal_is_not_wrapped(tmp_path: Path) -> None:
    deep = tmp_path / ("很长的文件夹名称" * 8)
    deep.mkdir()
    data = deep / "merged.json"
    data.write_text(json.dumps(zero_data(), ensure_ascii=False), encoding="utf-8")
    out = deep / ("报告" * 20 + ".docx")
    code, output = _run("render", str(data), "--out", str(out))
    assert code == 0, output
    assert any(str(out) in line for line in output.splitlines()), output


def test_wrapping_measures_columns_and_keeps_words_whole() -> None:
    assert display_width("用法：ab") == 8
    lines = wrap("同时读取工作簿的进程数；默认文件多时 --allow-missing 每个 CPU 核一个。", 20)
    assert all(display_width(line) <= 20 for line in lines)
    assert any("--allow-missing" in line for line in lines)
