"""One year against the last: C1 (carry-over), C2 (stock roll-forward), T2-3, implausible swings."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.reports.reportgen import Report, clean_values, make_html
from hypothesis import given
from hypothesis import strategies as st

from nianbao import crossyear
from nianbao.crossyear import load_last_year
from nianbao.data import ReportData
from nianbao.errors import UsageError
from nianbao.form import FORM, official

COLUMNS = [c.key for c in official.T3_COLUMNS]


def compare(this: dict | ReportData, last: dict | ReportData) -> list:
    """The cross-year rules on data written here in the merged.json form."""

    def typed(data: dict | ReportData) -> ReportData:
        return data if isinstance(data, ReportData) else ReportData.from_json(data)

    return crossyear.compare(typed(this), typed(last))


def _pair(seed: int = 1) -> tuple[dict, dict]:
    """Last year's data and a consistent this year: carry-over and stocks roll forward."""
    last = {k: (int(v) if not isinstance(v, Decimal) else v) for k, v in clean_values(seed).items()}
    this = dict(clean_values(seed + 1))
    inputs = {k: v for k, v in this.items() if FORM.by_key[k].input}
    for col in COLUMNS[:-1]:
        delta = last[f"t3.carried_forward.{col}"] - inputs[f"t3.carried_over.{col}"]
        inputs[f"t3.carried_over.{col}"] += delta
        inputs[f"t3.carried_forward.{col}"] += delta
    for row in ("rules", "normative_docs"):
        inputs[f"t2.{row}.repealed"] = min(
            inputs[f"t2.{row}.repealed"], last[f"t2.{row}.in_force"] + inputs[f"t2.{row}.issued"]
        )
        inputs[f"t2.{row}.in_force"] = (
            last[f"t2.{row}.in_force"] + inputs[f"t2.{row}.issued"] - inputs[f"t2.{row}.repealed"]
        )
    this = FORM.compute_derived(inputs)
    return {"year": 2024, "values": dict(this)}, {"year": 2023, "values": last}


def test_consistent_years_have_no_c1_or_c2() -> None:
    this, last = _pair()
    assert [f.code for f in compare(this, last) if f.code != "C-SWING"] == []


def test_c1_per_column() -> None:
    this, last = _pair()
    last["values"]["t3.carried_forward.business"] += 2
    last["values"]["t3.carried_forward.total"] += 2
    findings = [f for f in compare(this, last) if f.code == "C1"]
    assert [(f.severity, f.cell) for f in findings] == [
        ("error", f"{official.T3_ROWS[1].label} / 商业企业"),
        ("error", f"{official.T3_ROWS[1].label} / 总计"),
    ]
    assert "2023年报告" in findings[0].message


def test_c2_and_t2_3() -> None:
    this, last = _pair()
    last["values"]["t2.normative_docs.in_force"] = 0
    v = this["values"]
    v["t2.normative_docs.issued"], v["t2.normative_docs.repealed"], v["t2.normative_docs.in_force"] = 1, 3, 4
    found = {f.code: f for f in compare(this, last) if f.code in ("C2", "T2-3")}
    assert found["C2"].severity == "warning" and found["C2"].expected == -2
    assert found["T2-3"].severity == "error" and found["T2-3"].key == "t2.normative_docs.repealed"


def test_swing_warning_needs_both_years_at_least_20() -> None:
    this, last = _pair()
    key = "t2.penalty.decisions"
    this["values"][key], last["values"][key] = 252, 25
    assert [f.key for f in compare(this, last) if f.code == "C-SWING"] == [key]
    this["values"][key], last["values"][key] = 252, 19
    assert [f.key for f in compare(this, last) if f.code == "C-SWING"] == []
    this["values"][key], last["values"][key] = 200, 21
    assert [f.key for f in compare(this, last) if f.code == "C-SWING"] == []


@given(st.integers(min_value=0, max_value=500), st.integers(min_value=0, max_value=500))
def test_c1_holds_exactly_when_equal(a: int, b: int) -> None:
    this = {"values": {"t3.carried_over.natural_person": a}}
    last = {"values": {"t3.carried_forward.natural_person": b}}
    assert bool([f for f in compare(this, last) if f.code == "C1"]) == (a != b)


def test_missing_values_are_not_guessed() -> None:
    assert compare({"values": {}}, {"values": {}}) == []


def test_load_last_year_from_merged_json_and_from_a_report(tmp_path: Path) -> None:
    this, last = _pair()
    merged = tmp_path / "merged.json"
    merged.write_text(
        json.dumps(
            {
                "body": "某局",
                "year": 2023,
                "values": {k: float(v) if isinstance(v, Decimal) else v for k, v in last["values"].items()},
                "texts": {},
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    from_json = load_last_year(merged)
    page = make_html(tmp_path / "2023.html", Report("某局", 2023, {k: v for k, v in clean_values(1).items()}))
    from_page = load_last_year(page)
    assert from_page.year == 2023
    for data in (from_json, from_page):
        assert [f.code for f in compare(this, data) if f.code in ("C1", "C2")] == []


def test_load_last_year_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(UsageError):
        load_last_year(bad)
    other = tmp_path / "other.json"
    other.write_text('{"a": 1}', encoding="utf-8")
    with pytest.raises(UsageError, match=r"merged.json"):
        load_last_year(other)
    with pytest.raises(UsageError):
        load_last_year(tmp_path / "missing.json")
    text = tmp_path / "nothing.txt"
    text.write_text("这不是年报。", encoding="utf-8")
    with pytest.raises(UsageError, match="统计表"):
        load_last_year(text)


def test_audit_with_last_year(tmp_path: Path) -> None:
    from nianbao.cli import main

    this, last = _pair()
    last["values"]["t3.carried_forward.natural_person"] += 1
    last["values"]["t3.carried_forward.total"] += 1
    last_page = make_html(tmp_path / "2023.html", Report("某局", 2023, last["values"]))
    this_page = make_html(tmp_path / "2024.html", Report("某局", 2024, this["values"], overview="本年工作平稳。"))
    result = CliRunner().invoke(main, ["audit", str(this_page), "--last-year", str(last_page), "--json"])
    assert result.exit_code == 1, result.output
    codes = sorted(f["code"] for f in json.loads(result.output)[0]["findings"])
    assert codes == ["C1", "C1"]
    result = CliRunner().invoke(main, ["audit", str(this_page), "--json"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("sentence", "flagged"),
    [
        ("本年共收到政府信息公开申请47件，较上年增加42件。", True),  # implies 5 last year
        ("本年共收到政府信息公开申请47件，较上年增加7件。", False),
        ("本年共收到政府信息公开申请36件，同比下降10%。", False),
        ("本年共收到政府信息公开申请36件，同比增长10%。", True),
    ],
)
def test_c3_year_on_year_claims(sentence: str, flagged: bool) -> None:
    this = {"values": {}, "texts": {"text.overview.on_request": sentence}}
    last = {"year": 2023, "values": {"t3.new.total": 40}}
    findings = [f for f in compare(this, last) if f.code == "C3"]
    assert bool(findings) == flagged
    if flagged:
        assert findings[0].severity == "warning" and "40件" in findings[0].message
