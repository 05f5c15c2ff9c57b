"""Hostile returned workbooks for `check` and `merge`.

The makers of tests/test_bad_inputs.py are reused as they are; the kinds added here are built the same
way, from a good workbook at the zip level or with openpyxl, never from committed binaries.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import test_bad_inputs as bad
from openpyxl.workbook.workbook import Workbook
from test_merge_support import (
    edit_workbook,
    rewrite_zip,
    set_cell,
    sheet_part,
    write_department,
    zero_values,
)

from nianbao.fileio import LOCK_NAME
from nianbao.form import layout

from .case import (
    DEPARTMENT,
    PIPE_TIMEOUT,
    Case,
    command_case,
    good_workbook,
    good_workbook_path,
    roster,
)

Maker = Callable[[Path, Path], object]  # (good workbook, destination), as in test_bad_inputs
COUNT_KEY = "t3.new.natural_person"  # any count cell of the form will do
OVERSIZE = "大小|过大|太大|压缩|超出|超过|拒绝"


def _check(tmp: Path, name: str, make: Maker, *words: str, exit_code: int = 1, **options: Any) -> Case:
    path = tmp / "in" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    make(good_workbook_path(), path)
    return command_case(tmp, ["check", path], [path], exit_code, name, *words, **options)


def _edited(change: Callable[[Path], None]) -> Maker:
    """A maker that copies the good workbook and changes it as a clerk would."""

    def make(_good: Path, dst: Path) -> None:
        good_workbook(dst)
        change(dst)

    return make


def _cell(value: object) -> Maker:
    return _edited(lambda path: set_cell(path, COUNT_KEY, value))


# -- not a workbook at all ---------------------------------------------------------------------------
def kind_check_xls(tmp: Path) -> Case:
    return _check(tmp, "旧表.xls", bad.make_xls, "另存为")


def kind_check_et_renamed(tmp: Path) -> Case:
    return _check(tmp, "旧表.et", bad.make_xls, "另存为")


def kind_check_encrypted_ole(tmp: Path) -> Case:
    return _check(tmp, "加密.xlsx", bad.make_encrypted, "密码")


def kind_check_csv_renamed(tmp: Path) -> Case:
    return _check(tmp, "表格.xlsx", bad.make_csv, "文本")


def kind_check_docx_renamed(tmp: Path) -> Case:
    return _check(tmp, "报告.xlsx", bad.make_docx, "Word")


def kind_check_zip_without_office_parts(tmp: Path) -> Case:
    return _check(tmp, "压缩包.xlsx", bad.make_no_content_types, "不是")


def kind_check_truncated(tmp: Path) -> Case:
    return _check(tmp, "截断.xlsx", bad.make_truncated, "损坏")


def kind_check_empty_file(tmp: Path) -> Case:
    return _check(tmp, "空文件.xlsx", bad.make_empty, "空")


def kind_check_wrong_magic_png(tmp: Path) -> Case:
    return _check(
        tmp, "图片.xlsx", lambda _g, p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8), "无法识别|不是"
    )


def kind_check_pdf_renamed(tmp: Path) -> Case:
    return _check(tmp, "扫描件.xlsx", lambda _g, p: p.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), "PDF")


def kind_check_html_renamed(tmp: Path) -> Case:
    html = "<html><head><meta charset='gbk'></head><body><table><tr><td>区财政局</td></tr></table></body></html>"
    return _check(tmp, "网页.xlsx", lambda _g, p: p.write_bytes(html.encode("gbk")), "网页")


# -- bombs ----------------------------------------------------------------------------------------------
def kind_check_zip_bomb_ratio(tmp: Path) -> Case:
    return _check(tmp, "炸弹.xlsx", bad.make_zip_bomb, "压缩", bomb=True)


def _many_megabytes(_good: Path, dst: Path) -> None:
    """130 parts of 1 MB each: every part is small enough to pass a ratio test, the total is not."""
    rewrite_zip(_good, dst, add={f"xl/media/image{i}.bin": b"\0" * (1024 * 1024) for i in range(130)})


def kind_check_zip_bomb_absolute_size(tmp: Path) -> Case:
    return _check(tmp, "解压后太大.xlsx", _many_megabytes, OVERSIZE, bomb=True)


def _nested_bomb(_good: Path, dst: Path) -> None:
    """A zip holding the bomb workbook: someone compressed their file and renamed the archive."""
    inner = dst.with_name("inner.tmp.xlsx")
    bad.make_zip_bomb(_good, inner)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zf:
        zf.write(inner, "区财政局.xlsx")
    inner.unlink()


def kind_check_zip_bomb_nested(tmp: Path) -> Case:
    return _check(tmp, "套娃.xlsx", _nested_bomb, "不是|压缩", bomb=True)


def _too_many_parts(_good: Path, dst: Path) -> None:
    rewrite_zip(_good, dst, add={f"xl/media/p{i}.bin": b"x" for i in range(2500)})


def kind_check_too_many_parts(tmp: Path) -> Case:
    return _check(tmp, "部件太多.xlsx", _too_many_parts, "部件|" + OVERSIZE)


def kind_check_lying_sizes(tmp: Path) -> Case:
    return _check(tmp, "伪造大小.xlsx", bad.make_lying_sizes, "损坏", bomb=True)


def kind_check_billion_laughs(tmp: Path) -> Case:
    return _check(tmp, "实体.xlsx", bad.make_billion_laughs, "实体", bomb=True)


def kind_check_dtd_after_long_prolog(tmp: Path) -> Case:
    return _check(tmp, "长注释实体.xlsx", bad.make_dtd_after_long_prolog, "实体")


def _doctype_in(part: str, xml: bytes) -> Maker:
    return lambda good, dst: rewrite_zip(good, dst, replace={part: xml})


_EXTERNAL = (
    b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
    b"<si><t>&x;</t></si></sst>"
)


def kind_check_external_entity(tmp: Path) -> Case:
    return _check(tmp, "外部实体.xlsx", _doctype_in("xl/sharedStrings.xml", _EXTERNAL), "实体|不安全")


def _doctype_content_types(good: Path, dst: Path) -> None:
    with zipfile.ZipFile(good) as zf:
        xml = zf.read("[Content_Types].xml")
    head = b'<?xml version="1.0" encoding="UTF-8"?>'
    xml = head + b'<!DOCTYPE Types [<!ENTITY a "b">]>' + xml.removeprefix(head)
    rewrite_zip(good, dst, replace={"[Content_Types].xml": xml})


def kind_check_doctype_in_content_types(tmp: Path) -> Case:
    return _check(tmp, "类型实体.xlsx", _doctype_content_types, "实体|不安全|DOCTYPE")


def kind_check_million_rows(tmp: Path) -> Case:
    return _check(tmp, "百万行.xlsx", bad.make_million_rows, "行数", bomb=True)


def kind_check_huge_shared_strings(tmp: Path) -> Case:
    return _check(tmp, "百万字符串.xlsx", bad.make_million_strings, "字符串", bomb=True)


def _far_cell(good: Path, dst: Path) -> None:
    """One cell at the last address a sheet can have: a reader that allocates the grid needs 17 G cells."""
    part = sheet_part(good, layout.SHEET_ORDER[-1])
    with zipfile.ZipFile(good) as zf:
        xml = zf.read(part)
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    rewrite_zip(good, dst, replace={part: xml.replace(b"</sheetData>", far, 1)})


def kind_check_far_cell(tmp: Path) -> Case:
    return _check(tmp, "远端单元格.xlsx", _far_cell, "XFD1048576|范围|单元格|" + OVERSIZE, bomb=True)


# -- a workbook, but with a dangerous or unexpected structure -----------------------------------------
def _macros(good: Path, dst: Path) -> None:
    with zipfile.ZipFile(good) as zf:
        types = zf.read("[Content_Types].xml")
    types = types.replace(
        b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>'
    )
    rewrite_zip(
        good, dst, replace={"[Content_Types].xml": types}, add={"xl/vbaProject.bin": bad.OLE2_MAGIC + b"\0" * 1024}
    )


def kind_check_xlsm_macros(tmp: Path) -> Case:
    return _check(tmp, "带宏.xlsm", _macros, "宏|xlsm")


def kind_check_macros_in_xlsx(tmp: Path) -> Case:
    return _check(tmp, "藏宏.xlsx", _macros, "宏|不安全")


def kind_check_extra_sheet(tmp: Path) -> Case:
    """Accepted with a warning: the extra sheet is named and not read."""
    return _check(
        tmp,
        "多一张表.xlsx",
        _edited(lambda p: edit_workbook(p, lambda wb: wb.create_sheet("Sheet1"))),
        "Sheet1",
        exit_code=0,
    )


def _drop_sheet(wb: Workbook) -> None:
    wb.remove(wb[layout.SHEET_ORDER[-1]])


def kind_check_missing_sheet(tmp: Path) -> Case:
    return _check(tmp, "少一张表.xlsx", _edited(lambda p: edit_workbook(p, _drop_sheet)), "工作表")


def _rename_sheet(wb: Workbook) -> None:
    wb[layout.location(COUNT_KEY).sheet].title = "表三"


def kind_check_renamed_sheet(tmp: Path) -> Case:
    return _check(tmp, "改了表名.xlsx", _edited(lambda p: edit_workbook(p, _rename_sheet)), "工作表|改名")


def _insert_row(wb: Workbook) -> None:
    wb[layout.location(COUNT_KEY).sheet].insert_rows(5)


def kind_check_inserted_row(tmp: Path) -> Case:
    return _check(tmp, "插入一行.xlsx", _edited(lambda p: edit_workbook(p, _insert_row)), "行|结构|工作表")


def kind_check_blank_workbook(tmp: Path) -> Case:
    return _check(tmp, "空白表.xlsx", lambda _g, p: write_department(p, DEPARTMENT, {}), "没有填写|未填|空白")


# -- count cells a clerk typed wrongly ------------------------------------------------------------------
def kind_check_formula_without_cached_value(tmp: Path) -> Case:
    return _check(tmp, "公式.xlsx", _cell("=1+1"), "公式")


def kind_check_text_in_count_cell(tmp: Path) -> Case:
    return _check(tmp, "文字.xlsx", _cell("三件"), "整数|数字|不是")


def kind_check_wu_in_count_cell(tmp: Path) -> Case:
    return _check(tmp, "写无.xlsx", _cell("无"), "整数|数字|不是|0")


def kind_check_negative_count(tmp: Path) -> Case:
    return _check(tmp, "负数.xlsx", _cell(-3), "负|不小于0")


def kind_check_decimal_in_count_cell(tmp: Path) -> Case:
    return _check(tmp, "小数.xlsx", _cell(1.5), "整数|小数")


def kind_check_huge_count(tmp: Path) -> Case:
    return _check(tmp, "天文数字.xlsx", _cell(99999999999), "99999999999|过大|不合理|超出")


def kind_check_error_value(tmp: Path) -> Case:
    return _check(tmp, "错误值.xlsx", _cell("#DIV/0!"), "#DIV/0!|错误值")


def _raw_cell(xml_cell: str) -> Maker:
    """The count cell replaced at the XML level by `xml_cell` (with {ref} for its address)."""

    def make(good: Path, dst: Path) -> None:
        loc = layout.location(COUNT_KEY)
        part = sheet_part(good, loc.sheet)
        with zipfile.ZipFile(good) as zf:
            xml = zf.read(part).decode("utf-8")
        cell = re.search(rf'<c r="{loc.cell}"[^>]*?(?:/>|>.*?</c>)', xml)
        assert cell is not None
        rewrite_zip(good, dst, replace={part: xml.replace(cell.group(0), xml_cell.format(ref=loc.cell), 1).encode()})

    return make


def kind_check_nan_as_cached_number(tmp: Path) -> Case:
    return _check(tmp, "非数.xlsx", _raw_cell('<c r="{ref}"><v>NaN</v></c>'), "不是有效数字|数字")


def kind_check_boolean_in_count_cell(tmp: Path) -> Case:
    return _check(tmp, "逻辑值.xlsx", _raw_cell('<c r="{ref}" t="b"><v>1</v></c>'), "不是数字")


def kind_check_shared_string_out_of_range(tmp: Path) -> Case:
    return _check(tmp, "字符串越界.xlsx", _raw_cell('<c r="{ref}" t="s"><v>999999</v></c>'), "损坏")


# -- names and paths ----------------------------------------------------------------------------------
def kind_check_markup_in_file_name(tmp: Path) -> Case:
    """Console markup in a file name must be printed, not interpreted (the name would vanish)."""
    return _check(tmp, "[bold red]财政局[/].xlsx", bad.make_csv, "文本")


def kind_check_backslash_in_file_name(tmp: Path) -> Case:
    """A Windows path separator is an ordinary character of a name here: it must be shown as it is."""
    return _check(tmp, "财政局\\2024.xlsx", bad.make_csv, "文本")


def kind_check_control_characters_in_file_name(tmp: Path) -> Case:
    """An escape sequence in a name must not reach the terminal raw (it could clear or forge lines)."""
    path = tmp / "in" / "财政局\x1b[2J\r伪造.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    bad.make_csv(good_workbook_path(), path)
    return command_case(tmp, ["check", path], [path], 1, "伪造.xlsx", "文本", forbidden=("\x1b[2J", "\r伪造"))


def kind_check_missing_file(tmp: Path) -> Case:
    return command_case(tmp, ["check", tmp / "不存在.xlsx"], [], 2, "不存在.xlsx", "找不到")


def kind_check_named_pipe(tmp: Path) -> Case:
    path = tmp / "in" / "管道.xlsx"
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    return command_case(
        tmp, ["check", path], [path], 2, "管道.xlsx", "不是普通文件|管道|无法读取|找不到", timeout=PIPE_TIMEOUT
    )


def kind_check_folder_given_as_file(tmp: Path) -> Case:
    folder = tmp / "in" / "文件夹.xlsx"
    folder.mkdir(parents=True)
    return command_case(tmp, ["check", folder], [folder], 2, "文件夹.xlsx", "文件夹|不是文件|目录")


def kind_check_unreadable_file(tmp: Path) -> Case:
    path = good_workbook(tmp / "in" / "无权限.xlsx")
    path.chmod(0)
    return command_case(tmp, ["check", path], [path], 2, "无权限.xlsx", "权限|无法读取", needs_non_root=True)


# -- merge ----------------------------------------------------------------------------------------------
def _merge(
    tmp: Path,
    folder: Path,
    exit_code: int,
    name: str,
    *words: str,
    roster_path: Path | None = None,
    extra: tuple[str, ...] = (),
    **options: Any,
) -> Case:
    roster_path = roster_path or roster(tmp / "名单.csv", DEPARTMENT)
    out = tmp / "汇总结果"
    args: list[str | Path] = ["merge", folder, "--roster", roster_path, "--out", out, "--quiet", *extra]
    options.setdefault("refused", exit_code == 2)
    return command_case(tmp, args, [folder, roster_path], exit_code, name, *words, out=out, **options)


def kind_merge_wrong_body(tmp: Path) -> Case:
    write_department(tmp / "in" / "别的机关.xlsx", DEPARTMENT, zero_values(), body="另一个县人民政府")
    good_workbook(tmp / "in" / "区教育局.xlsx")
    return _merge(tmp, tmp / "in", 1, "别的机关.xlsx", "机关", extra=("--body", "某某区人民政府"))


def kind_merge_wrong_year(tmp: Path) -> Case:
    write_department(tmp / "in" / "去年的表.xlsx", DEPARTMENT, zero_values(), year=2023)
    return _merge(tmp, tmp / "in", 1, "去年的表.xlsx", "年度", extra=("--year", "2024"))


def kind_merge_two_spellings_of_the_body(tmp: Path) -> Case:
    """The final-report gate: one department wrote the body's name differently; its file is refused."""
    good_workbook(tmp / "in" / "财政局.xlsx")
    write_department(tmp / "in" / "卫健委.xlsx", "区卫健委", zero_values())
    write_department(tmp / "in" / "教育局.xlsx", "区教育局", zero_values(), body="某某区政府")
    names = roster(tmp / "名单.csv", DEPARTMENT, "区卫健委", "区教育局")
    return _merge(tmp, tmp / "in", 1, "教育局.xlsx", "机关名称", roster_path=names)


