"""The declaration of the official form: counts, labels verbatim, rules and derivations."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from nianbao.form import FORM, FieldType, SumRule, official


def test_two_hundred_table_numbers() -> None:
    counts = {t.name: len(t.fields) for t in FORM.tables}
    assert counts == {"表二": 10, "表三": 175, "表四": 15}
    assert len({f.key for f in FORM.fields}) == len(FORM.fields), "keys must be unique"


def test_types_and_derived_cells() -> None:
    decimals = [f.key for f in FORM.table_fields if f.type is FieldType.DECIMAL]
    assert decimals == ["t2.fees.amount"]
    derived = {f.key for f in FORM.table_fields if not f.input}
    assert len(derived) == 25 + 6 + 3
    assert "t3.concluded_total.natural_person" in derived
    assert "t3.new.total" in derived
    assert "t4.review.total" in derived


def test_labels_verbatim() -> None:
    t3 = FORM.table("t3")
    assert [r.label for r in t3.rows][6] == "3.危及“三安全一稳定”"
    assert t3.rows[3].label == "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"
    assert t3.rows[-1].label == "四、结转下年度继续办理"
    assert [c.label for c in t3.columns] == [
        "自然人",
        "商业企业",
        "科研机构",
        "社会公益组织",
        "法律服务机构",
        "其他",
        "总计",
    ]
    t2_labels = [c.text for c in FORM.table("t2").grid if c.kind in ("header", "label")]
    assert "本年收费金额（单位：万元）" in t2_labels
    assert official.HEADINGS[3] == "四、政府信息公开行政复议、行政诉讼情况"


def test_table3_merged_layout_matches_official() -> None:
    grid = FORM.table("t3").grid
    results = next(c for c in grid if c.text == "三、本年度办理结果")
    assert (results.rowspan, results.colspan) == (22, 1)
    withheld = next(c for c in grid if c.text == "（三）不予公开")
    assert withheld.rowspan == 8
    note = next(c for c in grid if c.kind == "note")
    assert (note.rowspan, note.colspan) == (3, 3)


_t3_inputs = [f.key for f in FORM.table("t3").fields if f.input]


@given(st.dictionaries(st.sampled_from(_t3_inputs), st.integers(0, 10**6)))
def test_derived_totals_satisfy_every_sum_rule(values: dict[str, int]) -> None:
    full = FORM.compute_derived(values)
    for rule in FORM.rules:
        if isinstance(rule, SumRule) and rule.code in ("T3-2", "T3-3", "T4-1"):
            assert sum(full[k] for k in rule.lhs) == sum(full[k] for k in rule.rhs), rule
