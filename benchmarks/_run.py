"""Run one command as a child process and report its cost as one JSON line on stdout.

    python benchmarks/_run.py LOGFILE -- CMD ARG...

A fresh wrapper per measurement means `RUSAGE_CHILDREN` holds exactly this command's figures:
user and system CPU of the whole process tree and the largest single process's peak RSS (ru_maxrss).
Because a command may start worker processes, the PSS of the whole tree is also sampled (summed
over every descendant, from /proc/PID/smaps_rollup) so that "peak memory" covers the workers too.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

SAMPLE_SECONDS = 0.05  # reading smaps_rollup costs ~1 ms; sample sparingly


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                out += [int(x) for x in fh.read().split()]
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return out


def _pss_kb(pid: int) -> int:
    """Proportional set size: shared pages (forked workers) are split, not counted once per process."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def tree_pss_kb(root: int) -> tuple[int, int]:
    """(summed PSS in kB, number of processes) of root and all its descendants."""
    total, count, todo = 0, 0, [root]
    while todo:
        pid = todo.pop()
        total += _pss_kb(pid)
        count += 1
        todo += _children(pid)
    return total, count


def main(argv: list[str]) -> int:
    log, sep, *cmd = argv
    if sep != "--" or not cmd:
        print(__doc__, file=sys.stderr)
        return 2
    peak = {"kb": 0, "procs": 0}
    done = threading.Event()
    start = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)

        def sample() -> None:
            while not done.is_set():
                kb, n = tree_pss_kb(proc.pid)
                peak["kb"] = max(peak["kb"], kb)
                peak["procs"] = max(peak["procs"], n)
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        rc = proc.wait()
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({
        "cmd": cmd[1:] if Path(cmd[0]).name.startswith("python") else cmd,
        "rc": rc,
        "wall_s": wall,
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        "maxrss_mb": usage.ru_maxrss / 1024,  # Linux reports kB
        "tree_pss_mb": peak["kb"] / 1024,  # sampled, summed over the tree
        "max_procs": peak["procs"],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
