"""The trainer over the cohort: evaluate new sessions into suggestions, then apply them as one batch.

A session is *pending* until an applied suggestion (or a re-enrollment) consumes it. Evaluating runs the
trainer once per pending session, oldest first (by date, then import order), as aind does once per
session; it writes nothing. ``number_list`` metrics given one number per session are handed to the trainer
as a list, oldest first, of the values of every session already evaluated and of the pending ones up to
this one: a session imported late (dated before sessions already evaluated) still sees the whole history.
A session that gives the whole list itself is evaluated on that list.

Applying writes every subject's new state, its ``applied`` event (suggestion and why) and the consumed
sessions in one transaction, conflict-checked by row version: a subject changed since it was evaluated
makes the whole batch fail and nothing is written.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..core.trainer import SubjectState
from ..core.weights import WEIGHT_FRACTION
from . import weights
from .context import Loaded, Progress, StoreContext, default_operator, dumps, now, shown_names
from .errors import ConflictError
from .records import APPLIED, AUTOMATIC, EVALUATED, ApplyResult, Suggestion
from .schema import events as ev_t
from .schema import metrics_sessions as ms_t
from .schema import subjects as sub_t
from .subjects import guarded_update

CHUNK = 1000
PROGRESS_EVERY = 200  # subjects evaluated between progress reports
OFF_CURRICULUM = "off curriculum: not evaluated (re-enroll or override first)"


def evaluate(
    ws: StoreContext, only: Sequence[str] | None, progress: Progress | None = None
) -> list[Suggestion]:
    pending = sa.select(ms_t.c.subject_pk).where(ms_t.c.consumed_by.is_(None)).distinct()
    subjects_q = sa.select(
        sub_t.c.id, sub_t.c.subject_id, sub_t.c.curriculum_version_id, sub_t.c.state_json, sub_t.c.row_version
    ).where(sub_t.c.id.in_(pending))
    sessions_q = (
        sa.select(
            ms_t.c.subject_pk,
            ms_t.c.id,
            ms_t.c.session_id,
            ms_t.c.session_date,
            ms_t.c.values_json,
            ms_t.c.consumed_by,
        )
        .where(ms_t.c.subject_pk.in_(pending))
        .order_by(ms_t.c.subject_pk, ms_t.c.session_date, ms_t.c.id)  # same date: import order
    )
    wanted = set(only) if only is not None else None
    if wanted is not None and len(wanted) <= 500:
        chosen = sa.select(sub_t.c.id).where(sub_t.c.subject_id.in_(sorted(wanted)))
        subjects_q = subjects_q.where(sub_t.c.id.in_(chosen))
        sessions_q = sessions_q.where(ms_t.c.subject_pk.in_(chosen))
    with ws.read() as conn:
        subjects = conn.execute(subjects_q.order_by(sub_t.c.subject_id)).all()
        sessions: dict[int, list[Any]] = {}
        for row in conn.execute(sessions_q):
            sessions.setdefault(row.subject_pk, []).append(row)
        fractions = weights.session_fractions(conn, [r for rows in sessions.values() for r in rows])
    if wanted is not None:
        subjects = [row for row in subjects if row.subject_id in wanted]
    out = []
    total = len(subjects)
    for i, (pk, subject, version_id, state_json, row_version) in enumerate(subjects, 1):
        state = stored_state(state_json)
        if state.is_on_curriculum or wanted is not None:
            loaded = ws.loaded(version_id)
            out.append(_suggest(loaded, pk, subject, row_version, state, sessions.get(pk, []), fractions))
        if progress is not None and (i % PROGRESS_EVERY == 0 or i == total):
            progress(i, total)
    return out


def stored_state(text: str) -> SubjectState:
    """A state as the store wrote it (trusted: no re-validation, which costs more than the trainer)."""
    d = json.loads(text)
    return SubjectState(
        d["stage_id"],
        tuple(d["active_policies"]),
        d["parameters"],
        d["is_on_curriculum"],
        d["sessions_total"],
        d["sessions_in_stage"],
        d["sessions_in_policy"],
    )


def state_text(state: SubjectState) -> str:
    """``dumps(state.to_json())`` without the defensive deep copy."""
    return dumps(
        {
            "stage_id": state.stage_id,
            "active_policies": list(state.active_policies),
            "parameters": state.parameters,
            "is_on_curriculum": state.is_on_curriculum,
            "sessions_total": state.sessions_total,
            "sessions_in_stage": state.sessions_in_stage,
            "sessions_in_policy": state.sessions_in_policy,
        }
    )


def _suggest(
    loaded: Loaded,
    pk: int,
    subject: str,
    row_version: int,
    current: SubjectState,
    sessions: list[Any],
    fractions: dict[int, float] | None = None,
) -> Suggestion:
    """``sessions``: all of the subject's, evaluated or not, by date then import order; ``fractions``:
    the ``weight_fraction`` of sessions by row id (computed from the weights, see :mod:`.weights`)."""
    trainer = loaded.trainer
    history: dict[str, list[Any]] = {name: [] for name in loaded.list_metrics}  # sessions up to this one
    state = current
    done: list[tuple[str, int]] = []
    evaluations = []
    error = None if current.is_on_curriculum else OFF_CURRICULUM
    values_of = [json.loads(session.values_json) for session in sessions]
    if fractions and loaded.curriculum.metric(WEIGHT_FRACTION) is not None:
        values_of = [
            weights.with_fraction(v, fractions.get(s.id)) for s, v in zip(sessions, values_of, strict=True)
        ]
    for i, session in enumerate(sessions):
        values = values_of[i]
        _add_values(history, values)
        if session.consumed_by is not None or error is not None:
            continue
        # A session imported late: the sessions already evaluated, dated after it, are history too.
        later = [
            v for s, v in zip(sessions[i + 1 :], values_of[i + 1 :], strict=True) if s.consumed_by is not None
        ]
        seen = history
        if later and history:
            seen = {name: list(series) for name, series in history.items()}
            for more in later:
                _add_values(seen, more)
        metrics = dict(values)
        for name, series in seen.items():
            own = values.get(name)
            metrics[name] = own if isinstance(own, list) else list(series)
        evaluation = trainer.evaluate(state, metrics)
        evaluations.append((session.session_id, evaluation))
        if evaluation.error:
            error = f"session {session.session_id!r}: {evaluation.message}"
            break
        state = evaluation.state
        done.append((session.session_id, session.id))
    if error is not None:
        state, done = current, []
    before, after = current.parameters, state.parameters
    changes = (
        {}
        if before == after
        else {k: (before.get(k), after.get(k)) for k in {**before, **after} if before.get(k) != after.get(k)}
    )
    return Suggestion(
        subject=subject,
        subject_pk=pk,
        row_version=row_version,
        curriculum_version_id=loaded.record.id,
        current=current,
        suggested=state,
        current_stage=trainer.stage_name(current.stage_id),
        suggested_stage=trainer.stage_name(state.stage_id),
        current_policies=tuple(trainer.policy_names(current)),
        suggested_policies=tuple(trainer.policy_names(state)),
        parameter_changes=dict(sorted(changes.items())),
        sessions=tuple(s for s, _ in done),
        session_pks=tuple(p for _, p in done),
        error=error,
        evaluations=tuple(evaluations),
    )


def _add_values(history: dict[str, list[Any]], values: dict[str, Any]) -> None:
    """Add one session's values to each list metric's series (a whole list starts it again)."""
    for name, series in history.items():
        value = values.get(name)
        if isinstance(value, list):
            series[:] = value
        elif value is not None:
            series.append(value)


def _event_text(
    s: Suggestion, after: str | None = None, rejected: bool = False, more: Mapping[str, Any] | None = None
) -> str:
    """The ``applied``/``evaluated`` event's data: both states, the sessions, the changes and why (and, for a
    suggestion turned down, ``"rejected": true``; ``more``: what else the history should say, e.g. that a
    person accepted an underweight mouse's promotion)."""
    extra = {"rejected": True} if rejected else {}
    extra.update(more or {})
    rest = dumps(
        {
            **extra,
            "before_stage": s.current_stage,
            "after_stage": s.suggested_stage,
            "before_version": s.curriculum_version_id,
            "after_version": s.curriculum_version_id,
            "sessions": list(s.sessions),
            "parameter_changes": {k: list(v) for k, v in s.parameter_changes.items()},
            "error": s.error,
            "why": s.why,
        }
    )
    after = after if after is not None else state_text(s.suggested)
    return f'{{"before":{state_text(s.current)},"after":{after},{rest[1:]}'


