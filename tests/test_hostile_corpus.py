"""Every hostile kind of tests/hostile/, run as the user runs it: `nianbao …` in a child process.

For each kind: the exit code is the expected one (never 3, never a signal); the output has no traceback
and no internal error, matches the kind's pattern and names the file; every input keeps its bytes and
mtime; no temporary or half-written file is left, and a refused run writes no output at all. Bombs run
under an address-space cap, every case under a timeout. Cases run two at a time in the background while
the tests read their outcomes in order.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile import KINDS, Case, says
from hostile.case import build_good_inputs
from hypothesis import given
from hypothesis import strategies as st

BOMB_MEMORY_BYTES = 1536 * 1024 * 1024  # 1.5 GiB of address space
WORKERS = 2  # the machine has two cores
_TMPDIR = ".tmpdir"  # the child's TMPDIR inside the case folder (an error log lands there, not in the shared one)

# The child caps its own address space before importing anything, then runs the real command line.
_CAP = (
    "import resource, sys\n"
    "limit = int(sys.argv.pop(1))\n"
    "if limit:\n"
    "    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))\n"
)
_BOOT = _CAP + "from nianbao.cli import main\nmain(prog_name='nianbao')\n"

Snapshot = dict[str, tuple[object, ...]]


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except PermissionError:  # the unreadable kind: its mode and mtime still count
        return "unreadable"


def snapshot(paths: tuple[Path, ...]) -> Snapshot:
    """Bytes, mtime and mode of every file under `paths`; links by their target (never followed)."""
    seen: Snapshot = {}
    for root in paths:
        for path in [root, *(sorted(root.rglob("*")) if root.is_dir() and not root.is_symlink() else [])]:
            info = path.lstat()
            if path.is_symlink():
                seen[str(path)] = ("link", os.readlink(path))
            elif stat.S_ISREG(info.st_mode):
                seen[str(path)] = ("file", _sha256(path), info.st_mtime_ns, info.st_mode)
            else:  # a folder, or a named pipe (never opened: that would block)
                seen[str(path)] = ("other", info.st_mtime_ns if not path.is_dir() else 0, info.st_mode)
    return seen


def files_under(folder: Path) -> set[Path]:
    """Every file and link under `folder` (links not followed), except the child's own TMPDIR."""
    out: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d != _TMPDIR and not Path(dirpath, d).is_symlink()]
        out.update(Path(dirpath, name) for name in filenames)
        out.update(Path(dirpath, d) for d in os.listdir(dirpath) if Path(dirpath, d).is_symlink())
    return out


@dataclass
class Outcome:
    case: Case
    command: str
    exit_code: int | None  # None: timed out
    output: str
    inputs_before: Snapshot
    inputs_after: Snapshot
    new_files: set[Path]
    skipped: str = ""
    seconds: tuple[float, float] = (0.0, 0.0)  # making the input, running the command

    def describe(self) -> str:
        short = re.sub(r"[\s\u2500-\u257f]+", " ", self.output).strip()[:400]  # without rules and boxes
        return _visible(f"`{self.command}` → exit {self.exit_code}: {short}")


