"""Only an explicit "create" makes a new database; a file that exists must be a database of this application
at a schema this version knows (older: copied beside it, then migrated; newer, empty, damaged or another
program's: refused naming the file, left as it was)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from curriculum_gui.cli import main
from curriculum_gui.store import DatabaseMissing, DatabaseUnavailable, Workspace, migrate
from curriculum_gui.store.engine import create_engine, resolve_url

from .conftest import EXAMPLE


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_missing_path_is_an_error_naming_it_and_nothing_is_created(tmp_path: Path) -> None:
    typo = tmp_path / "no-such-folder" / "lab.sqlite3"
    with pytest.raises(DatabaseMissing) as info:
        Workspace.open(typo)
    assert str(typo) in str(info.value) and "\n" not in str(info.value)
    assert not typo.parent.exists()


def test_create_makes_it_in_one_step(tmp_path: Path, curriculum) -> None:
    path = tmp_path / "new" / "lab.sqlite3"
    with Workspace.open(path, create=True) as ws:
        assert ws.created and ws.subjects() == []
        ws.publish(curriculum)
    assert sorted(p.name for p in path.parent.iterdir()) == ["lab.sqlite3"]  # no temporary file left
    with Workspace.open(path) as ws:
        assert not ws.created and len(ws.versions()) == 1
    with Workspace.open(path, create=True) as ws:  # create on an existing database just opens it
        assert not ws.created and len(ws.versions()) == 1


@pytest.mark.parametrize("command", [["subjects", "list"], ["evaluate"], ["evaluate", "--apply"]])
def test_a_truncated_file_is_refused_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    path = tmp_path / "lab.sqlite3"
    path.write_bytes(b"")
    code, out, err = run(capsys, *command, "--db", str(path))
    assert code == 2 and out == ""
    assert f"{path} is empty (0 bytes)" in err and err.count("\n") == 1 and "nothing was changed" in err
    assert path.read_bytes() == b""
    with pytest.raises(DatabaseUnavailable, match="is empty"):  # not even with create: it may be a loss
        Workspace.open(path, create=True)


def test_another_programs_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "inventory.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE mice (name TEXT)")
    raw.execute("INSERT INTO mice VALUES ('Pinky')")
    raw.commit()
    raw.close()
    before = path.read_bytes()
    for create in (False, True):
        with pytest.raises(DatabaseUnavailable, match=r"another program's SQLite database \(tables: mice\)"):
            Workspace.open(path, create=create)
    assert path.read_bytes() == before


def test_an_empty_sqlite_database_needs_create(tmp_path: Path) -> None:
    path = tmp_path / "blank.db"
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 1")  # a valid SQLite file without a table
    raw.close()
    with pytest.raises(DatabaseUnavailable, match="empty SQLite database with no curriculum-gui data"):
        Workspace.open(path)
    with Workspace.open(path, create=True) as ws:
        assert ws.created and ws.subjects() == []


def test_a_damaged_file_is_refused(tmp_path: Path, curriculum) -> None:
    path = tmp_path / "lab.sqlite3"
    with Workspace.open(path, create=True) as ws:
        ws.publish(curriculum)
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the first page: the schema itself
    path.write_bytes(bytes(data))
    with pytest.raises(DatabaseUnavailable, match="damaged or not a SQLite database"):
        Workspace.open(path)


def test_an_older_schema_is_copied_beside_it_then_migrated(tmp_path: Path, curriculum) -> None:
    path = tmp_path / "lab.sqlite3"
    engine = create_engine(resolve_url(path))
    migrate.upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO curriculum_versions (name, version, document_json, digest, published_at, "
                "published_by) VALUES ('old', '1', '{}', 'd', '2025-01-01', 'me')"
            )
        )
    engine.dispose()
    with Workspace.open(path) as ws:
        assert ws.upgrade is not None and ws.upgrade.from_revision == "0001"
        backup = ws.upgrade.backup
        assert backup == tmp_path / "lab.sqlite3.schema-0001.bak"
        assert "kept as" in ws.upgrade.describe(ws.where) and str(backup) in ws.upgrade.describe(ws.where)
        with ws.read() as conn:
            assert migrate.current(conn) == migrate.head()
    copy = sqlite3.connect(backup)
    assert copy.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"
    assert copy.execute("SELECT name FROM curriculum_versions").fetchall() == [("old",)]
    copy.close()


def test_an_older_schema_is_announced_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "lab.sqlite3"
    engine = create_engine(resolve_url(path))
    migrate.upgrade(engine, "0001")
    engine.dispose()
    code, _, err = run(capsys, "subjects", "list", "--db", str(path))
    assert code == 0 and "schema upgraded from revision 0001" in err and "schema-0001.bak" in err


def test_a_newer_schema_names_both_versions(db_url: str) -> None:
    Workspace.open(db_url, create=True).close()
    engine = create_engine(resolve_url(db_url))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(DatabaseUnavailable) as info:
        Workspace.open(db_url)
    message = str(info.value)
    assert "schema revision 0099" in message and f"up to revision {migrate.head()}" in message
    assert "curriculum-gui 0." in message and "nothing was changed" in message


def test_postgresql_with_another_programs_tables_is_refused(pg_url: str) -> None:
    engine = create_engine(resolve_url(pg_url))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE inventory (name TEXT)"))
    engine.dispose()
    with pytest.raises(DatabaseUnavailable, match=r"another program's tables \(inventory\)"):
        Workspace.open(pg_url)


def test_an_empty_postgresql_database_gets_the_schema(pg_url: str) -> None:
    with Workspace.open(pg_url) as ws:  # made on the server by a person: that was the "create"
        assert ws.subjects() == []


# --- the command line --------------------------------------------------------------------------


def test_a_mistyped_path_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    typo = tmp_path / "lab.sqlite3"
    code, out, err = run(capsys, "subjects", "list", "--db", str(typo))
    assert code == 2 and out == "" and f"no database file at {typo}" in err and "--create" in err
    assert not typo.exists()
    code, _, err = run(capsys, "publish", str(EXAMPLE / "two_choice_visual.json"), "--db", str(typo))
    assert code == 2 and not typo.exists()
    code, out, _ = run(
        capsys, "publish", str(EXAMPLE / "two_choice_visual.json"), "--db", str(typo), "--create"
    )
    assert code == 0 and "published" in out and typo.exists()


def test_demo_creates_a_new_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "lab.sqlite3"
    code, out, _ = run(capsys, "demo", "--db", str(path))
    assert code == 0 and "demo cohort of 24 subjects" in out
    code, out, _ = run(capsys, "subjects", "list", "--db", str(path))
    assert code == 0 and "M01" in out


def test_the_default_database_is_made_on_first_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    default = tmp_path / "data" / "curriculum-gui.sqlite3"
    monkeypatch.setenv("CURRICULUM_GUI_DB", str(default))
    code, _, _ = run(capsys, "subjects", "list")
    assert code == 0 and default.exists()
