"""Speed and memory of nianbao, measured against the floor and the usual script (issues 6, 12 and 14).

    python benchmarks/bench.py [--n 1000] [--renders 200] [--published 1000] [--runs 3] [--quick]

Generates (once, cached) N filled department workbooks, R report inputs and P published reports (.docx,
PDF and HTML), then measures every step as a whole process, several runs, interleaved so that machine
noise hits every step alike:

    merge     nianbao merge DIR --roster departments.csv --out OUT --quiet
    floor     the least work that gets the numbers: python-calamine only (_floor.py)
    frame     the same read with nianbao's and pandas' imports, into a DataFrame (_floor_frame.py)
    usual     pandas.read_excel(engine="openpyxl"), pick cells, sum   (_usual.py)
    render    nianbao rendering R reports in one process              (_render_nianbao.py)
    pydocx    python-docx building R equivalent reports in one process (_pydocx.py)
    import    nianbao reading the P published reports back, each timed (_import.py)
    audit     nianbao audit PUBLISHED_DIR --out 审核结果.xlsx

Prints a table and the ratios; exits 1 when a goal is missed (not in --quick mode, where start-up costs
dominate and the figures are only indicative), 2 when a step fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _data  # noqa: E402

# Goals of issues 6, 12 (item 14) and 14.
MAX_IMPORT_MS = {"pdf": 60.0, "docx": 20.0, "html": 20.0}  # median per report, by format
MAX_AUDIT_S = 60.0  # the whole folder of published reports, into one spreadsheet
MAX_MERGE_OVER_FLOOR = 1.5
MIN_USUAL_OVER_MERGE = 15.0
MAX_PEAK_MB = 300.0
MAX_RENDER_OVER_PYDOCX = 0.3
# "Both cores used": CPU time ÷ wall time of a step over many files or reports. 1.0 is one core busy;
# start-up (imports) is serial, so a step that parallelises its real work well lands around 1.5–1.9.
MIN_PARALLEL_UTILISATION = 1.3


@dataclass
class Step:
    name: str
    label: str
    items: int  # workbooks or reports handled, for per-item figures
    unit: str
    runs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def walls(self) -> list[float]:
        return [r["wall_s"] for r in self.runs]

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        """Median CPU seconds (user + system, whole process tree): less sensitive to a busy machine."""
        return statistics.median(r["user_s"] + r["sys_s"] for r in self.runs)

    @property
    def utilisation(self) -> float:
        return statistics.median((r["user_s"] + r["sys_s"]) / r["wall_s"] for r in self.runs)

    @property
    def peak_mb(self) -> float:
        """Largest of: the biggest single process (ru_maxrss) and the sampled sum over the process tree."""
        return max(max(r["maxrss_mb"], r["tree_pss_mb"]) for r in self.runs)

    @property
    def procs(self) -> int:
        return max(int(r["max_procs"]) for r in self.runs)


def nianbao_command() -> list[str]:
    script = Path(sys.executable).with_name("nianbao")
    if script.exists():
        return [str(script)]
    found = shutil.which("nianbao")
    if found:
        return [found]
    return [sys.executable, "-c", "from nianbao.cli import main; main()"]


def measure(cmd: list[str], log: Path) -> dict[str, float]:
    """Run `cmd` under the _run.py wrapper (a fresh process, so its rusage is this command's alone)."""
    wrapper = [sys.executable, str(HERE / "_run.py"), str(log), "--", *cmd]
    done = subprocess.run(wrapper, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise StepFailed(f"the measuring wrapper failed: {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["rc"] != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise StepFailed(f"{' '.join(cmd)} exited with {result['rc']}:\n{tail}")
    return result


class StepFailed(RuntimeError):
    pass


def write_floor_plan(path: Path) -> Path:
    """sheet → [key, row, column] of every cell nianbao reads, so that the floor imports neither nianbao nor pandas."""
    from nianbao.form.layout import location, locations, version_location

    plan: dict[str, list[list[object]]] = {}
    for key, loc in {**{k: location(k) for k in locations()}, "version": version_location()}.items():
        plan.setdefault(loc.sheet, []).append([key, loc.row, loc.col])
    path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    return path


def step_commands(work: Path, wb_dir: Path, rep_dir: Path, pub_dir: Path) -> dict[str, list[str]]:
    py = sys.executable
    returned = wb_dir / "returned"
    plan = write_floor_plan(work / "floor-plan.json")
    return {
        "merge": [*nianbao_command(), "merge", str(returned), "--roster", str(wb_dir / "departments.csv"),
                  "--out", str(work / "merge-out"), "--quiet"],
        "floor": [py, str(HERE / "_floor.py"), str(plan), str(returned)],
        "frame": [py, str(HERE / "_floor_frame.py"), str(returned)],
        "usual": [py, str(HERE / "_usual.py"), str(returned), str(work / "usual.csv")],
        "render": [py, str(HERE / "_render_nianbao.py"), str(rep_dir), str(work / "render-out")],
        "pydocx": [py, str(HERE / "_pydocx.py"), str(rep_dir), str(work / "pydocx-out")],
        "import": [py, str(HERE / "_import.py"), str(pub_dir), str(work / IMPORT_TIMES)],
        "audit": [*nianbao_command(), "audit", str(pub_dir), "--out", str(work / "审核结果.xlsx")],
    }


IMPORT_TIMES = "import-times.json"


def import_medians_ms(step: Step) -> dict[str, float]:
    """Median milliseconds per report, by format: the median over the runs of each run's median."""
    per_run: dict[str, list[float]] = {}
    for run in step.runs:
        for kind, seconds in run.get("import_seconds", {}).items():  # type: ignore[union-attr]
            per_run.setdefault(kind, []).append(statistics.median(seconds) * 1000)
    return {kind: statistics.median(values) for kind, values in sorted(per_run.items())}


def available(commands: dict[str, list[str]]) -> dict[str, bool]:
    """Whether nianbao's merge and render exist yet (they land separately); the others always do."""
    merge = subprocess.run([*nianbao_command(), "merge", "--help"], capture_output=True, check=False).returncode == 0
    render = subprocess.run([sys.executable, "-c", "import nianbao.report.render"], capture_output=True,
                            check=False).returncode == 0
    audit = subprocess.run([*nianbao_command(), "audit", "--help"], capture_output=True, check=False).returncode == 0
    return {"merge": merge, "floor": True, "frame": True, "usual": True, "render": render, "pydocx": True,
            "import": audit, "audit": audit}


def run_all(steps: dict[str, Step], commands: dict[str, list[str]], runs: dict[str, int], work: Path) -> None:
    ready = available(commands)
    for name, ok in ready.items():
        if not ok:
            print(f"  {steps[name].label}: not available in this checkout, skipped")
    total = max(runs.values())
    for run in range(1, total + 1):
        for name, step in steps.items():
            if not ready[name] or run > runs[name]:
                continue
            out = work / f"{name}-out"
            if out.exists():
                shutil.rmtree(out)
            print(f"  run {run}/{runs[name]}: {step.label} …", end="", flush=True)
            result = measure(commands[name], work / f"{name}.log")
            step.runs.append(result)
            print(f" {result['wall_s']:.2f} s")
            if name == "merge" and run == 1:
                check_merge_output(out / "merged.json", step.items)
            if name == "import":
                result["import_seconds"] = json.loads((work / IMPORT_TIMES).read_text(encoding="utf-8"))["seconds"]


def check_merge_output(path: Path, expected: int) -> None:
    """The generated files must all merge without a finding; otherwise the timing is of another job."""
    data = json.loads(path.read_text(encoding="utf-8"))
    merged = len(data.get("departments", []))
    findings = data.get("findings", [])
    if merged != expected or findings:
        codes = sorted({f.get("code", "?") for f in findings})
        raise StepFailed(f"nianbao merge merged {merged} of {expected} workbooks with {len(findings)} findings "
                         f"({', '.join(codes[:10])}); regenerate the inputs (--regenerate) or fix the generator")


def print_table(steps: dict[str, Step]) -> None:
    header = f"{'step':<34} {'median s':>9} {'min–max s':>13} {'per item':>12} {'CPU/wall':>9} {'peak MB':>8} {'procs':>6}"
    print()
    print(header)
    print("-" * len(header))
    for step in steps.values():
        if not step.runs:
            print(f"{step.label:<34} {'not measured':>9}")
            continue
        per = step.median / step.items * 1000
        span = f"{min(step.walls):.2f}–{max(step.walls):.2f}"
        print(f"{step.label:<34} {step.median:>9.2f} {span:>13} {per:>8.2f} ms/{step.unit:<1} "
              f"{step.utilisation:>8.2f} {step.peak_mb:>8.0f} {step.procs:>6}")


@dataclass
class Goal:
    text: str
    value: str
    met: bool


def _ratio_goal(text: str, a: Step, b: Step, limit: float, at_most: bool) -> Goal:
    if not (a.runs and b.runs):
        return Goal(text, "not measured", False)
    ratio = a.median / b.median
    return Goal(text, f"{ratio:.2f}", ratio <= limit if at_most else ratio >= limit)


def _peak_goal(step: Step) -> Goal:
    text = f"{step.label} peak ≤ {MAX_PEAK_MB:g} MB"
    if not step.runs:
        return Goal(text, "not measured", False)
    return Goal(text, f"{step.peak_mb:.0f} MB", step.peak_mb <= MAX_PEAK_MB)


def _cores_goal(step: Step) -> Goal:
    text = f"{step.label} uses both cores (CPU/wall ≥ {MIN_PARALLEL_UTILISATION})"
    if not step.runs:
        return Goal(text, "not measured", False)
    return Goal(text, f"{step.utilisation:.2f}", step.utilisation >= MIN_PARALLEL_UTILISATION)


def _import_goals(step: Step) -> list[Goal]:
    medians = import_medians_ms(step)
    return [Goal(f"import median per .{kind} ≤ {limit:g} ms",
                 f"{medians[kind]:.1f} ms" if kind in medians else "not measured", medians.get(kind, 1e9) <= limit)
            for kind, limit in MAX_IMPORT_MS.items()]


def _audit_goal(step: Step) -> Goal:
    text = f"audit of {step.items} reports ≤ {MAX_AUDIT_S:g} s"
    if not step.runs:
        return Goal(text, "not measured", False)
    return Goal(text, f"{step.median:.1f} s", step.median <= MAX_AUDIT_S)


def evaluate(steps: dict[str, Step]) -> list[Goal]:
    merge, floor, usual = steps["merge"], steps["floor"], steps["usual"]
    render, pydocx = steps["render"], steps["pydocx"]
    return [
        _ratio_goal(f"merge ÷ floor ≤ {MAX_MERGE_OVER_FLOOR}", merge, floor, MAX_MERGE_OVER_FLOOR, True),
        _ratio_goal(f"usual ÷ merge ≥ {MIN_USUAL_OVER_MERGE:g}", usual, merge, MIN_USUAL_OVER_MERGE, False),
        _peak_goal(merge),
        _ratio_goal(f"render ÷ python-docx ≤ {MAX_RENDER_OVER_PYDOCX}", render, pydocx, MAX_RENDER_OVER_PYDOCX,
                    True),
        _peak_goal(render),
        _cores_goal(merge),
        _cores_goal(render),
        *_import_goals(steps["import"]),
        _audit_goal(steps["audit"]),
        _cores_goal(steps["audit"]),
    ]


def markdown(steps: dict[str, Step], goals: list[Goal], args: argparse.Namespace, runs: dict[str, int]) -> str:
    """The figures as Markdown, for benchmarks/README.md."""
    lines = [
        f"N = {args.n} workbooks, R = {args.renders} reports, P = {args.published} published reports, {args.runs} runs "
        f"({runs['usual']} of the usual script); {time.strftime('%Y-%m-%d')}.",
        "",
        "| step | median s | min–max s | per item | CPU/wall | peak MB | procs |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for step in steps.values():
        if step.runs:
            lines.append(f"| {step.label} | {step.median:.2f} | {min(step.walls):.2f}–{max(step.walls):.2f} | "
                         f"{step.median / step.items * 1000:.2f} ms/{step.unit} | {step.utilisation:.2f} | "
                         f"{step.peak_mb:.0f} | {step.procs} |")
    if steps["import"].runs:
        medians = import_medians_ms(steps["import"])
        lines += ["", "Import, median ms per report: " + ", ".join(f".{k} {v:.1f}" for k, v in medians.items())]
    lines += ["", "| goal | measured | met |", "| --- | ---: | :---: |"]
    lines += [f"| {g.text} | {g.value} | {'yes' if g.met else '**no**'} |" for g in goals]
    return "\n".join(lines)


def print_cpu_ratios(steps: dict[str, Step]) -> None:
    """The same comparisons in CPU seconds, for a machine shared with other work."""
    pairs = (("merge", "floor"), ("usual", "merge"), ("render", "pydocx"))
    parts = [f"{a} ÷ {b} {steps[a].cpu / steps[b].cpu:.2f}" for a, b in pairs if steps[a].runs and steps[b].runs]
    if parts:
        print("\nby CPU seconds instead of wall time: " + ", ".join(parts))


def contention_note(steps: dict[str, Step]) -> str:
    """Single-process steps should keep one core busy; much less means other work took the CPU."""
    shares = [steps[name].utilisation for name in ("floor", "usual", "pydocx") if steps[name].runs]
    if shares and min(shares) < 0.9:
        return (f"note: the machine was busy (a single-process step got only {min(shares):.0%} of a core); "
                "wall-time figures are noisy, run again on a quiet machine")
    return ""


def print_goals(goals: list[Goal], quick: bool) -> None:
    print()
    for goal in goals:
        mark = "ok" if goal.met else ("missed" if not quick else "(miss)")
        print(f"  [{mark:^6}] {goal.text:<52} {goal.value}")
    if quick:
        print("  --quick: start-up dominates at this size; the goals are checked only in a full run.")


def machine() -> dict[str, str]:
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as fh:
        mem_kb = int(fh.readline().split()[1])
    return {"cpus": str(os.cpu_count()), "cpu": model, "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
            "python": platform.python_version()}


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("nianbao", "pandas", "openpyxl", "python-calamine", "isal", "docxtpl", "python-docx"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "-"
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="department workbooks to merge (default 1000)")
    parser.add_argument("--renders", type=int, default=200, help="reports to render (default 200)")
    parser.add_argument("--published", type=int, default=1000,
                        help="published reports to import and audit (default 1000: .docx, PDF and HTML)")
    parser.add_argument("--runs", type=int, default=3, help="runs of every step (default 3)")
    parser.add_argument("--usual-runs", type=int, default=2,
                        help="runs of the slow pandas + openpyxl script (default 2, at most --runs)")
    parser.add_argument("--quick", action="store_true", help="a small try-out: --n 50 --renders 20 --runs 1")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the cached workbooks and report inputs")
    parser.add_argument("--json", type=Path, help="also write the raw figures to this file")
    parser.add_argument("--markdown", action="store_true", help="also print the figures as Markdown (for the README)")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.renders, args.published, args.runs = 50, 20, 30, 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    info = {**machine(), **{f"v:{k}": v for k, v in versions().items()}}
    print("machine: " + ", ".join(f"{k} {v}" for k, v in machine().items()))
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    t0 = time.perf_counter()
    print(f"preparing {args.n} workbooks, {args.renders} report inputs and {args.published} published reports "
          "(cached under benchmarks/.cache) …")
    wb_dir = _data.ensure_workbooks(args.n, regenerate=args.regenerate)
    rep_dir = _data.ensure_reports(args.renders, regenerate=args.regenerate)
    pub_dir = _data.ensure_published(args.published, regenerate=args.regenerate)
    print(f"  ready in {time.perf_counter() - t0:.1f} s: {wb_dir.name}, {rep_dir.name}, {pub_dir.name}")
    for folder in (wb_dir, rep_dir, pub_dir):
        if note := _data.stale_note(folder):
            print(f"  note: {note}")
    # A private working folder, so that two benchmark runs at once do not clear each other's outputs.
    work = Path(tempfile.mkdtemp(prefix="run-", dir=_data.CACHE))
    try:
        return measure_and_report(args, info, (wb_dir, rep_dir, pub_dir), work, t0)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure_and_report(args: argparse.Namespace, info: dict[str, str], inputs: tuple[Path, Path, Path],
                       work: Path, t0: float) -> int:
    steps = {
        "merge": Step("merge", "nianbao merge", args.n, "wb"),
        "floor": Step("floor", "floor: python-calamine read", args.n, "wb"),
        "frame": Step("frame", "floor + imports + DataFrame", args.n, "wb"),
        "usual": Step("usual", "usual: pandas + openpyxl", args.n, "wb"),
        "render": Step("render", "nianbao render", args.renders, "r"),
        "pydocx": Step("pydocx", "python-docx build", args.renders, "r"),
        "import": Step("import", "nianbao import (each report)", args.published, "r"),
        "audit": Step("audit", "nianbao audit (folder)", args.published, "r"),
    }
    commands = step_commands(work, *inputs)
    # Warm the page cache so the first measured run does not pay for the disk.
    subprocess.run(commands["floor"], capture_output=True, check=False)
    for path in inputs[2].iterdir():
        path.read_bytes()
    runs = {name: args.runs for name in steps}
    runs["usual"] = min(args.runs, args.usual_runs)  # ~10x slower than the rest; fewer runs keep it under 10 min
    try:
        run_all(steps, commands, runs, work)
    except StepFailed as exc:
        print(f"\nFAILED: {exc}", file=sys.stderr)
        return 2
    print_table(steps)
    if steps["import"].runs:
        medians = import_medians_ms(steps["import"])
        print("\nimport, median ms per report: " + ", ".join(f".{k} {v:.1f}" for k, v in medians.items()))
    print_cpu_ratios(steps)
    goals = evaluate(steps)
    print_goals(goals, args.quick)
    if note := contention_note(steps):
        print(f"\n{note}")
    if args.markdown:
        print("\n" + markdown(steps, goals, args, runs))
    print(f"\nwhole run: {time.perf_counter() - t0:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({
            "args": {"n": args.n, "renders": args.renders, "runs": runs},
            "machine": info,
            "steps": {name: s.runs for name, s in steps.items()},
            "goals": [g.__dict__ for g in goals],
        }, ensure_ascii=False, indent=1), encoding="utf-8")
    missed = [g for g in goals if not g.met]
    return 1 if missed and not args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
