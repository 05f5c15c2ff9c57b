"""Reading returned workbooks written by the template: values, texts, identity and per-cell findings."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl.workbook.workbook import Workbook
from test_merge_support import (
    BODY,
    YEAR,
    consistent_values,
    edit_workbook,
    expected_sum,
    set_cell,
    write_department,
    zero_values,
)

from nianbao.checks import check_workbook
from nianbao.form import FORM, layout
from nianbao.reader import read_workbook


def test_values_texts_and_identity_read_back(tmp_path: Path) -> None:
    values = consistent_values(random.Random(1))
    texts = {"text.problems": "一是……\n二是……", "text.report.phone": "0574-12345678"}
    path = write_department(
        tmp_path / "a.xlsx", "区财政局", values, texts=texts, meta={"meta.date": "2025-01-06", "meta.preparer": "张三"}
    )
    read = check_workbook(path)
    assert read.readable and read.findings == []
    assert read.values == expected_sum([values])
    assert isinstance(read.values["t2.fees.amount"], (int, Decimal))
    assert read.texts["text.problems"] == "一是……\n二是……"
    assert read.texts["text.report.phone"] == "0574-12345678"
    ident = read.identity
    assert (ident.body, ident.year, ident.department, ident.version) == (BODY, YEAR, "区财政局", FORM.template_version)
    assert (ident.date, ident.preparer) == ("2025-01-06", "张三")
    assert len(read.sha256) == 64 and read.size == path.stat().st_size


def test_blank_cells_count_as_zero_with_one_warning_each(tmp_path: Path) -> None:
    values = zero_values()
    blanks = ["t3.new.natural_person", "t4.review.upheld", "fee.collected"]
    for key in blanks:
        del values[key]
    read = check_workbook(write_department(tmp_path / "a.xlsx", "区财政局", values))
    assert not read.has_errors
    warnings = [(f.code, f.key, f.cell) for f in read.findings]
    assert sorted(warnings) == sorted(("V-BLANK", k, layout.location(k).cell) for k in blanks)
    assert all(read.values[k] == 0 for k in blanks)


@pytest.mark.parametrize(
    ("typed", "code", "severity", "value"),
    [
        ("无", "V-INVALID", "error", 0),  # a word is not a number, as the sheet's validation says
        ("—", "V-INVALID", "error", 0),
        ("/", "V-INVALID", "error", 0),
        ("３件", "V-NORMALIZED", "warning", 3),
        (" 3 ", "V-NORMALIZED", "warning", 3),
    ],
)
def test_spellings_get_the_severity_the_form_declares(
    tmp_path: Path, typed: str, code: str, severity: str, value: int
) -> None:
    key = "t4.suit_direct.pending"
    path = write_department(tmp_path / "a.xlsx", "区财政局", zero_values())
    set_cell(path, key, typed)
    read = check_workbook(path)
    assert [(f.code, f.severity, f.cell) for f in read.findings] == [(code, severity, layout.location(key).cell)]
    assert read.values[key] == value
    assert read.values["t4.suit_direct.total"] == value


@pytest.mark.parametrize("bad", [1.5, -2, "abc", "1.5", "很多"])
def test_invalid_value_is_one_error_at_its_cell(tmp_path: Path, bad: object) -> None:
    key = "t3.withheld_process.legal_service"
    values = consistent_values(random.Random(7))
    path = write_department(tmp_path / "a.xlsx", "区财政局", values)
    set_cell(path, key, bad)
    read = check_workbook(path)
    errors = [f for f in read.findings if f.is_error]
    assert [(f.code, f.sheet, f.cell, f.key) for f in errors] == [
        ("V-INVALID", layout.location(key).sheet, layout.location(key).cell, key)
    ]
    assert errors[0].department == "区财政局" and errors[0].file == "a.xlsx"


def test_formula_without_saved_result_in_an_input_cell_is_reported(tmp_path: Path) -> None:
    key = "t2.penalty.decisions"
    path = write_department(tmp_path / "a.xlsx", "区财政局", zero_values())
    set_cell(path, key, "=2+3")
    read = check_workbook(path)
    assert [(f.code, f.cell) for f in read.findings] == [("V-FORMULA", layout.location(key).cell)]


def test_typed_total_over_the_formula_is_caught(tmp_path: Path) -> None:
    values = zero_values()
    values["t3.new.natural_person"] = values["t3.disclosed.natural_person"] = 4
    path = write_department(tmp_path / "a.xlsx", "区财政局", values)
    set_cell(path, "t3.concluded_total.natural_person", 6)
    read = check_workbook(path)
    assert [(f.code, f.cell) for f in read.findings] == [
        ("V-CACHED-TOTAL", layout.location("t3.concluded_total.natural_person").cell)
    ]
    assert read.values["t3.concluded_total.natural_person"] == 4, "the recomputed total is used, never the typed one"


def test_inserted_row_is_one_structure_error(tmp_path: Path) -> None:
    path = write_department(tmp_path / "a.xlsx", "区财政局", zero_values())
    sheet = layout.TABLE_SHEETS["t3"]
    edit_workbook(path, lambda wb: wb[sheet].insert_rows(12))
    read = check_workbook(path)
    assert [(f.code, f.sheet) for f in read.findings] == [("F-STRUCTURE", sheet)]
    assert not read.readable and read.values == {}


@pytest.mark.parametrize("change", ["rename", "delete"])
def test_renamed_or_deleted_sheet_is_one_structure_error(tmp_path: Path, change: str) -> None:
    sheet = layout.TABLE_SHEETS["t4"]

    def edit(wb: Workbook) -> None:
        if change == "rename":
            wb[sheet].title = "表四"
        else:
            del wb[sheet]

    path = write_department(tmp_path / "a.xlsx", "区财政局", zero_values())
    edit_workbook(path, edit)
    findings = check_workbook(path).findings
    assert [f.code for f in findings] == ["F-STRUCTURE"]
    assert sheet in findings[0].message
    assert ("可能是被改了名" in findings[0].message) == (change == "rename")
    assert findings[0].department == "区财政局"


def test_wrong_template_version_is_one_error(tmp_path: Path) -> None:
    path = write_department(tmp_path / "a.xlsx", "区财政局", zero_values())
    loc = layout.version_location()
    edit_workbook(path, lambda wb: wb[loc.sheet].__setitem__(loc.cell, "2019-试行"))
    findings = check_workbook(path).findings
    assert [(f.code, f.cell) for f in findings] == [("F-VERSION", loc.cell)]


def test_copy_of_the_earlier_template_is_a_version_error_not_a_structure_error(tmp_path: Path) -> None:
    """The earlier template had no confirmation row on the cover: its labels sit one row higher."""
    path = write_department(tmp_path / "a.xlsx", "区财政局", zero_values())
    loc, confirm = layout.version_location(), layout.location(FORM.confirm_field.key)

    def earlier(wb: Workbook) -> None:
        wb[loc.sheet][loc.cell] = "2021.30-v1"
        wb[confirm.sheet].delete_rows(confirm.row)

    edit_workbook(path, earlier)
    findings = check_workbook(path).findings
    assert [(f.code, f.value) for f in findings] == [("F-VERSION", "2021.30-v1")]


def test_edited_cover_disagreeing_with_hidden_properties_is_reported(tmp_path: Path) -> None:
    path = write_department(tmp_path / "a.xlsx", "区财政局", zero_values())
    set_cell(path, "meta.department", "区教育局")
    findings = check_workbook(path).findings
    assert [(f.code, f.cell, f.value, f.expected) for f in findings] == [
        ("F-DEPARTMENT", layout.location("meta.department").cell, "区教育局", "区财政局")
    ]


def test_reading_never_modifies_the_file(tmp_path: Path) -> None:
    path = write_department(tmp_path / "a.xlsx", "区财政局", zero_values())
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    read_workbook(path)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_many_blank_cells_are_one_warning_per_section_listing_them(tmp_path: Path) -> None:
    values = {k: v for k, v in zero_values().items() if not k.startswith("t3.")}
    read = check_workbook(write_department(tmp_path / "a.xlsx", "区财政局", values))
    assert not read.has_errors
    blank = [f for f in read.findings if f.code == "V-BLANK"]
    t3_inputs = [f.key for f in FORM.table("t3").fields if f.input]
    sections = [(label, keys) for label, keys in FORM.entry_sections if keys[0].startswith("t3.")]
    assert len(blank) == len(sections) and {f.sheet for f in blank} == {layout.TABLE_SHEETS["t3"]}
    assert sorted(c for f in blank for c in f.extra["cells"]) == sorted(layout.location(k).cell for k in t3_inputs)
    for finding, (label, keys) in zip(blank, sections, strict=True):
        assert finding.message.startswith(f"{label} 有 {len(keys)} 个单元格未填写")
    assert all(read.values[k] == 0 for k in t3_inputs)
