"""Bad input and bad places through the command line: a clear Chinese line naming the file, exit 1 or 2 (never 3),
no traceback, the input untouched and no partial output."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st
from report_helpers import zero_data

from nianbao import fileio
from nianbao.cli import main
from nianbao.fileio import LOCK_NAME, lock_folder
from nianbao.form import FORM
from nianbao.numbers import MAX_MAGNITUDE, NotANumber, to_decimal
from nianbao.workbook.template import Identity, write_filled

KEY = FORM.input_numeric_keys[0]
LONG = "长" * 100  # 300 bytes in UTF-8: longer than any file system allows for one name
symlinks = pytest.mark.skipif(os.name == "nt", reason="POSIX symbolic links")


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _assert_clean_failure(result: Result, *names: str, code: int | None = None) -> None:
    """Exit 1 or 2 (or exactly `code`), a Chinese message naming each of `names`, no traceback."""
    assert result.exit_code in ((code,) if code else (1, 2)), result.output
    assert "Traceback" not in result.output and "内部错误" not in result.output
    assert "Error:" not in result.output and "Invalid value" not in result.output  # click's English frame
    assert "错误" in result.output
    for name in names:
        assert name in result.output.replace("\n", ""), result.output


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _data_file(path: Path, replace: str | None = None) -> Path:
    """A renderable merged.json; `replace` is written, as raw JSON text, in place of KEY's value."""
    text = json.dumps(zero_data(), ensure_ascii=False, indent=1)
    if replace is not None:
        text = text.replace(f'"{KEY}": 0', f'"{KEY}": {replace}', 1)
    path.write_text(text, encoding="utf-8")
    return path


def _workbook_folder(folder: Path, *departments: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for department in departments:
        write_filled(folder / f"{department}.xlsx", Identity("测试街道", 2024, department), {})
    return folder


# -- 1. JSON that is not what nianbao can read ------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "says"),
    [
        (json.dumps(zero_data(), ensure_ascii=False).encode("gbk"), "不是 UTF-8 编码（可能是 GBK），请另存为 UTF-8"),
        (b"[" * 200_000 + b"]" * 200_000, "嵌套"),
        (b"{ not json", "不是有效的 JSON"),
    ],
)
def test_render_refuses_unreadable_json_with_one_line(tmp_path: Path, content: bytes, says: str) -> None:
    src = tmp_path / "汇总数据.json"
    src.write_bytes(content)
    result = _run("render", str(src), "--out", str(tmp_path / "r.docx"), "--date", "2025-01-08")
    _assert_clean_failure(result, "汇总数据.json", says, code=2)
    assert src.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["汇总数据.json"]


def test_render_refuses_a_huge_json_before_reading_it_all(tmp_path: Path) -> None:
    src = tmp_path / "huge.json"
    with src.open("wb") as fh:
        fh.truncate(fileio.MAX_JSON_BYTES + 1)
    result = _run("render", str(src), "--out", str(tmp_path / "r.docx"))
    _assert_clean_failure(result, "huge.json", "50 MB", code=2)
    assert not (tmp_path / "r.docx").exists()


def test_last_year_in_gbk_is_a_usage_error_before_any_output(tmp_path: Path) -> None:
    folder = _workbook_folder(tmp_path / "in", "甲科")
    last = tmp_path / "上年.json"
    last.write_bytes(json.dumps(zero_data(), ensure_ascii=False).encode("gbk"))
    result = _run("merge", str(folder), "--out", str(tmp_path / "out"), "--quiet", "--last-year", str(last))
    _assert_clean_failure(result, "上年数据", "上年.json", "GBK", code=2)
    assert not (tmp_path / "out").exists()


def test_explain_reads_merged_json_through_the_same_reader(tmp_path: Path) -> None:
    out = tmp_path / "汇总结果"
    out.mkdir()
    (out / "provenance.csv").write_text("key,department,file,sheet,cell,value\n", encoding="utf-8")
    (out / "merged.json").write_bytes('{"values": {}, "body": "大榭街道"}'.encode("gbk"))
    _assert_clean_failure(_run("explain", str(out), KEY), "merged.json", "GBK", code=2)


# -- 2. --out where nothing can be written ----------------------------------------------------------
def _command(name: str, tmp_path: Path, out: Path) -> list[str]:
    """`name` with valid other arguments and `out` as its --out."""
    data = _data_file(tmp_path / "merged.json")
    roster = tmp_path / "departments.csv"
    roster.write_text("部门\n甲科\n", encoding="utf-8")
    report = tmp_path / "report.txt"
    report.write_text("这不是年报。", encoding="utf-8")
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    return {
        "merge": ["merge", str(folder), "--quiet"],
        "build": ["build", str(folder)],
        "demo": ["demo"],
        "render": ["render", str(data), "--date", "2025-01-08"],
        "template": ["template"],
        "distribute": ["distribute", "--roster", str(roster), "--body", "测试街道", "--year", "2024"],
        "audit": ["audit", str(report)],
        "import": ["import", str(report)],
    }[name] + ["--out", str(out)]


