"""The Excel template: structure, protection, validation, labels, totals, checks and identity."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils import absolute_coordinate, column_index_from_string, range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from nianbao.form import FORM, Field, FieldType, layout
from nianbao.form.layout import text_item_label
from nianbao.schema import schema_dict
from nianbao.workbook.checks import CHECK_BAD, CHECK_OK, check_formula, rule_keys
from nianbao.workbook.content import content_differences, workbook_content
from nianbao.workbook.template import (
    Identity,
    build_template,
    check_cells,
    save_template,
    status_cell,
    write_filled,
)

ROOT = Path(__file__).parents[1]
COMMITTED = ROOT / "workbook_templates" / "政府信息公开工作年度报告填报表.xlsx"
IDENTITY = Identity("大榭街道", 2024, "党建综合办")


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Workbook:
    """The personalized template as a spreadsheet program would read it (saved, then loaded)."""
    path = tmp_path_factory.mktemp("tpl") / "t.xlsx"
    save_template(path, IDENTITY)
    return load_workbook(path)


def _input_fields() -> list[Field]:
    return [f for f in FORM.fields if f.input]


def _cells_of(sqref: Any) -> set[str]:
    out: set[str] = set()
    for part in str(sqref).split():
        min_col, min_row, max_col, max_row = range_boundaries(part)
        out |= {f"{c}{r}" for c in _letters(min_col, max_col) for r in range(min_row, max_row + 1)}
    return out


def _letters(c1: int, c2: int) -> list[str]:
    from openpyxl.utils import get_column_letter

    return [get_column_letter(c) for c in range(c1, c2 + 1)]


def _validation_at(wb: Workbook, key: str) -> DataValidation:
    loc = layout.location(key)
    found = [dv for dv in wb[loc.sheet].data_validations.dataValidation if loc.cell in _cells_of(dv.sqref)]
    assert len(found) == 1, f"{key}: {len(found)} validations at {loc.cell}"
    return found[0]


def _accepts(dv: DataValidation, value: object) -> bool:
    """What Excel does with a typed value under this validation (the subset of types the template uses)."""
    if dv.type in ("whole", "decimal"):
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            return False  # Excel rejects text in a number validation
        if dv.type == "whole" and value != int(value):
            return False
        assert dv.operator == "greaterThanOrEqual"
        return value >= float(dv.formula1)
    if dv.type == "textLength":
        assert dv.operator == "lessThanOrEqual"
        return len(str(value)) <= int(dv.formula1)
    raise AssertionError(f"unexpected validation type {dv.type}")


# -- structure -------------------------------------------------------------------------------------
def test_sheets_protected_and_structure_locked(saved: Workbook) -> None:
    assert saved.sheetnames == list(layout.SHEET_ORDER)
    assert saved.security is not None and saved.security.lockStructure
    assert saved.calculation.fullCalcOnLoad
    for ws in saved.worksheets:
        assert ws.protection.sheet, ws.title
        assert ws.protection.password, ws.title


def test_table_sheets_print_landscape_a4_fit_to_width(saved: Workbook) -> None:
    for name in layout.TABLE_SHEETS.values():
        ws = saved[name]
        assert ws.page_setup.orientation == "landscape"
        assert str(ws.page_setup.paperSize) == str(ws.PAPERSIZE_A4)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth == 1
        assert ws.freeze_panes


# -- input cells and validation --------------------------------------------------------------------
def test_every_input_cell_unlocked_shaded_and_validated(saved: Workbook) -> None:
    for field in _input_fields():
        loc = layout.location(field.key)
        cell = saved[loc.sheet][loc.cell]
        assert cell.protection.locked is False, field.key
        assert cell.fill.fgColor.rgb.endswith("FFF2CC"), field.key
        dv = _validation_at(saved, field.key)
        assert dv.showErrorMessage and dv.errorStyle == "stop", field.key
        assert re.search(r"[\u4e00-\u9fff]", dv.error or "") and dv.errorTitle, field.key


@pytest.mark.parametrize("key", [f.key for f in FORM.numeric_fields if f.input])
def test_number_validation_blocks_bad_input(saved: Workbook, key: str) -> None:
    dv = _validation_at(saved, key)
    field = FORM.by_key[key]
    assert dv.showInputMessage and dv.prompt
    assert _accepts(dv, 0) and _accepts(dv, 12)
    assert not _accepts(dv, -1)
    assert not _accepts(dv, "五")
    assert not _accepts(dv, "3件")
    if field.type is FieldType.INT:
        assert not _accepts(dv, 1.5)
    else:
        assert _accepts(dv, 1.5) and not _accepts(dv, -0.01)


def test_validations_cover_only_input_cells(saved: Workbook) -> None:
    inputs = {(layout.location(f.key).sheet, layout.location(f.key).cell) for f in _input_fields()}
    for ws in saved.worksheets:
        for dv in ws.data_validations.dataValidation:
            for cell in _cells_of(dv.sqref):
                assert (ws.title, cell) in inputs, f"{ws.title}!{cell}"


def test_every_other_cell_locked(saved: Workbook) -> None:
    inputs = {(layout.location(f.key).sheet, layout.location(f.key).cell) for f in _input_fields()}
    for ws in saved.worksheets:
        # The hidden parts of a merged input cell follow its top-left cell; spreadsheets ignore them.
        covered = {
            c
            for r in ws.merged_cells.ranges
            if (ws.title, r.start_cell.coordinate) in inputs
            for c in _cells_of(r.coord)
        }
        for row in ws.iter_rows(min_row=1, max_row=ws.max_row + 2, max_col=ws.max_column + 2):
            for cell in row:
                if (ws.title, cell.coordinate) not in inputs and cell.coordinate not in covered:
                    assert cell.protection.locked is not False, f"{ws.title}!{cell.coordinate}"


# -- labels and layout -----------------------------------------------------------------------------
def test_table_labels_verbatim_and_merged_like_the_official_table(saved: Workbook) -> None:
    for table in FORM.tables:
        ws = saved[layout.TABLE_SHEETS[table.key]]
        merged = {str(r) for r in ws.merged_cells.ranges}
        for cell in table.grid:
            loc = layout.grid_location(table, cell)
            if cell.kind != "value":
                assert ws[loc.cell].value == cell.text, (table.key, cell)
            if (cell.rowspan, cell.colspan) != (1, 1):
                end = ws.cell(row=loc.row + cell.rowspan - 1, column=loc.col + cell.colspan - 1).coordinate
                assert f"{loc.cell}:{end}" in merged, (table.key, cell)


def test_cover_and_text_labels_verbatim(saved: Workbook) -> None:
    cover = saved[layout.SHEET_COVER]
    for key, label, row in layout.cover_rows():
        assert cover.cell(row=row, column=1).value == label
        if key != "version":
            assert FORM.by_key[key].row == (label,)
    texts = saved[layout.SHEET_TEXTS]
    for field, row in layout.text_rows():
        assert texts.cell(row=row, column=2).value == text_item_label(field)
        assert all(label in text_item_label(field) for label in field.row)


# -- totals and checks -----------------------------------------------------------------------------
def _formula_cells(formula: str) -> set[str]:
    """The cells a formula on one sheet refers to (ranges expanded)."""
    refs = re.findall(r"(?<![A-Z'!])\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?", formula)
    out: set[str] = set()
    for c1, r1, c2, r2 in refs:
        c2, r2 = c2 or c1, r2 or r1
        cols = _letters(column_index_from_string(c1), column_index_from_string(c2))
        out |= {f"{c}{r}" for c in cols for r in range(int(r1), int(r2) + 1)}
    return out


def test_totals_are_sums_of_exactly_the_rule_addends(saved: Workbook) -> None:
    for rule in FORM.derivations:
        loc = layout.location(rule.derives or "")
        formula = saved[loc.sheet][loc.cell].value
        assert isinstance(formula, str) and formula.startswith("=SUM("), rule
        assert _formula_cells(formula) == {layout.location(k).cell for k in rule.rhs}, rule


def test_every_rule_has_one_live_check(saved: Workbook) -> None:
    cells = check_cells()
    assert sorted(map(id, (c.rule for c in cells))) == sorted(map(id, FORM.rules))
    for c in cells:
        formula = saved[c.sheet][c.cell].value
        assert formula == check_formula(c.rule)
        assert CHECK_OK in formula and CHECK_BAD in formula
        assert {layout.location(k).cell for k in rule_keys(c.rule)} <= _formula_cells(formula)
        assert saved[c.sheet].conditional_formatting, c.sheet


def test_cover_status_counts_every_check(saved: Workbook) -> None:
    formula = saved[layout.SHEET_COVER][status_cell()].value
    for sheet in {c.sheet for c in check_cells()}:
        counted = set()
        for ref in re.findall(rf"'{re.escape(sheet)}'!([A-Z$0-9:]+)", formula):
            counted |= _formula_cells(ref)
        assert {c.cell for c in check_cells() if c.sheet == sheet} <= counted, sheet


# -- names and identity ----------------------------------------------------------------------------
def test_defined_names_match_schema(saved: Workbook) -> None:
    expected = {
        f["name"]: f"{layout.quote_sheet(f['sheet'])}!{absolute_coordinate(f['cell'])}" for f in schema_dict()["fields"]
    }
    actual = {name: dn.attr_text for name, dn in saved.defined_names.items()}
    assert actual == expected


def test_personalized_copy_carries_identity(saved: Workbook) -> None:
    cover = saved[layout.SHEET_COVER]
    body, year, department = (layout.location(f.key) for f in FORM.meta[:3])
    assert (cover[body.cell].value, cover[year.cell].value, cover[department.cell].value) == (
        "大榭街道",
        2024,
        "党建综合办",
    )
    for loc in (body, year, department):
        assert cover[loc.cell].protection.locked is not False
    assert cover[layout.version_location().cell].value == FORM.template_version
    props = {p.name: p.value for p in saved.custom_doc_props}
    assert props == {
        layout.PROP_VERSION: FORM.template_version,
        layout.PROP_BODY: "大榭街道",
        layout.PROP_YEAR: "2024",
        layout.PROP_DEPARTMENT: "党建综合办",
    }


def test_generic_template_has_blank_identity() -> None:
    wb = build_template()
    cover = wb[layout.SHEET_COVER]
    assert all(cover[layout.location(f.key).cell].value is None for f in FORM.meta)
    assert {p.name: p.value for p in wb.custom_doc_props} == {layout.PROP_VERSION: FORM.template_version}


# -- write_filled ----------------------------------------------------------------------------------
_int_inputs = [f.key for f in FORM.numeric_fields if f.input and f.type is FieldType.INT]
_dec_inputs = [f.key for f in FORM.numeric_fields if f.input and f.type is FieldType.DECIMAL]


@settings(max_examples=5, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ints=st.dictionaries(st.sampled_from(_int_inputs), st.integers(0, 10**6), max_size=40),
    decs=st.dictionaries(st.sampled_from(_dec_inputs), st.decimals(0, 10**5, places=2), max_size=3),
)
def test_write_filled_puts_each_value_at_its_location(
    tmp_path: Path, ints: dict[str, int], decs: dict[str, Decimal]
) -> None:
    path = tmp_path / "filled.xlsx"
    derived = {f.key: 99 for f in FORM.table_fields if not f.input}  # ignored: totals stay formulas
    write_filled(path, IDENTITY, {**ints, **decs, **derived})
    wb = load_workbook(path)
    for key in _int_inputs + _dec_inputs:
        loc = layout.location(key)
        expected = ints.get(key, decs.get(key))
        got = wb[loc.sheet][loc.cell].value
        assert got is None if expected is None else float(got) == float(expected), key
    for key in derived:
        loc = layout.location(key)
        assert str(wb[loc.sheet][loc.cell].value).startswith("=SUM("), key


def test_write_filled_texts_meta_and_bad_keys(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    texts = {k: f"内容 {k} & <b>" for k in FORM.text_keys}
    meta = {f.key: "张三" for f in FORM.meta if f.input}
    write_filled(path, IDENTITY, {}, texts, meta)
    wb = load_workbook(path)
    for key, value in {**texts, **meta}.items():
        loc = layout.location(key)
        assert wb[loc.sheet][loc.cell].value == value
    with pytest.raises(ValueError):
        write_filled(tmp_path / "x.xlsx", IDENTITY, {"t3.no_such_row.total": 1})
    with pytest.raises(ValueError):
        write_filled(tmp_path / "x.xlsx", IDENTITY, {}, meta={FORM.meta[0].key: "别的机关"})
    assert not (tmp_path / "x.xlsx").exists()


# -- the committed template ------------------------------------------------------------------------
def test_committed_template_is_up_to_date(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.xlsx"
    save_template(fresh)
    expected = workbook_content(load_workbook(fresh))
    actual = workbook_content(load_workbook(COMMITTED))
    assert actual == expected, (
        "workbook_templates/ 中的模板已过期，请运行 "
        f"`nianbao template --out {COMMITTED.relative_to(ROOT)} --force`：{content_differences(actual, expected)}"
    )


# -- instructions and helpers ----------------------------------------------------------------------
def test_instructions_explain_every_counting_rule_check_and_deadline(saved: Workbook) -> None:
    from nianbao.form import RULE_TITLES, official

    text = "\n".join(str(c.value) for row in saved[layout.SHEET_INSTRUCTIONS].iter_rows() for c in row if c.value)
    for table in FORM.tables:
        for axis in (*table.rows, *table.columns):
            assert axis.help in text, axis.key
    for code in {r.code for r in FORM.rules}:
        assert RULE_TITLES[code] in text, code
    for who, when in official.DEADLINES:
        assert who in text and when in text
    assert "nianbao" not in text.lower(), "the protection password is for coordinators only (README)"


@given(st.sets(st.tuples(st.integers(1, 8), st.integers(1, 8)), min_size=1, max_size=30))
def test_rectangles_cover_exactly_the_cells(cells: set[tuple[int, int]]) -> None:
    from nianbao.form.layout import rectangles

    rects = rectangles(layout.Location("s", r, c) for r, c in cells)
    covered = [(r, c) for r1, c1, r2, c2 in rects for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
    assert sorted(covered) == sorted(cells)  # no cell twice, none missing, none extra
