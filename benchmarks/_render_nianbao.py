"""nianbao rendering R reports the way the CLI renders many (`nianbao render A.json B.json … --out DIR`).

    python benchmarks/_render_nianbao.py REPORTS_DIR OUT_DIR

Every report_*.json (merged.json shape) becomes a .docx in OUT_DIR through `render_many`: the template is
compiled once per worker process, and the reports are spread over every core.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nianbao.report.render import render_many


def main(argv: list[str]) -> int:
    src, out = Path(argv[0]), Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    paths = sorted(src.glob("report_*.json"))
    outcomes = render_many(paths, out)
    blocked = sum(1 for o in outcomes if o.output is None)
    print(f"nianbao render: {len(paths) - blocked} reports, {blocked} blocked by errors")
    return 1 if blocked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
