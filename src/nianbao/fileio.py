"""Files in and out: atomic writes, one lock per output folder, bounded JSON reading, a symlink-safe walk.

Output files are written atomically: to a temporary file beside the target, then renamed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import stat
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from .errors import NianbaoError, UsageError


@dataclass(frozen=True)
class Upload:
    """A file given as bytes rather than a path (a web upload, a stream already read): `name` is what users see
    and gives the file type; the bytes are never written anywhere by the library."""

    name: str
    data: bytes
    mtime: float = 0.0  # seconds since the epoch, when the sender knows it


def _default_mode() -> int:
    """The mode a plain open() would give a new file: 0o666 less the umask (read once)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _default_mode()


class OutputError(NianbaoError):
    """An output file or folder cannot be created or written (no permission, a file in the way, …)."""


_OS_REASONS = {
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.EROFS: "所在磁盘是只读的",
    errno.ENAMETOOLONG: "名称太长",
    errno.ENOTDIR: "路径中有一段是文件而不是文件夹",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.EEXIST: "已有同名的文件",
    errno.ENOSPC: "磁盘空间不足",
    errno.ENOENT: "路径不存在",
}


def os_reason(exc: OSError) -> str:
    """An OSError in words a clerk understands."""
    return _OS_REASONS.get(exc.errno or 0) or exc.strerror or str(exc)


def make_folder(folder: Path) -> None:
    """mkdir -p, with a Chinese OutputError naming the folder when it cannot be made."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise OutputError(f"无法创建文件夹 {folder}：已有同名的文件") from exc
    except OSError as exc:
        raise OutputError(f"无法创建文件夹 {folder}：{os_reason(exc)}") from exc


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it replaces the target in one step."""
    target = Path(target)
    make_folder(target.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:100]}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"无法写入 {target}：{os_reason(exc)}") from exc
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates the file readable by its owner only; outputs are for the whole office.
        os.chmod(tmp_path, _FILE_MODE)
        try:
            os.replace(tmp_path, target)
        except OSError as exc:
            raise OutputError(f"无法写入 {target}：{os_reason(exc)}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def write_bytes_atomic(target: str | os.PathLike[str], data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(target: str | os.PathLike[str], text: str) -> None:
    write_bytes_atomic(target, text.encode("utf-8"))


# -- reading JSON -----------------------------------------------------------------------------------
# merged.json of the largest body is well under 1 MB; 50 MB is room for any real file, and a bound against
# a file that would take the whole memory.
MAX_JSON_BYTES = 50 * 1024 * 1024
# merged.json nests four levels; the bound stops deep nesting before Python's recursion limit does.
MAX_JSON_DEPTH = 64
# Python refuses to convert integers of more than 4,300 digits; longer literals stay Decimal (and are
# refused by the number parser) instead of failing the whole file.
_MAX_INT_DIGITS = 40


def _json_int(text: str) -> int | Decimal:
    return int(text) if len(text) <= _MAX_INT_DIGITS else Decimal(text)


def _decode_utf8(raw: bytes, label: str) -> str:
    """UTF-8 with or without a BOM; anything else is refused with what it probably is.

    GBK is not guessed: GB18030 decodes almost any byte string, so a clean decode proves nothing, and a
    wrong guess would put a garbled 机关名称 into a published report.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UsageError(f"{label} 是 UTF-16 编码，请另存为 UTF-8 后重试。")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise UsageError(
            f"{label} 不是 UTF-8 编码（可能是 GBK），请另存为 UTF-8 后重试（第 {line} 行有无法识别的字节）。"
        ) from exc


def _depth_ok(data: Any, limit: int) -> bool:
    """True when containers nest at most `limit` deep (iterative: deep data must not recurse here either)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return False
                stack.append((child, depth + 1))
    return True


def _require_regular_file(path: Path, label: str) -> None:
    """Refuse a folder, a named pipe or a device before opening it: reading a pipe waits for ever."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise UsageError(f"无法读取 {label}：{os_reason(exc)}") from exc
    if stat.S_ISDIR(mode):
        raise UsageError(f"{label} 是文件夹，不是数据文件。")
    if not stat.S_ISREG(mode):
        raise UsageError(f"{label} 不是普通文件（可能是管道或设备），无法读取。")


def read_input_bytes(
    path: str | os.PathLike[str], max_bytes: int, what: str = "", too_large: str = "过大，无法使用"
) -> bytes:
    """A user's input file, whole, if it is a regular file of at most `max_bytes`; else a UsageError."""
    path = Path(path)
    label = f"{what}{path}"
    _require_regular_file(path, label)
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise UsageError(f"无法读取 {label}：{os_reason(exc)}") from exc
    if len(data) > max_bytes:
        raise UsageError(f"{label} 超过 {max_bytes // (1024 * 1024)} MB，{too_large}。")
    return data


def read_json(path: str | os.PathLike[str], what: str = "") -> Any:
    """A user-supplied JSON file, read with bounds; every problem is a UsageError naming the file.

    Numbers with a fraction or exponent become Decimal (amounts keep their digits); NaN, Infinity and
    -Infinity, which strict JSON does not allow, become the non-finite Decimal, never a float, so the
    number parser can refuse them by key. `what` prefixes the file in messages (e.g. "上年数据 ").
    """
    label = f"{what}{path}"
    raw = read_input_bytes(path, MAX_JSON_BYTES, what, too_large="不是 nianbao 的数据文件")
    text = _decode_utf8(raw, label)
    try:
        data = json.loads(text, parse_float=Decimal, parse_int=_json_int, parse_constant=Decimal)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{label} 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）。") from exc
    except RecursionError:
        too_deep = True
    else:
        too_deep = not _depth_ok(data, MAX_JSON_DEPTH)
    if too_deep:
        raise UsageError(f"{label} 的内容嵌套超过 {MAX_JSON_DEPTH} 层，不是 nianbao 的数据文件。")
    return data


# -- one run per output folder ----------------------------------------------------------------------
LOCK_NAME = ".nianbao.lock"
# Windows locks a byte range; the range lies past the holder's details so others can still read them.
_WIN_LOCK_OFFSET = 1 << 20


class FolderBusy(NianbaoError):
    """Another run holds the lock of the output folder."""


def _try_lock(fh: IO[bytes]) -> bool:
    """Take the OS lock without waiting; the OS drops it when the process ends, however it ends."""
    try:
        if sys.platform == "win32":  # spelled so type checkers know msvcrt exists here
            import msvcrt

            fh.seek(_WIN_LOCK_OFFSET)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK, errno.EDEADLK):
            return False
        raise
    return True


