"""Reading the department roster: CSV in the encodings Excel writes, and .xlsx."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from nianbao.errors import UsageError
from nianbao.roster import read_roster

NAMES = ["党建综合办", "城市管理办", "社会事务办"]


def _csv(tmp_path: Path, text: str, encoding: str, name: str = "r.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_every_encoding_excel_writes(tmp_path: Path, encoding: str) -> None:
    text = "部门,联系人\r\n" + "".join(f"{n},张三\r\n" for n in NAMES)
    assert read_roster(_csv(tmp_path, text, encoding)) == NAMES


def test_single_column_csv_with_blank_lines_and_spaces(tmp_path: Path) -> None:
    text = "部门\n\n 党建综合办 \n\n城市管理办\n　社会事务办　\n"
    assert read_roster(_csv(tmp_path, text, "utf-8")) == NAMES


def test_column_found_anywhere_in_the_header(tmp_path: Path) -> None:
    text = "序号,部门\n1,党建综合办\n2,城市管理办\n3,社会事务办\n"
    assert read_roster(_csv(tmp_path, text, "utf-8")) == NAMES


def test_xlsx(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "部门"])
    for i, n in enumerate(NAMES, start=1):
        ws.append([i, n])
    ws.append([None, None])
    path = tmp_path / "名单.xlsx"
    wb.save(path)
    assert read_roster(path) == NAMES


def test_missing_column_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="部门"):
        read_roster(_csv(tmp_path, "单位\n党建综合办\n", "utf-8"))


def test_duplicates_are_named(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"重复.*城市管理办"):
        read_roster(_csv(tmp_path, "部门\n城市管理办\n党建综合办\n城市管理办\n", "utf-8"))


@pytest.mark.parametrize("name,content", [("r.txt", b"x"), ("r.xls", b"x"), ("r.xlsx", b"not a zip")])
def test_unsupported_or_damaged_files(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UsageError):
        read_roster(path)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="找不到"):
        read_roster(tmp_path / "none.csv")
    with pytest.raises(UsageError):
        read_roster(_csv(tmp_path, "部门\n\n", "utf-8"))
