"""How a manual change of one subject or of many is written: one transaction, all or nothing.

(Change *notifications*, for windows following other rigs, are :mod:`.changes`.)

A caller plans one :class:`Change` per subject (the new state and what the event keeps) from the rows read
inside the write transaction; :func:`write_changes` then stores them with one guarded update per subject
(the row version read: someone else's write meanwhile is a conflict and the whole transaction rolls
back), one event each (carrying the batch id when there is one) and the sessions they release, set aside
or take back. :func:`undo_stack` is how a subject's history says which change a revert undoes next.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..core.trainer import SubjectState
from . import histories
from .context import Loaded, dumps, execute_many, shown_names
from .errors import ConflictError, NotFound, StoreError
from .records import MANUAL, REVERT, position_summary, summary_text
from .schema import events as ev_t
from .schema import metrics_sessions as ms_t
from .schema import pending_session
from .schema import subjects as sub_t
from .subjects import guarded_update, stale

CHUNK = 1000
Target = tuple[str, int | None]
"""A subject id and the row version the caller read (None: not checked)."""


@dataclass
class Change:
    """One subject's planned change: its row as read, the states and versions before and after, and how
    its sessions move: ``release`` (sessions consumed by that event wait again), ``reconsume`` (these
    sessions are consumed by that event again) or ``set_aside`` (pending sessions are consumed by this
    change's own event)."""

    row: Any
    kind: str
    before: SubjectState
    before_loaded: Loaded
    after: SubjectState
    after_loaded: Loaded
    reason: str | None
    extra: dict[str, Any] = field(default_factory=dict)
    release: int | None = None
    reconsume: tuple[list[int], int] | None = None
    set_aside: bool = False

    def data(self) -> dict[str, Any]:
        return {**change_data(self.before, self.before_loaded, self.after, self.after_loaded), **self.extra}


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


def read_rows(conn: Connection, targets: Sequence[Target], where: str) -> list[Any]:
    """The subjects' rows in the order given, locked for the transaction (PostgreSQL; SQLite's write
    transaction holds the file). Unknown ids are :class:`NotFound`; a row version other than the one
    read is a :class:`ConflictError` naming every such subject, before any other check."""
    names = [name for name, _ in targets]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise StoreError(f"listed twice: {shown_names(twice)}; nothing was changed")
    found: dict[str, Any] = {}
    for start in range(0, len(names), CHUNK):
        chunk = names[start : start + CHUNK]
        query = sa.select(sub_t).where(sub_t.c.subject_id.in_(chunk)).with_for_update()
        found.update((row.subject_id, row) for row in conn.execute(query))
    missing = [n for n in names if n not in found]
    if missing:
        if len(names) == 1:
            raise NotFound(f"no subject {missing[0]!r} in {where}")
        raise NotFound(f"not in {where}: {shown_names(missing)}; nothing was changed")
    changed = [(n, v) for n, v in targets if v is not None and found[n].row_version != v]
    if len(changed) == 1 and len(names) == 1:
        name, version = changed[0]
        raise stale(name, version, found[name].row_version, where)
    if changed:
        shown = shown_names([n for n, _ in changed])
        raise ConflictError(
            f"changed by someone else in {where} since they were read: {shown}; nothing was changed "
            "(the table was read again: check and try again)",
            tuple(n for n, _ in changed),
        )
    return [found[n] for n in names]


def plan_all(rows: Sequence[Any], plan: Any, what: str) -> list[Change]:
    """``plan(row)`` for each row; the problems of all of them in one error (nothing is written then)."""
    changes, problems = [], []
    for row in rows:
        try:
            changes.append(plan(row))
        except StoreError as exc:
            problems.append(str(exc))
    if problems:
        if len(rows) == 1:
            raise StoreError(problems[0])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise StoreError(
            f"cannot {what} {len(problems)} of the {len(rows)} subjects: {'; '.join(problems[:3])}{more}; "
            "nothing was changed"
        )
    return changes


def write_changes(
    conn: Connection,
    changes: Sequence[Change],
    operator: str,
    at: datetime,
    batch: str | None,
    where: str,
) -> list[int]:
    """Store the changes (see the module docstring); the new events' ids, in order."""
    if not changes:
        return []
    released = _sessions_consumed_by(conn, [c.release for c in changes if c.release is not None])
    update = guarded_update(
        at, MANUAL, on_curriculum=sa.bindparam("b_on"), curriculum_version_id=sa.bindparam("b_cv")
    )
    values = [
        {
            "b_pk": c.row.id,
            "b_version": c.row.row_version,
            "b_state": dumps(c.after.to_json()),
            "b_stage": c.after.stage_id,
            "b_on": c.after.is_on_curriculum,
            "b_cv": c.after_loaded.record.id,
        }
        for c in changes
    ]
    for start in range(0, len(values), CHUNK):
        chunk = values[start : start + CHUNK]
        if execute_many(conn, update, chunk) != len(chunk):
            names = tuple(c.row.subject_id for c in changes)
            raise ConflictError(
                f"subjects were changed by someone else meanwhile in {where}: nothing was changed; "
                "reload and try again",
                names,
            )
    events = []
    for c in changes:
        data = c.data()
        if c.release is not None:
            data["released_sessions"] = released.get(c.release, [])
        if c.reconsume is not None:
            data["consumed_sessions"], data["consumed_by"] = c.reconsume
        events.append(
            {
                "subject_pk": c.row.id,
                "curriculum_version_id": c.after_loaded.record.id,
                "kind": c.kind,
                "at": at,
                "operator": operator,
                "reason": c.reason,
                "batch": batch,
                "data_json": dumps(data),
                "position_summary": summary_text(position_summary(c.kind, data)),
            }
        )
    ids = _insert_events(conn, events, batch)
    _follow_histories(conn, changes)
    _move_sessions(conn, changes, ids)
    return ids


def _insert_events(conn: Connection, events: list[dict[str, Any]], batch: str | None) -> list[int]:
    """Insert the events; their ids, in order. On SQLite, the events of a batch new to the log go in
    without RETURNING and their ids are read by the batch (the log is append-only and SQLite numbers
    rows in the order they come): RETURNING ten thousand rows costs several times the insert, all of it
    in Python, where it holds up the window while a revert runs."""
    by_batch = sa.select(ev_t.c.id).where(ev_t.c.batch == batch)
    if (
        batch is not None
        and conn.dialect.name == "sqlite"
        and conn.execute(by_batch.limit(1)).first() is None
    ):
        execute_many(conn, sa.insert(ev_t), events)
        return list(conn.execute(by_batch.order_by(ev_t.c.id)).scalars())
    ids: list[int] = []
    insert = sa.insert(ev_t).returning(ev_t.c.id, sort_by_parameter_order=True)
    for start in range(0, len(events), CHUNK):
        ids.extend(conn.execute(insert, events[start : start + CHUNK]).scalars().all())
    return ids


def _follow_histories(conn: Connection, changes: Sequence[Change]) -> None:
    """The subjects' running histories (:mod:`.histories`) after the changes, before their sessions move:
    a change that moves none carries its history over; released sessions are cut from it (or it is
    dropped); sessions set aside or taken back drop it (the next evaluation rebuilds it)."""
    histories.unconsume(
        conn, {c.row.id: (c.row.row_version, [c.release]) for c in changes if c.release is not None}
    )
    histories.drop(conn, [c.row.id for c in changes if c.release is None and (c.reconsume or c.set_aside)])
    histories.carry(
        conn,
        [
            (c.row.id, c.row.row_version)
            for c in changes
            if c.release is None and c.reconsume is None and not c.set_aside
        ],
    )


def _sessions_consumed_by(conn: Connection, event_ids: Iterable[int]) -> dict[int, list[int]]:
    wanted = sorted(set(event_ids))
    out: dict[int, list[int]] = {}
    for start in range(0, len(wanted), CHUNK):
        query = (
            sa.select(ms_t.c.consumed_by, ms_t.c.id)
            .where(ms_t.c.consumed_by.in_(wanted[start : start + CHUNK]))
            .order_by(ms_t.c.id)
        )
        for event_id, session in conn.execute(query):
            out.setdefault(event_id, []).append(session)
    return out


def _move_sessions(conn: Connection, changes: Sequence[Change], ids: Sequence[int]) -> None:
    release = [{"b_event": c.release} for c in changes if c.release is not None]
    if release:
        execute_many(
            conn,
            sa.update(ms_t).where(ms_t.c.consumed_by == sa.bindparam("b_event")).values(consumed_by=None),
            release,
        )
    again = [{"b_id": s, "b_by": c.reconsume[1]} for c in changes if c.reconsume for s in c.reconsume[0]]
    if again:
        execute_many(
            conn,
            sa.update(ms_t).where(pending_session("b_id")).values(consumed_by=sa.bindparam("b_by")),
            again,
        )
    # Sessions from before a re-enrollment are history, not input for the new start.
    aside = [{"b_pk": c.row.id, "b_event": i} for c, i in zip(changes, ids, strict=True) if c.set_aside]
    if aside:
        execute_many(
            conn,
            sa.update(ms_t)
            .where(ms_t.c.subject_pk == sa.bindparam("b_pk"), ms_t.c.consumed_by.is_(None))
            .values(consumed_by=sa.bindparam("b_event")),
            aside,
        )


# --- what a revert undoes -------------------------------------------------------------------------

Entry = tuple[int, str, dict[str, Any]]
"""An event of a subject's history: id, kind, data."""


def undo_stack(events: Iterable[Entry]) -> list[Entry]:
    """The changes not undone, oldest first (the last is what a revert undoes next), from a subject's
    position events (enrolled, applied, override, eject, re-enroll, revert) in order.

    A revert undoes the change on top (it leaves the stack); a revert of a revert (the undo of a batch
    of reverts) puts that change back, and a revert of that takes it off again."""
    stack: list[Entry] = []
    effects: dict[int, tuple[str, Entry]] = {}  # revert event -> ("pop" | "push", the change)
    for entry in events:
        event_id, kind, data = entry
        if kind != REVERT:
            stack.append(entry)
            continue
        undone = data.get("reverts")
        if undone in effects:
            how, change = effects[undone]
            if how == "pop":
                stack.append(change)
                effects[event_id] = ("push", change)
            elif stack and stack[-1][0] == change[0]:
                effects[event_id] = ("pop", stack.pop())
        elif stack and stack[-1][0] == undone:
            effects[event_id] = ("pop", stack.pop())
    return stack
