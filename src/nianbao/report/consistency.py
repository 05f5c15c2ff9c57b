"""Rule X3: figures the clerks wrote in the narrative should equal the table cells.

Only unambiguous phrasings are recognised (Arabic numerals, a noun that names one cell); anything else is
left to the reader. Mismatches are warnings: a phrase may legitimately count something narrower.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..findings import Finding, Severity
from ..form import FORM, Number, official
from .context import ReportData

CODE = "X3"

_APPLICATION = r"(?:政府信息公开|信息公开|依申请公开)?申请"


@dataclass(frozen=True)
class Claim:
    pattern: re.Pattern[str]
    key: str  # the table cell the phrase states
    fixed: int | None = None  # the value a phrase without a number states (e.g. 未收到 → 0)


CLAIMS: tuple[Claim, ...] = (
    Claim(re.compile(r"(?:共|新)?(?:收到|受理)" + _APPLICATION + r"(\d+)件"), "t3.new.total"),
    Claim(re.compile(r"未(?:收到|受理)(?:任何)?" + _APPLICATION), "t3.new.total", 0),
    Claim(re.compile(r"行政处罚(?:决定)?(\d+)(?:件|个|宗)"), "t2.penalty.decisions"),
    Claim(re.compile(r"行政许可(?:决定)?(\d+)(?:件|个|宗)"), "t2.licensing.decisions"),
    Claim(re.compile(r"行政强制(?:决定)?(\d+)(?:件|个|宗)"), "t2.enforcement.decisions"),
    Claim(re.compile(r"行政复议(?:案件)?(\d+)件"), "t4.review.total"),
)


def _cell_label(key: str) -> str:
    return FORM.by_key[key].label


def narrative_findings(report: ReportData) -> list[Finding]:
    findings: list[Finding] = []
    for field_key, text in report.texts.items():
        if not text or FORM.by_key[field_key].part not in official.HEADINGS:  # narrative sections only
            continue
        findings += _check_text(field_key, text, report.values)
    return findings


def _check_text(field_key: str, text: str, values: Mapping[str, Number]) -> list[Finding]:
    out: list[Finding] = []
    section = FORM.by_key[field_key].part
    for claim in CLAIMS:
        for match in claim.pattern.finditer(text):
            stated = claim.fixed if claim.fixed is not None else int(match.group(1))
            actual = values.get(claim.key, 0)
            if stated != actual:
                out.append(Finding(
                    CODE, Severity.WARNING,
                    f"「{section}」中写的“{match.group(0)}”与表格「{_cell_label(claim.key)}」的 {actual} 不一致，请核对。",
                    key=claim.key, value=stated, expected=actual,
                ))
    return out
