"""The collection website (Starlette): a department's page behind its own link, the coordinator's dashboard behind
a password, and a small JSON API. Pages are rendered on the server; uploads work without JavaScript.

Every check, merge and report goes through `nianbao.pipeline` (see service.py), in a worker thread so the event
loop keeps answering while a workbook is read.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import NianbaoError
from ..roster import read_roster
from ..workbook.distribute import MIN_YEAR
from . import service, views
from .security import (
    CSRF_FIELD,
    CSRF_HEADER,
    MIN_PASSWORD,
    BodyLimit,
    BodyTooLarge,
    RateLimit,
    SecurityHeaders,
    csrf_ok,
    csrf_token,
    hash_password,
    password_epoch,
    password_problem,
    verify_password,
)
from .store import Collection, Department, DepartmentRemoved, Store

HERE = Path(__file__).parent
DEFAULT_MAX_UPLOAD = 20 * 1024 * 1024
PASSWORD_KEY = "admin_password"
SECRET_KEY = "session_secret"
_FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the other fields, beyond the file itself
_MAX_ROSTER = 2000


@dataclass
class Config:
    store: Store
    max_upload: int = DEFAULT_MAX_UPLOAD
    public_url: str = ""  # how departments reach the site, for the links the coordinator copies
    login_limit: RateLimit = field(default_factory=RateLimit)
    check_slots: int = 4  # uploads checked at once (CPU-bound; more only queue on the GIL)


class PageError(Exception):
    """A clear Chinese page (or JSON for the API) instead of a traceback."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


class Removed(Exception):
    """A department's link after it left the roster: a page that says so and whom to ask, nothing stored."""

    def __init__(self, department: Department, collection: Collection) -> None:
        super().__init__(department.name)
        self.department, self.collection = department, collection


def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        STATES=views.STATES, local_time=views.local_time, CSRF_FIELD=CSRF_FIELD, min_password=MIN_PASSWORD
    )
    return env


