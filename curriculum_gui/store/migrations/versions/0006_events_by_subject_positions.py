"""The event log's index by subject, ``ix_events_subject``, dropped: a subject's events are found through
``event_positions``, whose key is (subject, event), kept by a trigger since 0004. Each day's apply added
an entry to both for every subject: a page of each per subject once the histories are long, written (and
journalled) every day, a cost that grew with the archive.

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


def downgrade() -> None:
    op.create_index("ix_events_subject", "events", ["subject_pk", "id"])
