"""Hostile published reports for `import` and `audit`: broken Word files, bombs, web pages, PDFs, text."""

from __future__ import annotations

import random
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fixtures.reports.reportgen import Report, clean_values, make_html

from .case import Case, command_case, good_report, good_workbook, laughs_doctype

Maker = Callable[[Path], object]
OVERSIZE = "大小|过大|太大|压缩|超出|超过|拒绝|MB"
UNSAFE = "实体|不安全|DOCTYPE"


def _import(tmp: Path, name: str, make: Maker, *words: str, **options: Any) -> Case:
    path = tmp / "in" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    make(path)
    return command_case(tmp, ["import", path, "--json"], [path], 2, name, *words, **options)


def _audit(tmp: Path, name: str, make: Maker, *words: str, **options: Any) -> Case:
    path = tmp / "in" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    make(path)
    return command_case(tmp, ["audit", path], [path], 1, name, *words, **options)


# -- makers ------------------------------------------------------------------------------------------
def _bytes(data: bytes) -> Maker:
    return lambda path: path.write_bytes(data)


def _docx_with(
    replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None, stream: tuple[str, int] | None = None
) -> Maker:
    """A copy of a good report with parts replaced or added; `stream` adds (part, MB) of zeros."""

    def make(path: Path) -> None:
        source = good_report(path.with_name("good.tmp.docx"))
        repl, extra = dict(replace or {}), dict(add or {})
        with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
            for item in zin.infolist():
                data = repl.pop(item.filename) if item.filename in repl else zin.read(item.filename)
                zout.writestr(item.filename, data)
            for part, added in {**repl, **extra}.items():
                zout.writestr(part, added)
            if stream:
                with zout.open(stream[0], "w", force_zip64=True) as out:
                    for _ in range(stream[1]):
                        out.write(b"\0" * (1024 * 1024))
        source.unlink()

    return make


def _docx_doctype(part: str, doctype: Callable[[str], str]) -> Maker:
    """A good report whose `part` carries `doctype(root element)` right after the XML declaration."""

    def make(path: Path) -> None:
        source = good_report(path.with_name("good.tmp.docx"))
        with zipfile.ZipFile(source) as zf:
            xml = zf.read(part).decode("utf-8")
        source.unlink()
        head, sep, rest = xml.partition("?>")
        root = rest.lstrip().split(None, 1)[0].lstrip("<")
        _docx_with(replace={part: f"{head}{sep}{doctype(root)}{rest}".encode()})(path)

    return make


def _laughs_in_document() -> Maker:
    return _docx_doctype("word/document.xml", laughs_doctype)


def _html_notice(encoding: str, prolog: str = "", body: str = "<p>关于开展政府信息公开工作的通知</p>") -> Maker:
    html = f"{prolog}<html><head><title>通知</title></head><body>{body}</body></html>"
    return _bytes(html.encode(encoding))


def _html_report(path: Path) -> None:
    make_html(path, Report("宁波市北仑区某某局", 2024, clean_values(1)))


def _huge_html(path: Path) -> None:
    """A real report page padded to about 60 MB with table rows (a page that embeds a whole database)."""
    _html_report(path)
    text = path.read_text(encoding="utf-8")
    rows = "<tr><td>附表</td><td>0</td><td>0</td></tr>" * 1_500_000
    path.write_text(text.replace("</body>", f"<table>{rows}</table></body>", 1), encoding="utf-8")


def _zip_bomb_docx() -> Maker:
    return _docx_with(stream=("word/media/image9.png", 100))


def _not_pdf(path: Path) -> None:
    path.write_text("宁波市北仑区某某局2024年政府信息公开工作年度报告（网页另存为 PDF 失败）", encoding="utf-8")


def _txt_without_tables(path: Path) -> None:
    path.write_text("关于召开2024年度政府信息公开工作会议的通知\n\n各科室：定于下周一召开会议。\n", encoding="utf-8")


# -- import ----------------------------------------------------------------------------------------
def kind_import_zero_byte_docx(tmp: Path) -> Case:
    return _import(tmp, "空报告.docx", _bytes(b""), "空|0 字节|Word")


def kind_import_broken_docx(tmp: Path) -> Case:
    return _import(tmp, "坏报告.docx", _bytes(b"PK\x03\x04 broken"), "Word|损坏")


def kind_import_truncated_docx(tmp: Path) -> Case:
    def make(path: Path) -> None:
        good_report(path)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) * 2 // 3])  # the central directory is gone

    return _import(tmp, "半截报告.docx", make, "Word|损坏|不完整")


