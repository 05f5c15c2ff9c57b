"""Fixtures of the collection site's tests: stores on SQLite and (when NIANBAO_TEST_PG_URL is set) PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="收集网站的组件未安装（pip install -e '.[site]'）")

from sitekit import PASSWORD, PG_ENV, roster

from nianbao.site.security import hash_password
from nianbao.site.store import Store


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
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, SQLite in the data folder or a fresh one on the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'nianbao-site.db'}"
        return
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL 测试需要 {PG_ENV}（.ci/run 会启动一个临时 PostgreSQL 并设置它）")
    yield from _pg_database(url)


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
