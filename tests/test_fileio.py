"""Files in and out: atomic outputs with ordinary permissions, bounded JSON, one run per folder, safe walks."""

from __future__ import annotations

import os
import stat
from decimal import Decimal
from pathlib import Path

import pytest

from nianbao.errors import UsageError
from nianbao.fileio import (
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    FolderBusy,
    OutputError,
    atomic_path,
    lock_folder,
    read_json,
    skipped_link_findings,
    walk_files,
    write_text_atomic,
)
from nianbao.findings import CODES


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "merged.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["merged.json"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_output_mode_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        # the mode is read once at import; compare with what a plain open() gives
        plain = tmp_path / "plain"
        plain.write_text("x", encoding="utf-8")
        write_text_atomic(tmp_path / "out.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.json").stat().st_mode) & 0o044 == 0o044


# -- atomic writes into a place that cannot hold them ----------------------------------------------
def test_atomic_write_under_a_file_is_a_chinese_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "报告.txt"
    blocker.write_text("keep", encoding="utf-8")
    with pytest.raises(OutputError, match=r"报告.txt"):
        write_text_atomic(blocker / "merged.json", "{}")
    assert blocker.read_text(encoding="utf-8") == "keep"


def test_atomic_write_of_a_name_too_long_leaves_no_temp(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="名称太长"):
        write_text_atomic(tmp_path / ("长" * 100 + ".json"), "{}")
    assert list(tmp_path.iterdir()) == []


# -- reading JSON ----------------------------------------------------------------------------------
def test_read_json_accepts_utf8_with_and_without_bom(tmp_path: Path) -> None:
    for name, prefix in (("plain.json", b""), ("bom.json", b"\xef\xbb\xbf")):
        (tmp_path / name).write_bytes(prefix + '{"body": "大榭街道"}'.encode())
        assert read_json(tmp_path / name) == {"body": "大榭街道"}


@pytest.mark.parametrize(("encoding", "says"), [("gbk", "可能是 GBK"), ("utf-16", "UTF-16")])
def test_read_json_refuses_other_encodings_naming_the_file(tmp_path: Path, encoding: str, says: str) -> None:
    path = tmp_path / "汇总.json"
    path.write_bytes('{"body": "大榭街道"}'.encode(encoding))
    with pytest.raises(UsageError, match=says) as info:
        read_json(path, what="上年数据 ")
    assert str(path) in str(info.value) and "上年数据" in str(info.value)


