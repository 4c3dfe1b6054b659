"""Changes people make by hand: override, eject, re-enroll, revert (undo of the last change) and the
undo of an applied batch.

Each is one transaction: the subject's new state (conflict-checked by row version) and its event. An
event keeps the state before and after, so a revert restores exactly what was there, curriculum version
and evaluated sessions included.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..core.trainer import SubjectState, TrainerError, copy_json
from . import histories
from .context import (
    Loaded,
    StoreContext,
    add_event,
    default_operator,
    dumps,
    now,
    require_reason,
    shown_names,
    subject_row,
)
from .errors import ConflictError, NotFound, StoreError
from .records import (
    BATCH_KINDS,
    EJECT,
    ENROLLED,
    MANUAL,
    OVERRIDE,
    REENROLL,
    REVERT,
    REVERTIBLE,
    RevertResult,
    SubjectRow,
    position_summary,
    summary_text,
)
from .schema import events as ev_t
from .schema import metrics_sessions as ms_t
from .schema import subjects as sub_t
from .subjects import check_version, guarded_update, write_state

CHUNK = 1000


def change_data(
    before: SubjectState, before_loaded: Loaded, after: SubjectState, after_loaded: Loaded
) -> dict[str, Any]:
    """What an event keeps of a change: both states, stage names and curriculum versions."""
    return {
        "before": before.to_json(),
        "after": after.to_json(),
        "before_stage": before_loaded.trainer.stage_name(before.stage_id),
        "after_stage": after_loaded.trainer.stage_name(after.stage_id),
        "before_version": before_loaded.record.id,
        "after_version": after_loaded.record.id,
    }


def _read(
    ws: StoreContext, conn: Connection, subject: str, expected_version: int | None
) -> tuple[Any, Loaded, SubjectState]:
    """The subject's row, its curriculum version and its state, inside the write transaction; a stale
    ``expected_version`` is a conflict before any other check."""
    row = subject_row(conn, subject, ws.where)
    check_version(row, expected_version, ws.where)
    return row, ws.loaded(row.curriculum_version_id), SubjectState.from_json(json.loads(row.state_json))


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
    reason = require_reason(reason, "an override")
    at = at or now()
    with ws.write() as conn:
        row, loaded, current = _read(ws, conn, subject, expected_version)
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
            active = []
            for p in policies:
                pid = p if p in ids else by_name.get(p)
                if pid is None:
                    names = ", ".join(repr(q.name) for q in target.policies) or "none"
                    raise StoreError(f"stage {target.name!r} has no policy {p!r} (policies: {names})")
                active.append(pid)
            active = tuple(dict.fromkeys(active))
        if parameters is None:
            params = copy_json(dict(current.parameters if same else target.task.parameters))
        elif not isinstance(parameters, dict):
            raise StoreError("task parameters must be a JSON object of parameter values")
        else:
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
        write_state(conn, row, expected_version, new, ws.where, at)
        histories.carry(conn, [(row.id, row.row_version)])  # no session evaluated or made pending
        data = change_data(current, loaded, new, loaded)
        data["parameters_given"] = parameters is not None
        add_event(
            conn,
            row.id,
            OVERRIDE,
            operator or default_operator(),
            reason,
            data,
            at,
            version_id=row.curriculum_version_id,
        )
    return ws.subject(subject)


def eject(
    ws: StoreContext,
    subject: str,
    reason: str,
    operator: str | None,
    expected_version: int | None,
    at: datetime | None = None,
) -> SubjectRow:
    reason = require_reason(reason, "an eject")
    at = at or now()
    with ws.write() as conn:
        row, loaded, current = _read(ws, conn, subject, expected_version)
        if not current.is_on_curriculum:
            raise StoreError(f"subject {subject!r} is already off curriculum")
        new = current.off_curriculum()
        write_state(conn, row, expected_version, new, ws.where, at)
        histories.carry(conn, [(row.id, row.row_version)])
        add_event(
            conn,
            row.id,
            EJECT,
            operator or default_operator(),
            reason,
            change_data(current, loaded, new, loaded),
            at,
            version_id=row.curriculum_version_id,
        )
    return ws.subject(subject)


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
    at = at or now()
    with ws.write() as conn:
        row, before_loaded, current = _read(ws, conn, subject, expected_version)
        loaded = ws.loaded(version_id) if version_id is not None else before_loaded
        try:
            new = loaded.trainer.enroll(loaded.trainer.stage_id_for(start_stage) if start_stage else None)
        except TrainerError as exc:
            raise StoreError(f"cannot re-enroll {subject!r} on {loaded.record.label}: {exc}") from None
        write_state(conn, row, expected_version, new, ws.where, at, version_id=loaded.record.id)
        data = change_data(current, before_loaded, new, loaded)
        event_id = add_event(
            conn,
            row.id,
            REENROLL,
            operator or default_operator(),
            (reason or "").strip() or None,
            data,
            at,
            version_id=loaded.record.id,
        )
        # Sessions from before the re-enrollment are history, not input for the new start (the running
        # history is rebuilt with them, for the new version's list metrics, at the next evaluation).
        histories.drop(conn, [row.id])
        conn.execute(
            sa.update(ms_t)
            .where(ms_t.c.subject_pk == row.id, ms_t.c.consumed_by.is_(None))
            .values(consumed_by=event_id)
        )
    return ws.subject(subject)


def revert(
    ws: StoreContext,
    subject: str,
    reason: str | None,
    operator: str | None,
    expected_version: int | None,
    at: datetime | None = None,
) -> SubjectRow:
    at = at or now()
    with ws.write() as conn:
        row = subject_row(conn, subject, ws.where)
        check_version(row, expected_version, ws.where)
        events = conn.execute(
            sa.select(ev_t.c.id, ev_t.c.kind, ev_t.c.data_json)
            .where(ev_t.c.subject_pk == row.id, ev_t.c.kind.in_((*REVERTIBLE, REVERT, ENROLLED)))
            .order_by(ev_t.c.id)
        ).all()
        undoable: list[tuple[int, str, dict[str, Any]]] = []
        for event_id, kind, data_json in events:
            data = json.loads(data_json)
            if kind == REVERT:
                if undoable and undoable[-1][0] == data.get("reverts"):
                    undoable.pop()
            else:
                undoable.append((event_id, kind, data))
        if not undoable or undoable[-1][1] == ENROLLED:
            raise StoreError(f"subject {subject!r} has no change to revert (only its enrollment)")
        target_id, target_kind, target = undoable[-1]
        current_loaded = ws.loaded(row.curriculum_version_id)
        restored_loaded = ws.loaded(target.get("before_version", row.curriculum_version_id))
        current = SubjectState.from_json(json.loads(row.state_json))
        restored = SubjectState.from_json(target["before"])
        write_state(conn, row, expected_version, restored, ws.where, at, version_id=restored_loaded.record.id)
        data = change_data(current, current_loaded, restored, restored_loaded)
        data.update(reverts=target_id, reverted_kind=target_kind)
        add_event(
            conn,
            row.id,
            REVERT,
            operator or default_operator(),
            (reason or "").strip() or None,
            data,
            at,
            version_id=restored_loaded.record.id,
        )
        # Sessions the undone change evaluated (or set aside) are waiting for the trainer again.
        histories.unconsume(conn, {row.id: (row.row_version, [target_id])})
        conn.execute(sa.update(ms_t).where(ms_t.c.consumed_by == target_id).values(consumed_by=None))
    return ws.subject(subject)


def revert_batch(
    ws: StoreContext,
    batch: str,
    reason: str | None,
    operator: str | None,
    at: datetime | None = None,
) -> RevertResult:
    """Undo the batch ``batch`` (an apply, or a move to another version) for all its subjects in one
    transaction, or for none.

    A subject whose position changed after the batch (another change, or its apply already undone) is a
    conflict: nothing is written and the :class:`ConflictError` names every such subject. The subjects
    are locked (PostgreSQL; SQLite's write transaction holds the whole file) before the checks, and each
    update is guarded by the row version read, so nothing another rig writes meanwhile is overwritten.
    """
    at = at or now()
    operator = operator or default_operator()
    reason = (reason or "").strip() or None
    in_batch = (ev_t.c.batch == batch, ev_t.c.kind.in_(BATCH_KINDS))
    with ws.write() as conn:
        rows = conn.execute(
            sa.select(
                sub_t.c.id,
                sub_t.c.subject_id,
                sub_t.c.curriculum_version_id,
                sub_t.c.state_json,
                sub_t.c.row_version,
            )
            .where(sub_t.c.id.in_(sa.select(ev_t.c.subject_pk).where(*in_batch)))
            .order_by(sub_t.c.subject_id)
            .with_for_update()
        ).all()
        if not rows:
            raise NotFound(f"no applied or migration batch {batch!r} in {ws.where}")
        later = ev_t.alias("later")
        moved = set(
            conn.execute(
                sa.select(later.c.subject_pk)
                .join(ev_t, sa.and_(later.c.subject_pk == ev_t.c.subject_pk, later.c.id > ev_t.c.id))
                .where(*in_batch, later.c.kind.in_((*REVERTIBLE, REVERT)))
                .distinct()
            ).scalars()
        )
        if moved:
            names = [r.subject_id for r in rows if r.id in moved]
            raise ConflictError(
                f"changed since the batch was applied (or already reverted), in {ws.where}: "
                f"{shown_names(names)}; nothing was reverted (revert subjects one by one instead)",
                tuple(names),
            )
        targets = {
            pk: (event_id, kind, json.loads(text))
            for pk, event_id, kind, text in conn.execute(
                sa.select(ev_t.c.subject_pk, ev_t.c.id, ev_t.c.kind, ev_t.c.data_json).where(*in_batch)
            )
        }
        revert_id = uuid.uuid4().hex
        updates, events = [], []
        for row in rows:
            target_id, target_kind, target = targets[row.id]
            restored = target["before"]
            restored_vid = target.get("before_version", row.curriculum_version_id)
            current = json.loads(row.state_json)
            now_loaded, back_loaded = ws.loaded(row.curriculum_version_id), ws.loaded(restored_vid)
            updates.append(
                {
                    "b_pk": row.id,
                    "b_version": row.row_version,
                    "b_state": dumps(restored),
                    "b_stage": restored["stage_id"],
                    "b_on": bool(restored["is_on_curriculum"]),
                    "b_cv": restored_vid,
                }
            )
            data = {
                "before": current,
                "after": restored,
                "before_stage": now_loaded.trainer.stage_name(current["stage_id"]),
                "after_stage": back_loaded.trainer.stage_name(restored["stage_id"]),
                "before_version": row.curriculum_version_id,
                "after_version": restored_vid,
                "reverts": target_id,
                "reverted_kind": target_kind,
                "reverts_batch": batch,
            }
            events.append(
                {
                    "subject_pk": row.id,
                    "curriculum_version_id": restored_vid,
                    "kind": REVERT,
                    "at": at,
                    "operator": operator,
                    "reason": reason,
                    "batch": revert_id,
                    "data_json": dumps(data),
                    "position_summary": summary_text(position_summary(REVERT, data)),
                }
            )
        update = guarded_update(
            at, MANUAL, on_curriculum=sa.bindparam("b_on"), curriculum_version_id=sa.bindparam("b_cv")
        )
        for start in range(0, len(updates), CHUNK):
            chunk = updates[start : start + CHUNK]
            if conn.execute(update, chunk).rowcount != len(chunk):
                raise ConflictError(
                    f"the subjects of the batch were changed by someone else meanwhile in {ws.where}: "
                    "nothing was reverted; reload and try again",
                    tuple(r.subject_id for r in rows),
                )
        conn.execute(sa.insert(ev_t), events)
        # The sessions the batch evaluated are waiting for the trainer again.
        histories.unconsume(conn, {row.id: (row.row_version, [targets[row.id][0]]) for row in rows})
        conn.execute(
            sa.update(ms_t)
            .where(ms_t.c.consumed_by.in_(sa.select(ev_t.c.id).where(*in_batch)))
            .values(consumed_by=None)
        )
    return RevertResult(batch, tuple(r.subject_id for r in rows), revert_id)
