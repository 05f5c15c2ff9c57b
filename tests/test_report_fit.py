"""Numbers of the three official tables stay on one line, from a 街道's to a province's."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from hypothesis import given
from hypothesis import strategies as st
from report_helpers import province_data, zero_data
from test_report_pages import page_texts, squash

from nianbao.form import FORM, report_text
from nianbao.report import pdf
from nianbao.report.fit import TWIPS_PER_PT, fit_widths, text_width_pt
from nianbao.report.render import default_template_path, render_report
from nianbao.report.template_builder import page_blocks

_NUMBER = re.compile(r"^-?[0-9][0-9.,]*$")


def _number_cells(path: Path) -> list[tuple[str, float, float]]:
    """(text, text width in twips at the run's size, cell width less its margins) of every number cell."""
    out = []
    for table in Document(str(path)).tables:
        tbl = table._tbl
        cell_margins = tbl.find(f"{qn('w:tblPr')}/{qn('w:tblCellMar')}")
        margins = sum(int(m.get(qn("w:w"))) for m in cell_margins.iterchildren(qn("w:left"), qn("w:right")))
        for tc in tbl.iter(qn("w:tc")):
            text = "".join(t.text or "" for t in tc.iter(qn("w:t"))).strip()
            if not _NUMBER.match(text):
                continue
            size = int(next(tc.iter(qn("w:sz"))).get(qn("w:val"))) / 2
            width = int(tc.find(f"{qn('w:tcPr')}/{qn('w:tcW')}").get(qn("w:w")))
            out.append((text, text_width_pt(text, size) * TWIPS_PER_PT, width - margins))
    return out


def _widths(path: Path) -> list[list[str]]:
    return [[c.get(qn("w:w")) for c in t._tbl.iter(qn("w:gridCol"))] for t in Document(str(path)).tables]


def _seven_digit_table_four() -> dict[str, object]:
    """Every 表四 figure of seven digits: 15 columns that only fit with narrow margins and a small font."""
    data = zero_data()
    data["values"] |= {k: 1_234_567 for k in data["values"] if k.startswith("t4.")}
    return data


@pytest.mark.parametrize("data", [province_data(), _seven_digit_table_four()], ids=["province", "t4-seven-digits"])
def test_large_numbers_fit_their_columns(tmp_path: Path, data: dict[str, object]) -> None:
    out = tmp_path / "large.docx"
    assert render_report(data, out, draft=True).output == out
    cells = _number_cells(out)
    assert any(len(text) >= 7 for text, _, _ in cells)
    assert [(text, need, room) for text, need, room in cells if need > room + 1] == []  # widths are whole twips


def test_small_numbers_keep_the_template_layout(tmp_path: Path) -> None:
    out = tmp_path / "small.docx"
    assert render_report(zero_data(), out).output == out
    template = default_template_path()
    assert template is not None
    assert _widths(out) == _widths(template)
    sizes = {sz.get(qn("w:val")) for t in Document(str(out)).tables for sz in t._tbl.iter(qn("w:sz"))}
    assert sizes == {"21"}  # 五号 10.5 pt, as the template


def test_the_check_sees_a_number_too_wide() -> None:
    assert text_width_pt("1234567", 10.5) * TWIPS_PER_PT > 11 * 56.7 - 114  # wider than a 11 mm column


@given(
    st.lists(
        st.tuples(st.floats(500, 3000), st.floats(0, 3000), st.floats(0, 1)),
        min_size=1,
        max_size=16,
    )
)
def test_fit_widths_keeps_the_total_and_every_need(columns: list[tuple[float, float, float]]) -> None:
    base = [b for b, _, _ in columns]
    needs = [n for _, n, _ in columns]
    floors = [b * f for b, _, f in columns]
    widths = fit_widths(base, needs, floors)
    required = [max(n, f) for n, f in zip(needs, floors, strict=True)]
    if sum(required) > sum(base) + 0.5:
        assert widths is None
        return
    assert widths is not None
    assert sum(widths) == pytest.approx(sum(base))
    assert all(w >= r - 1e-6 for w, r in zip(widths, required, strict=True))
    if all(n <= b for b, n in zip(base, needs, strict=True)):
        assert widths == base


def _table_numbers(data: dict[str, object]) -> set[str]:
    values = data["values"]
    assert isinstance(values, dict)
    return {str(v) for k, v in values.items() if k.startswith(("t2.", "t3.", "t4.")) and len(str(v)) >= 4}


@pytest.mark.libreoffice
@pytest.mark.parametrize(
    ("data", "totals"),
    [(province_data(), {"1273128", "1257850"}), (_seven_digit_table_four(), {"4938268"})],
    ids=["province", "t4-seven-digits"],
)
def test_no_number_wraps_in_the_pdf(tmp_path: Path, data: dict[str, object], totals: set[str]) -> None:
    out = tmp_path / "large.docx"
    assert render_report(data, out, draft=True).output == out
    (made,) = pdf.convert_to_pdf([out], tmp_path / "pdf")
    # -raw keeps a cell's text together: a wrapped number is two tokens on two lines.
    tokens = set(subprocess.run(["pdftotext", "-raw", str(made), "-"], capture_output=True, text=True).stdout.split())
    expected = _table_numbers(data) | totals  # totals: 表三's 总计 of 一 and (七); 表四's 总计
    assert sorted(expected - tokens) == []


# -- 表三 taller than a page ---------------------------------------------------------------------------
def _large_print_template(path: Path) -> Path:
    """The standard template with its tables in 14 pt on 22 pt lines: 表三's result rows no longer fit a page."""
    template = default_template_path()
    assert template is not None
    doc = Document(str(template))
    for table in doc.tables:
        for sz in table._tbl.iter(qn("w:sz")):
            sz.set(qn("w:val"), "28")
    doc.styles[report_text.STYLE_TABLE].paragraph_format.line_spacing = Pt(22)
    doc.save(str(path))
    return path


def _kept_rows(path: Path) -> list[bool]:
    """Whether each 表三 row keeps with the next (every paragraph of the row does)."""
    t3 = Document(str(path)).tables[1]
    return [
        all(p.find(f"{qn('w:pPr')}/{qn('w:keepNext')}") is not None for p in row._tr.iter(qn("w:p"))) for row in t3.rows
    ]


def _header_repeats(path: Path) -> bool:
    t3 = Document(str(path)).tables[1]
    header = FORM.table("t3").header_rows()
    return all(row._tr.trPr.find(qn("w:tblHeader")) is not None for row in t3.rows[:header])


def test_a_group_taller_than_a_page_is_released_and_the_groups_inside_kept(tmp_path: Path) -> None:
    normal, large = tmp_path / "normal.docx", tmp_path / "large.docx"
    assert render_report(zero_data(), normal).output == normal
    template = _large_print_template(tmp_path / "large-template.docx")
    assert render_report(zero_data(), large, template=template).output == large
    blocks = page_blocks(FORM.table("t3"))
    outer = max(blocks, key=lambda b: b[1] - b[0])
    inner = [b for b in blocks if outer[0] <= b[0] and b[1] <= outer[1] and b != outer]
    assert inner
    assert all(_kept_rows(normal)[outer[0] : outer[1]])
    kept = _kept_rows(large)
    assert not all(kept[outer[0] : outer[1]])
    assert all(all(kept[first:last]) for first, last in inner)
    assert _header_repeats(large)


@pytest.mark.libreoffice
def test_table_three_taller_than_a_page_flows_on_with_its_header_repeated(tmp_path: Path) -> None:
    out = tmp_path / "large.docx"
    template = _large_print_template(tmp_path / "large-template.docx")
    assert render_report(zero_data(), out, template=template).output == out
    (made,) = pdf.convert_to_pdf([out], tmp_path / "pdf")
    pages = page_texts(made)
    heading = squash(next(s.heading for s in FORM.sections if s.table == "t3"))
    column_header = squash(next(c.text for c in FORM.table("t3").grid if c.kind == "header"))
    table = FORM.table("t3")
    rows = [squash(c.text) for c in table.grid if c.kind == "label" and c.row >= table.header_rows() and c.rowspan == 1]
    holding = [n for n, text in enumerate(pages) if any(row in text for row in rows)]
    assert len(holding) >= 2, "the case must not fit one page"
    assert all(column_header in pages[n] for n in holding)
    first = next(n for n, text in enumerate(pages) if heading in text)
    # The table flows on below its first rows instead of leaving the rest of the page empty: the first row of
    # the group too tall for a page (三、本年度办理结果) is printed on the page of the heading.
    outer = max(page_blocks(table), key=lambda b: b[1] - b[0])
    leading = next(squash(c.text) for c in table.grid if c.row == outer[0] and c.kind == "label" and c.rowspan == 1)
    assert leading in pages[first]


def test_reports_of_one_template_reuse_its_tall_groups_and_come_out_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which kept groups are too tall is worked out once per template and table layout, and the documents are
    the same as when it is worked out for each report (also where a group is released)."""
    from nianbao.report import fit

    template = _large_print_template(tmp_path / "large-template.docx")
    calls: list[str] = []
    tall_blocks = fit._tall_blocks

    def counting(*args: object) -> tuple[tuple[int, int], ...]:
        calls.append("t")
        return tall_blocks(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(fit, "_tall_blocks", counting)
    fit._TALL.clear()
    first, second = tmp_path / "a.docx", tmp_path / "b.docx"
    assert render_report(zero_data(), first, template=template).output == first
    made = len(calls)
    assert made == 3  # the three official tables, once
    assert render_report(zero_data(), second, template=template).output == second
    assert len(calls) == made  # the second report reuses them
    assert _kept_rows(second) == _kept_rows(first) and not all(_kept_rows(second))
    fit._TALL.clear()
    fresh = tmp_path / "c.docx"
    assert render_report(zero_data(), fresh, template=template).output == fresh
    assert len(calls) == 2 * made and _kept_rows(fresh) == _kept_rows(second)
