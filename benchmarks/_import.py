"""nianbao reading published reports back, one at a time, timing each (`nianbao import` does the same).

    python benchmarks/_import.py PUBLISHED_DIR OUT.json

Every report_* file (.docx, .pdf, .html) goes through `nianbao.importer.import_report`, in one process,
in name order; OUT.json gets the seconds each took, by format. A report that fails or comes back with
tables missing is counted as failed (the step then exits 1).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from nianbao.errors import NianbaoError
from nianbao.importer import import_report


def main(argv: list[str]) -> int:
    src, out = Path(argv[0]), Path(argv[1])
    times: dict[str, list[float]] = {}
    failed: list[str] = []
    for path in sorted(src.glob("report_*")):
        start = time.perf_counter()
        try:
            data = import_report(path)
        except NianbaoError as exc:
            failed.append(f"{path.name}: {exc}")
            continue
        times.setdefault(path.suffix.lstrip("."), []).append(time.perf_counter() - start)
        if data.get("missing"):
            failed.append(f"{path.name}: missing {len(data['missing'])} table values")
    out.write_text(json.dumps({"seconds": times, "failed": failed}, ensure_ascii=False), encoding="utf-8")
    print(f"import: {sum(map(len, times.values()))} reports, {len(failed)} failed")
    for line in failed[:5]:
        print(f"  {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
