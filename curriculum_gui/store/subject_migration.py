"""Moving subjects to another published version of a curriculum: a dry run, then one atomic batch.

:func:`plan` reads the subjects and computes, without writing, where each lands (stage, policies and
parameters, by :class:`~curriculum_gui.core.migration.Migration`) and what still needs a mapping by hand.
:func:`apply` writes the whole plan in one transaction: every subject's new state and version, and a
``migrated`` event in each history with both versions, all in one batch, so ``revert_batch`` undoes it as
one step. A subject changed since the plan was made (another rig, another window) is a conflict and
nothing is written.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from ..core.migration import Mapping as IdMapping
from ..core.migration import (
    Migration,
    MigrationError,
    Moved,
    Needed,
    names_something,
    parse_mapping,
    split_entry,
)
from .context import Loaded, StoreContext, default_operator, dumps, now, shown_names
from .errors import ConflictError, NotFound, StoreError
from .evaluation import state_text, stored_state
from .records import MANUAL, MIGRATED, CurriculumVersion
from .schema import events as ev_t
from .schema import subjects as sub_t
from .subjects import guarded_update

CHUNK = 1000


@dataclass(frozen=True)
class PlannedMove:
    moved: Moved
    subject_pk: int
    row_version: int
    from_version: CurriculumVersion


@dataclass(frozen=True)
class MigrationPlan:
    """A dry run: ``moves`` to write, ``needed`` mappings still missing (nothing can be applied while any
    is), ``skipped`` subjects with the reason (already on the target)."""

    target: CurriculumVersion
    moves: tuple[PlannedMove, ...]
    needed: tuple[Needed, ...]
    skipped: tuple[tuple[str, str], ...] = ()
    reset_parameters: bool = False
    mapping: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ready(self) -> bool:
        return not self.needed and bool(self.moves)


@dataclass(frozen=True)
class MigrationResult:
    batch: str
    moved: tuple[str, ...]
    target: CurriculumVersion


def plan(
    ctx: StoreContext,
    target_version_id: int,
    subjects: Sequence[str] | None = None,
    from_version_id: int | None = None,
    mapping: Sequence[str] | IdMapping = (),
    reset_parameters: bool = False,
) -> MigrationPlan:
    """Where ``subjects`` (or everyone on ``from_version_id``) would land on ``target_version_id``.

    ``mapping``: ``OLD=NEW`` entries (stage or policy names or ids, ``-`` to drop a policy), resolved
    against each subject's current version, or a ready :class:`~curriculum_gui.core.migration.Mapping`
    (ids, for the GUI)."""
    if (subjects is None) == (from_version_id is None):
        raise StoreError("choose the subjects to move: by id, or everyone on a version")
    target = ctx.loaded(target_version_id)
    query = sa.select(
        sub_t.c.id, sub_t.c.subject_id, sub_t.c.curriculum_version_id, sub_t.c.state_json, sub_t.c.row_version
    )
    if from_version_id is not None:
        ctx.loaded(from_version_id)  # NotFound for an unknown version
        query = query.where(sub_t.c.curriculum_version_id == from_version_id)
    rows = []
    with ctx.read() as conn:
        if subjects is not None:
            wanted = list(dict.fromkeys(subjects))
            for start in range(0, len(wanted), CHUNK):
                rows += conn.execute(query.where(sub_t.c.subject_id.in_(wanted[start : start + CHUNK]))).all()
            missing = sorted(set(wanted) - {r.subject_id for r in rows})
            if missing:
                raise NotFound(f"no subject {shown_names(missing)} in {ctx.where}")
        else:
            rows = conn.execute(query).all()
    rows.sort(key=lambda r: r.subject_id)
    by_version: dict[int, list] = {}
    skipped: list[tuple[str, str]] = []
    for row in rows:
        if row.curriculum_version_id == target_version_id:
            skipped.append((row.subject_id, f"already on {target.record.label}"))
        else:
            by_version.setdefault(row.curriculum_version_id, []).append(row)
    entries = list(mapping) if not isinstance(mapping, IdMapping) else []
    for entry in entries:
        try:
            split_entry(entry)
        except MigrationError as exc:
            raise StoreError(str(exc)) from None
    moves: list[PlannedMove] = []
    needed: list[Needed] = []
    resolved_entries: set[str] = set()
    for version_id, version_rows in by_version.items():
        source = ctx.loaded(version_id)
        id_mapping = (
            mapping if isinstance(mapping, IdMapping) else _mapping(source, target, entries, resolved_entries)
        )
        migration = _migration(source, target, id_mapping, reset_parameters)
        states = {row.subject_id: stored_state(row.state_json) for row in version_rows}
        missing = migration.needed(states)
        needed += missing
        blocked = {s for n in missing for s in n.subjects}
        for row in version_rows:
            if row.subject_id in blocked:
                continue
            moved = migration.move(row.subject_id, states[row.subject_id])
            moves.append(PlannedMove(moved, row.id, row.row_version, source.record))
    unused = [e for e in entries if e not in resolved_entries]
    if unused:
        raise StoreError(
            f"--map {unused[0]!r}: names nothing in the versions these subjects are on "
            f"({', '.join(ctx.loaded(v).record.label for v in by_version) or 'none'})"
        )
    return MigrationPlan(
        target.record,
        tuple(sorted(moves, key=lambda m: m.moved.subject)),
        tuple(needed),
        tuple(skipped),
        reset_parameters,
        tuple(entries),
    )


def _mapping(source: Loaded, target: Loaded, entries: list[str], resolved: set[str]) -> IdMapping:
    """The entries that name something in ``source`` (the others may name something in another version
    of the subjects; an entry that names nothing anywhere is refused by the caller)."""
    usable = [e for e in entries if names_something(e, source.curriculum)]
    resolved.update(usable)
    try:
        return parse_mapping(usable, source.curriculum, target.curriculum)
    except MigrationError as exc:
        raise StoreError(str(exc)) from None


def _migration(source: Loaded, target: Loaded, mapping: IdMapping, reset: bool) -> Migration:
    try:
        return Migration(source.curriculum, target.curriculum, mapping, reset)
    except MigrationError as exc:
        raise StoreError(str(exc)) from None


def apply(
    ctx: StoreContext,
    migration_plan: MigrationPlan,
    operator: str | None = None,
    reason: str | None = None,
    at: datetime | None = None,
) -> MigrationResult:
    """Write the plan as one batch (all or nothing); ConflictError naming the subjects changed since."""
    try:
        return _write(ctx, migration_plan, operator, reason, at or now())
    except _Stale:
        pass
    moves = migration_plan.moves
    with ctx.read() as conn:
        versions: dict[int, int] = {}
        pks = [m.subject_pk for m in moves]
        for start in range(0, len(pks), 5000):
            query = sa.select(sub_t.c.id, sub_t.c.row_version).where(
                sub_t.c.id.in_(pks[start : start + 5000])
            )
            versions.update((pk, v) for pk, v in conn.execute(query))
    stale = [m.moved.subject for m in moves if versions.get(m.subject_pk) != m.row_version]
    raise ConflictError(
        f"changed by someone else since the preview, in {ctx.where}: {shown_names(stale)}; "
        "nothing was moved (preview again)",
        tuple(stale),
    )


class _Stale(Exception):
    """Inside the transaction: a subject's row version moved (the transaction rolls back)."""


