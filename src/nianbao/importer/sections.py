"""The outline of a published report: title, body, year, the six headings and the text under each.

Headings are found tolerantly (a lost numeral, as in the seed's `主动公开政府信息情况`, or an edited
wording) and every deviation is kept, so the audit can report X1 while the importer still knows where
each table and narrative section is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..form import FORM, official
from . import labels as lb
from .align import Document

HEADING_THRESHOLD = 0.85
_NUMERAL = re.compile(r"^[一二三四五六七八九十]+\s*[、.．,，]\s*")
_YEAR = re.compile(r"(20\d{2})\s*年")
_PERIOD = re.compile(r"(20\d{2})\s*年\s*1\s*月\s*1\s*日[^。；]{0,12}?(?:(20\d{2})\s*年\s*)?12\s*月\s*31\s*日")
_TITLE_WORDS = ("政府信息公开", "政务公开")


@dataclass(frozen=True)
class HeadingHit:
    number: str  # "二"
    expected: str  # the official heading
    found: str  # the text in the report
    block: int
    problem: str = ""  # "" verbatim; "numeral" lost numbering; "wording" edited; "punctuation"


@dataclass
class Outline:
    title: str = ""
    title_block: int = -1
    body: str = ""
    year: int | None = None  # from the title, else from the statistics period
    title_year: int | None = None
    period_year: int | None = None
    headings: list[HeadingHit] = field(default_factory=list)  # in document order
    section_text: dict[str, str] = field(default_factory=dict)  # "一" → narrative text
    preamble: str = ""
    n_blocks: int = 0

    def hit(self, number: str) -> HeadingHit | None:
        return next((h for h in self.headings if h.number == number), None)

    def section_range(self, number: str) -> tuple[int, int] | None:
        """Block range [start, end) of a section's content, or None when its heading was not found."""
        hit = self.hit(number)
        if hit is None:
            return None
        later = [h.block for h in self.headings if h.block > hit.block]
        return hit.block + 1, min(later) if later else self.n_blocks

    def region(self, number: str) -> tuple[int, int]:
        """Where a section's content must be, even when its own heading is missing: between the
        nearest found headings around it."""
        found = self.section_range(number)
        if found:
            return found
        order = [s.number for s in FORM.sections]
        idx = order.index(number)
        before = [h.block for h in self.headings if order.index(h.number) < idx]
        after = [h.block for h in self.headings if order.index(h.number) > idx]
        return (max(before) + 1 if before else self.title_block + 1), (min(after) if after else self.n_blocks)


def _heading_match(text: str) -> tuple[str, str] | None:
    """(section number, problem) when a paragraph is one of the six headings."""
    squashed = lb.squash(text)
    if not squashed or len(squashed) > 40:
        return None
    has_numeral = bool(_NUMERAL.match(squashed))
    body = _NUMERAL.sub("", squashed)
    for section in FORM.sections:
        heading = section.heading
        heading_body = _NUMERAL.sub("", heading)
        kind = lb.classify(squashed, heading)
        if kind is None:
            return section.number, ""
        if kind is lb.Deviation.PUNCTUATION or lb.match_key(squashed) == lb.match_key(heading):
            return section.number, kind.value
        if not has_numeral and lb.match_key(body) == lb.match_key(heading_body):
            return section.number, "numeral"
        if (
            has_numeral
            and squashed.startswith(section.number)
            and lb.similarity(body, heading_body) >= HEADING_THRESHOLD
        ):
            return section.number, "wording"
    return None


def find_title(doc: Document) -> tuple[str, int]:
    """The report title among the first paragraphs before 一、, read as a block.

    A long title wraps over 2–3 lines, and a PDF or web page often prints the body's full name on a line
    of its own above "YYYY年政府信息公开工作年度报告": such name lines are joined to the title. A preface
    that quotes 《…年度报告格式》 is never a title.
    """
    hint = re.split(r"[_|｜]| - ", doc.title_hint)[0].strip() if doc.title_hint else ""
    paragraphs = []
    for i, text in doc.paragraphs()[:15]:
        if _heading_match(text):
            break
        paragraphs.append((i, text))
    for span in (1, 2, 3):  # a one-paragraph title first: a breadcrumb line must not join it
        for n in range(len(paragraphs) - span + 1):
            part = paragraphs[n : n + span]
            if span > 1 and any(len(lb.squash(t)) > 40 for _i, t in part):
                continue
            text = "".join(t.strip() for _i, t in part)
            if _looks_like_title(lb.squash(text)):
                return _with_hint(_with_name_lines(paragraphs[:n], text), hint), part[-1][0]
    return (hint, -1) if _looks_like_title(lb.squash(hint)) else ("", -1)


def _with_hint(title: str, hint: str) -> str:
    """A title that names no body takes the body from the page's or file's own title, for the same year."""
    body, year = split_title(title)
    hint_body, hint_year = split_title(hint) if _looks_like_title(lb.squash(hint)) else ("", None)
    return hint_body + lb.squash(title) if not body and hint_body and hint_year == year else title


# A line that can only be part of the body's name: short, no digits, no sentence or breadcrumb marks.
_NAME_LINE = re.compile(r"^[^\d０-９。，,：:；;>＞》《|｜/（）()]{2,40}$")
_NOT_NAME = re.compile(r"首页|当前位置|来源|发布|浏览|字号|打印|关闭|分享|附件|专栏|年报$|报告$")