def test_read_json_keeps_amounts_exact_and_never_makes_floats(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text("[96171.6, 1e400, NaN, Infinity, -Infinity, 7, " + "9" * 5000 + "]", encoding="utf-8")
    data = read_json(path)
    assert not any(isinstance(v, float) for v in data)
    assert data[0] == Decimal("96171.6") and data[1] == Decimal("1e400") and data[5] == 7
    assert data[2].is_nan() and data[3] == Decimal("Infinity") and data[4] == Decimal("-Infinity")
    assert isinstance(data[6], Decimal)  # past Python's int-conversion limit, still one value, no error


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 200_000])
def test_read_json_bounds_the_nesting(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * depth + "]" * depth, encoding="utf-8")
    with pytest.raises(UsageError, match="嵌套"):
        read_json(path)
    ok = tmp_path / "ok.json"
    ok.write_text("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH, encoding="utf-8")
    assert read_json(ok) is not None


def test_read_json_bounds_the_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as fh:
        fh.truncate(MAX_JSON_BYTES + 1)  # sparse: cheap to make, and the reader never holds more than the bound
    with pytest.raises(UsageError, match="MB"):
        read_json(path)


# -- one run per output folder ---------------------------------------------------------------------
def test_a_held_folder_refuses_a_second_holder_with_pid_and_start(tmp_path: Path) -> None:
    out = tmp_path / "汇总结果"
    with lock_folder(out):
        with pytest.raises(FolderBusy, match=f"进程 {os.getpid()}") as info, lock_folder(out):
            pass  # pragma: no cover - never reached
        assert str(out) in str(info.value)
        (out / "merged.json").write_text("{}", encoding="utf-8")
    assert [p.name for p in out.iterdir()] == ["merged.json"]  # the lock file goes with the run
    with lock_folder(out):  # and the folder can be held again
        pass


def test_a_run_that_wrote_nothing_leaves_no_folder(tmp_path: Path) -> None:
    out = tmp_path / "new"
    with pytest.raises(RuntimeError), lock_folder(out):
        raise RuntimeError("input was bad")
    assert not out.exists()
    existing = tmp_path / "existing"
    existing.mkdir()
    with lock_folder(existing):
        pass
    assert existing.is_dir()  # a folder the user made stays


def test_lock_folder_on_a_file_is_an_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("keep", encoding="utf-8")
    with pytest.raises(OutputError, match="已有同名的文件"), lock_folder(blocker):
        pass  # pragma: no cover
    assert blocker.read_text(encoding="utf-8") == "keep"


# -- walking a folder with links -------------------------------------------------------------------
symlinks = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX symbolic links")


@symlinks
def test_walk_skips_links_out_of_the_folder_and_never_loops(tmp_path: Path) -> None:
    root, outside = tmp_path / "in", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (root / "a.xlsx").write_bytes(b"a")
    (outside / "secret.xlsx").write_bytes(b"s")
    (root / "out.xlsx").symlink_to(outside / "secret.xlsx")
    (root / "outdir").symlink_to(outside, target_is_directory=True)
    (root / "sub" / "up").symlink_to(root, target_is_directory=True)  # a loop back to the top
    (root / "x").symlink_to(root / "y")
    (root / "y").symlink_to(root / "x")  # a loop of two links
    (root / "gone.xlsx").symlink_to(tmp_path / "missing.xlsx")
    files, skipped = walk_files(root)
    assert files == [root / "a.xlsx"]
    assert {(s.path.name, s.reason) for s in skipped} == {
        ("out.xlsx", "outside"),
        ("outdir", "outside"),
        ("up", "loop"),
        ("x", "broken"),
        ("y", "broken"),
        ("gone.xlsx", "broken"),
    }
    (finding, *_rest) = skipped_link_findings(skipped, root)
    assert finding.code in CODES and finding.severity == "warning" and finding.file in finding.message


@symlinks
def test_walk_reads_a_file_once_however_many_links_reach_it(tmp_path: Path) -> None:
    root = tmp_path / "in"
    (root / "real").mkdir(parents=True)
    (root / "real" / "a.xlsx").write_bytes(b"a")
    (root / "alias.xlsx").symlink_to(root / "real" / "a.xlsx")
    (root / "alias2.xlsx").symlink_to("real/a.xlsx")
    (root / "only-link").mkdir()
    (root / "real" / "b.xlsx").write_bytes(b"b")
    (root / "only-link" / "b.xlsx").symlink_to(root / "real" / "b.xlsx")
    files, skipped = walk_files(root)
    assert files == [root / "real" / "a.xlsx", root / "real" / "b.xlsx"] and skipped == []


@symlinks
def test_walk_leaves_out_excluded_folders_and_files_and_links_into_them(tmp_path: Path) -> None:
    root = tmp_path / "in"
    (root / "汇总结果").mkdir(parents=True)
    (root / "a.xlsx").write_bytes(b"a")
    (root / "名单.csv").write_text("部门\n", encoding="utf-8")
    (root / "汇总结果" / "old.xlsx").write_bytes(b"o")
    (root / "alias.xlsx").symlink_to(root / "汇总结果" / "old.xlsx")
    files, skipped = walk_files(root, [root / "汇总结果", root / "名单.csv"])
    assert files == [root / "a.xlsx"] and skipped == []
    # Exclusions compare real paths: the same folder named through a link is excluded too.
    (tmp_path / "via").symlink_to(root, target_is_directory=True)
    assert walk_files(root, [tmp_path / "via" / "汇总结果", tmp_path / "via" / "名单.csv"])[0] == [root / "a.xlsx"]
    assert set(walk_files(root)[0]) == {root / "a.xlsx", root / "名单.csv", root / "汇总结果" / "old.xlsx"}
