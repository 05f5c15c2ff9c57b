"""From merged.json-shaped data to the docxtpl context: checked numbers, clean text, generated sentences.

Only `body`, `year`, `values` and `texts` are required, so figures from another system can be rendered.
Totals are always recomputed with `FORM.compute_derived`; a total given in the data that disagrees with the
recomputation is an error under the rule that defines it (T3-2, T3-3, T4-1).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from ..data import ReportData
from ..dates import parse_date
from ..errors import UsageError
from ..findings import Finding, Severity
from ..form import FORM, CellRule, FieldType, Number
from ..form.report_text import FEE_KEYS, fee_statement
from ..numbers import NotANumber, plain, to_decimal
from ..rules import RuleInput, Scope, run
from ..rules.tables import tainted_keys
from . import names
from .outline import subheadings_shown

# Finding codes of this stage (the rule ids of docs/codes.md are used where a rule applies).
CODE_UNKNOWN_KEY = "R-KEY"
CODE_FEE = "R-FEE"
CODE_DATE = "R-DATE"
CODE_EMPTY_SECTION = "X8"
CODE_TEXT = "R-TEXT"
# The longest real 机关名称 run to about 40 characters; far more is pasted text, and it would not fit
# a file name (255 bytes) or Word's title property (255 characters).
MAX_BODY_CHARS = 100

# The report for year Y is published in the first months of Y+1 (条例第四十九条: 1月31日 for 部门, 3月31日 for
# 本级政府, see official.DEADLINES): a signature date outside 1 January – 31 March of Y+1 is likely a typo.
WINDOW_START = (1, 1)
WINDOW_END = (3, 31)


# Characters XML 1.0 forbids (C0 controls except tab/newline/CR, lone surrogates, U+FFFE/U+FFFF). docxtpl
# re-parses its output with recover=True, which silently drops text after such a character.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# docxtpl turns \t, \a and \f in any printed string into a tab, a new paragraph and a page break.
_LAYOUT_CONTROLS = re.compile("[\t\x07\x0c\x0b]")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n|\u2028|\u2029|\x85")


def clean_text(text: str) -> str:
    """Text safe to print in a docx run: layout controls become spaces, forbidden characters go."""
    return _XML_FORBIDDEN.sub("", _LAYOUT_CONTROLS.sub(" ", text))


def paragraphs(text: str | None) -> list[str]:
    """The clerk's text as paragraphs: one per line, blank lines dropped, indentation removed.

    The report style indents every paragraph by two characters, so leading (full-width) spaces typed by
    the clerk are removed instead of being doubled.
    """
    if not text:
        return []
    lines = (clean_text(line).strip(" \u3000\u00a0") for line in _LINE_BREAKS.split(text))
    return [line for line in lines if line]


# -- numbers ----------------------------------------------------------------------------------------
def _as_decimal(value: Any) -> Decimal | None:
    """A finite Decimal, or None when the value is not a number (bools, NaN, ±Infinity, 1e400 are not)."""
    try:
        return to_decimal(value)
    except NotANumber:
        return None


def format_count(value: Number) -> str:
    return str(int(value))


def format_amount(value: Number) -> str:
    """万元/元 amounts without trailing zeros and never in exponent form: 0 → "0", 12.50 → "12.5"."""
    return plain(Decimal(value))


def format_value(key: str, value: Number) -> str:
    return format_amount(value) if FORM.by_key[key].type is FieldType.DECIMAL else format_count(value)


# -- the report data --------------------------------------------------------------------------------
@dataclass
class CheckedReport:
    """Report data read and checked for rendering: the numbers converted, totals recomputed, texts cleaned."""

    body: str
    year: int
    values: dict[str, Number]  # the 200 table numbers, totals recomputed
    fees: dict[str, Number]
    texts: dict[str, str]
    date: dt.date | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def data(self) -> ReportData:
        return ReportData(
            self.body,
            self.year,
            {**self.values, **self.fees},
            dict(self.texts),
            date=self.date.isoformat() if self.date else "",
        )


def _cell_rule_code(key: str) -> str:
    for rule in FORM.rules:
        if isinstance(rule, CellRule) and key in rule.keys:
            return rule.code
    return CODE_FEE


def _finding(
    code: str, message: str, key: str = "", value: Any = None, expected: Any = None, severity: str = Severity.ERROR
) -> Finding:
    return Finding(code=code, severity=severity, message=message, key=key, value=value, expected=expected)


def _shown(raw: Any) -> str:
    """A refused value as the data wrote it (Decimal('Infinity') → Infinity), cut short."""
    text = str(raw) if isinstance(raw, Decimal | int | float) else repr(raw)
    return text if len(text) <= 40 else text[:40] + "…"


def _read_number(key: str, raw: Any, findings: list[Finding]) -> Number | None:
    f = FORM.by_key[key]
    try:
        number = to_decimal(raw)
    except NotANumber as exc:
        findings.append(
            _finding(_cell_rule_code(key), f"「{f.label}」（{key}）{exc}：{_shown(raw)}。", key, _shown(raw))
        )
        return None
    if number < 0:
        findings.append(_finding(_cell_rule_code(key), f"「{f.label}」不能为负数：{raw}。", key, raw))
        return None
    if f.type is FieldType.INT:
        if number != number.to_integral_value():
            findings.append(_finding(_cell_rule_code(key), f"「{f.label}」应为整数（件数），实际为 {raw}。", key, raw))
            return None
        return int(number)
    return number


def _derivation_codes() -> dict[str, str]:
    return {rule.derives or "": rule.code for rule in FORM.derivations}


def _read_values(
    values: Mapping[str, Any], findings: list[Finding]
) -> tuple[dict[str, Number], dict[str, Number], frozenset[str]]:
    """Inputs checked and converted; totals recomputed and compared with any given total."""
    known = {f.key for f in FORM.table_fields} | set(FEE_KEYS)
    unknown = sorted(k for k in values if k not in known)
    if unknown:
        shown = "、".join(unknown[:5]) + (" 等" if len(unknown) > 5 else "")
        findings.append(
            _finding(
                CODE_UNKNOWN_KEY,
                f"数据中有 {len(unknown)} 个未知的键，已忽略：{shown}。",
                severity=Severity.WARNING,
                value=unknown,
            )
        )
    inputs: dict[str, Number] = {}
    invalid: list[str] = []
    for f in FORM.table_fields:
        if not f.input:
            continue
        if values.get(f.key) is None:
            invalid.append(f.key)
            findings.append(
                _finding(_cell_rule_code(f.key), f"缺少「{f.label}」的数字（不能空白，没有请填0）。", f.key)
            )
            continue
        number = _read_number(f.key, values[f.key], findings)
        if number is None:
            invalid.append(f.key)
        else:
            inputs[f.key] = number
    computed = FORM.compute_derived(inputs)
    codes = _derivation_codes()
    for key, code in codes.items():
        if values.get(key) is None:
            continue
        given = _read_number(key, values[key], findings)
        if given is not None and given != computed[key]:
            findings.append(
                _finding(
                    code,
                    f"「{FORM.by_key[key].label}」给出的合计 {given} 与按各项重新计算的 {computed[key]} 不一致。",
                    key,
                    given,
                    computed[key],
                )
            )
    fees: dict[str, Number] = {}
    for key in FEE_KEYS:
        if values.get(key) is None:
            fees[key] = 0
            continue
        number = _read_number(key, values[key], findings)
        fees[key] = number if number is not None else 0
    return computed, fees, frozenset(tainted_keys(invalid))


def _read_year(raw: Any) -> int:
    number = _as_decimal(raw)
    if number is None or number != number.to_integral_value() or not 2000 <= number <= 2999:
        raise UsageError(f"数据中的报告年度 year 不正确：{raw!r}（应为如 2024 的四位年份）。")
    return int(number)


def read_report_data(data: Mapping[str, Any]) -> CheckedReport:
    """Check the structure (a UsageError when it is unusable) and the values (findings)."""
    if not isinstance(data, Mapping):
        raise UsageError("报告数据应为 JSON 对象（含 body、year、values、texts）。")
    missing = [k for k in ("body", "year", "values", "texts") if k not in data]
    if missing:
        raise UsageError(f"报告数据缺少必需的项：{'、'.join(missing)}（需要 body、year、values、texts）。")
    body = data["body"]
    if not isinstance(body, str):
        raise UsageError(f"报告数据中的机关名称 body 应为文字，实际为 {_shown(body)}。")
    if not clean_text(body).strip():
        raise UsageError("报告数据中的机关名称 body 为空。")
    if len(clean_text(body).strip()) > MAX_BODY_CHARS:
        raise UsageError(
            f"报告数据中的机关名称 body 太长（{len(body)} 个字，最多 {MAX_BODY_CHARS} 个字），"
            "请检查是否误粘贴了其他文字。"
        )
    values, texts = data["values"], data["texts"]
    if not isinstance(values, Mapping) or not isinstance(texts, Mapping):
        raise UsageError("报告数据中的 values 和 texts 应为 JSON 对象。")
    findings: list[Finding] = []
    table_values, fees, tainted = _read_values(values, findings)
    clean_texts = _read_texts(texts, findings)
    report_date = None
    if data.get("date"):
        try:
            report_date = parse_date(data["date"])
        except ValueError:
            findings.append(
                _finding(
                    CODE_DATE,
                    f"报告日期 date 无法识别：{data['date']!r}，请用 --date 指定落款日期。",
                    severity=Severity.WARNING,
                )
            )
    findings += empty_section_findings(clean_texts)
    report = CheckedReport(
        clean_text(body).strip(), _read_year(data["year"]), table_values, fees, clean_texts, report_date, findings
    )
    # The registered rules for a report (the official identities on the recomputed table, plausibility, X3);
    # rules touching a bad cell are skipped, that cell has its own finding.
    report.findings[:0] = run(Scope.RENDER, RuleInput(report.data, tainted=tainted))
    return report


def _read_texts(texts: Mapping[str, Any], findings: list[Finding]) -> dict[str, str]:
    """The texts the form knows; a text that is not a string (a list, a number) is refused by name."""
    clean: dict[str, str] = {}
    for key, value in texts.items():
        if key not in FORM.text_keys or value is None:
            continue
        if not isinstance(value, str):
            label = FORM.by_key[key].label
            findings.append(
                _finding(CODE_TEXT, f"「{label}」（{key}）应为一段文字，实际为 {_shown(value)}。", key, value)
            )
            continue
        clean[key] = value
    return clean


def _has_generated_text(heading: str) -> bool:
    """A section the report always writes something into itself (六: the 信息处理费 statement)."""
    return any(f.numeric for f in FORM.texts if f.part == heading)


def empty_section_findings(texts: Mapping[str, str]) -> list[Finding]:
    """X8: a mandatory section with no text would be printed as a bare heading; one error per section."""
    out = []
    for section in FORM.sections:
        if not section.mandatory or _has_generated_text(section.heading):
            continue
        if any(paragraphs(texts.get(key)) for key in section.text_keys):
            continue
        out.append(
            Finding(
                code=CODE_EMPTY_SECTION,
                severity=Severity.ERROR,
                sheet=section.heading,
                key=section.text_keys[0] if section.text_keys else "",
                message=f"“{section.heading}”没有内容，报告中只会有标题：请在填报表的文字部分填写后"
                "重新汇总（正式报告中这一部分必须有文字）。",
            )
        )
    return out


def signature_date(report: CheckedReport, report_date: dt.date | None = None) -> dt.date:
    """The date under the signature: `report_date` (--date), else the data's own date (the collection's)."""
    day = report_date or report.date
    if day is None:
        raise UsageError(
            "无法确定报告的落款日期：数据中没有日期（各部门工作簿都没有填写填报日期）。"
            "请用 --date 指定，如 --date 2025-01-08。"
        )
    return day


def date_window_findings(year: int, day: dt.date) -> list[Finding]:
    """A warning when the signature date is outside the report year's publishing window."""
    start, end = dt.date(year + 1, *WINDOW_START), dt.date(year + 1, *WINDOW_END)
    if start <= day <= end:
        return []
    return [
        _finding(
            CODE_DATE,
            f"落款日期 {chinese_date(day)} 不在 {year} 年度报告的发布期内"
            f"（{chinese_date(start)}至{chinese_date(end)}；县级以上人民政府部门应在"
            f"{year + 1}年1月31日前公布）：请核对，如有误请用 --date 指定。",
            value=day.isoformat(),
            expected=f"{start.isoformat()}/{end.isoformat()}",
            severity=Severity.WARNING,
        )
    ]


