"""Which database, and how to talk to it: URL rules, the default SQLite file, pragmas, readable errors.

``--db`` accepts a file path (a SQLite file), ``sqlite:///PATH`` or ``postgresql://user:pw@host/db``
(driven by psycopg 3). Without one, ``$CURRICULUM_GUI_DB`` or a SQLite file in the user's data directory.
Passwords never appear in a message: URLs are always shown masked. A SQLite file deleted, moved or replaced
while open is noticed before the next transaction (:func:`check_same_file`), never written to unseen.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection, Engine, make_url

from .credentials import SECRET_QUERY_KEYS, mask, mask_message, mask_text, without_password
from .errors import DatabaseDamaged, DatabaseMoved, DatabaseUnavailable, StoreError

__all__ = [
    "SECRET_QUERY_KEYS",
    "mask",
    "mask_message",
    "mask_text",
    "resolve_url",
    "where",
    "without_password",
]

APP_NAME = "curriculum-gui"
ENV_DB = "CURRICULUM_GUI_DB"
SQLITE_BUSY_MS = 10_000  # a rig waits this long for another rig's write before saying "locked"
SQLITE_CACHE_KIB = 65_536  # the page cache of each connection, at most
PG_CONNECT_SECONDS = 5
WHOLE_CHECK_BYTES = 512 * 1024 * 1024
"""A SQLite file up to this size is checked whole before its first change (``quick_check``, about 2 s at
this size); a larger one (an archive of years: 12 GB took 6-40 s) table by table, but
:data:`LARGE_TABLES`."""
LARGE_TABLES = ("events", "metrics_sessions", "event_positions")
"""The tables that grow with the archive, each session adding rows: read and written a page at a time,
where SQLite refuses a page it finds damaged."""


def default_path() -> Path:
    """The SQLite file used when no database is named: per user, where the OS keeps application data."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "curriculum-gui.sqlite3"


# "host=h dbname=x password=pw": libpq's keyword form, which would otherwise be taken for a file name.
_CONNINFO = re.compile(r"(?:^|\s)(?:host|hostaddr|dbname|user|password|port|sslmode)\s*=", re.IGNORECASE)


def resolve_url(db: str | os.PathLike[str] | None) -> URL:
    """A SQLAlchemy URL from what a person typed (see the module docstring); StoreError if unusable."""
    if db is None:
        db = os.environ.get(ENV_DB) or default_path()
    text = os.fspath(db)
    if "://" not in text and _CONNINFO.search(text):
        raise StoreError(
            f"not a database: {mask_text(text)!r} looks like a libpq connection string: write it as "
            "postgresql://user@host/dbname (the password in ~/.pgpass or PGPASSWORD)"
        )
    if "://" not in text:
        return URL.create("sqlite+pysqlite", database=str(Path(text).expanduser().resolve()))
    try:
        url = make_url(text)
    except (exc.ArgumentError, ValueError) as error:  # ValueError: e.g. a port that is not a number
        # The parser's own words are not shown: they can quote a piece of the password.
        detail = " (the port must be a number)" if isinstance(error, ValueError) else ""
        raise StoreError(f"not a database URL: {mask_text(text)!r}{detail}") from None
    if "@" in (url.host or ""):
        # user:p@ss@host: the parser (and libpq) would take "ss@host" for the host.
        raise StoreError(
            f"not a database URL: {mask_text(text)!r} (write an '@' in a user name or password as %40)"
        )
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.username is not None or url.password is not None or url.host or url.port is not None:
            raise StoreError(
                f"not a SQLite URL: {mask_text(text)!r}: a SQLite database is a file, with no user, "
                "password or host (sqlite:///PATH, or just the path)"
            )
        if not url.database or url.database == ":memory:":
            raise StoreError(
                "a SQLite database must be a file (sqlite:///PATH): in-memory data would be lost"
            )
        return url.set(drivername="sqlite+pysqlite")
    if backend == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    raise StoreError(
        f"unsupported database {mask(url)!r}: use a SQLite file path, sqlite:///PATH or postgresql://..."
    )


