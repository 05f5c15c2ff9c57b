"""Reading returned workbooks: hostile-input guards, value normalization and the calamine reader."""

from __future__ import annotations

from .values import Outcome, Parsed, parse_value
from .xlsx import CoverIdentity, WorkbookRead, read_workbook

__all__ = ["CoverIdentity", "Outcome", "Parsed", "WorkbookRead", "parse_value", "read_workbook"]
