"""Where `nianbao merge` spends its time, stage by stage, on the benchmark's cached workbooks.

    python benchmarks/profile_merge.py [--n 1000] [--cprofile OUT.prof]

Runs the stages the CLI runs, in one process, and prints the wall time of each: imports, reading and
checking every file, the cross-file merge, each output file, all of them as the CLI writes them (汇总.xlsx
in a forked process meanwhile), and the console summary. With --cprofile,
also writes a cProfile dump of the whole run (open it with `python -m pstats OUT.prof`).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _data  # noqa: E402


def timed(label: str, n: int, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    try:
        value = fn()
    except Exception as exc:  # noqa: BLE001 - a stage that changed shape should not hide the others
        print(f"  {label:<40} failed: {type(exc).__name__}: {exc}")
        return None
    seconds = time.perf_counter() - start
    print(f"  {label:<40} {seconds:8.2f} s  {seconds / n * 1000:8.2f} ms per workbook  {_rss_mb():6.0f} MB now")
    return value


def _rss_mb() -> float:
    """Current resident memory of this process (after the stage, so what it keeps alive)."""
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def stages(n: int) -> None:
    folder = _data.ensure_workbooks(n)
    returned = folder / "returned"
    start = time.perf_counter()
    from rich.console import Console

    from nianbao import merge, outputs
    from nianbao.cli.printing import status_table

    print(f"  {'imports':<40} {time.perf_counter() - start:8.2f} s  {'':>24}{_rss_mb():6.0f} MB now")
    roster = merge._load_roster(folder / "departments.csv")
    paths, _ignored = merge.discover_files(returned, ())
    reads = timed("read and check every file (read_all)", n, lambda: merge.read_all(paths, returned))
    result = timed("cross-file checks and merge (merge_reads)", n, lambda: merge.merge_reads(reads, roster))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        timed("merged.json content (to_json_dict)", n, lambda: json.dumps(result.to_json_dict(), default=str))
        timed("汇总.xlsx (write_summary_xlsx)", n, lambda: outputs.write_summary_xlsx(result, out / "s.xlsx"))
        timed("provenance.csv (write_provenance)", n, lambda: outputs.write_provenance(result, out / "p.csv"))
        timed("all three files (write_outputs)", n, lambda: outputs.write_outputs(result, out / "all"))
    console = Console(file=io.StringIO(), width=120)
    timed("console status table (status_table)", n, lambda: console.print(status_table(result)))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS of the whole run: {peak:.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--cprofile", type=Path)
    args = parser.parse_args()
    print(f"nianbao merge stages over {args.n} workbooks:")
    if args.cprofile:
        cProfile.runctx("stages(args.n)", globals(), {"stages": stages, "args": args}, str(args.cprofile))
    else:
        stages(args.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
