"""The tables (SQLAlchemy Core), as migration head creates them; ``tests/store`` checks the two agree.

JSON is stored as text (``*_json`` columns) so both backends hold exactly the same bytes, and the store,
not the driver, decides how it is read. ``subjects`` carries a few copies of what is in ``state_json``
(stage, on/off curriculum) so the subjects table can be listed without parsing; ``row_version`` is the
optimistic-concurrency counter: every change of a subject bumps it, and a writer whose version is stale
changes nothing.

At the rig (migration 0003): ``weights`` (grams per subject and day, entered or imported; a mistaken entry
is voided, never deleted), ``rigs`` (each rig's export and watch folders), ``schedule`` (which mice run on
which rig on which weekdays) and ``lab_settings`` (per-database settings such as the weight threshold).

``events.position_summary`` holds the few fields the position views read of a position event (see
``records.summary_text``), so a cohort's thousands of events are listed without parsing their data;
it is written with the event, and an event without one is read from its data. A trigger copies every
position event, with it, into ``event_positions``, keyed by subject (clustered on SQLite), so a few
subjects' thousands of position events are read from a few pages rather than all over the event log.

``subject_histories`` (with its ``subject_history_chunks``) is a running copy of what the trainer reads from
a subject's evaluated sessions (the histories of ``number_list`` metrics, see :mod:`..store.histories`),
valid while its ``row_version`` is the subject's: anything can be rebuilt from the sessions, and is, when
it is missing or stale.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()

curriculum_versions = sa.Table(
    "curriculum_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(1000), nullable=False),
    sa.Column("version", sa.String(100), nullable=False),
    sa.Column("document_json", sa.Text, nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("published_by", sa.String(200), nullable=False),
    sa.UniqueConstraint("name", "version", name="uq_curriculum_versions_name_version"),
)

subjects = sa.Table(
    "subjects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("subject_id", sa.String(200), nullable=False, unique=True),
    sa.Column("sex", sa.String(50), nullable=True),
    sa.Column("date_of_birth", sa.Date, nullable=True),
    sa.Column("genotype", sa.String(500), nullable=True),
    sa.Column("rig", sa.String(200), nullable=True),
    sa.Column("notes", sa.Text, nullable=True),
    sa.Column("baseline_weight_g", sa.Float, nullable=True),
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

events = sa.Table(
    "events",
    metadata,
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
    sa.Column("position_summary", sa.Text, nullable=True),
    # No index by subject: a subject's events are found through event_positions (migration 0006).
    sa.Index("ix_events_batch", "batch"),
    sa.Index("ix_events_kind", "kind"),  # the few manual events of each subject (see migration 0005)
)

metrics_sessions = sa.Table(
    "metrics_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "subject_pk", sa.Integer, sa.ForeignKey("subjects.id", name="fk_sessions_subject"), nullable=False
    ),
    sa.Column("session_id", sa.String(200), nullable=False),
    sa.Column("session_date", sa.Date, nullable=False),
    sa.Column("values_json", sa.Text, nullable=False),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("consumed_by", sa.Integer, sa.ForeignKey("events.id", name="fk_sessions_event"), nullable=True),
    # The stage after the trainer evaluated it (set with consumed_by by an applied event; a copy of what the
    # event's "why" says, for statistics): meaningful only while consumed by an applied event.
    sa.Column("stage_after", sa.String(200), nullable=True),
    sa.UniqueConstraint("subject_pk", "session_id", name="uq_sessions_subject_session"),
    # A subject's sessions by date: its last one (the subjects table), the latest before an undone batch.
    sa.Index("ix_sessions_subject_date", "subject_pk", "session_date", "session_id"),
    sa.Index("ix_sessions_consumed", "consumed_by"),
)


def pending_session(id_param: str | sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """The session of id ``id_param`` (a bound parameter), if not yet consumed; written so that PostgreSQL
    finds it by its id. As ``consumed_by IS NULL`` it walked every pending entry of ``ix_sessions_consumed``
    (whose statistics, from before the day's import, say there are none) for each row of a batch: 6 s to
    apply 10,000 sessions to an archive of a million. (No event has id 0.)"""
    session = sa.bindparam(id_param) if isinstance(id_param, str) else id_param
    return sa.and_(
        metrics_sessions.c.id == session,
        sa.func.coalesce(metrics_sessions.c.consumed_by, 0) == 0,
    )


weights = sa.Table(
    "weights",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "subject_pk", sa.Integer, sa.ForeignKey("subjects.id", name="fk_weights_subject"), nullable=False
    ),
    sa.Column("weighed_on", sa.Date, nullable=False),
    sa.Column("grams", sa.Float, nullable=False),
    sa.Column("session_id", sa.String(200), nullable=True),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("operator", sa.String(200), nullable=False),
    sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("voided_by", sa.String(200), nullable=True),
    sa.Index("ix_weights_subject_day", "subject_pk", "weighed_on"),
)

rigs = sa.Table(
    "rigs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("export_folder", sa.Text, nullable=True),
    sa.Column("watch_folder", sa.Text, nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
)

schedule = sa.Table(
    "schedule",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "subject_pk", sa.Integer, sa.ForeignKey("subjects.id", name="fk_schedule_subject"), nullable=False
    ),
    sa.Column("rig", sa.String(200), nullable=False),
    sa.Column("weekdays", sa.String(7), nullable=False),  # Monday..Sunday, "1" = runs: "1111100"
    sa.Column("slot", sa.Integer, nullable=True),  # order on the rig that day (run sheet), 1 = first
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
    sa.UniqueConstraint("subject_pk", "rig", name="uq_schedule_subject_rig"),
    sa.Index("ix_schedule_rig", "rig"),
)

lab_settings = sa.Table(
    "lab_settings",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value_json", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
)

event_positions = sa.Table(
    "event_positions",
    metadata,
    sa.Column("subject_pk", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("batch", sa.String(40), nullable=True),
    sa.Column("summary", sa.Text, nullable=True),
    sqlite_with_rowid=False,
)

subject_histories = sa.Table(
    "subject_histories",
    metadata,
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

subject_history_chunks = sa.Table(
    "subject_history_chunks",
    metadata,
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
