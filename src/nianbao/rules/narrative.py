"""X3: figures the narrative states should equal the table cells (one rule for rendering and for auditing).

Only unambiguous phrasings are recognised (Arabic numerals, a noun that names one cell); anything else is left
to the reader. A phrase whose subject is a wider area than the report's body ("全区共收到申请95件" in an office's
report) is not compared: its scope differs from the tables'. Mismatches are warnings: a phrase may legitimately
count something narrower.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ..data import guess_body_type
from ..findings import Finding
from ..form import FORM, Severity, official
from ..naming import name_key
from ..numbers import Number, plain
from .registry import RegisteredRule, RuleInput, Scope, register

__all__ = ["CLAIMS", "NarrativeClaim", "narrative_sections"]

# The sections whose prose states the year's figures.
_SECTIONS = (official.HEADINGS[0], official.HEADINGS[5])


@dataclass(frozen=True)
class NarrativeClaim:
    """A phrase in the narrative that states a table number."""

    what: str  # in Chinese, for the message
    pattern: re.Pattern[str]
    keys: tuple[tuple[str, ...], ...]  # acceptable sums of cells (any one may match); the first is reported
    fixed: int | None = None  # what a phrase without a number states (未收到申请 → 0)

    @property
    def table(self) -> str:
        return FORM.by_key[self.keys[0][0]].part


_N = r"(\d+)\s*(?:件|个|宗)"
# Between the noun and its number: no sentence break, no other figure, and no word that names another column.
_GAP = r"(?:(?!现行有效|废止|结转|办结)[^。；;，,\d]){0,14}?"
_APPLICATION = r"(?:政府信息公开|信息公开|依申请公开)?申请"


def _p(regex: str) -> re.Pattern[str]:
    return re.compile(regex)


CLAIMS: tuple[NarrativeClaim, ...] = (
    NarrativeClaim(
        "新收政府信息公开申请",
        _p(r"(?:新收|收到|受理|接收|接到)" + _GAP + r"申请" + r"[^。；;\d]{0,6}?" + _N),
        (("t3.new.total",), ("t3.new.total", "t3.carried_over.total")),
    ),
    NarrativeClaim("上年结转的申请", _p(r"上年(?:度)?(?:结转|转结)" + _GAP + _N), (("t3.carried_over.total",),)),
    NarrativeClaim("办结的申请", _p(r"(?:已|共|全部)?办结" + _GAP + _N), (("t3.concluded_total.total",),)),
    NarrativeClaim(
        "结转下年度的申请", _p(r"(?:结转|转结|转)下(?:一)?年度?" + _GAP + _N), (("t3.carried_forward.total",),)
    ),
    NarrativeClaim("行政复议", _p(r"行政复议(?:案件)?" + _GAP + _N), (("t4.review.total",),)),
    NarrativeClaim("行政诉讼", _p(r"行政诉讼" + _GAP + _N), (("t4.suit_direct.total", "t4.suit_after_review.total"),)),
    NarrativeClaim(
        "制发的行政规范性文件",
        _p(r"(?:制发|印发|出台|制定|发布)" + r"[^。；;，,\d]{0,6}?" + r"规范性文件" + _GAP + _N),
        (("t2.normative_docs.issued",),),
    ),
    NarrativeClaim(
        "废止的行政规范性文件",
        _p(r"废止" + r"[^。；;，,\d]{0,6}?" + r"规范性文件" + _GAP + _N),
        (("t2.normative_docs.repealed",),),
    ),
    NarrativeClaim(
        "现行有效的行政规范性文件",
        _p(r"规范性文件[^。；;\d]{0,10}?现行有效" + r"[^。；;，,\d]{0,14}?" + _N),
        (("t2.normative_docs.in_force",),),
    ),
    NarrativeClaim("行政处罚决定", _p(r"行政处罚(?:决定)?" + _N), (("t2.penalty.decisions",),)),
    NarrativeClaim("行政许可决定", _p(r"行政许可(?:决定)?" + _N), (("t2.licensing.decisions",),)),
    NarrativeClaim("行政强制决定", _p(r"行政强制(?:决定)?" + _N), (("t2.enforcement.decisions",),)),
    # Phrases that state a zero.
    NarrativeClaim(
        "政府信息公开申请",
        _p(r"(?:未|没有|无)(?:收到|受理|接到|发生)" + r"[^。；;\d]{0,10}?" + _APPLICATION),
        (("t3.new.total",),),
        fixed=0,
    ),
    NarrativeClaim(
        "行政复议",
        _p(r"(?:未|没有|无)(?:发生|收到|被申请)?" + r"[^。；;\d]{0,12}?" + r"行政复议"),
        (("t4.review.total",),),
        fixed=0,
    ),
    NarrativeClaim(
        "行政诉讼",
        _p(r"(?:未|没有|无)(?:发生|被提起)?" + r"[^。；;\d]{0,16}?" + r"行政诉讼"),
        (("t4.suit_direct.total", "t4.suit_after_review.total"),),
        fixed=0,
    ),
)

# A subject wider than one body: the whole area, or all its departments and towns.
_WIDER = re.compile(
    r"全(?:区|市|县|省|旗|州|盟)|各(?:部门|单位|乡镇|街道|镇街|镇|区县|县区)|(?:区|市|县)直(?:各)?(?:部门|单位)|全系统"
)
_SENTENCE_START = re.compile(r"[。；;！!？?\n]")


def narrative_sections(texts: Mapping[str, str]) -> dict[str, str]:
    """The report's texts joined by section heading (what a published report prints under each heading)."""
    out: dict[str, list[str]] = {}
    for key, text in texts.items():
        field = FORM.by_key.get(key)
        if field is not None and field.part in official.HEADINGS and text:
            out.setdefault(field.part, []).append(text)
    return {heading: "\n".join(parts) for heading, parts in out.items()}


