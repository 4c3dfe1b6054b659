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


SECRET = "S3cretPW"
HOSTILE_URLS = [
    f"postgresql://user@host:notaport/db?password={SECRET}",  # does not parse: masked as typed
    f"postgresql://user@host/db?password={SECRET}",
    f"postgresql://user@host/db?PassWord={SECRET}&sslmode=require",
    f"postgresql://user@host/db?pass%77ord={SECRET}",  # a percent-encoded key
    f"postgresql://user@host/db?sslpassword={SECRET}",
    f"postgresql://user:p@{SECRET}@host/db",  # an unescaped "@": the tail must not pass for the host
    f"postgresql://user:p@{SECRET}@host:x/db",
    f"postgresql://user:{SECRET}@[::1/db",
    f"sqlite://user:{SECRET}@/path",  # used to be a traceback
    f"host=db password={SECRET} dbname=mice",  # libpq's keyword form
    f"mysql://u:{SECRET}@h/db",
]


@pytest.mark.parametrize("text", HOSTILE_URLS)
def test_no_form_of_url_shows_its_password(text: str) -> None:
    """resolve_url either refuses (one StoreError) or gives a URL whose every rendering is clean."""
    assert SECRET not in engine.mask_text(text)
    try:
        url = engine.resolve_url(text)
    except StoreError as exc:
        assert SECRET not in str(exc) and "***" in str(exc)
        assert "\n" not in str(exc)
        return
    for shown in (engine.mask(url), engine.where(url), engine.without_password(url)):
        assert SECRET not in shown and "S3cret" not in shown
    assert engine.mask(url).lower().endswith(("password=***", "sslmode=require"))


def test_an_unescaped_at_sign_is_refused_with_how_to_write_it() -> None:
    with pytest.raises(StoreError, match="%40") as info:
        engine.resolve_url("postgresql://user:p@ss@host/db")
    assert "ss@host" not in str(info.value)
    url = engine.resolve_url("postgresql://user:p%40ss@host/db")  # written as asked: accepted
    assert url.password == "p@ss" and url.host == "host" and "p@ss" not in engine.mask(url)


@pytest.mark.parametrize("text", ["sqlite://user:pw@/path", "sqlite://host/x.db", "sqlite://:pw@/x.db"])
def test_a_sqlite_url_with_a_user_or_host_is_refused(text: str) -> None:
    with pytest.raises(StoreError, match="no user, password or host") as info:
        engine.resolve_url(text)
    assert "pw" not in str(info.value).replace("password", "")


def test_mask_message_masks_every_password_and_keeps_the_sentence() -> None:
    text = "failed: postgresql://u:a@b:c/d@host/db?x=1&password=p2 and host=h password='p 3' sslpassword=p4"
    masked = engine.mask_message(text)
    assert not any(s in masked for s in ("a@b", "c/d", "p2", "p 3", "p4")), masked
    assert "password=***" in masked and "sslpassword=***" in masked and "@host/db" in masked
    sentence = "not a database URL: 'postgresql://lab:p@ss@db/rigs' (write an '@' in a password as %40)"
    assert engine.mask_message(sentence) == (
        "not a database URL: 'postgresql://lab:***@db/rigs' (write an '@' in a password as %40)"
    )


def test_sqlite_file_has_a_rollback_journal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "s.sqlite3"
    with Workspace.open(path, create=True) as ws, ws.read() as conn:
        # A rollback journal: every commit is in the file itself, nothing stays beside it at rest.
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "delete"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    assert path.exists()
    assert sorted(p.name for p in path.parent.iterdir()) == ["s.sqlite3"]  # no temporary file left


def test_a_file_in_wal_mode_is_switched_to_a_rollback_journal(tmp_path: Path, curriculum) -> None:
    path = tmp_path / "s.sqlite3"
    with Workspace.open(path, create=True) as ws:
        ws.publish(curriculum)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
    raw.close()
    with Workspace.open(path) as ws:
        ws.register(["M1"], ws.versions()[0].id)
        with ws.read() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "delete"
    assert not Path(f"{path}-wal").exists()


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
    with Workspace.open(path, create=True) as ws:
        version = ws.publish(curriculum)
    monkeypatch.setattr(engine, "SQLITE_BUSY_MS", 200)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock: reading goes on
    try:
        with (
            Workspace.open(path) as ws,
            pytest.raises(DatabaseUnavailable, match="locked by another program"),
        ):
            assert ws.subjects() == []
            ws.register(["M1"], version.id)
        holder.execute("ROLLBACK")
        holder.execute("BEGIN EXCLUSIVE")  # it locks reading out too: even opening says so, in one line
        with pytest.raises(DatabaseUnavailable, match="locked by another program") as info:
            Workspace.open(path)
        assert "\n" not in str(info.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with Workspace.open(path) as ws:
        assert ws.subjects() == [] and len(ws.versions()) == 1
