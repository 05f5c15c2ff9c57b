"""The floor: a bare python-calamine read of the cells nianbao reads, from every workbook of a folder.

    python benchmarks/_floor.py DIR

No checks, no merge, no output file: only opening each workbook, reading the sheets that hold fields
and picking the cells `nianbao.form.layout` declares, into one long DataFrame (file, key, value).
Nothing can read these files faster with the usual Python tools, so it is what nianbao is measured against.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd
from python_calamine import CalamineWorkbook

from nianbao.form.layout import location, locations, version_location


def cells_by_sheet() -> dict[str, list[tuple[str, int, int]]]:
    """sheet → [(key, 0-based row, 0-based col)], the template version cell included."""
    out: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    places = {**{key: location(key) for key in locations()}, "version": version_location()}
    for key, loc in places.items():
        out[loc.sheet].append((key, loc.row - 1, loc.col - 1))
    return dict(out)


def read_folder(folder: Path) -> pd.DataFrame:
    plan = cells_by_sheet()
    files: list[str] = []
    keys: list[str] = []
    values: list[Any] = []
    for path in sorted(folder.glob("*.xlsx")):
        wb = CalamineWorkbook.from_path(str(path))
        for sheet, cells in plan.items():
            rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            for key, r, c in cells:
                row = rows[r] if r < len(rows) else ()
                files.append(path.name)
                keys.append(key)
                values.append(row[c] if c < len(row) else None)
        wb.close()
    return pd.DataFrame({"file": files, "key": keys, "value": values})


def main(argv: list[str]) -> int:
    frame = read_folder(Path(argv[0]))
    print(f"floor: {frame['file'].nunique()} files, {len(frame)} cells")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
