"""Hostile-input guards that run before any spreadsheet library touches a returned file.

Everything here works on the raw bytes and the zip central directory, so a zip bomb, an XML entity
bomb, a renamed Word document or an encrypted workbook is refused with a clear finding before
anything decompresses more than a bounded amount. Each sheet calamine will read is scanned first
(`scan_sheet`), because calamine allocates its whole used range at once. Published .docx reports get the
same guards (`check_docx`).

The parts calamine reads are inflated once (`Parts`, `inflate`: straight from the archive bytes, bounded, size
and CRC-32 checked) and handed to calamine as a zip of exactly those bytes, uncompressed (`stored_zip`). So
calamine reads exactly what the guards scanned: a name listed twice or a local header that disagrees with the
central directory cannot make it read something else.
"""

from __future__ import annotations

import functools
import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import cast

try:  # ISA-L inflates deflate data about twice as fast as zlib (the sheets are most of what is inflated)
    from isal import isal_zlib

    _fast_decompressobj, _crc32 = isal_zlib.decompressobj, isal_zlib.crc32
    _fast_error = cast("type[Exception]", isal_zlib.error)  # the stub declares an instance
except ImportError:  # pragma: no cover - installed without isal
    _fast_decompressobj, _fast_error, _crc32 = zlib.decompressobj, zlib.error, zlib.crc32  # type: ignore[assignment]

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
_DTD_SCAN_BYTES = 4096  # a DTD must come before the root element, so the head of a part suffices
_PROLOG_PEEK_BYTES = 256  # where the root element of a part as Office writes it starts: inflated first
_PROLOG_PEEK_RAW_BYTES = 1024  # enough compressed bytes for them in a deflate stream as zip writers write it


# The files read as published reports (`nianbao import`, `audit`, an area's inbox), declared here beside the
# guards every reader shares, so a stage can tell a report by its name without loading the importer.
REPORT_SUFFIXES = (".docx", ".html", ".htm", ".pdf", ".txt", ".md")


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
        return Refusal(
            "F-TOO-LARGE", f"文件大小 {len(data) // 1024 // 1024} MB，远超正常填报表，请检查是否粘贴了大量无关数据"
        )
    if data.startswith(OLE2_MAGIC):
        return _classify_ole(data, suffix)
    if data.startswith((ZIP_MAGIC, b"PK")):
        return None
    if data.startswith(b"%PDF"):
        return Refusal("F-NOT-XLSX", "这是 PDF 文件，不是 Excel 工作簿，请发送填好的 .xlsx 模板")
    if data.lstrip()[:5].lower() in (b"<html", b"<!doc") or data.lstrip().startswith(b"<?xml"):
        return Refusal(
            "F-NOT-XLSX", "这是网页或 XML 文件，不是 .xlsx 工作簿，请在 Excel/WPS 中“另存为”Excel 工作簿(.xlsx)"
        )
    if _looks_like_text(data):
        return Refusal("F-NOT-XLSX", "这是文本文件（如 CSV），不是 .xlsx 工作簿，请使用下发的模板填报后发送")
    return Refusal("F-NOT-XLSX", "无法识别的文件格式，不是 .xlsx 工作簿，请使用下发的模板填报后发送")


def _classify_ole(data: bytes, suffix: str) -> Refusal:
    """OLE2 holds either a legacy .xls/.et workbook or an OOXML workbook encrypted with a password."""
    if _ENCRYPTED_STREAM in data:
        return Refusal(
            "F-ENCRYPTED", "文件设置了打开密码，无法读取，请在 Excel/WPS 中取消密码（文件→信息→保护工作簿）后重新发送"
        )
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
ZIP_ERRORS = _ZIP_ERRORS = (
    zipfile.BadZipFile,
    OSError,
    ValueError,
    EOFError,
    NotImplementedError,
    RuntimeError,
    struct.error,
    UnicodeError,
    OverflowError,
    zlib.error,
    _fast_error,
    KeyError,
    IndexError,
)


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
            return part_too_large(info)
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