def _unlock(fh: IO[bytes]) -> None:
    if sys.platform == "win32":
        import msvcrt

        fh.seek(_WIN_LOCK_OFFSET)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _holder(lock: Path) -> str:
    """'（进程 123，2026-01-05 09:30:00 开始）' from the lock file, or '' while its holder is still writing it."""
    try:
        pid, started = lock.read_text(encoding="utf-8").split("\n")[:2]
    except (OSError, UnicodeDecodeError, ValueError):
        return ""
    return f"（进程 {pid}，{started} 开始）" if pid.strip().isdigit() else ""


def _open_locked(lock: Path) -> IO[bytes] | None:
    """The lock file, opened and locked by this process; None when another process holds it."""
    while True:
        fh = lock.open("a+b")
        if not _try_lock(fh):
            fh.close()
            return None
        # A holder that finished unlinks the file; a lock on that unlinked file would guard nothing.
        try:
            same = os.name == "nt" or os.path.samestat(os.fstat(fh.fileno()), os.stat(lock))
        except FileNotFoundError:
            same = False
        if same:
            return fh
        fh.close()


@contextlib.contextmanager
def lock_folder(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold the output folder for one run; a second run gets FolderBusy at once instead of racing.

    The folder is created if needed, and removed again if this run created it and left it empty.
    """
    folder = Path(folder)
    created = not folder.exists()
    make_folder(folder)
    lock = folder / LOCK_NAME
    try:
        fh = _open_locked(lock)
    except OSError as exc:
        raise OutputError(f"无法在文件夹 {folder} 中写入：{os_reason(exc)}") from exc
    if fh is None:
        raise FolderBusy(
            f"另一个 nianbao 程序正在写入文件夹 {folder}{_holder(lock)}。请等它结束后再运行，或用 --out 换一个文件夹。"
        )
    try:
        fh.truncate(0)
        fh.write(f"{os.getpid()}\n{dt.datetime.now().isoformat(sep=' ', timespec='seconds')}\n".encode())
        fh.flush()
        yield folder
    finally:
        if os.name != "nt":
            with contextlib.suppress(OSError):
                lock.unlink()  # while still locked, so nobody can take the lock on a file about to go
        _unlock(fh)
        fh.close()
        if os.name == "nt":
            with contextlib.suppress(OSError):
                lock.unlink()
        if created:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only succeeds when the run wrote nothing


# -- walking an input folder ------------------------------------------------------------------------
@dataclass(frozen=True)
class SkippedLink:
    """A symbolic link a folder walk did not follow, and why."""

    path: Path  # the link, under the walked folder
    target: str  # where it points, as far as it could be resolved
    reason: str  # "outside" (out of the folder), "loop" (to a folder above it), "broken" (missing or a ring)


def _link_entry(path: Path, root: Path) -> tuple[Path | None, SkippedLink | None]:
    """A link's real file when it is a file inside `root`; a SkippedLink when it must not be followed."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):  # a missing target or a loop of links
        return None, SkippedLink(path, os.readlink(path), "broken")
    if not real.is_relative_to(root):
        return None, SkippedLink(path, str(real), "outside")
    if real.is_dir() and path.parent.resolve().is_relative_to(real):
        return None, SkippedLink(path, str(real), "loop")  # its own folder or one above: round and round
    # Folders inside the walked folder are walked through their real path; links to them add nothing.
    return (real if real.is_file() else None), None


def walk_files(
    root: str | os.PathLike[str], exclude: Sequence[str | os.PathLike[str]] = ()
) -> tuple[list[Path], list[SkippedLink]]:
    """Every file under `root`, sorted, each read once: links are not followed out of `root`, never loop,
    and a link to a file that is also reached directly is dropped. Paths keep their place under `root`.

    Files and folders whose real path lies in `exclude` (an output folder inside the input, a roster) are
    left out; an excluded folder is not even listed.
    """
    root = Path(root)
    real_root = root.resolve()
    excluded = tuple(Path(e).resolve() for e in exclude)
    files: dict[Path, Path] = {}  # real path → the path it is reported under
    links: list[tuple[Path, Path]] = []
    skipped: list[SkippedLink] = []
    pending = [(root, real_root)]
    while pending:
        folder, real_folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue  # a folder that cannot be listed holds nothing to read
        for entry in entries:
            path = Path(entry.path)
            # No link on the way down, so the real path is the real folder plus the entry's name.
            real = real_folder / entry.name
            if entry.is_symlink():
                target, skip = _link_entry(path, real_root)
                if skip is not None:
                    skipped.append(skip)
                elif target is not None and not _within(target, excluded):
                    links.append((target, path))
            elif _within(real, excluded):
                continue
            elif entry.is_dir(follow_symlinks=False):
                pending.append((path, real))
            elif entry.is_file(follow_symlinks=False):
                files[real] = path
    for real, path in sorted(links, key=lambda pair: pair[1]):
        files.setdefault(real, path)
    return sorted(files.values()), sorted(skipped, key=lambda s: s.path)


def _within(path: Path, folders: tuple[Path, ...]) -> bool:
    return any(path == f or path.is_relative_to(f) for f in folders) if folders else False


def skipped_link_findings(skipped: list[SkippedLink], root: Path) -> list[Any]:
    """One warning (F-SYMLINK) per link that was not followed, naming it and where it points."""
    from .findings import Finding, Severity

    out = []
    for link in skipped:
        name = link.path.relative_to(root).as_posix()
        why = {
            "outside": f"指向文件夹之外（{link.target}），为安全起见未读取；如需读取，请把文件本身复制到文件夹中",
            "loop": f"指向它所在的文件夹或上级文件夹（{link.target}），会循环读取，未跟随",
        }.get(link.reason, f"指向的文件不存在或链接成环（{link.target}），已跳过")
        out.append(
            Finding(
                code="F-SYMLINK",
                severity=Severity.WARNING,
                file=name,
                value=link.target,
                message=f"“{name}”是快捷方式（符号链接），{why}。",
            )
        )
    return out
