"""Rendering: numbers (0 prints "0"), recomputed totals, hostile text, draft, generated sentences."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from report_helpers import all_text, strict_parts, zero_data

from nianbao.cli import main
from nianbao.errors import UsageError
from nianbao.form import FORM
from nianbao.form.report_text import fee_statement, parse_fee_statement
from nianbao.report.context import (
    build_context,
    contact_sentence,
    format_amount,
    paragraphs,
    read_report_data,
)
from nianbao.report.render import render_report


def _table_texts(path: Path) -> list[str]:
    doc = Document(str(path))
    return [c.text for t in doc.tables for row in t.rows for c in row.cells]


def test_zero_report_prints_every_zero(tmp_path: Path) -> None:
    out = tmp_path / "r.docx"
    result = render_report(zero_data(), out, report_date=dt.date(2025, 1, 8))
    assert result.output == out and not result.findings
    text = all_text(out)
    assert "{{" not in text and "{%" not in text and "}}" not in text
    assert "测试街道2024年政府信息公开工作年度报告" in text
    assert "自2024年1月1日起至2024年12月31日止" in text
    assert "2025年1月8日" in text
    assert "本年度未发出信息处理费收费通知，未收取信息处理费。" in text
    props = Document(str(out)).core_properties
    assert props.title == "测试街道2024年政府信息公开工作年度报告" and props.author == "测试街道"
    cells = _table_texts(out)
    assert "" not in cells, "no blank cell in the tables"
    assert cells.count("0") >= len(FORM.table_fields)


def test_totals_recomputed_and_disagreeing_total_is_an_error(tmp_path: Path) -> None:
    data = zero_data()
    data["values"]["t3.new.natural_person"] = 3
    data["values"]["t3.disclosed.natural_person"] = 3
    report = read_report_data(data)
    assert report.values["t3.new.total"] == 3 and report.values["t3.concluded_total.total"] == 3
    data["values"]["t3.new.total"] = 4
    data["values"]["t4.review.total"] = 1
    result = render_report(data, tmp_path / "r.docx")
    assert result.output is None and not (tmp_path / "r.docx").exists()
    codes = {f.code for f in result.findings if f.is_error}
    assert codes == {"T3-3", "T4-1"}


def test_draft_writes_despite_errors_and_marks_every_page(tmp_path: Path) -> None:
    data = zero_data()
    data["values"]["t2.penalty.decisions"] = -1
    result = render_report(data, tmp_path / "r.docx", draft=True)
    assert result.has_errors and result.output is not None
    headers = [p.text for s in Document(str(result.output)).sections for p in s.header.paragraphs]
    assert "草稿" in headers


@pytest.mark.parametrize(("value", "problem"), [(-1, "负数"), (1.5, "整数"), ("abc", "不是数字"), (True, "不是数字")])
def test_bad_values_are_findings(value: object, problem: str) -> None:
    data = zero_data()
    data["values"]["t3.new.business"] = value
    (finding,) = [f for f in read_report_data(data).findings if f.is_error]
    assert finding.code == "T3-4" and problem in finding.message and finding.key == "t3.new.business"


def test_missing_cell_is_an_error_and_unknown_key_a_warning() -> None:
    data = zero_data()
    del data["values"]["t4.review.upheld"]
    data["values"]["t9.bogus"] = 1
    findings = read_report_data(data).findings
    assert [f.code for f in findings if f.is_error] == ["T4-2"]
    assert [f.code for f in findings if not f.is_error] == ["R-KEY"]


@pytest.mark.parametrize(
    "broken",
    [
        {"year": 2024},
        {"body": "", "year": 2024, "values": {}, "texts": {}},
        {"body": "x", "year": "二〇二四", "values": {}, "texts": {}},
        [],
    ],
)
def test_unusable_data_is_a_usage_error(broken: object) -> None:
    with pytest.raises(UsageError):
        read_report_data(broken)  # type: ignore[arg-type]


def test_hostile_text_appears_literally_and_xml_stays_valid(tmp_path: Path) -> None:
    hostile = "A&B <w:p> {{ x }} {% if %} 😀 \x00\x01\x0b控制\x07符\tTab\f换页"
    data = zero_data(text__overview__active=hostile, text__problems="第一段\n\n  第二段 & <i>", text__other="</w:t>]]>")
    data["body"] = "测试&<街道>"
    out = tmp_path / "r.docx"
    assert render_report(data, out).output == out
    strict_parts(out)  # raises on any malformed part
    text = all_text(out)
    assert "A&B <w:p> {{ x }} {% if %} 😀  控制 符 Tab 换页" in text  # \x0b, \a, \t, \f → spaces
    assert "测试&<街道>2024年" in text
    assert "</w:t>]]>" in text
    doc = Document(str(out))
    assert [p.text for p in doc.paragraphs if p.text in ("第一段", "第二段 & <i>")] == ["第一段", "第二段 & <i>"]


def test_amount_formatting() -> None:
    assert format_amount(0) == "0"
    assert format_amount(Decimal("0.00")) == "0"
    assert format_amount(Decimal("12.50")) == "12.5"
    assert format_amount(Decimal("100")) == "100"
    assert format_amount(Decimal("96171.6")) == "96171.6"
    assert format_amount(Decimal("1E+3")) == "1000"


def test_amount_rendered_without_trailing_zeros(tmp_path: Path) -> None:
    data = zero_data()
    data["values"]["t2.fees.amount"] = 96171.60
    out = tmp_path / "r.docx"
    render_report(data, out)
    assert "96171.6" in _table_texts(out)


def test_paragraphs_split_on_lines_and_drop_indentation() -> None:
    assert paragraphs("  一是…\r\n\r\n\u3000\u3000二是…\n") == ["一是…", "二是…"]
    assert paragraphs(None) == [] and paragraphs("") == []


def test_fee_statement() -> None:
    none = fee_statement({}, "")
    assert none == ["本年度未发出信息处理费收费通知，未收取信息处理费。"]
    fees = {"fee.notices": 2, "fee.notice_amount": Decimal("150.50"), "fee.collected": Decimal("100")}
    (sentence,) = fee_statement(fees, "")
    assert "收费通知2件" in sentence and "150.5元" in sentence and "100元" in sentence
    assert parse_fee_statement(sentence) == fees
    assert fee_statement(fees, "本年度未收取信息处理费。") == []


def test_contact_sentence_uses_only_what_is_known() -> None:
    assert contact_sentence({}) == ""
    sentence = contact_sentence({"text.report.contact_office": "党政办", "text.report.phone": "12345"})
    assert sentence == "如对本报告有疑问，请与党政办联系（电话：12345）。"


def test_issuer_defaults_to_body_and_date_to_data() -> None:
    data = zero_data()
    data["date"] = "2025-01-08"
    context = build_context(read_report_data(data))
    assert context["issuer"] == "测试街道" and context["date_cn"] == "2025年1月8日"
    data["texts"]["text.report.issuer"] = "测试区人民政府测试街道办事处"
    assert build_context(read_report_data(data))["issuer"] == "测试区人民政府测试街道办事处"


def test_optional_empty_subheading_is_skipped(tmp_path: Path) -> None:
    out = tmp_path / "r.docx"
    render_report(zero_data(text__overview__active="有内容"), out)
    headings = [p.text for p in Document(str(out)).paragraphs if p.style.name == "Heading 2"]
    assert "（一）主动公开" in headings
    assert not any("概述" in h for h in headings)


def test_cli_render_bad_json_is_one_chinese_line(tmp_path: Path) -> None:
    bad = tmp_path / "merged.json"
    bad.write_text("{ not json", encoding="utf-8")
    result = CliRunner().invoke(main, ["render", str(bad), "--out", str(tmp_path / "r.docx")])
    assert result.exit_code == 2
    assert "不是有效的 JSON" in result.output and "Traceback" not in result.output


def test_cli_render_errors_exit_1_without_report(tmp_path: Path) -> None:
    import json

    data = zero_data()
    data["values"]["t3.new.total"] = 9
    src = tmp_path / "merged.json"
    src.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["render", str(src), "--out", str(tmp_path / "r.docx")])
    assert result.exit_code == 1 and "未生成报告" in result.output
    assert not (tmp_path / "r.docx").exists()
    ok = CliRunner().invoke(
        main, ["render", str(src), "--out", str(tmp_path / "r.docx"), "--draft", "--date", "2025-01-08"]
    )
    assert ok.exit_code == 0 and (tmp_path / "r.docx").exists()


def test_narrative_figures_that_disagree_with_the_tables_are_warnings(tmp_path: Path) -> None:
    data = zero_data(
        text__overview__active="全年作出行政处罚决定250件，行政许可0件。",
        text__overview__on_request="本年度共收到政府信息公开申请3件。",
    )
    data["values"]["t2.penalty.decisions"] = 252
    result = render_report(data, tmp_path / "r.docx")
    assert result.output is not None, "warnings do not block the report"
    stated = sorted((f.code, f.severity, f.key, f.value, f.expected) for f in result.findings)
    assert stated == [("X3", "warning", "t2.penalty.decisions", 250, 252), ("X3", "warning", "t3.new.total", 3, 0)]
    consistent = zero_data(text__overview__on_request="我街道未收到政府信息公开申请。")
    assert not render_report(consistent, tmp_path / "ok.docx").findings
