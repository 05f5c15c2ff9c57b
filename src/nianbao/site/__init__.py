"""The collection website: departments upload their workbooks, see the findings at once; the coordinator follows
the returns on a dashboard and downloads the merged outputs and the report, all through `nianbao.pipeline`.

Needs the `site` extra (`pip install 'nianbao[site]'`).
"""

from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str) -> object:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