FOLDER_OUTS = ["merge", "build", "demo", "distribute"]
FILE_OUTS = {"template": ".xlsx", "audit": ".xlsx", "import": ".json", "render": ".docx"}
ALL = FOLDER_OUTS + list(FILE_OUTS)


def _out_name(command: str) -> str:
    return "结果" + FILE_OUTS.get(command, "")


@pytest.mark.parametrize("command", ALL)
def test_out_under_a_file(tmp_path: Path, command: str) -> None:
    blocker = tmp_path / "占位.txt"
    blocker.write_text("keep", encoding="utf-8")
    args = _command(command, tmp_path, blocker / _out_name(command))
    before = _files(tmp_path)
    _assert_clean_failure(_run(*args), "占位.txt", "是文件而不是文件夹", code=2)
    assert _files(tmp_path) == before


@pytest.mark.parametrize("command", ALL)
def test_out_with_a_name_too_long(tmp_path: Path, command: str) -> None:
    args = _command(command, tmp_path, tmp_path / (LONG + FILE_OUTS.get(command, "")))
    before = _files(tmp_path)
    _assert_clean_failure(_run(*args), "名称太长", code=2)
    assert _files(tmp_path) == before


@pytest.mark.parametrize("command", FOLDER_OUTS)
def test_out_is_a_file_where_a_folder_is_wanted(tmp_path: Path, command: str) -> None:
    blocker = tmp_path / "汇总结果"
    blocker.write_text("keep", encoding="utf-8")
    args = _command(command, tmp_path, blocker)
    before = _files(tmp_path)
    _assert_clean_failure(_run(*args), "汇总结果", "是一个已有的文件，这里要的是文件夹", code=2)
    assert _files(tmp_path) == before


@pytest.mark.parametrize("command", ["template", "audit", "import"])
def test_out_is_a_folder_where_a_file_is_wanted(tmp_path: Path, command: str) -> None:
    folder = tmp_path / ("结果" + FILE_OUTS[command])
    folder.mkdir()
    args = _command(command, tmp_path, folder)
    _assert_clean_failure(_run(*args), folder.name, "是一个已有的文件夹", code=2)
    assert list(folder.iterdir()) == []


@pytest.fixture
def read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder nobody may write into. Root writes anywhere, so there the OS check is made to say no."""
    folder = tmp_path / "只读"
    folder.mkdir()
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):
        real_access = os.access
        monkeypatch.setattr(
            os,
            "access",
            lambda p, mode, **kw: False if Path(p) == folder and mode & os.W_OK else real_access(p, mode, **kw),
        )
    yield folder
    folder.chmod(0o755)


@pytest.mark.parametrize("command", ALL)
def test_out_in_a_read_only_folder(tmp_path: Path, read_only: Path, command: str) -> None:
    args = _command(command, tmp_path, read_only / _out_name(command))
    _assert_clean_failure(_run(*args), "只读", "没有写入权限", code=2)
    assert list(read_only.iterdir()) == []


def test_a_write_that_fails_mid_run_is_named_not_an_internal_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk that fills (or a folder made read-only) after the checks: still one Chinese line, exit 1."""

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileio.os, "replace", full)
    out = tmp_path / "t.xlsx"
    _assert_clean_failure(_run("template", "--out", str(out)), "t.xlsx", "磁盘空间不足", code=1)
    assert list(tmp_path.iterdir()) == []


# -- 3. one run per output folder -------------------------------------------------------------------
_HOLDER = """
import sys
from nianbao.fileio import lock_folder
with lock_folder(sys.argv[1]):
    print("locked", flush=True)
    sys.stdin.read()
"""


def _nianbao(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from nianbao.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "300"},
    )


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """Another process holding tmp_path/汇总结果, as a merge in progress does."""
    out = tmp_path / "汇总结果"
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    yield out, proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)


def test_a_second_merge_into_a_held_folder_stops_at_once(
    tmp_path: Path, holder: tuple[Path, subprocess.Popen[str]]
) -> None:
    out, proc = holder
    folder = _workbook_folder(tmp_path / "in", "甲科")
    busy = _nianbao("merge", str(folder), "--out", str(out), "--quiet")
    assert busy.returncode == 1, busy.stderr
    message = busy.stderr.replace("\n", "")
    assert "另一个 nianbao 程序正在写入文件夹" in message and str(out) in message and f"进程 {proc.pid}" in message
    assert "Traceback" not in message
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]  # nothing of the second run was written
    # The lock dies with its process, however it ends: no stale lock to clear by hand.
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    done = _nianbao("merge", str(folder), "--out", str(out), "--quiet")
    assert "另一个 nianbao" not in done.stderr and done.returncode in (0, 1), done.stderr
    assert (out / "merged.json").is_file() and not (out / LOCK_NAME).exists()


