"""Workbooks saved by a real spreadsheet program (LibreOffice Calc, headless) read exactly like ours.

One soffice call converts every file at once, with its own profile. LibreOffice recalculates on load, so
the saved files carry cached totals and shared strings, as files saved by Excel or WPS do. (WPS itself
cannot run here; its files have the same OOXML shape: shared strings and cached formula values.)
"""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest
from test_merge_support import consistent_values, expected_sum, set_cell, write_department, zero_values

from nianbao.checks import check_workbook
from nianbao.form import FORM, layout
from nianbao.merge import merge_reads

pytestmark = pytest.mark.libreoffice

FORMULA_KEY = "t2.penalty.decisions"
TYPED_TOTAL_KEY = "t4.review.total"
TEXT_KEY = "t4.suit_direct.pending"


def _sources(folder: Path) -> dict[str, dict]:
    """name → input values (what the merge must find after the round trip)."""
    values = {f"valid{i}": consistent_values(random.Random(i), high=40) for i in range(3)}
    for i, v in enumerate(values.values()):
        write_department(
            folder / f"valid{i}.xlsx",
            f"部门{i}",
            v,
            texts={"text.problems": "第一段。\n第二段。"},
            meta={"meta.date": "2025-01-06"},
        )
    formula = zero_values()
    write_department(folder / "formula.xlsx", "部门F", formula)
    set_cell(folder / "formula.xlsx", FORMULA_KEY, "=2+3")
    typed = zero_values()
    typed["t4.review.upheld"] = 1
    write_department(folder / "typed_total.xlsx", "部门T", typed)
    set_cell(folder / "typed_total.xlsx", TYPED_TOTAL_KEY, 7)
    write_department(folder / "text.xlsx", "部门X", zero_values())
    set_cell(folder / "text.xlsx", TEXT_KEY, "２件")
    return {
        **values,
        "formula": {**formula, FORMULA_KEY: 5},
        "typed_total": typed,
        "text": {**zero_values(), TEXT_KEY: 2},
    }


@pytest.fixture(scope="session")
def saved_by_libreoffice(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict]]:
    src = tmp_path_factory.mktemp("lo_src")
    out = tmp_path_factory.mktemp("lo_out")
    profile = tmp_path_factory.mktemp("lo_profile")
    expected = _sources(src)
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
            *(str(src / f"{n}.xlsx") for n in expected),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out, expected


def test_valid_files_read_identically_after_libreoffice(saved_by_libreoffice) -> None:
    out, expected = saved_by_libreoffice
    for i in range(3):
        read = check_workbook(out / f"valid{i}.xlsx")
        assert read.findings == [], read.findings
        assert read.values == expected_sum([expected[f"valid{i}"]])
        assert read.identity.department == f"部门{i}" and read.identity.version == FORM.template_version
        assert read.texts["text.problems"] == "第一段。\n第二段。"
        cached = [k for k, v in read.cached.items() if v not in ("", None)]
        assert len(cached) == len(read.cached), "LibreOffice saved every total, and they all agree"


def test_pasted_formula_in_an_input_cell_uses_its_value(saved_by_libreoffice) -> None:
    out, _expected = saved_by_libreoffice
    read = check_workbook(out / "formula.xlsx")
    assert read.findings == []
    assert read.values[FORMULA_KEY] == 5


def test_typed_total_is_caught_in_a_recalculated_file(saved_by_libreoffice) -> None:
    out, _expected = saved_by_libreoffice
    read = check_workbook(out / "typed_total.xlsx")
    assert [(f.code, f.cell) for f in read.findings] == [("V-CACHED-TOTAL", layout.location(TYPED_TOTAL_KEY).cell)]
    assert read.values[TYPED_TOTAL_KEY] == 1


def test_text_in_a_number_cell_is_normalized_after_libreoffice(saved_by_libreoffice) -> None:
    out, _expected = saved_by_libreoffice
    read = check_workbook(out / "text.xlsx")
    assert [(f.code, f.cell) for f in read.findings] == [("V-NORMALIZED", layout.location(TEXT_KEY).cell)]


def test_merge_of_libreoffice_files_equals_the_sum(saved_by_libreoffice) -> None:
    out, expected = saved_by_libreoffice
    reads = [check_workbook(out / f"valid{i}.xlsx", f"valid{i}.xlsx") for i in range(3)]
    result = merge_reads(reads)
    assert result.findings == []
    assert result.values == expected_sum([expected[f"valid{i}"] for i in range(3)])
