"""Outputs are written atomically and get the permissions of an ordinary new file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from nianbao.fileio import atomic_path, write_text_atomic


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
