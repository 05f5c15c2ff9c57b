"""Broken and hostile files: each gives one clear finding naming the file, never a traceback.

Every bad kind is built here from a good workbook (or from scratch); nothing is committed as a binary.
"""

from __future__ import annotations

import io
import json
import random
import shutil
import struct
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_merge_support import digest, rewrite_zip, sheet_part, write_department, zero_values

from nianbao.checks import check_workbook
from nianbao.cli import main
from nianbao.form import layout
from nianbao.reader.sniff import OLE2_MAGIC


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_department(tmp_path_factory.mktemp("good") / "good.xlsx", "区财政局", zero_values())


def _ole(extra: bytes) -> bytes:
    """An OLE2 compound file header followed by directory bytes (enough for the sniffer)."""
    return OLE2_MAGIC + b"\x00" * 504 + extra + b"\x00" * 2048


def make_xls(good: Path, dst: Path) -> None:
    dst.write_bytes(_ole("Workbook".encode("utf-16-le")))


def make_encrypted(good: Path, dst: Path) -> None:
    dst.write_bytes(_ole("EncryptionInfo".encode("utf-16-le") + "EncryptedPackage".encode("utf-16-le")))


def make_csv(good: Path, dst: Path) -> None:
    dst.write_bytes("部门,数量\n区财政局,3\n".encode("gb18030"))


def make_docx(good: Path, dst: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    dst.write_bytes(buffer.getvalue())


def make_truncated(good: Path, dst: Path) -> None:
    data = good.read_bytes()
    dst.write_bytes(data[: len(data) // 2])


def make_empty(good: Path, dst: Path) -> None:
    dst.write_bytes(b"")


def make_zip_bomb(good: Path, dst: Path) -> None:
    """40 MB of one repeated byte compresses to ~40 KB: refused from the central directory alone."""
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout, zipfile.ZipFile(good) as zin:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        with zout.open("xl/media/bomb.bin", "w") as part:
            chunk = b"0" * (1024 * 1024)
            for _ in range(40):
                part.write(chunk)


def make_billion_laughs(good: Path, dst: Path) -> None:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY l0 "ha">{entities}]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&l9;</t></is></c></row></sheetData></worksheet>'
    )
    rewrite_zip(good, dst, replace={sheet_part(good, layout.SHEET_INSTRUCTIONS): xml.encode()})


def make_million_rows(good: Path, dst: Path) -> None:
    """A sheet with 1,000,000 rows (about 50 MB of XML, well compressed)."""
    part = sheet_part(good, layout.SHEET_INSTRUCTIONS)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout, zipfile.ZipFile(good) as zin:
        for info in zin.infolist():
            if info.filename != part:
                zout.writestr(info, zin.read(info))
        with zout.open(part, "w") as out:
            out.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            block = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (i, i) for i in range(1, 10_001))
            for _ in range(100):
                out.write(block)
            out.write(b"</sheetData></worksheet>")


def make_million_strings(good: Path, dst: Path) -> None:
    strings = b"".join(b"<si><t>%d</t></si>" % i for i in range(1_000_000))
    xml = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1000000" '
        b'uniqueCount="1000000">' + strings + b"</sst>"
    )
    rewrite_zip(good, dst, replace={"xl/sharedStrings.xml": xml})


def make_lying_sizes(good: Path, dst: Path) -> None:
    """A part whose directory entry claims 1 KB but which inflates to 400 KB (a forged zip bomb)."""
    name = "xl/worksheets/sheet99.xml"
    payload = b"<worksheet>" + random.Random(1).randbytes(200_000).hex().encode()  # barely compressible
    rewrite_zip(good, dst, add={name: payload})
    data = bytearray(dst.read_bytes())
    entry = data.rindex(b"PK\x01\x02", 0, data.rindex(name.encode()))
    struct.pack_into("<I", data, entry + 24, 1000)  # uncompressed size in the central directory
    dst.write_bytes(bytes(data))


def make_dtd_after_long_prolog(good: Path, dst: Path) -> None:
    comment = b"<!--" + b" " * 10_000 + b"-->"
    xml = b'<?xml version="1.0"?>' + comment + b'<!DOCTYPE x [<!ENTITY a "b">]><worksheet/>'
    rewrite_zip(good, dst, replace={"xl/workbook.xml": xml})