def create_app(
    store: Store, *, max_upload: int = DEFAULT_MAX_UPLOAD, public_url: str = "", login_limit: RateLimit | None = None
) -> Starlette:
    cfg = Config(store, max_upload, public_url.rstrip("/"), login_limit or RateLimit())
    env = _templates()
    limiter = anyio.CapacityLimiter(cfg.check_slots)
    secret = store.setting_or_create(SECRET_KEY, lambda: secrets.token_urlsafe(48))

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.update(
            request=request,
            csrf=csrf_token(request.session),
            admin=_is_admin(request),
            max_upload_mb=cfg.max_upload // (1024 * 1024),
        )
        return HTMLResponse(env.get_template(name).render(**context), status_code=status)

    def _is_admin(request: Request) -> bool:
        """Logged in, with the password that is current (a change or a reset signs older sessions out)."""
        if not request.session.get("admin"):
            return False
        stored = store.setting(PASSWORD_KEY)
        epoch = request.session.get("epoch")
        return stored is not None and isinstance(epoch, str) and secrets.compare_digest(epoch, password_epoch(stored))

    def require_admin(request: Request) -> None:
        if not _is_admin(request):
            raise PageError(401, "请先登录", "这个页面只有汇总单位可以查看，请先登录。")

    def link(request: Request, department: Department) -> str:
        base = cfg.public_url or str(request.base_url).rstrip("/")
        return f"{base}/d/{department.token}"

    async def form_of(request: Request) -> Any:
        """The posted form, within the size cap, with its CSRF token checked."""
        if request.scope.get("state", {}).get("body_too_large"):
            raise _too_large(cfg)
        try:
            form = await request.form(max_files=1, max_fields=20, max_part_size=cfg.max_upload + _FORM_OVERHEAD)
        except BodyTooLarge:
            raise _too_large(cfg) from None
        except (MultiPartException, HTTPException, UnicodeDecodeError, ValueError) as exc:
            raise PageError(400, "提交的内容无法读取", "提交的内容格式不对，请回到上一页重新提交。") from exc
        if not csrf_ok(request.session, form.get(CSRF_FIELD)):
            raise PageError(403, "页面已过期", "页面已过期或不是从本站提交的（缺少安全校验码）。请刷新页面后重新提交。")
        return form

    def collection_or_404(cid: int) -> Collection:
        found = store.collection(cid)
        if found is None:
            raise PageError(404, "找不到这次收集", "找不到这次收集，可能链接有误。")
        return found

    def department_by_token(token: str) -> tuple[Department, Collection]:
        department = store.department_by_token(token)
        collection = store.collection(department.collection_id) if department else None
        if department is None or collection is None:
            raise PageError(404, "链接无效", "这个报送链接无效或已更换。请向汇总单位索取本部门最新的报送链接。")
        if not department.active:
            raise Removed(department, collection)
        return department, collection

    async def run(func: Callable[..., Any], *args: Any) -> Any:
        return await anyio.to_thread.run_sync(func, *args, limiter=limiter)

    # -- public pages -------------------------------------------------------------------------------
    async def home(request: Request) -> Response:
        if _is_admin(request):
            return RedirectResponse("/admin", 303)
        return page(request, "home.html")

    async def login_page(request: Request) -> Response:
        return page(request, "login.html", password_set=store.setting(PASSWORD_KEY) is not None)

    async def login(request: Request) -> Response:
        form = await form_of(request)
        client = request.client.host if request.client else "?"
        wait = cfg.login_limit.wait(client)
        if wait:
            return page(
                request,
                "login.html",
                429,
                password_set=True,
                error=f"登录失败次数过多，请 {(wait + 59) // 60} 分钟后再试。",
            )
        stored = store.setting(PASSWORD_KEY)
        password = form.get("password")
        ok = stored is not None and isinstance(password, str) and await run(verify_password, password, stored)
        if not ok or stored is None:
            cfg.login_limit.failed(client)
            return page(request, "login.html", 401, password_set=stored is not None, error="密码不对，请重新输入。")
        cfg.login_limit.succeeded(client)
        request.session.clear()
        request.session["admin"] = True
        request.session["epoch"] = password_epoch(stored)
        csrf_token(request.session)
        return RedirectResponse("/admin", 303)

    async def logout(request: Request) -> Response:
        await form_of(request)
        request.session.clear()
        return RedirectResponse("/", 303)

    async def department_page(request: Request) -> Response:
        department, collection = department_by_token(request.path_params["token"])
        history = store.uploads_of(department.id)
        newest = history[0] if history else None
        return page(
            request,
            "department.html",
            department=department,
            collection=collection,
            history=history,
            newest=newest,
            state=views.state_of(history),
            findings=views.by_sheet(views.finding_views(newest.findings)) if newest else [],
            deadline_note=views.deadline_note(collection),
            token=department.token,
        )

    async def department_workbook(request: Request) -> Response:
        department, collection = department_by_token(request.path_params["token"])
        name, path = await run(service.workbook_for, store, collection, department)
        return _download(path, name)

    async def department_upload(request: Request) -> Response:
        department, collection = department_by_token(request.path_params["token"])
        form = await form_of(request)
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise PageError(
                400, "没有选择文件", "请先点击“选择文件”，选好本部门填好的 .xlsx 填报表，再点击“上传并检查”。"
            )
        data = await upload.read()
        if len(data) > cfg.max_upload:
            raise _too_large(cfg)
        roster = [d.name for d in store.departments(collection.id)]
        checked = await run(service.check_upload, data, upload.filename, collection, department, roster)
        try:
            await run(
                lambda: store.add_upload(
                    department.id,
                    service.safe_display_name(upload.filename or ""),
                    data,
                    verdict=checked.verdict,
                    errors=checked.errors,
                    warnings=checked.warnings,
                    findings=checked.to_json(),
                )
            )
        except DepartmentRemoved:
            raise Removed(department, collection) from None
        return RedirectResponse(f"/d/{department.token}#result", 303)

    # -- the coordinator ------------------------------------------------------------------------------
    async def admin_home(request: Request) -> Response:
        require_admin(request)
        found = store.collections()
        if len(found) == 1 and "new" not in request.query_params:
            return RedirectResponse(f"/admin/c/{found[0].id}", 303)
        return page(
            request, "admin_home.html", collections=found, today=dt.date.today(), default_year=dt.date.today().year - 1
        )

    async def create_collection(request: Request) -> Response:
        require_admin(request)
        form = await form_of(request)
        body, year, deadline, roster = await _collection_form(form, run)
        cid = store.create_collection(body, year, deadline, roster)
        return RedirectResponse(f"/admin/c/{cid}", 303)

    async def update_collection(request: Request) -> Response:
        require_admin(request)
        collection = collection_or_404(request.path_params["cid"])
        form = await form_of(request)
        body, year, deadline, roster = await _collection_form(form, run, keep=store.departments(collection.id))
        store.update_collection(collection.id, body=body, year=year, deadline=deadline, roster=roster)
        return RedirectResponse(f"/admin/c/{collection.id}", 303)

    def dashboard_rows(collection: Collection) -> list[views.DepartmentRow]:
        return views.rows(store.departments(collection.id), store.uploads_in(collection.id))

    async def dashboard(request: Request) -> Response:
        require_admin(request)
        collection = collection_or_404(request.path_params["cid"])
        table = dashboard_rows(collection)
        missing = [r.department.name for r in table if r.state == "missing"]
        return page(
            request,
            "dashboard.html",
            collection=collection,
            rows=table,
            counts=views.counts(table),
            links={r.department.id: link(request, r.department) for r in table},
            reminder=views.reminder_text(collection, missing) if missing else "",
            missing=[r for r in table if r.state == "missing"],
            to_fix=[r for r in table if r.state in ("error", "returned")],
            removed=removed_rows(collection),
            deadline_note=views.deadline_note(collection),
        )

    def removed_rows(collection: Collection) -> list[views.DepartmentRow]:
        return views.rows(store.removed_departments(collection.id), store.uploads_in(collection.id))

    def department_or_404(request: Request) -> Department:
        department = store.department(request.path_params["did"])
        if department is None:
            raise PageError(404, "找不到这个部门", "找不到这个部门。")
        return department

    async def remove_confirm(request: Request) -> Response:
        require_admin(request)
        department = department_or_404(request)
        collection = collection_or_404(department.collection_id)
        if not department.active:
            return RedirectResponse(f"/admin/d/{department.id}", 303)
        return page(
            request,
            "remove_department.html",
            collection=collection,
            department=department,
            versions=len(store.uploads_of(department.id)),
        )

    async def remove_department(request: Request) -> Response:
        require_admin(request)
        await form_of(request)
        department = department_or_404(request)
        store.remove_department(department.id)
        return RedirectResponse(f"/admin/c/{department.collection_id}#removed", 303)

    async def restore_department(request: Request) -> Response:
        require_admin(request)
        await form_of(request)
        department = department_or_404(request)
        store.restore_department(department.id)
        return RedirectResponse(f"/admin/d/{department.id}", 303)

    async def department_detail(request: Request) -> Response:
        require_admin(request)
        department = department_or_404(request)
        collection = collection_or_404(department.collection_id)
        history = store.uploads_of(department.id)
        return page(
            request,
            "admin_department.html",
            collection=collection,
            department=department,
            history=history,
            state=views.state_of(history),
            link=link(request, department),
            findings={u.id: views.by_sheet(views.finding_views(u.findings)) for u in history},
        )

    async def return_upload(request: Request) -> Response:
        require_admin(request)
        form = await form_of(request)
        found = store.upload(request.path_params["uid"])
        if found is None:
            raise PageError(404, "找不到这份文件", "找不到这份文件。")
        comment = str(form.get("comment") or "").strip()[:2000]
        if not comment:
            raise PageError(400, "请写明退回原因", "退回时请写明原因和改法，部门会在报送页面上看到这段话。")
        store.return_upload(found.id, comment)
        return RedirectResponse(f"/admin/d/{found.department_id}", 303)

    async def regenerate(request: Request) -> Response:
        require_admin(request)
        await form_of(request)
        department = department_or_404(request)
        store.regenerate_token(department.id)
        return RedirectResponse(f"/admin/d/{department.id}", 303)

    async def stored_file(request: Request) -> Response:
        require_admin(request)
        found = store.upload(request.path_params["uid"])
        if found is None:
            raise PageError(404, "找不到这份文件", "找不到这份文件。")
        return _download(store.blob_path(found.sha256), found.filename)

    async def merged(request: Request) -> Response:
        require_admin(request)
        collection = collection_or_404(request.path_params["cid"])
        snap = await run(service.snapshot, store, collection)
        table = dashboard_rows(collection)
        return page(
            request,
            "merged.html",
            collection=collection,
            snap=snap,
            counts=views.counts(table),
            deadline_note=views.deadline_note(collection),
            tables=views.merged_tables(snap.data.get("values", {})) if snap else [],
            pdf_possible=_soffice(),
        )

    async def download(request: Request) -> Response:
        require_admin(request)
        collection = collection_or_404(request.path_params["cid"])
        what = request.path_params["what"]
        snap = await run(service.snapshot, store, collection)
        if snap is None:
            raise PageError(404, "还没有可汇总的文件", "还没有部门的文件通过检查，暂时没有汇总结果。")
        if what == "pdf":
            path = await run(service.pdf_of, snap)
        elif what == "files":
            path = await run(service.accepted_zip, store, collection, snap)
        else:
            path = snap.file(what)
        if path is None or not path.is_file():
            why = "本机没有安装 LibreOffice，无法生成 PDF。" if what == "pdf" else "这份文件还没有生成。"
            raise PageError(404, "没有这份文件", why)
        return _download(path, path.name)

    # -- JSON API -----------------------------------------------------------------------------------
    async def api_check(request: Request) -> Response:
        if request.scope.get("state", {}).get("body_too_large"):
            raise _too_large(cfg)
        try:
            form = await request.form(max_files=1, max_fields=5, max_part_size=cfg.max_upload + _FORM_OVERHEAD)
        except BodyTooLarge:
            raise _too_large(cfg) from None
        except (MultiPartException, HTTPException, UnicodeDecodeError, ValueError) as exc:
            raise PageError(400, "请求无法读取", "请求应为 multipart/form-data，工作簿放在 file 字段。") from exc
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise PageError(400, "缺少文件", "请求中没有 file 字段（multipart/form-data）。")
        data = await upload.read()
        if len(data) > cfg.max_upload:
            raise _too_large(cfg)
        text = await run(service.check_api, data, upload.filename or "upload.xlsx")
        return Response(text, media_type="application/json")

    def require_api_csrf(request: Request) -> None:
        require_admin(request)
        if not csrf_ok(request.session, request.headers.get(CSRF_HEADER)):
            raise PageError(403, "缺少安全校验码", f"请在 {CSRF_HEADER} 头中给出 /api/v1/session 返回的 csrf_token。")

    async def api_session(request: Request) -> Response:
        require_admin(request)
        return JSONResponse({"csrf_token": csrf_token(request.session)})

    async def api_collections(request: Request) -> Response:
        require_admin(request)
        return JSONResponse([_collection_json(c) for c in store.collections()])

    async def api_create_collection(request: Request) -> Response:
        require_api_csrf(request)
        try:
            payload = await request.json()
        except ValueError as exc:
            raise PageError(400, "请求无法读取", "请求体应为 JSON。") from exc
        if not isinstance(payload, dict) or not isinstance(payload.get("roster"), list):
            raise PageError(
                400, "请求不对", '应为 {"body": …, "year": …, "deadline": "2025-01-10", "roster": [部门, …]}。'
            )
        form = {
            "body": payload.get("body"),
            "year": payload.get("year"),
            "deadline": payload.get("deadline"),
            "roster": "\n".join(str(n) for n in payload["roster"]),
        }
        body, year, deadline, roster = await _collection_form(form, run)
        cid = store.create_collection(body, year, deadline, roster)
        created = store.collection(cid)
        assert created is not None
        return JSONResponse(_collection_json(created), status_code=201)

    def row_json(request: Request, r: views.DepartmentRow) -> dict[str, Any]:
        return {
            "id": r.department.id,
            "department": r.department.name,
            "active": r.department.active,
            "removed_at": r.department.removed_at,
            "state": r.state,
            "label": r.label,
            "last_upload": r.last_time,
            "versions": r.versions,
            "link": link(request, r.department),
            "uploads": [
                {
                    "id": u.id,
                    "file": u.filename,
                    "uploaded_at": views.local_time(u.uploaded_at),
                    "verdict": u.verdict,
                    "errors": u.errors,
                    "warnings": u.warnings,
                    "returned": u.returned_at is not None,
                    "return_comment": u.return_comment,
                    "findings": json.loads(u.findings),
                }
                for u in r.history
            ],
        }

    async def api_collection(request: Request) -> Response:
        require_admin(request)
        collection = collection_or_404(request.path_params["cid"])
        table = dashboard_rows(collection)
        return JSONResponse(
            {
                **_collection_json(collection),
                "counts": views.counts(table),
                "departments": [row_json(request, r) for r in table],
                # Off the roster: not counted nor merged, their files kept.
                "removed": [row_json(request, r) for r in removed_rows(collection)],
            }
        )

    async def api_merged(request: Request) -> Response:
        require_admin(request)
        collection = collection_or_404(request.path_params["cid"])
        snap = await run(service.snapshot, store, collection)
        return JSONResponse(snap.data if snap else None)

    async def api_return(request: Request) -> Response:
        require_api_csrf(request)
        found = store.upload(request.path_params["uid"])
        if found is None:
            raise PageError(404, "找不到这份文件", "找不到这份文件。")
        try:
            payload = await request.json()
        except ValueError as exc:
            raise PageError(400, "请求无法读取", '请求体应为 JSON：{"comment": "退回原因"}。') from exc
        comment = str(payload.get("comment") or "").strip()[:2000] if isinstance(payload, dict) else ""
        if not comment:
            raise PageError(400, "请写明退回原因", "comment 不能为空。")
        store.return_upload(found.id, comment)
        return JSONResponse({"returned": found.id})

    async def api_regenerate(request: Request) -> Response:
        require_api_csrf(request)
        department = department_or_404(request)
        store.regenerate_token(department.id)
        fresh = store.department(department.id)
        assert fresh is not None
        return JSONResponse({"department": fresh.name, "link": link(request, fresh)})

    async def api_remove(request: Request) -> Response:
        require_api_csrf(request)
        department = department_or_404(request)
        store.remove_department(department.id)
        return JSONResponse(_department_json(store, department.id))

    async def api_restore(request: Request) -> Response:
        require_api_csrf(request)
        department = department_or_404(request)
        store.restore_department(department.id)
        return JSONResponse(_department_json(store, department.id))

    # -- the coordinator's password ------------------------------------------------------------------
    async def password_page(request: Request) -> Response:
        require_admin(request)
        return page(request, "password.html", changed="changed" in request.query_params)

    async def change_password(request: Request) -> Response:
        require_admin(request)
        form = await form_of(request)
        client = request.client.host if request.client else "?"

        def refuse(status: int, error: str) -> Response:
            return page(request, "password.html", status, error=error)

        wait = cfg.login_limit.wait(client)
        if wait:
            return refuse(429, f"当前密码输错次数过多，请 {(wait + 59) // 60} 分钟后再试。")
        current, new, again = (str(form.get(k) or "") for k in ("current", "new", "again"))
        stored = store.setting(PASSWORD_KEY)
        if stored is None or not await run(verify_password, current, stored):
            cfg.login_limit.failed(client)
            return refuse(400, "当前密码不对，密码没有修改。")
        cfg.login_limit.succeeded(client)
        problem = password_problem(new)
        if problem:
            return refuse(400, f"{problem}密码没有修改。")
        if new != again:
            return refuse(400, "两次输入的新密码不一致，密码没有修改。")
        if new == current:
            return refuse(400, "新密码与当前密码相同，密码没有修改。")
        hashed = await run(hash_password, new)
        store.set_setting(PASSWORD_KEY, hashed)
        request.session["epoch"] = password_epoch(hashed)  # this browser stays in; every other one is signed out
        return RedirectResponse("/admin/password?changed=1", 303)

    async def openapi(request: Request) -> Response:
        from .openapi import SPEC

        return JSONResponse(SPEC)

    # -- errors -------------------------------------------------------------------------------------
    def is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    async def page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        if is_api(request):
            return JSONResponse({"error": exc.title, "message": exc.message}, status_code=exc.status)
        if exc.status == 401:
            return RedirectResponse("/login", 303)
        return page(request, "error.html", exc.status, title=exc.title, message=exc.message, back=_back(request))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        titles = {
            404: ("找不到这个页面", "找不到这个页面，请检查网址。"),
            405: ("不支持这种访问方式", "请从页面上的按钮操作。"),
        }
        title, message = titles.get(exc.status_code, ("请求有误", "请求有误，请回到上一页重试。"))
        return await page_error(request, PageError(exc.status_code, title, message))

    async def removed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Removed)
        if is_api(request):
            message = f"「{exc.department.name}」已不在这次收集的名单中。"
            return JSONResponse({"error": "已移出名单", "message": message}, status_code=410)
        return page(
            request,
            "department_removed.html",
            410,
            department=exc.department,
            collection=exc.collection,
            versions=len(store.uploads_of(exc.department.id)),
        )

    async def too_large(request: Request, exc: Exception) -> Response:
        return await page_error(request, _too_large(cfg))

    async def internal(request: Request, exc: Exception) -> Response:
        message = (
            str(exc)
            if isinstance(exc, NianbaoError)
            else "服务器处理时出错，您的操作可能没有完成，请稍后重试；如果一直这样，请告诉汇总单位。"
        )
        return await page_error(request, PageError(500, "出错了", message))

    routes = [
        Route("/", home),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/d/{token}", department_page, methods=["GET"]),
        Route("/d/{token}/workbook", department_workbook, methods=["GET"]),
        Route("/d/{token}/upload", department_upload, methods=["POST"]),
        Route("/admin", admin_home, methods=["GET"]),
        Route("/admin/collections", create_collection, methods=["POST"]),
        Route("/admin/c/{cid:int}", dashboard, methods=["GET"]),
        Route("/admin/c/{cid:int}/settings", update_collection, methods=["POST"]),
        Route("/admin/c/{cid:int}/merged", merged, methods=["GET"]),
        Route("/admin/c/{cid:int}/download/{what}", download, methods=["GET"]),
        Route("/admin/d/{did:int}", department_detail, methods=["GET"]),
        Route("/admin/d/{did:int}/token", regenerate, methods=["POST"]),
        Route("/admin/d/{did:int}/remove", remove_confirm, methods=["GET"]),
        Route("/admin/d/{did:int}/remove", remove_department, methods=["POST"]),
        Route("/admin/d/{did:int}/restore", restore_department, methods=["POST"]),
        Route("/admin/password", password_page, methods=["GET"]),
        Route("/admin/password", change_password, methods=["POST"]),
        Route("/admin/u/{uid:int}/return", return_upload, methods=["POST"]),
        Route("/admin/u/{uid:int}/file", stored_file, methods=["GET"]),
        Route("/api/v1/check", api_check, methods=["POST"]),
        Route("/api/v1/openapi.json", openapi, methods=["GET"]),
        Route("/api/v1/session", api_session, methods=["GET"]),
        Route("/api/v1/collections", api_collections, methods=["GET"]),
        Route("/api/v1/collections", api_create_collection, methods=["POST"]),
        Route("/api/v1/collections/{cid:int}", api_collection, methods=["GET"]),
        Route("/api/v1/collections/{cid:int}/merged", api_merged, methods=["GET"]),
        Route("/api/v1/uploads/{uid:int}/return", api_return, methods=["POST"]),
        Route("/api/v1/departments/{did:int}/token", api_regenerate, methods=["POST"]),
        Route("/api/v1/departments/{did:int}/remove", api_remove, methods=["POST"]),
        Route("/api/v1/departments/{did:int}/restore", api_restore, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(BodyLimit, limit=cfg.max_upload + _FORM_OVERHEAD),
        Middleware(
            SessionMiddleware,
            secret_key=secret,
            session_cookie="nianbao_session",
            max_age=8 * 3600,
            same_site="lax",
            https_only=False,
        ),
    ]
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        PageError: page_error,
        Removed: removed,
        HTTPException: http_error,
        BodyTooLarge: too_large,
        Exception: internal,
    }
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=handlers)
    app.state.config = cfg
    return app


