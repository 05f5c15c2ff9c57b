"""Fixtures of the collection site's tests: stores on SQLite and (when NIANBAO_TEST_PG_URL is set) PostgreSQL,
the bundled example, and workbooks with a mistake."""

from __future__ import annotations

import datetime as dt
import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

pytest.importorskip("starlette", reason="收集网站的组件未安装（pip install -e '.[site]'）")

from nianbao.form import layout
from nianbao.merge import normalize_name
from nianbao.roster import read_roster
from nianbao.site.security import hash_password
from nianbao.site.store import Store

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "大榭街道-2024"
PASSWORD = "correct horse 2024"
PG_ENV = "NIANBAO_TEST_PG_URL"


def roster() -> list[str]:
    return read_roster(EXAMPLE / "departments.csv")


def example_file(department: str) -> Path:
    """The example workbook of a roster department (the roster reads names NFKC-normalized)."""
    return next(p for p in EXAMPLE.glob("*.xlsx") if normalize_name(p.stem) == normalize_name(department))


def example_bytes(department: str) -> bytes:
    return example_file(department).read_bytes()


def with_t3_mistake(department: str, add: int = 5) -> bytes:
    """The department's example workbook with 表三 自然人 本年新收 raised: T3-1 no longer balances (D7)."""
    loc = layout.location("t3.new.natural_person")
    wb = openpyxl.load_workbook(example_file(department))
    ws = wb[loc.sheet]
    ws.cell(loc.row, loc.col).value = (ws.cell(loc.row, loc.col).value or 0) + add
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _pg_database(url: str) -> Iterator[str]:
    """A fresh database on the test server, dropped afterwards."""
    import sqlalchemy as sa

    name = f"nianbao_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base = url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store, on each database the suite can reach."""
    if request.param == "sqlite":
        s = Store(tmp_path / "data")
        yield s
        s.close()
        return
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL 测试需要 {PG_ENV}（.ci/run 会启动一个临时 PostgreSQL 并设置它）")
    for db_url in _pg_database(url):
        s = Store(tmp_path / "data", db_url)
        yield s
        s.close()


@pytest.fixture
def collection(store: Store) -> int:
    """The example's roster as a collection, with the coordinator's password set."""
    from nianbao.site.app import PASSWORD_KEY

    store.set_setting(PASSWORD_KEY, hash_password(PASSWORD))
    return store.create_collection("大榭街道", 2024, dt.date(2025, 1, 10), roster())
