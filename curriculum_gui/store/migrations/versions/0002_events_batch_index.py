"""Index the event log by batch: applying a batch finds its events in one indexed query.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_batch", "events", ["batch"])


def downgrade() -> None:
    op.drop_index("ix_events_batch", table_name="events")