def kind_build_with_a_department_missing(tmp: Path) -> Case:
    """The final-report gate: a department on the roster sent nothing, so no report is written."""
    good_workbook(tmp / "in" / "财政局.xlsx")
    names = roster(tmp / "名单.csv", DEPARTMENT, "区教育局")
    out = tmp / "汇总结果"
    return command_case(
        tmp,
        ["build", tmp / "in", "--roster", names, "--out", out, "--date", "2025-01-08"],
        [tmp / "in", names],
        1,
        "区教育局",
        "未报送",
        out=out,
        refused=False,
        forbid_docx=True,
    )


def kind_merge_department_not_in_roster(tmp: Path) -> Case:
    write_department(tmp / "in" / "卫健委.xlsx", "区卫健委", zero_values())
    return _merge(tmp, tmp / "in", 1, "卫健委.xlsx", "名单|部门")


def kind_merge_two_workbooks_of_one_department(tmp: Path) -> Case:
    good_workbook(tmp / "in" / "财政局.xlsx")
    write_department(tmp / "in" / "财政局-改.xlsx", DEPARTMENT, {**zero_values(), COUNT_KEY: 1})
    return _merge(tmp, tmp / "in", 1, "财政局-改.xlsx", "多份|重复")


def kind_merge_byte_identical_copies(tmp: Path) -> Case:
    """Accepted with a warning: a byte-identical copy counts once and is named."""
    good_workbook(tmp / "in" / "财政局.xlsx")
    good_workbook(tmp / "in" / "财政局 - 副本.xlsx")
    return _merge(tmp, tmp / "in", 0, "财政局 - 副本.xlsx", "相同|多份|重复")


