"""The collection site through the ASGI test client: a department's page and uploads, the coordinator's dashboard,
退回, downloads, the JSON API, and every bad request answered with a clear page that loses nothing."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sitekit import EXAMPLE, PASSWORD, example_bytes, roster, with_t3_mistake
from starlette.testclient import TestClient

from nianbao import pipeline
from nianbao.cli import main
from nianbao.fileio import Upload
from nianbao.site.app import create_app
from nianbao.site.security import RateLimit
from nianbao.site.store import Store

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
DEPT = "经济发展办"


def csrf_of(client: TestClient, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.text
    found = CSRF.search(page.text)
    assert found, "every page with a form carries a CSRF token"
    return found.group(1)


def link_of(store: Store, cid: int, name: str) -> str:
    department = next(d for d in store.departments(cid) if d.name == name)
    return f"/d/{department.token}"


def upload(client: TestClient, link: str, data: bytes, filename: str = f"{DEPT}.xlsx", **extra: str) -> object:
    token = csrf_of(client, link)
    return client.post(
        f"{link}/upload",
        data={"csrf_token": token, **extra},
        files={"file": (filename, data, "application/octet-stream")},
    )


def login(client: TestClient, password: str = PASSWORD) -> object:
    token = csrf_of(client, "/login")
    return client.post("/login", data={"csrf_token": token, "password": password})


def no_traceback(text: str) -> None:
    assert "Traceback" not in text and "Internal Server Error" not in text


@pytest.fixture
def client(store: Store, collection: int) -> TestClient:
    return TestClient(create_app(store), follow_redirects=True)


@pytest.fixture
def cid(collection: int) -> int:
    return collection


def test_department_uploads_a_mistake_then_the_correction(client: TestClient, store: Store, cid: int) -> None:
    link = link_of(store, cid, DEPT)
    page = client.get(link)
    assert DEPT in page.text and "2025年1月10日" in page.text and "未报送" in page.text

    wrong = upload(client, link, with_t3_mistake(DEPT))
    assert wrong.status_code == 200
    assert "有错误" in wrong.text and "表三 依申请公开" in wrong.text and ">D7<" in wrong.text
    assert "T3-1" in wrong.text

    right = upload(client, link, example_bytes(DEPT))
    assert "已通过" in right.text and "第 2 版（当前）" in right.text and "第 1 版" in right.text
    history = store.uploads_of(store.department_by_token(link.rsplit("/", 1)[1]).id)  # type: ignore[union-attr]
    assert [u.verdict for u in history] == ["passed", "error"]
    assert all(store.blob_path(u.sha256).is_file() for u in history)  # the older file is kept


def test_the_personalized_workbook_is_what_distribute_writes(
    client: TestClient, store: Store, cid: int, tmp_path: Path
) -> None:
    response = client.get(f"{link_of(store, cid, DEPT)}/workbook")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    read = pipeline.check([Upload("x.xlsx", response.content)]).files[0].read
    assert (read.identity.body, read.identity.year, read.department) == ("大榭街道", 2024, DEPT)


def test_a_link_sees_only_its_own_department(client: TestClient, store: Store, cid: int) -> None:
    page = upload(client, link_of(store, cid, DEPT), example_bytes("城市管理办"), "城市管理办.xlsx")
    assert "有错误" in page.text and "这是「城市管理办」的填报表" in page.text  # type: ignore[attr-defined]
    others = [d for d in store.departments(cid) if d.name not in (DEPT, "城市管理办")]
    assert all("城市管理办" not in client.get(f"/d/{d.token}").text for d in others)
    assert "未报送" in client.get(link_of(store, cid, "城市管理办")).text  # not counted as that department's file


def _logged_in(client: TestClient) -> None:
    assert "回收情况" in login(client).text  # type: ignore[attr-defined]


def test_dashboard_states_return_and_downloads(client: TestClient, store: Store, cid: int) -> None:
    for name in roster()[:3]:
        upload(client, link_of(store, cid, name), example_bytes(name), f"{name}.xlsx")
    upload(client, link_of(store, cid, roster()[3]), with_t3_mistake(roster()[3]), "表.xlsx")
    _logged_in(client)
    board = client.get(f"/admin/c/{cid}").text
    assert board.count("已通过") >= 3 and "有错误" in board and "未报送" in board
    assert roster()[4] in board and "请于 2025年1月10日前" in board  # the reminder names who is missing

    # 退回 the first department's file: its page shows the comment and the state.
    first = store.departments(cid)[0]
    detail = client.get(f"/admin/d/{first.id}")
    token = CSRF.search(detail.text).group(1)  # type: ignore[union-attr]
    newest = store.uploads_of(first.id)[0]
    back = client.post(f"/admin/u/{newest.id}/return", data={"csrf_token": token, "comment": "请补充联系电话"})
    assert "已退回" in back.text
    own = client.get(f"/d/{first.token}").text
    assert "已退回" in own and "请补充联系电话" in own

    merged = client.get(f"/admin/c/{cid}/merged")
    assert merged.status_code == 200 and "草稿" in merged.text and "表三" in merged.text
    for what, magic in (("xlsx", b"PK"), ("docx", b"PK"), ("json", b"{"), ("csv", b"")):
        got = client.get(f"/admin/c/{cid}/download/{what}")
        assert got.status_code == 200, what
        assert got.content.lstrip(b"\xef\xbb\xbf").startswith(magic)
    data = json.loads(client.get(f"/admin/c/{cid}/download/json").content)
    assert data["departments"] == roster()[1:3]  # returned and errored files are left out


def test_the_site_merges_what_nianbao_merge_merges(client: TestClient, store: Store, cid: int, tmp_path: Path) -> None:
    for name in roster():
        upload(client, link_of(store, cid, name), example_bytes(name), f"{name}.xlsx")
    _logged_in(client)
    site = json.loads(client.get(f"/admin/c/{cid}/download/json").content)
    cli = pipeline.merge(EXAMPLE, roster=EXAMPLE / "departments.csv").to_json_dict()
    for key in ("body", "year", "values", "texts", "departments", "department_status", "date"):
        assert site[key] == json.loads(json.dumps(cli[key], default=str)), key
    assert site["report"] == "final"
    # `nianbao merge` on the accepted files the site hands out gives the same merged.json.
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/admin/c/{cid}/download/files").content))
    folder = tmp_path / "已通过的报表"
    archive.extractall(folder)
    (tmp_path / "departments.csv").write_bytes((EXAMPLE / "departments.csv").read_bytes())
    run = CliRunner().invoke(
        main,
        [
            "merge",
            str(folder),
            "--roster",
            str(tmp_path / "departments.csv"),
            "--out",
            str(tmp_path / "out"),
            "--quiet",
        ],
    )
    assert run.exit_code == 0, run.output
    offline = json.loads((tmp_path / "out" / "merged.json").read_text(encoding="utf-8"))
    assert {k: v for k, v in offline.items() if k not in ("report", "sources")} == {
        k: v for k, v in site.items() if k not in ("report", "sources")
    }

    def files(data: dict[str, object]) -> list[dict[str, object]]:  # unzipping does not keep a file's time
        return sorted(
            ({k: v for k, v in f.items() if k != "modified"} for f in data["sources"]),  # type: ignore[attr-defined]
            key=lambda f: str(f["file"]),
        )

    assert files(offline) == files(site)
    report = client.get(f"/admin/c/{cid}/download/docx")
    assert zipfile.ZipFile(io.BytesIO(report.content)).testzip() is None


def test_api_check_answers_what_check_json_prints(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = with_t3_mistake(DEPT)
    (tmp_path / "表.xlsx").write_bytes(data)
    monkeypatch.chdir(tmp_path)
    printed = CliRunner().invoke(main, ["check", "--json", "表.xlsx"])
    answer = client.post("/api/v1/check", files={"file": ("表.xlsx", data)})
    assert answer.status_code == 200
    assert answer.json() == json.loads(printed.output)
    assert any(f["code"] == "T3-1" and f["cell"] == "D7" for f in answer.json())
    assert client.post("/api/v1/check", data={"x": "1"}).status_code == 400
    assert client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/check"]


def test_api_refuses_an_oversize_file(store: Store, collection: int) -> None:
    client = TestClient(create_app(store, max_upload=1024))
    answer = client.post("/api/v1/check", files={"file": ("big.xlsx", b"x" * 200_000)})
    assert answer.status_code == 413 and "上限" in answer.json()["message"]


def test_coordinator_json_endpoints_need_login_and_csrf(client: TestClient, store: Store, cid: int) -> None:
    assert client.get(f"/api/v1/collections/{cid}").status_code == 401
    _logged_in(client)
    status = client.get(f"/api/v1/collections/{cid}").json()
    assert [d["state"] for d in status["departments"]] == ["missing"] * len(roster())
    did = status["departments"][0]["id"]
    assert client.post(f"/api/v1/departments/{did}/token").status_code == 403
    token = client.get("/api/v1/session").json()["csrf_token"]
    fresh = client.post(f"/api/v1/departments/{did}/token", headers={"x-csrf-token": token}).json()
    assert fresh["link"] != status["departments"][0]["link"]
    assert client.get(status["departments"][0]["link"].split("testserver")[1]).status_code == 404
    created = client.post(
        "/api/v1/collections",
        headers={"x-csrf-token": token},
        json={"body": "某某区", "year": 2024, "deadline": "2025-01-20", "roster": ["甲", "乙"]},
    )
    assert created.status_code == 201 and created.json()["body"] == "某某区"
    assert len(client.get("/api/v1/collections").json()) == 2


# -- bad requests ---------------------------------------------------------------------------------------
def test_oversize_upload_gets_a_page_and_is_not_stored(store: Store, collection: int) -> None:
    client = TestClient(create_app(store, max_upload=100_000), follow_redirects=True)
    link = link_of(store, collection, DEPT)
    page = upload(client, link, b"PK" + b"\0" * 300_000)
    assert page.status_code == 413 and "文件太大" in page.text and "没有保存" in page.text  # type: ignore[attr-defined]
    no_traceback(page.text)  # type: ignore[attr-defined]
    assert store.uploads_in(collection) == {}


def test_wrong_token_forged_form_and_missing_file(client: TestClient, store: Store, cid: int) -> None:
    wrong = client.get("/d/not-a-real-token")
    assert wrong.status_code == 404 and "链接无效" in wrong.text
    link = link_of(store, cid, DEPT)
    forged = client.post(f"{link}/upload", files={"file": ("a.xlsx", example_bytes(DEPT))})
    assert forged.status_code == 403 and "安全校验码" in forged.text
    empty = client.post(f"{link}/upload", data={"csrf_token": csrf_of(client, link)})
    assert empty.status_code == 400 and "选择文件" in empty.text
    assert store.uploads_in(cid) == {}
    for response in (wrong, forged, empty):
        no_traceback(response.text)


def test_a_path_in_the_file_name_reaches_no_path(client: TestClient, store: Store, cid: int, tmp_path: Path) -> None:
    link = link_of(store, cid, DEPT)
    page = upload(client, link, example_bytes(DEPT), "../../../etc/evil\\..\\经济发展办.xlsx")
    assert "已通过" in page.text  # type: ignore[attr-defined]
    (stored,) = store.uploads_in(cid).values()
    assert stored[0].filename == "经济发展办.xlsx"
    assert not any(p.name.startswith("evil") for p in tmp_path.rglob("*"))


def test_login_is_rate_limited_and_headers_are_set(store: Store, collection: int) -> None:
    client = TestClient(create_app(store, login_limit=RateLimit(attempts=3, window=60)), follow_redirects=True)
    for _ in range(3):
        assert login(client, "wrong password").status_code == 401  # type: ignore[attr-defined]
    blocked = login(client)  # even the right password waits now
    assert blocked.status_code == 429 and "分钟后再试" in blocked.text  # type: ignore[attr-defined]
    headers = client.get("/").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"


def test_every_hostile_workbook_gets_a_clear_page(store: Store, tmp_path: Path) -> None:
    """Each bad kind `nianbao check` handles, uploaded: a page with the verdict (or 413), never a traceback."""
    import datetime as dt

    from hostile import KINDS
    from hostile.case import good_workbook_path

    read = pipeline.check([good_workbook_path()]).files[0].read
    cid = store.create_collection(
        read.identity.body, read.identity.year or 2024, dt.date(2025, 1, 10), [read.department]
    )
    client = TestClient(create_app(store), follow_redirects=True)
    link = link_of(store, cid, read.department)
    stored = 0
    for name, make in KINDS.items():
        if not name.startswith("check_"):
            continue
        case = make(tmp_path / name)
        files = [p for p in case.inputs if p.is_file()]
        if len(files) != 1 or case.exit_code not in (0, 1):
            continue
        page = upload(client, link, files[0].read_bytes(), files[0].name)
        no_traceback(page.text)  # type: ignore[attr-defined]
        assert page.status_code in (200, 413), name  # type: ignore[attr-defined]
        if page.status_code == 200:  # type: ignore[attr-defined]
            stored += 1
            expected = "有错误" if case.exit_code == 1 else ("有警告", "已通过")
            assert any(word in page.text for word in (expected if isinstance(expected, tuple) else (expected,))), name  # type: ignore[attr-defined]
    assert stored == len(store.uploads_of(store.departments(cid)[0].id)) > 20


def test_a_collection_is_created_on_the_page_from_a_roster_file(store: Store, collection: int) -> None:
    client = TestClient(create_app(store), follow_redirects=True)
    _logged_in(client)
    token = csrf_of(client, "/admin?new=1")
    roster_csv = "部门\n财政局\n民政局\n".encode("gbk")
    page = client.post(
        "/admin/collections",
        data={
            "csrf_token": token,
            "body": "某某区人民政府",
            "year": "2024",
            "deadline": "2025-01-20",
            "roster": "司法局\n财政局",
        },
        files={"roster_file": ("名单.csv", roster_csv, "text/csv")},
    )
    assert page.status_code == 200 and "某某区人民政府" in page.text
    created = store.collections()[0]
    assert [d.name for d in store.departments(created.id)] == ["财政局", "民政局", "司法局"]
    bad = client.post(
        "/admin/collections",
        data={"csrf_token": token, "body": "某某区", "year": "两千", "deadline": "2025-01-20", "roster": "甲"},
    )
    assert bad.status_code == 400 and "报告年度" in bad.text


@pytest.mark.libreoffice
@pytest.mark.slow
def test_the_report_as_pdf(client: TestClient, store: Store, cid: int) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("the conversion does not depend on the database: once, on SQLite")
    upload(client, link_of(store, cid, DEPT), example_bytes(DEPT))
    _logged_in(client)
    pdf = client.get(f"/admin/c/{cid}/download/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("body", "year", "code"),
    [
        ("某某区人民政府", 2024, "F-BODY"),
        ("大榭街道", 2023, "F-YEAR"),
        ("大榭街道", None, "F-YEAR"),
        ("", None, "F-BODY"),
    ],
)
def test_a_file_for_another_body_or_year_is_refused_on_the_page(
    client: TestClient, store: Store, cid: int, tmp_path: Path, body: str, year: int | None, code: str
) -> None:
    from nianbao.workbook.template import Identity, write_filled

    data = pipeline.check([Upload("x.xlsx", example_bytes(DEPT))]).files[0].read.to_data()
    path = tmp_path / "其他.xlsx"
    write_filled(
        path,
        Identity(body, year, DEPT),
        data.values,
        texts=data.texts,
        meta={"meta.preparer": "张三", "meta.phone": "0574-86761234", "meta.date": "2025-01-06"},
    )
    page = upload(client, link_of(store, cid, DEPT), path.read_bytes(), path.name)
    assert "有错误" in page.text and code in page.text  # type: ignore[attr-defined]


def test_a_body_without_a_declared_length_is_capped_as_it_streams(store: Store, collection: int) -> None:
    client = TestClient(create_app(store, max_upload=1024))
    boundary = "nianbao-test"

    def body() -> object:
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.xlsx"\r\n\r\n'.encode()
        for _ in range(50):
            yield b"x" * 8192
        yield f"\r\n--{boundary}--\r\n".encode()

    answer = client.post(
        "/api/v1/check",
        content=body(),  # type: ignore[arg-type]
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert "content-length" not in {k.lower() for k in answer.request.headers}
    assert answer.status_code == 413


def test_an_internal_error_is_a_clear_page_and_keeps_earlier_files(
    store: Store, collection: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nianbao.site import service

    client = TestClient(create_app(store), follow_redirects=True, raise_server_exceptions=False)
    link = link_of(store, collection, DEPT)
    upload(client, link, example_bytes(DEPT))

    def broken(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "check_upload", broken)
    page = upload(client, link, example_bytes(DEPT))
    assert page.status_code == 500 and "出错了" in page.text and "boom" not in page.text  # type: ignore[attr-defined]
    no_traceback(page.text)  # type: ignore[attr-defined]
    assert len(store.uploads_in(collection)[store.department_by_token(link[3:]).id]) == 1  # type: ignore[union-attr]
