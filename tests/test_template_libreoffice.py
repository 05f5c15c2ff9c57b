"""The template recalculated by a real spreadsheet program (LibreOffice Calc, headless).

One soffice call converts every copy at once (it recalculates on load), then the cached values are read.
"""

from __future__ import annotations

import random
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from test_merge_support import CONTACT

from nianbao.form import FORM, layout
from nianbao.workbook.checks import CHECK_BAD, CHECK_OK
from nianbao.workbook.template import STATUS_ALL_OK, Identity, check_cells, status_cell, write_filled

pytestmark = pytest.mark.libreoffice

IDENTITY = Identity("大榭街道", 2024, "党建综合办")
BROKEN_KEY = "t3.new.natural_person"


def _consistent_inputs(seed: int) -> dict[str, int]:
    """Random 表三/表四 inputs that satisfy every rule: results plus carried-forward = new plus carried-over."""
    rng = random.Random(seed)
    values = {k: rng.randint(0, 30) for k in FORM.input_numeric_keys if not k.startswith("t2.fees")}
    values["t2.fees.amount"] = 0  # filled: a blank cell is a warning on the cover, as in `check`
    t3_cols = [c.key for c in FORM.table("t3").columns if c.key != "total"]
    full = FORM.compute_derived(values)
    for col in t3_cols:
        concluded = full[f"t3.concluded_total.{col}"] + values[f"t3.carried_forward.{col}"]
        carried = rng.randint(0, concluded)
        values[f"t3.carried_over.{col}"] = carried
        values[f"t3.new.{col}"] = concluded - carried
    return values


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Workbook]:
    src = tmp_path_factory.mktemp("src")
    out = tmp_path_factory.mktemp("out")
    profile = tmp_path_factory.mktemp("profile")
    inputs = _inputs()
    for name, values in inputs.items():
        write_filled(src / f"{name}.xlsx", IDENTITY, values, meta=CONTACT)
    soffice = shutil.which("soffice") or "soffice"
    subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            *(str(src / f"{n}.xlsx") for n in inputs),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    return {name: load_workbook(out / f"{name}.xlsx", data_only=True) for name in inputs}


def _inputs() -> dict[str, dict[str, int]]:
    zeros = {k: 0 for k in FORM.input_numeric_keys}
    return {"zero": zeros, "broken": {**zeros, BROKEN_KEY: 5}, "random": _consistent_inputs(7)}


def _errors(wb: Workbook) -> list[str]:
    return [
        f"{ws.title}!{c.coordinate}={c.value}"
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("#")
    ]


def _check_values(wb: Workbook) -> dict[tuple[str, str], str]:
    return {(c.rule.code, getattr(c.rule, "scope", "")): wb[c.sheet][c.cell].value for c in check_cells()}


@pytest.mark.parametrize("name", ["zero", "broken", "random"])
def test_no_formula_errors(recalculated: dict[str, Workbook], name: str) -> None:
    assert _errors(recalculated[name]) == []


@pytest.mark.parametrize("name", ["zero", "random"])
def test_every_check_correct_on_consistent_data(recalculated: dict[str, Workbook], name: str) -> None:
    wb = recalculated[name]
    values = _check_values(wb)
    assert set(values.values()) == {CHECK_OK}, {k: v for k, v in values.items() if v != CHECK_OK}
    assert wb[layout.SHEET_COVER][status_cell()].value == STATUS_ALL_OK


def test_broken_balance_shows_wrong(recalculated: dict[str, Workbook]) -> None:
    wb = recalculated["broken"]
    values = _check_values(wb)
    person = FORM.by_key[BROKEN_KEY].column[-1]
    assert values[("T3-1", f"「{person}」列")] == CHECK_BAD
    wrong = {k for k, v in values.items() if v == CHECK_BAD}
    assert all(code == "T3-1" for code, _ in wrong)
    status = wb[layout.SHEET_COVER][status_cell()].value
    assert status != STATUS_ALL_OK and str(len(wrong)) in status
    per_table = {
        row[0].value: row[1].value
        for row in wb[layout.SHEET_COVER].iter_rows(max_col=2)
        if row[0].value in layout.TABLE_SHEETS.values()
    }
    broken_sheet = layout.location(BROKEN_KEY).sheet
    assert per_table.pop(broken_sheet) == status
    assert set(per_table.values()) == {STATUS_ALL_OK}


def test_totals_recomputed_like_the_form(recalculated: dict[str, Workbook]) -> None:
    wb = recalculated["random"]
    expected = FORM.compute_derived(_inputs()["random"])
    for field in FORM.table_fields:
        if not field.input:
            loc = layout.location(field.key)
            assert wb[loc.sheet][loc.cell].value == expected[field.key], field.key
