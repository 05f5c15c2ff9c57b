"""The collection site in a real browser (Debian's chromium driven by selenium through chromium-driver).

The coordinator logs in; a department opens its link, uploads a workbook with a 表三 mistake, sees the finding
with its cell, uploads the corrected workbook and sees 已通过; the coordinator sees the state change and
downloads the report. With NIANBAO_SCREENSHOTS=1 the pages are saved to docs/site/*.png for the README.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sitekit import PASSWORD, example_file, with_t3_mistake

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="chromium 或 chromium-driver 未安装（.ci/run 会安装）"),
]
webdriver = pytest.importorskip("selenium.webdriver")
uvicorn = pytest.importorskip("uvicorn")

from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from nianbao.site.app import create_app  # noqa: E402
from nianbao.site.store import Store  # noqa: E402

DEPT = "经济发展办"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "site"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(store: Store, collection: int) -> Iterator[str]:
    """The site on a free loopback port, served by uvicorn in a thread."""
    if store.engine.dialect.name != "sqlite":
        pytest.skip("浏览器测试只在 SQLite 上运行一次（存储层在两种数据库上另有测试）")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tempfile.mkdtemp(dir=tmp_path)}",
        "--window-size=1280,900",
        "--lang=zh-CN",
    ):
        options.add_argument(arg)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(
        options=options,
        service=webdriver.ChromeService(executable_path=CHROMEDRIVER, env={**os.environ, "LANGUAGE": "zh_CN"}),
    )
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    yield driver
    driver.quit()


def shot(driver: Any, name: str, width: int = 1280) -> None:
    """A full-page screenshot into docs/site/, only when NIANBAO_SCREENSHOTS asks for it."""
    if not os.environ.get("NIANBAO_SCREENSHOTS"):
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(width, 900)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(int(height) + 140, 4000))
    driver.save_screenshot(str(SHOTS / f"{name}.png"))
    driver.set_window_size(1280, 900)


def submit(driver: Any, button: Any) -> None:
    """Click a form's button and wait for the next page to replace this one."""
    page = driver.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(driver, 30).until(lambda _driver: _replaced(page))


def _replaced(page: Any) -> bool:
    """The old page is gone. Asked in the middle of the navigation, chromedriver may answer that the element's
    node "does not belong to the document" (a WebDriverException) rather than that it is stale: gone too."""
    try:
        page.is_enabled()
    except WebDriverException:  # StaleElementReferenceException among them
        return True
    return False


def upload(driver: Any, path: Path) -> None:
    driver.find_element(By.ID, "file").send_keys(str(path))
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form.upload button[type=submit]"))


def _others_return(store: Store, cid: int) -> None:
    """Three more departments return, as they would meanwhile: one passes, one has a mistake, one is 退回."""
    from nianbao.site import service

    collection = store.collection(cid)
    assert collection is not None
    departments = [d for d in store.departments(cid) if d.name != DEPT]
    names = [d.name for d in store.departments(cid)]
    for department, data in (
        (departments[0], example_file(departments[0].name).read_bytes()),
        (departments[1], with_t3_mistake(departments[1].name)),
        (departments[2], example_file(departments[2].name).read_bytes()),
    ):
        checked = service.check_upload(data, f"{department.name}.xlsx", collection, department, names)
        uid = store.add_upload(
            department.id,
            f"{department.name}.xlsx",
            data,
            verdict=checked.verdict,
            errors=checked.errors,
            warnings=checked.warnings,
            findings=checked.to_json(),
        )
    store.return_upload(uid, "“六、其他需要报告的事项”请写明信息处理费的收取情况")


def text(driver: Any) -> str:
    return str(driver.find_element(By.TAG_NAME, "body").text)


