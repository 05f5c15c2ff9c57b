"""nianbao rendering R reports in one process, the way the CLI renders many reports.

    python benchmarks/_render_nianbao.py REPORTS_DIR OUT_DIR

Every report_*.json (merged.json shape) becomes OUT_DIR/report_*.docx through nianbao's own API, so the
template is loaded and compiled once per process and reused for every report.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from nianbao.report.render import render_report


def main(argv: list[str]) -> int:
    src, out = Path(argv[0]), Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    paths = sorted(src.glob("report_*.json"))
    blocked = 0
    for path in paths:
        result = render_report(json.loads(path.read_text(encoding="utf-8")), out / f"{path.stem}.docx")
        blocked += result.output is None
    print(f"nianbao render: {len(paths) - blocked} reports, {blocked} blocked by errors")
    return 1 if blocked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
