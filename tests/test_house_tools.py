"""The lint and type-check gate: configured in pyproject.toml and run by CI before the tests."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIRED_RUFF_RULES = {"E", "F", "W", "I", "B", "UP", "SIM", "RUF", "PIE", "BLE"}


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _ci_lines() -> list[str]:
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def _readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^(python3 -m venv \.venv .*&& pytest)$", readme, re.MULTILINE)
    assert found, "README has no test command line"
    return found.group(1)


def test_test_extra_installs_the_tools() -> None:
    extra = _pyproject()["project"]["optional-dependencies"]["test"]
    names = {re.split(r"[<>=!~ ]", requirement, maxsplit=1)[0] for requirement in extra}
    assert {"ruff", "mypy"} <= names


def test_ruff_selects_the_house_rules() -> None:
    lint = _pyproject()["tool"]["ruff"]["lint"]
    assert set(lint["select"]) >= REQUIRED_RUFF_RULES
    assert _pyproject()["tool"]["ruff"]["line-length"] == 120


def test_mypy_is_strict_and_missing_imports_are_ignored_per_module_only() -> None:
    mypy = _pyproject()["tool"]["mypy"]
    assert mypy["strict"] is True
    assert "ignore_missing_imports" not in mypy
    for override in mypy.get("overrides", []):
        if override.get("ignore_missing_imports"):
            assert "*" not in override["module"]


def test_ci_lints_and_type_checks_before_the_readme_test_command() -> None:
    lines = _ci_lines()
    assert lines[-1] == _readme_test_command()
    assert "ruff check src tests" in lines[:-1]
    assert "ruff format --check src tests" in lines[:-1]
    assert "mypy src" in lines[:-1]


def test_every_type_ignore_in_the_package_names_its_error_code() -> None:
    bare = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "src").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"#\s*type:\s*ignore(?!\[)", line)
    ]
    assert bare == []
