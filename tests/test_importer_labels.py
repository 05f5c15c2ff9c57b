"""Tolerant label matching and number cells: every tolerance of issue 5, and how each is classified."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nianbao.form import FORM, official
from nianbao.importer import labels as lb

ROW_LABELS = [r.label for t in FORM.tables for r in t.rows]
CARRIED_OVER = official.T3_ROWS[1].label
CARRIED_FORWARD = official.T3_ROWS[-1].label


@pytest.mark.parametrize(
    "found",
    [
        "二、上年 结转政府信息\n公开申请数量",
        "二、上年结转政府信息公开申请数量 ",
        "二、上年\u00a0结转政府信息公开申请数量",
    ],
)
def test_stray_spaces_and_line_breaks_are_layout_not_edits(found: str) -> None:
    assert lb.similarity(found, CARRIED_OVER) == 1.0
    assert lb.classify(found, CARRIED_OVER) is None


def test_half_width_punctuation_is_accepted() -> None:
    canonical = official.T3_ROWS[3].label  # （二）部分公开（区分处理的，…）
    half = canonical.replace("（", "(").replace("）", ")").replace("，", ",")
    assert lb.similarity(half, canonical) == 1.0
    assert lb.classify(half, canonical) is lb.Deviation.PUNCTUATION


def test_ascii_quotes_are_accepted() -> None:
    canonical = next(r.label for r in official.T3_ROWS if "“" in r.label)
    assert lb.classify(canonical.replace("“", '"').replace("”", '"'), canonical) is lb.Deviation.PUNCTUATION


def test_chinese_comma_numbering_is_matched_and_flagged() -> None:
    canonical = official.T3_ROWS[4].label  # 1.属于国家秘密
    found = canonical.replace("1.", "1、")
    assert lb.similarity(found, canonical) == 1.0
    assert lb.classify(found, canonical) is lb.Deviation.NUMBERING


@pytest.mark.parametrize(
    ("found", "canonical"),
    [
        (CARRIED_OVER.replace("结转", "转结"), CARRIED_OVER),
        (CARRIED_FORWARD.replace("结转", "转结"), CARRIED_FORWARD),
        ("规范性文件", official.T2_BLOCKS[0][2][1].label),
    ],
)
def test_known_misspellings_match_as_synonyms(found: str, canonical: str) -> None:
    assert lb.similarity(found, canonical) == 1.0
    assert lb.classify(found, canonical) is lb.Deviation.SYNONYM


def test_regulatory_documents_synonym_does_not_touch_the_verbatim_label() -> None:
    label = official.T2_BLOCKS[0][2][1].label
    assert lb.match_key(label) == label


@pytest.mark.parametrize("typo", ["5.属于三类内容事务信息"])
def test_typos_match_by_similarity_and_are_wording_edits(typo: str) -> None:
    canonical = next(r.label for r in official.T3_ROWS if r.label.startswith("5.属于"))
    assert 0.8 <= lb.similarity(typo, canonical) < 1.0
    assert lb.classify(typo, canonical) is lb.Deviation.WORDING


def test_distinct_rows_do_not_match_each_other() -> None:
    for a in ROW_LABELS:
        for b in ROW_LABELS:
            if a != b:
                assert lb.similarity(a, b) < 0.8, (a, b)


@pytest.mark.parametrize(
    ("cell", "number"),
    [
        ("0", Decimal(0)),
        ("252", Decimal(252)),
        ("\u00a0252\u00a0", Decimal(252)),
        ("2&nbsp;".replace("&nbsp;", "\u00a0"), Decimal(2)),
        ("２５", Decimal(25)),
        ("22（其中修订16件）", Decimal(22)),
        ("22(其中修订16件)", Decimal(22)),
        ("1,234", Decimal(1234)),
        ("96171.6", Decimal("96171.6")),
        ("3件", Decimal(3)),
    ],
)
def test_number_cells(cell: str, number: Decimal) -> None:
    assert lb.parse_number(cell) == number


@pytest.mark.parametrize("cell", ["规章", "第二十条第（一）项", "1.属于国家秘密", "", "/", "2024年"])
def test_non_numbers(cell: str) -> None:
    assert lb.parse_number(cell) is None


def test_notes_inside_number_cells_are_noticed() -> None:
    assert lb.has_note("22（其中修订16件）")
    assert not lb.has_note("22")


@pytest.mark.parametrize("cell", ["", " ", "/", "—", "－", "\u00a0"])
def test_blank_markers(cell: str) -> None:
    assert lb.is_blank_marker(cell)


_FULL_TO_HALF = {"（": "(", "）": ")", "，": ",", "：": ":"}


@given(
    st.sampled_from(ROW_LABELS),
    st.lists(st.integers(min_value=0, max_value=60), max_size=4),
    st.sampled_from([" ", "\n", "\u00a0", "\u3000", "\t"]),
    st.booleans(),
)
def test_match_key_ignores_layout_and_punctuation_width(label: str, cuts: list[int], space: str, half: bool) -> None:
    mangled = label
    for cut in sorted({c % (len(label) + 1) for c in cuts}, reverse=True):
        mangled = mangled[:cut] + space + mangled[cut:]
    if half:
        for full, narrow in _FULL_TO_HALF.items():
            mangled = mangled.replace(full, narrow)
    assert lb.match_key(mangled) == lb.match_key(label)
    assert lb.classify(mangled, label) in (None, lb.Deviation.PUNCTUATION)
