"""Numbers of the three official tables stay on one line, from a 街道's to a province's."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from hypothesis import given
from hypothesis import strategies as st
from report_helpers import province_data, zero_data

from nianbao.report import pdf
from nianbao.report.fit import TWIPS_PER_PT, fit_widths, text_width_pt
from nianbao.report.render import default_template_path, render_report

_NUMBER = re.compile(r"^-?[0-9][0-9.,]*$")


def _number_cells(path: Path) -> list[tuple[str, float, float]]:
    """(text, text width in twips at the run's size, cell width less its margins) of every number cell."""
    out = []
    for table in Document(str(path)).tables:
        tbl = table._tbl
        margins = sum(int(m.get(qn("w:w"))) for m in tbl.iter(qn("w:left"), qn("w:right")))
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


def test_province_numbers_fit_their_columns(tmp_path: Path) -> None:
    out = tmp_path / "province.docx"
    assert render_report(province_data(), out).output == out
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
def test_no_number_wraps_in_the_pdf(tmp_path: Path) -> None:
    data = province_data()
    out = tmp_path / "province.docx"
    assert render_report(data, out).output == out
    (made,) = pdf.convert_to_pdf([out], tmp_path / "pdf")
    # -raw keeps a cell's text together: a wrapped number is two tokens on two lines.
    tokens = set(subprocess.run(["pdftotext", "-raw", str(made), "-"], capture_output=True, text=True).stdout.split())
    expected = _table_numbers(data) | {"1273128", "1257850"}  # 表三's 总计 of 一 and (七)
    assert sorted(expected - tokens) == []
