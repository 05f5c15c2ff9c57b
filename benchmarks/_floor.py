"""The floor: the least work that gets the numbers out of every workbook of a folder.

    python benchmarks/_floor.py PLAN.json DIR

python-calamine only: no nianbao, no pandas, no check, no output file. The benchmark writes PLAN.json
beforehand (sheet → [key, 1-based row, 1-based column] of every cell nianbao reads, from
`nianbao.form.layout`), so this process imports nothing but calamine and json. For every workbook it
opens the file, reads each sheet that holds fields down to its last field row (`to_python`), and picks
the cells into one list of (file, key, value).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook


def read_folder(plan: dict[str, list[list[Any]]], folder: Path) -> list[tuple[str, str, Any]]:
    sheets = [(sheet, cells, max(row for _key, row, _col in cells)) for sheet, cells in plan.items()]
    out: list[tuple[str, str, Any]] = []
    for path in sorted(folder.glob("*.xlsx")):
        wb = CalamineWorkbook.from_path(str(path))
        for sheet, cells, nrows in sheets:
            rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False, nrows=nrows)
            for key, r, c in cells:
                row = rows[r - 1] if r <= len(rows) else ()
                out.append((path.name, key, row[c - 1] if c <= len(row) else None))
        wb.close()
    return out


def main(argv: list[str]) -> int:
    plan = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    cells = read_folder(plan, Path(argv[1]))
    print(f"floor: {len({f for f, _k, _v in cells})} files, {len(cells)} cells")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
