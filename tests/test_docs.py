"""The generated list of finding codes and the README's command table must match the code."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from nianbao import docs
from nianbao.cli import main
from nianbao.findings import CODES
from nianbao.form import FORM, SEVERITY_LABELS

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


# -- docs/codes.md ---------------------------------------------------------------------------------


def test_codes_md_is_what_the_generator_writes() -> None:
    written = (ROOT / docs.CODES_PATH).read_text(encoding="utf-8")
    assert written == docs.codes_markdown(), f"docs/codes.md 已过时：请运行 `{docs.REGENERATE}` 重新生成"


def test_every_code_is_listed_once_in_a_readme_group() -> None:
    text = docs.codes_markdown()
    for code in CODES:
        assert docs.group_of(code), f"{code} 不属于任何一组"
        assert text.count(f"| `{code}` |") == 1, code


def test_rules_carry_their_own_statement_and_severity() -> None:
    text = docs.codes_markdown()
    levels = docs.severities()
    for rule in FORM.rules:
        assert rule.description in text
        assert levels[rule.code] in (SEVERITY_LABELS[rule.severity], docs.VARIES)
    # 表三 (七) totals are derived in most columns but checked in the total column: still one fixed severity.
    assert levels["T3-2"] == "错误"


def test_severities_are_read_from_the_code_that_raises_them() -> None:
    levels = docs.severities()
    assert levels["F-SYMLINK"] == "警告"  # Finding(code="F-SYMLINK", severity=Severity.WARNING)
    assert levels["F-MISSING"] == "错误"
    assert levels["F-NOT-XLSX"] == "错误"  # a reader's refusal is always an error
    assert levels["R-TPL"] == docs.VARIES  # error or warning, chosen at run time


def test_severities_follow_constants_and_the_callee_parameter() -> None:
    from nianbao.form import entry

    levels = docs.severities()
    # entry.IMPLAUSIBLE_CODE with entry.IMPLAUSIBLE_SEVERITY, passed through a helper's `severity` parameter.
    assert levels["V-IMPLAUSIBLE"] == SEVERITY_LABELS[entry.IMPLAUSIBLE_SEVERITY]
    # A missing 填报人 is an error, a badly written 填报日期 a warning: one code, both severities.
    assert levels["V-COVER"] == docs.VARIES
    # importer._problem(...) without a severity takes the helper's default (error).
    assert levels["IM-3"] == "错误"


@given(st.sampled_from(sorted(CODES)))
def test_a_code_falls_in_the_group_of_its_prefix(code: str) -> None:
    prefix = next(p for p, title in docs.GROUPS if title == docs.group_of(code))
    assert code.startswith(prefix)
    assert not any(code.startswith(p) and len(p) > len(prefix) for p, _ in docs.GROUPS)


def test_main_writes_the_file_atomically(tmp_path: Path) -> None:
    target = tmp_path / "codes.md"
    assert docs.main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == docs.codes_markdown()


# -- README command table --------------------------------------------------------------------------


def _table_rows() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## 命令\n", 1)[1].split("\n## ", 1)[0]
    lines = section.split("\n")
    start = lines.index("| 命令 | 作用 |")
    rows: list[str] = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def _usages() -> dict[str, str]:
    """Command name -> the usage shown in its row (`nianbao <cmd> …`)."""
    out: dict[str, str] = {}
    for row in _table_rows():
        match = re.match(r"\|\s*`nianbao ([a-z-]+)([^`]*)`", row)
        assert match, f"README 命令表中的这一行没有 `nianbao 命令` 用法：{row}"
        out[match.group(1)] = match.group(2)
    return out


def _help(*args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def _listed_commands() -> set[str]:
    listing = _help().split("命令：", 1)[1]  # click's "Commands:" in Chinese (cli/zh.py)
    return {line.split()[0] for line in listing.splitlines() if line.strip()}


def test_readme_table_lists_exactly_the_commands() -> None:
    assert isinstance(main, click.Group)
    assert set(_usages()) == _listed_commands()


@pytest.mark.parametrize("command", sorted(_usages()))
def test_readme_options_exist(command: str) -> None:
    shown = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", _usages()[command]))
    offered = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", _help(command).split("选项：", 1)[1]))
    assert shown <= offered, f"README 中 nianbao {command} 的选项在 --help 中不存在：{sorted(shown - offered)}"


@pytest.mark.parametrize("command", sorted(_usages()))
def test_readme_shows_every_option(command: str) -> None:
    shown = set(re.findall(r"(?<![\w-])(--[a-zA-Z][\w-]*)", _usages()[command]))
    cmd = main.commands[command] if isinstance(main, click.Group) else None
    assert cmd is not None
    offered = {opt for p in cmd.params for opt in p.opts if opt.startswith("--") and opt != "--help"}
    assert offered <= shown, f"README 中 nianbao {command} 缺少选项：{sorted(offered - shown)}"