def _write(
    ctx: StoreContext, migration_plan: MigrationPlan, operator: str | None, reason: str | None, at: datetime
) -> MigrationResult:
    if migration_plan.needed:
        first = migration_plan.needed[0]
        raise StoreError(
            f"{first.label} has no counterpart in {migration_plan.target.label} "
            f"(subjects on it: {shown_names(first.subjects)}): map it first; nothing was moved"
        )
    if not migration_plan.moves:
        raise StoreError("no subject to move: nothing was changed")
    operator = operator or default_operator()
    reason = (reason or "").strip() or None
    batch = uuid.uuid4().hex
    target = migration_plan.target
    update = guarded_update(at, MANUAL, on_curriculum=sa.bindparam("b_on"), curriculum_version_id=target.id)
    with ctx.write() as conn:
        moves = migration_plan.moves
        for start in range(0, len(moves), CHUNK):
            chunk = moves[start : start + CHUNK]
            texts = [state_text(m.moved.after) for m in chunk]
            done = conn.execute(
                update,
                [
                    {
                        "b_pk": m.subject_pk,
                        "b_version": m.row_version,
                        "b_state": text,
                        "b_stage": m.moved.after.stage_id,
                        "b_on": m.moved.after.is_on_curriculum,
                    }
                    for m, text in zip(chunk, texts, strict=True)
                ],
            )
            if done.rowcount != len(chunk):
                raise _Stale
            conn.execute(
                sa.insert(ev_t),
                [
                    {
                        "subject_pk": m.subject_pk,
                        "curriculum_version_id": target.id,
                        "kind": MIGRATED,
                        "at": at,
                        "operator": operator,
                        "reason": reason,
                        "batch": batch,
                        "data_json": _event_text(m, text, target, migration_plan),
                    }
                    for m, text in zip(chunk, texts, strict=True)
                ],
            )
    return MigrationResult(batch, tuple(m.moved.subject for m in moves), target)


def _event_text(move: PlannedMove, after_text: str, target: CurriculumVersion, p: MigrationPlan) -> str:
    moved = move.moved
    rest = dumps(
        {
            "before_stage": moved.before_stage,
            "after_stage": moved.after_stage,
            "before_version": move.from_version.id,
            "after_version": target.id,
            "from_curriculum": move.from_version.label,
            "to_curriculum": target.label,
            "parameter_changes": {k: list(v) for k, v in moved.parameter_changes.items()},
            "reset_parameters": p.reset_parameters,
            "mapping": list(p.mapping),
        }
    )
    return f'{{"before":{state_text(moved.before)},"after":{after_text},{rest[1:]}'


def states_json(moves: Sequence[PlannedMove]) -> list[dict]:
    """The dry run as plain JSON (the CLI's ``--json``)."""
    return [
        {
            "subject": m.moved.subject,
            "from": m.from_version.label,
            "before": {
                "stage": m.moved.before_stage,
                "policies": list(m.moved.before_policies),
                "parameters": json.loads(dumps(dict(m.moved.before.parameters))),
            },
            "after": {
                "stage": m.moved.after_stage,
                "policies": list(m.moved.after_policies),
                "parameters": json.loads(dumps(dict(m.moved.after.parameters))),
            },
            "parameter_changes": {k: list(v) for k, v in m.moved.parameter_changes.items()},
        }
        for m in moves
    ]
