"""图解: charts drawn from the report's numbers, for the web page, the Word report and 汇总.xlsx.

A chart is data first (`Chart`: categories, series, a one-sentence summary); drawing it is matplotlib's job
(Agg, no display), as SVG for the page and PNG for Word and Excel. Every category label comes from the
form's declarations, and every chart carries its own text alternative (the summary and the data table).
SVG output is deterministic: a fixed hash salt, no date, text drawn as paths so no font is needed to view it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from .errors import NianbaoError
from .form import FORM, official
from .numbers import Number, plain, to_decimal

__all__ = [
    "Chart",
    "ChartsUnavailable",
    "Series",
    "bodies_chart",
    "chart_png",
    "chart_svg",
    "report_charts",
    "results_chart",
    "year_chart",
]

# Chinese fonts matplotlib may find, best first (Debian's fonts-noto-cjk, then common Windows/macOS ones).
CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "WenQuanYi Micro Hei",
    "Noto Serif CJK SC",
)
PNG_DPI = 200
# A sober palette of government pages: the national red, a deep blue, and muted companions; each colour
# has at least 3:1 contrast against white (WCAG 1.4.11 for graphical objects).
PALETTE: tuple[str, ...] = ("#B8282E", "#1F4E8C", "#5B7A2E", "#8A5A00", "#5E4B8B", "#3D6B73", "#7A3B2E")
_TEXT = "#222222"
_LAST_YEAR = "#7F7F7F"  # last year in grey, this year in colour
_GRID = "#D9D9D9"
_CHART_WIDTH_IN = 7.2


class ChartsUnavailable(NianbaoError):
    """matplotlib or a Chinese font is missing: the report is made without its charts."""


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[Number, ...]


@dataclass(frozen=True)
class Chart:
    key: str  # a stable name: "results", "year", "bodies"
    title: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    summary: str  # the text alternative: what the chart shows, in one or two sentences
    unit: str = "件"
    shares: bool = False  # label bars with their share of the total as well
    colors: tuple[str, ...] = ()  # one per series; the palette when empty

    def rows(self) -> list[tuple[str, ...]]:
        """The chart as a table (header row first), for screen readers and the workbook."""
        header = ("项目", *(f"{s.name}（{self.unit}）" for s in self.series))
        body = [(c, *(plain(s.values[i]) for s in self.series)) for i, c in enumerate(self.categories)]
        if self.shares:
            total = sum(self.series[0].values, Decimal(0))
            header = (*header, "占比")
            body = [(*row, _percent(self.series[0].values[i], total)) for i, row in enumerate(body)]
        return [header, *body]


# -- the charts as data ---------------------------------------------------------------------------
_PARENTHETICAL = re.compile(r"^(（[一二三四五六七八九十]+）[^（]+)")


def _short(label: str) -> str:
    """A result label without its trailing remark: （二）部分公开（区分处理的，…） → （二）部分公开."""
    match = _PARENTHETICAL.match(label)
    return match.group(1) if match else label


def _num(values: Mapping[str, Any], key: str) -> Decimal:
    raw = values.get(key)
    if raw is None:
        return Decimal(0)
    try:
        return to_decimal(raw)
    except ValueError:
        return Decimal(0)


def _int(value: Decimal) -> Number:
    return int(value) if value == value.to_integral_value() else value


def _percent(part: Number, total: Number) -> str:
    return f"{Decimal(part) * 100 / Decimal(total):.1f}%" if total else "—"


@cache
def result_groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """表三's results （一）–（六） with the row keys each adds up, from the form's label paths."""
    rows = {r.key: r for r in FORM.table("t3").rows}
    groups: dict[str, list[str]] = {}
    for key in official.T3_RESULT_ROWS:
        groups.setdefault(_short(rows[key].labels[1]), []).append(f"t3.{key}.total")
    return tuple((label, tuple(keys)) for label, keys in groups.items())


def _t4_totals() -> tuple[tuple[str, str], ...]:
    """(label, key) of the three 总计 of 表四: 行政复议, 未经复议直接起诉, 复议后起诉."""
    return tuple((labels[-1], f"t4.{block}.total") for block, labels in official.T4_BLOCKS)


def _t3_label(row_key: str, level: int = -1) -> str:
    """A 表三 row label without its outline number: 一、本年新收… → 本年新收…."""
    label = next(r for r in FORM.table("t3").rows if r.key == row_key).labels[level]
    return re.sub(r"^[一二三四五六七八九十]+、", "", label)


def results_chart(values: Mapping[str, Any]) -> Chart | None:
    """表三's results （一）–（六） as shares of （七）总计; None when no application was concluded."""
    counts = tuple(_int(sum((_num(values, k) for k in keys), Decimal(0))) for _label, keys in result_groups())
    total = sum(counts, 0)
    if not total:
        return None
    labels = tuple(label for label, _keys in result_groups())
    ranked = sorted(zip(labels, counts, strict=True), key=lambda lc: -lc[1])
    top = "，".join(f"{label}{plain(n)}件（{_percent(n, total)}）" for label, n in ranked[:3] if n)
    return Chart(
        "results",
        "依申请公开办理结果构成",
        labels,
        (Series("办理结果", counts),),
        f"本年度办结政府信息公开申请{plain(total)}件，其中{top}。",
        shares=True,
    )


