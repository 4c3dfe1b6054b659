"""Two per-subject indexes dropped: ``ix_events_subject`` (a subject's events are found through
``event_positions``, whose key is (subject, event), kept by a trigger since 0004) and
``ix_sessions_subject_date`` (a subject's sessions through ``uq_sessions_subject_session``, sorted by date
after). Each day's import and apply added an entry to each for every subject: a page of each index per
subject once the histories are long, written (and journalled) every day. That cost grew with the
archive; what the indexes served is as fast through the ones kept.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_events_subject", table_name="events")
    op.drop_index("ix_sessions_subject_date", table_name="metrics_sessions")


def downgrade() -> None:
    op.create_index(
        "ix_sessions_subject_date", "metrics_sessions", ["subject_pk", "session_date", "session_id"]
    )
    op.create_index("ix_events_subject", "events", ["subject_pk", "id"])
