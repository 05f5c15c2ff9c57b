"""Bounded reading: a far cell, a lying count, a dead reader or a bomb in a report is one file's finding.

Workbooks are built from a good one at the zip level (`rewrite_zip`); the files that would exhaust memory
without the guards are read in a child process under an address-space limit, so a regression fails the
test instead of taking the machine down.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.reports.reportgen import Report, make_docx, random_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_merge_support import (
    digest,
    rewrite_zip,
    sheet_part,
    write_department,
    zero_values,
)

from nianbao import merge, parallel
from nianbao.audit import audit_paths
from nianbao.checks import check_workbook
from nianbao.cli import main
from nianbao.findings import CODES
from nianbao.form import FORM, layout
from nianbao.importer.published import import_or_error
from nianbao.reader.sniff import column_letters
from nianbao.reader.values import EXCEL_ERRORS, Outcome, parse_value
from nianbao.reader.xlsx import ROW_MARGIN, _sheet_bounds

T2 = layout.TABLE_SHEETS["t2"]
MEMORY_LIMIT = 1024**3  # 1 GiB of address space: the far cell alone would ask for 512 GiB
TESTS = Path(__file__).parent


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_department(tmp_path_factory.mktemp("good") / "good.xlsx", "区财政局", zero_values())


def _sheet_xml(good: Path, sheet: str) -> bytes:
    with zipfile.ZipFile(good) as zf:
        return zf.read(sheet_part(good, sheet))


def with_rows(good: Path, dst: Path, sheet: str, rows: bytes) -> Path:
    """The good workbook with extra <row> elements appended to a sheet's data."""
    xml = _sheet_xml(good, sheet).replace(b"</sheetData>", rows + b"</sheetData>")
    return rewrite_zip(good, dst, replace={sheet_part(good, sheet): xml})


def with_cell(good: Path, dst: Path, key: str, cell_xml: str) -> Path:
    """The good workbook with the cell of a field replaced by raw cell XML (e.g. an error value)."""
    loc = layout.location(key)
    xml = _sheet_xml(good, loc.sheet).decode()
    pattern = re.compile(rf'<c r="{loc.cell}"[^>]*?(?:/>|>.*?</c>)')
    assert pattern.search(xml), "the template writes every input cell"
    xml = pattern.sub(cell_xml.replace("{cell}", loc.cell), xml, count=1)
    return rewrite_zip(good, dst, replace={sheet_part(good, loc.sheet): xml.encode()})


