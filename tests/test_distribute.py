"""`nianbao template` and `nianbao distribute`: personalized copies through the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from nianbao.cli import main
from nianbao.form import FORM, layout
from nianbao.workbook.distribute import copy_filename, safe_filename_part
from nianbao.workbook.template import Identity


def _roster(tmp_path: Path, names: list[str]) -> Path:
    path = tmp_path / "departments.csv"
    path.write_text("部门\n" + "\n".join(names) + "\n", encoding="utf-8-sig")
    return path


def _identity_of(path: Path) -> tuple[object, ...]:
    wb = load_workbook(path)
    cover = wb[layout.SHEET_COVER]
    props = {p.name: p.value for p in wb.custom_doc_props}
    cells = tuple(cover[layout.location(f.key).cell].value for f in FORM.meta[:3])
    return cells, (props.get(layout.PROP_BODY), props.get(layout.PROP_YEAR), props.get(layout.PROP_DEPARTMENT))


def test_distribute_writes_one_personalized_copy_per_department(tmp_path: Path) -> None:
    names = ["党建综合办", "城市管理办", "社会事务办"]
    out = tmp_path / "下发"
    result = CliRunner().invoke(
        main,
        [
            "distribute",
            "--roster",
            str(_roster(tmp_path, names)),
            "--body",
            "大榭街道",
            "--year",
            "2024",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(f"大榭街道-2024-{n}.xlsx" for n in names)
    for name in names:
        assert name in result.output
        cells, props = _identity_of(out / f"大榭街道-2024-{name}.xlsx")
        assert cells == ("大榭街道", 2024, name)
        assert props == ("大榭街道", "2024", name)


def test_distribute_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    roster = _roster(tmp_path, ["甲科", "乙科"])
    out = tmp_path / "out"
    args = ["distribute", "--roster", str(roster), "--body", "某镇", "--year", "2024", "--out", str(out)]
    runner = CliRunner()
    assert runner.invoke(main, args).exit_code == 0
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    refused = runner.invoke(main, args)
    assert refused.exit_code == 2
    assert "--force" in refused.output and "Traceback" not in refused.output
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    assert runner.invoke(main, [*args, "--force"]).exit_code == 0


def test_distribute_bad_inputs_give_one_chinese_line(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(
        main,
        [
            "distribute",
            "--roster",
            str(tmp_path / "none.csv"),
            "--body",
            "某镇",
            "--year",
            "2024",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert missing.exit_code == 2 and "找不到" in missing.output
    old = runner.invoke(
        main,
        [
            "distribute",
            "--roster",
            str(_roster(tmp_path, ["甲"])),
            "--body",
            "某镇",
            "--year",
            "2019",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert old.exit_code == 2 and "2019" in old.output
    assert not (tmp_path / "o").exists()


def test_unsafe_department_names_make_safe_distinct_files(tmp_path: Path) -> None:
    assert safe_filename_part(' 科/室:*?"<>| ') == "科_室_______"
    assert copy_filename(Identity("某镇", 2024, "CON")) == "某镇-2024-CON.xlsx"
    assert copy_filename(Identity()) == "填报表.xlsx"
    roster = _roster(tmp_path, ["综合/办", "综合:办"])
    result = CliRunner().invoke(
        main, ["distribute", "--roster", str(roster), "--body", "某镇", "--year", "2024", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2 and "文件名相同" in result.output


def test_template_command(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "模板.xlsx"
    result = runner.invoke(
        main, ["template", "--out", str(out), "--body", "大榭街道", "--year", "2024", "--department", "党建综合办"]
    )
    assert result.exit_code == 0, result.output
    assert _identity_of(out) == (("大榭街道", 2024, "党建综合办"), ("大榭街道", "2024", "党建综合办"))
    again = runner.invoke(main, ["template", "--out", str(out)])
    assert again.exit_code == 2 and "--force" in again.output
    assert runner.invoke(main, ["template", "--out", str(out), "--force"]).exit_code == 0
    assert _identity_of(out)[0] == (None, None, None)


@pytest.mark.parametrize("name", ["模板.xls", "模板"])
def test_template_command_needs_xlsx(tmp_path: Path, name: str) -> None:
    result = CliRunner().invoke(main, ["template", "--out", str(tmp_path / name)])
    assert result.exit_code == 2 and ".xlsx" in result.output
