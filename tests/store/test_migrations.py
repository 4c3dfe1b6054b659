"""The schema comes from Alembic migrations, tested from an empty database on both backends."""

from __future__ import annotations

from datetime import date

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
    Workspace.open(db_url, create=True).close()
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


def test_sessions_get_their_stage_after_from_the_applied_events_when_upgraded(db_url: str) -> None:
    """0005 copies each evaluated session's stage out of its applied event: downgraded and upgraded again,
    the column holds what the trainer wrote, a batch of several sessions through several stages too."""
    from curriculum_gui.core.metrics_import import MetricsRow
    from curriculum_gui.store import metrics
    from curriculum_gui.store.demo import create_demo
    from curriculum_gui.store.schema import metrics_sessions as ms_t

    def stages(ws: Workspace) -> dict:
        query = sa.select(ms_t.c.id, ms_t.c.stage_after).where(ms_t.c.consumed_by.is_not(None))
        with ws.read() as conn:
            return dict(conn.execute(query).all())

    with Workspace.open(db_url, create=True) as ws:
        create_demo(ws, today=date(2026, 11, 20))
        # M12 (in Habituation) does well three times: one batch takes it through several stages.
        good = {"accuracy": 0.9, "trials": 300, "bias": 0.05, "weight_fraction": 0.9, "licks_per_reward": 3}
        rows = [MetricsRow(i, "M12", f"extra{i}", date(2026, 11, 20), good) for i in range(3)]
        metrics.import_rows(ws, rows)
        (suggestion,) = ws.evaluate(["M12"])
        trainer_said = [e.state.stage_id for _, e in suggestion.evaluations]
        assert len(suggestion.sessions) == 4 and len(set(trainer_said)) >= 2
        ws.apply([suggestion])
        written = stages(ws)
        with ws.read() as conn:
            batch = (
                conn.execute(
                    sa.select(ms_t.c.stage_after).where(ms_t.c.session_id.like("extra%")).order_by(ms_t.c.id)
                )
                .scalars()
                .all()
            )
    assert batch == trainer_said[1:]
    assert len(written) > 400 and None not in written.values()
    engine = create_engine(resolve_url(db_url))
    try:
        migrate.downgrade(engine, "0004")
        with engine.connect() as conn:
            assert "stage_after" not in {c["name"] for c in sa.inspect(conn).get_columns("metrics_sessions")}
    finally:
        engine.dispose()
    with Workspace.open(db_url) as ws:
        assert stages(ws) == written


def test_a_subjects_events_read_the_same_without_the_event_logs_subject_index(db_url: str) -> None:
    """0006 drops the event log's index by subject (a subject's events are found through event_positions):
    a demo lab read at 0005 and again at head gives the same histories, sessions, undo of a batch and
    notes."""
    from curriculum_gui.store.demo import create_demo

    def indexes(conn: sa.Connection) -> set[str]:
        inspector = sa.inspect(conn)
        return {i["name"] for i in inspector.get_indexes("events")}

    def seen(ws: Workspace) -> tuple:
        names = [r.subject for r in ws.subjects()]
        return (
            {s: [(e.id, e.kind, e.batch) for e in ws.history(s)] for s in names},
            {s: ws.sessions(s) for s in names},
            ws.position_events(names[:3]),
        )

    with Workspace.open(db_url, create=True) as ws:
        create_demo(ws, today=date(2026, 11, 20))
        note = ws.add_note("M03", "limping a little", operator="tech")
        before = seen(ws)
    engine = create_engine(resolve_url(db_url))
    try:
        migrate.downgrade(engine, "0005")
        with engine.connect() as conn:
            assert "ix_events_subject" in indexes(conn)
    finally:
        engine.dispose()
    with Workspace.open(db_url) as ws:  # opening migrates to head again
        with ws.read() as conn:
            assert "ix_events_subject" not in indexes(conn)
        assert seen(ws) == before
        with ws.read() as conn:  # every event of each subject, in order, as the event log itself holds them
            logged = conn.execute(
                sa.text(
                    "SELECT s.subject_id, e.id, e.kind, e.batch FROM events e "
                    "JOIN subjects s ON s.id = e.subject_pk ORDER BY e.id"
                )
            ).all()
        by_subject: dict[str, list] = {}
        for subject, *event in logged:
            by_subject.setdefault(subject, []).append(tuple(event))
        assert before[0] == by_subject
        assert [kind for _id, kind, _batch in before[0]["M03"]].count("note") == 1
        ws.withdraw_note(note, operator="tech")
        with pytest.raises(StoreError, match="withdrawn already"):
            ws.withdraw_note(note, operator="tech")
        last_batch = next(e.batch for e in reversed(ws.history("M05")) if e.batch)
        assert "M05" in ws.revert_batch(last_batch, reason="test", operator="tech").reverted
