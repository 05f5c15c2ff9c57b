"""Load on the collection site: N departments upload their workbooks at the same moment over loopback.

Starts `nianbao serve` in its own process on a fresh data folder with one collection of N departments, opens each
department's page (session and CSRF token), then releases all uploads at once. For each upload it measures the
time from sending the file to having the page with the findings (the POST and the redirect it answers with).
Prints p50/p95, throughput, the server's peak memory (VmHWM of the server process), and checks that every
upload is stored with the verdict its file deserves and that no request failed.

    python benchmarks/load_site.py              # 50 departments, goals enforced (exit 1 when one is missed)
    python benchmarks/load_site.py --n 10       # a try-out
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from nianbao import pipeline
from nianbao.site.store import Store
from nianbao.workbook.template import Identity, write_filled

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "大榭街道-2024" / "经济发展办.xlsx"
BODY, YEAR = "某某区人民政府", 2024
CONTACT = {"meta.preparer": "张三", "meta.phone": "0574-86761234", "meta.date": "2025-01-06"}
GOALS = {"p95_s": 1.0, "peak_mb": 300.0}
TIMEOUT = 60.0  # per request; the whole burst is bounded by it too
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _workbooks(folder: Path, names: list[str]) -> dict[str, bytes]:
    """One filled workbook per department (the example's numbers); every fifth has a 表三 mistake."""
    data = pipeline.check([EXAMPLE]).files[0].read.to_data()
    out = {}
    for i, name in enumerate(names):
        values = dict(data["values"])
        if i % 5 == 4:
            values["t3.new.natural_person"] = int(values.get("t3.new.natural_person") or 0) + 3
        path = folder / f"{name}.xlsx"
        write_filled(path, Identity(BODY, YEAR, name), values, texts=data["texts"], meta=CONTACT)
        out[name] = path.read_bytes()
    return out


def _peak_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else float("nan")


def _start(folder: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NIANBAO_ADMIN_PASSWORD": "load-test-password"}
    cmd = [sys.executable, "-c", "from nianbao.cli import main; main()", "serve", "--data", str(folder), "--port", str(port)]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit(f"the server did not start: {server.stderr.read().decode() if server.stderr else ''}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="departments uploading at once (default 50)")
    args = parser.parse_args()
    names = [f"部门{i:03d}" for i in range(1, args.n + 1)]
    with tempfile.TemporaryDirectory(prefix="nianbao-load-") as tmp:
        folder = Path(tmp) / "data"
        store = Store(folder)
        cid = store.create_collection(BODY, YEAR, dt.date(2025, 1, 10), names)
        links = {d.name: f"/d/{d.token}" for d in store.departments(cid)}
        files = _workbooks(Path(tmp), names)
        port = _free_port()
        server = _start(folder, port)
        base = f"http://127.0.0.1:{port}"
        try:
            times, failures = _burst(base, names, links, files)
            peak = _peak_mb(server.pid)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        lost, wrong = _verify(store, cid, names)
        store.close()
    return _report(args.n, times, failures, peak, lost, wrong)


def _burst(base: str, names: list[str], links: dict[str, str],
           files: dict[str, bytes]) -> tuple[list[float], list[str]]:
    barrier = threading.Barrier(len(names) + 1)
    times: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def department(name: str) -> None:
        with httpx.Client(base_url=base, timeout=TIMEOUT, follow_redirects=True) as client:
            try:
                page = client.get(links[name])
                token = CSRF.search(page.text)
                assert page.status_code == 200 and token, f"{name}: page {page.status_code}"
                barrier.wait(TIMEOUT)
                start = time.perf_counter()
                answer = client.post(f"{links[name]}/upload", data={"csrf_token": token.group(1)},
                                     files={"file": (f"{name}.xlsx", files[name])})
                elapsed = time.perf_counter() - start
                ok = answer.status_code == 200 and ("检查结果" in answer.text)
                with lock:
                    (times.append(elapsed) if ok else failures.append(f"{name}: HTTP {answer.status_code}"))
            except (httpx.HTTPError, AssertionError, threading.BrokenBarrierError) as exc:
                with lock:
                    failures.append(f"{name}: {exc!r}")

    threads = [threading.Thread(target=department, args=(n,)) for n in names]
    for t in threads:
        t.start()
    barrier.wait(TIMEOUT)
    started = time.perf_counter()
    for t in threads:
        t.join(TIMEOUT * 2)
    times.append(-(time.perf_counter() - started))  # the burst's wall time, marked negative, split off below
    return times, failures


def _verify(store: Store, cid: int, names: list[str]) -> tuple[int, int]:
    """Uploads missing from the store, and uploads whose verdict is not what the file deserves."""
    history = store.uploads_in(cid)
    lost = wrong = 0
    for i, department in enumerate(store.departments(cid)):
        uploads = history.get(department.id, [])
        if len(uploads) != 1 or not store.blob_path(uploads[0].sha256).is_file():
            lost += 1
            continue
        expected = "error" if i % 5 == 4 else "passed"
        wrong += uploads[0].verdict != expected
    return lost, wrong


def _report(n: int, times: list[float], failures: list[str], peak: float, lost: int, wrong: int) -> int:
    wall = -times.pop()
    ok = sorted(times)
    p50 = statistics.median(ok) if ok else float("nan")
    p95 = ok[math.ceil(0.95 * len(ok)) - 1] if ok else float("nan")  # nearest rank
    print(f"{n} uploads at once over loopback")
    print(f"  upload → findings  p50 {p50:.3f} s   p95 {p95:.3f} s   max {ok[-1] if ok else float('nan'):.3f} s")
    print(f"  throughput         {len(ok) / wall:.1f} uploads/s ({wall:.2f} s for the burst)")
    print(f"  server peak memory {peak:.0f} MB (VmHWM)")
    print(f"  lost {lost}   failed requests {len(failures)}   wrong verdicts {wrong}")
    for failure in failures[:10]:
        print(f"    {failure}")
    met = p95 <= GOALS["p95_s"] and peak <= GOALS["peak_mb"] and lost == 0 and not failures and wrong == 0
    print(f"goals (p95 ≤ {GOALS['p95_s']} s, peak ≤ {GOALS['peak_mb']:.0f} MB, 0 lost, 0 errors): "
          f"{'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
