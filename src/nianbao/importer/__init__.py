"""Read a report back into the merged.json shape (`body`, `year`, `values`, `texts`, …).

Every report, whoever made it, is read by `published.import_published` (tolerant label alignment, in .docx,
.html, .pdf and .txt). For a report nianbao generated, the narrative fields, the 信息处理费 figures and the
signature are then read exactly from its own layout, so render → import gives back every field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..form import FORM
from .embedded import compare_visible, read_embedded
from .published import SUFFIXES, import_published, sniff
from .published_docx import one_opening


def import_report(path: Path) -> dict[str, Any]:
    """The report's data as a merged.json-shaped dict, plus `problems` (what could not be read, and why).

    Raises `UsageError` when the file cannot be opened at all or holds none of the three tables.
    """
    with one_opening():  # a .docx is parsed once, though three readers look at it
        return _import_report(path)


def _import_report(path: Path) -> dict[str, Any]:
    from . import docx as own

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"找不到文件：{path}")
    if path.suffix.lower() not in SUFFIXES:
        raise UsageError(f"{path.name}：暂不支持导入 {path.suffix or '无扩展名'} 文件（支持：{'、'.join(SUFFIXES)}）。")
    if path.suffix.lower() == ".docx" and sniff(path) != "docx":
        raise UsageError(f"{path.name} 不是有效的 Word（.docx）文件（文件已损坏，或只是改了扩展名）。")
    result = import_published(path)
    if not any(result.tables_found.values()):
        raise UsageError(f"{path.name} 中找不到表二、表三、表四，无法导入。")
    data = result.to_json_dict()
    data["values"] = {f.key: result.values[f.key] for f in FORM.numeric_fields if f.key in result.values}
    if path.suffix.lower() == ".docx" and own.is_own_report(path):
        texts = own.read_own_texts(path)
        data["texts"] = texts["texts"]
        data["values"].update(texts["fees"])
        if "date" in texts:
            data["date"] = texts["date"]
    if sniff(path) == "html" and (page := read_embedded(path)) is not None:  # nianbao's own web page
        data["problems"] += [p.to_dict() for p in compare_visible(page["values"], data["values"], path.name)]
        data.update(page)
    missing = [f.key for f in FORM.table_fields if f.key not in data["values"]]
    if missing:
        data["missing"] = missing
    return data


__all__ = ["import_report"]
