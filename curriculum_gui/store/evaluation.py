"""The trainer over the cohort: evaluate new sessions into suggestions, then apply them as one batch.

A session is *pending* until an applied suggestion (or a re-enrollment) consumes it. Evaluating runs the
trainer once per pending session, oldest first (by date, then import order), as aind does once per
session, at most :data:`~..core.histories.MAX_SESSIONS` per subject at a time; it writes nothing.
``number_list`` metrics given one number per session are handed to the trainer as a list, oldest first,
of the values of every session already evaluated and of the pending ones up to this one, with a gap where
a session did not measure it (see :mod:`..core.histories`): a session imported late (dated before sessions
already evaluated) still sees the whole history. A session that gives the whole list itself is evaluated
on that list.

The histories of the evaluated sessions come from the subject's running history (:mod:`.histories`), so
an evaluation reads only the new sessions; a subject whose running history is stale or missing, or with
a session imported late, is rebuilt from all its sessions instead (the same result).

Applying writes every subject's new state, its ``applied`` event (suggestion and why), its running history
and the consumed sessions in one transaction, conflict-checked by row version: a subject changed since it
was evaluated makes the whole batch fail and nothing is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from ..core.histories import Run, Session, run, window
from ..core.trainer import SubjectState
from ..core.weights import WEIGHT_FRACTION
from . import histories, weights
from .context import (
    Loaded,
    Progress,
    StoreContext,
    collector_paused,
    default_operator,
    dumps,
    insert_many,
    now,
    shown_names,
    update_many,
)
from .errors import ConflictError
from .json_text import dumps_finite, loads
from .records import APPLIED, AUTOMATIC, EVALUATED, ApplyResult, Suggestion, summary_text
from .schema import events as ev_t
from .schema import metrics_sessions as ms_t
from .schema import pending_session
from .schema import subjects as sub_t
from .subjects import GUARDED, guarded_update

CHUNK = 1000
PROGRESS_EVERY = 200  # subjects evaluated between progress reports
OFF_CURRICULUM = "off curriculum: not evaluated (re-enroll or override first)"


def evaluate(
    ws: StoreContext,
    only: Sequence[str] | None,
    progress: Progress | None = None,
    rebuild_all: bool = False,
) -> list[Suggestion]:
    """``rebuild_all``: ignore the running histories and rebuild every subject's from all its sessions
    (the same result, slower: for tests and benchmarks that compare the two). The collector is held off
    from the first read: a cohort's rows, histories and suggestions all live until the end."""
    with collector_paused():
        return _evaluate(ws, only, progress, rebuild_all)


