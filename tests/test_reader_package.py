"""What calamine is given: the parts the guards inflated and scanned, and nothing the zip could say twice."""

from __future__ import annotations

import io
import pickle
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook
from test_merge_support import sheet_part, write_department, zero_values

from nianbao.checks import check_workbook
from nianbao.form import layout
from nianbao.reader import sniff
from nianbao.reader.sniff import _quick_scan, _quick_scan_any_prefix, stored_zip
from nianbao.reader.xlsx import _SHEETS_READ, _sheet_rows, read_workbook_bytes

KEY = "t3.new.natural_person"
SHEET = layout.location(KEY).sheet


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_department(tmp_path_factory.mktemp("good") / "good.xlsx", "区财政局", {**zero_values(), KEY: 5})


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in entries:
            zf.writestr(name, body)
    return out.getvalue()


def _with_count(sheet_xml: bytes, value: int) -> bytes:
    cell = layout.location(KEY).cell
    return re.sub(rb'(<c r="' + cell.encode() + rb'"[^>]*>)<v>[^<]*</v>', rb"\g<1><v>%d</v>" % value, sheet_xml)


def test_stored_package_reads_the_same_cells_as_the_original(good: Path) -> None:
    data = good.read_bytes()
    with zipfile.ZipFile(good) as zf:
        package = stored_zip([(i.filename, zf.read(i), i.CRC) for i in zf.infolist()])
        assert zipfile.ZipFile(io.BytesIO(package)).testzip() is None  # every CRC-32 carried over
    original, stored = (CalamineWorkbook.from_filelike(io.BytesIO(b)) for b in (data, package))
    assert stored.sheet_names == original.sheet_names
    for name in _SHEETS_READ:
        assert _sheet_rows(stored, name) == _sheet_rows(original, name)


def test_a_sheet_listed_twice_is_read_as_it_was_scanned(good: Path) -> None:
    """zipfile takes the last of two parts of one name; calamine is given that one only, whatever its own
    zip reader would have picked."""
    parts = _parts(good)
    part = sheet_part(good, SHEET)
    hidden = _with_count(parts[part], 999)
    assert hidden != parts[part]
    entries = [(part, hidden), *parts.items()]  # the unscanned copy first, the original last
    with pytest.warns(UserWarning):
        data = _zip(entries)
    read = read_workbook_bytes(data, "twice.xlsx")
    assert read.readable and read.inputs[KEY] == 5


def _record(data: bytes, signature: bytes, name_at: int, name: str) -> int:
    """The offset of the zip record (local header or directory entry) that names `name`."""
    at = data.find(signature)
    while data[at + name_at : at + name_at + len(name)] != name.encode():
        at = data.find(signature, at + 1)
        assert at >= 0
    return at


def _patch_local_name(data: bytes, name: str, other: str) -> bytes:
    at = _record(data, b"PK\x03\x04", 30, name) + 30
    return data[:at] + other.encode() + data[at + len(name) :]


def test_a_local_header_that_names_another_part_is_refused(good: Path) -> None:
    part = sheet_part(good, SHEET)
    other = part.replace("sheet", "shEet")
    data = _patch_local_name(good.read_bytes(), part, other)
    read = read_workbook_bytes(data, "header.xlsx")
    assert not read.readable
    assert [f.code for f in read.findings] == ["F-CORRUPT"] and part in read.findings[0].message


def test_a_sheet_whose_crc_does_not_match_is_refused(good: Path) -> None:
    """The reader checks the CRC-32 while inflating: calamine's zip reader stops at the end of the sheet's XML
    and never reaches the check at the end of the data."""
    part = sheet_part(good, SHEET)
    data = good.read_bytes()
    at = _record(data, b"PK\x01\x02", 46, part) + 16
    bad = data[:at] + struct.pack("<I", struct.unpack_from("<I", data, at)[0] ^ 1) + data[at + 4 :]
    read = read_workbook_bytes(bad, "crc.xlsx")
    assert [f.code for f in read.findings] == ["F-CORRUPT"] and part in read.findings[0].message
    assert not read.readable