# word/document.xml that is well-formed XML but not a Word document (another root element).
_FOREIGN_DOCUMENT = {"word/document.xml": b'<?xml version="1.0" encoding="UTF-8"?><report xmlns="urn:example:x"/>'}


def kind_import_docx_with_a_foreign_document_part(tmp: Path) -> Case:
    return _import(tmp, "异类文档.docx", _docx_with(replace=_FOREIGN_DOCUMENT), "Word|不是|无法读取")


def kind_audit_docx_with_a_foreign_document_part(tmp: Path) -> Case:
    return _audit(tmp, "异类文档.docx", _docx_with(replace=_FOREIGN_DOCUMENT), "Word|不是|无法读取|读取时出错")


def kind_check_last_year_report_with_a_foreign_document_part(tmp: Path) -> Case:
    """Last year's published report goes through the importer too (cross-year checks of `check`)."""
    workbook = good_workbook(tmp / "in" / "财政局.xlsx")
    last = tmp / "上年报告.docx"
    _docx_with(replace=_FOREIGN_DOCUMENT)(last)
    return command_case(
        tmp, ["check", workbook, "--last-year", last], [workbook, last], 2, "上年报告.docx", "Word|不是|无法读取"
    )


def kind_import_docx_part_of_500_mb(tmp: Path) -> Case:
    return _import(tmp, "大部件.docx", _docx_with(stream=("word/media/video.bin", 500)), OVERSIZE, bomb=True)


def kind_import_docx_zip_bomb(tmp: Path) -> Case:
    return _import(tmp, "炸弹报告.docx", _zip_bomb_docx(), OVERSIZE, bomb=True)


def kind_import_docx_billion_laughs(tmp: Path) -> Case:
    return _import(tmp, "实体报告.docx", _laughs_in_document(), UNSAFE, bomb=True)


def kind_import_docx_doctype_in_styles(tmp: Path) -> Case:
    return _import(
        tmp,
        "样式实体.docx",
        _docx_doctype("word/styles.xml", lambda root: f'<!DOCTYPE {root} [<!ENTITY a "b">]>'),
        UNSAFE,
    )


def kind_import_docx_without_tables(tmp: Path) -> Case:
    def make(path: Path) -> None:
        from docx import Document

        doc = Document()
        doc.add_paragraph("关于开展政府信息公开工作的通知")
        doc.save(str(path))

    return _import(tmp, "没有表格.docx", make, "找不到|表二")


def kind_import_xlsx_given_as_report(tmp: Path) -> Case:
    return _import(tmp, "填报表.xlsx", lambda p: good_workbook(p), "暂不支持|工作簿|Excel")


def kind_import_html_in_gbk(tmp: Path) -> Case:
    return _import(tmp, "通知GBK.html", _html_notice("gbk"), "找不到|表二|编码")


def kind_import_html_billion_laughs(tmp: Path) -> Case:
    prolog = laughs_doctype("html")
    return _import(
        tmp, "实体网页.html", _html_notice("utf-8", prolog, "<p>&l9;</p>"), UNSAFE + "|找不到|表二", bomb=True
    )


def kind_import_html_of_60_mb(tmp: Path) -> Case:
    return _import(tmp, "巨大网页.html", _huge_html, OVERSIZE, bomb=True)


def kind_import_pdf_that_is_not_a_pdf(tmp: Path) -> Case:
    return _import(tmp, "假报告.pdf", _not_pdf, "PDF|找不到")


def kind_import_txt_without_tables(tmp: Path) -> Case:
    return _import(tmp, "会议通知.txt", _txt_without_tables, "找不到|表二")


def kind_import_binary_txt(tmp: Path) -> Case:
    return _import(tmp, "乱码.txt", _bytes(random.Random(3).randbytes(8192)), "编码|文本|找不到|表二")


def kind_import_unsupported_extension(tmp: Path) -> Case:
    return _import(tmp, "报告.odt", _txt_without_tables, "暂不支持")


def kind_import_out_is_the_report_itself(tmp: Path) -> Case:
    """--out naming the input itself would replace the published report with JSON."""
    report = good_report(tmp / "in" / "报告.docx")
    return command_case(
        tmp, ["import", report, "--out", report], [report], 2, "报告.docx", "输入|同一|覆盖|不能", out=report
    )