def _with_name_lines(before: list[tuple[int, str]], title: str) -> str:
    """The title with the body-name lines printed just above it, when the title itself names no body."""
    if split_title(title)[0]:
        return title
    names: list[str] = []
    for _i, text in reversed(before[-2:]):
        line = lb.squash(text)
        if not _NAME_LINE.match(line) or _NOT_NAME.search(line):
            break
        names.insert(0, line)
    return "".join(names) + title.strip() if names else title


# A preface sentence, not a title: it quotes a document or starts like 本报告根据…
_PREFACE = re.compile(r"[《》]|^(?:本报告|根据|按照|依据|依照|编制说明)")


def _looks_like_title(squashed: str) -> bool:
    return (
        len(squashed) <= 80
        and "。" not in squashed
        and bool(_YEAR.search(squashed))
        and any(w in squashed for w in _TITLE_WORDS)
        and ("报告" in squashed or "年报" in squashed)
        and not _PREFACE.search(squashed)
    )


def split_title(title: str) -> tuple[str, int | None]:
    """Body name and year from `<机关全称><YYYY>年…报告` (or `<YYYY>年<机关>…报告`)."""
    squashed = lb.squash(title)
    match = _YEAR.search(squashed)
    if not match:
        return "", None
    body = squashed[: match.start()]
    if not body:
        rest = squashed[match.end() :].lstrip("度")
        body = re.split("|".join(_TITLE_WORDS), rest)[0]
    return body, int(match.group(1))


def outline(doc: Document) -> Outline:
    out = Outline(n_blocks=len(doc.blocks))
    out.title, out.title_block = find_title(doc)
    out.body, out.title_year = split_title(out.title)
    seen: set[str] = set()
    for i, text in doc.paragraphs():
        if i <= out.title_block:
            continue
        match = _heading_match(text)
        if match and match[0] not in seen:
            number, problem = match
            heading = next(s.heading for s in FORM.sections if s.number == number)
            out.headings.append(HeadingHit(number, heading, text.strip(), i, problem))
            seen.add(number)
    first = out.headings[0].block if out.headings else out.n_blocks
    out.preamble = "\n".join(t for i, t in doc.paragraphs() if out.title_block < i < first)
    for section in FORM.sections:
        rng = out.section_range(section.number)
        if rng:
            out.section_text[section.number] = "\n".join(t for i, t in doc.paragraphs() if rng[0] <= i < rng[1])
    out.period_year = period_year(out.preamble + "\n" + out.section_text.get("一", ""))
    out.year = out.title_year or out.period_year
    return out


def period_year(text: str) -> int | None:
    match = _PERIOD.search(lb.squash(text))
    return int(match.group(1)) if match else None


def narrative_texts(out: Outline) -> dict[str, str]:
    """The `text.*` fields: 一 split by its official sub-headings when the report uses them, else
    kept whole as the summary; 五 and 六 as they are."""
    texts: dict[str, str] = {}
    overview = out.section_text.get("一", "")
    if overview:
        texts.update(_split_overview(overview))
    problems_key = official.PROBLEMS_TEXT[0]
    other_key = official.OTHER_TEXT[0]
    if out.section_text.get("五"):
        texts[problems_key] = out.section_text["五"]
    if out.section_text.get("六"):
        texts[other_key] = strip_signature(out.section_text["六"], out.body)
    return texts


_DATE_LINE = re.compile(r"^(?:20\d{2}|二〇[〇一二三四五六七八九]{2})年.{1,3}月.{1,3}日$")
_ORG_SUFFIX = re.compile(r"(?:政府|办事处|办公室|办公厅|局|委员会|委|中心|街道|镇|乡|厅|院|处|所|队)$")


def strip_signature(text: str, body: str = "") -> str:
    """The narrative of 六 without the signature lines (issuing body and date) that follow it."""
    lines = text.split("\n")
    while lines:
        last = lb.squash(lines[-1])
        is_date = bool(_DATE_LINE.match(last))
        is_issuer = (
            bool(last)
            and len(last) <= 30
            and not re.search("[。；;！？，,：:]", last)
            and ((body and body in last) or bool(_ORG_SUFFIX.search(last)))
        )
        if not (is_date or is_issuer or not last):
            break
        lines.pop()
    return "\n".join(lines)


def _split_overview(text: str) -> dict[str, str]:
    subs = [(key, label) for key, label, _help, _req in official.OVERVIEW_TEXTS if label.startswith("（")]
    summary_key = next(key for key, label, _h, _r in official.OVERVIEW_TEXTS if not label.startswith("（"))
    lines = text.split("\n")
    starts: list[tuple[int, str]] = []
    for n, line in enumerate(lines):
        for key, label in subs:
            if lb.match_key(line).startswith(lb.match_key(label)) and len(lb.squash(line)) <= len(label) + 6:
                starts.append((n, key))
    if len(starts) < 3:  # the report uses its own sub-headings: keep 一 whole
        return {summary_key: text}
    out: dict[str, str] = {}
    if starts[0][0] > 0:
        out[summary_key] = "\n".join(lines[: starts[0][0]])
    for (n, key), nxt in zip(starts, [*starts[1:], (len(lines), "")], strict=True):
        out[key] = "\n".join(lines[n + 1 : nxt[0]])
    return out
