"""The merge's files without pandas or openpyxl: the long rows, provenance.csv run by run, and 汇总.xlsx written by
nianbao's own small writer (read back here with openpyxl, as Excel, WPS and LibreOffice would read it)."""

from __future__ import annotations

import dataclasses
import json
import random
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.compat.strings import safe_string
from test_merge_support import consistent_values, write_department, zero_values

from nianbao.form import FORM, layout
from nianbao.merge import FRAME_COLUMNS, LongRows, MergeResult, run_merge
from nianbao.outputs import PROVENANCE_CSV, SUMMARY_XLSX, write_outputs, write_provenance, write_summary_xlsx
from nianbao.workbook import styles
from nianbao.xlsxml import Book, number_text

DEPARTMENTS = ["区财政局", "区教育局", "区民政局"]


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> MergeResult:
    inbox = tmp_path_factory.mktemp("in")
    rng = random.Random(14)
    for department in DEPARTMENTS:
        write_department(inbox / f"{department}.xlsx", department, consistent_values(rng))
    write_department(inbox / "错年.xlsx", "区司法局", zero_values(), year=2000)  # one finding, in red
    return run_merge(inbox)


def test_long_rows_are_plain_lists_and_frame_is_built_on_demand(result: MergeResult) -> None:
    rows = result.rows
    assert len(rows) == len(DEPARTMENTS) * len(FORM.numeric_fields) and rows.width == len(FORM.numeric_fields)
    assert "frame" not in vars(result), "no DataFrame unless asked for"
    frame = result.frame
    assert list(frame.columns) == list(FRAME_COLUMNS) and len(frame) == len(rows)
    assert frame["value"].tolist() == rows.value, "exact ints and Decimals, never floats"
    assert any(isinstance(v, Decimal) for v in frame["value"])
    assert LongRows.from_rows(rows.rows()) == dataclasses.replace(rows, width=0)


def test_sums_are_the_cellwise_sums_of_the_rows(result: MergeResult) -> None:
    from nianbao.merge import merged_values

    assert merged_values(result.rows) == result.values
    fee = "t2.fees.amount"
    assert result.values[fee] == sum(v for k, v in zip(result.rows.key, result.rows.value, strict=True) if k == fee)


