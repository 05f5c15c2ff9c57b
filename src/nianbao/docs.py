"""Generated documentation: the list of finding codes (docs/codes.md), derived from the registry and the form.

`python -m nianbao.docs` rewrites docs/codes.md; tests/test_docs.py fails when the file is out of date.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from .fileio import write_text_atomic
from .findings import CODES
from .form import FORM, Severity

__all__ = ["CODES_PATH", "GROUPS", "codes_markdown", "group_of", "main", "severities"]

# Where the generated list lives, relative to the project root.
CODES_PATH = Path("docs") / "codes.md"
REGENERATE = "python -m nianbao.docs"

# The README's groups, by code prefix; the first matching prefix wins, so longer prefixes come first.
GROUPS: tuple[tuple[str, str], ...] = (
    ("F-", "F 整个文件的问题"),
    ("V-", "V 单个数值的问题"),
    ("T2-", "T2 表二 主动公开政府信息情况"),
    ("T3-", "T3 表三 收到和处理政府信息公开申请情况"),
    ("T4-", "T4 表四 政府信息公开行政复议、行政诉讼情况"),
    ("X", "X 报告结构与文字"),
    ("C", "C 跨年度核对"),
    ("IM-", "IM 导入已发布的报告"),
    ("R-", "R 生成报告"),
)

SEVERITY_NAMES = {Severity.ERROR: "错误", Severity.WARNING: "警告", Severity.INFO: "提示"}
VARIES = "视情况"
_SEVERITY_ATTRS = {"ERROR": Severity.ERROR, "WARNING": Severity.WARNING, "INFO": Severity.INFO}
_SEVERITY_VALUES = set(_SEVERITY_ATTRS.values())
# Objects that carry a code without a severity: a reader's refusal always becomes an error (the file is not read).
_CARRIERS = {"Refusal": Severity.ERROR}


def group_of(code: str) -> str:
    """The README group a code belongs to ("" when none fits: the test keeps that from happening)."""
    return next((title for prefix, title in GROUPS if code.startswith(prefix)), "")


def _rule_statements() -> dict[str, tuple[str, set[str]]]:
    """Each form rule's own statement (its first declaration) and the severities its declarations use."""
    out: dict[str, tuple[str, set[str]]] = {}
    for rule in FORM.rules:
        _, levels = out.setdefault(rule.code, (rule.description, set()))
        levels.add(rule.severity)
    return out


def _severity_of(node: ast.expr) -> str | None:
    """A literal severity (Severity.ERROR or "error"), "" for any other expression, None when not a severity."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Severity":
        return _SEVERITY_ATTRS.get(node.attr, "")
    if isinstance(node, ast.Constant) and node.value in _SEVERITY_VALUES:
        return str(node.value)
    if isinstance(node, ast.IfExp) and _severity_of(node.body) is not None and _severity_of(node.orelse) is not None:
        return ""
    return None


def _module_strings(tree: ast.Module) -> dict[str, str]:
    """Module-level NAME = "text" constants, so CODE_TEMPLATE = "R-TPL" counts as the code it names."""
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Constant):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    out[target.id] = node.value.value
    return out


def _call_uses(tree: ast.Module) -> Iterator[tuple[str, str]]:
    """(code, severity) for every call that passes a registered code and a severity together."""
    names = _module_strings(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        args = [*node.args, *(k.value for k in node.keywords)]
        found = [a.value if isinstance(a, ast.Constant) else names.get(a.id, "") if isinstance(a, ast.Name) else ""
                 for a in args]
        call_codes = [c for c in found if isinstance(c, str) and c in CODES]
        levels = [s for s in map(_severity_of, args) if s is not None]
        if len(call_codes) == 1 and isinstance(node.func, ast.Name) and node.func.id in _CARRIERS:
            levels = [_CARRIERS[node.func.id]]
        if len(call_codes) == 1 and levels:
            yield call_codes[0], levels[0] if len(levels) == 1 else ""


def _sources() -> Iterable[Path]:
    return sorted(Path(__file__).parent.rglob("*.py"))


def severities() -> dict[str, str]:
    """Each code's fixed severity, or 视情况 when the declarations or the code that raises it allow more than one.

    Rules declare their severity; for other codes it is read from the calls that raise them, so nobody
    retypes it. A code raised with a computed severity, or never with a literal one, is 视情况.
    """
    seen: dict[str, set[str]] = {code: set() for code in CODES}
    for path in _sources():
        for code, level in _call_uses(ast.parse(path.read_text(encoding="utf-8"))):
            seen[code].add(level)
    for code, (_, levels) in _rule_statements().items():
        seen[code] |= levels
    return {code: SEVERITY_NAMES[next(iter(levels))] if len(levels) == 1 and "" not in levels else VARIES
            for code, levels in seen.items()}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def codes_markdown() -> str:
    """docs/codes.md: every finding code, grouped as the README groups them, with title, severity and statement."""
    statements = {code: statement for code, (statement, _) in _rule_statements().items()}
    levels = severities()
    lines = [
        "# 问题编号一览",
        "",
        f"本文件由程序生成（`{REGENERATE}`），请勿手工修改。",
        f"严重程度：错误的文件不参加汇总，警告只提示；“{VARIES}”表示同一编号按具体情况为错误或警告。",
        "官方格式规则（表二至表四的勾稽关系）另列规则本身的表述。",
    ]
    for _, title in GROUPS:
        members = [code for code in CODES if group_of(code) == title]
        if not members:
            continue
        lines += ["", f"## {title}", "", "| 编号 | 名称 | 严重程度 | 规则表述 |", "| --- | --- | --- | --- |"]
        lines += [f"| `{code}` | {_cell(CODES[code])} | {levels[code]} | {_cell(statements.get(code, ''))} |"
                  for code in members]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write docs/codes.md (or the path given) atomically."""
    args = sys.argv[1:] if argv is None else argv
    write_text_atomic(Path(args[0]) if args else CODES_PATH, codes_markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