def year_chart(values: Mapping[str, Any], last: Mapping[str, Any], year: int | None, last_year: int | None) -> Chart:
    """This year against last year: applications received, each kind of result, reviews and lawsuits."""
    this_name = f"{year}年" if year else "本年"
    last_name = f"{last_year}年" if last_year else "上年"
    items: list[tuple[str, Decimal, Decimal]] = [
        (_t3_label("new"), _num(values, "t3.new.total"), _num(last, "t3.new.total"))
    ]
    for label, keys in result_groups():
        items.append(
            (label, sum((_num(values, k) for k in keys), Decimal(0)), sum((_num(last, k) for k in keys), Decimal(0)))
        )
    for label, key in _t4_totals():
        items.append((label, _num(values, key), _num(last, key)))
    new_now, new_then = items[0][1], items[0][2]
    if new_then:
        change = (new_now - new_then) * 100 / new_then
        trend = f"{'增加' if change >= 0 else '减少'}{abs(change):.1f}%"
    else:
        trend = "上年为0件"
    reviews = items[-3]
    summary = (
        f"{this_name}新收政府信息公开申请{plain(new_now)}件，{last_name}{plain(new_then)}件（{trend}）；"
        f"{reviews[0]}{plain(reviews[1])}件，{last_name}{plain(reviews[2])}件。"
    )
    return Chart(
        "year",
        f"{this_name}与{last_name}对比",
        tuple(i[0] for i in items),
        (Series(last_name, tuple(_int(i[2]) for i in items)), Series(this_name, tuple(_int(i[1]) for i in items))),
        summary,
        colors=(_LAST_YEAR, PALETTE[1]),
    )


def bodies_chart(bodies: Mapping[str, Mapping[str, Any]]) -> Chart | None:
    """Each body (department) side by side: applications received, concluded, reviews and lawsuits;
    None for a single body or when every number is 0."""
    if len(bodies) < 2:
        return None
    names = tuple(bodies)
    suits = _t4_totals()
    measures: tuple[tuple[str, tuple[str, ...]], ...] = (
        (_t3_label("new"), ("t3.new.total",)),
        (_t3_label("concluded_total", level=0), ("t3.concluded_total.total",)),
        (f"{official.T4_REVIEW}、{official.T4_SUIT}", tuple(key for _label, key in suits)),
    )
    series = tuple(
        Series(name, tuple(_int(sum((_num(bodies[b], k) for k in keys), Decimal(0))) for b in names))
        for name, keys in measures
    )
    if not any(v for s in series for v in s.values):
        return None  # every body at 0: bars of nothing
    busiest = max(names, key=lambda b: _num(bodies[b], "t3.new.total"))
    total_new = sum((_num(v, "t3.new.total") for v in bodies.values()), Decimal(0))
    summary = (
        f"{len(names)}个单位共新收政府信息公开申请{plain(total_new)}件，"
        f"最多的是{busiest}（{plain(_num(bodies[busiest], 't3.new.total'))}件）。"
    )
    return Chart("bodies", "各单位情况对比", names, series, summary)


def report_charts(
    values: Mapping[str, Any],
    *,
    year: int | None = None,
    last: Mapping[str, Any] | None = None,
    bodies: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Chart]:
    """The charts a report carries: results as shares; with last year's data, the comparison; with more
    than one body, the bodies side by side."""
    charts: list[Chart | None] = [results_chart(values)]
    if last is not None:
        last_values = last.get("values", last)
        last_year = last.get("year") if "values" in last else None
        charts.append(
            year_chart(
                values,
                last_values,
                year,
                int(last_year) if isinstance(last_year, int) else (year - 1 if year else None),
            )
        )
    if bodies:
        charts.append(bodies_chart(bodies))
    return [c for c in charts if c is not None]


