"""Generated documentation: the list of finding codes (docs/codes.md), derived from the registry and the form.

`python -m nianbao.docs` rewrites docs/codes.md; tests/test_docs.py fails when the file is out of date.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from dataclasses import fields
from pathlib import Path

from .fileio import write_text_atomic
from .findings import CODES, Finding
from .form import FORM, SEVERITY_LABELS, Severity
from .rules import REGISTRY, Scope
from .rules.registry import SCOPE_LABELS

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
    ("A-", "A 区域汇总"),
    ("IM-", "IM 导入已发布的报告"),
    ("R-", "R 生成报告"),
)

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


# Module-level constants of the package (NAME -> a code or a severity), so entry.IMPLAUSIBLE_CODE and
# entry.IMPLAUSIBLE_SEVERITY count as what they name. A name defined differently in two modules is dropped.
Constants = dict[str, str]


def _severity_of(node: ast.expr, names: Constants) -> str | None:
    """A literal severity (Severity.ERROR or "error"), "" for any other expression, None when not a severity."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Severity":
        return _SEVERITY_ATTRS.get(node.attr, "")
    if isinstance(node, ast.Constant | ast.Name | ast.Attribute):
        value = _resolve(node, names)
        return value if value in _SEVERITY_VALUES else None
    if isinstance(node, ast.IfExp):
        branches = (_severity_of(node.body, names), _severity_of(node.orelse, names))
        return "" if None not in branches else None
    return None


def _resolve(node: ast.expr, names: Constants) -> str:
    """The text a constant, a NAME or a module.NAME stands for ("" when it is not a known constant)."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else ""
    if isinstance(node, ast.Name):
        return names.get(node.id, "")
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return names.get(node.attr, "")
    return ""


def _module_constants(tree: ast.Module) -> Iterator[tuple[str, str]]:
    for node in tree.body:
        if isinstance(node, ast.Assign):
            value, targets = node.value, node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            value, targets = node.value, [node.target]
        else:
            continue
        text = _resolve(value, {}) if isinstance(value, ast.Constant) else _severity_of(value, {}) or ""
        for target in targets:
            if isinstance(target, ast.Name) and text:
                yield target.id, text


def _constants(trees: Iterable[ast.Module]) -> Constants:
    found: dict[str, set[str]] = {}
    for tree in trees:
        for name, text in _module_constants(tree):
            found.setdefault(name, set()).add(text)
    return {name: next(iter(texts)) for name, texts in found.items() if len(texts) == 1}


# A callee's positional parameters and defaults, so the argument bound to `severity` is the one read.
Signature = tuple[list[str], dict[str, ast.expr]]
_FINDING: Signature = ([f.name for f in fields(Finding)], {})


def _signatures(tree: ast.Module) -> dict[str, Signature]:
    out: dict[str, Signature] = {"Finding": _FINDING}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            params = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
            defaults = dict(zip(params[len(params) - len(node.args.defaults) :], node.args.defaults, strict=True))
            defaults.update(
                {a.arg: d for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True) if d is not None}
            )
            out[node.name] = ([*params, *(a.arg for a in node.args.kwonlyargs)], defaults)
    return out


def _bound_severity(node: ast.Call, signature: Signature, names: Constants) -> list[str]:
    """The severity a call to a known callee passes: a literal, its default, or "" when computed at run time."""
    params, defaults = signature
    if "severity" not in params:
        return []
    bound = dict(zip(params, node.args, strict=False)) | {k.arg: k.value for k in node.keywords if k.arg}
    given = bound.get("severity", defaults.get("severity"))
    level = _severity_of(given, names) if given is not None else None
    return [level or ""]


def _call_uses(tree: ast.Module, names: Constants) -> Iterator[tuple[str, str]]:
    """(code, severity) for every call that passes a registered code and a severity together."""
    signatures = _signatures(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        args = [*node.args, *(k.value for k in node.keywords)]
        call_codes = [c for c in (_resolve(a, names) for a in args) if c in CODES]
        callee = node.func.id if isinstance(node.func, ast.Name) else ""
        if callee in signatures:
            levels = _bound_severity(node, signatures[callee], names)
        else:
            levels = [s for s in (_severity_of(a, names) for a in args) if s is not None]
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
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in _sources()]
    names = _constants(trees)
    for tree in trees:
        for code, level in _call_uses(tree, names):
            seen[code].add(level)
    for code, (_, levels) in _rule_statements().items():
        seen[code] |= levels
    for code, rule in REGISTRY.items():  # a registered rule declares its severity
        seen[code] = {rule.severity}
    return {
        code: SEVERITY_LABELS[next(iter(levels))] if len(levels) == 1 and "" not in levels else VARIES
        for code, levels in seen.items()
    }


def _scopes(code: str) -> str:
    rule = REGISTRY.get(code)
    return "、".join(SCOPE_LABELS[s] for s in Scope if s in rule.scopes) if rule else ""


def _statement(code: str, statements: dict[str, str]) -> str:
    """A form rule's own statement; for another registered rule, its message template."""
    if code in statements:
        return statements[code]
    rule = REGISTRY.get(code)
    return f"消息：{rule.message}" if rule else ""


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
        "官方格式规则（表二至表四的勾稽关系）另列规则本身的表述；其他登记的规则列出消息的模板。",
        "“适用于”列出登记的规则在哪些场合检查：工作簿（nianbao check 和汇总时的每个文件）、汇总数据、"
        "已发布的报告（nianbao audit）、生成报告（nianbao render/build）、跨年度（--last-year）。",
    ]
    for _, title in GROUPS:
        members = [code for code in CODES if group_of(code) == title]
        if not members:
            continue
        lines += [
            "",
            f"## {title}",
            "",
            "| 编号 | 名称 | 严重程度 | 适用于 | 规则表述 |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| `{code}` | {_cell(CODES[code])} | {levels[code]} | {_scopes(code)} | "
            f"{_cell(_statement(code, statements))} |"
            for code in members
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write docs/codes.md (or the path given) atomically."""
    args = sys.argv[1:] if argv is None else argv
    write_text_atomic(Path(args[0]) if args else CODES_PATH, codes_markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
