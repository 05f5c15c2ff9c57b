"""A comparable summary of a workbook's content: what a template *is*, independent of zip bytes.

Used to tell whether the committed template is up to date with the generator, and usable to compare
the structure of a returned workbook with the template it came from.
"""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet


def _cells(ws: Worksheet) -> dict[str, tuple[Any, bool]]:
    """Every cell that holds something or is unlocked: (value or formula, locked)."""
    out: dict[str, tuple[Any, bool]] = {}
    for row in ws.iter_rows():
        for cell in row:
            locked = bool(cell.protection.locked)
            if cell.value is not None or not locked:
                out[cell.coordinate] = (cell.value, locked)
    return out


def _validations(ws: Worksheet) -> list[tuple[Any, ...]]:
    return sorted(
        (
            " ".join(sorted(str(dv.sqref).split())),
            dv.type,
            dv.operator,
            dv.formula1,
            bool(dv.allow_blank),
            bool(dv.showErrorMessage),
            bool(dv.showInputMessage),
            dv.errorStyle,
            dv.errorTitle,
            dv.error,
            dv.promptTitle,
            dv.prompt,
        )
        for dv in ws.data_validations.dataValidation
    )


def _conditional_formats(ws: Worksheet) -> list[tuple[str, str, tuple[str, ...]]]:
    out = []
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            out.append((str(cf.sqref), f"{rule.type}:{rule.operator}", tuple(rule.formula or ())))
    return sorted(out)


def _protection(ws: Worksheet) -> dict[str, Any]:
    p = ws.protection
    return {
        "sheet": bool(p.sheet),
        "password": p.password,
        "formatRows": bool(p.formatRows),
        "formatColumns": bool(p.formatColumns),
        "insertRows": bool(p.insertRows),
        "deleteRows": bool(p.deleteRows),
    }


def workbook_content(wb: Workbook) -> dict[str, Any]:
    """Sheets, cell values and formulas, lock state, merges, validations, conditional formats,
    protection, defined names and custom properties, in a form that compares with ==."""
    security = wb.security
    return {
        "sheets": list(wb.sheetnames),
        "lock_structure": bool(security is not None and security.lockStructure),
        "full_calc_on_load": bool(wb.calculation is not None and wb.calculation.fullCalcOnLoad),
        "defined_names": sorted((name, dn.attr_text) for name, dn in wb.defined_names.items()),
        # custom_doc_props (openpyxl 3.1) is missing from types-openpyxl
        "custom_properties": sorted((p.name, str(p.value)) for p in wb.custom_doc_props),  # type: ignore[attr-defined]
        "worksheets": {
            ws.title: {
                "cells": _cells(ws),
                "merged": sorted(str(r) for r in ws.merged_cells.ranges),
                "validations": _validations(ws),
                "conditional_formats": _conditional_formats(ws),
                "protection": _protection(ws),
                "freeze": ws.freeze_panes,
            }
            for ws in wb.worksheets
        },
    }


def content_differences(a: dict[str, Any], b: dict[str, Any], limit: int = 10) -> list[str]:
    """Short descriptions of where two `workbook_content` results differ (for test messages)."""
    diffs: list[str] = []
    for key in ("sheets", "lock_structure", "full_calc_on_load", "defined_names", "custom_properties"):
        if a[key] != b[key]:
            diffs.append(key)
    for title in sorted(set(a["worksheets"]) | set(b["worksheets"])):
        wa, wb_ = a["worksheets"].get(title), b["worksheets"].get(title)
        if wa is None or wb_ is None:
            diffs.append(f"sheet {title}")
            continue
        for part in wa:
            if wa[part] == wb_[part]:
                continue
            if part == "cells":
                for coord in sorted(set(wa["cells"]) | set(wb_["cells"])):
                    if wa["cells"].get(coord) != wb_["cells"].get(coord):
                        diffs.append(f"{title}!{coord}: {wa['cells'].get(coord)!r} != {wb_['cells'].get(coord)!r}")
            else:
                diffs.append(f"{title}: {part}")
    return diffs[:limit]
