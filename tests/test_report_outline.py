"""The department's own sub-headings and numbered lists are printed as such; standard sub-headings only as a fallback."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from report_helpers import zero_data

from nianbao.form import FORM, report_text
from nianbao.importer import import_report
from nianbao.report.names import standard_subheading
from nianbao.report.outline import Kind, paragraph_kind
from nianbao.report.render import render_report

OWN_OVERVIEW = "\n".join(
    [
        "（一）提高认识，加强组织领导",
        "为确保街道政府信息公开工作落到实处，街道召开会议研究部署相关工作。",
        "（二）规范流程，压实工作责任",
        "对照上级要求，及时调整了街道公开指南和公开目录。",
    ]
)
OWN_PROBLEMS = "\n".join(
    [
        "存在的问题：",
        "1. 公开内容还不够全面。",
        "2. 政策解读形式较为单一。",
        "（一）对政务公开平台进行全面梳理，及时补充和完善相关信息。",
        "一是拓宽政策宣传渠道。",
    ]
)


def _styles(path: Path) -> list[tuple[str, str]]:
    return [(p.style.name if p.style is not None else "", p.text) for p in Document(str(path)).paragraphs if p.text]


def test_paragraph_kinds() -> None:
    assert paragraph_kind("（一）提高认识，加强组织领导") is Kind.HEADING
    assert paragraph_kind("（三）坚持以人民为中心的发展思想，深入推进政务公开标准化规范化建设") is Kind.HEADING
    assert paragraph_kind("（一）对政务公开平台进行全面梳理，及时补充和完善相关信息。") is Kind.ITEM
    for item in ("1. 公开内容还不够全面。", "2、加强培训", "（3）强化监督", "一是公开内容不够全面。"):
        assert paragraph_kind(item) is Kind.ITEM, item
    for body in ("本年度，我单位……", "2024年度，共公开政务信息209条。", "一、总体情况后的说明"):
        assert paragraph_kind(body) is Kind.BODY, body


def test_own_subheadings_replace_the_empty_standard_ones(tmp_path: Path) -> None:
    out = tmp_path / "own.docx"
    data = zero_data(bare=True, text__overview__summary=OWN_OVERVIEW, text__problems=OWN_PROBLEMS)
    data["date"] = "2025-01-08"
    assert render_report(data, out).output == out
    paragraphs = _styles(out)
    headings = [text for style, text in paragraphs if style == report_text.STYLE_HEADING2]
    assert headings == ["（一）提高认识，加强组织领导", "（二）规范流程，压实工作责任"]
    items = [text for style, text in paragraphs if style == report_text.STYLE_ITEM]
    assert items == [
        "1. 公开内容还不够全面。",
        "2. 政策解读形式较为单一。",
        "（一）对政务公开平台进行全面梳理，及时补充和完善相关信息。",
        "一是拓宽政策宣传渠道。",
    ]
    assert ("报告正文", "存在的问题：") in paragraphs
    # Read back exactly: the department's headings and items are its text.
    texts = import_report(out)["texts"]
    assert texts["text.overview.summary"] == OWN_OVERVIEW
    assert texts["text.problems"] == OWN_PROBLEMS


def test_standard_subheadings_without_own_ones(tmp_path: Path) -> None:
    out = tmp_path / "standard.docx"
    assert render_report(zero_data(text__overview__active="主动公开了政府信息。"), out).output == out
    headings = [text for style, text in _styles(out) if style == report_text.STYLE_HEADING2]
    mandatory = [standard_subheading(f.key) for f in FORM.texts if standard_subheading(f.key) and f.required]
    assert headings == mandatory  # every mandatory one, as the form lists them, filled or not


def test_filled_standard_subheading_is_kept_beside_own_ones(tmp_path: Path) -> None:
    out = tmp_path / "both.docx"
    data = zero_data(text__overview__summary=OWN_OVERVIEW, text__overview__platform="平台建设情况。")
    assert render_report(data, out).output == out
    headings = [text for style, text in _styles(out) if style == report_text.STYLE_HEADING2]
    assert headings == ["（一）提高认识，加强组织领导", "（二）规范流程，压实工作责任", "（四）政府信息公开平台建设"]
    assert import_report(out)["texts"]["text.overview.platform"] == "平台建设情况。"


def test_template_without_subheading_conditions_is_not_missing_anything(tmp_path: Path) -> None:
    """A user template made before subheading.* prints every standard sub-heading and gets no warning."""
    import zipfile

    from nianbao.report.placeholders import check_template
    from nianbao.report.render import default_template_path

    source = default_template_path()
    assert source is not None
    target = tmp_path / "older.docx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                text = data.decode("utf-8")
                assert "{%p if subheading." in text
                while "{%p if subheading." in text:  # the condition paragraph becomes a plain true test
                    start = text.index("{%p if subheading.")
                    text = text[:start] + "{%p if true" + text[text.index(" %}", start) :]
                data = text.encode("utf-8")
            zout.writestr(item, data)
    check = check_template(target)
    assert check.missing == () and check.ok, check.summary()
    out = tmp_path / "r.docx"
    assert render_report(zero_data(), out, template=target).output == out
