"""Merging a folder of returned workbooks: sums, roster, duplicates, outputs and provenance."""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from test_bad_inputs import make_encrypted, make_truncated, make_xls
from test_merge_support import (
    BODY,
    YEAR,
    consistent_values,
    digest,
    edit_workbook,
    expected_sum,
    set_cell,
    write_department,
    zero_values,
)

from nianbao.checks import check_workbook
from nianbao.cli import main
from nianbao.form import FORM, FieldType, layout
from nianbao.merge import merge_reads, run_merge
from nianbao.outputs import MERGED_JSON, PROVENANCE_CSV, SUMMARY_XLSX, read_provenance, write_outputs

VALID = ["区财政局", "区教育局", "区民政局", "区卫健委", "区司法局"]
ROSTER = [
    *VALID,
    "区公安局",
    "区水利局",
    "区商务局",
    "区文旅局",
    "区统计局",
    "区应急局",
    "区审计局",
    "区人社局",
    "区林业局",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[dict]]:
    """Twelve department files (five valid, seven bad kinds) plus a roster with one department missing."""
    root = tmp_path_factory.mktemp("returned")
    inbox = root / "回收"
    rng = random.Random(2024)
    valid_values = []
    for i, department in enumerate(VALID):
        values = consistent_values(rng)
        valid_values.append(values)
        sub = inbox / ("第一批" if i % 2 else "第二批")
        write_department(
            sub / f"{department}.xlsx", department, values, texts={"text.problems": f"{department}的问题。\n第二段。"}
        )
    # One of each bad kind, each for its own department.
    write_department(inbox / "区公安局.xlsx", "区公安局", zero_values(), year=YEAR - 1)  # wrong year
    write_department(inbox / "区水利局.xlsx", "区水利局", zero_values(), body="另一个区人民政府")  # wrong body
    write_department(inbox / "区外单位.xlsx", "区外单位", zero_values())  # not on the roster
    bad = write_department(inbox / "区商务局.xlsx", "区商务局", consistent_values(rng))  # a typo in a cell
    set_cell(bad, "t3.new.business", "十")
    rows = write_department(inbox / "区文旅局.xlsx", "区文旅局", zero_values())  # rows inserted
    edit_workbook(rows, lambda wb: wb[layout.TABLE_SHEETS["t3"]].insert_rows(9, 2))
    first = write_department(inbox / "区统计局.xlsx", "区统计局", zero_values(), meta={"meta.date": "2025-01-05"})
    second = write_department(
        inbox / "统计局修改版.xlsx", "区统计局", consistent_values(rng), meta={"meta.date": "2025-01-08"}
    )
    os.utime(first, (1_735_000_000, 1_735_000_000))
    os.utime(second, (1_736_000_000, 1_736_000_000))
    make_xls(first, inbox / "区应急局.xls")
    make_truncated(first, inbox / "区审计局.xlsx")
    make_encrypted(first, inbox / "区人社局.xlsx")
    (inbox / "说明.txt").write_text("随便写的备注", encoding="utf-8")
    (inbox / "~$区财政局.xlsx").write_bytes(b"lock")
    roster = root / "部门名单.csv"
    roster.write_text("部门\n" + "\n".join(ROSTER) + "\n", encoding="utf-8-sig")
    return inbox, roster, valid_values


@pytest.fixture(scope="module")
def merged(folder: tuple[Path, Path, list[dict]], tmp_path_factory: pytest.TempPathFactory):
    inbox, roster, _values = folder
    before = digest(inbox)
    result = run_merge(inbox, roster)
    out = tmp_path_factory.mktemp("out")
    paths = write_outputs(result, out)
    assert digest(inbox) == before, "no input file is modified"
    return result, out, paths


def test_merge_equals_sum_of_valid_files(folder, merged) -> None:
    _inbox, _roster, values = folder
    result, _out, _paths = merged
    assert result.values == expected_sum(values)
    assert result.departments == VALID, "in roster order"
    assert result.body == BODY and result.year == YEAR