def record(
    ws: StoreContext,
    suggestions: Sequence[Suggestion],
    operator: str | None = None,
    reason: str | None = None,
    rejected: bool = False,
) -> int:
    """Log suggestions as ``evaluated`` events (what was suggested and why), changing no subject;
    ``rejected``: someone turned them down (for ``reason``); their sessions stay pending. A rejection of a
    subject changed since it was evaluated is a :class:`ConflictError` (and nothing is logged)."""
    operator = operator or default_operator()
    reason = (reason or "").strip() or None
    at = now()
    rows = [
        {
            "subject_pk": s.subject_pk,
            "curriculum_version_id": s.curriculum_version_id,
            "kind": EVALUATED,
            "at": at,
            "operator": operator,
            "reason": reason,
            "batch": None,
            "data_json": _event_text(s, rejected=rejected),
        }
        for s in suggestions
    ]
    if rows:
        with ws.write() as conn:
            stale = _stale(conn, suggestions) if rejected else []
            if stale:
                raise ConflictError(
                    f"changed by someone else since they were evaluated, in {ws.where}: "
                    f"{shown_names(stale)}; nothing was rejected (evaluate again)",
                    tuple(stale),
                )
            conn.execute(sa.insert(ev_t), rows)
    return len(rows)


def apply(
    ws: StoreContext,
    suggestions: Sequence[Suggestion],
    operator: str | None,
    progress: Progress | None,
    at: datetime | None = None,
    notes: Mapping[str, Mapping[str, Any]] | None = None,
) -> ApplyResult:
    """``notes``: per subject, what its ``applied`` event records besides the suggestion."""
    operator = operator or default_operator()
    at = at or now()
    todo = [s for s in suggestions if s.applicable]
    skipped = tuple((s.subject, s.error or "no new sessions") for s in suggestions if not s.applicable)
    if len({s.subject_pk for s in todo}) != len(todo):
        raise ConflictError("the batch holds two suggestions for one subject: evaluate again")
    if not todo:
        return ApplyResult(0, skipped, None)
    batch = uuid.uuid4().hex
    update = guarded_update(at, AUTOMATIC, on_curriculum=True)
    consume = (
        sa.update(ms_t)
        .where(ms_t.c.id == sa.bindparam("b_session"), ms_t.c.consumed_by.is_(None))
        .values(consumed_by=sa.bindparam("b_event"))
    )
    try:
        _write_batch(ws, todo, update, consume, operator, at, batch, progress, notes or {})
    except _Stale:
        raise _conflict(ws, todo) from None
    return ApplyResult(len(todo), skipped, batch)


