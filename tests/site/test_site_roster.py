"""Leaving the roster and changing the coordinator's password, through the ASGI test client: a removed
department's link, the dashboard's counts and 已移出名单, the merge's roster, the JSON API, and sessions that a
new password signs out."""

from __future__ import annotations

import json

import pytest
from sitekit import PASSWORD, example_bytes, roster
from starlette.testclient import TestClient
from test_site_flow import CSRF, csrf_of, link_of, login, no_traceback, upload

from nianbao.site.app import PASSWORD_KEY, create_app
from nianbao.site.security import RateLimit, verify_password
from nianbao.site.store import Store

GONE = "综合行政执法队"


@pytest.fixture
def client(store: Store, collection: int) -> TestClient:
    client = TestClient(create_app(store), follow_redirects=True)
    assert "回收情况" in login(client).text  # type: ignore[attr-defined]
    return client


def _department(store: Store, cid: int, name: str) -> int:
    return next(d.id for d in [*store.departments(cid), *store.removed_departments(cid)] if d.name == name)


def _remove_on_the_page(client: TestClient, did: int) -> str:
    confirm = client.get(f"/admin/d/{did}/remove")
    assert confirm.status_code == 200 and "确认移出名单" in confirm.text
    token = CSRF.search(confirm.text).group(1)  # type: ignore[union-attr]
    return client.post(f"/admin/d/{did}/remove", data={"csrf_token": token}).text


def test_a_removed_department_leaves_the_counts_and_keeps_its_files(
    client: TestClient, store: Store, collection: int
) -> None:
    cid = collection
    link = link_of(store, cid, GONE)
    upload(client, link, example_bytes(GONE), f"{GONE}.xlsx")
    did = _department(store, cid, GONE)
    assert client.post(f"/admin/d/{did}/remove", data={}).status_code == 403  # CSRF as every form
    assert store.removed_departments(cid) == []

    board = _remove_on_the_page(client, did)
    missing_part = board.split("未报送（")[1].split("</section>")[0]
    assert GONE not in missing_part and GONE not in board.split("请于")[1].split("</textarea>")[0]
    removed_part = board.split("已移出名单（1 个部门）")[1].split("</section>")[0]
    assert GONE in removed_part and "放回名单" in removed_part
    assert f"各部门报送情况（{len(roster()) - 1} 个部门）" in board
    assert '<span class="pill-n">0</span> 已通过' in board
    status = client.get(f"/api/v1/collections/{cid}").json()
    assert GONE not in [d["department"] for d in status["departments"]]
    assert sum(status["counts"].values()) == len(roster()) - 1
    (gone,) = status["removed"]
    assert gone["department"] == GONE and gone["active"] is False and gone["versions"] == 1

    # The department's link: a clear page, no upload, no workbook; its file stays downloadable to the coordinator.
    department = TestClient(create_app(store), follow_redirects=True)
    page = department.get(link)
    assert page.status_code == 410 and "已不在本次收集的名单中" in page.text and "此前上传的 1 份文件" in page.text
    assert department.get(f"{link}/workbook").status_code == 410
    refused = department.post(
        f"{link}/upload", files={"file": ("a.xlsx", example_bytes(GONE))}, data={"csrf_token": "x"}
    )
    assert refused.status_code == 410
    no_traceback(refused.text)
    assert len(store.uploads_of(did)) == 1
    detail = client.get(f"/admin/d/{did}").text
    assert "移出名单：不计入回收情况和汇总" in detail and f"{GONE}.xlsx" in detail
    assert client.get(f"/admin/u/{store.uploads_of(did)[0].id}/file").content == example_bytes(GONE)


def test_the_merge_roster_leaves_a_removed_department_out(client: TestClient, store: Store, collection: int) -> None:
    cid = collection
    for name in roster():
        if name != GONE:
            upload(client, link_of(store, cid, name), example_bytes(name), f"{name}.xlsx")
    before = json.loads(client.get(f"/admin/c/{cid}/download/json").content)
    assert before["not_returned"] == [GONE]
    _remove_on_the_page(client, _department(store, cid, GONE))
    after = json.loads(client.get(f"/admin/c/{cid}/download/json").content)
    assert after["not_returned"] == [] and GONE not in after["department_status"]
    assert not any(f["code"] == "F-MISSING" for f in after["findings"])
    assert "未报送" not in client.get(f"/admin/c/{cid}").text.split("已移出名单")[0].split("各部门报送情况")[1]

    # Its accepted file, sent before it left, is kept but not merged.
    restore = client.get(f"/admin/d/{_department(store, cid, GONE)}")
    token = CSRF.search(restore.text).group(1)  # type: ignore[union-attr]
    client.post(f"/admin/d/{_department(store, cid, GONE)}/restore", data={"csrf_token": token})
    upload(client, link_of(store, cid, GONE), example_bytes(GONE), f"{GONE}.xlsx")
    assert GONE in json.loads(client.get(f"/admin/c/{cid}/download/json").content)["departments"]
    _remove_on_the_page(client, _department(store, cid, GONE))
    merged = json.loads(client.get(f"/admin/c/{cid}/download/json").content)
    assert GONE not in merged["departments"] and GONE not in merged["department_status"]


