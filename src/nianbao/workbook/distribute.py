"""Personalized copies of the template, one per department of a roster."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..naming import clean_name
from ..roster import read_roster
from .template import Identity, save_template

# Characters Windows, macOS or a zip archive cannot keep in a file name, plus control characters.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_MAX_NAME = 120  # characters; keeps the full path well under Windows' 260 limit
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}

MIN_YEAR = 2021  # the first report year of the 2021 format


def safe_filename_part(text: str) -> str:
    """`text` usable inside a file name on every system: unsafe characters become underscores."""
    text = clean_name(text)
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"\s+", " ", text).strip(" .")
    return text


def copy_filename(identity: Identity) -> str:
    """The file name of a department's copy, e.g. 大榭街道-2024-党建综合办.xlsx."""
    parts = [safe_filename_part(p) for p in (identity.body, str(identity.year or ""), identity.department)]
    stem = "-".join(p for p in parts if p)[:_MAX_NAME] or "填报表"
    if stem.upper() in _RESERVED:
        stem = f"_{stem}"
    return f"{stem}.xlsx"


def check_year(year: int) -> int:
    if year < MIN_YEAR or year > 2100:
        raise UsageError(f"报告年度 {year} 不正确：本模板适用于{MIN_YEAR}年及以后的报告年度。")
    return year


def check_name(value: str, what: str) -> str:
    value = clean_name(value)
    if not value:
        raise UsageError(f"{what}不能为空。")
    return value


@dataclass(frozen=True)
class PlannedCopy:
    department: str
    path: Path


def plan_copies(departments: list[str], body: str, year: int, outdir: Path) -> list[PlannedCopy]:
    """Where each department's copy goes; two departments mapping to one file name is an error."""
    plans: list[PlannedCopy] = []
    by_name: dict[str, str] = {}
    for department in departments:
        name = copy_filename(Identity(body, year, department))
        key = name.casefold()  # Windows and macOS file names ignore case
        if key in by_name:
            raise UsageError(
                f"部门“{by_name[key]}”和“{department}”的文件名相同（{name}），请在名单中区分这两个部门的名称。"
            )
        by_name[key] = department
        plans.append(PlannedCopy(department, outdir / name))
    return plans


def distribute(
    roster: str | os.PathLike[str], body: str, year: int, outdir: str | os.PathLike[str], *, force: bool = False
) -> list[PlannedCopy]:
    """Write one personalized workbook per roster department into `outdir`; returns what was written.

    Nothing is written when any target exists and `force` is not set, so a second run never leaves a
    half-overwritten folder.
    """
    body = check_name(body, "机关名称")
    check_year(year)
    departments = read_roster(roster)
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise UsageError(f"输出位置 {outdir} 已存在且不是文件夹。")
    plans = plan_copies(departments, body, year, outdir)
    existing = [p.path.name for p in plans if p.path.exists()]
    if existing and not force:
        shown = "、".join(existing[:5]) + ("等" if len(existing) > 5 else "")
        raise UsageError(
            f"{outdir} 中已有 {len(existing)} 个同名文件（{shown}），未写入任何文件。确认要覆盖请加 --force。"
        )
    for plan in plans:
        save_template(plan.path, Identity(body, year, plan.department))
    return plans