def test_department_and_coordinator_in_a_browser(
    server: str, browser: Any, store: Store, collection: int, tmp_path: Path
) -> None:
    department = next(d for d in store.departments(collection) if d.name == DEPT)
    link = f"{server}/d/{department.token}"
    deadline = dt.date.today() + dt.timedelta(days=7)  # a collection under way, as the screenshots show it
    store.update_collection(
        collection,
        body="大榭街道",
        year=2024,
        deadline=deadline,
        roster=[d.name for d in store.departments(collection)],
    )

    browser.get(f"{server}/login")
    shot(browser, "1-登录")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert "各部门报送情况" in text(browser)
    before = text(browser)
    assert "未报送" in before

    browser.get(link)
    assert DEPT in text(browser) and f"{deadline.year}年{deadline.month}月{deadline.day}日" in text(browser)
    assert "还有 7 天" in text(browser)
    shot(browser, "2-部门页面")
    wrong = tmp_path / f"{DEPT}.xlsx"
    wrong.write_bytes(with_t3_mistake(DEPT))
    upload(browser, wrong)
    page = text(browser)
    assert "有错误" in page and "D7" in page and "表三 依申请公开" in page
    shot(browser, "3-部门页面-有错误")
    shot(browser, "3-部门页面-有错误-手机", width=390)

    upload(browser, example_file(DEPT))
    page = text(browser)
    assert "已通过" in page and "第 2 版（当前）" in page
    shot(browser, "4-部门页面-已通过")

    _others_return(store, collection)
    browser.get(f"{server}/admin")
    row = next(r for r in browser.find_elements(By.CSS_SELECTOR, "table.roster tbody tr") if DEPT in r.text)
    assert "已通过" in row.text
    shot(browser, "5-回收情况")

    browser.get(f"{server}/admin/d/{department.id}")
    assert "第 1 版" in text(browser) and "D7" in text(browser)
    shot(browser, "6-部门文件和问题")

    browser.get(f"{server}/admin/c/{collection}/merged")
    assert "草稿" in text(browser)
    shot(browser, "7-汇总结果与下载")
    browser.find_element(By.LINK_TEXT, "Word 报告").click()
    deadline = time.monotonic() + 30
    while not list(browser.downloads.glob("*.docx")):
        assert time.monotonic() < deadline, "the report was not downloaded"
        time.sleep(0.2)
    (report,) = browser.downloads.glob("*.docx")
    assert report.name == "大榭街道2024年政府信息公开工作年度报告.docx"
    assert report.read_bytes()[:2] == b"PK"

    _remove_and_put_back(server, browser, store, collection)


def _pill(driver: Any, label: str) -> int:
    """The number on the dashboard's summary pill of a state."""
    pill = next(p for p in driver.find_elements(By.CSS_SELECTOR, ".summary .pill") if p.text.endswith(label))
    return int(pill.find_element(By.CLASS_NAME, "pill-n").text)


def _remove_and_put_back(server: str, browser: Any, store: Store, cid: int) -> None:
    """A department abolished during the collection: 移出名单 with a confirmation, its link refuses, it comes back."""
    browser.get(f"{server}/admin/c/{cid}")
    missing_before = _pill(browser, "未报送")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.roster tbody tr")
    row = [r for r in rows if "未报送" in r.text][-1]
    gone = row.find_elements(By.TAG_NAME, "td")[1].text
    link = next(f"{server}/d/{d.token}" for d in store.departments(cid) if d.name == gone)
    row.find_element(By.LINK_TEXT, "移出名单").click()
    assert f"确认把「{gone}」移出名单？" in text(browser)
    shot(browser, "8-移出名单-确认")
    submit(browser, browser.find_element(By.XPATH, "//button[text()='确认移出名单']"))

    assert _pill(browser, "未报送") == missing_before - 1
    main_table = browser.find_element(By.CSS_SELECTOR, "table.roster:not(.removed-rows)").text
    assert gone not in main_table and gone not in browser.find_element(By.CSS_SELECTOR, "textarea.copy").text
    removed = browser.find_element(By.ID, "removed")
    assert "已移出名单（1 个部门）" in removed.text and gone in removed.text
    shot(browser, "9-回收情况-已移出名单")

    browser.get(link)
    assert "已不在本次收集的名单中" in text(browser) and not browser.find_elements(By.ID, "file")
    shot(browser, "10-部门页面-已移出名单")

    browser.get(f"{server}/admin/c/{cid}")
    section = browser.find_element(By.ID, "removed")
    submit(browser, section.find_element(By.XPATH, ".//button[text()='放回名单']"))
    assert gone in text(browser) and "未报送" in text(browser) and "放回名单" not in text(browser)  # its own page
    browser.get(f"{server}/admin/c/{cid}")
    assert not browser.find_elements(By.ID, "removed") and _pill(browser, "未报送") == missing_before
    browser.get(link)
    assert gone in text(browser) and browser.find_elements(By.ID, "file")  # the same link works again

    browser.get(f"{server}/admin/password")
    assert "修改管理密码" in text(browser)
    shot(browser, "11-修改密码")