# -- drawing ---------------------------------------------------------------------------------------
@cache
def cjk_font() -> str:
    """The family name of an installed Chinese font; ChartsUnavailable (with what to install) if none."""
    try:
        from matplotlib import font_manager
    except ImportError as exc:
        raise ChartsUnavailable(
            "未安装 matplotlib，未生成图解：请运行 pip install matplotlib（或重新安装 nianbao）。"
        ) from exc
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    raise ChartsUnavailable(
        "未找到可显示中文的字体，未生成图解（否则图中文字会显示为方框）："
        "请安装中文字体，如 Debian/Ubuntu 上的 fonts-noto-cjk。"
    )


def _style() -> Any:  # matplotlib types the keys as a Literal of every rcParam
    return {
        "font.family": [cjk_font(), "DejaVu Sans"],
        "font.size": 10,
        "axes.edgecolor": _GRID,
        "axes.labelcolor": _TEXT,
        "xtick.color": _TEXT,
        "ytick.color": _TEXT,
        "text.color": _TEXT,
        "svg.hashsalt": "nianbao",
        "svg.fonttype": "path",
        "axes.unicode_minus": False,
        "text.parse_math": False,  # a department named "$…$" is text, not a formula
    }


def _wrap(label: str, width: int = 14) -> str:
    return "\n".join(label[i : i + width] for i in range(0, len(label), width))


def _figure(chart: Chart, titled: bool) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    n_cat, n_series = len(chart.categories), len(chart.series)
    bar = 0.8 / n_series
    height = 1.2 + n_cat * (0.32 + 0.2 * n_series)
    fig = Figure(figsize=(_CHART_WIDTH_IN, height))
    ax = fig.add_subplot()
    positions = list(range(n_cat))
    peak = max((float(v) for s in chart.series for v in s.values), default=0.0) or 1.0
    total = sum(chart.series[0].values, 0)
    for j, series in enumerate(chart.series):
        offsets = [p - 0.4 + bar * (j + 0.5) for p in positions]
        palette = chart.colors or (PALETTE if n_series > 1 else PALETTE[1:])
        color = palette[j % len(palette)]
        bars = ax.barh(offsets, [float(v) for v in series.values], height=bar * 0.9, color=color, label=series.name)
        labels = [f"{plain(v)}（{_percent(v, total)}）" if chart.shares else plain(v) for v in series.values]
        ax.bar_label(bars, labels=labels, padding=3, fontsize=9, color=_TEXT)
    ax.set_yticks(positions, [_wrap(c) for c in chart.categories])
    ax.invert_yaxis()  # the form's order, top to bottom
    ax.set_xlim(0, peak * 1.25)
    ax.set_xlabel(f"单位：{chart.unit}")
    ax.xaxis.grid(True, color=_GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if n_series > 1:  # above the bars, under the title: never on top of a bar
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False, ncols=n_series, borderaxespad=0.3)
    if titled:
        ax.set_title(chart.title, fontsize=13, fontweight="bold", loc="left", pad=30 if n_series > 1 else 12)
    fig.tight_layout()
    return fig


@lru_cache(maxsize=32)
def _drawn(chart: Chart, fmt: str, titled: bool, dpi: int) -> bytes:
    """One drawing per chart and format: the page, the Word report and 汇总.xlsx reuse it (a few tenths
    of a second each, mostly matplotlib's text layout)."""
    import matplotlib

    metadata: dict[str, None] = {"Date": None, "Creator": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context(_style()):
        fig = _figure(chart, titled)
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata)
    return buffer.getvalue()


def chart_svg(chart: Chart, titled: bool = True) -> str:
    """The chart as a standalone SVG document, byte-identical for the same data. A page that gives the
    chart its own heading draws it untitled."""
    return _drawn(chart, "svg", titled, 72).decode("utf-8")


def chart_png(chart: Chart, dpi: int = PNG_DPI, titled: bool = True) -> bytes:
    return _drawn(chart, "png", titled, dpi)


def department_values(
    frame_rows: Sequence[tuple[str, str, Any]], *, by_body: bool = False
) -> dict[str, dict[str, Any]]:
    """{department: {key: value}} from (department, key, value) rows of the merge's long frame.

    With `by_body` (an area's roll-up, whose rows name "body / department"), each body's departments are summed.
    """
    out: dict[str, dict[str, Any]] = {}
    for department, key, value in frame_rows:
        who = department.split(" / ")[0] if by_body else department
        values = out.setdefault(who, {})
        values[key] = _num(values, key) + _num({key: value}, key)
    return out
