"""The site's storage: collections, departments, uploads and settings in SQL (SQLite or PostgreSQL through
SQLAlchemy Core), and every uploaded file content-addressed under the data folder.

A file is stored under its SHA-256 (files/ab/abcd…); the name a user gave never reaches a path, and a new
upload never overwrites or deletes an older one. The schema is created and upgraded by the alembic migrations
shipped in `migrations/`, run at every start.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..fileio import make_folder, write_bytes_atomic

metadata = sa.MetaData()

settings = sa.Table(
    "settings",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
collections = sa.Table(
    "collections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("body", sa.String(200), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("deadline", sa.String(10), nullable=False),  # ISO date
    sa.Column("created_at", sa.Float, nullable=False),
)
departments = sa.Table(
    "departments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("token", sa.String(64), nullable=False),
    # SHA-256 of the token: looked up by index, then the token itself is compared in constant time.
    sa.Column("token_digest", sa.String(64), nullable=False, unique=True),
    sa.Column("removed_at", sa.Float, nullable=True),  # 移出名单: inactive, its uploads kept (migration 0002)
    sa.UniqueConstraint("collection_id", "name", name="uq_department_name"),
)
uploads = sa.Table(
    "uploads",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("department_id", sa.Integer, sa.ForeignKey("departments.id"), nullable=False, index=True),
    sa.Column("filename", sa.String(300), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("uploaded_at", sa.Float, nullable=False),
    sa.Column("verdict", sa.String(10), nullable=False),  # "error", "warning", "passed"
    sa.Column("errors", sa.Integer, nullable=False),
    sa.Column("warnings", sa.Integer, nullable=False),
    sa.Column("findings", sa.Text, nullable=False),  # the findings as `nianbao check --json` prints them
    sa.Column("returned_at", sa.Float, nullable=True),  # 退回 by the coordinator
    sa.Column("return_comment", sa.Text, nullable=True),
)


class DepartmentRemoved(Exception):
    """An upload for a department no longer on the roster: refused, nothing recorded."""


TOKEN_BYTES = 24  # 192 random bits


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Collection:
    id: int
    body: str
    year: int
    deadline: dt.date
    created_at: float


@dataclass(frozen=True)
class Department:
    id: int
    collection_id: int
    name: str
    position: int
    token: str
    removed_at: float | None = None  # when it left the roster; None while on it

    @property
    def active(self) -> bool:
        return self.removed_at is None


@dataclass(frozen=True)
class StoredUpload:
    id: int
    department_id: int
    filename: str
    sha256: str
    size: int
    uploaded_at: float
    verdict: str
    errors: int
    warnings: int
    findings: str
    returned_at: float | None
    return_comment: str | None

    @property
    def accepted(self) -> bool:
        """Merged into the outputs: no error, and not returned by the coordinator."""
        return self.verdict != "error" and self.returned_at is None


def _collection(row: Any) -> Collection:
    return Collection(row.id, row.body, row.year, dt.date.fromisoformat(row.deadline), row.created_at)


def _department(row: Any) -> Department:
    return Department(row.id, row.collection_id, row.name, row.position, row.token, row.removed_at)


def _upload(row: Any) -> StoredUpload:
    return StoredUpload(
        row.id,
        row.department_id,
        row.filename,
        row.sha256,
        row.size,
        row.uploaded_at,
        row.verdict,
        row.errors,
        row.warnings,
        row.findings,
        row.returned_at,
        row.return_comment,
    )


def _new_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'nianbao-site.db'}"


def _engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def migrate(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to the newest migration (or to `revision`, for the migrations' tests)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


class Store:
    """One data folder (uploaded files) and one database (SQLite in the folder by default)."""

    def __init__(self, folder: Path, url: str | None = None) -> None:
        self.folder = folder
        make_folder(folder)
        self.files = folder / "files"
        self.engine = _engine(url or sqlite_url(folder))
        migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- settings -----------------------------------------------------------------------------------
    def setting(self, key: str) -> str | None:
        with self.engine.connect() as c:
            return c.execute(sa.select(settings.c.value).where(settings.c.key == key)).scalar_one_or_none()

    def set_setting(self, key: str, value: str) -> None:
        with self.engine.begin() as c:
            if c.execute(sa.select(settings.c.key).where(settings.c.key == key)).first():
                c.execute(settings.update().where(settings.c.key == key).values(value=value))
            else:
                c.execute(settings.insert().values(key=key, value=value))

    def setting_or_create(self, key: str, make: Any) -> str:
        """The setting, created by `make()` the first time (a second process that races keeps the first)."""
        found = self.setting(key)
        if found is not None:
            return found
        try:
            with self.engine.begin() as c:
                c.execute(settings.insert().values(key=key, value=make()))
        except sa.exc.IntegrityError:
            pass
        found = self.setting(key)
        assert found is not None
        return found

    # -- collections --------------------------------------------------------------------------------
    def create_collection(self, body: str, year: int, deadline: dt.date, roster: Sequence[str]) -> int:
        with self.engine.begin() as c:
            cid = _new_id(
                c.execute(
                    collections.insert().values(
                        body=body, year=year, deadline=deadline.isoformat(), created_at=time.time()
                    )
                )
            )
            for position, name in enumerate(roster):
                self._insert_department(c, cid, name, position)
        return int(cid)

    def _insert_department(self, c: sa.Connection, cid: int, name: str, position: int) -> None:
        token = new_token()
        c.execute(
            departments.insert().values(
                collection_id=cid, name=name, position=position, token=token, token_digest=token_digest(token)
            )
        )

    def update_collection(self, cid: int, *, body: str, year: int, deadline: dt.date, roster: Sequence[str]) -> None:
        """New settings and the roster as given: a new name gets a link, a name that had left the roster comes
        back (same link, same files), a name no longer given leaves it (its link and files are kept)."""
        with self.engine.begin() as c:
            c.execute(
                collections.update()
                .where(collections.c.id == cid)
                .values(body=body, year=year, deadline=deadline.isoformat())
            )
            known = {r.name: r for r in c.execute(sa.select(departments).where(departments.c.collection_id == cid))}
            wanted = set(roster)
            now = time.time()
            for name, row in known.items():
                if name in wanted and row.removed_at is not None:
                    self._set_removed(c, row.id, None)
                elif name not in wanted and row.removed_at is None:
                    self._set_removed(c, row.id, now)
            start = len(known)
            for offset, name in enumerate(n for n in roster if n not in known):
                self._insert_department(c, cid, name, start + offset)

    @staticmethod
    def _set_removed(c: sa.Connection, did: int, when: float | None) -> None:
        c.execute(departments.update().where(departments.c.id == did).values(removed_at=when))

    def remove_department(self, did: int) -> None:
        """移出名单: the department stops counting and its link stops accepting uploads; nothing is deleted."""
        with self.engine.begin() as c:
            c.execute(
                departments.update()
                .where(departments.c.id == did, departments.c.removed_at.is_(None))
                .values(removed_at=time.time())
            )

    def restore_department(self, did: int) -> None:
        """Back on the roster with its link and its history."""
        with self.engine.begin() as c:
            self._set_removed(c, did, None)

    def collections(self) -> list[Collection]:
        with self.engine.connect() as c:
            rows = c.execute(sa.select(collections).order_by(collections.c.id.desc()))
            return [_collection(r) for r in rows]

    def collection(self, cid: int) -> Collection | None:
        with self.engine.connect() as c:
            row = c.execute(sa.select(collections).where(collections.c.id == cid)).first()
        return _collection(row) if row else None

    # -- departments --------------------------------------------------------------------------------
    def departments(self, cid: int) -> list[Department]:
        """The departments on the roster (what is counted, merged and reminded), in roster order."""
        return self._departments(cid, departments.c.removed_at.is_(None))

    def removed_departments(self, cid: int) -> list[Department]:
        """The departments that left the roster, kept with their files (the 已移出名单 section)."""
        return self._departments(cid, departments.c.removed_at.is_not(None))

    def _departments(self, cid: int, which: sa.ColumnElement[bool]) -> list[Department]:
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(departments)
                .where(departments.c.collection_id == cid, which)
                .order_by(departments.c.position, departments.c.id)
            )
            return [_department(r) for r in rows]

    def department(self, did: int) -> Department | None:
        with self.engine.connect() as c:
            row = c.execute(sa.select(departments).where(departments.c.id == did)).first()
        return _department(row) if row else None

    def department_by_token(self, token: str) -> Department | None:
        if not token or len(token) > 128:
            return None
        with self.engine.connect() as c:
            row = c.execute(sa.select(departments).where(departments.c.token_digest == token_digest(token))).first()
        if row is None or not hmac.compare_digest(row.token.encode(), token.encode("utf-8", "surrogatepass")):
            return None
        return _department(row)

    def regenerate_token(self, did: int) -> str:
        token = new_token()
        with self.engine.begin() as c:
            c.execute(
                departments.update()
                .where(departments.c.id == did)
                .values(token=token, token_digest=token_digest(token))
            )
        return token

    # -- uploads ------------------------------------------------------------------------------------
    def blob_path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.files / sha256[:2] / sha256

    def put_blob(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        path = self.blob_path(sha)
        if not path.is_file():  # same content, same name: never rewritten
            make_folder(path.parent)
            write_bytes_atomic(path, data)
        return sha

    def blob(self, sha256: str) -> bytes:
        return self.blob_path(sha256).read_bytes()

    def add_upload(
        self, did: int, filename: str, data: bytes, *, verdict: str, errors: int, warnings: int, findings: str
    ) -> int:
        sha = self.put_blob(data)  # the file first: a row never points at a missing file
        with self.engine.begin() as c:
            removed = c.execute(sa.select(departments.c.removed_at).where(departments.c.id == did)).scalar_one()
            if removed is not None:  # left the roster while its file was being checked
                raise DepartmentRemoved(did)
            uid = _new_id(
                c.execute(
                    uploads.insert().values(
                        department_id=did,
                        filename=filename[:300],
                        sha256=sha,
                        size=len(data),
                        uploaded_at=time.time(),
                        verdict=verdict,
                        errors=errors,
                        warnings=warnings,
                        findings=findings,
                    )
                )
            )
        return int(uid)

    def uploads_of(self, did: int) -> list[StoredUpload]:
        """A department's uploads, newest first."""
        with self.engine.connect() as c:
            rows = c.execute(sa.select(uploads).where(uploads.c.department_id == did).order_by(uploads.c.id.desc()))
            return [_upload(r) for r in rows]

    def uploads_in(self, cid: int) -> dict[int, list[StoredUpload]]:
        """Every upload of a collection by department id, newest first: one query for the dashboard."""
        query = (
            sa.select(uploads)
            .join(departments, uploads.c.department_id == departments.c.id)
            .where(departments.c.collection_id == cid)
            .order_by(uploads.c.id.desc())
        )
        out: dict[int, list[StoredUpload]] = {}
        with self.engine.connect() as c:
            for row in c.execute(query):
                out.setdefault(row.department_id, []).append(_upload(row))
        return out

    def upload(self, uid: int) -> StoredUpload | None:
        with self.engine.connect() as c:
            row = c.execute(sa.select(uploads).where(uploads.c.id == uid)).first()
        return _upload(row) if row else None

    def return_upload(self, uid: int, comment: str) -> None:
        with self.engine.begin() as c:
            c.execute(
                uploads.update().where(uploads.c.id == uid).values(returned_at=time.time(), return_comment=comment)
            )
