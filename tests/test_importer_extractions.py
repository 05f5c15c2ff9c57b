"""Reports as real extractions lay them out: two-line titles, labels cut from their numbers, Markdown
tables, blank/—// cells and cells run together. Each imports exactly, or reports a problem: never shifted."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from fixtures.reports.reportgen import (
    BLANK_MARKERS,
    Layout,
    Report,
    make_layout_text,
    random_values,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.form import FORM, official
from nianbao.importer import runtogether
from nianbao.importer.align import row_specs
from nianbao.importer.published import ImportResult, import_document, import_published
from nianbao.importer.text import parse_text

BODY = "宁波市北仑区某某街道办事处"
STYLES = ("layout", "flat", "markdown")
CUTS = ("", "above", "below", "split")
T3_ROWS = tuple(s.key for s in row_specs("t3"))
ALL_ROWS = (*(s.key for s in row_specs("t2")), *T3_ROWS, "t4.review")


def _import(report: Report, layout: Layout) -> ImportResult:
    return import_document(parse_text(make_layout_text(report, layout)), "r.txt")


def _errors(result: ImportResult) -> list[str]:
    return [p.code for p in result.problems if p.severity == "error"]


def _never_shifted(result: ImportResult, values: dict) -> None:
    wrong = {k: (v, values[k]) for k, v in result.table_values.items() if v != values[k]}
    assert not wrong, wrong
    if not _errors(result):
        assert result.table_values == values


@pytest.mark.parametrize("style", STYLES)
def test_two_line_title_keeps_the_body(style: str) -> None:
    report = Report(BODY, 2024, random_values(1))
    result = _import(report, Layout(style=style, title_lines=2))
    assert (result.body, result.year) == (BODY, 2024)
    assert result.outline.title == report.title()
    assert not result.problems


def test_pdf_title_over_two_centred_lines() -> None:
    text = (Path(__file__).parent / "fixtures" / "reports" / "pdftotext_layout_2024.txt").read_text(encoding="utf-8")
    title = "宁波市北仑区某某局 2024 年政府信息公开工作年度报告"
    two_lines = text.replace(title, "                 宁波市北仑区某某局\n          2024 年政府信息公开工作年度报告", 1)
    result = import_document(parse_text(two_lines), "r.txt")
    assert (result.body, result.year) == ("宁波市北仑区某某局", 2024)
    assert result.table_values == dict(random_values(1))


def test_a_preface_quoting_the_format_is_not_the_title() -> None:
    report = Report(BODY, 2024, random_values(1))
    text = make_layout_text(report, Layout(style="flat")).replace(report.title(), "", 1)
    text = "本报告根据《中华人民共和国政府信息公开工作年度报告格式》要求编制2024年度报告\n\n" + text
    result = import_document(parse_text(text), "r.txt")
    assert result.outline.title == "" and result.body == ""
    assert [p.code for p in result.problems] == ["IM-7"]
    assert result.year == 2024  # from the statistics period


def test_a_title_without_the_body_is_a_warning() -> None:
    report = Report(BODY, 2024, random_values(1))
    text = make_layout_text(report, Layout(style="flat")).replace(report.title(), report.title()[len(BODY) :], 1)
    result = import_document(parse_text(text), "r.txt")
    assert result.body == "" and result.year == 2024
    assert [(p.code, p.severity) for p in result.problems] == [("IM-7", "warning")]


def test_markdown_file_and_pipe_rows_in_text(tmp_path: Path) -> None:
    values = random_values(4)
    text = make_layout_text(Report(BODY, 2023, values), Layout(style="markdown"))
    for name in ("r.md", "r.txt"):
        (tmp_path / name).write_text(text, encoding="utf-8")
        result = import_published(tmp_path / name)
        assert result.table_values == dict(values) and result.body == BODY
        assert result.source == "markdown" and not result.problems


def test_markdown_cells_with_markup() -> None:
    values = random_values(4)
    text = make_layout_text(Report(BODY, 2023, values), Layout(style="markdown"))
    label = next(r.label for r in FORM.table("t3").rows if r.key == "unavailable_not_held")
    text = text.replace(f"| {label} |", f"| **{label[:5]}<br>{label[5:]}** |")
    result = import_document(parse_text(text), "r.md")
    assert result.table_values == dict(values)


@pytest.mark.parametrize("marker", BLANK_MARKERS)
@pytest.mark.parametrize("style", STYLES)
def test_blank_cells_are_zero_with_one_warning_per_table(style: str, marker: str) -> None:
    values = random_values(6)
    zeros = frozenset(k for k, v in values.items() if v == 0 and k.startswith(("t3.", "t4.")))
    result = _import(Report(BODY, 2024, values), Layout(style=style, blank=marker, blank_keys=zeros))
    assert result.table_values == dict(values)
    assert [(p.code, p.sheet) for p in result.problems] == [("IM-8", "表三"), ("IM-8", "表四")]


def test_cells_run_together_are_split_by_the_rules() -> None:
    keys = next(s.keys for s in row_specs("t3") if s.key == "t3.new")
    assert runtogether.splits(["120300015"], keys) == [(12, 0, 3, 0, 0, 0, 15)]
    assert runtogether.splits(["1203000", "15"], keys) == [(12, 0, 3, 0, 0, 0, 15)]
    assert runtogether.splits(["120300016"], keys) == []
    values = random_values(1)
    result = _import(Report(BODY, 2024, values), Layout(style="flat", run_together=frozenset({"t3.carried_over"})))
    assert result.table_values == dict(values)
    assert [(p.code, p.key, p.severity) for p in result.problems] == [("IM-11", "t3.carried_over", "warning")]


def test_a_row_that_cannot_be_split_is_not_imported() -> None:
    values = random_values(1)
    text = make_layout_text(
        Report(BODY, 2024, values), Layout(style="flat", run_together=frozenset({"t3.carried_over"}))
    )
    text = text.replace("\t082140051\n", "\t082140052\n")
    result = import_document(parse_text(text), "r.txt")
    assert [(p.code, p.key) for p in result.problems] == [("IM-12", "t3.carried_over")]
    _never_shifted(result, dict(values))


def test_a_split_that_is_not_unique_is_not_guessed() -> None:
    values = dict(random_values(1))
    values.update({"t2.normative_docs.issued": 12, "t2.normative_docs.repealed": 3, "t2.normative_docs.in_force": 45})
    result = _import(Report(BODY, 2024, values), Layout(style="flat", run_together=frozenset({"t2.normative_docs"})))
    assert [(p.code, p.key) for p in result.problems] == [("IM-12", "t2.normative_docs")]
    assert not any(k.startswith("t2.normative_docs.") for k in result.values)
    _never_shifted(result, dict(values))


@pytest.mark.parametrize("style", STYLES)
def test_labels_below_their_numbers_are_aligned_by_the_rules(style: str) -> None:
    values = random_values(3)
    result = _import(Report(BODY, 2024, values), Layout(style=style, cut="below"))
    assert result.table_values == dict(values)
    assert not _errors(result)


def test_mixed_cuts_with_a_missing_row_are_reported_not_shifted() -> None:
    values = random_values(3)
    layout = Layout(style="flat", cut="below", row_cuts=(("t3.new", "above"),), drop_rows=frozenset({"t3.disclosed"}))
    result = _import(Report(BODY, 2024, values), layout)
    assert _errors(result) == ["IM-10"]
    _never_shifted(result, dict(values))
    kept = {k.rsplit(".", 1)[0] for k in result.table_values if k.startswith("t3.")}
    assert "t3.refused_repeat" in kept and "t3.new" not in kept  # labelled on their line / cut from it


@st.composite
def layouts(draw: st.DrawFn) -> tuple[dict, Layout]:
    values = dict(random_values(draw(st.integers(min_value=0, max_value=10_000))))
    run_together = draw(st.frozensets(st.sampled_from(ALL_ROWS), max_size=2))
    zeros = sorted(
        k for k, v in values.items() if v == 0 and k.rsplit(".", 1)[0] not in run_together and not k.startswith("t4.")
    )
    layout = Layout(
        style=draw(st.sampled_from(STYLES)),
        title_lines=draw(st.sampled_from((1, 2))),
        cut=draw(st.sampled_from(CUTS)),
        row_cuts=tuple(draw(st.lists(st.tuples(st.sampled_from(T3_ROWS), st.sampled_from(CUTS)), max_size=3))),
        blank=draw(st.sampled_from(BLANK_MARKERS)),
        blank_keys=frozenset(draw(st.lists(st.sampled_from(zeros), max_size=6))) if zeros else frozenset(),
        run_together=run_together,
        drop_rows=draw(st.frozensets(st.sampled_from(T3_ROWS), max_size=1)),
    )
    return values, layout


@given(layouts())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_extraction_imports_exactly_or_reports_never_shifted(case: tuple[dict, Layout]) -> None:
    values, layout = case
    result = _import(Report(BODY, 2024, values), layout)
    assert (result.body, result.year) == (BODY, 2024)
    _never_shifted(result, values)
    if layout.drop_rows:
        assert {"IM-3", "IM-10"} & set(_errors(result))


FIXTURES = Path(__file__).parent / "fixtures" / "reports"


def test_2019_format_is_an_explicit_old_format_result() -> None:
    result = import_published(FIXTURES / "town_2019_layout_2023.html")
    assert result.report_format == "2019"
    t3_2019 = {k: v for k, v in result.values_2019.items() if k.startswith("t3_2019.")}
    assert t3_2019 == {f"t3_2019.other.{c.key}": result.values[f"t3.other_other.{c.key}"] for c in official.T3_COLUMNS}
    assert t3_2019["t3_2019.other.natural_person"] == 1
    assert {k: v for k, v in result.values_2019.items() if k.startswith("t2_2019.")} == {
        "t2_2019.rules.made": 1,
        "t2_2019.rules.published": 1,
        "t2_2019.rules.total_published": 1,
        "t2_2019.normative_docs.made": 0,
        "t2_2019.normative_docs.published": 0,
        "t2_2019.normative_docs.total_published": 6,
        "t2_2019.licensing.last_year_items": 0,
        "t2_2019.licensing.change": 0,
        "t2_2019.licensing.decisions": 12,
        "t2_2019.procurement.items": 3,
        "t2_2019.procurement.amount": Decimal("45.6"),
    }
    assert not any(k.startswith("t2.") for k in result.values)  # never mixed with 2021 keys
    data = result.to_json_dict()
    assert data["report_format"] == "2019" and data["old_format"]["name"] == official.FORMAT_2019_NAME
    assert (
        data["old_format"]["labels"]["t2_2019.procurement.amount"]
        == "表二 / 第二十条第（九）项 / 政府集中采购 / 采购总金额"
    )
    assert data["old_format"]["labels"]["t3_2019.other.total"] == "表三 / 三、本年度办理结果 / （六）其他处理 / 总计"
    (im2,) = [p for p in result.problems if p.code == "IM-2"]
    assert im2.severity == "warning" and im2.value == 11  # the 11 numbers of the 2019 表二


def test_2021_reports_say_their_format() -> None:
    result = _import(Report(BODY, 2024, random_values(1)), Layout())
    assert result.report_format == "2021" and result.to_json_dict()["report_format"] == "2021"
    assert "old_format" not in result.to_json_dict() and not result.values_2019


def test_2019_format_changes_may_be_negative(tmp_path: Path) -> None:
    page = (FIXTURES / "town_2019_layout_2023.html").read_text(encoding="utf-8")
    row = "<tr><td>行政许可</td><td>0</td><td>0</td><td>12</td></tr>"
    assert row in page
    path = tmp_path / "r.html"
    path.write_text(page.replace(row, "<tr><td>行政许可</td><td>5</td><td>-2</td><td>12</td></tr>"), encoding="utf-8")
    values = import_published(path).values_2019
    assert (values["t2_2019.licensing.last_year_items"], values["t2_2019.licensing.change"]) == (5, -2)


def test_audit_2019_format_is_x6_error_from_2021_and_a_note_before(tmp_path: Path) -> None:
    from nianbao.audit import audit_file

    x6 = [f for f in audit_file(FIXTURES / "town_2019_layout_2023.html").findings if f.code == "X6"]
    assert [f.severity for f in x6] == ["error"]
    page = (
        (FIXTURES / "town_2019_layout_2023.html")
        .read_text(encoding="utf-8")
        .replace("2023", "2020")
        .replace("2022", "2020")
    )
    (tmp_path / "r.html").write_text(page, encoding="utf-8")
    report = audit_file(tmp_path / "r.html")
    assert report.year == 2020
    x6 = [f for f in report.findings if f.code == "X6"]
    assert [f.severity for f in x6] == ["info"] and official.FORMAT_2019_NAME in x6[0].message


def test_a_negative_cell_is_read_as_printed_and_audited(tmp_path: Path) -> None:
    from fixtures.reports.reportgen import Mangle, make_html

    from nianbao.audit import audit_file

    values = random_values(1)
    key = next(k for k, v in values.items() if k.startswith("t3.refused_repeat.") and FORM.by_key[k].input and v)
    page = make_html(tmp_path / "r.html", Report(BODY, 2024, values, mangle=Mangle(cells={key: f"-{values[key]}"})))
    report = audit_file(page)
    assert report.imported.values[key] == -values[key]
    assert [f.key for f in report.findings if f.code == "T3-4"] == [key]


@pytest.mark.libreoffice
def test_real_pdf_with_a_two_line_title_and_centred_cells(tmp_path: Path) -> None:
    """LibreOffice's PDF of a Word report whose title wraps onto two centred lines and whose cells are
    centred vertically: pdftotext puts long labels on lines above and below their numbers."""
    import os
    import subprocess

    from fixtures.reports.reportgen import make_docx

    values = random_values(5)
    docx = make_docx(tmp_path / "r.docx", Report(BODY, 2024, values), title_lines=2, centred_cells=True)
    profile = tmp_path / "profile"
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            "--nologo",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(docx),
        ],
        check=True,
        capture_output=True,
        timeout=240,
        env={**os.environ, "HOME": str(profile)},
    )
    result = import_published(tmp_path / "r.pdf")
    assert (result.body, result.year) == (BODY, 2024)
    _never_shifted(result, dict(values))
    assert result.table_values == dict(values)


def test_word_title_over_two_paragraphs(tmp_path: Path) -> None:
    from fixtures.reports.reportgen import make_docx

    values = random_values(2)
    result = import_published(make_docx(tmp_path / "r.docx", Report(BODY, 2024, values), title_lines=2))
    assert (result.body, result.year) == (BODY, 2024) and result.table_values == dict(values)


def test_page_heading_without_the_body_takes_it_from_the_page_title(tmp_path: Path) -> None:
    from fixtures.reports.reportgen import make_html

    report = Report(BODY, 2024, random_values(2))
    page = make_html(tmp_path / "r.html", report)
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace(f">{report.title()}</h1>", f">{report.title()[len(BODY) :]}</h1>"), encoding="utf-8")
    result = import_published(page)
    assert (result.body, result.year) == (BODY, 2024) and not result.problems


def test_a_long_run_of_digits_is_split_quickly_or_refused() -> None:
    keys = next(s.keys for s in row_specs("t3") if s.key == "t3.new")
    assert runtogether.splits(["1611091801831503041087"], keys) == [(161, 109, 180, 183, 150, 304, 1087)]
    assert runtogether.splits(["1234567123456712345671234567123456712345677407402"], keys) == []  # bounded: refused
