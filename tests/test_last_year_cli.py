"""`--last-year` on check, merge and build: last year's figures, in any form, against this year's."""

from __future__ import annotations

import json
import random
from pathlib import Path

from click.testing import CliRunner
from test_merge_support import BODY, CONTACT, YEAR, consistent_values

from nianbao.cli import main
from nianbao.form import FORM, layout
from nianbao.workbook.template import Identity, write_filled

CARRIED = "t3.carried_over.natural_person"


def _this_year(folder: Path) -> dict[str, int]:
    values = consistent_values(random.Random(7))
    write_filled(folder / "甲科.xlsx", Identity(BODY, YEAR, "甲科"), values, meta=CONTACT)
    return FORM.compute_derived(values)


def _last_year_json(path: Path, carried_forward: int) -> Path:
    values = {f"t3.carried_forward.{c.key}": 0 for c in FORM.table("t3").columns}
    values["t3.carried_forward.natural_person"] = carried_forward
    path.write_text(json.dumps({"body": BODY, "year": YEAR - 1, "values": values, "texts": {}}), encoding="utf-8")
    return path


def test_merge_flags_carry_over_mismatch_and_exits_1(tmp_path: Path) -> None:
    this = _this_year(tmp_path / "in")
    last = _last_year_json(tmp_path / "last.json", int(this[CARRIED]) + 4)
    result = CliRunner().invoke(
        main,
        ["merge", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--quiet", "--last-year", str(last), "--json"],
    )
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)
    (c1,) = [f for f in findings if f["code"] == "C1" and f["key"] == CARRIED]
    assert c1["severity"] == "error" and c1["file"] == "last.json"
    assert c1["expected"] == this[CARRIED] + 4


def test_merge_with_matching_last_year_is_clean(tmp_path: Path) -> None:
    this = _this_year(tmp_path / "in")
    last = _last_year_json(tmp_path / "last.json", int(this[CARRIED]))
    data = json.loads(last.read_text(encoding="utf-8"))
    for col in FORM.table("t3").columns:
        data["values"][f"t3.carried_forward.{col.key}"] = this[f"t3.carried_over.{col.key}"]
    last.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["merge", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--quiet", "--last-year", str(last), "--json"],
    )
    assert not [f for f in json.loads(result.stdout) if f["code"] == "C1"]


def test_check_takes_last_years_workbook_and_points_at_the_cell(tmp_path: Path) -> None:
    this = _this_year(tmp_path)
    last_values = consistent_values(random.Random(8))
    last_path = tmp_path / "last" / "甲科-2023.xlsx"
    write_filled(last_path, Identity(BODY, YEAR - 1, "甲科"), last_values, meta=CONTACT)
    expected = FORM.compute_derived(last_values)["t3.carried_forward.natural_person"]
    result = CliRunner().invoke(main, ["check", str(tmp_path / "甲科.xlsx"), "--last-year", str(last_path), "--json"])
    assert expected != this[CARRIED], "the seeds must give different figures"
    c1 = [f for f in json.loads(result.stdout) if f["code"] == "C1" and f["key"] == CARRIED]
    assert result.exit_code == 1
    assert c1[0]["sheet"] == layout.location(CARRIED).sheet
    assert c1[0]["cell"] == layout.location(CARRIED).cell
    assert c1[0]["department"] == "甲科"


def test_build_refuses_to_render_when_last_year_disagrees(tmp_path: Path) -> None:
    this = _this_year(tmp_path / "in")
    last = _last_year_json(tmp_path / "last.json", int(this[CARRIED]) + 1)
    result = CliRunner().invoke(
        main, ["build", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--last-year", str(last)]
    )
    assert result.exit_code == 1
    assert not list((tmp_path / "out").glob("*.docx"))


def test_unreadable_last_year_is_a_usage_error(tmp_path: Path) -> None:
    _this_year(tmp_path / "in")
    bad = tmp_path / "last.json"
    bad.write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["merge", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--quiet", "--last-year", str(bad)]
    )
    assert result.exit_code == 2
    assert "不是有效的 JSON" in result.output
    assert not (tmp_path / "out").exists()
