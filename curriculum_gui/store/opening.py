"""Which database a path names, before anything is written to it: only an explicit "create" makes a new one.

A mistyped path must never become a new, empty database ("all my mice are gone"), and a damaged file
must never be quietly treated as one. So, before the engine touches a SQLite file:

* a path that does not exist is an error naming it, unless the caller creates (the app's first start,
  ``demo``, ``--create``, File → New Database…); a new database is built beside the path and moved into
  place in one step, so a half-made database never sits at the path;
* a file that exists must be a database of this application: empty, damaged, not SQLite, or another
  program's SQLite file is refused naming the file, and left untouched;
* its schema must be one this version knows: a newer one is refused naming both versions; an older one
  is copied beside the file (SQLite's online backup) before it is migrated.

A PostgreSQL database is created on the server by a person (``createdb``): an empty one gets the schema;
one holding another program's tables, or a newer schema, is refused the same way.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from .. import __version__
from . import engine as engines
from . import migrate
from .errors import DatabaseMissing, DatabaseUnavailable

SQLITE_HEADER = b"SQLite format 3\x00"
OUR_TABLES = frozenset({"curriculum_versions", "subjects", "events", "metrics_sessions"})


@dataclass(frozen=True)
class Upgrade:
    """An older schema migrated on opening: from which revision, to which, and the copy kept first."""

    from_revision: str
    to_revision: str
    backup: Path | None

    def describe(self, where: str) -> str:
        kept = f"; the file as it was is kept as {self.backup}" if self.backup else ""
        return f"{where}: schema upgraded from revision {self.from_revision} to {self.to_revision}{kept}"


def newer_message(where: str, found: str) -> str:
    return (
        f"{where} has schema revision {found}, newer than this curriculum-gui {__version__} reads (up to "
        f"revision {migrate.head()}): open it with a newer curriculum-gui; nothing was changed"
    )


# --- SQLite -------------------------------------------------------------------------------------


def prepare_sqlite(url: URL, create: bool) -> tuple[bool, Upgrade | None]:
    """Check (or create) the SQLite file of ``url`` before the engine opens it: ``(created, upgrade)``.
    Raises :class:`DatabaseMissing` or :class:`DatabaseUnavailable` naming the file; nothing is written
    then."""
    path = Path(url.database or "")
    if not path.exists() and not path.is_symlink():
        if not create:
            raise DatabaseMissing(f"no database file at {path}: nothing was opened or created")
        create_sqlite(path)
        return True, None
    revision, tables = inspect_sqlite(path)
    if revision is None:
        if tables:
            shown = ", ".join(sorted(tables)[:6]) + (", …" if len(tables) > 6 else "")
            raise DatabaseUnavailable(
                f"{path} is another program's SQLite database (tables: {shown}), not a curriculum-gui "
                "database: nothing was changed"
            )
        if not create:
            raise DatabaseUnavailable(
                f"{path} is an empty SQLite database with no curriculum-gui data: nothing was changed "
                "(create a new database there explicitly to use it)"
            )
        return True, None  # the schema is created in it by the migration that follows
    state = migrate.compare(revision)
    if state == "newer":
        raise DatabaseUnavailable(newer_message(f"database {path}", revision))
    if state == "older":
        return False, Upgrade(revision, migrate.head(), backup_sqlite(path, revision))
    if not tables >= OUR_TABLES:
        missing = ", ".join(sorted(OUR_TABLES - tables))
        raise DatabaseUnavailable(f"{path} is damaged: its tables {missing} are missing; nothing was changed")
    return False, None


def inspect_sqlite(path: Path) -> tuple[str | None, set[str]]:
    """``(schema revision or None, table names)`` of an existing file, read without changing it.
    Refuses a folder, an empty file, a file that is not SQLite and a damaged one."""
    if path.is_dir():
        raise DatabaseUnavailable(f"{path} is a folder, not a SQLite database file")
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except OSError as e:
        raise DatabaseUnavailable(f"database {path}: cannot be read ({e.strerror})") from None
    if not head and not _has_wal(path):
        raise DatabaseUnavailable(
            f"{path} is empty (0 bytes), not a curriculum-gui database: nothing was changed (was it cut "
            "short? restore it from a backup, or choose another file)"
        )
    if head and head != SQLITE_HEADER:
        raise DatabaseUnavailable(f"{path} is not a SQLite database: nothing was changed")
    try:
        with contextlib.closing(_read_only(path)) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            revision = None
            if "alembic_version" in tables:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row[0] if row else None
                if revision is None:
                    raise DatabaseUnavailable(
                        f"{path} is damaged: it has no schema revision; nothing was changed"
                    )
    except sqlite3.DatabaseError as e:
        raise DatabaseUnavailable(f"{path}: {_sqlite_reason(e)}; nothing was changed") from None
    except ValueError:  # table names that are not text: a garbled schema
        raise DatabaseUnavailable(
            f"{path} is damaged: its schema holds garbled names; nothing was changed"
        ) from None
    return revision, tables - {"alembic_version"}


def _has_wal(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    try:
        return wal.stat().st_size > 0
    except OSError:
        return False


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=engines.SQLITE_BUSY_MS / 1000
    )


def _sqlite_reason(e: sqlite3.DatabaseError) -> str:
    text = str(e)
    lowered = text.lower()
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return f"the file is damaged or not a SQLite database ({text})"
    if "unable to open" in lowered or "readonly" in lowered:
        return (
            "cannot be opened (no permission to read it, or, for a file in WAL mode, to create its -shm "
            "file in its folder)"
        )
    if "locked" in lowered or "busy" in lowered:
        return f"locked by another program (waited {engines.SQLITE_BUSY_MS / 1000:g} s); try again"
    return text


def backup_sqlite(path: Path, revision: str) -> Path:
    """A consistent copy of ``path`` (SQLite's online backup, which reads through any -wal), beside it,
    before its schema is migrated: ``NAME.schema-REV.bak`` (``-2``, ``-3``… if taken)."""
    for n in range(1, 1000):
        target = path.with_name(f"{path.name}.schema-{revision}{'' if n == 1 else f'-{n}'}.bak")
        if not target.exists():
            break
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with (
            contextlib.closing(_read_only(path)) as source,
            contextlib.closing(sqlite3.connect(partial)) as copy,
        ):
            source.backup(copy)
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as e:
        partial.unlink(missing_ok=True)
        reason = e.strerror if isinstance(e, OSError) else str(e)
        raise DatabaseUnavailable(
            f"{path} has the older schema revision {revision} and needs upgrading, but no backup copy could "
            f"be written beside it ({reason}): nothing was changed"
        ) from None
    return target


def create_sqlite(path: Path) -> None:
    """A new database at ``path``, built under a temporary name beside it and moved into place in one step
    (a hard link, which never replaces a file another program created meanwhile)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DatabaseUnavailable(f"cannot create the folder for {path}: {e.strerror}") from None
    partial = path.with_name(f".{path.name}.creating-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    url = URL.create("sqlite+pysqlite", database=str(partial))
    engine = engines.create_engine(url)
    try:
        with engines.readable_errors(url):
            migrate.upgrade(engine)
        engine.dispose()
        try:
            os.link(partial, path)
        except FileExistsError:
            pass  # another program created it first: that one is opened (and checked) instead
        except OSError:
            if not path.exists():  # a file system without hard links
                os.rename(partial, path)
    except OSError as e:
        raise DatabaseUnavailable(f"cannot create the database {path}: {e.strerror}") from None
    finally:
        engine.dispose()
        for leftover in (
            partial,
            *(partial.with_name(partial.name + s) for s in ("-wal", "-shm", "-journal")),
        ):
            leftover.unlink(missing_ok=True)
    if not path.exists():
        raise DatabaseUnavailable(f"cannot create the database {path}")


# --- PostgreSQL ---------------------------------------------------------------------------------


def check_postgresql(engine: Engine, where: str) -> Upgrade | None:
    """Refuse another program's tables or a newer schema; the upgrade an older one will get."""
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        revision = migrate.current(conn) if "alembic_version" in tables else None
    tables.discard("alembic_version")
    if revision is None:
        if tables:
            shown = ", ".join(sorted(tables)[:6]) + (", …" if len(tables) > 6 else "")
            raise DatabaseUnavailable(
                f"{where} holds another program's tables ({shown}), not a curriculum-gui database: "
                "nothing was changed"
            )
        return None
    state = migrate.compare(revision)
    if state == "newer":
        raise DatabaseUnavailable(newer_message(where, revision))
    return Upgrade(revision, migrate.head(), None) if state == "older" else None
