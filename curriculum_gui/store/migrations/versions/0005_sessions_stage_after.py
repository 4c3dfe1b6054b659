"""Each evaluated session keeps the stage the trainer put the subject on after it (``stage_after``), so stage
statistics and attention read a small column instead of every applied event's "why". Filled here from the
applied events already logged (the same fact, copied; the events are not changed). The event log is indexed
by kind, so the few manual changes are found without reading every applied event.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

CHUNK = 1000


def session_stages(data: dict) -> list[tuple[str, str | None]]:
    """``(session, stage id after it)`` of an applied event: the stage transitions that fired, session by
    session, from the stage before the batch; the last session ends where the batch did."""
    fired = {
        check.get("session"): check.get("destination_id")
        for check in data.get("why") or ()
        if check.get("kind") == "stage_transition" and check.get("fired")
    }
    stage = (data.get("before") or {}).get("stage_id")
    out = []
    for session in data.get("sessions") or ():
        stage = fired.get(session, stage)
        out.append((session, stage))
    if out and (data.get("after") or {}).get("stage_id") is not None:
        out[-1] = (out[-1][0], data["after"]["stage_id"])
    return out


def upgrade() -> None:
    # By kind alone (then row id): a new event goes at the end of its kind, so the daily thousands of
    # applied events do not each touch another page of the index, as (kind, subject) would.
    op.create_index("ix_events_kind", "events", ["kind"])
    op.add_column("metrics_sessions", sa.Column("stage_after", sa.String(200), nullable=True))
    conn = op.get_bind()
    events = sa.table(
        "events", sa.column("id"), sa.column("subject_pk"), sa.column("kind"), sa.column("data_json")
    )
    sessions = sa.table(
        "metrics_sessions",
        sa.column("subject_pk"),
        sa.column("session_id"),
        sa.column("consumed_by"),
        sa.column("stage_after"),
    )
    update = (
        sa.update(sessions)
        .where(
            sessions.c.subject_pk == sa.bindparam("b_pk"),
            sessions.c.session_id == sa.bindparam("b_session"),
            sessions.c.consumed_by == sa.bindparam("b_event"),
        )
        .values(stage_after=sa.bindparam("b_stage"))
    )
    rows = []
    query = sa.select(events.c.id, events.c.subject_pk, events.c.data_json).where(events.c.kind == "applied")
    for event_id, pk, data_json in conn.execute(query):
        for session, stage in session_stages(json.loads(data_json)):
            rows.append({"b_pk": pk, "b_session": session, "b_event": event_id, "b_stage": stage})
        if len(rows) >= CHUNK:
            conn.execute(update, rows)
            rows = []
    if rows:
        conn.execute(update, rows)


def downgrade() -> None:
    with op.batch_alter_table("metrics_sessions") as batch:
        batch.drop_column("stage_after")
    op.drop_index("ix_events_kind", table_name="events")
