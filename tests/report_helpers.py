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
