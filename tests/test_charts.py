"""图解: what the charts say (data and text alternatives) and how they are drawn (deterministic SVG, PNG)."""

from __future__ import annotations

import random
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_merge_support import consistent_values

from nianbao.charts import (
    bodies_chart,
    chart_png,
    chart_svg,
    report_charts,
    result_groups,
    results_chart,
    year_chart,
)
from nianbao.form import FORM, official


def _values(seed: int, high: int = 30) -> dict[str, int | Decimal]:
    return FORM.compute_derived(consistent_values(random.Random(seed), high))


def test_result_groups_are_the_forms_six_results() -> None:
    groups = result_groups()
    assert [label for label, _keys in groups] == [
        "（一）予以公开",
        "（二）部分公开",
        "（三）不予公开",
        "（四）无法提供",
        "（五）不予处理",
        "（六）其他处理",
    ]
    keys = [k for _label, ks in groups for k in ks]
    assert keys == [f"t3.{r}.total" for r in official.T3_RESULT_ROWS]


@given(seed=st.integers(0, 10_000))
def test_results_add_up_to_the_concluded_total(seed: int) -> None:
    values = _values(seed)
    chart = results_chart(values)
    total = values["t3.concluded_total.total"]
    if not total:
        assert chart is None
        return
    assert chart is not None
    assert sum(chart.series[0].values) == total
    shares = [Decimal(row[-1].rstrip("%")) for row in chart.rows()[1:]]
    assert abs(sum(shares) - 100) <= Decimal("0.3")  # rounded to one decimal each
    assert f"{total}件" in chart.summary


def test_year_chart_compares_applications_results_and_appeals() -> None:
    this, last = _values(1), _values(2)
    chart = year_chart(this, last, 2024, 2023)
    assert [s.name for s in chart.series] == ["2023年", "2024年"]
    assert chart.categories[0] == "本年新收政府信息公开申请数量"
    assert chart.categories[-3:] == ("行政复议", "未经复议直接起诉", "复议后起诉")
    new = chart.categories.index("本年新收政府信息公开申请数量")
    assert chart.series[1].values[new] == this["t3.new.total"]
    assert chart.series[0].values[new] == last["t3.new.total"]
    assert chart.series[1].values[-3] == this["t4.review.total"]
    assert f"新收政府信息公开申请{this['t3.new.total']}件" in chart.summary


def test_bodies_chart_needs_two_bodies_with_something_to_show() -> None:
    zero = dict.fromkeys((f.key for f in FORM.numeric_fields), 0)
    assert bodies_chart({"甲": _values(1)}) is None
    assert bodies_chart({"甲": zero, "乙": zero}) is None
    chart = bodies_chart({"甲": _values(1), "乙": _values(2)})
    assert chart is not None and chart.categories == ("甲", "乙")
    assert chart.series[0].values == (_values(1)["t3.new.total"], _values(2)["t3.new.total"])


def test_report_charts_choose_by_what_is_given() -> None:
    values = _values(3)
    assert [c.key for c in report_charts(values)] == ["results"]
    assert [c.key for c in report_charts(values, year=2024, last={"year": 2023, "values": _values(4)})] == [
        "results",
        "year",
    ]
    assert [c.key for c in report_charts(values, bodies={"甲": values, "乙": _values(5)})] == ["results", "bodies"]


def test_svg_is_deterministic_and_carries_no_date() -> None:
    chart = results_chart(_values(6))
    assert chart is not None
    first, second = chart_svg(chart), chart_svg(chart)
    assert first == second
    assert "<dc:date>" not in first and not re.search(r"20\d\d-\d\d-\d\dT", first)
    assert "<text" not in first  # text is drawn as paths: no font is needed to view it
    assert chart_svg(chart, titled=False) != first


def test_png_is_an_image_at_print_resolution() -> None:
    chart = results_chart(_values(7))
    assert chart is not None
    png = chart_png(chart)
    assert png.startswith(b"\x89PNG")
    width = int.from_bytes(png[16:20], "big")
    assert width >= 7 * 200  # 7.2 inches at 200 dpi


def test_names_are_drawn_as_text_not_as_formulas() -> None:
    chart = bodies_chart({"$\\frac{1}{0$ 办": _values(1), "乙": _values(2)})
    assert chart is not None
    assert chart_png(chart).startswith(b"\x89PNG")  # mathtext would refuse the unbalanced formula


def test_without_matplotlib_the_message_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from nianbao import charts

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib → ImportError
    charts.cjk_font.cache_clear()
    try:
        with pytest.raises(charts.ChartsUnavailable, match=r"pip install matplotlib"):
            charts.cjk_font()
    finally:
        charts.cjk_font.cache_clear()
