"""The one reader of dates a clerk or a coordinator writes: 2025-01-08, 2025/1/8, 2025年1月8日."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .naming import clean_name

__all__ = ["parse_date"]


def parse_date(raw: Any) -> dt.date:
    """An ISO date (2025-01-08) or 2025年1月8日."""
    if isinstance(raw, dt.date):
        return raw
    text = clean_name(raw)
    match = re.fullmatch(r"(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?", text)
    if not match:
        raise ValueError(text)
    return dt.date(*(int(g) for g in match.groups()))