def create_engine(url: URL) -> Engine:
    """An engine with the store's settings: a rollback journal, foreign keys and explicit transactions on
    SQLite (see :func:`_sqlite_connect`)."""
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        if path.exists() and path.is_dir():
            raise DatabaseUnavailable(f"{path} is a folder, not a SQLite database file")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise DatabaseUnavailable(f"cannot create the folder for {path}: {e.strerror}") from None
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": PG_CONNECT_SECONDS, "application_name": APP_NAME},
    )


FileId = tuple[int, int]
"""A file's identity, ``(st_dev, st_ino)``: the same path can come to name another file."""


def sqlite_file_id(url: URL) -> FileId | None:
    """The identity of a SQLite database file (None for another backend or a file not there)."""
    if url.get_backend_name() != "sqlite":
        return None
    try:
        info = os.stat(url.database or "")
    except OSError:
        return None
    return info.st_dev, info.st_ino


def check_same_file(url: URL, opened: FileId | None) -> None:
    """Refuse to start a transaction on a SQLite file deleted, moved or replaced since it was opened.

    The pooled connections still hold the old file: without this, changes would "succeed" into a file
    nobody can see any more and vanish at exit (or SQLite would quietly create a new, empty one).
    One ``os.stat`` per transaction.
    """
    if opened is None:
        return
    path = url.database or ""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise DatabaseUnavailable(
            f"the database file {path} is gone (deleted or moved) since it was opened; nothing was written "
            "(put the file back, or open the database again)"
        ) from None
    except OSError as e:
        raise DatabaseUnavailable(f"the database file {path} cannot be reached ({e.strerror})") from None
    if (info.st_dev, info.st_ino) != opened:
        raise DatabaseUnavailable(
            f"the database file {path} was replaced by another file since it was opened; nothing was "
            "written (open the database again to use the new file)"
        )


def check_still_there(url: URL, opened: FileId | None) -> None:
    """After a commit: the path must still name the file the change went into, else say so honestly
    (:class:`DatabaseMoved`): the change is in the file that was open, not at the path."""
    if opened is None or sqlite_file_id(url) == opened:
        return
    raise DatabaseMoved(
        f"the database file {url.database} was moved, deleted or replaced while this change was being "
        "written: the change was saved into the file that was open, which is no longer at that path "
        "(open the database again where it is now)"
    )


def check_structure(conn: Connection, url: URL) -> None:
    """SQLite's ``quick_check`` (the file's structure, in time linear in its size: about 0.5 s for
    130 MB); :class:`DatabaseDamaged` naming the first problem when it fails. A file over
    :data:`WHOLE_CHECK_BYTES` is checked table by table, but for its :data:`LARGE_TABLES`: a few
    milliseconds instead of seconds, for the tables every change rewrites (the subjects, their histories,
    the curricula, the settings)."""
    raw = conn.connection.dbapi_connection
    if raw is None:
        return
    try:
        pages, size = (raw.execute(f"PRAGMA {name}").fetchone()[0] for name in ("page_count", "page_size"))
        if pages * size <= WHOLE_CHECK_BYTES:
            found = [row[0] for row in raw.execute("PRAGMA quick_check(5)").fetchall()]
        else:
            found = ["ok"]
            tables = raw.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            ).fetchall()
            for (table,) in tables:
                if table not in LARGE_TABLES and found == ["ok"]:
                    quoted = '"' + str(table).replace('"', '""') + '"'
                    found = [row[0] for row in raw.execute(f"PRAGMA quick_check({quoted})").fetchall()]
    except sqlite3.DatabaseError as e:
        found = [str(e)]
    except ValueError:  # the report itself is not text: names in the schema are garbled
        found = ["its schema holds garbled names"]
    if found != ["ok"]:
        lines = [line for row in found for line in str(row).splitlines() if not line.startswith("***")]
        first = mask_text("; ".join(lines))[:160]
        raise DatabaseDamaged(
            f"{where(url)} is damaged (SQLite's check: {first}): nothing was changed; restore a backup "
            "(sqlite3's .recover command copies what can still be read)"
        )


