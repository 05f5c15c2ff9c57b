"""`nianbao build`: merge then render; a merge with errors gives no report unless --draft."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner
from docx import Document
from report_helpers import EXAMPLE
from test_merge_support import CONTACT

from nianbao.cli import main
from nianbao.form import FORM
from nianbao.workbook.template import Identity, write_filled


def _folder_with_a_bad_workbook(tmp_path: Path) -> Path:
    folder = tmp_path / "收到的报表"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    values = dict.fromkeys(FORM.input_numeric_keys, 0)
    values["t3.new.natural_person"] = 1  # received one application, concluded none: breaks T3-1
    write_filled(folder / "经济发展办.xlsx", Identity("大榭街道", 2024, "经济发展办"), values, meta=CONTACT)
    return folder


def test_build_with_errors_writes_no_report(tmp_path: Path) -> None:
    folder = _folder_with_a_bad_workbook(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["build", str(folder), "--roster", str(folder / "departments.csv"), "--out", str(out)]
    )
    assert result.exit_code == 1, result.output
    assert "未生成报告" in result.output and "T3-1" in result.output
    assert (out / "merged.json").is_file()
    assert not list(out.glob("*.docx"))


def test_build_draft_marks_the_report(tmp_path: Path) -> None:
    folder = _folder_with_a_bad_workbook(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "build",
            str(folder),
            "--roster",
            str(folder / "departments.csv"),
            "--out",
            str(out),
            "--draft",
            "--date",
            "2025-01-08",
        ],
    )
    assert result.exit_code == 0, result.output
    (report,) = out.glob("*.docx")
    doc = Document(str(report))
    assert "草稿" in [p.text for p in doc.sections[0].header.paragraphs]
    assert "2025年1月8日" in [p.text for p in doc.paragraphs]


def test_build_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", str(tmp_path / "nope"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "找不到文件夹" in result.output
