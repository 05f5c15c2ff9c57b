"""区域汇总: an area compiled from its bodies' workbooks, merged.json files and published reports."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from report_helpers import MANDATORY_TEXTS, REPORT_DATE
from test_merge_support import consistent_values, digest, write_department

from nianbao import pipeline
from nianbao.cli import main
from nianbao.errors import UsageError
from nianbao.form import FORM
from nianbao.form.indicators import INDICATORS
from nianbao.outputs import MERGED_JSON, SHEET_BREAKDOWN, SHEET_COMPARISON, SUMMARY_XLSX
from nianbao.report.context import read_report_data, signature_date
from nianbao.report.html import render_html
from nianbao.report.render import load_data
from nianbao.rollup import AREA_BODY_TYPE

AREA = "某某区人民政府"
BODIES = ["甲街道办事处", "乙镇人民政府", "某某区丙局", "某某区丁局", "戊街道办事处"]
YEAR = 2024
TEXTS = {**MANDATORY_TEXTS, "text.overview.active": "主动公开情况。"}


def _body(root: Path, body: str, seed: int) -> Path:
    """One body's departments' workbooks, merged by nianbao into `root/body/merged` with its report."""
    inbox = root / "填报" / body
    rng = random.Random(seed)
    for department in ("办公室", "执法队"):
        write_department(
            inbox / f"{department}.xlsx",
            department,
            consistent_values(rng),
            body=body,
            year=YEAR,
            texts=TEXTS,
            meta={"meta.date": "2025-01-06"},
        )
    built = pipeline.build(inbox, root / "输出" / body)
    assert built.report is not None, built.blocked
    return root / "输出" / body


@pytest.fixture(scope="module")
def bodies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("area")
    for i, body in enumerate(BODIES):
        _body(root, body, 100 + i)
    return root


def _folder(root: Path, name: str, pick: str) -> Path:
    """An area's inbox with each body given as its merged output folder ("merged") or its report ("report")."""
    folder = root / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for body in BODIES:
        out = root / "输出" / body
        if pick == "merged":
            shutil.copytree(out, folder / body)
        elif pick == "html":
            report = read_report_data(load_data(out / MERGED_JSON))
            render_html(report, folder / f"{body}.html", signature_date(report))
        else:
            report = next(out.glob("*.docx"))
            shutil.copy(report, folder / report.name)
    return folder


@pytest.mark.parametrize("form", ["report", "html"])
def test_rollup_from_reports_equals_rollup_from_merged_data(bodies: Path, form: str) -> None:
    from_data = pipeline.merge(_folder(bodies, "数据", "merged"), body=AREA, roster=BODIES)
    from_reports = pipeline.merge(_folder(bodies, f"报告-{form}", form), body=AREA, roster=BODIES)
    assert not from_data.has_errors and not from_reports.has_errors, [f.message for f in from_reports.findings]
    table_keys = [f.key for f in FORM.table_fields]
    assert {k: from_reports.values[k] for k in table_keys} == {k: from_data.values[k] for k in table_keys}
    assert from_data.departments == from_reports.departments == BODIES
    assert from_data.body_type == AREA_BODY_TYPE and from_data.data.to_json()["body_type"] == AREA_BODY_TYPE
    expected = {
        k: sum(json.loads((bodies / "输出" / b / MERGED_JSON).read_text(encoding="utf-8"))["values"][k] for b in BODIES)
        for k in table_keys
        if FORM.by_key[k].type.value == "int"
    }
    assert {k: from_data.values[k] for k in expected} == expected


def test_explain_reaches_a_department_cell_through_the_area(bodies: Path, tmp_path: Path) -> None:
    folder = _folder(bodies, "数据2", "merged")
    result = CliRunner().invoke(main, ["merge", str(folder), "--body", AREA, "--out", str(tmp_path / "区"), "--quiet"])
    assert result.exit_code == 0, result.output
    explained = CliRunner().invoke(main, ["explain", str(tmp_path / "区"), "t3.new.natural_person", "--json"])
    sources = json.loads(explained.output)["sources"]
    assert {s["department"] for s in sources} == {f"{b} / {d}" for b in BODIES for d in ("办公室", "执法队")}
    assert all(s["file"].endswith(".xlsx") and s["cell"] for s in sources)
    total = sum(int(s["value"]) for s in sources)
    assert (
        total
        == json.loads((tmp_path / "区" / MERGED_JSON).read_text(encoding="utf-8"))["values"]["t3.new.natural_person"]
    )