def _visible(text: str) -> str:
    """Control characters spelled out, so a failure report cannot drive the terminal."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def run_case(kind: str, base: Path) -> Outcome:
    tmp = base / kind
    tmp.mkdir()
    start = time.perf_counter()
    case = KINDS[kind](tmp)
    made = time.perf_counter()
    command = "nianbao " + " ".join(case.args)
    if case.needs_non_root and os.geteuid() == 0:
        return Outcome(case, command, None, "", {}, {}, set(), skipped="以 root 运行时文件权限不起作用")
    (tmp / _TMPDIR).mkdir()
    before, existing = snapshot(case.inputs), files_under(tmp)
    env = {
        **os.environ,
        "COLUMNS": "1000",
        "NO_COLOR": "1",
        "TERM": "dumb",
        "PYTHONIOENCODING": "utf-8",
        "TMPDIR": str(tmp / _TMPDIR),
    }
    limit = BOMB_MEMORY_BYTES if case.bomb else 0
    with held(case.held_lock):
        exit_code, raw = _run(case, env, limit)
    output = raw.decode("utf-8", errors="replace")
    seconds = (made - start, time.perf_counter() - made)
    return Outcome(
        case, command, exit_code, output, before, snapshot(case.inputs), files_under(tmp) - existing, seconds=seconds
    )


@contextlib.contextmanager
def held(lock: Path | None) -> Iterator[None]:
    """Hold `lock` as another run would (an OS lock on its own open file) while the command runs."""
    if lock is None:
        yield
        return
    with lock.open("a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _run(case: Case, env: dict[str, str], limit: int, program: str = _BOOT) -> tuple[int | None, bytes]:
    """The exit code (None on timeout) and stdout + stderr; on timeout the whole process group is killed."""
    args = [sys.executable, "-c", program, str(limit), *case.args]
    with subprocess.Popen(
        args, cwd=case.cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    ) as proc:
        try:
            out, err = proc.communicate(timeout=case.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group this child leads: its workers go too
            out, err = proc.communicate()
            return None, out + err + f"\n[超时 {case.timeout} 秒]".encode()
    return proc.returncode, out + err


def _selected_kinds(session: pytest.Session) -> list[str]:
    kinds = []
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if getattr(item, "module", None) is sys.modules[__name__] and callspec and "kind" in callspec.params:
            kinds.append(callspec.params["kind"])
    return kinds


class Runs:
    """Cases running in the background, two at a time; a kind not started yet is started when asked for."""

    def __init__(self, pool: ThreadPoolExecutor, base: Path) -> None:
        self.pool, self.base = pool, base
        self.futures: dict[str, Future[Outcome]] = {}

    def start(self, kind: str) -> Future[Outcome]:
        if kind not in self.futures:
            self.futures[kind] = self.pool.submit(run_case, kind, self.base)
        return self.futures[kind]

    def outcome(self, kind: str) -> Outcome:
        return self.start(kind).result()


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    """Start every selected case at once; each test waits only for its own."""
    base = tmp_path_factory.mktemp("hostile")
    build_good_inputs()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        started = Runs(pool, base)
        for kind in _selected_kinds(request.session):
            started.start(kind)
        yield started
        for future in started.futures.values():
            future.cancel()
    shutil.rmtree(base, ignore_errors=True)


def _leftovers(outcome: Outcome) -> list[str]:
    """Temporary or hidden files the run left behind."""
    return sorted(str(p) for p in outcome.new_files if p.name.endswith(".tmp") or p.name.startswith("."))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_hostile_input_gets_a_clear_answer(runs: Runs, kind: str) -> None:
    outcome = runs.outcome(kind)
    case = outcome.case
    if outcome.skipped:
        pytest.skip(outcome.skipped)
    what = outcome.describe()
    assert outcome.exit_code is not None, f"超时：{what}"
    assert outcome.exit_code >= 0, f"被信号终止（可能是内存上限）：{what}"
    assert outcome.exit_code != 3, f"内部错误：{what}"
    assert "Traceback" not in outcome.output and "内部错误" not in outcome.output, what
    assert outcome.exit_code == case.exit_code, f"退出码应为 {case.exit_code}：{what}"
    assert case.name in outcome.output, f"输出没有写出文件名 {case.name!r}：{what}"
    assert re.search(case.message, outcome.output, re.DOTALL), f"输出不符合 {case.message!r}：{what}"
    # The words must be said, not merely spelled by the file's name or its folder ("炸弹.xlsx" says 炸弹).
    said = outcome.output.replace(str(case.cwd), "").replace(case.name, "")
    assert re.search(case.words, said), f"除文件名外，输出没有说明 {case.words!r}：{what}"
    for raw in case.forbidden:
        assert raw not in outcome.output, f"输出中原样含有 {raw!r}：{what}"
    assert outcome.inputs_after == outcome.inputs_before, f"输入文件被改动：{what}"
    assert not _leftovers(outcome), f"留下了临时文件 {_leftovers(outcome)}：{what}"
    if case.forbid_docx:
        assert not [p for p in outcome.new_files if p.suffix == ".docx"], f"不应生成报告：{what}"
    if case.refused:
        assert not outcome.new_files, f"拒绝时不应写出任何文件，却有 {sorted(map(str, outcome.new_files))}：{what}"


def test_corpus_covers_every_command_with_sixty_kinds() -> None:
    commands = {name.split("_", 1)[0] for name in KINDS}
    assert commands >= {"check", "merge", "render", "import", "audit"}
    assert len(KINDS) >= 60


_PLAIN = st.characters(codec="utf-8", exclude_characters="压缩损坏")


@given(
    name=st.text(_PLAIN, min_size=1, max_size=20),
    before=st.text(_PLAIN, max_size=20),
    after=st.text(_PLAIN, max_size=20),
)
def test_pattern_needs_the_name_and_a_word(name: str, before: str, after: str) -> None:
    """`says` matches wherever the name and the word stand (across lines), and never without either."""
    pattern = says(name, "压缩", "损坏")
    assert re.search(pattern, f"{before}{name}{after}损坏", re.DOTALL)
    assert re.search(pattern, f"压缩{before}\n{name}{after}", re.DOTALL)
    assert not re.search(pattern, f"{before}{name}{after}", re.DOTALL)
    without = f"{before}损坏{after}"
    assert bool(re.search(pattern, without, re.DOTALL)) == (name in without)


def _probe(tmp_path: Path, timeout: float = 60.0) -> Case:
    return Case(("probe",), (), 1, says("probe"), "probe", tmp_path, timeout=timeout)


def test_memory_cap_binds_the_child(tmp_path: Path) -> None:
    """A bomb that got past the guards would fail in the child (MemoryError), not take the machine."""
    grab = _CAP + "data = bytearray(3 * 1024 ** 3)\n"
    exit_code, output = _run(_probe(tmp_path), dict(os.environ), BOMB_MEMORY_BYTES, grab)
    assert exit_code == 1 and b"MemoryError" in output


def test_timeout_ends_the_child(tmp_path: Path) -> None:
    exit_code, output = _run(_probe(tmp_path, timeout=1.0), dict(os.environ), 0, "import time; time.sleep(600)")
    assert exit_code is None and "超时".encode() in output


def test_snapshot_sees_a_touched_input(tmp_path: Path) -> None:
    """The input check would notice a command that rewrites a file with the same bytes."""
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"x")
    before = snapshot((tmp_path,))
    os.utime(path, ns=(0, 0))
    assert snapshot((tmp_path,)) != before


def test_leftover_detection(tmp_path: Path) -> None:
    existing = files_under(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / ".报告.docx.abc.tmp").write_bytes(b"")
    (tmp_path / "case").mkdir()
    case = KINDS["check_empty_file"](tmp_path / "case")
    outcome = Outcome(case, "", 1, "", {}, {}, files_under(tmp_path) - existing)
    assert _leftovers(outcome) == [str(tmp_path / "out" / ".报告.docx.abc.tmp")]