def test_inflate_checks_what_zipfile_checks(good: Path) -> None:
    data = good.read_bytes()
    zf = zipfile.ZipFile(io.BytesIO(data))
    for info in zf.infolist():
        assert sniff.inflate(data, zf, info) == zf.read(info)
    info = zf.getinfo(sheet_part(good, SHEET))
    info.CRC ^= 1
    with pytest.raises(zipfile.BadZipFile):
        sniff.inflate(data, zf, info)
    info.CRC ^= 1
    info.file_size += 1
    with pytest.raises(EOFError):
        sniff.inflate(data, zf, info)
    assert len(sniff.inflate(data, zf, info, limit=100)) == 101  # bounded: the caller refuses it as too large


def test_doctype_in_a_sheet_part_not_named_xml_is_still_refused(good: Path, tmp_path: Path) -> None:
    """The prolog check covers the parts named .xml/.rels/.vml; any other sheet part is searched whole."""
    parts = _parts(good)
    part = sheet_part(good, SHEET)
    renamed = part.replace(".xml", ".dat")
    body = parts.pop(part)
    body = body.replace(b"<sheetData>", b"<sheetData><!DOCTYPE x [<!ENTITY a 'b'>]>", 1)
    rels = "xl/_rels/workbook.xml.rels"
    parts[rels] = parts[rels].replace(part.removeprefix("xl/").encode(), renamed.removeprefix("xl/").encode())
    parts[renamed] = body
    path = tmp_path / "dat.xlsx"
    path.write_bytes(_zip(list(parts.items())))
    read = check_workbook(path)
    assert [f.code for f in read.findings] == ["F-UNSAFE"] and not read.readable


def test_doctype_in_a_sheet_prolog_is_refused(good: Path, tmp_path: Path) -> None:
    parts = _parts(good)
    part = sheet_part(good, SHEET)
    parts[part] = re.sub(rb"^(<\?xml[^>]*\?>)?", rb"\g<1><!DOCTYPE worksheet [<!ENTITY a 'b'>]>", parts[part], count=1)
    path = tmp_path / "dtd.xlsx"
    path.write_bytes(_zip(list(parts.items())))
    read = check_workbook(path)
    assert [f.code for f in read.findings] == ["F-UNSAFE"] and part in read.findings[0].message


@pytest.mark.parametrize(
    "cell",
    [
        b'<x:c r="B2"><v>1</v></x:c>',
        b'<c r="B2"><v>1</v></x:c>',
        b'<c r="B2"><x:f>A1</x:f></c>',
        b'<c r="B2"><x:f/></c>',
        b'<c r="B2"><f>A1</f><x:v></x:v></c>',
        b'<c r="B2"><f>A1</f><x:v /></c>',
    ],
)
def test_a_prefixed_cell_formula_or_value_takes_the_general_path(cell: bytes) -> None:
    xml = b'<worksheet><sheetData><row r="2">' + cell + b"</row></sheetData></worksheet>"
    assert sniff._PREFIXED_ELEMENT.search(xml)
    assert _quick_scan(xml, 60, 12) == _quick_scan_any_prefix(xml, 60, 12)


def _old_odd_cell_pattern(max_rows: int, max_cols: int) -> re.Pattern[bytes]:
    """The odd-cell pattern as first written: no plain reference, or one beyond the bounds."""
    return re.compile(
        rb"""<c(?:(?!\s+r\s*=\s*["'][A-Za-z]{1,8}[0-9]{1,12}["'])[\s/>]|\s+r\s*=\s*["'](?i:"""
        + sniff._far_ref(max_rows, max_cols)
        + rb""")["'])"""
    )


_letters = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz", min_size=1, max_size=10)
_digits = st.text("0123456789", min_size=1, max_size=14)


