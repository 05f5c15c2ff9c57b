"""The web edition in a real browser: Debian's chromium driven by selenium, checked with axe-core.

Every number of the three tables must be read by the browser's accessibility tree as a table cell whose
header cells are exactly the form's row and column labels, and axe-core must find no violation of WCAG 2.1
level A or AA (GB/T 37668 follows WCAG 2.x), at desktop and at phone width. Screenshots of both widths are
saved beside the page. Skipped, with the reason, where chromium, chromedriver, selenium or axe-core is
missing; `.ci/run` installs them.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import random
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_merge_support import consistent_values

from nianbao.form import FORM
from nianbao.report.context import read_report_data
from nianbao.report.editions import charts_for
from nianbao.report.html import render_html

AXE = Path(__file__).resolve().parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = ("/usr/bin/chromium", "chromium")
CHROMEDRIVER = ("/usr/bin/chromedriver", "chromedriver")
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = {"desktop": 1280, "phone": 390}

TEXTS = {
    "text.overview.summary": "本年度认真贯彻落实《条例》，主动公开政府信息。",
    "text.overview.active": "全年主动公开政府信息，更新公开专栏。",
    "text.overview.on_request": "依法受理、办理政府信息公开申请。",
    "text.overview.management": "规范公开指南和公开目录。",
    "text.overview.platform": "完善政府网站政府信息公开专栏。",
    "text.overview.supervision": "加强培训和考核。",
    "text.problems": "存在的问题：个别栏目更新不及时。\n改进措施：建立定期检查机制。",
    "text.report.website": "区人民政府门户网站",
}


def _which(candidates: tuple[str, ...]) -> str | None:
    for candidate in candidates:
        found = shutil.which(candidate)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A page with every table filled, two charts and the texts of every section."""
    rng = random.Random(2024)
    this = read_report_data(
        {
            "body": "某某区人民政府",
            "year": 2024,
            "values": consistent_values(rng, 30),
            "texts": TEXTS,
            "date": "2025-01-08",
        }
    )
    last = read_report_data({"body": "某某区人民政府", "year": 2023, "values": consistent_values(rng, 30), "texts": {}})
    charts = charts_for(this, last={"year": 2023, "values": last.values})
    out = tmp_path_factory.mktemp("web") / "报告.html"
    result = render_html(this, out, dt.date(2025, 1, 8), charts=charts)
    assert result.output == out
    return out


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium 未安装（pip install -e '.[test]'）")
    chromium, chromedriver = _which(CHROMIUM), _which(CHROMEDRIVER)
    if chromium is None or chromedriver is None:
        pytest.skip("chromium 或 chromedriver 未安装（apt-get install chromium chromium-driver）")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="nianbao-chromium-")
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(chromedriver), options=options)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _open(driver: Any, page: Path, width: int) -> None:
    driver.set_window_size(width, 900)
    driver.get(page.as_uri())


# -- the accessibility tree -------------------------------------------------------------------------
def _dom_elements(driver: Any) -> list[dict[str, Any]]:
    """Every element of the page as CDP describes it (backendNodeId, nodeName, attributes as a dict)."""
    root = driver.execute_cdp_cmd("DOM.getDocument", {"depth": -1})["root"]
    out: list[dict[str, Any]] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.get("nodeType") == 1:
            attrs = node.get("attributes", [])
            out.append(
                {
                    "backend": node["backendNodeId"],
                    "name": node["nodeName"].lower(),
                    "attrs": dict(zip(attrs[::2], attrs[1::2], strict=True)),
                }
            )
        stack.extend(node.get("children", []))
    return out


def test_every_number_is_read_with_its_row_and_column_labels(driver: Any, page: Path) -> None:
    _open(driver, page, WIDTHS["desktop"])
    elements = _dom_elements(driver)
    ax_nodes = driver.execute_cdp_cmd("Accessibility.getFullAXTree", {})["nodes"]
    ax = {n["backendDOMNodeId"]: n for n in ax_nodes if "backendDOMNodeId" in n}
    by_id = {e["attrs"]["id"]: e for e in elements if "id" in e["attrs"]}
    cells = [e for e in elements if e["name"] == "td" and "data-key" in e["attrs"]]
    assert sorted(e["attrs"]["data-key"] for e in cells) == sorted(f.key for f in FORM.table_fields)
    for cell in cells:
        field = FORM.by_key[cell["attrs"]["data-key"]]
        node = ax[cell["backend"]]
        assert node["role"]["value"] == "cell", field.key  # a data table, not a layout table
        headers = [by_id[i] for i in cell["attrs"]["headers"].split()]
        roles = {ax[h["backend"]]["role"]["value"] for h in headers}
        assert roles <= {"columnheader", "rowheader"}, (field.key, roles)
        names = [ax[h["backend"]]["name"]["value"] for h in headers]
        assert sorted(names) == sorted((*field.row, *field.column)), field.key
    tables = [n for n in ax_nodes if n.get("role", {}).get("value") == "table"]
    assert len(tables) >= len(FORM.tables)


def test_headings_language_and_images(driver: Any, page: Path) -> None:
    _open(driver, page, WIDTHS["desktop"])
    assert driver.execute_script("return document.documentElement.lang") == "zh-CN"
    levels = driver.execute_script(
        "return [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => Number(h.tagName[1]))"
    )
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
    alts = driver.execute_script("return [...document.images].map(i => i.alt)")
    assert alts and all(alt.strip() for alt in alts)
    external = driver.execute_script(
        "return [...document.querySelectorAll('[src],link[href]')].map(e => e.src || e.href)"
        ".filter(u => !u.startsWith('data:'))"
    )
    assert external == []


@pytest.mark.parametrize("width", list(WIDTHS))
def test_axe_finds_no_wcag_aa_violation(driver: Any, page: Path, width: str) -> None:
    if not AXE.is_file():
        pytest.skip("axe-core 未安装（在 tests/browser 中运行 npm ci）")
    _open(driver, page, WIDTHS[width])
    driver.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(r => done({violations: r.violations, passes: r.passes.length}))"
        ".catch(e => done({error: String(e)}));",
        WCAG_AA,
    )
    assert "error" not in result, result
    problems = [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]]) for v in result["violations"]]
    assert problems == []
    assert result["passes"] > 10  # axe did run its rules


@pytest.mark.parametrize("width", list(WIDTHS))
def test_screenshots(driver: Any, page: Path, width: str) -> None:
    """Full-page screenshots at desktop and phone width, saved beside the page for a person to look at."""
    _open(driver, page, WIDTHS[width])
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTHS[width], "height": height, "deviceScaleFactor": 1, "mobile": width == "phone"},
    )
    try:
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    png = base64.b64decode(shot["data"])
    path = page.with_name(f"{page.stem}-{width}.png")
    path.write_bytes(png)
    assert png.startswith(b"\x89PNG")
    # Nothing is wider than the screen: wide tables scroll inside their own region.
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_print_layout_is_a4_without_the_site_chrome(driver: Any, page: Path) -> None:
    _open(driver, page, WIDTHS["desktop"])
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        hidden = driver.execute_script(
            "return ['.masthead', 'footer', 'details', '.skip'].map(s => document.querySelector(s))"
            ".map(e => getComputedStyle(e).display)"
        )
        repeated = driver.execute_script("return getComputedStyle(document.querySelector('thead')).display")
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert hidden == ["none"] * 4
    assert repeated == "table-header-group"  # 表三's header repeats on every printed page
    pdf = base64.b64decode(driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True})["data"])
    size = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert size is not None and (round(float(size.group(1))), round(float(size.group(2)))) == (595, 842)  # A4