def checkpoint(conn: Connection) -> None:
    """After a commit on a file still in WAL mode (another program holds it so: see
    :func:`_sqlite_connect`): copy the -wal into the database file itself and empty it
    (``wal_checkpoint(TRUNCATE)``), on the connection that committed, outside any transaction. A -wal is
    named after the path, not the file: left full, a file moved away would lack its last changes, and
    another file put at the path would have them applied to it (and be corrupted)."""
    if not conn.connection.info.get(WAL_KEY):
        return
    raw = conn.connection.dbapi_connection
    if raw is None:
        return
    with contextlib.suppress(sqlite3.Error):  # the commit is durable in the -wal all the same
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


WAL_KEY = "curriculum_gui_wal"


def _sqlite_connect(dbapi_connection: sqlite3.Connection, record: Any) -> None:
    """Rollback journal (``DELETE``), not WAL: a commit is then in the database file itself before it is
    reported done, nothing is left beside the file at rest for another file at the path to pick up, a
    full disk fails the transaction as a whole, and reading needs no -shm file (a read-only folder
    can be read). A file another program still holds in WAL mode stays so (SQLite cannot switch it
    then): commits on it are checkpointed at once (:func:`checkpoint`)."""
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred and too late).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
        try:
            mode = cursor.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        except sqlite3.Error:  # e.g. a read-only WAL file: keep its mode
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        record.info[WAL_KEY] = str(mode).lower() == "wal"
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = FULL")
        # 64 MiB of pages (SQLite's default is 2 MiB): a day's import and apply touch a leaf of each
        # per-subject index for every subject; with a year's history those no longer fit in 2 MiB.
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    finally:
        cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # Writers take the write lock at BEGIN (RESERVED; the snapshot of a WAL reader that later tried to
    # write could be stale and fail at once): they wait their turn instead.
    mode = "IMMEDIATE" if conn.get_execution_options().get("write") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def readable_errors(url: URL) -> Iterator[None]:
    """Turn driver errors into :class:`DatabaseUnavailable`/:class:`StoreError` naming the (masked) URL."""
    try:
        yield
    except UnicodeEncodeError as e:  # a lone surrogate the checks upstream did not catch: never a traceback
        raise StoreError(
            f"{where(url)}: text that cannot be stored (it holds {e.object[e.start : e.end]!r}, not a "
            "character); nothing was changed"
        ) from None
    except exc.OperationalError as e:
        reason = _reason(e)
        if reason == READ_ONLY and url.get_backend_name() == "sqlite" and not _folder_writable(url):
            reason = READ_ONLY_FOLDER
        raise DatabaseUnavailable(f"{where(url)}: {reason}") from None
    except exc.DBAPIError as e:
        if e.connection_invalidated:
            raise DatabaseUnavailable(f"{where(url)}: the connection was lost ({_reason(e)})") from None
        raise StoreError(f"{where(url)}: {_reason(e)}") from None


READ_ONLY = "the file is read-only"
READ_ONLY_FOLDER = (
    "its folder is read-only (SQLite writes a journal file beside the database while it changes it)"
)


def _folder_writable(url: URL) -> bool:
    folder = Path(url.database or "").parent
    return os.access(folder, os.W_OK | os.X_OK)


def where(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"database {mask_text(url.database or '')}"
    return f"database {mask(url)}"


def _reason(e: exc.DBAPIError) -> str:
    text = str(e.orig).strip().splitlines()[0] if e.orig is not None else str(e)
    lowered = text.lower()
    if "database is locked" in lowered or "database table is locked" in lowered:
        return f"locked by another program (waited {SQLITE_BUSY_MS / 1000:g} s); try again"
    if "file is not a database" in lowered:
        return "the file is not a SQLite database"
    if "unable to open database file" in lowered:
        return "cannot open the file (missing folder or no permission)"
    if "readonly database" in lowered:
        return READ_ONLY
    if "disk is full" in lowered:
        return "the disk is full (or the file reached its size limit)"
    if "disk i/o error" in lowered:
        return "disk I/O error (a full disk, a file size limit, or a failing disk)"
    if "connection refused" in lowered:
        return "connection refused (is the PostgreSQL server running and the host/port right?)"
    if "password authentication failed" in lowered:
        return "password authentication failed"
    return mask_message(text)