def _evaluate(
    ws: StoreContext, only: Sequence[str] | None, progress: Progress | None, rebuild_all: bool
) -> list[Suggestion]:
    pending = sa.select(ms_t.c.subject_pk).where(ms_t.c.consumed_by.is_(None)).distinct()
    subjects_q = sa.select(
        sub_t.c.id,
        sub_t.c.subject_id,
        sub_t.c.curriculum_version_id,
        sub_t.c.state_json,
        sub_t.c.row_version,
        sub_t.c.on_curriculum,
    ).where(sub_t.c.id.in_(pending))
    sessions_q = (
        sa.select(ms_t.c.subject_pk, ms_t.c.id, ms_t.c.session_id, ms_t.c.session_date, ms_t.c.values_json)
        .where(ms_t.c.consumed_by.is_(None))
        .order_by(ms_t.c.subject_pk, ms_t.c.session_date, ms_t.c.id)  # same date: import order
    )
    wanted = set(only) if only is not None else None
    chosen: sa.Select = pending
    if wanted is not None and len(wanted) <= 500:
        chosen = sa.select(sub_t.c.id).where(sub_t.c.subject_id.in_(sorted(wanted)))
        subjects_q = subjects_q.where(sub_t.c.id.in_(chosen))
        sessions_q = sessions_q.where(ms_t.c.subject_pk.in_(chosen))
    with ws.read() as conn:
        subjects = conn.execute(subjects_q.order_by(sub_t.c.subject_id)).all()
        running = histories.load(conn, chosen, stored=False)
        sessions: dict[int, list[Any]] = {}
        # Fetched first: parsing between the driver's row steps starves other threads of the interpreter.
        for row in conn.execute(sessions_q).all():
            sessions.setdefault(row[0], []).append(row)
        fractions = weights.session_fractions(conn, [r for rows in sessions.values() for r in rows])
        loaded = {vid: ws.loaded(vid) for vid in {row.curriculum_version_id for row in subjects}}
        version_of = {row.id: row.curriculum_version_id for row in subjects}
        histories.read_stored(
            conn,
            running,
            [
                pk
                for pk, r in running.items()
                if histories.unread(r)
                and (pk not in version_of or _reads_stored(r, loaded[version_of[pk]], sessions.get(pk, [])))
            ],
        )
    if wanted is not None:
        subjects = [row for row in subjects if row.subject_id in wanted]
    # The subjects whose running history cannot be carried on: rebuilt from all their sessions.
    rebuild = [
        pk
        for pk, _subject, version_id, _state, row_version, on in subjects
        if (on or wanted is not None)
        and (rebuild_all or not _usable(running.get(pk), row_version, loaded[version_id], sessions.get(pk)))
    ]
    whole = _all_sessions(ws, rebuild, fractions) if rebuild else {}
    out = []
    total = len(subjects)
    for i, (pk, subject, version_id, state_json, row_version, _on) in enumerate(subjects, 1):
        state = stored_state(state_json)
        if state.is_on_curriculum or wanted is not None:
            version = loaded[version_id]
            if pk in whole:
                out.append(
                    _suggest(version, pk, subject, row_version, state, whole[pk], None, fractions, state_json)
                )
            else:
                given = sessions.get(pk, [])
                out.append(
                    _suggest(
                        version,
                        pk,
                        subject,
                        row_version,
                        state,
                        given,
                        running[pk],
                        fractions,
                        state_json,
                    )
                )
        if progress is not None and (i % PROGRESS_EVERY == 0 or i == total):
            progress(i, total)
    return out


def _reads_stored(running: histories.Running, loaded: Loaded, pending: list[Any]) -> bool:
    """Evaluating (and applying) these pending sessions may read the full chunks before the last one:
    a history the rules read whole or further back than the last chunk holds, or kept as JSON there
    (see :func:`_histories`), other names than the curriculum's lists, a session that gives a whole
    list (its JSON has a list: said at worst too often), or an apply that fills the last chunk (the
    full ones are written again, joined)."""
    names = loaded.list_metrics
    packed = running.packed
    if set(names) != packed.names() or any("[" in row.values_json for row in pending):
        return True
    last = packed.chunks[-1].columns
    for name in names:
        kind, items = last[name][:2] if name in last else ("j", 0)
        reach = window(loaded.windows.get(name))
        if reach is None or reach > items or kind == "j" or items + len(pending) >= histories.CHUNK_ITEMS:
            return True
    return False


def _usable(
    running: histories.Running | None, row_version: int, loaded: Loaded, pending: list[Any] | None
) -> bool:
    """A running history carries on: valid for this row version, holding this curriculum's list metrics,
    and every pending session dated after the last evaluated one (else: imported late)."""
    first = _key(pending[0]) if pending else None
    return running is not None and running.carries_on(row_version, loaded.list_metrics, first)


def _key(row: Any) -> tuple[date, int]:
    day = row.session_date
    return (day if isinstance(day, date) else date.fromisoformat(str(day)), row.id)