@pytest.mark.parametrize("command", ["build", "demo", "render"])
def test_build_demo_and_batch_render_hold_their_folder(tmp_path: Path, command: str) -> None:
    out = tmp_path / "汇总结果"
    args = _command(command, tmp_path, out)
    if command == "render":  # a folder output only when there are several reports
        second = shutil.copy(args[1], tmp_path / "second.json")
        args.insert(2, str(second))
    with lock_folder(out):
        result = _run(*args)
    _assert_clean_failure(result, "另一个 nianbao 程序正在写入文件夹", "汇总结果", code=1)
    assert not out.exists()  # the holder made it and wrote nothing


def test_a_single_render_to_a_file_takes_no_lock(tmp_path: Path) -> None:
    with lock_folder(tmp_path / "elsewhere"):
        result = _run(
            "render", str(_data_file(tmp_path / "m.json")), "--out", str(tmp_path / "r.docx"), "--date", "2025-01-08"
        )
    assert "另一个 nianbao" not in result.output


def test_two_real_merges_at_once_never_interleave(tmp_path: Path) -> None:
    folder = _workbook_folder(tmp_path / "in", "甲科", "乙科")
    out = tmp_path / "汇总结果"
    cmd = [
        sys.executable,
        "-c",
        "from nianbao.cli import main; main()",
        "merge",
        str(folder),
        "--out",
        str(out),
        "--quiet",
    ]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
    for code, stderr in outcomes:
        assert code in (0, 1) and "Traceback" not in stderr, stderr
    busy = [stderr for _code, stderr in outcomes if "另一个 nianbao" in stderr]
    assert len(busy) <= 1  # at most one is turned away; the other (or both, one after the other) finish
    assert json.loads((out / "merged.json").read_text(encoding="utf-8"))["values"]
    assert not (out / LOCK_NAME).exists()


# -- 4. numbers that are not finite -----------------------------------------------------------------
@pytest.mark.parametrize("token", ["1e400", "NaN", "Infinity", "-Infinity", "9" * 5000])
def test_render_refuses_non_finite_numbers_naming_the_key(tmp_path: Path, token: str) -> None:
    src = _data_file(tmp_path / "甲镇.json", token)
    before = src.read_bytes()
    result = _run("render", str(src), "--out", str(tmp_path / "r.docx"), "--date", "2025-01-08")
    _assert_clean_failure(result, KEY, "甲镇.json", "未生成报告", code=1)
    assert src.read_bytes() == before and not (tmp_path / "r.docx").exists()


def test_render_names_the_file_when_the_data_has_the_wrong_shape(tmp_path: Path) -> None:
    src = tmp_path / "乙镇.json"
    src.write_text(json.dumps({**zero_data(), "values": [1, 2]}, ensure_ascii=False), encoding="utf-8")
    result = _run("render", str(src), "--out", str(tmp_path / "r.docx"), "--date", "2025-01-08")
    _assert_clean_failure(result, "乙镇.json", "values", code=2)
    assert not (tmp_path / "r.docx").exists()


def test_last_year_with_infinity_is_refused_naming_the_key(tmp_path: Path) -> None:
    folder = _workbook_folder(tmp_path / "in", "甲科")
    last = _data_file(tmp_path / "last.json", "Infinity")
    result = _run("merge", str(folder), "--out", str(tmp_path / "out"), "--quiet", "--last-year", str(last))
    _assert_clean_failure(result, "last.json", KEY, code=2)
    assert not (tmp_path / "out").exists()


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_the_number_parser_keeps_every_finite_value_below_the_bound(value: Decimal) -> None:
    if abs(value) < MAX_MAGNITUDE:
        assert to_decimal(value) == value and to_decimal(str(value)) == value
    else:
        with pytest.raises(NotANumber):
            to_decimal(value)


@pytest.mark.parametrize(
    "value",
    [
        float("nan"),
        float("inf"),
        -float("inf"),
        Decimal("NaN"),
        Decimal("-Infinity"),
        Decimal("1e400"),
        "Infinity",
        "nan",
        "1e15",
        True,
        None,
        [1],
    ],
)
def test_the_number_parser_refuses_what_is_not_a_finite_figure(value: object) -> None:
    with pytest.raises(NotANumber):
        to_decimal(value)