def _back(request: Request) -> str:
    """Where an error page's button leads: the department's own page, the dashboard, or the home page."""
    parts = request.url.path.split("/")
    if len(parts) > 2 and parts[1] == "d":
        return f"/d/{quote(parts[2])}"
    return "/admin" if parts[1:2] == ["admin"] else "/"


def _too_large(cfg: Config) -> PageError:
    mb = cfg.max_upload / (1024 * 1024)
    return PageError(
        413,
        "文件太大",
        f"文件超过 {mb:g} MB 的上限，没有保存。填报表一般只有几十 KB：请确认选的是本部门的填报表，而不是其他文件。",
    )


def _download(path: Path, name: str) -> FileResponse:
    # RFC 6266: the UTF-8 name for browsers, an ASCII stand-in for the rest.
    ascii_name = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "._-" else "_" for ch in name) or "file"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return FileResponse(path, headers={"content-disposition": disposition})


def _soffice() -> bool:
    from ..report.pdf import find_soffice

    return find_soffice() is not None


def _department_json(store: Store, did: int) -> dict[str, Any]:
    found = store.department(did)
    assert found is not None
    return {"id": found.id, "department": found.name, "active": found.active, "removed_at": found.removed_at}


def _collection_json(c: Collection) -> dict[str, Any]:
    return {"id": c.id, "body": c.body, "year": c.year, "deadline": c.deadline.isoformat()}


