"""The schema comes from Alembic migrations, tested from an empty database on both backends."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from curriculum_gui.store import StoreError, Workspace, migrate
from curriculum_gui.store.engine import create_engine, resolve_url
from curriculum_gui.store.schema import metadata


def test_migrating_an_empty_database_gives_exactly_the_schema(db_url: str) -> None:
    engine = create_engine(resolve_url(db_url))
    try:
        with engine.connect() as conn:
            assert migrate.current(conn) is None
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert migrate.current(conn) == migrate.head()
            diffs = compare_metadata(MigrationContext.configure(conn), metadata)
            assert diffs == []
        migrate.upgrade(engine)  # again: nothing to do
        migrate.downgrade(engine, "base")
        with engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert {"subjects", "events", "metrics_sessions", "curriculum_versions"} <= set(
                sa.inspect(conn).get_table_names()
            )
    finally:
        engine.dispose()


def test_a_newer_schema_is_refused_and_left_alone(db_url: str) -> None:
    Workspace.open(db_url).close()
    engine = create_engine(resolve_url(db_url))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    with pytest.raises(StoreError, match="newer than this curriculum-gui"):
        Workspace.open(db_url)
    engine = create_engine(resolve_url(db_url))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "9999_future"
    engine.dispose()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET reason = 'rewritten'",
        "DELETE FROM events",
        "UPDATE curriculum_versions SET document_json = '{}'",
        "DELETE FROM curriculum_versions",
    ],
)
def test_the_database_refuses_to_rewrite_history(ws: Workspace, version, statement: str) -> None:
    ws.register(["M1"], version.id, operator="t")
    with pytest.raises(sa.exc.DatabaseError, match=r"append-only|immutable"), ws.engine.begin() as conn:
        conn.execute(sa.text(statement))
    assert len(ws.history("M1")) == 1
    assert ws.curriculum(version.id).name == "Two-choice visual discrimination"


def test_a_database_at_the_first_revision_is_upgraded_keeping_its_data(db_url: str, curriculum) -> None:
    engine = create_engine(resolve_url(db_url))
    try:
        migrate.upgrade(engine, "0001")
        with engine.connect() as conn:
            assert migrate.current(conn) == "0001"
            assert "ix_events_batch" not in {i["name"] for i in sa.inspect(conn).get_indexes("events")}
    finally:
        engine.dispose()
    with Workspace.open(db_url) as ws:  # opening migrates to head
        ws.publish(curriculum)
        with ws.read() as conn:
            assert migrate.current(conn) == migrate.head()
            assert "ix_events_batch" in {i["name"] for i in sa.inspect(conn).get_indexes("events")}
