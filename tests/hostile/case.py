"""What one hostile kind expects, and the good inputs the kinds are made from."""

from __future__ import annotations

import functools
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from report_helpers import zero_data
from test_merge_support import write_department, zero_values

from nianbao.form import FORM
from nianbao.report.render import default_template_path, render_report

DEPARTMENT = "区财政局"
# A named pipe blocks whoever opens it for reading: a run that waits on one is stopped this soon.
PIPE_TIMEOUT = 10.0


@dataclass(frozen=True)
class Case:
    """A command line and how nianbao must answer it."""

    args: tuple[str, ...]  # after `nianbao`
    inputs: tuple[Path, ...]  # files and folders whose bytes and mtimes must not change
    exit_code: int  # 1 or 2; 0 only for a kind that is accepted with a warning; never 3
    message: str  # a regular expression the output must match (searched, DOTALL)
    name: str  # the input file's name: the output must contain it
    cwd: Path  # where the command runs (commands with a default output folder write there)
    out: Path | None = None  # the output file or folder of the command
    refused: bool = True  # the command refuses: no output file at all at `out`
    bomb: bool = False  # expands hugely: runs under a memory cap
    timeout: float = 60.0
    forbidden: tuple[str, ...] = ()  # raw text the output must not contain (control characters of a name)
    needs_non_root: bool = False  # permissions do not bind root: skipped there
    held_lock: Path | None = None  # a lock file that another run holds while the command runs
    forbid_docx: bool = False  # a run that writes other outputs but must not write a report
    words: str = ""  # the part of `message` that must be said besides the name (outside any path or name)

    def __post_init__(self) -> None:
        assert self.exit_code in (0, 1, 2), "a hostile input never ends with an internal error"
        assert self.name and re.escape(self.name) in self.message, "the message must name the file"


def says(name: str, *words: str) -> str:
    """A pattern: the output names `name` and contains one of `words` (in any order)."""
    pattern = f"(?=.*{re.escape(name)})"
    if words:
        pattern += "(?=.*(?:" + "|".join(words) + "))"
    return pattern


def command_case(
    tmp: Path, args: list[str | Path], inputs: list[Path], exit_code: int, name: str, *words: str, **options: Any
) -> Case:
    return Case(
        tuple(str(a) for a in args),
        tuple(inputs),
        exit_code,
        says(name, *words),
        name,
        tmp,
        words="|".join(words),
        **options,
    )


# -- good inputs, built once per process and copied ------------------------------------------------
@functools.cache
def _cache() -> Path:
    return Path(tempfile.mkdtemp(prefix="nianbao-hostile-"))


@functools.cache
def good_workbook_path() -> Path:
    """The shared good workbook itself (read only: makers copy it or build from it)."""
    return write_department(_cache() / "good.xlsx", DEPARTMENT, zero_values())


def good_workbook(dst: Path) -> Path:
    """A correctly filled workbook of 区财政局 (某某区人民政府, 2024)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(good_workbook_path(), dst)
    return dst


def good_data() -> dict[str, Any]:
    """Valid render input in the merged.json shape: every section has text, the signature has a date."""
    data = zero_data()
    data["texts"] = {k: "本年度依法做好相关工作。" for k in FORM.text_keys if not k.startswith("text.report.")}
    data["date"] = "2025-01-08"
    return data


def write_json(dst: Path, data: object) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return dst


@functools.cache
def _good_report() -> Path:
    out = _cache() / "report.docx"
    result = render_report(good_data(), out)
    assert result.output == out
    return out


def good_report(dst: Path) -> Path:
    """A report nianbao itself rendered (imports and audits cleanly)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_good_report(), dst)
    return dst


def build_good_inputs() -> None:
    """Build the shared good inputs once, before worker threads start copying them."""
    good_workbook_path()
    _good_report()


def standard_template() -> Path:
    template = default_template_path()
    assert template is not None
    return template


def laughs_doctype(root: str) -> str:
    """A billion-laughs DOCTYPE: ten entities each ten times the one before (10**9 copies of "ha")."""
    entities = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    return f'<!DOCTYPE {root} [<!ENTITY l0 "ha">{entities}]>'


def roster(dst: Path, *departments: str) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text("部门\n" + "".join(f"{d}\n" for d in departments or (DEPARTMENT,)), encoding="utf-8")
    return dst