# -- generated sentences ----------------------------------------------------------------------------
def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def contact_sentence(texts: Mapping[str, str]) -> str:
    """The e-version address and contact details of the opening paragraph, from text.report.*."""

    def get(name: str) -> str:
        return " ".join(paragraphs(texts.get(f"text.report.{name}", "")))

    sentences = []
    if website := get("website"):
        sentences.append(f"本报告电子版可在{website}查阅或下载。")
    details = [
        f"{label}：{value}"
        for label, value in (("地址", get("address")), ("邮编", get("postcode")), ("电话", get("phone")))
        if value
    ]
    office = get("contact_office")
    if office or details:
        who = f"与{office}联系" if office else "联系"
        sentences.append(f"如对本报告有疑问，请{who}" + (f"（{'，'.join(details)}）" if details else "") + "。")
    return "".join(sentences)


def _nest(flat: Mapping[str, Any]) -> dict[str, SimpleNamespace]:
    """{'t3.new.total': '0'} → {'t3': namespace(new=namespace(total='0'))} for `{{ t3.new.total }}`."""
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        node = tree
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value

    def to_namespace(node: Any) -> Any:
        if isinstance(node, dict):
            return SimpleNamespace(**{k: to_namespace(v) for k, v in node.items()})
        return node

    return {k: to_namespace(v) for k, v in tree.items()}


