"""Stages import in one direction: form → reader → checks → merge → outputs → report, importer beside the reader.

Each top-level module or package of nianbao has a rank; a module may import a module of a lower rank, or one of
its own package. The foundation (rank 0) is shared by every stage and may import within itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "nianbao"

RANKS: dict[str, int] = {
    # The foundation: the form declared once, and helpers every stage shares.
    "errors": 0,
    "numbers": 0,
    "dates": 0,
    "form": 0,
    "findings": 0,
    "fileio": 0,
    "parallel": 0,
    "roster": 0,
    # One report's data, typed, and the registry of the rules that judge it.
    "data": 0,
    "naming": 0,
    # A small .xlsx writer for fixed, styled sheets (汇总.xlsx): the standard library and the form only.
    "xlsxml": 0,
    "rules": 1,
    # The Excel template, written from the form; the JSON schema published from it.
    "workbook": 1,
    "schema": 1,
    # 图解: charts drawn from a table's numbers (汇总.xlsx and the report both carry them).
    "charts": 1,
    # Reading: returned workbooks, and published reports beside them (sharing the reader's guards).
    "reader": 2,
    "importer": 3,
    "checks": 4,
    "crossyear": 5,
    "merge": 6,
    # An area's report from its bodies' workbooks, data and reports; the merge's files beside it.
    "outputs": 7,
    "rollup": 8,
    "report": 8,
    "audit": 9,
    "audit_outputs": 10,
    "docs": 10,
    # The library pipeline over every stage; the CLI (and the site) are thin layers over it.
    "pipeline": 11,
    "site": 12,
    "cli": 13,  # `nianbao serve` starts the site
}


def _top(module: str) -> str:
    return module.split(".")[0]


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, top-level nianbao module) of every import in a file, relative or absolute."""
    relative = path.relative_to(PACKAGE).with_suffix("")
    parts = list(relative.parts)
    package = parts if parts[-1] == "__init__" else parts[:-1]
    if package and package[-1] == "__init__":
        package = package[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)]
            target = [*base, *(node.module.split(".") if node.module else [])]
            if target:
                found.append((node.lineno, target[0]))
            else:  # `from . import x` at the top of the package
                found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nianbao."):
            found.append((node.lineno, node.module.split(".")[1]))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name.split(".")[1]) for a in node.names if a.name.startswith("nianbao.")]
    return found


def _source_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__main__.py")


def _owner(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0] if parts[0] != "__init__" else ""


def test_every_module_has_a_rank() -> None:
    owners = {_owner(p) for p in _source_files()} - {""}
    assert owners <= set(RANKS), f"give these a stage in RANKS: {sorted(owners - set(RANKS))}"


@pytest.mark.parametrize("path", _source_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_stage_imports_a_later_one(path: Path) -> None:
    owner = _owner(path)
    if not owner:
        return  # the package's own __init__ exports only its version
    rank = RANKS[owner]
    for line, target in _imports(path):
        if target == owner or target not in RANKS:
            continue
        allowed = RANKS[target] < rank or RANKS[target] == rank == 0
        assert allowed, f"{path.relative_to(PACKAGE)}:{line} imports {target} (stage {RANKS[target]}) from stage {rank}"


def test_the_contract_can_fail(tmp_path: Path) -> None:
    """A reader that imported the report stage would be caught."""
    bad = PACKAGE / "reader" / "_probe_for_contract_test.py"
    bad.write_text("from ..report import render\n", encoding="utf-8")
    try:
        with pytest.raises(AssertionError, match="imports report"):
            test_no_stage_imports_a_later_one(bad)
    finally:
        bad.unlink()


# The library reports progress through a callback; only cli/ prints.
_CONSOLE_ALLOWED: set[str] = set()


def test_console_printing_lives_in_the_cli() -> None:
    printing = []
    for path in _source_files():
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "cli" or str(relative) in _CONSOLE_ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if any(n.split(".")[0] == "rich" for n in names) or (module or "").split(".")[0] == "rich":
                printing.append(f"{relative}:{node.lineno}")
            if isinstance(node, ast.FunctionDef) and node.name != "main":  # `python -m` entry points may print
                calls = [n for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
                printing += [f"{relative}:{n.lineno} print()" for n in calls if n.func.id == "print"]
    assert not printing, f"console output outside cli/: {printing}"