def part_too_large(info: zipfile.ZipInfo) -> Refusal:
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
    """Bound what the reader will decompress (DTDs are refused in every part by `refuse_dtds`).

    The uncompressed sizes in the zip directory can lie. When the compressed sizes already prove the
    output small (the normal case: a workbook is ~25 KB compressed), nothing more is done. Otherwise
    each part is decompressed through zipfile, which stops at the declared size and fails the CRC check
    if the data goes on, before calamine ever sees it.
    """
    infos = []
    for name in parts:
        try:
            infos.append(zf.getinfo(name))
        except KeyError:
            continue
    for info in infos:
        if info.file_size > MAX_READ_PART_BYTES:
            return part_too_large(info)
    proven = sum(_worst_case_output(i) for i in infos) <= PROVABLE_BOUND_BYTES
    for info in infos:
        refusal = None if proven else _read_through(zf, info)
        if refusal:
            return refusal
    return None


_ELEMENT_START = re.compile(rb"<[A-Za-z_]")
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then the name and extra-field lengths


def _head(
    data: bytes,
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    size: int = _DTD_SCAN_BYTES,
    raw_size: int = _DTD_SCAN_BYTES * 4,
) -> bytes:
    """The first `size` bytes of a part, decompressed straight from the archive bytes (zipfile.open is slow);
    fewer when the first `raw_size` compressed bytes hold fewer."""
    if info.compress_type in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED) and info.flag_bits & 0x1 == 0:
        signature, name_len, extra_len = _LOCAL_HEADER.unpack_from(data, info.header_offset)
        if signature == b"PK\x03\x04":
            start = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
            raw = data[start : start + min(info.compress_size, raw_size)]
            if info.compress_type == zipfile.ZIP_STORED:
                return raw[:size]
            return _raw_inflate(raw, size)
    with zf.open(info) as stream:
        return stream.read(size)


_UNUSUAL_FLAGS = 0x1 | 0x20 | 0x40  # encrypted, patched, strongly encrypted: zipfile's reader decides


def inflate(data: bytes, zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int = MAX_READ_PART_BYTES) -> bytes:
    """A whole part (at most `limit` + 1 bytes of it), inflated straight from the archive bytes.

    It fails as zipfile's reader fails (one of `_ZIP_ERRORS`): a local header that is not one or names another
    part, data that ends early, a CRC-32 that does not match the declared size's worth of data.
    """
    size = min(info.file_size, limit + 1)
    if info.compress_type not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED) or info.flag_bits & _UNUSUAL_FLAGS:
        with zf.open(info) as stream:
            return stream.read(limit + 1)
    signature, name_len, extra_len = _LOCAL_HEADER.unpack_from(data, info.header_offset)
    name_at = info.header_offset + _LOCAL_HEADER.size
    name = data[name_at : name_at + name_len].decode("utf-8" if info.flag_bits & 0x800 else "cp437")
    if signature != b"PK\x03\x04" or name != info.orig_filename:
        raise zipfile.BadZipFile(f"bad local header for {info.filename}")
    start = name_at + name_len + extra_len
    raw = data[start : start + info.compress_size]
    out = raw[:size] if info.compress_type == zipfile.ZIP_STORED else _raw_inflate(raw, size)
    if len(out) < size:
        raise EOFError(f"{info.filename} ends early")
    if size == info.file_size and _crc32(out) != info.CRC:
        raise zipfile.BadZipFile(f"bad CRC-32 for {info.filename}")
    return out


def _raw_inflate(raw: bytes, size: int) -> bytes:
    """Raw deflate data inflated to at most `size` bytes."""
    if size > _DTD_SCAN_BYTES:  # a whole part; heads keep zlib's output for a truncated stream
        return _fast_decompressobj(-zlib.MAX_WBITS).decompress(raw, size)
    return zlib.decompressobj(-zlib.MAX_WBITS).decompress(raw, size)


