"""Page breaks of the printed report: every 表三 row is printed beside its group labels, 表二 and 表四 whole.

The reports are converted by LibreOffice; each page's text is read in content order (`pdftotext -raw`, where
a table cell's text stays together), so a label is on a page when its text is.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from report_helpers import zero_data

from nianbao.form import FORM
from nianbao.report import pdf
from nianbao.report.render import render_report

pytestmark = pytest.mark.libreoffice


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_texts(path: Path) -> list[str]:
    """The text of each page, whitespace removed."""
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))  # type: ignore[union-attr]
    return [
        squash(
            subprocess.run(
                ["pdftotext", "-raw", "-f", str(n), "-l", str(n), str(path), "-"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for n in range(1, pages + 1)
    ]


def t3_groups() -> list[tuple[str, list[str]]]:
    """Each vertically merged label of 表三 with the row labels of the rows it spans."""
    table = FORM.table("t3")
    leaf: dict[int, str] = {}
    for cell in sorted(table.grid, key=lambda c: c.col):
        if cell.kind == "label":
            leaf[cell.row] = cell.text  # the rightmost label of the row
    header = table.header_rows()
    return [
        (cell.text, [leaf[r] for r in range(cell.row, cell.row + cell.rowspan) if leaf.get(r) != cell.text])
        for cell in table.grid
        if cell.kind == "label" and cell.rowspan > 1 and cell.row >= header
    ]


def label_problems(pages: list[str]) -> list[str]:
    """Rows printed on a page without their group label, and small tables split over pages."""
    problems = []
    column_header = squash(next(c.text for c in FORM.table("t3").grid if c.kind == "header"))
    for number, text in enumerate(pages, start=1):
        for label, rows in t3_groups():
            shown = [row for row in rows if squash(row) in text]
            if shown and squash(label) not in text:
                problems.append(f"page {number}: {shown[0]} … without {label}")
            if shown and column_header not in text:
                problems.append(f"page {number}: {shown[0]} … without the column headers")
    for key in ("t2", "t4"):
        # The table's labels found on one page only (行政复议 is also in a heading): all on the same page.
        texts = {squash(c.text) for c in FORM.table(key).grid if c.kind in ("label", "header")}
        found = {t: {n for n, page in enumerate(pages) if t in page} for t in texts}
        markers = {t: ns for t, ns in found.items() if len(ns) == 1}
        holding = set().union(*markers.values()) if markers else set()
        if len(markers) < 2 or len(holding) != 1:
            problems.append(f"{key} is split over pages {sorted(n + 1 for n in holding)}")
    return problems


def _render_all(variants: dict[str, dict[str, Any]], outdir: Path, *, draft: bool = False) -> dict[str, list[str]]:
    docs = []
    for name, data in variants.items():
        out = outdir / f"{name}.docx"
        result = render_report(data, out, draft=draft)
        assert result.output is not None, [f.message for f in result.findings]
        docs.append(out)
    pdfs = pdf.convert_to_pdf(docs, outdir / "pdf")  # one LibreOffice run
    return {p.stem: page_texts(p) for p in pdfs}


@pytest.mark.slow
def test_every_t3_row_has_its_labels_on_its_page_at_any_text_length(tmp_path: Path) -> None:
    # One more line of text in 一 moves every table down by one line: the breaks fall on every row in turn.
    line = "本年度进一步规范政府信息公开工作流程。"
    variants = {f"lines-{n:02d}": zero_data(text__overview__summary="\n".join([line] * n)) for n in range(1, 31, 2)}
    for name, pages in _render_all(variants, tmp_path).items():
        assert label_problems(pages) == [], name


def test_the_check_finds_a_row_without_its_label() -> None:
    pages = ["三、本年度办理结果（一）予以公开（三）不予公开1.属于国家秘密", "申请人情况5.属于三类内部事务信息"]
    problems = label_problems(pages)
    assert any("without （三）不予公开" in p for p in problems)
    assert any("without 三、本年度办理结果" in p for p in problems)


def stress_data() -> dict[str, Any]:
    """Six-digit numbers, long custom sub-headings and numbered lists."""
    data = zero_data()
    data["values"] = {key: 100000 + 7919 * i % 900000 for i, key in enumerate(FORM.input_numeric_keys)}
    heading = "（{n}）坚持以人民为中心的发展思想，深入推进政务公开标准化规范化建设，持续提升政府信息公开质量和实效"
    body = "本年度，我单位严格落实《条例》要求，围绕中心工作主动公开政府信息，及时回应社会关切，取得了较好成效。"
    overview = []
    for n in "一二三四五":
        overview += [
            heading.format(n=n),
            body * 2,
            "1. 完善工作机制，明确责任分工。",
            "2. 加强培训，提升业务能力。",
            "3. 强化监督检查，确保公开内容准确及时。",
        ]
    data["texts"] = {
        "text.overview.summary": "\n".join(overview),
        "text.problems": "\n".join(
            [
                "存在的主要问题：",
                "一是公开内容还不够全面。",
                "二是政策解读形式较为单一。",
                "改进措施：",
                "（一）对政务公开平台进行全面梳理，及时补充和完善相关信息。",
                "（二）拓宽政策宣传渠道，加强与公众的互动和交流。",
            ]
        ),
        "text.other": "无。",
    }
    return data


@pytest.mark.slow
def test_stress_report_keeps_every_label_on_its_page(tmp_path: Path) -> None:
    pages = _render_all({"stress": stress_data()}, tmp_path, draft=True)["stress"]
    assert label_problems(pages) == []
    if shutil.which("pdftoppm"):  # the page images, for looking at (kept in the test's temporary folder)
        subprocess.run(
            ["pdftoppm", "-r", "50", "-png", str(tmp_path / "pdf" / "stress.pdf"), str(tmp_path / "page")], check=True
        )
