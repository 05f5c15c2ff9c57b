"""Hostile-input guards that run before any spreadsheet library touches a returned file.

Everything here works on the raw bytes and the zip central directory, so a zip bomb, an XML entity
bomb, a renamed Word document or an encrypted workbook is refused with a clear finding before
anything decompresses more than a bounded amount.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

# Bounds. A real returned workbook is 15-60 KB, its sheets well under 1 MB uncompressed; these limits
# leave a wide margin for pasted narrative and images while refusing abuse quickly.
MAX_FILE_BYTES = 30 * 1024 * 1024
MAX_ENTRIES = 2_000
MAX_ENTRY_BYTES = 30 * 1024 * 1024  # any single part, uncompressed
MAX_TOTAL_BYTES = 120 * 1024 * 1024  # all parts, uncompressed
MAX_READ_PART_BYTES = 8 * 1024 * 1024  # a part the reader decompresses (sheets, shared strings)
MAX_RATIO = 150  # compression ratio above which a large part is treated as a bomb
RATIO_MIN_BYTES = 1024 * 1024  # small parts may compress very well legitimately

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
_DTD_SCAN_BYTES = 4096  # a DTD must come before the root element, so the head of a part suffices


@dataclass(frozen=True)
class Refusal:
    """Why a file cannot be read: a finding code and a Chinese message (without the file name)."""

    code: str
    message: str


def sniff_bytes(data: bytes, suffix: str) -> Refusal | None:
    """Classify the raw bytes; None when they look like a zip container worth opening."""
    if not data:
        return Refusal("F-CORRUPT", "文件是空的（0 字节），请重新保存后再发送")
    if len(data) > MAX_FILE_BYTES:
        return Refusal("F-TOO-LARGE", f"文件大小 {len(data) // 1024 // 1024} MB，远超正常填报表，请检查是否粘贴了大量无关数据")
    if data.startswith(OLE2_MAGIC):
        return _classify_ole(data, suffix)
    if data.startswith(ZIP_MAGIC) or data.startswith(b"PK"):
        return None
    if data.startswith(b"%PDF"):
        return Refusal("F-NOT-XLSX", "这是 PDF 文件，不是 Excel 工作簿，请发送填好的 .xlsx 模板")
    if data.lstrip()[:5].lower() in (b"<html", b"<!doc") or data.lstrip().startswith(b"<?xml"):
        return Refusal("F-NOT-XLSX", "这是网页或 XML 文件，不是 .xlsx 工作簿，请在 Excel/WPS 中“另存为”Excel 工作簿(.xlsx)")
    if _looks_like_text(data):
        return Refusal("F-NOT-XLSX", "这是文本文件（如 CSV），不是 .xlsx 工作簿，请使用下发的模板填报后发送")
    return Refusal("F-NOT-XLSX", "无法识别的文件格式，不是 .xlsx 工作簿，请使用下发的模板填报后发送")


def _classify_ole(data: bytes, suffix: str) -> Refusal:
    """OLE2 holds either a legacy .xls/.et workbook or an OOXML workbook encrypted with a password."""
    if _ENCRYPTED_STREAM in data:
        return Refusal("F-ENCRYPTED", "文件设置了打开密码，无法读取，请在 Excel/WPS 中取消密码（文件→信息→保护工作簿）后重新发送")
    kind = "WPS 表格 .et" if suffix.lower() in (".et", ".ett") else "旧版 Excel .xls"
    return Refusal("F-XLS", f"这是{kind}格式，请在 Excel/WPS 中“另存为”Excel 工作簿(.xlsx)后重新发送")


def _looks_like_text(data: bytes) -> bool:
    head = data[:4096]
    if b"\x00" in head:
        return head.startswith((b"\xff\xfe", b"\xfe\xff"))  # UTF-16 text
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


# What zipfile raises for damaged archives (a damaged directory can claim any version or method).
_ZIP_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError, struct.error,
               UnicodeError, OverflowError, zlib.error, KeyError, IndexError)


def open_zip(data: bytes) -> zipfile.ZipFile | Refusal:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS:
        return Refusal("F-CORRUPT", "文件已损坏或不完整（可能传输中断），无法打开，请重新保存后再发送")


def check_container(zf: zipfile.ZipFile) -> Refusal | None:
    """An OOXML spreadsheet: the content-types part, a workbook part, and sane declared sizes."""
    infos = zf.infolist()
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names:
        return Refusal("F-NOT-XLSX", "压缩包中没有 Office 文档结构，不是 .xlsx 工作簿，请使用下发的模板填报后发送")
    if "xl/workbook.xml" not in names:
        return _other_office_document(names)
    if len(infos) > MAX_ENTRIES:
        return Refusal("F-TOO-LARGE", f"文件内部包含 {len(infos)} 个部件，远超正常填报表，拒绝读取")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            return Refusal("F-TOO-LARGE", f"部件 {info.filename} 的压缩比异常（疑似压缩炸弹），拒绝读取")
        if info.file_size > MAX_ENTRY_BYTES:
            return _part_too_large(info)
        if total > MAX_TOTAL_BYTES:
            return Refusal("F-TOO-LARGE", "文件解压后大小超出合理范围（可能是压缩炸弹或粘贴了大量数据），拒绝读取")
    return None


def _other_office_document(names: set[str]) -> Refusal:
    if "word/document.xml" in names:
        return Refusal("F-NOT-XLSX", "这是 Word 文档改了扩展名，不是 Excel 工作簿，请使用下发的 .xlsx 模板填报")
    if "ppt/presentation.xml" in names:
        return Refusal("F-NOT-XLSX", "这是 PowerPoint 文件，不是 Excel 工作簿，请使用下发的 .xlsx 模板填报")
    if "xl/workbook.bin" in names:
        return Refusal("F-NOT-XLSX", "这是 Excel 二进制工作簿(.xlsb)，请“另存为”Excel 工作簿(.xlsx)后重新发送")
    return Refusal("F-NOT-XLSX", "不是 .xlsx 工作簿，请使用下发的模板填报后发送")


def _part_too_large(info: zipfile.ZipInfo) -> Refusal:
    size = f"{info.file_size // 1024 // 1024} MB"
    if info.filename.startswith("xl/worksheets/"):
        what = f"工作表部件 {info.filename} 解压后 {size}，行数大得不合理（可能粘贴了大量数据）"
    elif info.filename.startswith("xl/sharedStrings"):
        what = f"共享字符串部件解压后 {size}，字符串数量大得不合理"
    else:
        what = f"部件 {info.filename} 解压后 {size}，大小不合理"
    return Refusal("F-TOO-LARGE", f"{what}，拒绝读取")


# Deflate cannot expand data more than about 1032 times, so the compressed sizes alone bound what
# decompressing can produce, whatever the (forgeable) uncompressed sizes in the directory claim.
DEFLATE_MAX_RATIO = 1032
PROVABLE_BOUND_BYTES = 64 * 1024 * 1024


def _worst_case_output(info: zipfile.ZipInfo) -> int:
    return info.compress_size * (DEFLATE_MAX_RATIO if info.compress_type != zipfile.ZIP_STORED else 1)


def verify_parts(zf: zipfile.ZipFile, parts: list[str], data: bytes) -> Refusal | None:
    """Bound what the reader will decompress, and refuse DTDs (XML entity expansion) in those parts.

    The uncompressed sizes in the zip directory can lie. When the compressed sizes already prove the
    output small (the normal case: a workbook is ~25 KB compressed), only the head of each part is
    decompressed, for the DTD scan. Otherwise each part is decompressed through zipfile, which stops at
    the declared size and fails the CRC check if the data goes on, before calamine ever sees it.
    """
    infos = []
    for name in parts:
        try:
            infos.append(zf.getinfo(name))
        except KeyError:
            continue
    for info in infos:
        if info.file_size > MAX_READ_PART_BYTES:
            return _part_too_large(info)
    proven = sum(_worst_case_output(i) for i in infos) <= PROVABLE_BOUND_BYTES
    for info in infos:
        refusal = _scan_head(data, zf, info) or (None if proven else _read_through(zf, info))
        if refusal:
            return refusal
    return None


_ELEMENT_START = re.compile(rb"<[A-Za-z_]")
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then the name and extra-field lengths


def _head(data: bytes, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The first bytes of a part, decompressed straight from the archive bytes (zipfile.open is slow)."""
    if info.compress_type in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED) and info.flag_bits & 0x1 == 0:
        signature, name_len, extra_len = _LOCAL_HEADER.unpack_from(data, info.header_offset)
        if signature == b"PK\x03\x04":
            start = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
            raw = data[start:start + min(info.compress_size, _DTD_SCAN_BYTES * 4)]
            if info.compress_type == zipfile.ZIP_STORED:
                return raw[:_DTD_SCAN_BYTES]
            return zlib.decompressobj(-zlib.MAX_WBITS).decompress(raw, _DTD_SCAN_BYTES)
    with zf.open(info) as stream:
        return stream.read(_DTD_SCAN_BYTES)


def _scan_head(data: bytes, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Refusal | None:
    """A DTD can only come before the root element: look at everything up to it."""
    try:
        head = _head(data, zf, info)
    except _ZIP_ERRORS:
        return _damaged(info)
    root = _ELEMENT_START.search(head)
    prolog = head[: root.start()] if root else head
    if any(marker in prolog for marker in _DTD_MARKERS) or (root is None and len(head) >= _DTD_SCAN_BYTES):
        return Refusal("F-UNSAFE", f"部件 {info.filename} 含有 XML 实体声明（可能是“实体炸弹”攻击），拒绝读取")
    return None


def _read_through(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Refusal | None:
    try:
        with zf.open(info) as stream:
            while stream.read(1024 * 1024):
                pass
    except _ZIP_ERRORS:
        return _damaged(info)
    return None


def _damaged(info: zipfile.ZipInfo) -> Refusal:
    return Refusal("F-CORRUPT", f"文件内部部件 {info.filename} 已损坏，无法读取，请重新保存后再发送")
