"""How the report prints: Chinese language settings, SC glyph forms in a plain LibreOffice conversion."""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

import pytest
from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from nianbao.form import report_text
from nianbao.report import pdf
from nianbao.report.render import default_template_path
from nianbao.report.template_builder import build_template_document

# Characters whose Simplified Chinese and Japanese forms differ visibly (骨: the inner stroke; 直: the left stroke).
_PROBE = "骨直复"


def plain_soffice_pdf(documents: list[Path], outdir: Path) -> None:
    """`soffice --convert-to pdf` as a user would type it: no nianbao font mapping, a fresh profile."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                "soffice",
                "--headless",
                "--norestore",
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--convert-to",
                "pdf",
                "--outdir",
                str(outdir),
                *map(str, documents),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )


def _gray_pixels(pdf: Path) -> bytes:
    """Page 1 as 8-bit gray pixels (PGM body)."""
    pgm = subprocess.run(
        ["pdftoppm", "-r", "150", "-gray", "-f", "1", "-l", "1", str(pdf)], check=True, capture_output=True, timeout=120
    ).stdout
    return pgm.split(b"\n", 3)[3]


def test_template_says_simplified_chinese() -> None:
    template = default_template_path()
    assert template is not None
    doc = Document(str(template))
    lang = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    assert lang.get(qn("w:val")) == "zh-CN" and lang.get(qn("w:eastAsia")) == "zh-CN"
    theme_lang = doc.settings.element.find(qn("w:themeFontLang"))
    assert theme_lang.get(qn("w:eastAsia")) == "zh-CN"


def _probe(lang: str | None) -> DocumentObject:
    """The report's own styles and defaults, one body paragraph of _PROBE; `lang` forces the run's language."""
    doc = build_template_document()
    body = doc.element.body
    for element in list(body):
        if element.tag != qn("w:sectPr"):
            body.remove(element)
    run = doc.add_paragraph(style=report_text.STYLE_BODY).add_run(_PROBE)
    if lang:
        node = OxmlElement("w:lang")
        node.set(qn("w:val"), lang)
        node.set(qn("w:eastAsia"), lang)
        run._r.get_or_add_rPr().append(node)
    return doc


@pytest.mark.libreoffice
@pytest.mark.parametrize("converter", ["plain soffice", "nianbao --pdf"])
def test_pdf_uses_simplified_glyph_forms(tmp_path: Path, converter: str) -> None:
    # pdffonts cannot tell: the Noto CJK collection's faces share one CFF font (NotoSansCJKjp-… in every PDF),
    # and LibreOffice picks the glyph forms by the text's language. So the page is compared with the same
    # paragraph forced to zh-CN and to ja-JP.
    paths = []
    for name, lang in (("report", None), ("sc", "zh-CN"), ("jp", "ja-JP")):
        buffer = io.BytesIO()
        _probe(lang).save(buffer)
        path = tmp_path / f"{name}.docx"
        path.write_bytes(buffer.getvalue())
        paths.append(path)
    if converter == "plain soffice":
        plain_soffice_pdf(paths, tmp_path)
    else:
        pdf.convert_to_pdf(paths, tmp_path)  # with nianbao's font mapping
    report, sc, jp = (_gray_pixels(tmp_path / f"{name}.pdf") for name in ("report", "sc", "jp"))
    assert sc != jp, "the probe characters must differ between SC and JP forms"
    assert report == sc


def test_workbook_footer_has_room_below_the_table(tmp_path: Path) -> None:
    """LibreOffice clips a page number squeezed between the footer margin and the bottom margin."""
    from openpyxl import load_workbook

    from nianbao.workbook.template import save_template

    path = tmp_path / "t.xlsx"
    save_template(path)
    for ws in load_workbook(path).worksheets:
        if ws.oddFooter.center.text:
            assert ws.page_margins.bottom - ws.page_margins.footer >= 0.35, ws.title
