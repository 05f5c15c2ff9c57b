"""The site's storage on SQLite and PostgreSQL: migrations, tokens, uploads that never overwrite, 退回."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sitekit import roster

from nianbao.site.security import hash_password, verify_password
from nianbao.site.store import TOKEN_BYTES, DepartmentRemoved, Store, _engine, migrate


def test_migrations_run_again_on_an_existing_store(store: Store) -> None:
    cid = store.create_collection("大榭街道", 2024, dt.date(2025, 1, 10), roster())
    again = Store(store.folder, str(store.engine.url.render_as_string(hide_password=False)))
    assert [c.id for c in again.collections()] == [cid]
    again.close()


def test_tokens_are_long_random_and_looked_up_exactly(store: Store) -> None:
    cid = store.create_collection("大榭街道", 2024, dt.date(2025, 1, 10), roster())
    departments = store.departments(cid)
    assert [d.name for d in departments] == roster()
    tokens = {d.token for d in departments}
    assert len(tokens) == len(departments) and TOKEN_BYTES * 8 >= 128
    first = departments[0]
    assert store.department_by_token(first.token) == first
    for wrong in ("", first.token[:-1], first.token + "x", first.token.upper(), "x" * 500):
        assert store.department_by_token(wrong) is None
    fresh = store.regenerate_token(first.id)
    assert store.department_by_token(first.token) is None and store.department_by_token(fresh).id == first.id  # type: ignore[union-attr]


def test_uploads_keep_every_version(store: Store) -> None:
    cid = store.create_collection("大榭街道", 2024, dt.date(2025, 1, 10), ["甲"])
    (department,) = store.departments(cid)
    first = store.add_upload(department.id, "a.xlsx", b"one", verdict="error", errors=1, warnings=0, findings="[]")
    second = store.add_upload(department.id, "a.xlsx", b"two", verdict="passed", errors=0, warnings=0, findings="[]")
    same = store.add_upload(department.id, "b.xlsx", b"one", verdict="error", errors=1, warnings=0, findings="[]")
    history = store.uploads_of(department.id)
    assert [u.id for u in history] == [same, second, first]
    assert store.blob(history[1].sha256) == b"two" and store.blob(history[2].sha256) == b"one"
    assert history[2].sha256 == hashlib.sha256(b"one").hexdigest() == history[0].sha256
    store.return_upload(second, "请改正")
    returned = store.upload(second)
    assert returned is not None and not returned.accepted and returned.return_comment == "请改正"
    assert store.uploads_in(cid)[department.id][1].returned_at is not None


def test_a_blob_name_is_only_ever_a_digest(store: Store) -> None:
    for bad in ("../../etc/passwd", "a" * 63, "A" * 64, "g" * 64):
        with pytest.raises(ValueError):
            store.blob_path(bad)


def test_editing_a_collection_keeps_links_and_adds_departments(store: Store) -> None:
    cid = store.create_collection("大榭街道", 2024, dt.date(2025, 1, 10), ["甲", "乙"])
    before = {d.name: d.token for d in store.departments(cid)}
    store.update_collection(
        cid, body="大榭街道办事处", year=2024, deadline=dt.date(2025, 1, 20), roster=["甲", "乙", "丙"]
    )
    after = {d.name: d.token for d in store.departments(cid)}
    assert list(after) == ["甲", "乙", "丙"] and after["甲"] == before["甲"]
    c = store.collection(cid)
    assert c is not None and c.body == "大榭街道办事处" and c.deadline == dt.date(2025, 1, 20)


def test_settings_are_created_once(store: Store) -> None:
    made = store.setting_or_create("session_secret", lambda: "first")
    assert store.setting_or_create("session_secret", lambda: "second") == made == "first"


@hsettings(max_examples=5, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=8, max_size=40))
def test_a_password_matches_only_itself(password: str) -> None:
    stored = hash_password(password)
    assert password not in stored and verify_password(password, stored)
    assert not verify_password(password + "x", stored) and not verify_password(password, "garbage")


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    s = Store(tmp_path)
    with s.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    s.close()


# -- leaving the roster -----------------------------------------------------------------------------------
def test_a_removed_department_keeps_its_link_and_files_and_comes_back(store: Store) -> None:
    cid = store.create_collection("大榭街道", 2024, dt.date(2025, 1, 10), ["甲", "乙", "丙"])
    first, second, _third = store.departments(cid)
    kept = store.add_upload(second.id, "乙.xlsx", b"one", verdict="passed", errors=0, warnings=0, findings="[]")
    store.remove_department(second.id)
    assert [d.name for d in store.departments(cid)] == ["甲", "丙"]
    (gone,) = store.removed_departments(cid)
    assert gone.name == "乙" and not gone.active and gone.removed_at is not None
    assert store.department_by_token(second.token) == gone  # the link still says who it was
    assert [u.id for u in store.uploads_of(second.id)] == [kept] and store.blob(store.uploads_of(second.id)[0].sha256)
    with pytest.raises(DepartmentRemoved):
        store.add_upload(second.id, "乙.xlsx", b"two", verdict="passed", errors=0, warnings=0, findings="[]")
    assert [u.id for u in store.uploads_of(second.id)] == [kept]
    store.remove_department(second.id)  # removing twice keeps the first time
    assert store.removed_departments(cid)[0].removed_at == gone.removed_at

    store.restore_department(second.id)
    back = store.department(second.id)
    assert back is not None and back.active and back.token == second.token
    assert [d.name for d in store.departments(cid)] == ["甲", "乙", "丙"] and store.removed_departments(cid) == []
    assert store.department(first.id) == first


def test_the_settings_roster_removes_restores_and_adds(store: Store) -> None:
    cid = store.create_collection("大榭街道", 2024, dt.date(2025, 1, 10), ["甲", "乙", "丙"])
    tokens = {d.name: d.token for d in store.departments(cid)}
    store.update_collection(cid, body="大榭街道", year=2024, deadline=dt.date(2025, 1, 10), roster=["甲", "丙"])
    assert [d.name for d in store.departments(cid)] == ["甲", "丙"]
    assert [d.name for d in store.removed_departments(cid)] == ["乙"]
    store.update_collection(cid, body="大榭街道", year=2024, deadline=dt.date(2025, 1, 10), roster=["乙", "丁", "甲"])
    assert [d.name for d in store.departments(cid)] == ["甲", "乙", "丁"]  # roster order is kept, newcomers last
    assert [d.name for d in store.removed_departments(cid)] == ["丙"]
    assert {d.name: d.token for d in store.departments(cid) if d.name != "丁"} == {n: tokens[n] for n in ("甲", "乙")}


def test_a_database_of_the_first_schema_is_migrated_with_its_data(database_url: str, tmp_path: Path) -> None:
    """What 0002 meets in the field: a store written by the first release, with a department and an upload."""
    engine = _engine(database_url)
    (tmp_path / "data").mkdir(exist_ok=True)
    migrate(engine, "0001")
    with engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO collections (body, year, deadline, created_at) VALUES ('大榭街道', 2024, '2025-01-10', 1)"
            )
        )
        c.execute(
            sa.text(
                "INSERT INTO departments (collection_id, name, position, token, token_digest) "
                "VALUES (1, '甲', 0, 'tok', :digest)"
            ),
            {"digest": hashlib.sha256(b"tok").hexdigest()},
        )
        c.execute(
            sa.text(
                "INSERT INTO uploads (department_id, filename, sha256, size, uploaded_at, verdict, errors, warnings, "
                "findings) VALUES (1, '甲.xlsx', :sha, 3, 2, 'passed', 0, 0, '[]')"
            ),
            {"sha": hashlib.sha256(b"one").hexdigest()},
        )
        assert "removed_at" not in {col["name"] for col in sa.inspect(c).get_columns("departments")}
    engine.dispose()

    upgraded = Store(tmp_path / "data", database_url)
    (department,) = upgraded.departments(1)
    assert (department.name, department.token, department.active) == ("甲", "tok", True)
    assert [u.filename for u in upgraded.uploads_of(department.id)] == ["甲.xlsx"]
    upgraded.remove_department(department.id)
    assert upgraded.departments(1) == [] and upgraded.removed_departments(1)[0].name == "甲"
    with upgraded.engine.connect() as c:
        assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "0002"
    upgraded.close()
