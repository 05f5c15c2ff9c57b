"""GB/T 9704 page layout and the fonts of a 公文, applied with python-docx.

Chinese fonts must be named on `w:eastAsia` as well: python-docx's `font.name` only sets the Latin slots,
and Word/WPS would then show the Chinese text in the theme font.
"""

from __future__ import annotations

from docx.document import Document as DocumentObject
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import BaseStyle, CharacterStyle, ParagraphStyle
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from ..form.report_text import (
    STYLE_BODY,
    STYLE_HEADER,
    STYLE_HEADING1,
    STYLE_HEADING2,
    STYLE_ITEM,
    STYLE_SIGNATURE,
    STYLE_TABLE,
    STYLE_TITLE,
)

# Font names as installed on government PCs; viewers without them fall back (see README).
FONT_TITLE = "方正小标宋简体"
FONT_HEADING1 = "黑体"
FONT_HEADING2 = "楷体_GB2312"
FONT_BODY = "仿宋_GB2312"
FONT_PAGE_NUMBER = "宋体"

SIZE_TITLE = Pt(22)  # 二号
SIZE_BODY = Pt(16)  # 三号
SIZE_TABLE = Pt(10.5)  # 五号
# Exact, not single: the CJK fallback fonts' line height is ~1.45 em, and 表三's 22 result rows (with its
# six-digit numbers wrapped) must fit on one page beside their group labels.
TABLE_LINE_PITCH = Pt(12)
SIZE_PAGE_NUMBER = Pt(14)  # 四号
LINE_PITCH = Pt(28.95)  # 22 lines in the 225 mm text block
INDENT_TWO_CHARS = Pt(32)  # two 三号 characters

# Style names of the generated template (users see them in Word's style gallery).


def set_run_fonts(rpr_parent: object, name: str) -> None:
    """Name `name` in every font slot of an `rPr` owner (style or run), dropping theme fonts."""
    # Styles and runs both have get_or_add_rPr, made at run time by python-docx's element metaclass.
    rpr = rpr_parent.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _style_font(style: CharacterStyle, name: str, size: Pt, bold: bool = False) -> None:
    style.font.name = name
    style.font.size = size
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    set_run_fonts(style.element, name)


def _paragraph_style(doc: DocumentObject, name: str, font: str, size: Pt, *, bold: bool = False) -> ParagraphStyle:
    styles = doc.styles
    found = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style = _as_paragraph_style(found)
    style.base_style = None
    _style_font(style, font, size, bold)
    pf = style.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = LINE_PITCH
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.first_line_indent = None
    pf.widow_control = True
    return style


def _as_paragraph_style(style: BaseStyle) -> ParagraphStyle:
    # python-docx returns the subclass of the style's type; every style this module touches is a paragraph one.
    assert isinstance(style, ParagraphStyle), style.name
    return style


def _outline_level(style: BaseStyle, level: int) -> None:
    ppr = style.element.get_or_add_pPr()
    node = ppr.find(qn("w:outlineLvl"))
    if node is None:
        node = OxmlElement("w:outlineLvl")
        ppr.append(node)
    node.set(qn("w:val"), str(level))


def define_styles(doc: DocumentObject) -> None:
    normal = _as_paragraph_style(doc.styles["Normal"])
    _style_font(normal, FONT_BODY, SIZE_BODY)
    normal.paragraph_format.space_after = Pt(0)

    body = _paragraph_style(doc, STYLE_BODY, FONT_BODY, SIZE_BODY)
    body.paragraph_format.first_line_indent = INDENT_TWO_CHARS
    body.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY

    title = _paragraph_style(doc, STYLE_TITLE, FONT_TITLE, SIZE_TITLE)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing = Pt(36)
    title.paragraph_format.space_after = Pt(28.95)
    _outline_level(title, 0)

    h1 = _paragraph_style(doc, STYLE_HEADING1, FONT_HEADING1, SIZE_BODY)
    h1.paragraph_format.first_line_indent = INDENT_TWO_CHARS
    h1.paragraph_format.keep_with_next = True
    _outline_level(h1, 0)

    h2 = _paragraph_style(doc, STYLE_HEADING2, FONT_HEADING2, SIZE_BODY)
    h2.paragraph_format.first_line_indent = INDENT_TWO_CHARS
    h2.paragraph_format.keep_with_next = True
    _outline_level(h2, 1)

    # A list item reads like the body (GB/T 9704: 1. in 仿宋) but stays a paragraph of its own in Word's outline.
    item = _paragraph_style(doc, STYLE_ITEM, FONT_BODY, SIZE_BODY)
    item.paragraph_format.first_line_indent = INDENT_TWO_CHARS
    item.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY

    table = _paragraph_style(doc, STYLE_TABLE, FONT_BODY, SIZE_TABLE)
    table.paragraph_format.line_spacing = TABLE_LINE_PITCH
    table.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER

    signature = _paragraph_style(doc, STYLE_SIGNATURE, FONT_BODY, SIZE_BODY)
    signature.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    signature.paragraph_format.right_indent = INDENT_TWO_CHARS

    header = _paragraph_style(doc, STYLE_HEADER, FONT_HEADING1, SIZE_BODY, bold=True)
    header.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    header.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    header.font.color.rgb = RGBColor(0xC0, 0, 0)


# Word proofs the text as Simplified Chinese, and LibreOffice (also a plain `soffice --convert-to pdf`) asks
# fontconfig for SC glyph forms: python-docx's default document says en-US text with ja-JP theme fonts.
LANGUAGE = "zh-CN"


def _set_lang(node: object, **attrs: str) -> None:
    for name, value in attrs.items():
        node.set(qn(f"w:{name}"), value)  # type: ignore[attr-defined]


def set_language(doc: DocumentObject) -> None:
    """zh-CN in the document defaults (Latin and East Asian text) and for the theme's East Asian fonts."""
    rpr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    _set_lang(lang, val=LANGUAGE, eastAsia=LANGUAGE)
    settings = doc.settings.element
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is None:
        theme_lang = OxmlElement("w:themeFontLang")
        settings.append(theme_lang)
    _set_lang(theme_lang, val=LANGUAGE, eastAsia=LANGUAGE)


def set_page_layout(doc: DocumentObject) -> None:
    """A4 with the GB/T 9704 margins: 天头 37 mm, 订口 28 mm, text block 156 × 225 mm."""
    for section in doc.sections:
        section.page_width = Mm(210)
        section.page_height = Mm(297)
        section.top_margin = Mm(37)
        section.bottom_margin = Mm(35)
        section.left_margin = Mm(28)
        section.right_margin = Mm(26)
        section.header_distance = Mm(20)
        section.footer_distance = Mm(20)


def add_page_number_field(paragraph: Paragraph) -> None:
    """'— N —' with a PAGE field, so every viewer numbers the pages itself."""

    def run(text: str = "") -> Run:
        r = paragraph.add_run(text)
        r.font.size = SIZE_PAGE_NUMBER
        set_run_fonts(r._r, FONT_PAGE_NUMBER)
        return r

    run("— ")
    for kind, instr in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        r = run()
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            r._r.append(fld)
        elif instr == "1":
            r.text = "1"
        else:
            node = OxmlElement("w:instrText")
            node.set(qn("xml:space"), "preserve")
            node.text = instr
            r._r.append(node)
    run(" —")