def test_putting_the_name_back_restores_the_same_link_and_history(
    client: TestClient, store: Store, collection: int
) -> None:
    cid = collection
    link = link_of(store, cid, GONE)
    upload(client, link, example_bytes(GONE), f"{GONE}.xlsx")
    _remove_on_the_page(client, _department(store, cid, GONE))
    token = csrf_of(client, f"/admin/c/{cid}")
    form = {"csrf_token": token, "body": "大榭街道", "year": "2024", "deadline": "2025-01-10", "roster": GONE}
    board = client.post(f"/admin/c/{cid}/settings", data=form).text
    assert "已移出名单（" not in board and f"各部门报送情况（{len(roster())} 个部门）" in board
    assert link_of(store, cid, GONE) == link
    page = client.get(link)
    assert page.status_code == 200 and "已通过" in page.text


def test_the_json_api_removes_and_restores(client: TestClient, store: Store, collection: int) -> None:
    did = _department(store, collection, GONE)
    link = link_of(store, collection, GONE)
    assert client.post(f"/api/v1/departments/{did}/remove").status_code == 403
    token = client.get("/api/v1/session").json()["csrf_token"]
    removed = client.post(f"/api/v1/departments/{did}/remove", headers={"x-csrf-token": token}).json()
    assert removed["active"] is False and removed["removed_at"]
    gone = client.post(f"{link}/upload", files={"file": ("a.xlsx", b"PK")}, data={"csrf_token": "x"})
    assert gone.status_code == 410
    restored = client.post(f"/api/v1/departments/{did}/restore", headers={"x-csrf-token": token}).json()
    assert restored == {"id": did, "department": GONE, "active": True, "removed_at": None}
    assert client.post("/api/v1/departments/999999/remove", headers={"x-csrf-token": token}).status_code == 404
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/departments/{did}/remove", "/api/v1/departments/{did}/restore"} <= set(spec["paths"])


# -- the coordinator's password ---------------------------------------------------------------------------
NEW = "a brand new password"


def _change(client: TestClient, current: str, new: str, again: str | None = None) -> object:
    token = csrf_of(client, "/admin/password")
    form = {"csrf_token": token, "current": current, "new": new, "again": new if again is None else again}
    return client.post("/admin/password", data=form)


def test_a_password_change_signs_other_sessions_out(store: Store, collection: int, client: TestClient) -> None:
    app = client.app
    other = TestClient(app, follow_redirects=True)
    assert "回收情况" in login(other).text  # type: ignore[attr-defined]
    stored = store.setting(PASSWORD_KEY)
    for current, new, again, why in (
        ("wrong password", NEW, NEW, "当前密码不对"),
        (PASSWORD, "short", "short", "至少 8 个字符"),
        (PASSWORD, NEW, NEW + "x", "两次输入的新密码不一致"),
        (PASSWORD, PASSWORD, PASSWORD, "与当前密码相同"),
    ):
        refused = _change(client, current, new, again)
        assert refused.status_code in (400, 429) and why in refused.text and "密码没有修改" in refused.text  # type: ignore[attr-defined]
    assert store.setting(PASSWORD_KEY) == stored
    forged = client.post("/admin/password", data={"current": PASSWORD, "new": NEW, "again": NEW})
    assert forged.status_code == 403 and store.setting(PASSWORD_KEY) == stored

    done = _change(client, PASSWORD, NEW)
    assert done.status_code == 200 and "密码已修改" in done.text  # type: ignore[attr-defined]
    assert verify_password(NEW, store.setting(PASSWORD_KEY) or "")
    assert client.get(f"/admin/c/{collection}").status_code == 200  # this browser stays in
    assert "汇总单位登录" in other.get(f"/admin/c/{collection}").text  # the other one is signed out
    assert other.get("/api/v1/collections").status_code == 401

    # The login page after the change: the old password is refused, the new one lets in.
    fresh = TestClient(app, follow_redirects=True)
    old = login(fresh)
    assert old.status_code == 401 and "密码不对" in old.text  # type: ignore[attr-defined]
    assert "回收情况" in login(fresh, NEW).text  # type: ignore[attr-defined]


def test_guessing_the_current_password_is_rate_limited(store: Store, collection: int) -> None:
    client = TestClient(create_app(store, login_limit=RateLimit(attempts=3, window=60)), follow_redirects=True)
    assert "回收情况" in login(client).text  # type: ignore[attr-defined]
    for _ in range(3):  # a stolen session cannot guess the password faster than the login page can
        assert _change(client, "wrong password", NEW).status_code == 400  # type: ignore[attr-defined]
    blocked = _change(client, PASSWORD, NEW)
    assert blocked.status_code == 429 and "分钟后再试" in blocked.text  # type: ignore[attr-defined]
    assert verify_password(PASSWORD, store.setting(PASSWORD_KEY) or "")


def test_the_password_page_needs_login(store: Store, collection: int) -> None:
    anonymous = TestClient(create_app(store), follow_redirects=True)
    assert "汇总单位登录" in anonymous.get("/admin/password").text
    token = csrf_of(anonymous, "/login")
    posted = anonymous.post(
        "/admin/password", data={"csrf_token": token, "current": PASSWORD, "new": NEW, "again": NEW}
    )
    assert "汇总单位登录" in posted.text and verify_password(PASSWORD, store.setting(PASSWORD_KEY) or "")