def kind_merge_symlink_outside_folder(tmp: Path) -> Case:
    """Accepted with a warning: the link is skipped, the real workbook beside it is merged."""
    good_workbook(tmp / "in" / "财政局.xlsx")
    outside = write_department(tmp / "别处" / "教育局.xlsx", "区教育局", zero_values())
    (tmp / "in" / "链接.xlsx").symlink_to(outside)
    case = _merge(tmp, tmp / "in", 0, "链接.xlsx", "链接|文件夹外|以外")
    return _with_inputs(case, outside)


def kind_merge_symlink_loop(tmp: Path) -> Case:
    """Accepted with a warning: a link back to the folder is not followed round and round."""
    good_workbook(tmp / "in" / "财政局.xlsx")
    (tmp / "in" / "循环").symlink_to(tmp / "in", target_is_directory=True)
    return _merge(tmp, tmp / "in", 0, "循环", "链接|循环|文件夹外|以外")


def kind_merge_zip_bomb_in_folder(tmp: Path) -> Case:
    good_workbook(tmp / "in" / "财政局.xlsx")
    bad.make_zip_bomb(good_workbook_path(), tmp / "in" / "炸弹.xlsx")
    return _merge(tmp, tmp / "in", 1, "炸弹.xlsx", "压缩", bomb=True)


