"""Nothing incomplete is published as final: missing departments, empty mandatory sections, silent
choices between spellings, identical copies and the signature date."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from fixtures.reports.reportgen import Report, clean_values, make_html
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from report_helpers import EXAMPLE, MANDATORY_TEXTS, zero_data
from test_merge_support import consistent_values, write_department

from nianbao.audit import audit_file
from nianbao.checks import check_workbook
from nianbao.cli import main
from nianbao.form import FORM
from nianbao.merge import merge_reads, run_merge
from nianbao.outputs import MERGED_JSON, SUMMARY_XLSX
from nianbao.report.context import date_window_findings
from nianbao.report.render import render_report

ROSTER = "departments.csv"
MISSING = "城市管理办"
MANDATORY = [s.heading for s in FORM.sections if s.mandatory]


@pytest.fixture()
def example(tmp_path: Path) -> Path:
    """The bundled example (every department, every text), copied so that tests may remove files."""
    folder = tmp_path / "收到的报表"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return folder


@pytest.fixture()
def one_missing(example: Path) -> Path:
    (example / f"{MISSING}.xlsx").unlink()
    return example


def _build(folder: Path, out: Path, *extra: str):
    return CliRunner().invoke(main, ["build", str(folder), "--roster", str(folder / ROSTER), "--out", str(out), *extra])


def _merged(out: Path) -> dict:
    return json.loads((out / MERGED_JSON).read_text(encoding="utf-8"))


def _header_texts(report: Path) -> list[str]:
    return [p.text for p in Document(str(report)).sections[0].header.paragraphs]


# -- item 8: a department not returned ---------------------------------------------------------------


def test_build_with_a_missing_department_writes_no_report_and_says_what_to_do(
    one_missing: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = _build(one_missing, out)
    assert result.exit_code == 1, result.output
    assert not list(out.glob("*.docx"))
    text = result.output.replace("\n", "")
    assert MISSING in text and "--draft" in text and f"--allow-missing {MISSING}" in text
    assert _merged(out)["report"] is None and _merged(out)["not_returned"] == [MISSING]


def test_build_draft_with_a_missing_department_is_marked_draft(one_missing: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _build(one_missing, out, "--draft")
    assert result.exit_code == 0, result.output
    (report,) = out.glob("*.docx")
    assert "草稿" in _header_texts(report)
    assert _merged(out)["report"] == "draft"


def test_build_allow_missing_gives_a_final_report_recorded_in_both_outputs(one_missing: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _build(one_missing, out, "--allow-missing", f" {MISSING} ")  # matched like roster names
    assert result.exit_code == 0, result.output
    (report,) = out.glob("*.docx")
    assert "草稿" not in _header_texts(report)
    data = _merged(out)
    assert data["report"] == "final" and data["allowed_missing"] == [MISSING] and data["not_returned"] == []
    assert data["department_status"][MISSING] == "allowed_missing"
    sheet = load_workbook(out / SUMMARY_XLSX)["回收情况"]
    assert "经同意不报送" in sheet["A1"].value and MISSING in sheet["A1"].value
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert (MISSING, "经同意不报送") in {(r[0], r[1]) for r in rows}


def test_allow_missing_takes_commas_and_rejects_names_off_the_roster(one_missing: Path, tmp_path: Path) -> None:
    (one_missing / "平安建设办.xlsx").unlink()
    both = _build(one_missing, tmp_path / "a", "--allow-missing", f"{MISSING}，平安建设办")
    assert both.exit_code == 0, both.output
    assert _merged(tmp_path / "a")["allowed_missing"] == [MISSING, "平安建设办"], "in roster order"
    unknown = _build(one_missing, tmp_path / "b", "--allow-missing", "民政办")
    assert unknown.exit_code == 2 and "民政办" in unknown.output and "不在部门名单" in unknown.output
    assert not (tmp_path / "b").exists(), "a usage error writes nothing"


def test_allowing_a_department_that_did_return_is_said_and_not_recorded(example: Path) -> None:
    result = run_merge(example, example / ROSTER, allowed_missing=[MISSING])
    assert result.allowed_missing == [] and result.department_status[MISSING] == "merged"
    (said,) = [f for f in result.findings if f.code == "F-ALLOWED"]
    assert said.severity == "warning" and MISSING in said.message


def test_merge_with_a_missing_department_exits_1_naming_it(one_missing: Path, tmp_path: Path) -> None:
    args = ["merge", str(one_missing), "--roster", str(one_missing / ROSTER), "--out", str(tmp_path / "o"), "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert MISSING in result.output and "--allow-missing" in result.output
    allowed = CliRunner().invoke(main, [*args, "--allow-missing", MISSING])
    assert allowed.exit_code == 0, allowed.output
    assert "经同意不报送" in allowed.output


# -- item 10: empty mandatory sections ---------------------------------------------------------------


def test_build_with_an_empty_mandatory_section_writes_no_final_report(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_department(
        folder / "甲科.xlsx",
        "甲科",
        consistent_values(random.Random(1)),
        texts={"text.overview.active": "本年主动公开政府信息10条。"},
    )  # 五 left empty
    roster = tmp_path / "名单.csv"
    roster.write_text("部门\n甲科\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(folder), "--roster", str(roster), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "X8" in result.output and "五、存在的主要问题及改进情况" in result.output.replace("\n", "")
    assert not list(out.glob("*.docx")) and _merged(out)["report"] is None
    draft = CliRunner().invoke(main, ["build", str(folder), "--roster", str(roster), "--out", str(out), "--draft"])
    assert draft.exit_code == 0, draft.output
    assert _merged(out)["report"] == "draft"


def test_render_of_a_final_report_needs_every_mandatory_section(tmp_path: Path) -> None:
    data = zero_data(bare=True)
    data["date"] = "2025-01-08"
    result = render_report(data, tmp_path / "r.docx")
    assert result.output is None and not (tmp_path / "r.docx").exists()
    empty = [f.sheet for f in result.findings if f.code == "X8" and f.is_error]
    generated = [
        s.heading for s in FORM.sections if s.mandatory and any(f.numeric for f in FORM.texts if f.part == s.heading)
    ]
    assert empty == [h for h in MANDATORY if h not in generated], "one error per section, naming it"
    assert render_report(data, tmp_path / "d.docx", draft=True).output is not None
    assert render_report(zero_data(), tmp_path / "ok.docx").output is not None


def test_cli_render_with_an_empty_section_exits_1(tmp_path: Path) -> None:
    src = tmp_path / "merged.json"
    src.write_text(json.dumps(zero_data(text__problems=""), ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["render", str(src), "--out", str(tmp_path / "r.docx")])
    assert result.exit_code == 1 and "五、存在的主要问题及改进情况" in result.output.replace("\n", "")
    assert not (tmp_path / "r.docx").exists()


def test_audit_flags_each_section_that_is_only_a_heading(tmp_path: Path) -> None:
    bare = tmp_path / "bare.docx"
    render_report(zero_data(bare=True), bare, report_date=dt.date(2025, 1, 8), draft=True)
    x8 = [f for f in audit_file(bare).findings if f.code == "X8"]
    assert [(f.severity, f.sheet) for f in x8] == [("error", MANDATORY[0]), ("error", MANDATORY[1])]
    assert all(f.sheet in f.message for f in x8)
    html = make_html(tmp_path / "r.html", Report("宁波市北仑区某某局", 2024, clean_values(1), problems="", other=""))
    sheets = [f.sheet for f in audit_file(html).findings if f.code == "X8"]
    assert sheets == [MANDATORY[1], MANDATORY[2]]
    full = tmp_path / "full.docx"
    render_report(zero_data(), full)
    assert not [f for f in audit_file(full).findings if f.code == "X8"]


# -- item 12: spellings ------------------------------------------------------------------------------


def test_different_spellings_are_a_warning_naming_each_and_the_one_used(tmp_path: Path) -> None:
    issuer = "text.report.issuer"
    values = consistent_values(random.Random(2))
    paths = [
        write_department(tmp_path / "a.xlsx", "甲科", values, body="大榭街道", texts={issuer: "大榭街道办事处"}),
        write_department(tmp_path / "b.xlsx", "乙科", values, body="大榭街道", texts={issuer: "大榭街道办事处"}),
        write_department(tmp_path / "c.xlsx", "丙科", values, body="大榭　街道", texts={issuer: "大榭街道办"}),
    ]
    result = merge_reads([check_workbook(p, p.name) for p in paths], ["甲科", "乙科", "丙科"])
    assert not result.has_errors, [f.message for f in result.findings]
    spellings = {f.key: f for f in result.findings if f.code == "F-SPELLING"}
    assert set(spellings) == {"meta.body", issuer} and all(f.severity == "warning" for f in spellings.values())
    body = spellings["meta.body"].message
    assert (
        "「大榭街道」（甲科、乙科）" in body
        and "「大榭　街道」（丙科）" in body
        and "本次使用「大榭街道」（多数" in body
    )
    assert "「大榭街道办」（丙科）" in spellings[issuer].message
    assert result.texts[issuer] == "大榭街道办事处" and result.body == "大榭街道"
    given_body = merge_reads([check_workbook(p, p.name) for p in paths], body="大榭街道办事处")
    assert {f.file for f in given_body.findings if f.code == "F-BODY" and f.is_error} == {"a.xlsx", "b.xlsx", "c.xlsx"}
    said = next(f for f in given_body.findings if f.code == "F-SPELLING" and f.key == "meta.body")
    assert "本次使用「大榭街道办事处」（以 --body 指定的为准）" in said.message


# -- item 13: identical copies -----------------------------------------------------------------------


def test_byte_identical_copies_count_once_with_a_warning(tmp_path: Path) -> None:
    values = consistent_values(random.Random(3))
    first = write_department(tmp_path / "a" / "甲科.xlsx", "甲科", values)
    (tmp_path / "b").mkdir()
    shutil.copyfile(first, tmp_path / "b" / "甲科(1).xlsx")
    result = run_merge(tmp_path)
    assert not result.has_errors, [f.message for f in result.findings]
    assert result.departments == ["甲科"] and result.values == run_merge(tmp_path / "a").values
    (copy,) = [f for f in result.findings if f.code == "F-COPY"]
    assert copy.severity == "warning" and copy.file == "b/甲科(1).xlsx"
    assert "与 a/甲科.xlsx 内容完全相同，已只计一份" in copy.message
    assert {s.file: s.status for s in result.sources} == {"a/甲科.xlsx": "merged", "b/甲科(1).xlsx": "copy"}
    write_department(tmp_path / "c.xlsx", "甲科", consistent_values(random.Random(4)))  # different content
    mixed = run_merge(tmp_path)
    assert {f.file for f in mixed.findings if f.code == "F-DUPLICATE"} == {"a/甲科.xlsx", "b/甲科(1).xlsx", "c.xlsx"}
    assert mixed.departments == []


# -- item 14: the signature date ---------------------------------------------------------------------


def test_signature_date_defaults_to_the_latest_collection_date(example: Path, tmp_path: Path) -> None:
    write_department(
        example / "经济发展办.xlsx",
        "经济发展办",
        consistent_values(random.Random(5)),
        body="大榭街道",
        year=2024,
        meta={"meta.date": "2025-01-09"},
    )
    out = tmp_path / "out"
    result = _build(example, out)
    assert result.exit_code == 0, result.output
    assert _merged(out)["date"] == "2025-01-09"
    (report,) = out.glob("*.docx")
    assert "2025年1月9日" in [p.text for p in Document(str(report)).paragraphs]


def test_no_known_date_requires_date_and_an_odd_date_warns(tmp_path: Path) -> None:
    data = zero_data()
    del data["date"]
    src = tmp_path / "merged.json"
    src.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "r.docx"
    result = CliRunner().invoke(main, ["render", str(src), "--out", str(out)])
    assert result.exit_code == 2 and "--date" in result.output and "Traceback" not in result.output
    assert not out.exists()
    late = CliRunner().invoke(main, ["render", str(src), "--out", str(out), "--date", "2026-12-02"])
    assert late.exit_code == 0, late.output
    assert "R-DATE" in late.output and "2026年12月2日" in late.output.replace("\n", "")


@given(year=st.integers(2021, 2040), day=st.dates(dt.date(2020, 1, 1), dt.date(2042, 12, 31)))
def test_date_window_warning_exactly_outside_january_to_march_of_the_next_year(year: int, day: dt.date) -> None:
    inside = dt.date(year + 1, 1, 1) <= day <= dt.date(year + 1, 3, 31)
    findings = date_window_findings(year, day)
    assert (findings == []) == inside
    assert all(f.severity == "warning" and f.code == "R-DATE" for f in findings)


def test_mandatory_texts_helper_fills_every_mandatory_section() -> None:
    filled = {s.heading for s in FORM.sections for k in s.text_keys if k in MANDATORY_TEXTS}
    assert set(MANDATORY) - filled <= {
        s.heading for s in FORM.sections if any(f.numeric for f in FORM.texts if f.part == s.heading)
    }
