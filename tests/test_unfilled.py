"""Blank is "not filled", not zero; the sheet's live checks and `nianbao check` say the same thing.

An untouched template is an error until the department fills the tables or confirms that every number is 0;
a partly blank workbook gives one warning per section of the form; the cover's contact fields are checked;
how each way of writing a number is judged, and which numbers are implausible, is declared once in the form.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from test_merge_support import CONTACT, set_cell, write_department, zero_values

from nianbao.checks import check_workbook
from nianbao.cli import main
from nianbao.form import FORM, Severity, entry, layout
from nianbao.merge import run_merge
from nianbao.workbook.checks import CHECK_BAD, CHECK_OK
from nianbao.workbook.template import (
    STATUS_ALL_OK,
    STATUS_WARNINGS,
    Identity,
    check_cells,
    cover_check_cells,
    save_template,
    status_cell,
    write_filled,
)

IDENTITY = Identity("某某区人民政府", 2024, "区财政局")
CONFIRMED = {**CONTACT, FORM.confirm_field.key: FORM.confirm_field.choices[0]}
WITHHELD = "表三 三、本年度办理结果 （三）不予公开"


def _codes(path: Path) -> list[tuple[str, str]]:
    return [(f.code, f.severity) for f in check_workbook(path).findings]


# -- nothing filled ---------------------------------------------------------------------------------
def test_blank_template_is_one_unfilled_error_exit_1_and_not_merged(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    path = inbox / "区财政局.xlsx"
    save_template(path, IDENTITY)
    result = CliRunner().invoke(main, ["check", str(path), "--json"])
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)
    unfilled = [f for f in findings if f["code"] == entry.UNFILLED_CODE]
    assert len(unfilled) == 1 and unfilled[0]["severity"] == "error"
    loc = layout.location(FORM.confirm_field.key)
    assert (unfilled[0]["sheet"], unfilled[0]["cell"]) == (loc.sheet, loc.cell)
    assert FORM.confirm_field.row[0] in unfilled[0]["message"] and "逐项填写" in unfilled[0]["message"]
    assert not [f for f in findings if f["code"] == "V-BLANK"]  # one finding for the workbook, not 17
    merged = run_merge(inbox)
    assert [s.status for s in merged.sources] == ["rejected"] and merged.departments == []


def test_blank_but_confirmed_passes_as_zeros(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    write_filled(path, IDENTITY, {}, meta=CONFIRMED)
    read = check_workbook(path)
    assert read.findings == []
    assert set(read.values.values()) == {0} and len(read.values) >= len(FORM.input_numeric_keys)
    assert [s.status for s in run_merge(tmp_path).sources] == ["merged"]


@pytest.mark.parametrize("typed", ["是", " 是 ", "是　"])
def test_confirmation_read_however_spaced(tmp_path: Path, typed: str) -> None:
    path = tmp_path / "a.xlsx"
    write_filled(path, IDENTITY, {}, meta={**CONTACT, FORM.confirm_field.key: typed})
    assert _codes(path) == []


def test_confirmation_no_is_not_a_confirmation(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    write_filled(path, IDENTITY, {}, meta={**CONTACT, FORM.confirm_field.key: FORM.confirm_field.choices[1]})
    assert _codes(path) == [(entry.UNFILLED_CODE, Severity.ERROR)]


def test_confirmation_contradicted_by_a_number_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    write_filled(path, IDENTITY, {"t2.penalty.decisions": 3}, meta=CONFIRMED)
    read = check_workbook(path)
    assert [(f.code, f.severity) for f in read.findings] == [(entry.CONFIRM_CODE, Severity.ERROR)]
    assert layout.location("t2.penalty.decisions").cell in read.findings[0].message


# -- partly blank -----------------------------------------------------------------------------------
def test_a_blank_section_is_one_warning_naming_it_with_its_span(tmp_path: Path) -> None:
    (keys,) = [k for label, k in FORM.entry_sections if label == WITHHELD]
    natural = [k for k in keys if k.endswith(".natural_person")]
    assert len(natural) == 8
    values = {k: v for k, v in zero_values().items() if k not in natural}
    read = check_workbook(write_department(tmp_path / "a.xlsx", "区财政局", values))
    (blank,) = read.findings
    span = f"{layout.location(natural[0]).cell}:{layout.location(natural[-1]).cell}"
    assert (blank.code, blank.severity) == ("V-BLANK", Severity.WARNING)
    assert blank.message.startswith(f"{WITHHELD} 有 8 个单元格未填写") and span in blank.message
    assert blank.extra["cells"] == [layout.location(k).cell for k in natural]


_SECTION_OF = {k: label for label, keys in FORM.entry_sections for k in keys}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sets(st.sampled_from(FORM.input_numeric_keys), min_size=1, max_size=len(FORM.input_numeric_keys) - 1))
def test_partly_blank_gives_exactly_one_warning_per_section_with_a_blank(tmp_path: Path, blank: set[str]) -> None:
    values = {k: v for k, v in zero_values().items() if k not in blank}
    read = check_workbook(write_department(tmp_path / "a.xlsx", "区财政局", values))
    assert not read.has_errors
    warnings = [f for f in read.findings if f.code == "V-BLANK"]
    assert [f.extra["section"] for f in warnings] == [
        s for s, _ in FORM.entry_sections if any(_SECTION_OF[k] == s for k in blank)
    ]
    assert sorted(c for f in warnings for c in f.extra["cells"]) == sorted(layout.location(k).cell for k in blank)


# -- the cover --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "severity"),
    [("meta.preparer", Severity.ERROR), ("meta.phone", Severity.ERROR), ("meta.date", Severity.WARNING)],
)
def test_empty_contact_field(tmp_path: Path, key: str, severity: str) -> None:
    path = tmp_path / "a.xlsx"
    write_filled(path, IDENTITY, zero_values(), meta={k: v for k, v in CONTACT.items() if k != key})
    read = check_workbook(path)
    assert [(f.code, f.severity, f.cell) for f in read.findings] == [
        (entry.COVER_CODE, severity, layout.location(key).cell)
    ]
    assert FORM.by_key[key].row[0] in read.findings[0].message
    assert FORM.by_key[key].when_empty == severity  # the severity is the form's


@pytest.mark.parametrize(
    ("key", "typed"),
    [("meta.phone", "张三"), ("meta.phone", "12345"), ("meta.date", "下周一"), ("meta.date", "2025-02-30")],
)
def test_malformed_phone_or_date_is_a_warning(tmp_path: Path, key: str, typed: str) -> None:
    path = tmp_path / "a.xlsx"
    write_filled(path, IDENTITY, zero_values(), meta={**CONTACT, key: typed})
    assert _codes(path) == [(entry.COVER_CODE, entry.COVER_FORMAT_SEVERITY)]


@pytest.mark.parametrize("typed", ["0574-86761234", "13900001111", "(0574)86761234转801", "86761234、13900001111"])
def test_usual_phone_numbers_pass(tmp_path: Path, typed: str) -> None:
    path = tmp_path / "a.xlsx"
    write_filled(path, IDENTITY, zero_values(), meta={**CONTACT, "meta.phone": typed})
    assert _codes(path) == []


def test_merge_reports_the_cover_too(tmp_path: Path) -> None:
    write_filled(tmp_path / "a.xlsx", IDENTITY, zero_values())
    merged = run_merge(tmp_path)
    assert {(f.code, f.key) for f in merged.findings if f.code == entry.COVER_CODE} == {
        (entry.COVER_CODE, "meta.preparer"),
        (entry.COVER_CODE, "meta.phone"),
        (entry.COVER_CODE, "meta.date"),
    }
    assert merged.has_errors


# -- one declaration of severities and bounds ------------------------------------------------------
def test_wu_in_table_two_has_the_severity_of_the_sheets_declaration(tmp_path: Path) -> None:
    key = "t2.rules.issued"
    path = write_department(tmp_path / "a.xlsx", "区财政局", zero_values())
    set_cell(path, key, "无")
    declared = entry.ENTRY_KINDS["placeholder"]
    assert _codes(path) == [(declared.code, declared.severity)] == [("V-INVALID", Severity.ERROR)]
    dv = next(
        dv
        for dv in load_workbook(path)[layout.location(key).sheet].data_validations.dataValidation
        if layout.location(key).cell in str(dv.sqref)
    )
    assert dv.errorStyle == "stop"  # the sheet refuses it as typed, too


def test_implausible_count_is_a_warning(tmp_path: Path) -> None:
    path = write_department(tmp_path / "a.xlsx", "区财政局", {**zero_values(), "t2.rules.issued": 99999999999})
    read = check_workbook(path)
    assert [(f.code, f.severity, f.cell) for f in read.findings] == [
        (entry.IMPLAUSIBLE_CODE, Severity.WARNING, layout.location("t2.rules.issued").cell)
    ]
    assert str(entry.PLAUSIBLE_MAX["件"]) in read.findings[0].message


def test_the_bound_itself_is_plausible(tmp_path: Path) -> None:
    bound = entry.PLAUSIBLE_MAX["件"]
    path = write_department(tmp_path / "a.xlsx", "区财政局", {**zero_values(), "t2.rules.issued": bound})
    assert _codes(path) == []


def test_every_numeric_unit_has_a_bound_and_the_sheet_marks_it(tmp_path: Path) -> None:
    assert {f.unit for f in FORM.numeric_fields} <= set(entry.PLAUSIBLE_MAX)
    wb = load_workbook(_template(tmp_path / "t.xlsx"))
    for field in FORM.numeric_fields:
        if not field.input:
            continue
        loc = layout.location(field.key)
        bounds = [
            rule.formula
            for cf in wb[loc.sheet].conditional_formatting
            for rule in cf.rules
            if rule.operator == "greaterThan" and loc.cell in cf.sqref
        ]
        assert bounds == [[str(entry.PLAUSIBLE_MAX[field.unit])]], field.key


# -- the sheet recalculated by LibreOffice ---------------------------------------------------------
def _template(path: Path) -> Path:
    save_template(path, IDENTITY)
    return path


def _typed(path: Path, key: str, value: object, meta: dict[str, str] = CONTACT) -> Path:
    write_filled(path, IDENTITY, zero_values(), meta=meta)
    set_cell(path, key, value)
    return path


def _cases(src: Path) -> dict[str, Path]:
    return {
        "blank": _template(src / "blank.xlsx"),
        "filled": write_department(src / "filled.xlsx", IDENTITY.department, zero_values()),
        "confirmed": (write_filled(src / "confirmed.xlsx", IDENTITY, {}, meta=CONFIRMED), src / "confirmed.xlsx")[1],
        "no_contact": (write_filled(src / "no_contact.xlsx", IDENTITY, zero_values()), src / "no_contact.xlsx")[1],
        "partly": write_department(
            src / "partly.xlsx",
            IDENTITY.department,
            {k: v for k, v in zero_values().items() if not k.startswith("t4.")},
        ),
        "wu": _typed(src / "wu.xlsx", "t2.rules.issued", "无"),
        # 表二 has no sums: in 表三 a number typed as text would be left out of the sheet's own totals.
        "fullwidth": _typed(src / "fullwidth.xlsx", "t2.penalty.decisions", "３件"),
        "implausible": _typed(src / "implausible.xlsx", "t2.rules.issued", 99999999999),
        "spaces": _typed(src / "spaces.xlsx", "t2.penalty.decisions", "\u3000 "),  # blank to the reader
    }


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Workbook, Path]]:
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed")
    src, out, profile = (tmp_path_factory.mktemp(n) for n in ("src", "out", "profile"))
    cases = _cases(src)
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            *map(str, cases.values()),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    return {name: (load_workbook(out / path.name, data_only=True), path) for name, path in cases.items()}


def _status(wb: Workbook) -> str:
    return str(wb[layout.SHEET_COVER][status_cell()].value)


def _verdict(findings: list) -> str:
    """What the sheet's status must say, given `check`'s findings."""
    if any(f.is_error for f in findings):
        return "failed"
    return "warnings" if findings else "passed"


def _shown(status: str) -> str:
    if status == STATUS_ALL_OK:
        return "passed"
    return "warnings" if status.startswith(STATUS_WARNINGS) else "failed"


@pytest.mark.libreoffice
@pytest.mark.parametrize(
    "name", ["blank", "filled", "confirmed", "no_contact", "partly", "wu", "fullwidth", "implausible", "spaces"]
)
def test_sheet_status_says_what_check_says(recalculated: dict[str, tuple[Workbook, Path]], name: str) -> None:
    wb, path = recalculated[name]
    assert _shown(_status(wb)) == _verdict(check_workbook(path).findings), (_status(wb), name)


@pytest.mark.libreoffice
def test_blank_template_not_passed_filled_passed(recalculated: dict[str, tuple[Workbook, Path]]) -> None:
    blank, filled = recalculated["blank"][0], recalculated["filled"][0]
    assert _status(blank) != STATUS_ALL_OK and not _status(blank).startswith(STATUS_WARNINGS)
    cover = [str(blank[layout.SHEET_COVER][c].value) for c in cover_check_cells()]
    assert sum(v.startswith(CHECK_BAD) for v in cover) == 2  # contact fields, and the numbers
    assert _status(filled) == STATUS_ALL_OK
    assert {filled[layout.SHEET_COVER][c].value for c in cover_check_cells()} == {CHECK_OK}


@pytest.mark.libreoffice
def test_wu_fails_the_table_two_check_in_the_sheet(recalculated: dict[str, tuple[Workbook, Path]]) -> None:
    wb = recalculated["wu"][0]
    wrong = {c.rule.code for c in check_cells() if wb[c.sheet][c.cell].value == CHECK_BAD}
    assert wrong == {"T2-1"}
