"""The floor plus a DataFrame: the python-calamine read of `_floor.py`, as a pandas user would keep it.

    python benchmarks/_floor_frame.py DIR

Imports nianbao's form for the addresses and pandas, reads the same sheets whole and picks the same cells
into one long DataFrame (file, key, value). No check, no output file. It is not the floor (the imports
and the frame are work the numbers do not need): it is shown beside it to explain the figures.
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
    print(f"floor + DataFrame: {frame['file'].nunique()} files, {len(frame)} cells")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
