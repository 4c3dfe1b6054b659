"""Registering subjects, listing them fast, their history and what their next session runs."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..core.text import text_problem
from ..core.trainer import SubjectState, TrainerError
from ..core.weights import WEIGHT_FRACTION, check_grams
from . import histories
from .context import (
    StoreContext,
    dumps,
    fetch_tuples,
    now,
    operator_name,
    subject_row,
    utc,
    without_collector,
)
from .errors import ConflictError, StoreError
from .json_text import loads
from .records import (
    BATCH_KINDS,
    ENROLLED,
    MANUAL,
    POSITION_KINDS,
    Event,
    MetricsSession,
    PositionEvent,
    SubjectInfo,
    SubjectRow,
    position_event,
    position_summary,
    summary_text,
)
from .schema import event_positions as ep_t
from .schema import events as ev_t
from .schema import metrics_sessions as ms_t
from .schema import subjects as sub_t
from .subject_events import subject_events

MAX_ID = 200


def register(
    ws: StoreContext,
    subjects: Sequence[SubjectInfo | str],
    version_id: int,
    start_stage: str | None,
    operator: str | None,
    at: datetime | None = None,
) -> int:
    infos = [s if isinstance(s, SubjectInfo) else SubjectInfo(s) for s in subjects]
    seen: set[str] = set()
    for info in infos:
        sid = info.subject
        if not sid or sid != sid.strip() or len(sid) > MAX_ID:
            raise StoreError(f"subject id {sid!r} must be 1 to {MAX_ID} characters without spaces around")
        problem = text_problem(sid, identifier=True)
        if problem is not None:
            raise StoreError(f"subject id {sid!r} {problem}: nothing was registered")
        for field in ("sex", "genotype", "rig", "notes"):
            value = getattr(info, field)
            problem = None if value is None else text_problem(value)
            if problem is not None:
                raise StoreError(f"subject {sid!r}: {field} {value!r} {problem}: nothing was registered")
        if sid in seen:
            raise StoreError(f"subject {sid!r} is listed twice")
        seen.add(sid)
    loaded = ws.loaded(version_id)
    try:
        stage_id = loaded.trainer.stage_id_for(start_stage) if start_stage else None
        state = loaded.trainer.enroll(stage_id)
    except TrainerError as exc:
        raise StoreError(f"cannot enroll on {loaded.record.label}: {exc}") from None
    operator = operator_name(operator)
    at = at or now()
    state_json = dumps(state.to_json())
    stage_name = loaded.trainer.stage_name(state.stage_id)
    with ws.write() as conn:
        taken = _existing(conn, [i.subject for i in infos])
        if taken:
            shown = ", ".join(repr(t) for t in taken[:5]) + (" ..." if len(taken) > 5 else "")
            raise ConflictError(f"already registered in {ws.where}: {shown}; nothing was registered", taken)
        if not infos:
            return 0
        pks = (
            conn.execute(
                sa.insert(sub_t).returning(sub_t.c.id, sort_by_parameter_order=True),
                [
                    {
                        "subject_id": i.subject,
                        "sex": i.sex,
                        "date_of_birth": i.date_of_birth,
                        "genotype": i.genotype,
                        "rig": i.rig,
                        "notes": i.notes,
                        "baseline_weight_g": _baseline(i),
                        "curriculum_version_id": version_id,
                        "state_json": state_json,
                        "stage_id": state.stage_id,
                        "on_curriculum": True,
                        "last_change": ENROLLED,
                        "row_version": 1,
                        "created_at": at,
                        "updated_at": at,
                    }
                    for i in infos
                ],
            )
            .scalars()
            .all()
        )
        enrolled = {"after": state.to_json(), "after_stage": stage_name, "curriculum": loaded.record.label}
        data = dumps(enrolled)
        summary = summary_text(position_summary(ENROLLED, enrolled))
        conn.execute(
            sa.insert(ev_t),
            [
                {
                    "subject_pk": pk,
                    "curriculum_version_id": version_id,
                    "kind": ENROLLED,
                    "at": at,
                    "operator": operator,
                    "reason": None,
                    "batch": None,
                    "data_json": data,
                    "position_summary": summary,
                }
                for pk in pks
            ],
        )
        # Nothing evaluated yet: an empty running history, so the first evaluation carries it on.
        empty = histories.Running(1, 0, None, histories.Packed.of({n: [] for n in loaded.list_metrics}))
        histories.save(conn, dict.fromkeys(pks, empty), fresh=True)
    return len(infos)


def _baseline(info: SubjectInfo) -> float | None:
    if info.baseline_weight_g is None:
        return None
    try:
        return check_grams(info.baseline_weight_g, f"the baseline weight of {info.subject!r}")
    except ValueError as exc:
        raise StoreError(str(exc)) from None


def _existing(conn: Connection, ids: list[str]) -> list[str]:
    found: list[str] = []
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        found += conn.execute(sa.select(sub_t.c.subject_id).where(sub_t.c.subject_id.in_(chunk))).scalars()
    return sorted(found)


@without_collector  # with a cohort's suggestions in memory, the collector's passes took as long as the read
def list_subjects(ws: StoreContext, only: Sequence[str] | None) -> list[SubjectRow]:
    # Read through indexes, whatever the archive holds: each subject's last session date is the end of
    # its (subject, date) index range, and the pending sessions are the few not yet consumed.
    last_date = (
        sa.select(sa.func.max(ms_t.c.session_date))
        .where(ms_t.c.subject_pk == sub_t.c.id)
        .scalar_subquery()
        .label("last_date")
    )
    pending = (
        sa.select(ms_t.c.subject_pk, sa.func.count().label("pending"))
        .where(ms_t.c.consumed_by.is_(None))
        .group_by(ms_t.c.subject_pk)
        .subquery()
    )
    query = (
        sa.select(
            sub_t.c.subject_id,
            sub_t.c.curriculum_version_id,
            sub_t.c.state_json,
            sub_t.c.on_curriculum,
            sub_t.c.last_change,
            sub_t.c.row_version,
            sub_t.c.sex,
            sub_t.c.date_of_birth,
            sub_t.c.genotype,
            sub_t.c.rig,
            sub_t.c.notes,
            sub_t.c.baseline_weight_g,
            last_date,
            pending.c.pending,
        )
        .outerjoin(pending, pending.c.subject_pk == sub_t.c.id)
        .order_by(sub_t.c.subject_id)
    )
    if only is not None:
        query = query.where(sub_t.c.subject_id.in_(list(only)))
    with ws.read() as conn:
        rows = conn.execute(query).all()
    out = []
    names: dict[tuple[int, str | None], tuple[str | None, dict[str, str]]] = {}
    for (
        sid,
        vid,
        state_json,
        on,
        change,
        version,
        sex,
        dob,
        genotype,
        rig,
        notes,
        baseline,
        last,
        pending,
    ) in rows:
        loaded = ws.loaded(vid)
        state = loads(state_json)
        stage_id = state.get("stage_id")
        key = (vid, stage_id)
        stage_names = names.get(key)
        if stage_names is None:
            stage = loaded.curriculum.stage(stage_id) if stage_id else None
            policy_names = {p.id: p.name for p in stage.policies} if stage else {}
            stage_names = names[key] = (stage.name if stage else stage_id, policy_names)
        stage_name, policy_names = stage_names
        record = loaded.record
        out.append(
            SubjectRow(
                sid,
                record.name,
                record.version,
                vid,
                stage_id,
                stage_name,
                tuple(policy_names.get(p, p) for p in state.get("active_policies", ())),
                state.get("parameters", {}),
                _date(last),
                state.get("sessions_in_stage", 0),
                state.get("sessions_total", 0),
                bool(on),
                pending or 0,
                change,
                version,
                sex,
                _date(dob),
                genotype,
                rig,
                notes,
                baseline,
            )
        )
    return out


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@without_collector  # 500 events: one pass of the collector over a large cohort took 90 ms, the read 16
def history(ws: StoreContext, subject: str) -> list[Event]:
    with ws.read() as conn:
        pk = subject_row(conn, subject, ws.where).id
        rows = conn.execute(subject_events(*ev_t.c, pks=[pk])).all()
    return [
        Event(r.id, subject, r.kind, utc(r.at), r.operator, r.reason, r.batch, loads(r.data_json))
        for r in rows
    ]


def batch_subjects(ws: StoreContext, batch: str) -> list[str]:
    query = (
        sa.select(sub_t.c.subject_id)
        .join(ev_t, ev_t.c.subject_pk == sub_t.c.id)
        .where(ev_t.c.batch == batch, ev_t.c.kind.in_(BATCH_KINDS))
        .distinct()
        .order_by(sub_t.c.subject_id)
    )
    with ws.read() as conn:
        return list(conn.execute(query).scalars())


@without_collector
def sessions(ws: StoreContext, subject: str) -> list[MetricsSession]:
    from . import weights  # the computed weight_fraction, as the trainer reads it

    query = (
        sa.select(
            ms_t.c.id,
            ms_t.c.subject_pk,
            ms_t.c.session_id,
            ms_t.c.session_date,
            ms_t.c.values_json,
            ms_t.c.consumed_by,
        )
        .where(ms_t.c.subject_pk == sa.bindparam("pk"))
        .order_by(ms_t.c.session_date, ms_t.c.id)  # same date: import order, as the trainer takes them
    )
    with ws.read() as conn:
        found = subject_row(conn, subject, ws.where)
        rows = conn.execute(query, {"pk": found.id}).all()
        declared = ws.curriculum(found.curriculum_version_id).metric(WEIGHT_FRACTION) is not None
        fractions = weights.session_fractions(conn, rows) if declared else {}
    return [
        MetricsSession(
            r.session_id,
            _date(r.session_date),
            weights.with_fraction(loads(r.values_json), fractions.get(r.id)),
            r.consumed_by is not None,
        )
        for r in rows
    ]


IN_LIMIT = 900  # more subjects than this: read every subject's events and keep the wanted ones


@without_collector
def position_events(ws: StoreContext, only: Sequence[str] | None) -> dict[str, list[PositionEvent]]:
    # From the narrow copy the trigger keeps (see schema); an event without a summary (its writer kept
    # none) is read from its data. A few subjects: their rows by subject key, read through its index
    # (given as a join on their names, PostgreSQL would scan the whole table).
    wanted = set(only) if only is not None else None
    columns = (ep_t.c.event_id, ep_t.c.kind, ep_t.c.batch, ep_t.c.summary)
    if wanted is not None and len(wanted) <= IN_LIMIT:
        with ws.read() as conn:
            chosen = sa.select(sub_t.c.id, sub_t.c.subject_id).where(sub_t.c.subject_id.in_(sorted(wanted)))
            names: dict[int, str] | None = {pk: name for pk, name in conn.execute(chosen)}
        query = (
            sa.select(ep_t.c.subject_pk, *columns)
            .where(ep_t.c.subject_pk.in_(sorted(names)), ep_t.c.kind.in_(POSITION_KINDS))
            .order_by(ep_t.c.subject_pk, ep_t.c.event_id)
        )
        if not names:
            return {}
    else:
        names = None  # every subject: joined (the whole table is read anyway)
        query = (
            sa.select(sub_t.c.subject_id, *columns)
            .join(sub_t, sub_t.c.id == ep_t.c.subject_pk)
            .where(ep_t.c.kind.in_(POSITION_KINDS))
            .order_by(ep_t.c.subject_pk, ep_t.c.event_id)
        )
    with ws.read() as conn:
        rows = fetch_tuples(conn, query)  # tens of thousands of narrow rows: plain tuples
        if names is not None:
            rows = [(names[row[0]], *row[1:]) for row in rows]
        found = rows if wanted is None else [row for row in rows if row[0] in wanted]
        missing = [event_id for _, event_id, _, _, text in found if text is None]
        data: dict[int, str] = {}
        for start in range(0, len(missing), 500):
            chosen = missing[start : start + 500]
            data.update(
                conn.execute(sa.select(ev_t.c.id, ev_t.c.data_json).where(ev_t.c.id.in_(chosen))).all()
            )
    out: dict[str, list[PositionEvent]] = {}
    for subject, event_id, kind, batch, text in found:
        if text is None:
            text = summary_text(position_summary(kind, loads(data[event_id])))
            if text is None:
                continue
        out.setdefault(subject, []).append(position_event(kind, event_id, batch, text))
    return out


def next_session(ws: StoreContext, subject: str) -> dict[str, Any]:
    row = ws.subject(subject)
    curriculum = ws.curriculum(row.curriculum_version_id)
    stage = curriculum.stage(row.stage_id) if row.stage_id else None
    return {
        "subject": row.subject,
        "curriculum": row.curriculum,
        "curriculum_version": row.curriculum_version,
        "is_on_curriculum": row.on_curriculum,
        "stage": row.stage,
        "stage_id": row.stage_id,
        "task": stage.task.name if stage else None,
        "active_policies": list(row.policies),
        "task_parameters": row.parameters,
        "sessions_in_stage": row.sessions_in_stage,
        "sessions_total": row.sessions_total,
        "row_version": row.row_version,
    }


def trainer_state(ws: StoreContext, subject: str) -> dict[str, Any]:
    from ..core import aind_format

    with ws.read() as conn:
        row = subject_row(conn, subject, ws.where)
    state = SubjectState.from_json(json.loads(row.state_json))
    curriculum = ws.curriculum(row.curriculum_version_id)
    blocker = aind_format.trainer_state_blocker(curriculum)
    if blocker is not None:
        raise aind_format.AindExportError(f"{subject}: no aind TrainerState: {blocker}")
    return aind_format.trainer_state_to_data(curriculum, state)


def aind_blocker(ws: StoreContext, subject: str) -> str | None:
    """Why no aind TrainerState can be written for this subject (one short line), or None."""
    from ..core import aind_format

    with ws.read() as conn:
        row = subject_row(conn, subject, ws.where)
    return aind_format.trainer_state_blocker(ws.curriculum(row.curriculum_version_id))


def check_version(row: Any, expected_version: int | None, where: str) -> None:
    """ConflictError if the caller read the subject at another version than the database holds.

    Checked before anything else about the subject, so a stale caller always learns that someone else
    changed it (not, say, that it is now off curriculum)."""
    if expected_version is not None and expected_version != row.row_version:
        raise stale(row.subject_id, expected_version, row.row_version, where)


def write_state(
    conn: Connection,
    row: Any,
    expected_version: int | None,
    state: SubjectState,
    where: str,
    at: datetime,
    version_id: int | None = None,
    last_change: str = MANUAL,
) -> None:
    """Store a subject's new state if nobody changed it since ``expected_version`` (else ConflictError)."""
    check_version(row, expected_version, where)
    expected = row.row_version
    values: dict[str, Any] = {
        "state_json": dumps(state.to_json()),
        "stage_id": state.stage_id,
        "on_curriculum": state.is_on_curriculum,
        "last_change": last_change,
        "row_version": sub_t.c.row_version + 1,
        "updated_at": at,
    }
    if version_id is not None:
        values["curriculum_version_id"] = version_id
    done = conn.execute(
        sa.update(sub_t).where(sub_t.c.id == row.id, sub_t.c.row_version == expected).values(**values)
    )
    if done.rowcount != 1:
        current = conn.execute(sa.select(sub_t.c.row_version).where(sub_t.c.id == row.id)).scalar_one()
        raise stale(row.subject_id, expected, current, where)