def test_area_workbook_compares_the_bodies(bodies: Path, tmp_path: Path) -> None:
    result = pipeline.merge(_folder(bodies, "数据3", "merged"), body=AREA, roster=BODIES)
    paths = pipeline.write_merge_outputs(result, tmp_path / "区")
    sheet = load_workbook(tmp_path / "区" / SUMMARY_XLSX)[SHEET_COMPARISON]
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == BODIES
    assert rows[0][1].startswith(INDICATORS[0].label)
    first = json.loads((bodies / "输出" / BODIES[0] / MERGED_JSON).read_text(encoding="utf-8"))["values"]
    assert rows[1][1] == first["t3.new.total"]
    assert sheet.auto_filter.ref
    assert len(paths) == 3


def test_area_breakdown_gives_each_body_its_own_figures(bodies: Path, tmp_path: Path) -> None:
    """分部门明细 of an area: a column per body, also for a body merged there from its departments' workbooks."""
    folder = tmp_path / "混合"
    shutil.copytree(bodies / "输出" / BODIES[0], folder / BODIES[0])
    shutil.copytree(bodies / "填报" / BODIES[1], folder / BODIES[1])  # workbooks, merged within the area's merge
    result = pipeline.merge(folder, body=AREA, roster=BODIES[:2])
    pipeline.write_merge_outputs(result, tmp_path / "区")
    rows = list(load_workbook(tmp_path / "区" / SUMMARY_XLSX)[SHEET_BREAKDOWN].iter_rows(values_only=True))
    assert list(rows[0][6:]) == BODIES[:2]
    for body, column in zip(BODIES[:2], (6, 7), strict=True):
        own = json.loads((bodies / "输出" / body / MERGED_JSON).read_text(encoding="utf-8"))["values"]
        by_key = {r[0]: r[column] for r in rows[1:]}
        assert by_key["t3.new.total"] == own["t3.new.total"] != 0
        assert all(by_key[f.key] == float(own[f.key]) for f in FORM.numeric_fields)


def test_a_body_whose_tables_do_not_add_up_is_refused_by_name(bodies: Path) -> None:
    folder = _folder(bodies, "坏", "merged")
    data_path = folder / BODIES[1] / MERGED_JSON
    data = json.loads(data_path.read_text(encoding="utf-8"))
    data["values"]["t3.new.total"] += 1  # a printed total that disagrees with its row
    data_path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    before = digest(folder)
    result = pipeline.merge(folder, body=AREA, roster=BODIES)
    refused = [f for f in result.findings if f.code == "A-RULES"]
    assert len(refused) == 1 and refused[0].department == BODIES[1] and BODIES[1] in refused[0].message
    assert result.department_status[BODIES[1]] == "rejected" and BODIES[1] not in result.departments
    assert digest(folder) == before


def test_a_body_given_twice_counts_once(bodies: Path) -> None:
    folder = _folder(bodies, "两次", "merged")
    report = next((bodies / "输出" / BODIES[0]).glob("*.docx"))
    shutil.copy(report, folder / report.name)
    once = pipeline.merge(_folder(bodies, "一次", "merged"), body=AREA)
    twice = pipeline.merge(folder, body=AREA)
    assert twice.values == once.values
    assert [f.department for f in twice.findings if f.code == "A-TWICE"] == [BODIES[0]]


def test_bodies_not_reported_and_the_area_name(bodies: Path) -> None:
    folder = _folder(bodies, "名单", "merged")
    result = pipeline.merge(folder, body=AREA, roster=[*BODIES, "己乡人民政府"])
    assert result.not_returned == ["己乡人民政府"] and result.has_errors
    with pytest.raises(UsageError, match="--body"):
        pipeline.merge(folder)


