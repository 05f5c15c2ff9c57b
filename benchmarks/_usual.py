"""The usual script a coordinator would write: pandas.read_excel with openpyxl, pick the cells, sum.

    python benchmarks/_usual.py DIR OUT.csv

Reads the same sheets nianbao reads (cover, the three tables, the narrative sheet) with
`pd.read_excel(..., engine="openpyxl", header=None)`, picks every numeric input cell by its layout address,
sums them over the departments and writes the sums as CSV. No rule is checked.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pandas as pd

from nianbao.form import FORM
from nianbao.form.layout import location, locations


def main(argv: list[str]) -> int:
    folder, out = Path(argv[0]), Path(argv[1])
    numeric = [key for key in FORM.input_numeric_keys]
    sheets = sorted({location(key).sheet for key in locations()})
    totals: dict[str, float] = defaultdict(float)
    texts: list[dict[str, object]] = []
    for path in sorted(folder.glob("*.xlsx")):
        frames = pd.read_excel(path, sheet_name=sheets, header=None, engine="openpyxl")
        for key in numeric:
            loc = location(key)
            value = frames[loc.sheet].iat[loc.row - 1, loc.col - 1]
            if pd.notna(value):
                totals[key] += float(value)
        texts.append({key: frames[location(key).sheet].iat[location(key).row - 1, location(key).col - 1]
                      for key in FORM.text_keys})
    pd.Series(totals, name="value").to_csv(out)
    print(f"usual: {len(texts)} files, {len(totals)} sums")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