def kind_merge_far_cell_in_folder(tmp: Path) -> Case:
    (tmp / "in").mkdir()
    _far_cell(good_workbook_path(), tmp / "in" / "远端单元格.xlsx")
    return _merge(tmp, tmp / "in", 1, "远端单元格.xlsx", "XFD1048576|范围|单元格|" + OVERSIZE, bomb=True)


def kind_merge_out_is_a_file(tmp: Path) -> Case:
    good_workbook(tmp / "in" / "财政局.xlsx")
    blocker = tmp / "结果.txt"
    blocker.write_text("别人的文件", encoding="utf-8")
    case = _merge(tmp, tmp / "in", 2, "结果.txt", "文件夹|不是|已有|无法|不能")
    return _replace_out(case, blocker)


def kind_merge_out_cannot_be_created(tmp: Path) -> Case:
    good_workbook(tmp / "in" / "财政局.xlsx")
    blocker = tmp / "占位.txt"
    blocker.write_text("别人的文件", encoding="utf-8")
    case = _merge(tmp, tmp / "in", 2, "占位.txt", "无法|不能|创建")
    return _replace_out(case, blocker / "汇总结果")


def kind_merge_into_a_folder_another_merge_holds(tmp: Path) -> Case:
    """Two merges into one folder at once: the second is told to wait, and writes nothing."""
    good_workbook(tmp / "in" / "财政局.xlsx")
    case = _merge(tmp, tmp / "in", 1, "汇总结果", "另一个|正在|等")
    assert case.out is not None
    case.out.mkdir()
    lock = case.out / LOCK_NAME
    lock.touch()
    return _copy(case, held_lock=lock, refused=True)