class Parts:
    """The parts of one archive the reader needs whole, each inflated once and kept (see `stored_zip`)."""

    def __init__(self, data: bytes, zf: zipfile.ZipFile) -> None:
        self.data, self.zf = data, zf
        self.inflated: dict[str, bytes] = {}

    def read(self, name: str, limit: int = MAX_READ_PART_BYTES) -> bytes:
        """The part's bytes; KeyError when absent, one of `_ZIP_ERRORS` when damaged."""
        found = self.inflated.get(name)
        if found is None:
            found = self.inflated[name] = inflate(self.data, self.zf, self.zf.getinfo(name), limit)
        return found


_STORED_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_STORED_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_STORED_END = struct.Struct("<4sHHHHIIH")
_UTF8_NAMES = 0x800


def stored_zip(parts: list[tuple[str, bytes, int]]) -> bytes:
    """A zip of (name, bytes, CRC-32) parts, uncompressed: what the guards inflated and scanned, for calamine.

    Each part keeps the CRC-32 of the original directory, which `inflate` has checked: the zip reader under
    calamine checks it only when a reader reaches the end of the data, and calamine stops at the end of the
    XML. Names are unique here, whatever the original directory listed.
    """
    local: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name, body, crc in parts:
        encoded = name.encode("utf-8")
        size = len(body)
        header = _STORED_LOCAL.pack(b"PK\x03\x04", 20, _UTF8_NAMES, 0, 0, 0x21, crc, size, size, len(encoded), 0)
        local += (header, encoded, body)
        central += (
            _STORED_CENTRAL.pack(
                b"PK\x01\x02", 20, 20, _UTF8_NAMES, 0, 0, 0x21, crc, size, size, len(encoded), 0, 0, 0, 0, 0, offset
            ),
            encoded,
        )
        offset += len(header) + len(encoded) + size
    directory = b"".join(central)
    end = _STORED_END.pack(b"PK\x05\x06", 0, 0, len(parts), len(parts), len(directory), offset, 0)
    return b"".join((*local, directory, end))


