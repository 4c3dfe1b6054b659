"""Every subject's way through its curriculum, read for attention and stage statistics in a few queries.

The trainer's steps come from the sessions: each evaluated session keeps the applied event that consumed
it and the stage it left the subject on (``stage_after``), so the applied events' large "why" is never
read; only the few manual changes (enrollment, override, eject, re-enrollment, revert) are, found through
the event log's index by kind. For attention rules, the latest session's values and the histories of the
``number_list`` metrics those rules read are taken out of the JSON by the database itself; the latest
session's ``weight_fraction`` is computed from the recorded weights when the session did not give it, as
the trainer reads it (:mod:`.weights`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from ..core.progress import (
    APPLIED,
    EJECT,
    ENROLLED,
    MIGRATED,
    OVERRIDE,
    REENROLL,
    REVERT,
    HistoryEvent,
    Run,
    runs_of,
    stage_order,
)
from ..core.trainer import SubjectState
from . import versions as version_ops
from . import weights
from .context import Loaded, StoreContext, utc
from .errors import NotFound
from .records import CurriculumVersion
from .schema import events as ev_t
from .schema import metrics_sessions as ms_t
from .schema import subjects as sub_t

MANUAL_KINDS = (ENROLLED, OVERRIDE, EJECT, REENROLL, REVERT, MIGRATED)
IN_CHUNK = 900


@dataclass(slots=True)
class SubjectHistory:
    """One subject as attention and statistics see it. ``latest``: its latest session's values;
    ``series``: each ``number_list`` metric an attention rule reads, one value per session (oldest first)."""

    subject: str
    version_id: int
    curriculum: str  # the name of its curriculum
    state: SubjectState
    events: list[HistoryEvent] = field(default_factory=list)
    session_days: dict[str, date] = field(default_factory=dict)
    latest: dict[str, Any] = field(default_factory=dict)
    series: dict[str, list[Any]] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)

    @property
    def last_session(self) -> date | None:
        return max(self.session_days.values(), default=None)


def published(ws: StoreContext) -> list[CurriculumVersion]:
    return version_ops.versions(ws)


def latest_version(ws: StoreContext, name: str) -> Loaded:
    """The latest published version of the curriculum ``name`` (its stages and their order are shown)."""
    found = [v for v in published(ws) if v.name == name]
    if not found:
        raise NotFound(f"no published curriculum {name!r} in {ws.where}")
    return ws.loaded(found[-1].id)


def _json_member(ws: StoreContext, column: Any, key: str) -> Any:
    """``column`` 's JSON member ``key``, worked out by the database (SQLite: a number, or a list as JSON
    text; PostgreSQL: the JSON value)."""
    if ws.engine.dialect.name == "postgresql":
        return sa.cast(column, postgresql.JSON)[key]
    return sa.func.json_extract(column, '$."' + key.replace('"', "") + '"')


def _value(value: Any) -> Any:
    """A JSON member as read back: SQLite gives a list (or an object) as its JSON text."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _rows(conn: Connection, query: Any) -> list[tuple[Any, ...]]:
    """All rows as plain tuples (the driver's own, without the per-row cost of result objects: this reads
    every session of a cohort)."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        params = compiled.params
        if compiled.positional:
            cursor.execute(str(compiled), tuple(params[name] for name in compiled.positiontup or ()))
        else:
            cursor.execute(str(compiled), params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _list_metrics_read(ws: StoreContext, version_ids: Iterable[int]) -> list[str]:
    """The ``number_list`` metrics any attention rule of these versions reads."""
    names: dict[str, None] = {}
    for vid in version_ids:
        loaded = ws.loaded(vid)
        for rule in loaded.trainer.attention_rules.rules:
            names.update(dict.fromkeys(sorted(rule.metrics_read & loaded.list_metrics)))
    return list(names)


def read_histories(
    ws: StoreContext, curriculum: str | None = None, *, with_values: bool = True
) -> list[SubjectHistory]:
    """Every subject (of ``curriculum``, by name, when given), sorted by id, with its changes, its
    sessions, its runs of stage visits and (``with_values``) what its attention rules read."""
    names = {v.id: v.name for v in published(ws)}
    wanted = None if curriculum is None else {vid for vid, name in names.items() if name == curriculum}
    series = _list_metrics_read(ws, wanted if wanted is not None else names) if with_values else []
    subjects_q = sa.select(sub_t.c.id, sub_t.c.subject_id, sub_t.c.curriculum_version_id, sub_t.c.state_json)
    events_q = sa.select(
        ev_t.c.subject_pk, ev_t.c.id, ev_t.c.kind, ev_t.c.at, ev_t.c.curriculum_version_id, ev_t.c.data_json
    ).where(ev_t.c.kind.in_(MANUAL_KINDS), ev_t.c.subject_pk.is_not(None))
    # Dates as the driver gives them (parsed once per distinct day below); unordered, because a plain scan
    # is twice as fast as walking the index: sorted by subject, date and import order below.
    sessions_q = sa.select(
        ms_t.c.subject_pk,
        sa.type_coerce(ms_t.c.session_date, sa.String),
        ms_t.c.id,
        ms_t.c.session_id,
        ms_t.c.consumed_by,
        ms_t.c.stage_after,
        *(_json_member(ws, ms_t.c.values_json, name) for name in series),
    )
    loads = json.loads
    out: dict[int, SubjectHistory] = {}
    with ws.read() as conn:
        for pk, subject, vid, state_json in conn.execute(subjects_q).all():
            if wanted is None or vid in wanted:
                state = SubjectState.from_json(loads(state_json))
                out[pk] = SubjectHistory(subject, vid, names.get(vid, ""), state)
        for pk, event_id, kind, at, vid, data_json in conn.execute(events_q).all():
            if pk in out:
                out[pk].events.append(_manual_event(event_id, kind, at, vid, loads(data_json)))
        latest = _read_and_group(out, _rows(conn, sessions_q), series)
        if with_values:
            for start in range(0, len(latest), IN_CHUNK):
                chunk = latest[start : start + IN_CHUNK]
                query = sa.select(
                    ms_t.c.id, ms_t.c.subject_pk, ms_t.c.session_id, ms_t.c.session_date, ms_t.c.values_json
                ).where(ms_t.c.id.in_(chunk))
                rows = conn.execute(query).all()
                fractions = weights.session_fractions(conn, rows)  # as the trainer reads the session
                for row in rows:
                    out[row.subject_pk].latest = weights.with_fraction(
                        loads(row.values_json), fractions.get(row.id)
                    )
    orders: dict[str, dict[str, int]] = {}
    for history in out.values():
        order = orders.get(history.curriculum)
        if order is None:
            order = orders[history.curriculum] = stage_order(
                latest_version(ws, history.curriculum).curriculum
            )
        history.runs = runs_of(history.subject, history.events, history.session_days, order)
    return sorted(out.values(), key=lambda h: h.subject)


def _manual_event(event_id: int, kind: str, at: Any, vid: int | None, data: dict[str, Any]) -> HistoryEvent:
    after = data.get("after") or {}
    return HistoryEvent(
        event_id,
        kind,
        utc(at).date(),
        vid if vid is not None else data.get("after_version"),
        after.get("stage_id"),
        bool(after.get("is_on_curriculum", True)),
        reverts=data.get("reverts"),
    )


def _read_and_group(
    out: dict[int, SubjectHistory], sessions: list[tuple[Any, ...]], series: list[str]
) -> list[int]:
    """Fill each subject's session days, metric series and trainer steps from its sessions; returns each
    subject's latest session id. Sessions go by date, then import order, as the trainer takes them."""
    by_subject: dict[int, list[tuple[Any, ...]]] = {}
    for row in sessions:  # (in import order, mostly: each subject's sort below is nearly free)
        group = by_subject.get(row[0])
        if group is None:
            group = by_subject[row[0]] = []
        group.append(row)
    days: dict[Any, date] = {}
    latest = []
    by_date = itemgetter(1, 2)
    for pk, history in out.items():
        rows = by_subject.get(pk, [])
        rows.sort(key=by_date)
        evaluated = []
        session_days = history.session_days
        for row in rows:
            day = days.get(row[1])
            if day is None:
                day = days[row[1]] = (
                    row[1] if isinstance(row[1], date) else date.fromisoformat(str(row[1])[:10])
                )
            session_days[row[3]] = day
            if row[4] is not None:
                evaluated.append((row[4], row[3], row[5], day))
        for i, name in enumerate(series, 6):
            history.series[name] = [_value(row[i]) for row in rows]
        if rows:
            latest.append(rows[-1][2])
        history.events = _with_trainer_steps(sorted(history.events, key=lambda e: e.id), evaluated)
    return latest


def _with_trainer_steps(
    manual: list[HistoryEvent], sessions: list[tuple[int, str, str | None, date]]
) -> list[HistoryEvent]:
    """The manual changes with the trainer's steps between them: one applied step per stretch of sessions
    consumed by applied events between two manual changes. ``sessions``: (consuming event, session,
    stage after it, day); those a re-enrollment set aside (consumed by it) were never evaluated."""
    if not sessions:
        return manual
    ids = {e.id for e in manual}
    sessions = sorted((s for s in sessions if s[0] not in ids), key=itemgetter(0))
    out: list[HistoryEvent] = []
    i = 0
    for event in [*manual, None]:
        stretch = []
        while i < len(sessions) and (event is None or sessions[i][0] < event.id):
            stretch.append(sessions[i])
            i += 1
        if stretch:
            last = stretch[-1]
            steps = tuple((s[1], s[2]) for s in stretch)
            out.append(HistoryEvent(last[0], APPLIED, last[3], None, last[2], True, steps))
        if event is not None:
            out.append(event)
    return out