def kind_merge_out_is_the_input_folder(tmp: Path) -> Case:
    """Outputs written among the inputs would be read back as a department's workbook next time."""
    good_workbook(tmp / "收到的报表" / "财政局.xlsx")
    case = _merge(tmp, tmp / "收到的报表", 2, "收到的报表", "输入|同一|不能")
    return _replace_out(case, tmp / "收到的报表")


def kind_merge_empty_folder(tmp: Path) -> Case:
    (tmp / "空文件夹").mkdir()
    return _merge(tmp, tmp / "空文件夹", 2, "空文件夹", "没有|找不到")


def kind_merge_roster_binary(tmp: Path) -> Case:
    good_workbook(tmp / "in" / "财政局.xlsx")
    names = tmp / "名单.csv"
    names.write_bytes(bytes(range(128, 256)) * 16)
    return _merge(tmp, tmp / "in", 2, "名单.csv", "名单|编码", roster_path=names)


def kind_merge_roster_without_department_column(tmp: Path) -> Case:
    good_workbook(tmp / "in" / "财政局.xlsx")
    names = tmp / "名单.csv"
    names.write_text("单位名称\n区财政局\n", encoding="utf-8")
    return _merge(tmp, tmp / "in", 2, "名单.csv", "部门", roster_path=names)