def _scan_head(data: bytes, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Refusal | None:
    """A DTD can only come before the root element: look at everything up to it."""
    try:
        head = _head(data, zf, info, _PROLOG_PEEK_BYTES, _PROLOG_PEEK_RAW_BYTES)
        root = _ELEMENT_START.search(head)
        if root is None:  # a long prolog, none, or more compressed bytes before it: look further
            head = _head(data, zf, info)
            root = _ELEMENT_START.search(head)
    except _ZIP_ERRORS:
        return damaged(info)
    prolog = head[: root.start()] if root else head
    if b"<!ENTITY" in prolog or (root is None and len(head) >= _DTD_SCAN_BYTES):
        return Refusal("F-UNSAFE", f"部件 {info.filename} 含有 XML 实体声明（可能是“实体炸弹”攻击），拒绝读取")
    if b"<!DOCTYPE" in prolog:  # Office never writes one; it is how entities and external references get in
        return Refusal(
            "F-UNSAFE", f"部件 {info.filename} 含有 XML 文档类型声明（DOCTYPE，可用于“实体炸弹”等攻击），拒绝读取"
        )
    return None


_XML_SUFFIXES = (".xml", ".rels", ".vml")


def refuse_dtds(zf: zipfile.ZipFile, data: bytes) -> Refusal | None:
    """A DOCTYPE or entity declaration in any XML part, whether or not a reader will parse it."""
    for info in zf.infolist():
        if info.filename.lower().endswith(_XML_SUFFIXES):
            refusal = _scan_head(data, zf, info)
            if refusal:
                return refusal
    return None


def _read_through(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Refusal | None:
    try:
        with zf.open(info) as stream:
            while stream.read(1024 * 1024):
                pass
    except _ZIP_ERRORS:
        return damaged(info)
    return None


def damaged(info: zipfile.ZipInfo) -> Refusal:
    return Refusal("F-CORRUPT", f"文件内部部件 {info.filename} 已损坏，无法读取，请重新保存后再发送")


# -- macros ------------------------------------------------------------------------------------------

MACRO_SUFFIXES = (".xlsm", ".xltm")
_MACRO_CONTENT_TYPE = b"macroEnabled"


def refuse_macros(zf: zipfile.ZipFile, suffix: str, parts: Parts | None = None) -> Refusal | None:
    """A macro-enabled workbook is refused even though nothing here would run it: it is not the template."""
    names = [i.filename for i in zf.infolist()]
    macro = suffix.lower() in MACRO_SUFFIXES or any(n.lower().endswith("vbaproject.bin") for n in names)
    if not macro:
        try:
            info = zf.getinfo("[Content_Types].xml")
            if info.file_size <= MAX_READ_PART_BYTES:
                content = parts.read(info.filename) if parts else zf.read(info)
                macro = _MACRO_CONTENT_TYPE in content
        except _ZIP_ERRORS:
            return Refusal("F-CORRUPT", "文件内部部件 [Content_Types].xml 已损坏，无法读取，请重新保存后再发送")
    if macro:
        return Refusal(
            "F-MACRO",
            "工作簿含有宏（或是启用宏的 .xlsm 格式），为安全起见拒绝读取；"
            "请在 Excel/WPS 中“另存为”普通的 Excel 工作簿(.xlsx)后重新发送",
        )
    return None


# -- shared strings ----------------------------------------------------------------------------------

_UNIQUE_COUNT = re.compile(rb"""\buniqueCount\s*=\s*["']\s*(\d{1,30})\s*["']""")
_MIN_STRING_BYTES = 5  # "<si/>": no string takes less room in the part


def check_shared_strings(zf: zipfile.ZipFile, data: bytes) -> Refusal | None:
    """calamine reserves memory for the declared `uniqueCount` before reading a string: it must fit the part."""
    for info in zf.infolist():
        if "sharedstrings" not in info.filename.lower():
            continue
        try:
            head = _head(data, zf, info)
        except _ZIP_ERRORS:
            return damaged(info)
        root = re.search(rb"<(?:\w+:)?sst\b[^>]*>", head)
        count = _UNIQUE_COUNT.search(root.group(0)) if root else None
        if count and int(count.group(1)) > max(1000, info.file_size // _MIN_STRING_BYTES):
            return Refusal(
                "F-TOO-LARGE",
                f"共享字符串部件 {info.filename} 声明的字符串数量（{int(count.group(1))}）"
                "与部件大小不符（可能是伪造的文件），拒绝读取",
            )
    return None


# -- the used range of a sheet -----------------------------------------------------------------------


class SheetScan:
    """What one pass over a sheet part found: where its content reaches, and what calamine does not say.

    calamine allocates a cell for every position between the first and the last cell that has content, so
    one value at XFD1048576 costs hundreds of GiB; it also reads an error cell (#DIV/0!) as blank and a
    formula without a saved result as blank. The reader needs those two only for a cell that is not a plain
    number, so the quick pass leaves them to be found in `source` on first use.
    """

    __slots__ = ("_errors", "_source", "_uncached", "far_cell", "far_col", "far_row")

    def __init__(
        self,
        far_cell: str = "",  # the first cell with content beyond the bounds ("" when none)
        far_row: int = 0,
        far_col: int = 0,
        errors: dict[str, str] | None = None,  # cell → Excel error text, e.g. {"D7": "#DIV/0!"}
        uncached_formulas: set[str] | None = None,  # cells with a formula and no saved result
        source: tuple[bytes, re.Pattern[bytes]] | None = None,  # (part, uncached-formula pattern) still to search
    ) -> None:
        self.far_cell, self.far_row, self.far_col = far_cell, far_row, far_col
        self._errors = errors if errors is not None or source else {}
        self._uncached = uncached_formulas if uncached_formulas is not None or source else set()
        self._source = source

    @property
    def errors(self) -> dict[str, str]:
        if self._errors is None:
            assert self._source is not None
            self._errors = _error_cells(self._source[0])
        return self._errors

    @property
    def uncached_formulas(self) -> set[str]:
        if self._uncached is None:
            assert self._source is not None
            self._uncached = _uncached_formulas(*self._source)
        return self._uncached

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SheetScan):
            return NotImplemented
        return (self.far_cell, self.far_row, self.far_col, self.errors, self.uncached_formulas) == (
            other.far_cell,
            other.far_row,
            other.far_col,
            other.errors,
            other.uncached_formulas,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SheetScan(far_cell={self.far_cell!r}, errors={self.errors!r}, uncached={self.uncached_formulas!r})"


def column_letters(col: int) -> str:
    letters = ""
    while col > 0:
        col, rest = divmod(col - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# The precise pass: a <row> or <c> start tag with well-formed attributes (a quoted value may hold ">"); any
# other spelling of such a tag is refused, so no cell can hide from the scan.
_ATTRS = rb"""(?:\s+[^\s=>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*"""
_TAG = re.compile(rb"<(?P<prefix>[A-Za-z_][\w.-]*:)?(?P<name>row|c)(?P<attrs>" + _ATTRS + rb")\s*(?P<empty>/?)>")
_LOOSE_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:row|c)[\s/>]")
_ATTR = re.compile(rb"""([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF = re.compile(rb"([A-Za-z]{1,8})([0-9]{1,12})")
_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v(?:\s[^>]*)?>([^<]*)<")
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
_MAX_ERROR_TEXT = 32
# The quick pass, for files as every spreadsheet program writes them: `r` is the first attribute of every cell.
_FIRST_REF = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?c\s+r\s*=\s*["']([A-Za-z]{1,8})([0-9]{1,12})["']""")
_P = rb"(?:[A-Za-z_][\w.-]*:)?"
_ERROR_TYPE = re.compile(rb"""\st\s*=\s*["']e["']""")
# What every `_ERROR_TYPE` match contains, found in one pass that starts at a literal "=" (faster than
# `_ERROR_TYPE`, whose leading whitespace class is tried everywhere, and than two substring searches).
_MAYBE_ERROR_TYPE = re.compile(rb"""=\s*["']e["']""")
_ERROR_CELL = re.compile(
    rb"<" + _P + rb"""c\s+r\s*=\s*["']([A-Za-z]+[0-9]+)["'][^>]*?\st\s*=\s*["']e["'][^>]*>"""
    rb"(?:(?!</" + _P + rb"c>).)*?<" + _P + rb"v>([^<]*)<",
    re.DOTALL,
)
# A formula with no (or an empty) saved value, up to the end of its cell; the cell's tag is the one before it.
_UNCACHED_FORMULA = re.compile(
    rb"<" + _P + rb"f\b[^>]*(?:/>|>[^<]*</" + _P + rb"f>)\s*"
    rb"(?:<" + _P + rb"v\s*/>|<" + _P + rb"v>\s*</" + _P + rb"v>)?\s*</" + _P + rb"c>"
)


class _BadSheet(Exception):
    pass


def _attrs(raw: bytes) -> dict[bytes, bytes]:
    out = {}
    for name, double, single in _ATTR.findall(raw):
        value = double or single
        if b"&" in value and name in (b"r", b"t"):  # an escaped address could mean anything to another parser
            raise _BadSheet(f"属性 {value[:20].decode('utf-8', 'replace')}")
        out[name] = value
    return out


def _ref(ref: bytes) -> tuple[int, int]:
    match = _REF.fullmatch(ref.strip())
    if not match:
        raise _BadSheet(f"单元格地址 {ref[:20].decode('utf-8', 'replace')}")
    col = 0
    for letter in match.group(1).upper():
        col = col * 26 + letter - ord("A") + 1
    return int(match.group(2)), col


def _greater(bound: str, alphabet: str) -> str:
    """A pattern for the strings over an ordered alphabet that sort after `bound`: longer ones, or as long
    and greater at the first difference (how row numbers and bijective base-26 column letters compare)."""
    longer = f"[{alphabet}]{{{len(bound) + 1},}}"
    same = [
        f"{re.escape(bound[:i])}[{''.join(c for c in alphabet if c > ch)}][{alphabet}]{{{len(bound) - i - 1}}}"
        for i, ch in enumerate(bound)
        if ch != alphabet[-1]
    ]
    return "|".join([longer, *same])


def _far_ref(max_rows: int, max_cols: int) -> bytes:
    """A pattern for a cell reference beyond the bounds (letters in either case, inside `(?i:…)`)."""
    letters, digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"
    far_col = _greater(column_letters(max_cols), letters)
    far_row = _greater(str(max_rows), digits)
    return f"(?:(?:{far_col})[0-9]+|[A-Z]+(?:{far_row}))".encode()


@functools.lru_cache(maxsize=16)
def _far_cell_pattern(max_rows: int, max_cols: int) -> re.Pattern[bytes]:
    """A cell start tag whose leading reference lies beyond the bounds (letters in either case)."""
    return re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s+r\s*=\s*[\"'](?i:" + _far_ref(max_rows, max_cols) + rb")[\"']")


# Without namespace prefixes on the elements the quick patterns look at (c, f, v, as Excel, WPS, LibreOffice and
# openpyxl write sheets), their optional prefix can only match empty: the same searches then run on patterns
# that start with a literal `<c` or `<f`, which the regex engine finds much faster (~2x on a sheet of the form).
# Every prefixed match of those patterns holds `:c` or `:v` before a space, "/" or ">", or `:f` before a
# non-word byte (`\b`); this search starts at a literal ":", so it costs a third of one for any prefixed tag.
_PREFIXED_ELEMENT = re.compile(rb":(?:[cv][\s/>]|f(?!\w))")


def _not_greater(bound: str, alphabet: str) -> str:
    """A pattern for the non-empty strings over an ordered alphabet that do not sort after `bound` (the
    complement of `_greater`): shorter ones, or as long and not greater at the first difference."""
    shorter = [f"[{alphabet}]{{1,{len(bound) - 1}}}"] if len(bound) > 1 else []
    same = [
        f"{re.escape(bound[:i])}[{''.join(c for c in alphabet if c < ch)}][{alphabet}]{{{len(bound) - i - 1}}}"
        for i, ch in enumerate(bound)
        if ch != alphabet[0]
    ]
    return "|".join([*shorter, *same, re.escape(bound)])


@functools.lru_cache(maxsize=16)
def _odd_cell_pattern(max_rows: int, max_cols: int) -> re.Pattern[bytes]:
    """Without prefixes: `_CELL_WITHOUT_REF` or `_far_cell_pattern`, in one pass: a cell tag that does not
    begin with a plain reference within the bounds (one look-ahead per cell)."""
    letters, digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"
    near_col = _not_greater(column_letters(max_cols), letters)
    near_row = _not_greater(str(max_rows), digits)
    return re.compile(f"""<c(?!\\s+r\\s*=\\s*["'](?i:{near_col})(?:{near_row})["'])[\\s/>]""".encode())


_UNCACHED_FORMULA_UNPREFIXED = re.compile(rb"<f\b[^>]*(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>")


# A cell start tag that does not begin with a plain reference (no `r`, or an odd one): the precise pass decides.
_CELL_WITHOUT_REF = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?c(?!\s+r\s*=\s*["'][A-Za-z]{1,8}[0-9]{1,12}["'])[\s/>]""")


def _quick_scan(xml: bytes, max_rows: int, max_cols: int) -> SheetScan | None:
    """Two searches over the part, no Python loop per cell; None when a cell lacks a leading `r` or one lies
    beyond the bounds (it may be formatting only): the precise pass decides.
    """
    if _PREFIXED_ELEMENT.search(xml):
        return _quick_scan_any_prefix(xml, max_rows, max_cols)
    if _odd_cell_pattern(max_rows, max_cols).search(xml):
        return None
    return _errors_and_formulas(xml, _UNCACHED_FORMULA_UNPREFIXED)


def _quick_scan_any_prefix(xml: bytes, max_rows: int, max_cols: int) -> SheetScan | None:
    """`_quick_scan` for tags of any namespace prefix (the slower, general patterns)."""
    if _CELL_WITHOUT_REF.search(xml) or _far_cell_pattern(max_rows, max_cols).search(xml):
        return None
    return _errors_and_formulas(xml, _UNCACHED_FORMULA)


def _errors_and_formulas(xml: bytes, uncached: re.Pattern[bytes]) -> SheetScan:
    return SheetScan(source=(xml, uncached))


def _error_cells(xml: bytes) -> dict[str, str]:
    if not (_MAYBE_ERROR_TYPE.search(xml) and _ERROR_TYPE.search(xml)):
        return {}
    return {
        ref.upper().decode(): text.strip()[:_MAX_ERROR_TEXT].decode("utf-8", "replace")
        for ref, text in _ERROR_CELL.findall(xml)
        if text.strip()
    }


def _uncached_formulas(xml: bytes, uncached: re.Pattern[bytes]) -> set[str]:
    found = set()
    for formula in uncached.finditer(xml):
        cell = _FIRST_REF.match(xml, xml.rfind(b"<", 0, formula.start()))
        if cell:
            found.add((cell.group(1) + cell.group(2)).upper().decode())
    return found


def _scan_cells(xml: bytes, max_rows: int, max_cols: int) -> SheetScan:
    """Follow calamine's positions: a row or a cell without `r` comes right after the previous one."""
    scan = SheetScan()
    if len(_LOOSE_TAG.findall(xml)) != len(_TAG.findall(xml)):
        raise _BadSheet("行或单元格的标记写法不规范")
    row = col = 0
    for tag in _TAG.finditer(xml):
        attrs = _attrs(tag.group("attrs"))
        if tag.group("name") == b"row":
            r = attrs.get(b"r", b"").strip()
            if (r and not r.isdigit()) or len(r) > 12:
                raise _BadSheet(f"行号 {r[:20].decode('utf-8', 'replace')}")
            row, col = (int(r) if r else row + 1), 0
            continue
        cell_row, col = _ref(attrs[b"r"]) if b"r" in attrs else (row, col + 1)
        if tag.group("empty"):
            continue  # <c r="Z9" s="3"/>: formatting only, calamine keeps no cell for it
        close = b"</" + (tag.group("prefix") or b"") + b"c>"
        end = xml.find(close, tag.end())
        content = xml[tag.end() : end if end >= 0 else len(xml)]
        if not content.strip():
            continue
        if cell_row > max_rows or col > max_cols:
            scan.far_cell, scan.far_row, scan.far_col = f"{column_letters(col)}{cell_row}", cell_row, col
            return scan
        _note_cell(scan, f"{column_letters(col)}{cell_row}", attrs.get(b"t", b""), content)
    return scan


def _note_cell(scan: SheetScan, address: str, kind: bytes, content: bytes) -> None:
    value = _VALUE.search(content)
    text = value.group(1).strip() if value else b""
    if kind == b"e" and text:
        scan.errors[address] = text[:_MAX_ERROR_TEXT].decode("utf-8", "replace")
    elif not text and _FORMULA.search(content):
        scan.uncached_formulas.add(address)


def scan_sheet(
    zf: zipfile.ZipFile, part: str, max_rows: int, max_cols: int, parts: Parts | None = None
) -> SheetScan | Refusal:
    """One pass over a sheet part (at most MAX_READ_PART_BYTES of it), stopping at the first far cell.

    The `<dimension>` element is not consulted: it is written by the program that saved the file and can
    claim anything (WPS writes A1:A1); calamine sizes the range from the cells themselves, and so does this.
    With `parts`, the part is inflated into it (once, for calamine too).
    """
    try:
        info = zf.getinfo(part)
        if parts is not None:
            xml = parts.read(part)
        else:
            with zf.open(info) as stream:
                xml = stream.read(MAX_READ_PART_BYTES + 1)
    except KeyError:
        return Refusal("F-CORRUPT", f"文件内部缺少工作表部件 {part}，无法读取，请重新保存后再发送")
    except _ZIP_ERRORS:
        return damaged(info)
    if len(xml) > MAX_READ_PART_BYTES:
        return part_too_large(info)
    # `refuse_dtds` has looked at the prolog of every XML part, the only place a DTD can be; others are searched.
    if not part.lower().endswith(_XML_SUFFIXES) and (b"<!DOCTYPE" in xml or b"<!ENTITY" in xml):
        return Refusal("F-UNSAFE", f"部件 {part} 含有 XML 文档类型或实体声明（可用于“实体炸弹”等攻击），拒绝读取")
    try:
        return _quick_scan(xml, max_rows, max_cols) or _scan_cells(xml, max_rows, max_cols)
    except _BadSheet as exc:
        return Refusal(
            "F-CORRUPT", f"工作表部件 {part} 的内容已损坏（{exc}），无法读取，请在 Excel/WPS 中打开并重新保存后再发送"
        )


# -- Word documents (published reports) -------------------------------------------------------------

# A published report is text and three tables, ~30-300 KB; a scanned seal or photos make a few MB.
MAX_DOCX_BYTES = 64 * 1024 * 1024
MAX_DOCX_PART_BYTES = 64 * 1024 * 1024  # any part, uncompressed (an embedded image)
MAX_DOCX_XML_BYTES = 16 * 1024 * 1024  # an XML part python-docx parses into a tree
MAX_DOCX_TOTAL_BYTES = 160 * 1024 * 1024


def check_docx(data: bytes) -> Refusal | None:
    """The workbook guards for a .docx: magic bytes, zip directory, sizes, compression ratio, DTDs.

    python-docx reads every part through zipfile, which stops at the declared size (and fails the CRC
    check if the data goes on), so the declared sizes bound what it can decompress.
    """
    if len(data) > MAX_DOCX_BYTES:
        return Refusal("IM-1", f"文件大小 {len(data) // 1024 // 1024} MB，远超正常的年报文件，拒绝读取")
    if not data.startswith(ZIP_MAGIC):
        return Refusal("IM-1", "不是 Word（.docx）文件（文件已损坏，或只是改了扩展名）")
    zf = open_zip(data)
    if isinstance(zf, Refusal):
        return Refusal("IM-1", "文件已损坏或不完整，无法作为 Word（.docx）文件打开")
    names = set(zf.namelist())
    if "[Content_Types].xml" not in names or "word/document.xml" not in names:
        return Refusal("IM-1", "压缩包中没有 Word 文档结构，不是 .docx 文件")
    return _docx_sizes(zf) or _as_import_refusal(refuse_dtds(zf, data))


def _docx_sizes(zf: zipfile.ZipFile) -> Refusal | None:
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        return Refusal("IM-1", f"文件内部包含 {len(infos)} 个部件，远超正常的年报文件，拒绝读取")
    total = 0
    for info in infos:
        total += info.file_size
        is_xml = info.filename.lower().endswith(_XML_SUFFIXES)
        if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            return Refusal("IM-1", f"部件 {info.filename} 的压缩比异常（疑似压缩炸弹），拒绝读取")
        if info.file_size > (MAX_DOCX_XML_BYTES if is_xml else MAX_DOCX_PART_BYTES):
            return Refusal(
                "IM-1", f"部件 {info.filename} 解压后 {info.file_size // 1024 // 1024} MB，大小不合理，拒绝读取"
            )
        if total > MAX_DOCX_TOTAL_BYTES:
            return Refusal("IM-1", "文件解压后大小超出合理范围（可能是压缩炸弹），拒绝读取")
    return None


def _as_import_refusal(refusal: Refusal | None) -> Refusal | None:
    return Refusal("IM-1", refusal.message) if refusal else None