def _speaks_for_the_body(text: str, start: int, body: str) -> bool:
    """False when the sentence's subject before the claim is a wider area than a single office or town."""
    sentence = text[:start]
    cut = max((m.end() for m in _SENTENCE_START.finditer(sentence)), default=0)
    if not _WIDER.search(sentence[cut:]):
        return True
    # A county-level government's (or an area's) own report covers its area: 全区 is its own scope.
    return guess_body_type(body) == "县级" and body.endswith("人民政府")


def _stated(values: Mapping[str, Number], claim: NarrativeClaim) -> list[Number] | None:
    sums = []
    for keys in claim.keys:
        if any(k not in values for k in keys):
            return None
        sums.append(sum((values[k] for k in keys), 0))
    return sums


@register(
    "X3",
    Severity.WARNING,
    "“{section}”写“{quote}”，但{table}中{what}为{actual}件，请核对。",
    [Scope.PUBLISHED, Scope.RENDER],
)
def _narrative_numbers(rule: RegisteredRule, given: RuleInput) -> Iterator[Finding]:
    sections = given.sections if given.sections is not None else narrative_sections(given.data.texts)
    seen: set[tuple[str, str]] = set()
    for heading in _SECTIONS:
        text = name_key(sections.get(heading, ""))
        for claim in CLAIMS:
            sums = _stated(given.data.values, claim)
            if sums is None:
                continue
            for match in claim.pattern.finditer(text):
                stated = claim.fixed if claim.fixed is not None else int(match.group(1))
                if stated in sums or not _speaks_for_the_body(text, match.start(), given.data.body):
                    continue
                key = claim.keys[0][0]
                if (key, str(stated)) in seen:
                    continue
                seen.add((key, str(stated)))
                yield rule.finding(
                    sheet=heading,
                    cell=claim.what,
                    key=key,
                    value=stated,
                    expected=sums[0],
                    section=heading,
                    quote=match.group(0),
                    table=claim.table,
                    what=claim.what,
                    actual=plain(sums[0]),
                )