class _Stale(Exception):
    """Inside the batch's transaction: some subject's row version moved (the transaction rolls back)."""


def _write_batch(
    ws: StoreContext,
    todo: list[Suggestion],
    update: sa.Update,
    consume: sa.Update,
    operator: str,
    at: datetime,
    batch: str,
    progress: Progress | None,
    notes: Mapping[str, Mapping[str, Any]],
) -> None:
    with ws.write() as conn:
        for start in range(0, len(todo), CHUNK):
            chunk = todo[start : start + CHUNK]
            after = [state_text(s.suggested) for s in chunk]
            done = conn.execute(
                update,
                [
                    {
                        "b_pk": s.subject_pk,
                        "b_version": s.row_version,
                        "b_state": text,
                        "b_stage": s.suggested.stage_id,
                    }
                    for s, text in zip(chunk, after, strict=True)
                ],
            )
            if done.rowcount != len(chunk):
                raise _Stale
            conn.execute(
                sa.insert(ev_t),
                [
                    {
                        "subject_pk": s.subject_pk,
                        "curriculum_version_id": s.curriculum_version_id,
                        "kind": APPLIED,
                        "at": at,
                        "operator": operator,
                        "reason": None,
                        "batch": batch,
                        "data_json": _event_text(s, text, more=notes.get(s.subject)),
                    }
                    for s, text in zip(chunk, after, strict=True)
                ],
            )
            if progress is not None:
                progress(start + len(chunk), len(todo))
        # The batch's events, by subject (one indexed query: RETURNING many rows is slow on SQLite).
        query = sa.select(ev_t.c.subject_pk, ev_t.c.id).where(ev_t.c.batch == batch)
        event_of = {pk: event for pk, event in conn.execute(query)}
        consumed = [
            {"b_session": session, "b_event": event_of[s.subject_pk]}
            for s in todo
            for session in s.session_pks
        ]
        done = conn.execute(consume, consumed)
        if done.rowcount != len(consumed):
            raise ConflictError(
                f"some sessions were evaluated by someone else meanwhile in {ws.where}: "
                "nothing was applied; evaluate again"
            )


def _stale(conn: sa.Connection, suggestions: Sequence[Suggestion]) -> list[str]:
    """The subjects that moved on (another row version) since they were evaluated."""
    versions: dict[int, int] = {}
    pks = [s.subject_pk for s in suggestions]
    for start in range(0, len(pks), 5000):
        query = sa.select(sub_t.c.id, sub_t.c.row_version).where(sub_t.c.id.in_(pks[start : start + 5000]))
        versions.update((pk, v) for pk, v in conn.execute(query))
    return [s.subject for s in suggestions if versions.get(s.subject_pk) != s.row_version]


def _conflict(ws: StoreContext, todo: list[Suggestion]) -> ConflictError:
    """After the rollback: which subjects moved on since they were evaluated."""
    with ws.read() as conn:
        stale = _stale(conn, todo)
    return ConflictError(
        f"changed by someone else since they were evaluated, in {ws.where}: {shown_names(stale)}; "
        "nothing was applied (evaluate again)",
        tuple(stale),
    )
