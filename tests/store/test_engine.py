"""Which database and how it fails: URLs, the default file, pragmas, clear errors without passwords."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from curriculum_gui.store import DatabaseUnavailable, StoreError, Workspace, engine


def test_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert engine.resolve_url(str(tmp_path / "a.db")).database == str(tmp_path / "a.db")
    assert engine.resolve_url(f"sqlite:///{tmp_path}/b.db").drivername == "sqlite+pysqlite"
    assert engine.resolve_url("postgresql://u:pw@h/db").drivername == "postgresql+psycopg"
    monkeypatch.setenv(engine.ENV_DB, str(tmp_path / "env.db"))
    assert engine.resolve_url(None).database == str(tmp_path / "env.db")
    monkeypatch.delenv(engine.ENV_DB)
    assert engine.resolve_url(None).database == str(engine.default_path())
    assert "curriculum-gui" in str(engine.default_path())
    with pytest.raises(StoreError, match="unsupported database 'mysql://u:\\*\\*\\*@h/db'"):
        engine.resolve_url("mysql://u:secret@h/db")
    with pytest.raises(StoreError, match="in-memory"):
        engine.resolve_url("sqlite://")
    with pytest.raises(StoreError, match="not a database URL") as info:
        engine.resolve_url("postgresql://u:secret@host:notaport/db")
    assert "secret" not in str(info.value)


def test_passwords_never_reach_remembered_or_shown_urls() -> None:
    from sqlalchemy.engine import make_url

    url = make_url("postgresql://rig:pw1@db/mice?password=pw2&sslpassword=pw3&sslmode=require")
    kept = engine.without_password(url)
    shown = engine.mask(url)
    for secret in ("pw1", "pw2", "pw3"):
        assert secret not in kept and secret not in shown
    assert kept == "postgresql://rig@db/mice?sslmode=require"


def test_sqlite_file_has_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "s.sqlite3"
    with Workspace.open(path) as ws, ws.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    assert path.exists()


def test_unreachable_postgres_says_where_without_the_password() -> None:
    with pytest.raises(DatabaseUnavailable) as info:
        Workspace.open("postgresql://lab:s3cret-pw@127.0.0.1:1/rigs")
    message = str(info.value)
    assert "s3cret-pw" not in message and "127.0.0.1:1/rigs" in message and "***" in message


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my precious notes\n")
    with pytest.raises(DatabaseUnavailable, match="not a SQLite database"):
        Workspace.open(path)
    assert path.read_text() == "my precious notes\n"
    with pytest.raises(DatabaseUnavailable, match="folder"):
        Workspace.open(tmp_path)


def test_a_locked_database_is_a_clear_error_and_nothing_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, curriculum
) -> None:
    path = tmp_path / "s.sqlite3"
    with Workspace.open(path) as ws:
        version = ws.publish(curriculum)
    monkeypatch.setattr(engine, "SQLITE_BUSY_MS", 200)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with (
            Workspace.open(path) as ws,
            pytest.raises(DatabaseUnavailable, match="locked by another program"),
        ):
            ws.register(["M1"], version.id)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with Workspace.open(path) as ws:
        assert ws.subjects() == [] and len(ws.versions()) == 1
