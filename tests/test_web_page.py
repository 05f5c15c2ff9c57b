"""The web edition without a browser: structure from the form's grids, safe embedding, and import round trips."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from report_helpers import MANDATORY_TEXTS, REPORT_DATE, zero_data
from test_merge_support import consistent_values, write_department

from nianbao.cli import main
from nianbao.form import FORM
from nianbao.importer import import_report
from nianbao.importer.embedded import DATA_ELEMENT_ID
from nianbao.importer.published import import_published
from nianbao.report.context import read_report_data
from nianbao.report.html import embedded_json, header_cells, page_html, render_html

DAY = dt.date(2025, 1, 8)


def _data(seed: int, **texts: str) -> dict[str, Any]:
    rng = random.Random(seed)
    return {
        "body": "某某区人民政府",
        "year": 2024,
        "values": consistent_values(rng, 40),
        "texts": {**MANDATORY_TEXTS, **texts},
        "date": REPORT_DATE,
    }


def _write(tmp_path: Path, data: dict[str, Any], name: str = "报告.html", **options: Any) -> Path:
    out = tmp_path / name
    result = render_html(read_report_data(data), out, DAY, **options)
    assert result.output == out, [f.message for f in result.findings if f.is_error]
    return out


def _tree(path: Path) -> Any:
    return lxml.html.fromstring(path.read_bytes())


# -- structure --------------------------------------------------------------------------------------
def test_tables_follow_the_form_grids(tmp_path: Path) -> None:
    root = _tree(_write(tmp_path, _data(1)))
    assert root.get("lang") == "zh-CN"
    tables = root.xpath("//section//table[not(ancestor::figure)]")
    assert len(tables) == len(FORM.tables)
    for table, html_table in zip(FORM.tables, tables, strict=True):
        spans = sorted(
            (int(c.get("rowspan", 1)), int(c.get("colspan", 1)), c.text_content())
            for c in html_table.iter("th", "td")
            if not c.get("data-key")
        )
        expected = sorted((c.rowspan, c.colspan, c.text) for c in table.grid if c.kind != "value")
        assert spans == expected, table.key
        cells = html_table.xpath(".//td[@data-key]")
        assert len(cells) == len(table.value_cells())
        for th in html_table.iter("th"):
            assert th.get("scope") in {"col", "colgroup", "row", "rowgroup"}
            assert th.get("id")


def test_every_value_cell_is_labelled_by_its_row_and_column() -> None:
    for table in FORM.tables:
        for cell in table.value_cells():
            field = FORM.by_key[cell.key or ""]
            labels = [h.text for h in header_cells(table, cell)]
            assert sorted(labels) == sorted((*field.row, *field.column)), cell.key


def test_headings_are_the_official_ones_in_order(tmp_path: Path) -> None:
    root = _tree(_write(tmp_path, _data(2)))
    assert [h.text_content() for h in root.iter("h1")] == ["某某区人民政府2024年政府信息公开工作年度报告"]
    h2 = [h.text_content() for h in root.xpath("//article//h2")]
    assert h2 == [s.heading for s in FORM.sections]


def test_no_external_asset_and_one_script_of_data(tmp_path: Path) -> None:
    root = _tree(_write(tmp_path, _data(3)))
    assert not root.xpath("//link[@href] | //script[@src] | //iframe")
    assert all(img.get("src", "").startswith("data:image/svg+xml;base64,") for img in root.iter("img"))
    scripts = root.xpath("//script")
    assert len(scripts) == 1 and scripts[0].get("type") == "application/json"
    assert scripts[0].get("id") == DATA_ELEMENT_ID


HOSTILE = "</script><script>alert(1)</script><!-- & \u2028\u2029 \"quoted\" 'single' <b>粗</b>"


def test_department_text_is_escaped_and_cannot_close_the_data_script(tmp_path: Path) -> None:
    page = _write(tmp_path, _data(4, **{"text.other": HOSTILE}))
    source = page.read_text(encoding="utf-8")
    script = source.split(f'id="{DATA_ELEMENT_ID}">', 1)[1].split("</script>", 1)[0]
    assert "<" not in script and ">" not in script and "&" not in script and "\u2028" not in script
    assert json.loads(script)["texts"]["text.other"] == HOSTILE
    root = _tree(page)
    assert len(root.xpath("//script")) == 1 and not root.xpath("//b")
    assert "<script>alert(1)</script>" in root.text_content()  # shown as text


def test_embedded_json_escapes() -> None:
    text = str(embedded_json({"a": "</script>&\u2028\u2029<!--"}))
    assert not re.search("[<>&\u2028\u2029]", text)
    assert json.loads(text) == {"a": "</script>&\u2028\u2029<!--"}


def test_errors_block_the_page_unless_draft(tmp_path: Path) -> None:
    data = _data(5)
    data["texts"] = {}
    report = read_report_data(data)
    assert render_html(report, tmp_path / "a.html", DAY).output is None
    assert not (tmp_path / "a.html").exists()
    page = render_html(report, tmp_path / "b.html", DAY, draft=True).output
    assert page is not None and "草稿" in _tree(page).xpath("//title")[0].text


# -- reading the page back --------------------------------------------------------------------------
_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60)


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), other=_text, summary=_text, fee=st.decimals(min_value=0, max_value=99999, places=2))
def test_page_round_trips_through_import(tmp_path: Path, seed: int, other: str, summary: str, fee: Decimal) -> None:
    data = _data(seed, **{"text.other": other, "text.overview.summary": summary + "。"})
    data["values"]["fee.collected"] = fee
    page = _write(tmp_path, data, draft=True)
    back = import_report(page)
    report = read_report_data(data)
    assert back["body"] == report.body and back["year"] == report.year and back["date"] == DAY.isoformat()
    assert {k: Decimal(v) for k, v in back["values"].items()} == {
        **{k: Decimal(v) for k, v in report.values.items()},
        **{k: Decimal(v) for k, v in report.fees.items()},
    }
    assert back["texts"] == report.texts
    assert "missing" not in back and back["problems"] == []


def test_visible_tables_alone_are_read_by_the_tolerant_reader(tmp_path: Path) -> None:
    data = _data(6)
    page = _write(tmp_path, data)
    result = import_published(page)
    assert all(result.tables_found.values()) and not result.problems and not result.deviations
    assert {k: Decimal(v) for k, v in result.table_values.items()} == {
        k: Decimal(v) for k, v in read_report_data(data).values.items()
    }


def test_a_page_edited_after_generation_is_reported(tmp_path: Path) -> None:
    page = _write(tmp_path, _data(7))
    text = page.read_text(encoding="utf-8")
    cell = re.search(r'(<td [^>]*data-key="t3\.new\.natural_person"[^>]*>)(\d+)(</td>)', text)
    assert cell is not None
    edited = text.replace(cell.group(0), f"{cell.group(1)}{int(cell.group(2)) + 1}{cell.group(3)}")
    page.write_text(edited, encoding="utf-8")
    back = import_report(page)
    assert [p["code"] for p in back["problems"]] == ["IM-13"]
    assert back["values"]["t3.new.natural_person"] == int(cell.group(2))  # the embedded data wins


def test_page_without_charts_is_complete(tmp_path: Path) -> None:
    html = page_html(read_report_data(zero_data()), DAY)
    assert "图解" not in html and "<table" in html


# -- the command line --------------------------------------------------------------------------------
def test_render_html_and_charts(tmp_path: Path) -> None:
    this, last = _data(8), _data(9)
    (tmp_path / "merged.json").write_text(json.dumps(this, ensure_ascii=False, default=str), encoding="utf-8")
    (tmp_path / "last.json").write_text(
        json.dumps({**last, "year": 2023}, ensure_ascii=False, default=str), encoding="utf-8"
    )
    out = tmp_path / "报告.docx"
    result = CliRunner().invoke(
        main,
        [
            "render",
            str(tmp_path / "merged.json"),
            "--out",
            str(out),
            "--html",
            "--charts",
            "--last-year",
            str(tmp_path / "last.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    page = out.with_suffix(".html")
    assert page.is_file() and "已生成网页" in result.output
    assert len(_tree(page).xpath("//figure//img")) == 2
    with zipfile.ZipFile(out) as docx:
        assert len([n for n in docx.namelist() if n.startswith("word/media/")]) == 2
        body = docx.read("word/document.xml").decode("utf-8")
    assert body.index("<w:drawing>") > body.rindex("</w:tbl>")  # after the last table
    assert 'descr="本年度办结政府信息公开申请' in body  # alt text of the picture
    back = import_report(out)  # the charts do not disturb reading the Word report back
    assert {k: Decimal(v) for k, v in back["values"].items() if k.startswith("t")} == {
        k: Decimal(v) for k, v in read_report_data(this).values.items()
    }


def test_render_html_of_a_batch_writes_a_page_beside_each_report(tmp_path: Path) -> None:
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text(json.dumps(zero_data(), ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["render", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--out", str(tmp_path / "out"), "--html"]
    )
    assert result.exit_code == 0, result.output
    reports = sorted((tmp_path / "out").glob("*.docx"))
    assert len(reports) == 2  # the same body twice: the second report is named …-2
    assert sorted((tmp_path / "out").glob("*.html")) == [r.with_suffix(".html") for r in reports]


def test_build_html_and_charts_sheet(tmp_path: Path) -> None:
    rng = random.Random(11)
    folder = tmp_path / "收到的报表"
    texts = {**MANDATORY_TEXTS, **{f.key: "有关情况。" for f in FORM.texts if f.required and f.key.startswith("text.")}}
    for i, department in enumerate(("党政办", "财政局", "民政办")):
        write_department(
            folder / f"{department}.xlsx", department, consistent_values(rng, 9), texts=texts if i == 0 else None
        )
    outdir = tmp_path / "汇总结果"
    result = CliRunner().invoke(main, ["build", str(folder), "--out", str(outdir), "--html", "--charts"])
    assert result.exit_code == 0, result.output
    pages = list(outdir.glob("*.html"))
    assert len(pages) == 1
    wb = load_workbook(outdir / "汇总.xlsx")
    assert wb.sheetnames[-1] == "图解"
    sheet = wb["图解"]
    assert len(sheet._images) == 2  # results as shares, departments side by side
    assert sheet["A1"].value == "依申请公开办理结果构成"
    figures = [h.text_content() for h in _tree(pages[0]).xpath("//figure//h3")]
    assert figures == ["依申请公开办理结果构成", "各单位情况对比"]
    merged = json.loads((outdir / "merged.json").read_text("utf-8"))["values"]
    back = import_report(pages[0])["values"]
    assert {f.key: Decimal(str(back[f.key])) for f in FORM.table_fields} == {
        f.key: Decimal(str(merged[f.key])) for f in FORM.table_fields
    }


@pytest.mark.parametrize("flag", ["--html", "--charts"])
def test_without_a_chinese_font_the_report_is_made_without_charts(
    tmp_path: Path, flag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nianbao import charts

    monkeypatch.setattr(charts, "CJK_FONTS", ("No Such Font 无此字体",))
    charts.cjk_font.cache_clear()
    try:
        (tmp_path / "m.json").write_text(json.dumps(_data(12), ensure_ascii=False, default=str), encoding="utf-8")
        out = tmp_path / "r.docx"
        result = CliRunner().invoke(main, ["render", str(tmp_path / "m.json"), "--out", str(out), flag])
    finally:
        charts.cjk_font.cache_clear()
    assert result.exit_code == 0, result.output
    assert "未找到可显示中文的字体" in result.output and "fonts-noto-cjk" in result.output
    with zipfile.ZipFile(out) as docx:
        assert not [n for n in docx.namelist() if n.startswith("word/media/")]
    if flag == "--html":
        assert not _tree(out.with_suffix(".html")).xpath("//figure")


def test_audit_finds_in_the_page_what_it_finds_in_the_word_report(tmp_path: Path) -> None:
    """The page's visible text (charts and all) is a well-formed report for the auditor, like the .docx."""
    data = {**_data(13), "body": "某某街道办事处"}
    (tmp_path / "m.json").write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
    out = tmp_path / "r.docx"
    assert CliRunner().invoke(main, ["render", str(tmp_path / "m.json"), "--out", str(out), "--html"]).exit_code == 0

    def codes(path: Path) -> list[str]:
        result = CliRunner().invoke(main, ["audit", str(path), "--json"])
        return sorted(f["code"] for f in json.loads(result.stdout)[0]["findings"])

    assert codes(out.with_suffix(".html")) == codes(out)


@pytest.mark.libreoffice
@pytest.mark.slow
def test_pdf_is_converted_after_the_charts_are_in(tmp_path: Path) -> None:
    import shutil
    import subprocess

    if shutil.which("pdfimages") is None:
        pytest.skip("pdfimages（poppler-utils）未安装")
    (tmp_path / "m.json").write_text(json.dumps(_data(14), ensure_ascii=False, default=str), encoding="utf-8")
    out = tmp_path / "r.docx"
    result = CliRunner().invoke(main, ["render", str(tmp_path / "m.json"), "--out", str(out), "--charts", "--pdf"])
    assert result.exit_code == 0, result.output
    listing = subprocess.run(
        ["pdfimages", "-list", str(out.with_suffix(".pdf"))], capture_output=True, text=True, check=True
    ).stdout
    assert any(line.split()[2] == "image" for line in listing.splitlines()[2:])