@settings(max_examples=400, deadline=None)
@given(
    _letters,
    _digits,
    st.sampled_from([' r="{}"', " r='{}'", '  r = "{}"', ' s="1" r="{}"', "", "/", ">", "ols", ' r="{}" ']),
    st.integers(1, 2000),
    st.integers(1, 800),
)
def test_odd_cell_pattern_matches_as_first_written(
    letters: str, digits: str, form: str, max_rows: int, max_cols: int
) -> None:
    tag = ("<c" + form.format(letters + digits) + ">").encode()
    new = sniff._odd_cell_pattern(max_rows, max_cols).search(tag)
    old = _old_odd_cell_pattern(max_rows, max_cols).search(tag)
    assert (new is None) == (old is None), tag


def test_a_scan_finds_errors_and_formulas_only_when_asked() -> None:
    xml = b'<worksheet><sheetData><row r="1"><c r="B2"><f>A1</f><v></v></c><c r="C3" t="e"><v>#N/A</v></c>'
    scan = _quick_scan(xml + b"</row></sheetData></worksheet>", 60, 12)
    assert scan is not None and scan._errors is None and scan._uncached is None
    assert scan.errors == {"C3": "#N/A"} and scan.uncached_formulas == {"B2"}


def test_inflated_parts_match_zlib_for_a_stored_part(good: Path) -> None:
    """A part written without compression is read as it is."""
    parts = _parts(good)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for name, body in parts.items():
            zf.writestr(name, body)
    read = read_workbook_bytes(out.getvalue(), "stored.xlsx")
    assert read.readable and read.inputs[KEY] == 5


def test_damaged_deflate_data_in_a_sheet_is_refused(good: Path) -> None:
    """Garbage in the middle of a sheet's compressed data: whichever inflater runs, one F-CORRUPT naming it."""
    part = sheet_part(good, SHEET)
    data = good.read_bytes()
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo(part)
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    middle = start + info.compress_size // 2
    bad = data[:middle] + b"\xff" * 64 + data[middle + 64 :]
    read = read_workbook_bytes(bad, "deflate.xlsx")
    assert [f.code for f in read.findings] == ["F-CORRUPT"] and part in read.findings[0].message


@pytest.mark.parametrize("fast", [True, False])
def test_isal_and_zlib_inflate_alike(good: Path, fast: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not fast:
        monkeypatch.setattr(sniff, "_fast_decompressobj", zlib.decompressobj)
    data = good.read_bytes()
    zf = zipfile.ZipFile(io.BytesIO(data))
    for info in zf.infolist():
        assert sniff.inflate(data, zf, info) == zf.read(info)
    assert read_workbook_bytes(data, "good.xlsx").inputs[KEY] == 5


def test_a_read_crosses_processes_whole_and_small(good: Path, tmp_path: Path) -> None:
    """The usual dicts travel as their values alone; any other shape travels as it is."""
    full = check_workbook(good)
    partial = check_workbook(write_department(tmp_path / "p.xlsx", "区民政局", {**zero_values(), KEY: "abc"}))
    assert partial.invalid and KEY not in partial.inputs
    unread = read_workbook_bytes(b"not a workbook", "x.xlsx")
    for read in (full, partial, unread):
        again = pickle.loads(pickle.dumps(read, pickle.HIGHEST_PROTOCOL))
        assert again == read and list(again.values) == list(read.values) and list(again.inputs) == list(read.inputs)
    assert isinstance(full.__getstate__()["values"], tuple) and isinstance(partial.__getstate__()["inputs"], dict)
    assert len(pickle.dumps(full)) < 8000


def test_without_isal_the_reader_falls_back_to_zlib(good: Path) -> None:
    """Where isal is not installed (a machine it publishes no wheel for), reading works the same with zlib."""
    import json
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['isal'] = None\n"
        "from pathlib import Path\n"
        "from nianbao.checks import check_workbook\n"
        "from nianbao.reader import sniff\n"
        "import zlib\n"
        "assert sniff._crc32 is zlib.crc32\n"
        f"read = check_workbook(Path({str(good)!r}))\n"
        f"import json; print(json.dumps([read.inputs[{KEY!r}], [f.code for f in read.findings if f.is_error]]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    here = check_workbook(good)
    assert json.loads(done.stdout) == [here.inputs[KEY], [f.code for f in here.findings if f.is_error]]
