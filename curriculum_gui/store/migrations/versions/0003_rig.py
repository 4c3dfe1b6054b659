"""At the rig: body weights and a baseline per subject, rigs and their folders, the weekly schedule, lab
settings; on PostgreSQL, a notification on every change (LISTEN/NOTIFY) so open windows follow other rigs.

Weights are never deleted (a mistaken entry is voided): the database refuses a DELETE, as for events.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Every table whose change another window should see (see store/changes.py for the channel's name).
NOTIFYING = (
    "curriculum_versions",
    "subjects",
    "events",
    "metrics_sessions",
    "weights",
    "rigs",
    "schedule",
    "lab_settings",
)


def upgrade() -> None:
    op.add_column("subjects", sa.Column("baseline_weight_g", sa.Float, nullable=True))
    op.create_table(
        "weights",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "subject_pk",
            sa.Integer,
            sa.ForeignKey("subjects.id", name="fk_weights_subject"),
            nullable=False,
        ),
        sa.Column("weighed_on", sa.Date, nullable=False),
        sa.Column("grams", sa.Float, nullable=False),
        sa.Column("session_id", sa.String(200), nullable=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator", sa.String(200), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_by", sa.String(200), nullable=True),
    )
    op.create_index("ix_weights_subject_day", "weights", ["subject_pk", "weighed_on"])
    op.create_table(
        "rigs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("export_folder", sa.Text, nullable=True),
        sa.Column("watch_folder", sa.Text, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "schedule",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "subject_pk",
            sa.Integer,
            sa.ForeignKey("subjects.id", name="fk_schedule_subject"),
            nullable=False,
        ),
        sa.Column("rig", sa.String(200), nullable=False),
        sa.Column("weekdays", sa.String(7), nullable=False),
        sa.Column("slot", sa.Integer, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("subject_pk", "rig", name="uq_schedule_subject_rig"),
    )
    op.create_index("ix_schedule_rig", "schedule", ["rig"])
    op.create_table(
        "lab_settings",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value_json", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER weights_no_delete BEFORE DELETE ON weights "
            "FOR EACH ROW EXECUTE FUNCTION curriculum_gui_refuse('weights are voided, never deleted')"
        )
        # One notification per statement (and PostgreSQL folds identical ones of a transaction into one),
        # delivered when the transaction commits; the channel is per schema, as the tables are.
        op.execute(
            "CREATE FUNCTION curriculum_gui_notify() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN PERFORM pg_notify('curriculum_gui_' || current_schema(), TG_TABLE_NAME); "
            "RETURN NULL; END $$"
        )
        for table in NOTIFYING:
            op.execute(
                f"CREATE TRIGGER {table}_notify AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION curriculum_gui_notify()"
            )
    else:
        op.execute(
            "CREATE TRIGGER weights_no_delete BEFORE DELETE ON weights "
            "BEGIN SELECT RAISE(ABORT, 'weights are voided, never deleted'); END"
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        for table in NOTIFYING:
            op.execute(f"DROP TRIGGER {table}_notify ON {table}")
        op.execute("DROP FUNCTION curriculum_gui_notify()")
    op.execute("DROP TRIGGER weights_no_delete" + (" ON weights" if postgres else ""))
    op.drop_table("lab_settings")
    op.drop_index("ix_schedule_rig", table_name="schedule")
    op.drop_table("schedule")
    op.drop_table("rigs")
    op.drop_index("ix_weights_subject_day", table_name="weights")
    op.drop_table("weights")
    op.execute("ALTER TABLE subjects DROP COLUMN baseline_weight_g")  # SQLite >= 3.35 and PostgreSQL