def kind_merge_roster_billion_laughs(tmp: Path) -> Case:
    good_workbook(tmp / "in" / "财政局.xlsx")
    names = tmp / "名单.xlsx"
    bad.make_billion_laughs(good_workbook_path(), names)
    return _merge(tmp, tmp / "in", 2, "名单.xlsx", "名单", roster_path=names, bomb=True)


def kind_merge_last_year_zip_bomb(tmp: Path) -> Case:
    good_workbook(tmp / "in" / "财政局.xlsx")
    last = tmp / "上年.xlsx"
    bad.make_zip_bomb(good_workbook_path(), last)
    case = _merge(tmp, tmp / "in", 2, "上年.xlsx", "压缩", extra=("--last-year", str(last)), bomb=True)
    return _with_inputs(case, last)


def kind_merge_last_year_gbk_json(tmp: Path) -> Case:
    good_workbook(tmp / "in" / "财政局.xlsx")
    last = tmp / "上年.json"
    last.write_bytes('{"body": "某某区人民政府", "year": 2023, "values": {}}'.encode("gbk"))
    case = _merge(tmp, tmp / "in", 2, "上年.json", "编码|UTF-8", extra=("--last-year", str(last)))
    return _with_inputs(case, last)


def _with_inputs(case: Case, *paths: Path) -> Case:
    return _copy(case, inputs=(*case.inputs, *paths))


def _replace_out(case: Case, out: Path) -> Case:
    args = list(case.args)
    args[args.index("--out") + 1] = str(out)
    inputs = (*case.inputs, *(p for p in (out, out.parent) if p.is_file()))
    return _copy(case, args=tuple(args), out=out, inputs=inputs)


def _copy(case: Case, **changes: Any) -> Case:
    return replace(case, **changes)