def make_no_content_types(good: Path, dst: Path) -> None:
    with zipfile.ZipFile(dst, "w") as zf:
        zf.writestr("data.txt", "not an office file")


BAD_KINDS: dict[str, tuple[str, Callable[[Path, Path], None], str, str]] = {
    # name: (file name, maker, expected code, a word the message must contain)
    "xls": ("旧表.xls", make_xls, "F-XLS", "另存为"),
    "et": ("旧表.et", make_xls, "F-XLS", "另存为"),
    "encrypted": ("加密.xlsx", make_encrypted, "F-ENCRYPTED", "密码"),
    "csv": ("表格.xlsx", make_csv, "F-NOT-XLSX", "文本"),
    "docx": ("报告.xlsx", make_docx, "F-NOT-XLSX", "Word"),
    "zip_without_office_parts": ("压缩包.xlsx", make_no_content_types, "F-NOT-XLSX", "不是"),
    "truncated": ("截断.xlsx", make_truncated, "F-CORRUPT", "损坏"),
    "empty": ("空文件.xlsx", make_empty, "F-CORRUPT", "空"),
    "zip_bomb": ("炸弹.xlsx", make_zip_bomb, "F-TOO-LARGE", "压缩"),
    "billion_laughs": ("实体.xlsx", make_billion_laughs, "F-UNSAFE", "实体"),
    "million_rows": ("百万行.xlsx", make_million_rows, "F-TOO-LARGE", "行数"),
    "million_strings": ("百万字符串.xlsx", make_million_strings, "F-TOO-LARGE", "字符串"),
    "lying_sizes": ("伪造大小.xlsx", make_lying_sizes, "F-CORRUPT", "损坏"),
    "dtd_after_long_prolog": ("长注释实体.xlsx", make_dtd_after_long_prolog, "F-UNSAFE", "实体"),
}


@pytest.fixture(scope="module")
def bad_folder(good: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad")
    for name, maker, _code, _word in BAD_KINDS.values():
        maker(good, folder / name)
    return folder


@pytest.mark.parametrize("kind", sorted(BAD_KINDS))
def test_bad_file_gives_one_clear_error_naming_it(bad_folder: Path, kind: str) -> None:
    name, _maker, code, word = BAD_KINDS[kind]
    path = bad_folder / name
    tracemalloc.start()
    read = check_workbook(path, name)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [(f.code, f.severity, f.file) for f in read.findings] == [(code, "error", name)]
    assert word in read.findings[0].message
    assert not read.readable
    assert peak < 16 * 1024 * 1024, "refused with bounded memory (nothing large decompressed)"


def test_cli_check_prints_one_line_per_bad_file_and_no_traceback(bad_folder: Path) -> None:
    before = digest(bad_folder)
    files = [str(bad_folder / name) for name, *_ in BAD_KINDS.values()]
    result = CliRunner().invoke(main, ["check", "--json", *files])
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)
    assert sorted(f["file"] for f in findings) == sorted(files)
    assert "Traceback" not in result.output
    human = CliRunner().invoke(main, ["check", *files])
    assert human.exit_code == 1 and "Traceback" not in human.output
    for name, *_ in BAD_KINDS.values():
        assert name in human.output
    assert digest(bad_folder) == before, "input files are never modified"


def test_check_of_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(tmp_path / "nope.xlsx")])
    assert result.exit_code == 2
    assert "找不到文件" in result.output


def test_check_of_a_clean_file_exits_zero(good: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.xlsx"
    shutil.copy(good, copy)
    result = CliRunner().invoke(main, ["check", str(copy)])
    assert result.exit_code == 0, result.output
    assert "通过" in result.output


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=12))
def test_damaged_bytes_never_raise(good: Path, tmp_path: Path, flips: list[tuple[float, int]]) -> None:
    data = bytearray(good.read_bytes())
    for where, byte in flips:
        data[int(where * len(data))] = byte
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data))
    read = check_workbook(path, "damaged.xlsx")  # must not raise, whatever the damage
    assert read.readable or [f.severity for f in read.findings] == ["error"]
    assert all(f.file == "damaged.xlsx" for f in read.findings)
