"""Findings are data: a code, a severity, a location and a Chinese message a clerk can act on."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .form import RULE_TITLES, Severity

__all__ = ["CODES", "Finding", "Severity", "has_errors"]

# Every finding code with a short Chinese title. Rule ids of official-format.md §8 are used as codes
# where a rule applies; other codes describe file-level problems.
CODES: dict[str, str] = dict(RULE_TITLES)


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # Severity.ERROR / WARNING / INFO
    message: str  # one line of Chinese telling the clerk what is wrong and what to do
    file: str = ""
    sheet: str = ""
    cell: str = ""  # the real Excel address, e.g. "D7"
    department: str = ""
    key: str = ""  # the form field, when there is one
    value: Any = None  # what was found
    expected: Any = None  # what was expected
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR

    @property
    def address(self) -> str:
        """'Sheet'!D7, the form a spreadsheet accepts in a hyperlink or the name box."""
        if not self.sheet:
            return ""
        sheet = "'" + self.sheet.replace("'", "''") + "'"
        return f"{sheet}!{self.cell}" if self.cell else sheet

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if not d["extra"]:
            d.pop("extra")
        return d


def has_errors(findings: list[Finding]) -> bool:
    return any(f.is_error for f in findings)
