"""Shared test configuration. Stage-specific fixtures live in each stage's own test module."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import settings

settings.register_profile("ci", deadline=None, max_examples=40)
settings.load_profile("ci")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `libreoffice` are skipped with a clear reason where soffice is not installed."""
    if shutil.which("soffice"):
        return
    skip = pytest.mark.skip(reason="LibreOffice (soffice) 未安装")
    for item in items:
        if "libreoffice" in item.keywords:
            item.add_marker(skip)