async def _collection_form(
    form: Any, run: Callable[..., Awaitable[Any]], keep: list[Department] | None = None
) -> tuple[str, int, dt.date, list[str]]:
    """机关名称, 报告年度, 截止日期 and the roster (a CSV/xlsx file or names typed one per line), checked."""
    body = str(form.get("body") or "").strip()
    if not body or len(body) > 100:
        raise PageError(400, "请填写机关名称", "机关名称不能为空，最多 100 个字。")
    try:
        year = int(str(form.get("year") or ""))
        deadline = dt.date.fromisoformat(str(form.get("deadline") or ""))
    except ValueError:
        raise PageError(400, "年度或截止日期不对", "报告年度应为四位数字（如 2024），截止日期如 2025-01-10。") from None
    if not MIN_YEAR <= year <= dt.date.today().year:
        raise PageError(400, "年度不对", f"报告年度应在 {MIN_YEAR} 年到今年之间。")
    roster = await _roster_of(form, run)
    if keep is not None:  # editing: departments already on the roster stay (their links and files stay too)
        roster = [*[d.name for d in keep], *[n for n in roster if n not in {d.name for d in keep}]]
    if not roster:
        raise PageError(
            400, "请给出部门名单", "请上传部门名单（CSV 或 .xlsx，第一行有“部门”列），或在文本框中每行写一个部门。"
        )
    return body, year, deadline, roster


async def _roster_of(form: Any, run: Callable[..., Awaitable[Any]]) -> list[str]:
    upload = form.get("roster_file")
    names: list[str] = []
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read()
        suffix = ".xlsx" if upload.filename.lower().endswith(".xlsx") else ".csv"
        names = await run(_read_roster_bytes, data, suffix)
    typed = [line.strip() for line in str(form.get("roster") or "").splitlines() if line.strip()]
    merged = list(dict.fromkeys([*names, *typed]))
    if len(merged) > _MAX_ROSTER or any(len(n) > 100 for n in merged):
        raise PageError(400, "部门名单不对", f"部门名单最多 {_MAX_ROSTER} 个部门，每个部门名称最多 100 个字。")
    return merged


def _read_roster_bytes(data: bytes, suffix: str) -> list[str]:
    """The roster reader works on files: the upload goes to a private temporary file (its name is ours)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"roster{suffix}"
        path.write_bytes(data)
        try:
            return read_roster(path)
        except NianbaoError as exc:
            raise PageError(400, "部门名单无法读取", str(exc).replace(str(path), "上传的名单")) from exc
