"""The recorded histories a what-if replay runs over, read from the store in three queries.

Each subject's sessions (with when they were imported, so a session imported late is seen as the trainer
saw it) and its position events become a :class:`~curriculum_gui.core.replay.SubjectHistory`; the
replay itself is pure (:mod:`curriculum_gui.core.replay`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import date, datetime
from typing import Any

import orjson
import sqlalchemy as sa

from ..core.gc_pause import gc_paused
from ..core.migration import Mapping as IdMapping
from ..core.migration import MigrationError, names_something, parse_mapping, split_entry
from ..core.model import Curriculum
from ..core.replay import RecordedChange, RecordedSession, Replay, ReplayResult, SubjectHistory
from ..core.trainer import SubjectState
from .context import StoreContext, fetch_tuples
from .errors import NotFound, StoreError
from .json_text import large_float_in, loads
from .records import APPLIED, POSITION_KINDS
from .schema import events as ev_t
from .schema import metrics_sessions as ms_t
from .schema import subjects as sub_t
from .subject_events import subject_events

IN_LIMIT = 900  # more subjects than this: read everyone's rows and keep the wanted ones


def replay(
    ctx: StoreContext,
    curriculum: Curriculum,
    subjects: Sequence[str] | None = None,
    mapping: Sequence[str] = (),
    include_manual: bool = True,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    shortcut: bool = True,
) -> ReplayResult:
    """Replay ``curriculum`` over the recorded histories of ``subjects`` (default: every subject now on a
    version of a curriculum of the same name; a subject asked for by id is replayed whatever it is on,
    through ``mapping``, or skipped with the reason)."""
    with gc_paused():  # a lab's whole history in memory at once: see core/gc_pause.py
        histories, versions = read_histories(ctx, curriculum.name, subjects)
        id_mapping = _mapping(mapping, versions, curriculum)
        engine = Replay(curriculum, versions, id_mapping, include_manual, ctx.python_rules, shortcut)
        total = len(histories)
        return engine.run(
            histories,
            progress=(lambda done: progress(done, total)) if progress is not None else None,
            cancelled=cancelled,
        )


def _mapping(entries: Sequence[str], versions: dict[Hashable, Curriculum], target: Curriculum) -> IdMapping:
    """``OLD=NEW`` entries resolved in every version they name something in, merged."""
    stages: dict[str, str] = {}
    policies: dict[tuple[str, str], str] = {}
    for entry in entries:
        try:
            split_entry(entry)
        except MigrationError as exc:
            raise StoreError(str(exc)) from None
        used = False
        for source in versions.values():
            if not names_something(entry, source):
                continue
            try:
                found = parse_mapping([entry], source, target)
            except MigrationError as exc:
                raise StoreError(str(exc)) from None
            stages.update(found.stages)
            policies.update(found.policies)
            used = True
        if not used:
            raise StoreError(f"--map {entry!r}: names nothing in the versions these subjects were on")
    return IdMapping(stages, policies)


def read_histories(
    ctx: StoreContext, name: str, subjects: Sequence[str] | None
) -> tuple[list[SubjectHistory], dict[Hashable, Curriculum]]:
    """``(histories, versions)``: the histories to replay and every version they were on."""
    wanted = set(subjects) if subjects is not None else None
    subject_q = sa.select(sub_t.c.id, sub_t.c.subject_id, sub_t.c.curriculum_version_id).order_by(
        sub_t.c.subject_id
    )
    if wanted is not None and len(wanted) <= IN_LIMIT:
        subject_q = subject_q.where(sub_t.c.subject_id.in_(sorted(wanted)))
    with ctx.read() as conn:
        rows = [r for r in conn.execute(subject_q) if wanted is None or r.subject_id in wanted]
        if wanted is not None:
            missing = sorted(wanted - {r.subject_id for r in rows})
            if missing:
                raise NotFound(f"no subject {missing[0]!r} in {ctx.where}")
        chosen: list[Any] = []
        for row in rows:
            record = ctx.loaded(row.curriculum_version_id).record
            if record.name == name or wanted is not None:
                chosen.append(row)
        pks = {r.id: r.subject_id for r in chosen}
        # Dates and times as the driver gives them (SQLite: ISO text, parsed below in C), not through
        # SQLAlchemy's per-value converters: a lab's whole history is hundreds of thousands of rows.
        sessions_q = sa.select(
            ms_t.c.subject_pk,
            ms_t.c.session_id,
            sa.type_coerce(ms_t.c.session_date, sa.String),
            ms_t.c.values_json,
            sa.type_coerce(ms_t.c.imported_at, sa.String),
        ).order_by(ms_t.c.subject_pk, ms_t.c.session_date, ms_t.c.id)
        few = len(pks) <= IN_LIMIT
        events_q = subject_events(
            ev_t.c.subject_pk,
            ev_t.c.id,
            ev_t.c.kind,
            ev_t.c.curriculum_version_id,
            sa.type_coerce(ev_t.c.at, sa.String),
            ev_t.c.data_json,
            pks=list(pks) if few else None,
            kinds=POSITION_KINDS,
        )
        if few:
            sessions_q = sessions_q.where(ms_t.c.subject_pk.in_(list(pks)))
        sessions: dict[int, list[RecordedSession]] = {}
        new, day_of = tuple.__new__, date.fromisoformat
        for pk, session_id, day, values_json, imported_at in fetch_tuples(conn, sessions_q):
            if pk in pks:
                sessions.setdefault(pk, []).append(
                    new(
                        RecordedSession,
                        (
                            session_id,
                            day_of(day) if isinstance(day, str) else day,
                            loads(values_json),
                            _when(imported_at),
                        ),
                    )
                )
        changes: dict[int, list[RecordedChange]] = {}
        version_ids: set[int] = set()
        for pk, event_id, kind, version_id, at, data_json in fetch_tuples(conn, events_q):
            if pk in pks:
                changes.setdefault(pk, []).append(_change(event_id, kind, version_id, at, data_json))
                version_ids.add(version_id)
    versions: dict[Hashable, Curriculum] = {v: ctx.loaded(v).curriculum for v in version_ids}
    histories = [
        SubjectHistory(subject, tuple(sessions.get(pk, ())), tuple(changes.get(pk, ())))
        for pk, subject in pks.items()
    ]
    return histories, versions


def _when(value: Any) -> datetime | None:
    """A time as the driver gives it: ISO text (SQLite: naive UTC, as written) or a datetime (PostgreSQL,
    aware). The replay only compares these with each other, so they are left naive or aware."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _state(data: dict[str, Any]) -> SubjectState:
    # tuple.__new__: a hundred thousand of these in a replay (SubjectState's own __new__ checks defaults)
    return tuple.__new__(
        SubjectState,
        (
            data.get("stage_id"),
            tuple(data.get("active_policies", ())),
            data.get("parameters") or {},
            data.get("is_on_curriculum", True),
            data.get("sessions_total", 0),
            data.get("sessions_in_stage", 0),
            data.get("sessions_in_policy") or {},
        ),
    )


