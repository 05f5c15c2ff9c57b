"""Helpers shared by the reader, check and merge tests (this module holds no tests itself).

Workbooks are produced with the template's own `write_filled`; edits a clerk might make afterwards
(typing text into a number cell, inserting rows, renaming sheets) are done with openpyxl, and hostile
files are built at the zip level.
"""

from __future__ import annotations

import hashlib
import random
import zipfile
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from nianbao.form import FORM, layout
from nianbao.workbook.template import Identity, write_filled

BODY = "某某区人民政府"
YEAR = 2024
T3_APPLICANT_COLUMNS = tuple(c.key for c in FORM.table("t3").columns if c.key != "total")


# Cells that a district's department plausibly leaves at 0: 规章 (no rule-making power, T2-2) and 逾期未缴费
# (which needs a 收费通知 stated in 六, T3-7). Random data elsewhere is plausible.
IMPLAUSIBLE_IF_SET = tuple(k for k in FORM.input_numeric_keys if k.startswith(("t2.rules.", "t3.other_unpaid_fee.")))


def consistent_values(rng: random.Random, high: int = 9) -> dict[str, int | Decimal]:
    """Random inputs that satisfy every rule: per 表三 column, results + carried-forward = new + carried-over."""
    values: dict[str, int | Decimal] = {k: rng.randint(0, high) for k in FORM.input_numeric_keys}
    values.update(dict.fromkeys(IMPLAUSIBLE_IF_SET, 0))
    for key in ("t2.fees.amount", "fee.notice_amount", "fee.collected"):
        values[key] = Decimal(rng.randint(0, 99999)) / 100
    full = FORM.compute_derived(values)
    for col in T3_APPLICANT_COLUMNS:
        concluded = full[f"t3.concluded_total.{col}"] + values[f"t3.carried_forward.{col}"]
        carried = rng.randint(0, int(concluded))
        values[f"t3.carried_over.{col}"] = carried
        values[f"t3.new.{col}"] = concluded - carried
    return values


def zero_values() -> dict[str, int]:
    return {k: 0 for k in FORM.input_numeric_keys}


# What a clerk puts on the cover besides the numbers; without a name and phone a workbook has errors.
CONTACT = {"meta.preparer": "张三", "meta.phone": "0574-86761234", "meta.date": "2025-01-06"}


def write_department(
    path: Path,
    department: str,
    values: Mapping[str, object],
    *,
    body: str = BODY,
    year: int | None = YEAR,
    texts: Mapping[str, str] | None = None,
    meta: Mapping[str, str] | None = None,
) -> Path:
    """A returned workbook; the cover's contact fields are filled unless `meta` overrides them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_filled(
        path,
        Identity(body, year, department),
        values,
        texts=texts,  # type: ignore[arg-type]
        meta={**CONTACT, **(meta or {})},
    )
    return path


def edit_workbook(path: Path, change: Callable[[Workbook], None]) -> None:
    """What a clerk does in a spreadsheet program after receiving the file (openpyxl keeps the rest)."""
    wb = load_workbook(path)
    change(wb)
    wb.save(path)


def set_cell(path: Path, key: str, value: object) -> None:
    loc = layout.location(key)

    def change(wb: Workbook) -> None:
        wb[loc.sheet][loc.cell].value = value

    edit_workbook(path, change)


def rewrite_zip(
    src: Path, dst: Path, replace: Mapping[str, bytes] | None = None, add: Mapping[str, bytes] | None = None
) -> Path:
    """Copy an xlsx part by part, replacing or adding parts."""
    replace, add = dict(replace or {}), dict(add or {})
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.pop(info.filename, None) or zin.read(info.filename))
        for name, data in {**replace, **add}.items():
            zout.writestr(name, data)
    return dst


def sheet_part(path: Path, sheet: str) -> str:
    """The zip part of a sheet (openpyxl writes sheetN.xml in sheet order)."""
    return f"xl/worksheets/sheet{layout.SHEET_ORDER.index(sheet) + 1}.xml"


def digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, to prove inputs were not modified."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def expected_sum(value_sets: list[Mapping[str, object]]) -> dict[str, object]:
    """The merge must equal this: cell-wise sum of inputs, totals recomputed."""
    sums: dict[str, object] = {}
    for values in value_sets:
        for key in FORM.input_numeric_keys:
            sums[key] = sums.get(key, 0) + values.get(key, 0)  # type: ignore[operator]
    return {**FORM.compute_derived(sums), **{k: sums[k] for k in FORM.input_numeric_keys}}  # type: ignore[arg-type]