def test_every_bad_file_has_an_error_naming_it(merged) -> None:
    result, _out, _paths = merged
    errors: dict[str, set[str]] = {}
    for f in result.findings:
        if f.is_error:
            errors.setdefault(f.file, set()).add(f.code)
    assert errors == {
        "区公安局.xlsx": {"F-YEAR"},
        "区水利局.xlsx": {"F-BODY"},
        "区外单位.xlsx": {"F-DEPARTMENT"},
        "区商务局.xlsx": {"V-INVALID"},
        "区文旅局.xlsx": {"F-STRUCTURE"},
        "区统计局.xlsx": {"F-DUPLICATE"},
        "统计局修改版.xlsx": {"F-DUPLICATE"},
        "区应急局.xls": {"F-XLS"},
        "区审计局.xlsx": {"F-CORRUPT"},
        "区人社局.xlsx": {"F-ENCRYPTED"},
        "": {"F-MISSING"},  # 区林业局 sent nothing: an error of the merge, not of a file
    }
    typo = next(f for f in result.findings if f.code == "V-INVALID")
    assert (typo.sheet, typo.cell) == (
        layout.location("t3.new.business").sheet,
        layout.location("t3.new.business").cell,
    )
    assert not any(f.file.startswith("第") for f in result.findings if f.is_error)


def test_duplicate_names_the_newer_file_and_merges_neither(merged) -> None:
    result, _out, _paths = merged
    duplicates = [f for f in result.findings if f.code == "F-DUPLICATE"]
    assert len(duplicates) == 2
    assert all("较新的是 统计局修改版.xlsx" in f.message and "2025-01-08" in f.message for f in duplicates)
    assert result.department_status["区统计局"] == "duplicate"
    assert "区统计局" not in result.departments


def test_roster_statuses_and_not_returned(merged) -> None:
    result, _out, _paths = merged
    status = result.department_status
    assert [d for d in ROSTER if status.get(d) == "merged"] == VALID
    assert status["区外单位"] == "not_on_roster"
    assert status["区公安局"] == status["区商务局"] == status["区文旅局"] == "rejected"
    # Unreadable files are attributed by their file name, so they count as returned (and rejected).
    assert status["区应急局"] == status["区审计局"] == status["区人社局"] == "rejected"
    assert result.not_returned == ["区林业局"]
    assert result.ignored == ["说明.txt"]


def test_texts_concatenated_in_roster_order(merged) -> None:
    result, _out, _paths = merged
    assert result.texts["text.problems"] == "\n".join(f"{d}的问题。\n第二段。" for d in VALID)


def test_merged_json_matches_the_contract(merged) -> None:
    result, out, _paths = merged
    data = json.loads((out / MERGED_JSON).read_text(encoding="utf-8"))
    assert {"body", "year", "template_version", "values", "texts", "departments", "sources", "findings"} <= set(data)
    assert set(data["values"]) == {f.key for f in FORM.numeric_fields}
    assert data["values"]["t3.concluded_total.total"] == result.values["t3.concluded_total.total"]
    assert float(data["values"]["t2.fees.amount"]) == float(result.values["t2.fees.amount"])
    assert {s["status"] for s in data["sources"]} == {"merged", "rejected", "duplicate"}
    assert all(len(s["sha256"]) == 64 for s in data["sources"])