AFTER = ',"after":'
NEXT = ',"before_stage":'
SESSIONS = ',"sessions":'
WHY = ',"why":'


def _applied(
    event_id: int, version_id: int, at: Any, text: str, _loads: Any = orjson.loads
) -> RecordedChange | None:
    """An applied event of one session, read without parsing the rest of its text: the state after, the
    session, and the why's text (last: every value each rule read; parsed only where reality and the
    what-if part). Each value is the text from its key to the first place the key the store writes next
    starts; a JSON value is never a proper prefix of another, so where that place is inside the value (a
    nested key of the same name) the slice does not parse. None for anything unusual: then the whole text
    is parsed. (A hundred thousand of these in a replay: one function, tuples built directly.)"""
    start = text.find(AFTER)
    end = text.find(NEXT, start)
    at_sessions = text.find(SESSIONS, end)
    close = text.find("],", at_sessions)
    cut = text.find(WHY, close)
    if min(start, end, at_sessions, close, cut) < 0 or not text.endswith("}"):
        return None
    try:
        after = _loads(text[start + len(AFTER) : end])
        sessions = _loads(text[at_sessions + len(SESSIONS) : close + 1])
    except ValueError:
        return None
    if type(after) is not dict or "stage_id" not in after or type(sessions) is not list or len(sessions) != 1:
        return None
    if type(sessions[0]) is not str or large_float_in(after.get("parameters")):  # see json_text
        return None
    state = _state(after)
    return tuple.__new__(
        RecordedChange,
        (
            event_id,
            APPLIED,
            version_id,
            state,
            _when(at),
            (sessions[0],),
            (state.stage_id,),
            (),
            None,
            False,
            text[cut + len(WHY) : -1],
        ),
    )


def _change(event_id: int, kind: str, version_id: int, at: Any, text: str) -> RecordedChange:
    fast = _applied(event_id, version_id, at, text) if kind == APPLIED else None
    if fast is not None:  # the usual case: one session a day
        return fast
    at = _when(at)
    data = loads(text)
    after = _state(data.get("after") or {})
    if kind != APPLIED:
        return RecordedChange(
            event_id,
            kind,
            version_id,
            after,
            at,
            reverts=data.get("reverts"),
            parameters_given=bool(data.get("parameters_given")),
        )
    sessions = tuple(data.get("sessions") or ())
    why = tuple(data.get("why") or ())
    # The stage after each session: a batch may move a subject through several stages.
    fired = {
        c.get("session"): c.get("destination_id")
        for c in why
        if c.get("kind") == "stage_transition" and c.get("fired")
    }
    stage = (data.get("before") or {}).get("stage_id")
    stages = []
    for session in sessions:
        stage = fired.get(session, stage)
        stages.append(stage)
    return RecordedChange(event_id, kind, version_id, after, at, sessions, tuple(stages), why)