# -- 5. symbolic links in an input folder -----------------------------------------------------------
@symlinks
def test_merge_skips_a_link_out_of_the_folder_with_a_warning(tmp_path: Path) -> None:
    folder = _workbook_folder(tmp_path / "in", "甲科")
    outside = _workbook_folder(tmp_path / "elsewhere", "乙科")
    (folder / "乙科.xlsx").symlink_to(outside / "乙科.xlsx")
    (folder / "别处").symlink_to(outside, target_is_directory=True)
    result = _run("merge", str(folder), "--out", str(tmp_path / "out"), "--quiet", "--json")
    findings = json.loads(result.stdout)
    links = sorted(f["file"] for f in findings if f["code"] == "F-SYMLINK")
    assert links == ["乙科.xlsx", "别处"]
    assert all(f["severity"] == "warning" for f in findings if f["code"] == "F-SYMLINK")
    merged = json.loads((tmp_path / "out" / "merged.json").read_text(encoding="utf-8"))
    assert "乙科" not in json.dumps(merged, ensure_ascii=False).split('"findings"')[0]
    assert (outside / "乙科.xlsx").is_file()


@symlinks
def test_merge_reads_a_file_linked_inside_the_folder_once_and_never_loops(tmp_path: Path) -> None:
    folder = _workbook_folder(tmp_path / "in", "甲科")
    (folder / "副本.xlsx").symlink_to(folder / "甲科.xlsx")
    (folder / "sub").mkdir()
    (folder / "sub" / "上一层").symlink_to(folder, target_is_directory=True)
    (folder / "a").symlink_to(folder / "b")
    (folder / "b").symlink_to(folder / "a")
    done = _nianbao("merge", str(folder), "--out", str(tmp_path / "out"), "--quiet", "--json")  # timeout: no hang
    findings = json.loads(done.stdout)
    assert not [f for f in findings if f["code"] == "F-DUPLICATE"]
    assert sorted(f["file"] for f in findings if f["code"] == "F-SYMLINK") == ["a", "b", "sub/上一层"]  # the loops


@symlinks
def test_audit_skips_a_link_out_of_the_folder_with_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "本地.txt").write_text("这不是年报。", encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("这不是年报。", encoding="utf-8")
    (folder / "外面.txt").symlink_to(secret)
    result = _run("audit", str(folder), "--out", str(tmp_path / "审核结果.xlsx"))
    assert result.exit_code in (0, 1) and "Traceback" not in result.output
    output = result.output.replace("\n", "")
    assert "F-SYMLINK" in output and "外面.txt" in output


# -- small things a coordinator would otherwise trip over ----------------------------------------------
def test_a_body_that_is_a_number_is_named_as_such(tmp_path: Path) -> None:
    data = zero_data()
    data["body"] = 2024
    source = tmp_path / "数字机关.json"
    source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = _run("render", str(source), "--out", str(tmp_path / "报告.docx"))
    _assert_clean_failure(result, "应为文字", code=2)
    assert "为空" not in result.output
    assert not (tmp_path / "报告.docx").exists()


def test_a_body_that_starts_with_dots_never_gives_a_hidden_file() -> None:
    from nianbao.report.render import report_filename

    assert report_filename("../../某街道", 2024).startswith("某街道")
    assert not report_filename("...", 2024).startswith(".")


def test_audit_out_must_be_an_xlsx(tmp_path: Path) -> None:
    from nianbao.report.render import render_report

    report = tmp_path / "报告.docx"
    render_report(zero_data(), report)
    result = _run("audit", str(report), "--out", str(tmp_path / "审核结果.txt"))
    _assert_clean_failure(result, ".xlsx", code=2)
    assert not (tmp_path / "审核结果.txt").exists()


def test_pdf_reading_stops_at_a_page_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nianbao.importer import pdf

    seen: list[list[str]] = []

    def fake_run(args: list[str], **_kw: object) -> subprocess.CompletedProcess[bytes]:
        seen.append(args)
        return subprocess.CompletedProcess(args, 0, b"text", b"")

    monkeypatch.setattr(pdf.shutil, "which", lambda _name: "pdftotext")
    monkeypatch.setattr(pdf.subprocess, "run", fake_run)
    pdf.pdf_text(tmp_path / "a.pdf")
    assert seen and seen[0][seen[0].index("-l") + 1] == str(pdf.MAX_PDF_PAGES)


def test_one_json_converter_keeps_whole_decimals_whole() -> None:
    from nianbao.numbers import jsonable

    data = {"a": Decimal("12"), "b": [Decimal("1.25"), (Decimal("3.0"),)], "c": "文字"}
    assert jsonable(data) == {"a": 12, "b": [1.25, [3]], "c": "文字"}
    assert isinstance(jsonable(Decimal("12")), int)