def test_build_of_an_area_writes_its_report(bodies: Path, tmp_path: Path) -> None:
    folder = _folder(bodies, "建", "merged")
    own = folder / "区政府办"
    write_department(
        own / "区政府办.xlsx",
        "区政府办",
        consistent_values(random.Random(9)),
        body=AREA,
        year=YEAR,
        texts=TEXTS,
        meta={"meta.date": "2025-01-07"},
    )
    built = pipeline.build(folder, tmp_path / "out", body=AREA, report_date=None)
    assert built.blocked == "" and built.report is not None, (built.blocked, built.message)
    assert built.merge is not None and AREA in built.merge.departments
    imported = pipeline.import_report(built.report)
    assert imported["body"] == AREA
    assert {k: imported["values"][k] for k in built.merge.values if k.startswith("t3.")} == {
        k: v for k, v in built.merge.values.items() if k.startswith("t3.")
    }
    assert REPORT_DATE  # the area signs with its own office's latest 填报日期 (2025-01-07)


def test_demo_region_ends_with_the_area_report_its_page_and_charts(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "区域演示"
    result = CliRunner().invoke(main, ["demo", "--region", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads((out / MERGED_JSON).read_text(encoding="utf-8"))
    assert data["body_type"] == AREA_BODY_TYPE and len(data["departments"]) == 4 and data["report"] == "final"
    assert "大榭街道" in data["departments"] and data["values"]["t2.penalty.decisions"] >= 252
    page = next(out.glob("*.html")).read_text(encoding="utf-8")
    assert "各单位情况对比" in page and ("<svg" in page or "image/svg+xml" in page)
    assert SHEET_COMPARISON in load_workbook(out / SUMMARY_XLSX).sheetnames


def test_the_importers_warnings_on_a_body_report_reach_the_area(bodies: Path) -> None:
    from docx import Document

    folder = _folder(bodies, "空白", "report")
    report = next(folder.glob(f"{BODIES[2]}*.docx"))
    doc = Document(str(report))
    blanks = [c for t in doc.tables for row in t.rows for c in row.cells if c.text.strip() == "0"]
    assert blanks, "the body's tables hold a zero to blank out"
    blanks[0].paragraphs[0].runs[0].text = "—"  # a blank, as some bodies print it
    doc.save(str(report))
    result = pipeline.merge(folder, body=AREA, roster=BODIES)
    warned = [f for f in result.findings if f.code == "IM-8"]
    assert len(warned) == 1 and warned[0].department == BODIES[2] and warned[0].file == report.name
    assert not warned[0].is_error and BODIES[2] in result.departments
    clean = pipeline.merge(_folder(bodies, "无空白", "report"), body=AREA, roster=BODIES)
    assert not [f for f in clean.findings if f.code.startswith("IM-")]


def test_an_area_merge_is_compared_with_last_years_area_data(bodies: Path, tmp_path: Path) -> None:
    """The cross-year checks run once after the merge, for an area's as for a body's: last year's 结转 that
    does not match this year's 上年结转 is C1, named with last year's file."""
    folder = _folder(bodies, "数据-跨年", "merged")
    this_year = pipeline.merge(folder, body=AREA, roster=BODIES)
    carried = {k: v for k, v in this_year.data.values.items() if k.startswith("t3.carried_over.")}
    assert any(carried.values())
    last = tmp_path / "上年" / MERGED_JSON
    last.parent.mkdir()
    data = json.loads(json.dumps(this_year.data.to_json(), default=str))
    data["year"] = YEAR - 1
    data["values"] = {k: 0 for k in data["values"]}  # nothing carried forward last year
    last.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    compared = pipeline.merge(folder, body=AREA, roster=BODIES, last_year=last)
    c1 = [f for f in compared.findings if f.code == "C1"]
    assert c1 and all(f.file == MERGED_JSON for f in c1)
    assert not [f for f in this_year.findings if f.code == "C1"]
