"""Changes people make by hand: override, eject, re-enroll, revert (undo of the last change), of one subject
or of many at once, and the undo of a whole batch.

A change of many subjects is one batch: one transaction (all or nothing: a conflict, a lock or a fault
half-way writes nothing), every subject's event carrying the batch id, so that the batch is undone as
one step (:func:`revert_batch`, ``subjects revert --batch``). An event keeps the state before and after,
so a revert restores exactly what was there, curriculum version and evaluated sessions included.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..core.trainer import SubjectState, TrainerError, copy_json
from .context import (
    StoreContext,
    check_parameters,
    now,
    operator_name,
    optional_text,
    require_reason,
    shown_names,
)
from .errors import ConflictError, NotFound, StoreError
from .manual import Change, Target, plan_all, read_rows, undo_stack, write_changes
from .records import (
    BATCH_KINDS,
    EJECT,
    ENROLLED,
    OVERRIDE,
    REENROLL,
    REVERT,
    REVERTIBLE,
    ChangeResult,
    RevertResult,
    SubjectRow,
)
from .schema import event_positions as ep_t
from .schema import events as ev_t
from .schema import subjects as sub_t
from .subject_events import subject_events

CHUNK = 1000


def _state(row: Any) -> SubjectState:
    return SubjectState.from_json(json.loads(row.state_json))


def _targets(targets: Sequence[Target | str]) -> list[Target]:
    return [(t, None) if isinstance(t, str) else (t[0], t[1]) for t in targets]


def _change(
    ws: StoreContext,
    what: str,
    targets: Sequence[Target | str],
    plan: Any,
    operator: str | None,
    at: datetime | None,
    batch: str | None,
    prepare: Any = None,
) -> ChangeResult:
    """Read, plan (``prepare(conn, rows)`` first, if given) and write the change of ``targets`` in one
    transaction."""
    listed = _targets(targets)
    operator = operator_name(operator)
    at = at or now()
    with ws.write() as conn:
        rows = read_rows(conn, listed, ws.where)
        if prepare is not None:
            prepare(conn, rows)
        changes = plan_all(rows, plan, what)
        write_changes(conn, changes, operator, at, batch, ws.where)
    return ChangeResult(batch, tuple(name for name, _ in listed), what)


def _batch_id(targets: Sequence[Any]) -> str | None:
    return uuid.uuid4().hex if targets else None


# --- override ------------------------------------------------------------------------------------


def override_many(
    ws: StoreContext,
    targets: Sequence[Target | str],
    stage: str,
    policies: Sequence[str] | None,
    parameters: dict[str, Any] | None,
    reason: str,
    operator: str | None,
    at: datetime | None = None,
    batch: str | None = "new",
) -> ChangeResult:
    """Put subjects on ``stage`` (name or id) with ``policies`` (names or ids; default: the start policies
    on a new stage, the current ones on the same stage) and ``parameters`` (default: the stage's defaults
    on a new stage, the current ones on the same stage)."""
    reason = require_reason(reason, "an override")
    if parameters is not None and not isinstance(parameters, dict):
        raise StoreError("task parameters must be a JSON object of parameter values")

    def plan(row: Any) -> Change:
        loaded, current = ws.loaded(row.curriculum_version_id), _state(row)
        subject = row.subject_id
        if not current.is_on_curriculum:
            raise StoreError(f"subject {subject!r} is off curriculum: re-enroll it first")
        try:
            stage_id = loaded.trainer.stage_id_for(stage)
        except TrainerError as exc:
            raise StoreError(f"cannot override {subject!r}: {exc}") from None
        target = loaded.curriculum.stage(stage_id)
        assert target is not None
        same = stage_id == current.stage_id
        if policies is None:
            active = current.active_policies if same else tuple(dict.fromkeys(target.start_policies))
        else:
            by_name = {p.name: p.id for p in target.policies}
            ids = {p.id for p in target.policies}
            chosen = []
            for p in policies:
                pid = p if p in ids else by_name.get(p)
                if pid is None:
                    names = ", ".join(repr(q.name) for q in target.policies) or "none"
                    raise StoreError(f"stage {target.name!r} has no policy {p!r} (policies: {names})")
                chosen.append(pid)
            active = tuple(dict.fromkeys(chosen))
        if parameters is None:
            params = copy_json(dict(current.parameters if same else target.task.parameters))
        else:
            check_parameters(parameters, "the task parameters")
            params = copy_json(parameters)
        kept = current.sessions_in_policy if same else {}
        new = SubjectState(
            stage_id,
            active,
            params,
            True,
            current.sessions_total,
            current.sessions_in_stage if same else 0,
            {p: kept.get(p, 0) for p in active},
        )
        extra = {"parameters_given": parameters is not None}
        return Change(row, OVERRIDE, current, loaded, new, loaded, reason, extra)

    return _change(ws, "override", targets, plan, operator, at, _batch(batch, targets))


def override(
    ws: StoreContext,
    subject: str,
    stage: str,
    policies: Sequence[str] | None,
    parameters: dict[str, Any] | None,
    reason: str,
    operator: str | None,
    expected_version: int | None,
    at: datetime | None = None,
) -> SubjectRow:
    override_many(ws, [(subject, expected_version)], stage, policies, parameters, reason, operator, at, None)
    return ws.subject(subject)


# --- eject ---------------------------------------------------------------------------------------


def eject_many(
    ws: StoreContext,
    targets: Sequence[Target | str],
    reason: str,
    operator: str | None,
    at: datetime | None = None,
    batch: str | None = "new",
) -> ChangeResult:
    """Take subjects off their curriculum (the trainer stops evaluating them)."""
    reason = require_reason(reason, "an eject")

    def plan(row: Any) -> Change:
        loaded, current = ws.loaded(row.curriculum_version_id), _state(row)
        if not current.is_on_curriculum:
            raise StoreError(f"subject {row.subject_id!r} is already off curriculum")
        return Change(row, EJECT, current, loaded, current.off_curriculum(), loaded, reason)

    return _change(ws, "eject", targets, plan, operator, at, _batch(batch, targets))


def eject(
    ws: StoreContext,
    subject: str,
    reason: str,
    operator: str | None,
    expected_version: int | None,
    at: datetime | None = None,
) -> SubjectRow:
    eject_many(ws, [(subject, expected_version)], reason, operator, at, None)
    return ws.subject(subject)


# --- re-enroll -----------------------------------------------------------------------------------


def reenroll_many(
    ws: StoreContext,
    targets: Sequence[Target | str],
    version_id: int | None,
    start_stage: str | None,
    reason: str | None,
    operator: str | None,
    at: datetime | None = None,
    batch: str | None = "new",
) -> ChangeResult:
    """Enroll again (on ``version_id``, default each subject's current version), from the start stage or
    ``start_stage``; sessions not yet evaluated are set aside."""
    reason = optional_text(reason, "the reason")

    def plan(row: Any) -> Change:
        before_loaded, current = ws.loaded(row.curriculum_version_id), _state(row)
        loaded = ws.loaded(version_id) if version_id is not None else before_loaded
        try:
            new = loaded.trainer.enroll(loaded.trainer.stage_id_for(start_stage) if start_stage else None)
        except TrainerError as exc:
            raise StoreError(f"cannot re-enroll {row.subject_id!r} on {loaded.record.label}: {exc}") from None
        return Change(row, REENROLL, current, before_loaded, new, loaded, reason, set_aside=True)

    return _change(ws, "re-enroll", targets, plan, operator, at, _batch(batch, targets))


def reenroll(
    ws: StoreContext,
    subject: str,
    version_id: int | None,
    start_stage: str | None,
    reason: str | None,
    operator: str | None,
    expected_version: int | None,
    at: datetime | None = None,
) -> SubjectRow:
    reenroll_many(ws, [(subject, expected_version)], version_id, start_stage, reason, operator, at, None)
    return ws.subject(subject)


# --- revert --------------------------------------------------------------------------------------


def revert_many(
    ws: StoreContext,
    targets: Sequence[Target | str],
    reason: str | None,
    operator: str | None,
    at: datetime | None = None,
    batch: str | None = "new",
) -> ChangeResult:
    """Undo each subject's last change not yet undone (applied, override, eject, re-enroll); the undo is
    itself an event. Repeated reverts walk back; enrollment cannot be reverted."""
    reason = optional_text(reason, "the reason")
    histories: dict[int, list[tuple[int, str, dict[str, Any]]]] = {}

    def prepare(conn: Any, rows: Sequence[Any]) -> None:
        histories.update(_histories(conn, [r.id for r in rows]))

    def plan(row: Any) -> Change:
        # Popped: each subject's events are let go as it is planned (see _histories).
        stack = undo_stack(histories.pop(row.id, []))
        if not stack or stack[-1][1] == ENROLLED:
            raise StoreError(f"subject {row.subject_id!r} has no change to revert (only its enrollment)")
        return _undo(ws, row, stack[-1], reason)

    return _change(ws, "revert", targets, plan, operator, at, _batch(batch, targets), prepare)


def revert(
    ws: StoreContext,
    subject: str,
    reason: str | None,
    operator: str | None,
    expected_version: int | None,
    at: datetime | None = None,
) -> SubjectRow:
    revert_many(ws, [(subject, expected_version)], reason, operator, at, None)
    return ws.subject(subject)


def _histories(conn: Any, pks: Sequence[int]) -> dict[int, list[tuple[int, str, dict[str, Any]]]]:
    """Every position event of these subjects, oldest first (what :func:`undo_stack` reads).

    The rows are fetched before they are parsed, and callers pop each subject's events as they use them:
    on a worker thread the window must get the interpreter back within moments. Parsing between the
    driver's steps (each lets go of the interpreter and takes it back before the GUI thread wakes)
    starved the GUI thread for tens of milliseconds at a time, and freeing ten thousand subjects' events
    in one go at the end held it for over 100 ms."""
    out: dict[int, list[tuple[int, str, dict[str, Any]]]] = {}
    for start in range(0, len(pks), CHUNK):
        query = subject_events(
            ev_t.c.subject_pk,
            ev_t.c.id,
            ev_t.c.kind,
            ev_t.c.data_json,
            pks=pks[start : start + CHUNK],
            kinds=(*REVERTIBLE, REVERT, ENROLLED),
        )
        for pk, event_id, kind, data_json in conn.execute(query).all():
            out.setdefault(pk, []).append((event_id, kind, json.loads(data_json)))
    return out


def _undo(
    ws: StoreContext, row: Any, event: tuple[int, str, dict[str, Any]], reason: str | None, batch: str = ""
) -> Change:
    """The revert of ``event``: the subject back to the state before it. Sessions move back too: those
    a change consumed (an apply) or set aside (a re-enrollment) wait again; a revert undone (the undo of
    a batch of reverts) takes back the sessions it had released, and releases those it had taken."""
    event_id, kind, data = event
    current_loaded = ws.loaded(row.curriculum_version_id)
    restored_loaded = ws.loaded(data.get("before_version", row.curriculum_version_id))
    extra: dict[str, Any] = {"reverts": event_id, "reverted_kind": kind}
    if batch:
        extra["reverts_batch"] = batch
    change = Change(
        row,
        REVERT,
        _state(row),
        current_loaded,
        SubjectState.from_json(data["before"]),
        restored_loaded,
        reason,
        extra,
    )
    if kind != REVERT:
        change.release = event_id
    elif "consumed_by" in data:  # it had put a change back: its sessions wait again
        change.release = data["consumed_by"]
    elif "released_sessions" in data:  # it had undone a change: that change's sessions are taken back
        change.reconsume = (list(data["released_sessions"]), data["reverts"])
    else:
        raise StoreError(
            f"subject {row.subject_id!r}: its revert #{event_id} was made by an older curriculum-gui and "
            "cannot be undone (override the subject instead)"
        )
    return change


def _batch(batch: str | None, targets: Sequence[Any]) -> str | None:
    return _batch_id(targets) if batch == "new" else batch


# --- undo of a whole batch -----------------------------------------------------------------------


def revert_batch(
    ws: StoreContext,
    batch: str,
    reason: str | None,
    operator: str | None,
    at: datetime | None = None,
) -> RevertResult:
    """Undo the batch ``batch`` (an apply, a move to another version, or a change of many subjects from
    the app: override, eject, re-enroll, revert) for all its subjects in one transaction, or for none.

    A subject whose position changed after the batch (another change, or the batch already undone) is a
    conflict: nothing is written and the :class:`ConflictError` names every such subject. The subjects
    are locked before the checks, and each update is guarded by the row version read, so nothing
    another rig writes meanwhile is overwritten. The undo is itself a batch (it can be undone too)."""
    at = at or now()
    operator = operator_name(operator)
    reason = optional_text(reason, "the reason")
    in_batch = (ev_t.c.batch == batch, ev_t.c.kind.in_(BATCH_KINDS))
    with ws.write() as conn:
        events = {
            pk: (event_id, kind, json.loads(text))
            for pk, event_id, kind, text in conn.execute(
                sa.select(ev_t.c.subject_pk, ev_t.c.id, ev_t.c.kind, ev_t.c.data_json).where(*in_batch)
            ).all()  # (see _histories)
        }
        if not events:
            raise NotFound(
                f"no batch {batch!r} in {ws.where} (an applied batch, or a change of many subjects)"
            )
        rows = conn.execute(
            sa.select(sub_t).where(sub_t.c.id.in_(sa.select(ev_t.c.subject_pk).where(*in_batch)))
            .order_by(sub_t.c.subject_id)
            .with_for_update()
        ).all()  # fmt: skip
        later = ep_t  # a subject's events, by subject (see subject_events)
        moved = set(
            conn.execute(
                sa.select(later.c.subject_pk)
                .join(ev_t, sa.and_(later.c.subject_pk == ev_t.c.subject_pk, later.c.event_id > ev_t.c.id))
                .where(*in_batch, later.c.kind.in_((*REVERTIBLE, REVERT)))
                .distinct()
            ).scalars()
        )
        if moved:
            names = [r.subject_id for r in rows if r.id in moved]
            raise ConflictError(
                f"changed since the batch was made (or already reverted), in {ws.where}: "
                f"{shown_names(names)}; nothing was reverted (revert subjects one by one instead)",
                tuple(names),
            )
        changes = plan_all(
            rows, lambda row: _undo(ws, row, events.pop(row.id), reason, batch), "undo the batch for"
        )
        revert_id = uuid.uuid4().hex
        write_changes(conn, changes, operator, at, revert_id, ws.where)
    return RevertResult(batch, tuple(r.subject_id for r in rows), revert_id)