def test_summary_workbook_sheets(merged) -> None:
    result, out, _paths = merged
    wb = load_workbook(out / SUMMARY_XLSX)
    assert [*layout.TABLE_SHEETS.values(), "分部门明细", "问题清单", "回收情况"] == wb.sheetnames
    loc = layout.location("t3.concluded_total.total")
    assert wb[loc.sheet][loc.cell].value == result.values["t3.concluded_total.total"]
    t3 = FORM.table("t3")
    note = next(c for c in t3.grid if c.kind == "note")
    note_loc = layout.grid_location(t3, note)
    assert wb[loc.sheet].cell(note_loc.row, note_loc.col).value == note.text
    issues = wb["问题清单"]
    assert issues.auto_filter.ref and issues.freeze_panes == "A2"
    rows = list(issues.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(result.findings)
    typo = next(r for r in rows if r[6] == "V-INVALID")
    assert typo[5] == f"'{loc.sheet}'!{layout.location('t3.new.business').cell}"
    returns = [r for r in wb["回收情况"].iter_rows(min_row=3, values_only=True)]  # row 1: summary line
    assert {r[0] for r in returns if r[1] == "未报送"} == set(result.not_returned)
    breakdown = wb["分部门明细"]
    header = [c.value for c in breakdown[1]]
    assert header[6:] == VALID


def test_explain_lists_departments_files_and_cells(merged) -> None:
    result, out, _paths = merged
    key = "t3.disclosed.natural_person"
    rows = [r for r in read_provenance(out) if r["key"] == key]
    assert [r["department"] for r in rows] == VALID
    assert sum(int(r["value"]) for r in rows) == result.values[key]
    cli = CliRunner().invoke(main, ["explain", str(out), key])
    assert cli.exit_code == 0, cli.output
    for department in VALID:
        assert department in cli.output
    by_address = CliRunner().invoke(
        main, ["explain", "--json", str(out), f"{layout.location(key).sheet}!{layout.location(key).cell}"]
    )
    assert json.loads(by_address.stdout)["key"] == key
    unknown = CliRunner().invoke(main, ["explain", str(out), "t3.disclosed.naturalperson"])
    assert unknown.exit_code == 2 and "t3.disclosed.natural_person" in unknown.output.replace("\n", "")


def test_cli_merge_exit_codes_and_summary(folder, tmp_path: Path) -> None:
    inbox, roster, _values = folder
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["merge", str(inbox), "--roster", str(roster), "--out", str(out), "--quiet"])
    assert result.exit_code == 1, result.output
    assert "未报送" in result.output and "区林业局" in result.output
    assert "Traceback" not in result.output
    assert (out / SUMMARY_XLSX).is_file() and (out / PROVENANCE_CSV).is_file()
    as_json = CliRunner().invoke(main, ["merge", str(inbox), "--roster", str(roster), "--out", str(out), "--json"])
    assert as_json.exit_code == 1
    assert {f["code"] for f in json.loads(as_json.stdout)} >= {"F-DUPLICATE", "F-XLS"}
    missing = CliRunner().invoke(main, ["merge", str(tmp_path / "nowhere"), "--out", str(out)])
    assert missing.exit_code == 2


def test_clean_folder_exits_zero_and_out_inside_folder_is_not_read_back(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    write_department(inbox / "a.xlsx", "区财政局", consistent_values(random.Random(3)))
    out = inbox / "结果"
    for _ in range(2):  # the second run must not read its own 汇总.xlsx back
        result = CliRunner().invoke(main, ["merge", str(inbox), "--out", str(out), "-q"])
        assert result.exit_code == 0, result.output


# -- properties --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def property_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("prop")


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seeds=st.lists(st.integers(0, 10**6), min_size=1, max_size=3))
def test_random_valid_workbooks_pass_and_merge_to_the_cellwise_sum(property_dir: Path, seeds: list[int]) -> None:
    folder = property_dir / f"set{'-'.join(map(str, seeds))}"
    shutil.rmtree(folder, ignore_errors=True)
    value_sets = []
    for i, seed in enumerate(seeds):
        values = consistent_values(random.Random(seed), high=50)
        value_sets.append(values)
        write_department(folder / f"{i}.xlsx", f"部门{i}", values)
    result = run_merge(folder)
    assert result.findings == []
    assert result.values == expected_sum(value_sets)


