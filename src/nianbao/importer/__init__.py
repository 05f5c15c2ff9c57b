"""Read a published report back into the merged.json shape (`body`, `year`, `values`, `texts`, …).

`import_report` dispatches on the file suffix; for now only reports nianbao generated (.docx) are read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import UsageError
from . import docx as docx_reader

Reader = Callable[[Path], dict[str, Any]]

READERS: dict[str, Reader] = {
    ".docx": docx_reader.read_report,
}


def import_report(path: Path) -> dict[str, Any]:
    """The report's data as a merged.json-shaped dict; unreadable input is a UsageError."""
    if not path.is_file():
        raise UsageError(f"找不到文件：{path}")
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        supported = "、".join(sorted(READERS))
        raise UsageError(f"暂不支持导入 {path.suffix or '无扩展名'} 文件（支持：{supported}）。")
    return reader(path)


__all__ = ["READERS", "import_report"]
