"""`nianbao template` and `nianbao distribute`: the Excel template and personalized copies."""

from __future__ import annotations

COMMANDS: list = []