BAD_VALUES = st.sampled_from(["abc", -1, 2.5, "１.５", "-3件", "见附件"])


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10**6),
    key=st.sampled_from([f.key for f in FORM.table_fields if f.input and f.type is FieldType.INT]),
    bad=BAD_VALUES,
)
def test_one_bad_cell_gives_exactly_one_error_at_its_address(
    property_dir: Path, seed: int, key: str, bad: object
) -> None:
    path = write_department(property_dir / "one.xlsx", "区财政局", consistent_values(random.Random(seed)))
    set_cell(path, key, bad)
    result = merge_reads([check_workbook(path)])
    errors = [f for f in result.findings if f.is_error]
    loc = layout.location(key)
    assert [(f.code, f.sheet, f.cell) for f in errors] == [("V-INVALID", loc.sheet, loc.cell)]
    assert result.departments == []


def test_roster_inside_folder_spelling_and_near_misses(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    write_department(inbox / "a.xlsx", "党建综合办（党政办）", zero_values())
    write_department(inbox / "b.xlsx", "财政局", zero_values())
    roster = inbox / "名单.csv"
    roster.write_text("部门\n党建综合办(党政办)\n区财政局\n", encoding="gbk")
    result = run_merge(inbox, roster)
    assert result.ignored == [] and {s.file for s in result.sources} == {"a.xlsx", "b.xlsx"}, "the roster is not read"
    assert result.departments == ["党建综合办（党政办）"], "the cover's spelling, matched across widths"
    near = next(f for f in result.findings if f.code == "F-DEPARTMENT")
    assert near.file == "b.xlsx" and "「区财政局」" in near.message and near.expected == "区财政局"
    assert result.not_returned == ["区财政局"]


def test_unreadable_files_are_attributed_by_name_in_findings(merged) -> None:
    result, _out, _paths = merged
    xls = next(f for f in result.findings if f.code == "F-XLS")
    assert xls.department == "区应急局" and xls.file == "区应急局.xls"


def test_reading_in_worker_processes_gives_the_same_result(folder, monkeypatch: pytest.MonkeyPatch) -> None:
    import nianbao.merge as merge_module

    inbox, roster, _values = folder
    monkeypatch.setattr(merge_module, "_CHUNK_FILES", 3)  # several chunks from a small folder
    one = run_merge(inbox, roster, jobs=1)
    two = run_merge(inbox, roster, jobs=2)
    assert [s.file for s in two.sources] == [s.file for s in one.sources], "original order kept"
    assert two.values == one.values and two.findings == one.findings
    assert two.rows == one.rows and two.frame.equals(one.frame)


def test_summary_workbook_written_by_a_second_process_is_complete(
    folder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nianbao.outputs as outputs_module

    inbox, roster, _values = folder
    result = run_merge(inbox, roster)
    monkeypatch.setattr(outputs_module, "PARALLEL_XLSX_MIN", 1)
    write_outputs(result, tmp_path / "a")
    monkeypatch.setattr(outputs_module, "PARALLEL_XLSX_MIN", 10**9)
    write_outputs(result, tmp_path / "b")
    a, b = load_workbook(tmp_path / "a" / SUMMARY_XLSX), load_workbook(tmp_path / "b" / SUMMARY_XLSX)
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        assert list(a[name].values) == list(b[name].values)


def test_console_lists_only_departments_needing_attention_in_large_merges(tmp_path: Path) -> None:
    from nianbao.cli.printing import MAX_DEPARTMENTS_LISTED, status_table
    from nianbao.merge import MergeResult

    names = [f"部门{i}" for i in range(MAX_DEPARTMENTS_LISTED + 5)]
    status = {name: "merged" for name in names}
    status["部门3"] = "not_returned"
    result = MergeResult(
        body=BODY,
        year=YEAR,
        values={},
        texts={},
        departments=names,
        sources=[],
        findings=[],
        rows=None,
        department_status=status,
    )  # type: ignore[arg-type]
    table = status_table(result)
    assert table.row_count == 1
    small = MergeResult(
        body=BODY,
        year=YEAR,
        values={},
        texts={},
        departments=names[:3],
        sources=[],
        findings=[],
        rows=None,
        department_status={n: "merged" for n in names[:3]},
    )  # type: ignore[arg-type]
    assert status_table(small).row_count == 3
