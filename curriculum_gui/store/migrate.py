"""Bring a database's schema to the head revision, from Python (no alembic.ini, works from a wheel).

Two programs opening an empty database at once must not both create it: PostgreSQL takes an advisory
lock for the migration, SQLite's ``BEGIN IMMEDIATE`` serialises the two.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from .errors import DatabaseUnavailable
from .schema import metadata

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_PG_LOCK = 0x6375_7272  # "curr": the advisory lock key of schema migrations


def _script() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def head() -> str:
    revision = _script().get_current_head()
    assert revision is not None
    return revision


def compare(revision: str) -> str:
    """``"current"``, ``"older"`` (this version migrates it) or ``"newer"`` (unknown here: refused)."""
    script = _script()
    if revision == script.get_current_head():
        return "current"
    known = {r.revision for r in script.walk_revisions()}
    return "older" if revision in known else "newer"


def current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, target: str = "head", where: str = "the database") -> None:
    """Migrate to ``target``; refuses a database whose schema is newer than this program."""
    script = _script()
    if target == "head":
        with engine.connect() as conn:  # the usual case, without taking the write lock
            if current(conn) == script.get_current_head():
                return
    with engine.connect().execution_options(write=True) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
        found = current(conn)
        if found is not None and found not in {r.revision for r in script.walk_revisions()}:
            from .opening import newer_message

            raise DatabaseUnavailable(newer_message(where, found))
        _run(conn, script, lambda rev, _ctx: script._upgrade_revs(target, rev))


def downgrade(engine: Engine, target: str) -> None:
    """For tests of the migrations themselves (``"base"`` empties the database)."""
    script = _script()
    with engine.connect().execution_options(write=True) as conn, conn.begin():
        _run(conn, script, lambda rev, _ctx: script._downgrade_revs(target, rev))


def _run(conn: Connection, script: ScriptDirectory, fn: Any) -> None:
    with EnvironmentContext(Config(), script, fn=fn) as env:
        env.configure(connection=conn, target_metadata=metadata, transactional_ddl=True)
        env.run_migrations()