DRAFT_MARK_TEXT = "草稿"


def build_context(report: CheckedReport, *, report_date: dt.date | None = None, draft: bool = False) -> dict[str, Any]:
    """The docxtpl context: every number formatted (0 prints "0"), every text split into paragraphs.

    The signature date is `report_date`, else the data's date; with neither this is a UsageError
    (never today's date: a report printed long after its year would carry a wrong date).
    """
    day = signature_date(report, report_date)
    flat: dict[str, Any] = {k: format_value(k, v) for k, v in report.values.items()}
    flat.update({k: format_amount(v) for k, v in report.fees.items()})
    for f in FORM.texts:
        if f.type is FieldType.TEXT:
            flat[f.key] = paragraphs(report.texts.get(f.key))
    issuer = " ".join(paragraphs(report.texts.get("text.report.issuer"))) or report.body
    shown = subheadings_shown({f.key: flat[f.key] for f in FORM.texts if f.type is FieldType.TEXT})
    flat.update({names.subheading_path(k): v for k, v in shown.items()})
    context: dict[str, Any] = _nest(flat)
    context.update(
        {
            names.BODY: report.body,
            names.YEAR: report.year,
            names.CONTACT: contact_sentence(report.texts),
            names.FEE_STATEMENT: fee_statement(report.fees, report.texts.get("text.other", "")),
            names.ISSUER: issuer,
            names.DATE: chinese_date(day),
            names.DRAFT_MARK: DRAFT_MARK_TEXT if draft else "",
        }
    )
    return context
