"""Published reports as web pages, Word files and PDF text, mangled the ways real reports are."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document as open_docx
from fixtures.reports.reportgen import (
    Mangle,
    Report,
    make_docx,
    make_flat_text,
    make_html,
    random_values,
    t3_label,
    typical_mangle,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.errors import UsageError
from nianbao.form import FORM, official
from nianbao.importer.labels import Deviation
from nianbao.importer.labels import parse_number as lb_parse
from nianbao.importer.published import import_document, import_published, sniff
from nianbao.importer.text import parse_text

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
FOOTNOTE = "注：本表不含与政府信息公开工作无关的复议、诉讼案件3件。"


def _report(seed: int = 1, mangle: Mangle | None = None, **kw) -> Report:
    return Report("宁波市北仑区某某局", 2024, random_values(seed), mangle=mangle or typical_mangle(), **kw)


@pytest.mark.parametrize("maker", [make_html, make_docx], ids=["html", "docx"])
def test_mangled_report_imports_exactly(tmp_path: Path, maker) -> None:
    report = _report()
    path = maker(tmp_path / f"r.{'html' if maker is make_html else 'docx'}", report, footnote_t4=FOOTNOTE)
    result = import_published(path)
    assert result.table_values == dict(report.values)
    assert result.body == report.body and result.year == report.year
    assert not result.problems
    kinds = {d.key: d.kind for d in result.deviations}
    assert kinds["t3.carried_over"] is Deviation.SYNONYM
    assert kinds["t3.carried_forward"] is Deviation.SYNONYM
    assert kinds["t2.normative_docs"] is Deviation.SYNONYM
    assert kinds["t3.withheld_state_secret"] is Deviation.NUMBERING
    assert kinds["t3.partly_disclosed"] is Deviation.PUNCTUATION
    assert "t3.unavailable_not_held" not in kinds  # a line break inside a label is layout only


def test_pdftotext_layout_text_imports_exactly() -> None:
    """pdftotext -layout of a LibreOffice PDF (committed): wrapped label cells interleave."""
    result = import_published(FIXTURES / "pdftotext_layout_2024.txt")
    assert result.table_values == dict(random_values(1))
    assert not result.problems
    assert {d.key for d in result.deviations} >= {"t3.carried_over", "t3.carried_forward", "t2.normative_docs"}


def test_html_with_nbsp_notes_and_split_headers(tmp_path: Path) -> None:
    values = random_values(2)
    key = "t2.normative_docs.issued"
    mangle = Mangle(
        cells={key: f"{values[key]}（其中修订1件）", "t3.new.total": f"&nbsp;{values['t3.new.total']}&nbsp;"}
    )
    path = make_html(tmp_path / "r.html", Report("某某区人民政府办公室", 2023, values, mangle=mangle))
    path.write_text(path.read_text(encoding="utf-8").replace("&amp;nbsp;", "&nbsp;"), encoding="utf-8")
    result = import_published(path)
    assert result.table_values == dict(values)
    notes = [p for p in result.problems if p.code == "IM-6"]
    assert [p.key for p in notes] == [key] and notes[0].severity == "warning"


def test_edited_header_is_recorded(tmp_path: Path) -> None:
    stock = official.T2_DOC_COLUMNS[2].label
    mangle = Mangle(labels={stock: stock + " (历史累计)"})
    result = import_published(make_html(tmp_path / "r.html", _report(mangle=mangle)))
    assert result.table_values == dict(random_values(1))
    assert any(d.expected == stock and "历史累计" in d.found and d.kind is Deviation.WORDING for d in result.deviations)


def test_typo_in_row_label_is_read_and_recorded(tmp_path: Path) -> None:
    label = t3_label("withheld_internal")
    mangle = Mangle(labels={label: label.replace("内部", "内容")})
    result = import_published(make_docx(tmp_path / "r.docx", _report(mangle=mangle)))
    assert result.table_values == dict(random_values(1))
    assert [(d.key, d.kind) for d in result.deviations] == [("t3.withheld_internal", Deviation.WORDING)]


def test_blank_and_slash_cells_are_zeros_with_one_warning_per_table(tmp_path: Path) -> None:
    values = random_values(1)
    zeros = [k for k, v in values.items() if v == 0 and k.startswith("t3.")][:4]
    mangle = Mangle(cells={"t2.rules.issued": "/", **dict(zip(zeros, ["", "—", "－", "无"], strict=True))})
    result = import_published(make_html(tmp_path / "r.html", _report(mangle=mangle)))
    assert result.table_values == dict(values)
    warnings = [p for p in result.problems if p.code == "IM-8"]
    assert [(p.sheet, p.severity, p.extra["value"]) for p in warnings] == [
        ("表二", "warning", 1),
        ("表三", "warning", 4),
    ]
    assert warnings[1].extra["keys"] == zeros


def test_a_blank_where_a_number_is_printed_is_read_as_printed(tmp_path: Path) -> None:
    """A blank 总计 is read as 0, as printed: the audit then reports the broken row sum (T3-3)."""
    values = random_values(1)
    mangle = Mangle(cells={"t3.disclosed.total": ""})
    result = import_published(make_html(tmp_path / "r.html", _report(mangle=mangle)))
    assert result.values["t3.disclosed.total"] == 0 and values["t3.disclosed.total"] != 0
    assert [p.code for p in result.problems] == ["IM-8"]


def test_missing_table_is_reported_not_zero_filled(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "r.docx", _report())
    doc = open_docx(str(path))
    t3 = doc.tables[1]._tbl
    t3.getparent().remove(t3)
    doc.save(str(path))
    result = import_published(path)
    assert not any(k.startswith("t3.") for k in result.values)
    assert any(p.code == "IM-2" and p.sheet == "表三" for p in result.problems)
    assert all(k in result.values for k in (f.key for f in FORM.table("t4").fields))


def test_missing_row_is_reported(tmp_path: Path) -> None:
    path = make_html(tmp_path / "r.html", _report())
    text = path.read_text(encoding="utf-8")
    label = t3_label("refused_repeat")
    start = text.rindex("<tr>", 0, text.index(label))
    end = text.index("</tr>", start) + len("</tr>")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    result = import_published(path)
    missing = [p for p in result.problems if p.code == "IM-3"]
    assert [p.key for p in missing] == ["t3.refused_repeat"]
    assert "t3.refused_repeat.total" not in result.values
    assert result.values["t3.refused_publication.total"] == random_values(1)["t3.refused_publication.total"]


def test_2019_layout_fixture() -> None:
    result = import_published(FIXTURES / "town_2019_layout_2023.html")
    assert result.year == 2023 and result.body == "衡东县某某镇人民政府"
    assert "对外公开总数量" in result.layout_2019
    assert not any(k.startswith("t2.") for k in result.values)
    # the single 2019 （六）其他处理 row goes to （六）3.其他, with a problem note
    assert result.values["t3.other_other.natural_person"] == 1
    assert result.values["t3.other_no_correction.total"] == 0
    assert [p.code for p in result.problems if p.sheet == "表三"] == ["IM-5"]
    assert result.values["t3.new.total"] == 5
    assert result.values["t4.review.total"] == 1


def test_decimal_fee_amount(tmp_path: Path) -> None:
    values = dict(random_values(3))
    values["t2.fees.amount"] = Decimal("96171.6")
    result = import_published(make_docx(tmp_path / "r.docx", Report("某某市人民政府", 2024, values)))
    assert result.values["t2.fees.amount"] == Decimal("96171.6")
    assert result.to_json_dict()["values"]["t2.fees.amount"] == 96171.6


def test_sniffing_and_unreadable_files(tmp_path: Path) -> None:
    page = make_html(tmp_path / "saved.txt", _report())  # a saved page with the wrong suffix
    assert sniff(page) == "html"
    assert import_published(page).table_values == dict(random_values(1))
    doc = tmp_path / "old.doc"
    doc.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(UsageError, match="docx"):
        import_published(doc)
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(UsageError):
        import_published(broken)
    with pytest.raises(UsageError):
        import_published(tmp_path / "missing.pdf")


def test_scanned_pdf_without_text_is_reported(tmp_path: Path) -> None:
    pdf = tmp_path / "scan.pdf"
    # a minimal valid PDF with one empty page
    pdf.write_bytes(
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF"
    )
    with pytest.raises(UsageError, match=r"文字层|PDF"):
        import_published(pdf)


@pytest.mark.parametrize("declared", ['<meta http-equiv="Content-Type" content="text/html; charset=gb2312">', ""])
def test_gbk_pages_with_or_without_a_declaration(tmp_path: Path, declared: str) -> None:
    page = make_html(tmp_path / "utf8.html", _report())
    text = page.read_text(encoding="utf-8").replace('<meta charset="utf-8">', declared)
    gbk = tmp_path / "gbk.htm"
    gbk.write_bytes(text.encode("gb18030"))
    result = import_published(gbk)
    assert result.body == "宁波市北仑区某某局"
    assert result.table_values == dict(random_values(1))


_WIDTH = {"（": "(", "）": ")", "，": ",", "：": ":"}


@given(st.integers(min_value=0, max_value=10_000), st.data())
@settings(max_examples=25)
def test_flattened_text_round_trip_with_random_layout_noise(seed: int, data: st.DataObject) -> None:
    """Whatever spaces, line breaks, punctuation width and `&nbsp;` a copy adds, the numbers come back."""
    values = random_values(seed)
    space = data.draw(st.sampled_from([" ", "\u00a0", "\u3000", "  "]))
    half = data.draw(st.booleans())
    cut = data.draw(st.integers(min_value=1, max_value=6))

    def noisy(text: str) -> str:
        if lb_parse(text):
            return f"{space}{text}{space}"
        if half:
            for full, narrow in _WIDTH.items():
                text = text.replace(full, narrow)
        return text[:cut] + space + text[cut:] if len(text) > cut + 1 else text

    text = make_flat_text(Report("某某县某某局", 2023, values), noisy)
    result = import_document(parse_text(text), "flat.txt")
    assert result.table_values == dict(values)
    assert result.year == 2023
    assert all(d.kind is Deviation.PUNCTUATION for d in result.deviations)


def test_missing_title_is_a_problem(tmp_path: Path) -> None:
    report = _report()
    page = make_html(tmp_path / "r.html", report)
    text = page.read_text(encoding="utf-8")
    text = text.replace(f'<h1 style="text-align:center">{report.title()}</h1>', "").replace(report.title(), "年报")
    text = text.replace(report.preamble(), "本报告根据《条例》编制。")
    page.write_text(text, encoding="utf-8")
    result = import_published(page)
    assert result.body == "" and result.year is None
    assert [p.code for p in result.problems] == ["IM-7", "IM-7"]
    assert result.table_values == dict(random_values(1))