def _all_sessions(ws: StoreContext, pks: list[int], fractions: dict[int, float]) -> dict[int, list[Any]]:
    """Every session of these subjects, evaluated or not, by date then import order (and, into
    ``fractions``, their ``weight_fraction``)."""
    out: dict[int, list[Any]] = {pk: [] for pk in pks}
    query = sa.select(
        ms_t.c.subject_pk,
        ms_t.c.id,
        ms_t.c.session_id,
        ms_t.c.session_date,
        ms_t.c.values_json,
        ms_t.c.consumed_by,
    ).order_by(ms_t.c.subject_pk, ms_t.c.session_date, ms_t.c.id)
    with ws.read() as conn:
        for start in range(0, len(pks), CHUNK):
            for row in conn.execute(query.where(ms_t.c.subject_pk.in_(pks[start : start + CHUNK]))):
                out[row.subject_pk].append(row)
        fractions.update(weights.session_fractions(conn, [r for rows in out.values() for r in rows]))
    return out


def stored_state(text: str) -> SubjectState:
    """A state as the store wrote it (trusted: no re-validation, which costs more than the trainer)."""
    d = loads(text)
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
    running: histories.Running | None,
    fractions: dict[int, float] | None = None,
    current_text: str | None = None,
) -> Suggestion:
    """``sessions``: the pending ones after ``running`` (the histories of the evaluated ones), or, without
    it, all of the subject's, evaluated or not; by date then import order. ``fractions``: the
    ``weight_fraction`` of sessions by row id (computed from the weights, see :mod:`.weights`)."""
    trainer = loaded.trainer
    names = sorted(loaded.list_metrics)
    given = [
        Session(
            row.session_id, row.id, loads(row.values_json), running is None and row.consumed_by is not None
        )
        for row in sessions
    ]
    if fractions and loaded.curriculum.metric(WEIGHT_FRACTION) is not None:
        given = [s._replace(values=weights.with_fraction(dict(s.values), fractions.get(s.pk))) for s in given]
    if running is not None:
        kept = _histories(loaded, running, names, given)
        series = {name: kept[name] for name in names}
    else:
        series = {name: [] for name in names}
    off = None if current.is_on_curriculum else OFF_CURRICULUM
    result = run(trainer, current, series, given, off)
    state, done = result.state, result.done
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
        session_stages=tuple(
            trainer.stage_name(e.state.stage_id) for _, e in result.evaluations[: len(done)]
        ),
        error=result.error,
        evaluations=tuple(result.evaluations),
        notes=tuple(result.notes),
        waiting=result.waiting,
        history=_running_after(row_version, running, sessions, given, result),
        current_text=current_text,
    )


def _histories(
    loaded: Loaded, running: histories.Running, names: list[str], given: list[Session]
) -> dict[str, list[Any]]:
    """The running histories for the trainer: only the last items the rules can read are unpacked
    (:meth:`~.histories.Packed.tails`), unless a pending session gives a whole list or the stored names
    differ (then the history after the apply is packed again from these lists: they must be whole)."""
    packed = running.packed
    if set(names) != packed.names() or any(type(s.values.get(n)) is list for s in given for n in names):
        return packed.lists()
    return packed.tails({name: window(loaded.windows.get(name)) for name in names})


class HistoryAfter(NamedTuple):
    """A subject's running history once its suggestion is applied, worked out when it is (most of a
    cohort's suggestions keep nothing more in memory than what they read): ``running`` the history read
    (None: rebuilt), the ``series`` after the sessions done, how many sessions that makes and the key of
    the last one; ``restarted``: a done session gave a whole list."""

    row_version: int
    running: histories.Running | None
    series: dict[str, list[Any]]
    sessions: int
    last: tuple[date, int]
    restarted: frozenset[str]

    def resolve(self) -> histories.Running:
        if self.running is None:
            packed = histories.Packed.of(self.series)
        else:
            packed = self.running.packed.extended(self.series, set(self.restarted))
        return histories.Running(self.row_version + 1, self.sessions, self.last, packed)


