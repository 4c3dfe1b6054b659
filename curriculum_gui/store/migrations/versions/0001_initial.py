"""The first schema: curriculum versions, subjects, the event log, metrics sessions.

The event log and published curriculum versions are protected by triggers: the database itself refuses
to change or delete an event, or to change a published document.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_PROTECTED = [
    ("events", "UPDATE", "the event log is append-only"),
    ("events", "DELETE", "the event log is append-only"),
    ("curriculum_versions", "UPDATE", "a published curriculum version is immutable"),
    ("curriculum_versions", "DELETE", "a published curriculum version is immutable"),
]


def upgrade() -> None:
    op.create_table(
        "curriculum_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(1000), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("document_json", sa.Text, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("name", "version", name="uq_curriculum_versions_name_version"),
    )
    op.create_table(
        "subjects",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subject_id", sa.String(200), nullable=False, unique=True),
        sa.Column("sex", sa.String(50), nullable=True),
        sa.Column("date_of_birth", sa.Date, nullable=True),
        sa.Column("genotype", sa.String(500), nullable=True),
        sa.Column("rig", sa.String(200), nullable=True),
        sa.Column("notes", sa.Text, nullable=True),
        sa.Column(
            "curriculum_version_id",
            sa.Integer,
            sa.ForeignKey("curriculum_versions.id", name="fk_subjects_curriculum_version"),
            nullable=False,
        ),
        sa.Column("state_json", sa.Text, nullable=False),
        sa.Column("stage_id", sa.String(200), nullable=True),
        sa.Column("on_curriculum", sa.Boolean, nullable=False),
        sa.Column("last_change", sa.String(20), nullable=False),
        sa.Column("row_version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "subject_pk", sa.Integer, sa.ForeignKey("subjects.id", name="fk_events_subject"), nullable=True
        ),
        sa.Column(
            "curriculum_version_id",
            sa.Integer,
            sa.ForeignKey("curriculum_versions.id", name="fk_events_curriculum_version"),
            nullable=True,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("batch", sa.String(40), nullable=True),
        sa.Column("data_json", sa.Text, nullable=False),
    )
    op.create_index("ix_events_subject", "events", ["subject_pk", "id"])
    op.create_table(
        "metrics_sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "subject_pk",
            sa.Integer,
            sa.ForeignKey("subjects.id", name="fk_sessions_subject"),
            nullable=False,
        ),
        sa.Column("session_id", sa.String(200), nullable=False),
        sa.Column("session_date", sa.Date, nullable=False),
        sa.Column("values_json", sa.Text, nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "consumed_by", sa.Integer, sa.ForeignKey("events.id", name="fk_sessions_event"), nullable=True
        ),
        sa.UniqueConstraint("subject_pk", "session_id", name="uq_sessions_subject_session"),
    )
    op.create_index(
        "ix_sessions_subject_date", "metrics_sessions", ["subject_pk", "session_date", "session_id"]
    )
    op.create_index("ix_sessions_consumed", "metrics_sessions", ["consumed_by"])
    _protect()


def _protect() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION curriculum_gui_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '%', TG_ARGV[0]; END $$"
        )
        for table, action, message in _PROTECTED:
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION curriculum_gui_refuse('{message}')"
            )
    else:
        for table, action, message in _PROTECTED:
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, action, _message in _PROTECTED:
        op.execute(f"DROP TRIGGER {table}_no_{action.lower()}" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION curriculum_gui_refuse()")
    op.drop_table("metrics_sessions")
    op.drop_table("events")
    op.drop_table("subjects")
    op.drop_table("curriculum_versions")
