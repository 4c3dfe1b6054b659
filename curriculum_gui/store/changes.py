"""Has the database changed since I last looked? A cheap answer, so every open window can follow the other
rigs without reading anything when nothing changed.

- **SQLite**: ``PRAGMA data_version`` on a connection of its own. The number changes when any other
  connection (another process, or this one's pool) commits; asking costs a few microseconds and reads no
  table, so a timer can ask several times a second.
- **PostgreSQL**: ``LISTEN`` on the database's channel; triggers (migration 0003) ``NOTIFY`` it after every
  statement that changes a table, delivered when the transaction commits. :meth:`ChangeWatcher.fileno`
  is the socket to wait on; :meth:`ChangeWatcher.poll` reads what arrived without blocking. A lost
  connection is opened again at the next poll, which then reports a change (one may have been missed).

No Qt here: the GUI drives :meth:`poll` from a timer or a socket notifier (:mod:`curriculum_gui.gui.live`).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from typing import Any

from sqlalchemy.engine import URL

from .engine import APP_NAME, PG_CONNECT_SECONDS

CHANNEL_PREFIX = "curriculum_gui_"  # + the schema's name: see the trigger function in migration 0003
RECONNECT_SECONDS = 5.0


class ChangeWatcher:
    """Base: ``poll()`` is True when something changed since the previous poll."""

    def poll(self) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def fileno(self) -> int | None:
        """A socket that becomes readable when a change arrives (None: poll on a timer)."""
        return None

    def close(self) -> None:
        pass

    def __enter__(self) -> ChangeWatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SqliteChanges(ChangeWatcher):
    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._version: int | None = None
        self._open()

    def _open(self) -> None:
        try:
            # No waiting for a lock: the check runs on the GUI thread, and a rollback journal locks readers
            # out while a commit is written; a busy file is asked again at the next check.
            self._conn = sqlite3.connect(
                self.path, timeout=0.0, isolation_level=None, check_same_thread=False
            )
            self._version = self._read()
        except sqlite3.Error:
            self._conn = None

    def _read(self) -> int:
        assert self._conn is not None
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def poll(self) -> bool:
        if self._conn is None:
            self._open()
            return self._conn is not None
        try:
            version = self._read()
        except sqlite3.Error:  # locked for longer than the timeout, or the file went away: ask again later
            return False
        changed = version != self._version
        self._version = version
        return changed

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class PostgresChanges(ChangeWatcher):
    """A lost connection is opened again on a thread of its own (a server that does not answer must not
    freeze the caller for the connect timeout), at most every :data:`RECONNECT_SECONDS`."""

    def __init__(self, url: URL) -> None:
        self._conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._conn: Any = None
        self._reconnecting: threading.Thread | None = None
        self._last_try = 0.0
        self.channel = ""
        self._connect()

    def _reconnect(self) -> None:
        if self._reconnecting is not None or time.monotonic() - self._last_try < RECONNECT_SECONDS:
            return
        self._last_try = time.monotonic()
        self._reconnecting = threading.Thread(
            target=self._connect, name="curriculum-gui changes", daemon=True
        )
        self._reconnecting.start()

    def _connect(self) -> None:
        import psycopg
        from psycopg import sql

        try:
            conn = psycopg.connect(
                self._conninfo,
                autocommit=True,
                connect_timeout=PG_CONNECT_SECONDS,
                application_name=f"{APP_NAME} (changes)",
            )
        except psycopg.Error:
            self._conn = None
            return
        try:
            schema = conn.execute("SELECT current_schema()").fetchone()[0]
            self.channel = f"{CHANNEL_PREFIX}{schema}"
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
        except psycopg.Error:
            conn.close()
            self._conn = None
            return
        self._conn = conn

    def fileno(self) -> int | None:
        return self._conn.fileno() if self._conn is not None else None

    def poll(self) -> bool:
        import psycopg

        if self._reconnecting is not None:
            if self._reconnecting.is_alive():
                return False
            self._reconnecting = None
            if self._conn is not None:
                return True  # back: something may have changed meanwhile
        if self._conn is None or self._conn.closed:
            self._conn = None
            self._reconnect()
            return False
        try:
            return sum(1 for _ in self._conn.notifies(timeout=0)) > 0
        except psycopg.Error:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None
            return False

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.closed

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None


def watcher(url: URL) -> ChangeWatcher:
    """The watcher for a database URL (as :class:`~.context.StoreContext` holds it)."""
    if url.get_backend_name() == "sqlite":
        return SqliteChanges(url.database or "")
    return PostgresChanges(url)
