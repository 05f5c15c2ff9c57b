"""PDF through LibreOffice: the demo report converts, its text is right, and a page renders."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from report_helpers import zero_data

from nianbao.errors import NianbaoError
from nianbao.report import pdf
from nianbao.report.fonts import fontconfig_xml
from nianbao.report.render import render_report


def test_missing_libreoffice_is_said_plainly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "find_soffice", lambda: None)
    with pytest.raises(NianbaoError, match="未安装 LibreOffice"):
        pdf.convert_to_pdf([tmp_path / "x.docx"], tmp_path)


def test_fontconfig_aliases_every_official_font() -> None:
    xml = fontconfig_xml("/x/fonts.conf")
    for font in ("方正小标宋简体", "黑体", "楷体_GB2312", "仿宋_GB2312"):
        assert f"<string>{font}</string>" in xml
    assert '<include ignore_missing="yes">/x/fonts.conf</include>' in xml


@pytest.mark.libreoffice
def test_demo_and_hostile_reports_convert_to_pdf(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from nianbao.cli import main

    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (demo,) = tmp_path.glob("*.docx")
    hostile = tmp_path / "hostile.docx"
    render_report(zero_data(text__overview__active="A&B <c> {{ x }} 😀"), hostile)
    pdfs = pdf.convert_to_pdf([demo, hostile], tmp_path / "pdf")  # one LibreOffice run for both
    assert [p.name for p in pdfs] == [demo.stem + ".pdf", "hostile.pdf"]
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdfs[0]), "-"], capture_output=True, check=True, text=True
        ).stdout
        assert "大榭街道2024年政府信息公开工作年度报告" in text.replace(" ", "")
        assert "252" in text and "六、其他需要报告的事项" in text.replace(" ", "")
        assert (
            "A&B <c> {{ x }}"
            in subprocess.run(["pdftotext", str(pdfs[1]), "-"], capture_output=True, check=True, text=True).stdout
        )
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdfs[0]), str(tmp_path / "page")], check=True
        )
        (page,) = tmp_path.glob("page*.png")
        assert page.stat().st_size > 5000