GUARDED = {"b_pk": sa.Integer(), "b_version": sa.Integer(), "b_state": sa.Text(), "b_stage": sa.String(200)}
"""The values of each row of :func:`guarded_update` (for :func:`~.context.update_many`)."""


def guarded_update(
    at: datetime, last_change: str, value: Callable[[str], Any] = sa.bindparam, **values: Any
) -> sa.Update:
    """Many subjects' new states in one executemany (``b_pk``, ``b_version``, ``b_state``, ``b_stage`` per
    row, plus ``values``), each guarded by the row version read: fewer rows than given means someone else
    wrote meanwhile, and the caller rolls back. ``value``: see :func:`~.context.update_many`."""
    return (
        sa.update(sub_t)
        .where(sub_t.c.id == value("b_pk"), sub_t.c.row_version == value("b_version"))
        .values(
            state_json=value("b_state"),
            stage_id=value("b_stage"),
            last_change=last_change,
            row_version=sub_t.c.row_version + 1,
            updated_at=at,
            **values,
        )
    )


def stale(subject: str, expected: int, found: int, where: str) -> ConflictError:
    return ConflictError(
        f"subject {subject!r} was changed by someone else in {where} (version {found}, you had "
        f"{expected}): nothing was written; reload and try again",
        (subject,),
    )
