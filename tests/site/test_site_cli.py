"""`nianbao serve` and `nianbao collection` on the command line (the server itself runs in the other tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sitekit import EXAMPLE, roster

from nianbao.cli import main, serve_cmd
from nianbao.site.app import PASSWORD_KEY
from nianbao.site.security import verify_password
from nianbao.site.store import Store


def test_collection_create_prints_a_link_per_department(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "collection",
            "create",
            "--data",
            str(tmp_path),
            "--roster",
            str(EXAMPLE / "departments.csv"),
            "--body",
            "大榭街道",
            "--year",
            "2024",
            "--deadline",
            "2025-01-10",
            "--url",
            "http://192.168.1.20:8000",
        ],
    )
    assert result.exit_code == 0, result.output
    store = Store(tmp_path)
    for department in store.departments(store.collections()[0].id):
        assert f"{department.name}：http://192.168.1.20:8000/d/{department.token}\n" in result.output
    assert len(store.departments(store.collections()[0].id)) == len(roster())
    links = CliRunner().invoke(main, ["collection", "links", "--data", str(tmp_path)])
    assert links.exit_code == 0 and "http://127.0.0.1:8000/d/" in links.output and "已移出名单" not in links.output
    gone = store.departments(store.collections()[0].id)[-1]
    store.remove_department(gone.id)
    links = CliRunner().invoke(main, ["collection", "links", "--data", str(tmp_path)])
    assert (
        gone.token not in links.output
        and f"已移出名单（链接不接受上传，在网页上可放回）：{gone.name}\n" in links.output
    )


def test_collection_create_refuses_bad_input_in_chinese(tmp_path: Path) -> None:
    missing = CliRunner().invoke(
        main,
        [
            "collection",
            "create",
            "--data",
            str(tmp_path),
            "--roster",
            "无.csv",
            "--body",
            "大榭街道",
            "--year",
            "2024",
            "--deadline",
            "2025-01-10",
        ],
    )
    assert missing.exit_code == 2 and "找不到部门名单" in missing.output
    assert "Traceback" not in missing.output


def test_first_start_needs_a_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(serve_cmd.PASSWORD_ENV, raising=False)
    result = CliRunner().invoke(main, ["serve", "--data", str(tmp_path)], input="")
    assert result.exit_code == 2 and serve_cmd.PASSWORD_ENV in result.output


def test_the_password_from_the_environment_is_stored_hashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(serve_cmd.PASSWORD_ENV, "short")
    store = Store(tmp_path)
    with pytest.raises(Exception, match="至少 8 个字符"):
        serve_cmd._ensure_password(store)
    monkeypatch.setenv(serve_cmd.PASSWORD_ENV, "a long enough password")
    serve_cmd._ensure_password(store)
    stored = store.setting(PASSWORD_KEY)
    assert stored and "a long enough password" not in stored and verify_password("a long enough password", stored)
    monkeypatch.setenv(serve_cmd.PASSWORD_ENV, "another password")
    serve_cmd._ensure_password(store)  # an existing password is kept
    assert store.setting(PASSWORD_KEY) == stored


def test_a_database_that_cannot_be_reached_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["collection", "links", "--data", str(tmp_path), "--db", "postgresql://nobody@127.0.0.1:1/none"]
    )
    assert result.exit_code == 2 and "无法打开数据库" in result.output and "Traceback" not in result.output


def test_collection_password_resets_a_forgotten_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path)
    store.set_setting(PASSWORD_KEY, "forgotten")
    monkeypatch.setenv(serve_cmd.PASSWORD_ENV, "short")
    short = CliRunner().invoke(main, ["collection", "password", "--data", str(tmp_path)])
    assert short.exit_code == 2 and "至少 8 个字符" in short.output and store.setting(PASSWORD_KEY) == "forgotten"
    monkeypatch.setenv(serve_cmd.PASSWORD_ENV, "the new password")
    done = CliRunner().invoke(main, ["collection", "password", "--data", str(tmp_path)])
    assert done.exit_code == 0 and "已重设" in done.output, done.output
    assert verify_password("the new password", store.setting(PASSWORD_KEY) or "")


def test_collection_password_is_typed_twice_or_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Store(tmp_path).set_setting(PASSWORD_KEY, "forgotten")
    monkeypatch.delenv(serve_cmd.PASSWORD_ENV, raising=False)
    no_terminal = CliRunner().invoke(main, ["collection", "password", "--data", str(tmp_path)], input="")
    assert no_terminal.exit_code == 2 and serve_cmd.PASSWORD_ENV in no_terminal.output
    monkeypatch.setattr(serve_cmd, "_terminal", lambda: True)
    typed = CliRunner().invoke(
        main, ["collection", "password", "--data", str(tmp_path)], input="typed password 1\ntyped password 1\n"
    )
    assert typed.exit_code == 0, typed.output
    assert verify_password("typed password 1", Store(tmp_path).setting(PASSWORD_KEY) or "")
    elsewhere = CliRunner().invoke(main, ["collection", "password", "--data", str(tmp_path / "无")])
    assert elsewhere.exit_code == 2 and "没有收集网站的数据" in elsewhere.output
    assert not (tmp_path / "无").exists()