def far_workbook(good: Path, dst: Path) -> Path:
    return with_rows(good, dst, T2, b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')


def errors_of(read, code: str) -> list:
    return [f for f in read.findings if f.code == code]


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_limited(args: Sequence[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`nianbao ARGS` in a child process limited to 1 GiB of address space."""
    code = "import sys; from nianbao.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_memory,
        cwd=cwd,
        check=False,
    )


# -- the used range of a sheet -----------------------------------------------------------------------


def test_one_far_cell_is_refused_in_bounded_memory(good: Path, tmp_path: Path) -> None:
    far = far_workbook(good, tmp_path / "远处.xlsx")
    before = digest(tmp_path)
    done = run_limited(["check", "--json", str(far)])
    assert done.returncode == 1, done.stderr[-2000:]
    findings = json.loads(done.stdout)
    assert [(f["code"], f["severity"], f["sheet"], f["cell"]) for f in findings] == [
        ("F-TOO-LARGE", "error", T2, "XFD1048576")
    ]
    assert "XFD1048576" in findings[0]["message"] and findings[0]["file"] == str(far)
    assert digest(tmp_path) == before


def test_a_lying_dimension_neither_hides_nor_invents_a_far_cell(good: Path, tmp_path: Path) -> None:
    xml = _sheet_xml(good, T2)
    assert re.search(rb'<dimension ref="A1:[A-Z]+\d+"/>', xml)
    huge = re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1:XFD1048576"/>', xml)
    read = check_workbook(rewrite_zip(good, tmp_path / "大.xlsx", replace={sheet_part(good, T2): huge}))
    assert read.readable and not errors_of(read, "F-TOO-LARGE"), "calamine sizes the range from the cells"
    small = with_rows(good, tmp_path / "小.xlsx", T2, b'<row r="900"><c r="A900"><v>1</v></c></row>')
    read = check_workbook(small)  # the dimension still says A1:D21
    assert [(f.code, f.cell) for f in read.findings if f.is_error] == [("F-TOO-LARGE", "A900")]


def test_cells_without_addresses_are_counted_like_calamine(good: Path, tmp_path: Path) -> None:
    _rows, cols = _sheet_bounds(T2)
    wide = b'<row r="30">' + b"<c><v>1</v></c>" * (cols + 1) + b"</row>"
    read = check_workbook(with_rows(good, tmp_path / "宽.xlsx", T2, wide))
    assert [(f.code, f.cell) for f in read.findings if f.is_error] == [("F-TOO-LARGE", f"{column_letters(cols + 1)}30")]
    # a row without r follows the previous row
    rows = b'<row r="%d"/>' % (_rows - 1) + b"<row/><row><c><v>1</v></c></row>"
    read = check_workbook(with_rows(good, tmp_path / "长.xlsx", T2, rows))
    assert [(f.code, f.cell) for f in read.findings if f.is_error] == [("F-TOO-LARGE", f"A{_rows + 1}")]


def test_formatting_far_away_is_not_content(good: Path, tmp_path: Path) -> None:
    styled = b'<row r="1048576" ht="20" customHeight="1"><c r="XFD1048576" s="1"/></row>'
    read = check_workbook(with_rows(good, tmp_path / "格式.xlsx", T2, styled))
    assert read.readable and not [f for f in read.findings if f.is_error]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=st.integers(1, 1200), col=st.integers(1, 120))
def test_a_cell_is_refused_exactly_when_it_lies_beyond_the_bounds(
    good: Path, tmp_path: Path, row: int, col: int
) -> None:
    max_rows, max_cols = _sheet_bounds(T2)
    ref = f"{column_letters(col)}{row}".encode()
    if row <= 21:  # inside the table: keep the template's own rows intact
        row, ref = row + 400, f"{column_letters(col)}{row + 400}".encode()
    note = f'<row r="{row}"><c r="{ref.decode()}" t="inlineStr"><is><t>备注</t></is></c></row>'.encode()
    path = with_rows(good, tmp_path / "x.xlsx", T2, note)
    read = check_workbook(path)
    far = row > max_rows or col > max_cols
    assert bool(errors_of(read, "F-TOO-LARGE")) == far
    assert read.readable != far


def test_a_far_address_behind_another_attribute_is_found(good: Path, tmp_path: Path) -> None:
    hidden = b"""<row r="30"><c s='1 r="A30"' r="XFD30"><v>1</v></c></row>"""
    read = check_workbook(with_rows(good, tmp_path / "藏.xlsx", T2, hidden))
    assert [(f.code, f.cell) for f in read.findings if f.is_error] == [("F-TOO-LARGE", "XFD30")]


_CELLS = st.lists(
    st.tuples(
        st.one_of(st.none(), st.tuples(st.integers(1, 60), st.integers(1, 400))),  # (col, row), or no address
        st.sampled_from(["<v>1</v>", "<f>A1</f>", "<f>A1</f><v></v>", "<f>A1</f><v>2</v>", "<v>#N/A</v>", ""]),
        st.sampled_from(["", ' t="e"', ' s="2"']),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(cells=_CELLS)
def test_the_quick_pass_agrees_with_the_precise_one(cells: list) -> None:
    from nianbao.reader import sniff

    xml = "".join(
        f'<row r="{i + 1}"><c{f" r={chr(34)}{column_letters(ref[0])}{ref[1]}{chr(34)}" if ref else ""}{attr}>'
        f"{content}</c></row>"
        for i, (ref, content, attr) in enumerate(cells)
    ).encode()
    quick = sniff._quick_scan(xml, 300, 50)
    if quick is not None:
        assert quick == sniff._scan_cells(xml, 300, 50)


def test_the_bounds_come_from_the_layout_with_a_margin() -> None:
    for sheet in (layout.SHEET_COVER, *layout.TABLE_SHEETS.values(), layout.SHEET_TEXTS):
        rows, cols = _sheet_bounds(sheet)
        used = [loc for loc in layout.locations().values() if loc.sheet == sheet]
        assert rows >= max(loc.row for loc in used) + ROW_MARGIN
        assert max(loc.col for loc in used) < cols <= 60
        assert rows * cols < 50_000, "calamine's range for the largest accepted sheet stays around a megabyte"


def test_a_lying_shared_string_count_is_refused_before_calamine_reserves_it(good: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(good) as zf:
        types, rels = zf.read("[Content_Types].xml"), zf.read("xl/_rels/workbook.xml.rels")
    types = types.replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    rels = rels.replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    sst = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        b'uniqueCount="4000000000"><si><t>a</t></si></sst>'
    )
    path = rewrite_zip(
        good,
        tmp_path / "字符串.xlsx",
        replace={"[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": rels},
        add={"xl/sharedStrings.xml": sst},
    )
    done = run_limited(["check", "--json", str(path)])
    assert done.returncode == 1, done.stderr[-2000:]
    assert [f["code"] for f in json.loads(done.stdout)] == ["F-TOO-LARGE"]


# -- what calamine does not say -----------------------------------------------------------------------


@pytest.mark.parametrize("error", ["#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"])
def test_excel_error_values_are_their_own_error(good: Path, tmp_path: Path, error: str) -> None:
    key = "t2.penalty.decisions"
    path = with_cell(good, tmp_path / "错误值.xlsx", key, f'<c r="{{cell}}" t="e"><f>1/0</f><v>{error}</v></c>')
    read = check_workbook(path)
    found = errors_of(read, "V-EXCEL-ERROR")
    assert [(f.severity, f.sheet, f.cell, f.key, f.value) for f in found] == [
        ("error", layout.location(key).sheet, layout.location(key).cell, key, error)
    ]
    assert error in found[0].message and layout.location(key).cell in found[0].message
    assert not errors_of(read, "V-BLANK") or all(
        key not in (f.extra.get("cells") or [f.cell]) for f in errors_of(read, "V-BLANK")
    ), "not reported as blank"


def test_an_error_saved_as_a_string_result_is_an_excel_error(good: Path, tmp_path: Path) -> None:
    key = "t3.new.natural_person"
    path = with_cell(good, tmp_path / "字符串错误.xlsx", key, '<c r="{cell}" t="str"><f>A1/0</f><v>#REF!</v></c>')
    assert [f.value for f in errors_of(check_workbook(path), "V-EXCEL-ERROR")] == ["#REF!"]


@pytest.mark.parametrize("error", sorted(EXCEL_ERRORS))
def test_parse_value_knows_every_error_literal(error: str) -> None:
    field = FORM.by_key["t2.penalty.decisions"]
    assert parse_value(f" {error.lower()} ", field).outcome is Outcome.EXCEL_ERROR
    assert parse_value(error, field).value is None


def test_a_formula_without_a_saved_result_is_still_found_by_the_scan(good: Path, tmp_path: Path) -> None:
    key = "t4.suit_direct.pending"
    path = with_cell(good, tmp_path / "公式.xlsx", key, '<c r="{cell}"><f>SUM(A1:A2)</f></c>')
    assert [f.cell for f in errors_of(check_workbook(path), "V-FORMULA")] == [layout.location(key).cell]


# -- said out loud: extra sheets, macros, DOCTYPE ----------------------------------------------------


def test_an_extra_sheet_is_a_warning_naming_it_and_the_file_still_merges(good: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "多表.xlsx"
    shutil.copy(good, path)
    wb = load_workbook(path)
    wb.security = None
    wb.create_sheet("草稿")["A1"] = 99
    wb.save(path)
    read = check_workbook(path)
    extra = errors_of(read, "F-EXTRA-SHEET")
    assert [(f.severity, f.sheet) for f in extra] == [("warning", "草稿")]
    assert "草稿" in extra[0].message and "不会" in extra[0].message
    assert read.readable


def _with_vba(good: Path, dst: Path) -> Path:
    return rewrite_zip(good, dst, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\0" * 512})


def _macro_content_type(good: Path, dst: Path) -> Path:
    with zipfile.ZipFile(good) as zf:
        types = zf.read("[Content_Types].xml")
    types = types.replace(b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
    assert b"macroEnabled" in types
    return rewrite_zip(good, dst, replace={"[Content_Types].xml": types})


@pytest.mark.parametrize(
    "make",
    [
        lambda good, tmp: Path(shutil.copy(good, tmp / "宏.xlsm")),
        lambda good, tmp: _with_vba(good, tmp / "宏.xlsx"),
        lambda good, tmp: _macro_content_type(good, tmp / "宏类型.xlsx"),
    ],
    ids=["xlsm", "vbaProject", "content-type"],
)
def test_macros_are_refused_with_how_to_save_again(good: Path, tmp_path: Path, make) -> None:
    read = check_workbook(make(good, tmp_path))
    assert [(f.code, f.severity) for f in read.findings] == [("F-MACRO", "error")]
    assert ".xlsx" in read.findings[0].message and "宏" in read.findings[0].message
    assert not read.readable


@pytest.mark.parametrize("part", ["docProps/app.xml", "xl/theme/theme1.xml", "xl/worksheets/sheet1.xml"])
def test_a_doctype_in_any_part_is_refused_naming_it(good: Path, tmp_path: Path, part: str) -> None:
    with zipfile.ZipFile(good) as zf:
        xml = zf.read(part)
    body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
    doctype = b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://example.invalid/x.dtd">' + body
    read = check_workbook(rewrite_zip(good, tmp_path / "类型声明.xlsx", replace={part: doctype}))
    assert [f.code for f in read.findings] == ["F-UNSAFE"]
    assert part in read.findings[0].message and "DOCTYPE" in read.findings[0].message


def test_new_codes_are_registered() -> None:
    for code in ("F-MACRO", "F-READER-CRASH", "F-EXTRA-SHEET", "V-EXCEL-ERROR"):
        assert CODES[code]


# -- a reader that dies --------------------------------------------------------------------------------


def _folder(good: Path, folder: Path, n: int) -> list[str]:
    names = [f"部门{i}.xlsx" for i in range(n)]
    for name in names:
        shutil.copy(good, folder / name)
    return names


def crash_scenario(folder: str, victim: str, how: str, jobs: int) -> None:
    """Run in a child process: read a folder whose reader dies on one file; print what came back."""
    real = merge.check_workbook

    def reader(path: Path, name: str | None = None):
        if Path(path).name == victim:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if how == "abort":
                os.abort()
            if how == "exit":
                os._exit(134)
            raise RuntimeError("boom")
        return real(path, name)

    merge.check_workbook = reader  # forked workers inherit it; nothing in the package reads a hook
    merge._CHUNK_FILES = 2
    paths = sorted(Path(folder).glob("*.xlsx"))
    reads = merge.read_all(paths, Path(folder), jobs=jobs)
    print(
        json.dumps(
            [[r.file, r.readable, [f.code for f in r.findings if f.is_error]] for r in reads], ensure_ascii=False
        )
    )


def _run_scenario(folder: Path, victim: str, how: str, jobs: int) -> list[list]:
    code = f"import test_reader_bounds as t; t.crash_scenario({str(folder)!r}, {victim!r}, {how!r}, {jobs})"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=TESTS,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="需要 fork")
@pytest.mark.parametrize("how", ["abort", "exit"])
def test_a_dead_worker_is_one_files_finding_and_the_others_are_read(good: Path, tmp_path: Path, how: str) -> None:
    names = _folder(good, tmp_path, 7)
    victim = names[3]
    far_workbook(good, tmp_path / "远处.xlsx")
    reads = _run_scenario(tmp_path, victim, how, jobs=2)
    by_file = {file: (readable, codes) for file, readable, codes in reads}
    assert [file for file, *_ in reads] == sorted(p.name for p in tmp_path.glob("*.xlsx")), "original order"
    assert by_file[victim] == (False, ["F-READER-CRASH"])
    assert by_file["远处.xlsx"] == (False, ["F-TOO-LARGE"])
    assert all(by_file[n][0] for n in names if n != victim)


def test_an_exception_in_process_is_that_files_finding(good: Path, tmp_path: Path) -> None:
    names = _folder(good, tmp_path, 3)
    reads = _run_scenario(tmp_path, names[1], "raise", jobs=1)
    assert [(file, codes) for file, _readable, codes in reads] == [
        (names[0], []),
        (names[1], ["F-READER-CRASH"]),
        (names[2], []),
    ]


def test_merge_reports_a_failing_reader_with_exit_1_not_3(
    good: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "收到"
    folder.mkdir()
    _folder(good, folder, 2)
    real = merge.check_workbook
    monkeypatch.setattr(
        merge,
        "check_workbook",
        lambda path, name=None: (
            (_ for _ in ()).throw(MemoryError()) if Path(path).name == "部门0.xlsx" else real(path, name)
        ),
    )
    result = CliRunner().invoke(main, ["merge", str(folder), "--out", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 1, result.output
    crash = [f for f in json.loads(result.stdout) if f["code"] == "F-READER-CRASH"]
    assert [(f["file"], f["severity"]) for f in crash] == [("部门0.xlsx", "error")]
    assert "MemoryError" in crash[0]["message"]


def _die_on_three(chunk: Sequence[int]) -> list[int]:
    if 3 in chunk:
        os._exit(1)
    return [x * 10 for x in chunk]


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="需要 fork")
def test_run_chunked_isolates_the_item_that_kills_its_worker() -> None:
    seen: list[tuple[int, str]] = []

    def on_crash(item: int, reason: str) -> int:
        seen.append((item, reason))
        return -1

    out = parallel.run_chunked(_die_on_three, list(range(9)), jobs=2, chunk_size=4, on_crash=on_crash)
    assert out == [0, 10, 20, -1, 40, 50, 60, 70, 80]
    assert seen == [(3, "读取进程以退出码 1 结束")]


# -- published reports ---------------------------------------------------------------------------------


def _report(tmp_path: Path, name: str = "报告.docx") -> Path:
    return make_docx(tmp_path / name, Report("某某市人民政府", 2024, random_values(1)))


def _docx_bomb(src: Path, dst: Path) -> Path:
    """The report's own document.xml padded with 500 MB of spaces (about 500 KB compressed): python-docx
    parses that part whatever it holds."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != "word/document.xml":
                zout.writestr(info, zin.read(info))
        head, body = zin.read("word/document.xml").split(b"<w:body>", 1)
        with zout.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(head + b"<w:body>")
            chunk = b" " * (1024 * 1024)
            for _ in range(500):
                part.write(chunk)
            part.write(body)
    return dst


def test_a_docx_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    bomb = _docx_bomb(_report(tmp_path), tmp_path / "炸弹.docx")
    done = run_limited(["audit", str(bomb), "--json"])
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    result = import_or_error(bomb)
    assert [(p.code, p.severity, p.file) for p in result.problems] == [("IM-1", "error", "炸弹.docx")]
    assert "炸弹.docx" in result.problems[0].message and "压缩" in result.problems[0].message


def test_a_doctype_in_a_docx_part_is_refused_naming_it(tmp_path: Path) -> None:
    report = _report(tmp_path)
    with zipfile.ZipFile(report) as zf:
        xml = zf.read("word/document.xml")
    body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
    bad = rewrite_zip(
        report,
        tmp_path / "类型声明.docx",
        replace={"word/document.xml": b'<?xml version="1.0"?><!DOCTYPE w:document>' + body},
    )
    problems = import_or_error(bad).problems
    assert [p.code for p in problems] == ["IM-1"]
    assert "word/document.xml" in problems[0].message and "DOCTYPE" in problems[0].message


@pytest.mark.parametrize("name", ["巨大.txt", "巨大.html", "巨大.md", "巨大.pdf"])
def test_a_huge_text_report_is_refused_by_its_size_without_reading_it(tmp_path: Path, name: str) -> None:
    huge = tmp_path / name
    with huge.open("wb") as fh:  # sparse: 2 GB on paper, nothing on disk
        fh.write(b"%PDF-1.4\n" if name.endswith(".pdf") else "政府信息公开工作年度报告\n".encode())
        fh.truncate(2 * 1024**3)
    done = run_limited(["audit", str(huge), "--json"])
    assert done.returncode == 1, done.stderr[-2000:]
    problems = import_or_error(huge).problems
    assert [p.code for p in problems] == ["IM-1"]
    assert name in problems[0].message and "MB" in problems[0].message


def test_auditing_a_folder_goes_on_past_a_refused_report(tmp_path: Path) -> None:
    good_report = _report(tmp_path, "好.docx")
    _docx_bomb(good_report, tmp_path / "炸弹.docx")
    reports = audit_paths([tmp_path / "好.docx", tmp_path / "炸弹.docx"])
    assert [r.file for r in reports] == ["好.docx", "炸弹.docx"]
    assert reports[0].imported.complete
    assert [p.code for p in reports[1].imported.problems] == ["IM-1"]


def test_every_unreadable_report_is_named_in_its_answer(tmp_path: Path) -> None:
    garbage = tmp_path / "乱码.txt"
    garbage.write_bytes(bytes(range(128, 256)) * 8)
    problems = import_or_error(garbage).problems
    assert [p.code for p in problems] == ["IM-1"]
    assert problems[0].message.startswith("乱码.txt") and "编码" in problems[0].message


class PanicException(BaseException):
    """What pyo3 raises for a panic inside calamine: not an Exception."""


def test_a_panic_in_calamine_is_that_files_finding(good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nianbao.reader import xlsx

    def panic(*_args: object) -> None:
        raise PanicException("index out of bounds")

    monkeypatch.setattr(xlsx, "_read_book", panic)
    read = check_workbook(good, "慌.xlsx")
    assert [(f.code, f.file) for f in read.findings] == [("F-READER-CRASH", "慌.xlsx")]
    assert "PanicException" in read.findings[0].message and not read.readable


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("假报告.pdf", "宁波市某某局2024年政府信息公开工作年度报告"),
        ("假报告.docx", "<html><body>年度报告</body></html>"),
    ],
)
def test_a_report_whose_bytes_are_not_its_format_is_refused(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    problems = import_or_error(path).problems
    assert [p.code for p in problems] == ["IM-1"]
    assert problems[0].message.startswith(name) and "扩展名" in problems[0].message


@given(
    max_rows=st.integers(1, 5000),
    max_cols=st.integers(1, 1000),
    row=st.integers(1, 10**7),
    col=st.integers(1, 16384),
    lower=st.booleans(),
)
def test_far_cell_pattern_matches_exactly_the_cells_beyond_the_bounds(
    max_rows: int, max_cols: int, row: int, col: int, lower: bool
) -> None:
    from nianbao.reader.sniff import _far_cell_pattern, column_letters

    letters = column_letters(col).lower() if lower else column_letters(col)
    xml = f'<row r="{row}"><c r="{letters}{row}" s="1"><v>1</v></c></row>'.encode()
    assert bool(_far_cell_pattern(max_rows, max_cols).search(xml)) == (row > max_rows or col > max_cols)
