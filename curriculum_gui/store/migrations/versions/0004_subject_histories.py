"""Running histories of the subjects (``subject_histories`` and their chunks), built once by replaying
every subject's evaluated sessions: from then on an evaluation reads only the new sessions (see
``store/histories.py``). And ``events.position_summary``, the few fields the position views read of a position
event, filled in for the events already there (the append-only trigger is lifted for that, and only that),
and ``event_positions``, a narrow copy of the position events (a trigger copies each new one, whoever writes
it), kept in subject order, from which the cohort grid reads a few subjects' thousands of events.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subject_histories",
        sa.Column(
            "subject_pk",
            sa.Integer,
            sa.ForeignKey("subjects.id", name="fk_histories_subject"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("row_version", sa.Integer, nullable=False),
        sa.Column("sessions", sa.Integer, nullable=False),
        sa.Column("last_date", sa.Date, nullable=True),
        sa.Column("last_session", sa.Integer, nullable=True),
        sa.Column("chunks", sa.Integer, nullable=False),
        sa.Column("columns_json", sa.Text, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "subject_history_chunks",
        sa.Column(
            "subject_pk",
            sa.Integer,
            sa.ForeignKey("subjects.id", name="fk_history_chunks_subject"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("chunk", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("columns_json", sa.Text, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sqlite_with_rowid=False,
    )
    # The replay is the store's own (the same code keeps the table up to date), so both agree.
    from curriculum_gui.store.histories import rebuild_all

    rebuild_all(op.get_bind())
    op.add_column("events", sa.Column("position_summary", sa.Text, nullable=True))
    _summarise_events()
    op.create_table(
        "event_positions",
        sa.Column("subject_pk", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("batch", sa.String(40), nullable=True),
        sa.Column("summary", sa.Text, nullable=True),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO event_positions (subject_pk, event_id, kind, batch, summary) "
        "SELECT subject_pk, id, kind, batch, position_summary FROM events WHERE subject_pk IS NOT NULL"
    )
    _copy_positions()


_COPY = (
    "INSERT INTO event_positions (subject_pk, event_id, kind, batch, summary) "
    "VALUES (NEW.subject_pk, NEW.id, NEW.kind, NEW.batch, NEW.position_summary)"
)


def _copy_positions() -> None:
    """Every event of a subject, whoever writes it, gets its row in ``event_positions`` (a trigger; every
    kind, so that a kind a later version counts as a change of position is there too)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION curriculum_gui_event_position() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_COPY}; RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER events_position AFTER INSERT ON events FOR EACH ROW "
            "WHEN (NEW.subject_pk IS NOT NULL) EXECUTE FUNCTION curriculum_gui_event_position()"
        )
    else:
        op.execute(
            "CREATE TRIGGER events_position AFTER INSERT ON events "
            f"WHEN NEW.subject_pk IS NOT NULL BEGIN {_COPY}; END"
        )


_NO_UPDATE = "the event log is append-only"


def _summarise_events() -> None:
    """Each position event's summary, from its data (the store's own function), a few thousand at a time."""
    import json

    from curriculum_gui.store.records import POSITION_KINDS, position_summary, summary_text

    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    op.execute("DROP TRIGGER events_no_update" + (" ON events" if postgres else ""))
    events = sa.table(
        "events", sa.column("id"), sa.column("kind"), sa.column("data_json"), sa.column("position_summary")
    )
    update = (
        sa.update(events)
        .where(events.c.id == sa.bindparam("b_id"))
        .values(position_summary=sa.bindparam("b_s"))
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(events.c.id, events.c.kind, events.c.data_json)
            .where(events.c.id > last, events.c.kind.in_(POSITION_KINDS))
            .order_by(events.c.id)
            .limit(5000)
        ).all()
        if not rows:
            break
        last = rows[-1][0]
        bind.execute(
            update,
            [
                {
                    "b_id": i,
                    "b_s": summary_text(position_summary(kind, json.loads(data))),
                }
                for i, kind, data in rows
            ],
        )
    if postgres:
        op.execute(
            "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
            f"FOR EACH ROW EXECUTE FUNCTION curriculum_gui_refuse('{_NO_UPDATE}')"
        )
    else:
        op.execute(
            "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
            f"BEGIN SELECT RAISE(ABORT, '{_NO_UPDATE}'); END"
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute("DROP TRIGGER events_position" + (" ON events" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION curriculum_gui_event_position()")
    op.drop_table("event_positions")
    op.drop_column("events", "position_summary")
    op.drop_table("subject_history_chunks")
    op.drop_table("subject_histories")
