"""The form's rules applied to one department's values, with findings at real cell addresses."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st
from test_merge_support import consistent_values, zero_values

from nianbao.checks import Context, cached_total_findings, rule_findings, tainted_keys
from nianbao.form import FORM
from nianbao.form.layout import location

CTX = Context("财政局.xlsx", "区财政局")


def _full(values: dict) -> dict:
    return FORM.compute_derived(values)


@given(st.integers(min_value=0, max_value=10**6))
def test_consistent_values_pass_every_rule(seed: int) -> None:
    assert rule_findings(_full(consistent_values(random.Random(seed))), CTX) == []


def test_all_zero_passes() -> None:
    assert rule_findings(_full(zero_values()), CTX) == []


def test_broken_column_identity_names_column_and_both_sides() -> None:
    values = zero_values()
    values["t3.new.natural_person"] = 5
    values["t3.disclosed.natural_person"] = 3
    findings = rule_findings(_full(values), CTX)
    assert [f.code for f in findings] == ["T3-1"], "one typo, one error (the 总计 column is implied)"
    f = findings[0]
    assert f.severity == "error" and f.file == "财政局.xlsx" and f.department == "区财政局"
    assert f.sheet == location("t3.new.natural_person").sheet
    assert f.cell == location("t3.new.natural_person").cell
    assert "「自然人」列" in f.message
    assert "(5)" in f.message and "= 5" in f.message and "= 3" in f.message
    assert location("t3.concluded_total.natural_person").cell in f.message
    assert (f.value, f.expected) == ("5", "3")


def test_carried_forward_above_available_reports_only_the_identity() -> None:
    values = zero_values()
    values["t3.carried_forward.business"] = 2
    codes = [f.code for f in rule_findings(_full(values), CTX)]
    assert codes == ["T3-1"], "T3-5/T3-6 follow from T3-1 and are not repeated"


def test_tainted_cells_silence_their_rules() -> None:
    values = zero_values()
    del values["t3.disclosed.research"]  # the cell was invalid: the reader reports it, the rules stay quiet
    values["t3.new.research"] = 4
    tainted = tainted_keys({"t3.disclosed.research"})
    assert "t3.concluded_total.research" in tainted and "t3.disclosed.total" in tainted
    assert rule_findings(_full(values), CTX, tainted) == []


def test_cached_total_disagreeing_with_recomputed_is_an_error_at_that_cell() -> None:
    values = zero_values()
    values["t4.review.upheld"] = 2
    full = _full(values)
    cached = {"t4.review.total": 3.0, "t4.suit_direct.total": 0.0, "t3.new.total": ""}
    findings = cached_total_findings(full, cached, CTX)
    assert len(findings) == 1
    f = findings[0]
    assert (f.code, f.cell, f.value, f.expected) == ("V-CACHED-TOTAL", location("t4.review.total").cell, "3", "2")
    assert f.extra["rule"] == "T4-1"
    assert cached_total_findings(full, {"t4.review.total": 2.0}, CTX) == []


def test_cached_total_holding_text_is_reported() -> None:
    full = _full(zero_values())
    findings = cached_total_findings(full, {"t3.new.total": "见附件"}, CTX)
    assert [f.code for f in findings] == ["V-CACHED-TOTAL"]
    assert "见附件" in findings[0].message