def test_provenance_run_by_run_is_byte_identical_to_row_by_row(result: MergeResult, tmp_path: Path) -> None:
    write_provenance(result, tmp_path / "runs.csv")
    generic = dataclasses.replace(result, rows=dataclasses.replace(result.rows, width=0))
    write_provenance(generic, tmp_path / "rows.csv")
    assert (tmp_path / "runs.csv").read_bytes() == (tmp_path / "rows.csv").read_bytes()
    lines = (tmp_path / "runs.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 1 + len(result.rows)
    # Amounts at other places in some runs, none in others: each pattern gets its own template.
    values = list(result.rows.value)
    values[0], values[result.rows.width + 1] = Decimal("1.50"), Decimal("2E+1")
    values = [int(v) if isinstance(v, Decimal) and i >= 2 * result.rows.width else v for i, v in enumerate(values)]
    mixed = dataclasses.replace(result, rows=dataclasses.replace(result.rows, value=values))
    write_provenance(mixed, tmp_path / "mixed-runs.csv")
    write_provenance(dataclasses.replace(mixed, rows=dataclasses.replace(mixed.rows, width=0)), tmp_path / "mixed.csv")
    assert (tmp_path / "mixed-runs.csv").read_bytes() == (tmp_path / "mixed.csv").read_bytes()
    text = (tmp_path / "mixed-runs.csv").read_text(encoding="utf-8-sig").splitlines()
    assert ",1.5," in text[1] and ",20," in text[1 + result.rows.width + 1]


def test_provenance_quotes_odd_names_and_keeps_percent_signs(result: MergeResult, tmp_path: Path) -> None:
    rows = result.rows
    width = rows.width
    odd = ['财政局,"预算"科', "100%达标办"]
    renamed = dataclasses.replace(
        rows,
        department=[odd[i // width % 2] for i in range(len(rows))],
        file=[f"{odd[i // width % 2]}%d.xlsx" for i in range(len(rows))],
    )
    for width_given in (width, 0):
        changed = dataclasses.replace(result, rows=dataclasses.replace(renamed, width=width_given))
        write_provenance(changed, tmp_path / f"{width_given}.csv")
    assert (tmp_path / f"{width}.csv").read_bytes() == (tmp_path / "0.csv").read_bytes()
    import csv

    with (tmp_path / "0.csv").open(encoding="utf-8-sig", newline="") as handle:
        read = list(csv.reader(handle))[1:]
    assert {r[0] for r in read} == set(odd) and read[0][3] == f"{odd[0]}%d.xlsx"


@given(st.one_of(st.integers(-(10**20), 10**20), st.decimals(allow_nan=False, allow_infinity=False, places=4)))
def test_numbers_are_written_as_openpyxl_writes_them(value: int | Decimal) -> None:
    expected = safe_string(float(value) if isinstance(value, Decimal) else value)
    assert number_text(float(value) if isinstance(value, Decimal) else value) == expected


def _font(font: object) -> tuple[object, ...]:
    return (font.name, font.sz, bool(font.b), font.color.rgb if font.color is not None else None)  # type: ignore[attr-defined]


def test_summary_styles_are_the_templates(result: MergeResult, tmp_path: Path) -> None:
    """The writer carries the look of workbook/styles.py: fonts, fills, borders and alignment read back equal."""
    write_summary_xlsx(result, tmp_path / SUMMARY_XLSX)
    wb = load_workbook(tmp_path / SUMMARY_XLSX)
    t3 = wb[layout.TABLE_SHEETS["t3"]]
    assert _font(t3["A1"].font) == _font(styles.FONT_TITLE) and t3["A1"].alignment.horizontal == "center"
    assert _font(t3["A2"].font) == _font(styles.FONT)
    header = next(c for c in FORM.table("t3").grid if c.kind == "header")
    loc = layout.grid_location(FORM.table("t3"), header)
    cell = t3.cell(loc.row, loc.col)
    assert _font(cell.font) == _font(styles.FONT_BOLD)
    assert cell.fill.fgColor.rgb == styles.HEADER_FILL.fgColor.rgb and cell.fill.fill_type == "solid"
    assert cell.border.left.style == styles.BORDER.left.style and cell.border.bottom.color.rgb == "00000000"
    assert cell.alignment.wrap_text and cell.alignment.vertical == "center"
    total = layout.location("t3.concluded_total.total")
    assert t3[total.cell].fill.fgColor.rgb == styles.DERIVED_FILL.fgColor.rgb
    assert t3[total.cell].value == result.values["t3.concluded_total.total"]
    issues = wb["问题清单"]
    assert issues["A2"].value == "错误" and _font(issues["A2"].font)[2:] == _font(styles.BAD_FONT)[2:]


def test_summary_layout_reads_back(result: MergeResult, tmp_path: Path) -> None:
    write_summary_xlsx(result, tmp_path / SUMMARY_XLSX)
    wb = load_workbook(tmp_path / SUMMARY_XLSX)
    t2 = wb[layout.TABLE_SHEETS["t2"]]
    assert "A1:D1" in {str(r) for r in t2.merged_cells.ranges}
    assert t2.column_dimensions["A"].width == 16 and t2.row_dimensions[2].height == 15
    assert t2.page_setup.orientation == "landscape" and t2.page_setup.paperSize == 9
    assert t2.sheet_properties.pageSetUpPr.fitToPage and t2.page_setup.fitToWidth == 1
    assert t2.print_area == f"'{t2.title}'!$A$1:$D${layout.table_bottom_row(FORM.table('t2'))}"
    breakdown = wb["分部门明细"]
    assert breakdown.freeze_panes == "G2" and breakdown.auto_filter.ref == f"A1:I{1 + len(FORM.numeric_fields)}"
    values = {r[0]: r for r in breakdown.iter_rows(min_row=2, values_only=True)}
    fee = values["t2.fees.amount"]
    assert fee[5] == float(result.values["t2.fees.amount"]) and fee[6:] == tuple(
        float(v) for k, v in zip(result.rows.key, result.rows.value, strict=True) if k == "t2.fees.amount"
    )
    assert wb["回收情况"].freeze_panes == "A3" and wb["回收情况"].auto_filter.ref.startswith("A2:H")


def test_control_characters_and_markup_in_text_do_not_break_the_workbook(tmp_path: Path) -> None:
    book = Book()
    sheet = book.sheet("表<1>&'2'")
    sheet.append(["值\x01有 <控制> & 字符", " 前后空格 ", "", None, True, Decimal("0.1"), 10**16])
    book.save(tmp_path / "t.xlsx")
    ws = load_workbook(tmp_path / "t.xlsx").worksheets[0]
    assert ws.title == "表<1>&'2'"
    assert next(ws.iter_rows(values_only=True)) == ("值有 <控制> & 字符", " 前后空格 ", None, None, True, 0.1, 1e16)


def test_merge_path_imports_neither_pandas_nor_openpyxl(result: MergeResult, tmp_path: Path) -> None:
    """`nianbao merge` reads, merges and writes its three files without pandas, openpyxl or numpy."""
    inbox = tmp_path / "in"
    for department in DEPARTMENTS:
        write_department(inbox / f"{department}.xlsx", department, zero_values())
    code = (
        "import json, sys\n"
        "from nianbao.cli import main\n"
        "try:\n"
        f"    main(['merge', {str(inbox)!r}, '--out', {str(tmp_path / 'out')!r}, '--quiet'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(m for m in ('pandas', 'openpyxl', 'numpy') if m in sys.modules)))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(run.stdout.strip().splitlines()[-1]) == [], run.stdout
    assert (tmp_path / "out" / SUMMARY_XLSX).is_file() and (tmp_path / "out" / PROVENANCE_CSV).is_file()


def test_outputs_of_a_forked_writer_and_in_process_are_the_same(
    result: MergeResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nianbao.outputs as outputs_module

    monkeypatch.setattr(outputs_module, "PARALLEL_XLSX_MIN", 1)
    write_outputs(result, tmp_path / "a")
    monkeypatch.setattr(outputs_module, "PARALLEL_XLSX_MIN", 10**9)
    write_outputs(result, tmp_path / "b")
    a, b = (load_workbook(tmp_path / d / SUMMARY_XLSX) for d in "ab")
    for name in a.sheetnames:
        assert list(a[name].values) == list(b[name].values)
    assert (tmp_path / "a" / PROVENANCE_CSV).read_bytes() == (tmp_path / "b" / PROVENANCE_CSV).read_bytes()