def _running_after(
    row_version: int,
    running: histories.Running | None,
    rows: list[Any],
    given: list[Session],
    result: Run,
) -> HistoryAfter | None:
    """What the subject's running history will be once the suggestion is applied (None: nothing to apply)."""
    if result.error is not None or not result.done or result.series is None:
        return None
    series = result.series
    if running is not None:  # only pending sessions were given, and the first ones are done
        done = len(result.done)
        restarted = frozenset(
            name for s in given[:done] for name in series if type(s.values.get(name)) is list
        )
        return HistoryAfter(
            row_version, running, series, running.sessions + done, _key(rows[done - 1]), restarted
        )
    pks = {pk for _, pk in result.done}
    kept = [row for row, s in zip(rows, given, strict=True) if s.evaluated or s.pk in pks]
    return HistoryAfter(row_version, None, series, len(kept), _key(kept[-1]), frozenset())


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
            **({"notes": [text for _, text in s.notes]} if s.notes else {}),
        }
    )
    after = after if after is not None else state_text(s.suggested)
    before = s.current_text or state_text(s.current)
    return f'{{"before":{before},"after":{after},{rest[1:-1]},"why":{dumps_finite(s.why)}}}'


def _summary_text(s: Suggestion) -> str:
    """The ``applied`` event's position summary (what ``records.position_summary`` reads from its data),
    from the suggestion itself: its why need not be worked out again."""
    summary = {
        "total": s.suggested.sessions_total,
        "stage": s.suggested_stage,
        "before": s.current_stage,
        "on": s.suggested.is_on_curriculum,
        "count": len(s.sessions),
        "stages": list(s.session_stages),
    }
    return summary_text(summary)  # type: ignore[return-value]


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

    def update(value: Callable[[str], Any]) -> sa.Update:
        return guarded_update(at, AUTOMATIC, value, on_curriculum=True)

    def consume(value: Callable[[str], Any]) -> sa.Update:
        return (
            sa.update(ms_t)
            .where(pending_session(value("b_session")))
            .values(consumed_by=value("b_event"), stage_after=value("b_stage_after"))
        )

    try:
        with collector_paused():
            _write_batch(ws, todo, update, consume, operator, at, batch, progress, notes or {})
    except _Stale:
        raise _conflict(ws, todo) from None
    return ApplyResult(len(todo), skipped, batch)


CONSUMED = {"b_session": sa.Integer(), "b_event": sa.Integer(), "b_stage_after": sa.String(200)}
"""The values of each session an apply marks as evaluated (for :func:`~.context.update_many`)."""


class _Stale(Exception):
    """Inside the batch's transaction: some subject's row version moved (the transaction rolls back)."""


def _write_batch(
    ws: StoreContext,
    todo: list[Suggestion],
    update: Callable[[Callable[[str], Any]], sa.Update],
    consume: Callable[[Callable[[str], Any]], sa.Update],
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
            done = update_many(
                conn,
                update,
                GUARDED,
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
            if done != len(chunk):
                raise _Stale
            after_apply = {s.subject_pk: s.history.resolve() for s in chunk if s.history is not None}
            grown = {pk: r for pk, r in after_apply.items() if r.packed.grown}
            histories.save(conn, grown, grown=True)  # carried on: only its last chunk is written
            histories.save(conn, {pk: r for pk, r in after_apply.items() if pk not in grown})
            histories.drop(conn, [s.subject_pk for s in chunk if s.history is None])
            insert_many(
                conn,
                ev_t,
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
                        "position_summary": _summary_text(s),
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
            {"b_session": session, "b_event": event_of[s.subject_pk], "b_stage_after": stage}
            for s in todo
            for session, stage in zip(s.session_pks, _stages_after(s), strict=True)
        ]
        if update_many(conn, consume, CONSUMED, consumed) != len(consumed):
            raise ConflictError(
                f"some sessions were evaluated by someone else meanwhile in {ws.where}: "
                "nothing was applied; evaluate again"
            )


def _stages_after(s: Suggestion) -> list[str | None]:
    """The stage after each of the suggestion's sessions (kept with the session, for statistics)."""
    stages = [evaluation.state.stage_id for _, evaluation in s.evaluations][: len(s.session_pks)]
    return stages + [None] * (len(s.session_pks) - len(stages))


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
