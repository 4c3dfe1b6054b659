"""Every subject's way through its curriculum, read for attention and stage statistics in a few queries.

The trainer's steps come from the sessions: each evaluated session keeps the applied event that consumed
it and the stage it left the subject on (``stage_after``), so the applied events' large "why" is never
read; only the few manual changes (enrollment, override, eject, re-enrollment, revert) are, found through
the event log's index by kind. For attention rules, the latest session's values are read (its
``weight_fraction`` computed from the recorded weights when the session did not give it, as the trainer
reads it: :mod:`.weights`), and the histories of the ``number_list`` metrics those rules read come from each
subject's running history (:mod:`.histories`) with only its pending sessions added, exactly as the trainer
reads them; a stale running history (or a session imported late) is rebuilt from that subject's sessions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..core.histories import add_session, replay
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
from . import histories, weights
from . import versions as version_ops
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
    ``series``: the history of each ``number_list`` metric an attention rule reads, over all its sessions
    (oldest first, a gap as None), as the trainer reads it."""

    subject: str
    version_id: int
    curriculum: str  # the name of its curriculum
    state: SubjectState
    row_version: int = 0
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


def _rows(conn: Connection, query: Any) -> list[tuple[Any, ...]]:
    """All rows as plain tuples (the driver's own, without the per-row cost of result objects: this reads
    every session of a cohort)."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    driver_error = conn.dialect.loaded_dbapi.Error
    params = compiled.params
    try:
        if compiled.positional:
            cursor.execute(str(compiled), tuple(params[name] for name in compiled.positiontup or ()))
        else:
            cursor.execute(str(compiled), params)
        return cursor.fetchall()
    except driver_error as e:  # as SQLAlchemy would raise it: one line from ``read()`` (a damaged file)
        raise sa.exc.DBAPIError.instance(str(compiled), params, e, driver_error, dialect=conn.dialect) from e
    finally:
        cursor.close()


def _list_metrics_read(ws: StoreContext, version_id: int) -> frozenset[str]:
    """The ``number_list`` metrics an attention rule of this version reads."""
    loaded = ws.loaded(version_id)
    return frozenset(
        name
        for rule in loaded.trainer.attention_rules.rules
        for name in rule.metrics_read & loaded.list_metrics
    )


def read_histories(
    ws: StoreContext, curriculum: str | None = None, *, with_values: bool = True
) -> list[SubjectHistory]:
    """Every subject (of ``curriculum``, by name, when given), sorted by id, with its changes, its
    sessions, its runs of stage visits and (``with_values``) what its attention rules read."""
    names = {v.id: v.name for v in published(ws)}
    wanted = None if curriculum is None else {vid for vid, name in names.items() if name == curriculum}
    subjects_q = sa.select(
        sub_t.c.id, sub_t.c.subject_id, sub_t.c.curriculum_version_id, sub_t.c.state_json, sub_t.c.row_version
    )
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
    )
    loads = json.loads
    out: dict[int, SubjectHistory] = {}
    with ws.read() as conn:
        for pk, subject, vid, state_json, row_version in conn.execute(subjects_q).all():
            if wanted is None or vid in wanted:
                state = SubjectState.from_json(loads(state_json))
                out[pk] = SubjectHistory(subject, vid, names.get(vid, ""), state, row_version)
        for pk, event_id, kind, at, vid, data_json in conn.execute(events_q).all():
            if pk in out:
                out[pk].events.append(_manual_event(event_id, kind, at, vid, loads(data_json)))
        latest, pending = _read_and_group(out, _rows(conn, sessions_q))
        if with_values:
            _read_series(ws, conn, out, pending)
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
    out: dict[int, SubjectHistory], sessions: list[tuple[Any, ...]]
) -> tuple[list[int], dict[int, list[tuple[date, int]]]]:
    """Fill each subject's session days and trainer steps from its sessions; returns each subject's latest
    session id, and its pending sessions' keys (date, id) in order. Sessions go by date, then import
    order, as the trainer takes them."""
    by_subject: dict[int, list[tuple[Any, ...]]] = {}
    for row in sessions:  # (in import order, mostly: each subject's sort below is nearly free)
        group = by_subject.get(row[0])
        if group is None:
            group = by_subject[row[0]] = []
        group.append(row)
    days: dict[Any, date] = {}
    latest = []
    pending: dict[int, list[tuple[date, int]]] = {}
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
            else:
                pending.setdefault(pk, []).append((day, row[2]))
        if rows:
            latest.append(rows[-1][2])
        history.events = _with_trainer_steps(sorted(history.events, key=lambda e: e.id), evaluated)
    return latest, pending


def _read_series(
    ws: StoreContext,
    conn: Connection,
    out: dict[int, SubjectHistory],
    pending: dict[int, list[tuple[date, int]]],
) -> None:
    """Each subject's histories of the ``number_list`` metrics its attention rules read (none read: no
    query): its running history, kept up to date by every apply, with its pending sessions added; a
    running history that does not carry on (stale, or a session imported late) is rebuilt from all the
    subject's sessions, as the evaluation does. Off-curriculum subjects are never checked: not read."""
    wanted: dict[int, frozenset[str]] = {}
    read_by_version: dict[int, frozenset[str]] = {}
    for pk, history in out.items():
        if not history.state.is_on_curriculum:
            continue
        names = read_by_version.get(history.version_id)
        if names is None:
            names = read_by_version[history.version_id] = _list_metrics_read(ws, history.version_id)
        if names:
            wanted[pk] = names
    if not wanted:
        return
    running = histories.load(conn, list(wanted))
    carried: dict[int, dict[str, list[Any]]] = {}
    rebuild: list[int] = []
    for pk, names in wanted.items():
        found = running.get(pk)
        first = pending[pk][0] if pk in pending else None
        loaded = ws.loaded(out[pk].version_id)
        if found is not None and found.carries_on(out[pk].row_version, loaded.list_metrics, first):
            kept = found.packed.lists()
            carried[pk] = {name: kept[name] for name in sorted(names)}
        else:
            rebuild.append(pk)
    # The pending sessions of the subjects carried on (only those: few), then every session of the rest.
    new = [session for pk in carried for _day, session in pending.get(pk, ())]
    values: dict[int, Any] = {}
    for start in range(0, len(new), IN_CHUNK):
        query = sa.select(ms_t.c.id, ms_t.c.values_json).where(ms_t.c.id.in_(new[start : start + IN_CHUNK]))
        values.update(conn.execute(query).all())
    loads = json.loads
    for pk, series in carried.items():
        for _day, session in pending.get(pk, ()):
            add_session(series, loads(values[session]))
        out[pk].series = series
    query = sa.select(ms_t.c.subject_pk, ms_t.c.values_json).order_by(
        ms_t.c.subject_pk, ms_t.c.session_date, ms_t.c.id
    )
    for start in range(0, len(rebuild), IN_CHUNK):
        chunk = rebuild[start : start + IN_CHUNK]
        by_subject: dict[int, list[Any]] = {pk: [] for pk in chunk}
        for pk, text in conn.execute(query.where(ms_t.c.subject_pk.in_(chunk))):
            by_subject[pk].append(loads(text))
        for pk, sessions in by_subject.items():
            out[pk].series = replay(wanted[pk], sessions)


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