def kind_import_out_is_a_folder(tmp: Path) -> Case:
    report = good_report(tmp / "in" / "报告.docx")
    folder = tmp / "已有文件夹"
    folder.mkdir()
    return command_case(
        tmp, ["import", report, "--out", folder], [report, folder], 2, "已有文件夹", "文件夹|目录|无法", out=folder
    )


# -- audit -----------------------------------------------------------------------------------------
def kind_audit_broken_docx(tmp: Path) -> Case:
    return _audit(tmp, "坏报告.docx", _bytes(b"PK\x03\x04 broken"), "无法读取|损坏|Word")


def kind_audit_docx_zip_bomb(tmp: Path) -> Case:
    return _audit(tmp, "炸弹报告.docx", _zip_bomb_docx(), OVERSIZE, bomb=True)


def kind_audit_docx_billion_laughs(tmp: Path) -> Case:
    return _audit(tmp, "实体报告.docx", _laughs_in_document(), UNSAFE, bomb=True)


def kind_audit_html_billion_laughs(tmp: Path) -> Case:
    prolog = laughs_doctype("html")
    return _audit(
        tmp, "实体网页.html", _html_notice("utf-8", prolog, "<p>&l9;</p>"), UNSAFE + "|找不到|表二|无法读取", bomb=True
    )


def kind_audit_html_of_60_mb(tmp: Path) -> Case:
    return _audit(tmp, "巨大网页.html", _huge_html, OVERSIZE, bomb=True)


def kind_audit_pdf_that_is_not_a_pdf(tmp: Path) -> Case:
    return _audit(tmp, "假报告.pdf", _not_pdf, "PDF|无法读取")


def kind_audit_txt_without_tables(tmp: Path) -> Case:
    return _audit(tmp, "会议通知.txt", _txt_without_tables, "找不到|表二|无法读取")


def kind_audit_empty_folder(tmp: Path) -> Case:
    folder = tmp / "空文件夹"
    folder.mkdir()
    return command_case(tmp, ["audit", folder], [folder], 2, "空文件夹", "没有可审核的报告", out=tmp / "审核结果.xlsx")


def kind_audit_folder_with_symlink_outside(tmp: Path) -> Case:
    outside = tmp / "别处" / "机密.html"
    outside.parent.mkdir()
    _html_report(outside)
    folder = tmp / "in"
    folder.mkdir()
    _html_report(folder / "正常.html")
    (folder / "链接.html").symlink_to(outside)
    # Accepted with a warning: the link is skipped, the report beside it is audited.
    return command_case(
        tmp,
        ["audit", folder, "--out", tmp / "审核结果.xlsx"],
        [folder, outside],
        0,
        "链接.html",
        "链接|文件夹外|以外",
        out=tmp / "审核结果.xlsx",
        refused=False,
    )


def kind_audit_folder_with_a_bomb(tmp: Path) -> Case:
    folder = tmp / "in"
    folder.mkdir()
    _html_report(folder / "正常.html")
    _zip_bomb_docx()(folder / "炸弹报告.docx")
    # A folder audit lists each file with its verdict and rules; the messages go into the workbook.
    return command_case(
        tmp,
        ["audit", folder, "--out", tmp / "审核结果.xlsx"],
        [folder],
        1,
        "炸弹报告.docx",
        "IM-1|有错误",
        out=tmp / "审核结果.xlsx",
        refused=False,
        bomb=True,
    )


def kind_audit_out_is_the_report_itself(tmp: Path) -> Case:
    """--out naming the audited report would replace it with the findings workbook."""
    report = good_report(tmp / "in" / "报告.docx")
    return command_case(
        tmp, ["audit", report, "--out", report], [report], 2, "报告.docx", "输入|同一|覆盖|不能", out=report
    )


def kind_audit_out_under_a_file(tmp: Path) -> Case:
    report = good_report(tmp / "in" / "报告.docx")
    blocker = tmp / "占位.txt"
    blocker.write_text("别人的文件", encoding="utf-8")
    out = blocker / "审核结果.xlsx"
    return command_case(
        tmp, ["audit", report, "--out", out], [report, blocker], 2, "占位.txt", "无法|不能|创建|写入", out=out
    )


def kind_audit_last_year_deeply_nested_json(tmp: Path) -> Case:
    report = good_report(tmp / "in" / "报告.docx")
    last = tmp / "上年.json"
    last.write_bytes(b'{"values": ' + b"[" * 200_000 + b"]" * 200_000 + b"}")
    return command_case(
        tmp, ["audit", report, "--last-year", last], [report, last], 2, "上年.json", "嵌套|层|JSON", bomb=True
    )
