"""Shared helpers of the report tests: data in the merged.json shape and strict reading of a .docx."""

from __future__ import annotations

import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from nianbao.form import FORM

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "src" / "nianbao" / "data" / "examples" / "大榭街道-2024"
SEED = REPO / "tests" / "fixtures" / "reports" / "seed_daxie_2024.txt"


# Text for every mandatory section a report cannot be final without (no figures: nothing for X3 to check).
MANDATORY_TEXTS = {"text.overview.summary": "本年度认真贯彻落实《条例》。", "text.problems": "存在的问题和改进措施。"}
REPORT_DATE = "2025-01-08"  # inside the publishing window of a 2024 report


def zero_data(*, bare: bool = False, **texts: str) -> dict[str, Any]:
    """All-zero data that renders as a final report; `bare` leaves out the default texts and date."""
    given = {k.replace("__", "."): v for k, v in texts.items()}
    return {
        "body": "测试街道",
        "year": 2024,
        "values": dict.fromkeys(FORM.input_numeric_keys, 0),
        "texts": given if bare else {**MANDATORY_TEXTS, **given},
        **({} if bare else {"date": REPORT_DATE}),
    }


def strict_parts(path: Path) -> dict[str, etree._Element]:
    """Every XML part parsed *without* recover: a corrupt part raises."""
    parser = etree.XMLParser(recover=False, resolve_entities=False)
    out = {}
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                out[name] = etree.fromstring(z.read(name), parser)
    return out


def all_text(path: Path) -> str:
    """The visible text of every part (body, headers, footers), joined."""
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    chunks = []
    for name, root in strict_parts(path).items():
        if name.startswith("word/"):
            chunks += [t.text or "" for t in root.iter(f"{ns}t")]
    return "".join(chunks)


def as_decimal(value: Any) -> Decimal:
    return Decimal(str(value))


# A province's share of each 表三 column (自然人 … 其他), for figures of plausible size that add up.
_PROVINCE_COLUMNS = {
    "natural_person": 1.0,
    "business": 0.21,
    "research": 0.013,
    "public_interest": 0.021,
    "legal_service": 0.037,
    "other_org": 0.008,
}
# Each 表三 result row's share of the requests concluded.
_PROVINCE_RESULTS = {
    "disclosed": 0.46,
    "partly_disclosed": 0.12,
    "withheld_state_secret": 0.002,
    "withheld_prohibited": 0.003,
    "withheld_security": 0.004,
    "withheld_third_party": 0.011,
    "withheld_internal": 0.021,
    "withheld_process": 0.017,
    "withheld_enforcement_file": 0.006,
    "withheld_query": 0.013,
    "unavailable_not_held": 0.19,
    "unavailable_needs_creation": 0.023,
    "unavailable_unclear": 0.031,
    "refused_petition": 0.009,
    "refused_repeat": 0.022,
    "refused_publication": 0.018,
    "refused_excessive": 0.002,
    "refused_confirmation": 0.005,
    "other_no_correction": 0.019,
    "other_unpaid_fee": 0.0,
    "other_other": 0.012,
}


def province_data(new_natural_person: int = 987_654) -> dict[str, Any]:
    """A province's consistent report: six- and seven-digit counts, fees of 123456.7891 万元."""
    data = zero_data(body="某某省人民政府")
    data["body"] = "某某省人民政府"
    values: dict[str, Any] = {}
    for column, share in _PROVINCE_COLUMNS.items():
        new = round(new_natural_person * share) + 7
        carried = round(new * 0.043) + 3
        concluded = 0
        for row, part in _PROVINCE_RESULTS.items():
            values[f"t3.{row}.{column}"] = n = round(new * part)
            concluded += n
        values[f"t3.new.{column}"] = new
        values[f"t3.carried_over.{column}"] = carried
        values[f"t3.carried_forward.{column}"] = new + carried - concluded
    values |= {
        "t2.rules.issued": 37,
        "t2.rules.repealed": 12,
        "t2.rules.in_force": 1_043,
        "t2.normative_docs.issued": 2_856,
        "t2.normative_docs.repealed": 1_392,
        "t2.normative_docs.in_force": 48_517,
        "t2.licensing.decisions": 2_345_678,
        "t2.penalty.decisions": 1_234_567,
        "t2.enforcement.decisions": 98_765,
        "t2.fees.amount": "1234567.8912",
        "fee.notices": 0,
        "fee.notice_amount": 0,
        "fee.collected": 0,
    }
    for kind, scale in (("review", 1.0), ("suit_direct", 0.41), ("suit_after_review", 0.23)):
        for outcome, part in (("upheld", 0.62), ("corrected", 0.09), ("other", 0.21), ("pending", 0.08)):
            values[f"t4.{kind}.{outcome}"] = round(123_456 * scale * part)
    assert set(values) == set(FORM.input_numeric_keys)
    data["values"] = values
    return data
