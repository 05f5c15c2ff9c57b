"""Reading nianbao's own report back: every number and text survives render → import."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_helpers import MANDATORY_TEXTS, zero_data

from nianbao.cli import main
from nianbao.errors import UsageError
from nianbao.form import FORM, FieldType, official
from nianbao.importer import import_report
from nianbao.report.context import FEE_KEYS, paragraphs
from nianbao.report.render import render_report

NARRATIVE_KEYS = tuple(k for k in FORM.text_keys if not k.startswith("text.report."))
# Text a clerk might type: CJK, digits, Latin, punctuation, and characters XML and Jinja care about.
_ALPHABET = "政府信息公开工作年度报告街道本年共条件一二三ABCxyz0123456789，。；：、（）“”《》&<>{}%#'\"😀 "


def _amount(places: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=0, max_value=high, places=places, allow_nan=False, allow_infinity=False)


def _number(key: str) -> st.SearchStrategy[Any]:
    field = FORM.by_key[key]
    if field.type is FieldType.DECIMAL:
        return _amount(4, 10**8)
    return st.one_of(st.integers(1, 10**9), st.integers(0, 50))


_paragraph = st.text(_ALPHABET, min_size=1, max_size=40).map(str.strip).filter(bool)
_text = st.lists(_paragraph, min_size=1, max_size=3).map("\n".join)

report_data = st.fixed_dictionaries(
    {
        "values": st.fixed_dictionaries({k: _number(k) for k in FORM.input_numeric_keys if k not in FEE_KEYS}),
        "fees": st.tuples(st.integers(0, 500), _amount(2, 10**6), _amount(2, 10**6)),
        "texts": st.fixed_dictionaries({}, optional={k: _text for k in NARRATIVE_KEYS}),
    }
)


def _expected_values(values: dict[str, Any]) -> dict[str, Any]:
    return {k: Decimal(v) if isinstance(v, Decimal) else v for k, v in FORM.compute_derived(values).items()}


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(report_data)
def test_round_trip_render_import(tmp_path: Path, sample: dict[str, Any]) -> None:
    values = dict(sample["values"])
    values.update(zip(FEE_KEYS, sample["fees"], strict=True))
    data = {
        "body": "某某区人民政府办公室",
        "year": 2023,
        "values": values,
        "texts": sample["texts"],
        "date": "2024-01-20",
    }
    out = tmp_path / "r.docx"
    result = render_report(data, out, draft=True)  # random data need not satisfy T3-1: render regardless
    assert result.output == out
    back = import_report(out)
    assert (back["body"], back["year"], back["date"]) == ("某某区人民政府办公室", 2023, "2024-01-20")
    assert "missing" not in back
    expected = _expected_values(sample["values"])
    assert {k: back["values"][k] for k in expected} == expected
    assert tuple(back["values"][k] for k in FEE_KEYS) == sample["fees"]
    for key in NARRATIVE_KEYS:
        assert back["texts"].get(key, "") == "\n".join(paragraphs(sample["texts"].get(key))), key


def test_table_moved_out_of_its_section_is_reported_not_guessed(tmp_path: Path) -> None:
    """表二 moved under 三、: its numbers are not guessed; the problem names the table; 表四 still reads."""
    data = zero_data()
    data["values"]["t2.penalty.decisions"] = 7
    data["values"]["t4.suit_direct.pending"] = 2
    out = tmp_path / "r.docx"
    render_report(data, out)
    doc = Document(str(out))
    t2, t3 = doc.tables[0]._tbl, doc.tables[1]._tbl
    t3.addnext(t2)  # 表二 now after 表三
    doc.save(str(out))
    back = import_report(out)
    assert "t2.penalty.decisions" not in back["values"]
    assert any(p["code"] == "IM-2" and "表二" in p["message"] for p in back["problems"])
    assert back["values"]["t4.suit_direct.pending"] == 2
    assert back["values"]["t4.suit_direct.total"] == 2


def test_import_rejects_what_it_cannot_read(tmp_path: Path) -> None:
    fake = tmp_path / "x.docx"
    fake.write_bytes(b"not a zip")
    with pytest.raises(UsageError, match="Word"):
        import_report(fake)
    other = tmp_path / "other.docx"
    doc = Document()
    doc.add_paragraph("一份别的文件")
    doc.save(str(other))
    with pytest.raises(UsageError, match="找不到表二"):
        import_report(other)
    with pytest.raises(UsageError, match="暂不支持"):
        import_report(Path(__file__))


def test_cli_import_json(tmp_path: Path) -> None:
    data = zero_data(text__problems="问题一\n问题二")
    data["values"]["t2.fees.amount"] = Decimal("12.3456")
    out = tmp_path / "r.docx"
    render_report(data, out)
    result = CliRunner().invoke(main, ["import", str(out), "--json"])
    assert result.exit_code == 0, result.output
    back = json.loads(result.output, parse_float=Decimal)
    assert back["values"]["t2.fees.amount"] == Decimal("12.3456")
    assert back["texts"]["text.problems"] == "问题一\n问题二"
    assert set(back) >= {"body", "year", "values", "texts"}
    # The JSON renders again to the same numbers: import output is valid render input.
    src = tmp_path / "back.json"
    src.write_text(result.output, encoding="utf-8")
    again = CliRunner().invoke(main, ["render", str(src), "--out", str(tmp_path / "again.docx")])
    assert again.exit_code == 0, again.output
    assert import_report(tmp_path / "again.docx")["values"] == import_report(out)["values"]


def test_random_split_survives_workbooks_merge_render_import(tmp_path: Path) -> None:
    """data → department workbooks → merge → docx → import gives back every number."""
    from test_merge_support import CONTACT

    from nianbao.merge import run_merge
    from nianbao.workbook.template import Identity, write_filled

    rng = random.Random(20250108)
    departments = ("甲科", "乙科")
    per_department = [_valid_values(rng) for _ in departments]
    for name, values in zip(departments, per_department, strict=True):
        write_filled(
            tmp_path / "in" / f"{name}.xlsx", Identity("某某镇", 2024, name), values, MANDATORY_TEXTS, meta=CONTACT
        )
    merged = run_merge(tmp_path / "in")
    assert not merged.has_errors, [f.message for f in merged.findings if f.is_error]
    out = tmp_path / "r.docx"
    assert render_report(merged.to_json_dict(), out).output == out
    back = import_report(out)["values"]
    total = {k: sum((v[k] for v in per_department), 0) for k in per_department[0]}
    expected = FORM.compute_derived(total)
    assert {k: back[k] for k in expected} == expected
    assert all(back[k] == total[k] for k in FEE_KEYS)


def _valid_values(rng: random.Random) -> dict[str, Any]:
    """Inputs that satisfy every rule of 表三 (一 + 二 = （七） + 四 per column), all non-zero."""
    values: dict[str, Any] = {}
    results = official.T3_RESULT_ROWS
    for col in (c.key for c in official.T3_COLUMNS if c.key != "total"):
        concluded = 0
        for row in results:
            values[f"t3.{row}.{col}"] = n = rng.randint(1, 40)
            concluded += n
        forward = rng.randint(1, 30)
        carried = rng.randint(1, concluded)
        values[f"t3.carried_forward.{col}"] = forward
        values[f"t3.carried_over.{col}"] = carried
        values[f"t3.new.{col}"] = concluded + forward - carried
    for f in FORM.table_fields:
        if f.input and f.key not in values:
            values[f.key] = (
                Decimal(rng.randint(1, 10**7)) / 10000 if f.type is FieldType.DECIMAL else rng.randint(1, 10**6)
            )
    values["fee.notices"] = rng.randint(1, 9)
    values["fee.notice_amount"] = Decimal("1234.5")
    values["fee.collected"] = Decimal("1000")
    return values
