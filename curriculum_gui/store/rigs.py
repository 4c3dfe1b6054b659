"""Rigs and the day's work: each rig's folders, the weekly schedule, the mice for a rig on a day and the
run sheet.

Which mice a rig runs on a day: a subject with a schedule runs where and when its schedule says; a subject
without any schedule runs on the rig it was registered on, every day. Off-curriculum mice stay listed
(marked), so the technician sees why a cage has no session.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa

from ..core.runsheet import RunSheetEntry
from ..core.schedule import ScheduleEntry, check_entries
from .context import StoreContext, now
from .errors import NotFound, StoreError
from .records import RigInfo, SubjectRow
from .schema import rigs as rig_t
from .schema import schedule as sch_t
from .schema import subjects as sub_t
from .subjects import list_subjects
from .weights import weight_status

MAX_NAME = 200


def _name(name: str) -> str:
    text = (name or "").strip()
    if not text or len(text) > MAX_NAME:
        raise StoreError(f"a rig name must be 1 to {MAX_NAME} characters (found {name!r})")
    return text


def rigs(ws: StoreContext) -> list[RigInfo]:
    """Every rig the database knows: configured ones, and the rigs subjects and the schedule name."""
    with ws.read() as conn:
        found = {
            r.name: RigInfo(r.name, r.export_folder, r.watch_folder) for r in conn.execute(sa.select(rig_t))
        }
        named = set(conn.execute(sa.select(sub_t.c.rig).where(sub_t.c.rig.is_not(None)).distinct()).scalars())
        named |= set(conn.execute(sa.select(sch_t.c.rig).distinct()).scalars())
    for name in named - set(found):
        found[name] = RigInfo(name)
    return sorted(found.values(), key=lambda r: r.name)


def rig(ws: StoreContext, name: str) -> RigInfo:
    """A rig's settings (a rig nobody configured has no folders)."""
    with ws.read() as conn:
        row = conn.execute(sa.select(rig_t).where(rig_t.c.name == name)).first()
    return RigInfo(row.name, row.export_folder, row.watch_folder) if row else RigInfo(name)


def set_rig(
    ws: StoreContext,
    name: str,
    export_folder: str | None,
    watch_folder: str | None,
    operator: str | None = None,
) -> RigInfo:
    """Set a rig's folders (empty: none). The paths are as the rig's own computer sees them."""
    name = _name(name)
    who = ws.who(operator)
    values = {
        "export_folder": (export_folder or "").strip() or None,
        "watch_folder": (watch_folder or "").strip() or None,
        "updated_at": now(),
        "updated_by": who,
    }
    with ws.write() as conn:
        done = conn.execute(sa.update(rig_t).where(rig_t.c.name == name).values(**values))
        if done.rowcount == 0:
            conn.execute(sa.insert(rig_t).values(name=name, **values))
    return RigInfo(name, values["export_folder"], values["watch_folder"])


# --- the schedule --------------------------------------------------------------------------------


def schedule(ws: StoreContext) -> list[ScheduleEntry]:
    query = (
        sa.select(sub_t.c.subject_id, sch_t.c.rig, sch_t.c.weekdays, sch_t.c.slot)
        .join(sub_t, sub_t.c.id == sch_t.c.subject_pk)
        .order_by(sch_t.c.rig, sch_t.c.slot, sub_t.c.subject_id)
    )
    with ws.read() as conn:
        return [ScheduleEntry(s, r, w, slot) for s, r, w, slot in conn.execute(query)]


def set_schedule(ws: StoreContext, entries: Sequence[ScheduleEntry], operator: str | None = None) -> int:
    """Replace the whole schedule in one transaction (all or nothing). Refused, naming them: unknown
    subjects, a subject twice on a rig or on two rigs the same weekday, a bad weekday mask."""
    who = ws.who(operator)
    for e in entries:
        _name(e.rig)
        if len(e.weekdays) != 7 or set(e.weekdays) - {"0", "1"} or "1" not in e.weekdays:
            raise StoreError(f"{e.subject!r} on {e.rig!r}: weekdays must name at least one day")
    problems = check_entries(entries)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise StoreError(f"the schedule was not saved: {problems[0]}{more}")
    at = now()
    with ws.write() as conn:
        ids = sorted({e.subject for e in entries})
        pks: dict[str, int] = {}
        for start in range(0, len(ids), 5000):
            query = sa.select(sub_t.c.subject_id, sub_t.c.id).where(
                sub_t.c.subject_id.in_(ids[start : start + 5000])
            )
            pks.update(conn.execute(query).all())
        unknown = [s for s in ids if s not in pks]
        if unknown:
            shown = ", ".join(repr(s) for s in unknown[:5]) + (" ..." if len(unknown) > 5 else "")
            raise NotFound(f"the schedule was not saved: unknown subject(s) {shown} (register them first)")
        conn.execute(sa.delete(sch_t))
        if entries:
            conn.execute(
                sa.insert(sch_t),
                [
                    {
                        "subject_pk": pks[e.subject],
                        "rig": e.rig.strip(),
                        "weekdays": e.weekdays,
                        "slot": e.slot,
                        "updated_at": at,
                        "updated_by": who,
                    }
                    for e in entries
                ],
            )
    return len(entries)


# --- the day's mice ------------------------------------------------------------------------------


def day_plan(ws: StoreContext, day: date, rig: str | None = None) -> list[tuple[str, int | None, SubjectRow]]:
    """``(rig, slot, subject row)`` for every mouse that runs on ``day`` (on ``rig`` only, if given), in
    running order: by rig, slot, then subject id."""
    entries = schedule(ws)
    scheduled = {e.subject for e in entries}
    wanted: list[str] | None = None
    if rig is not None:  # only the rig's mice are read (a lab may have thousands)
        query = sa.select(sub_t.c.subject_id).where(sub_t.c.rig == rig)
        with ws.read() as conn:
            registered = set(conn.execute(query).scalars())
        wanted = sorted(registered | {e.subject for e in entries if e.rig == rig and e.runs_on(day)})
    rows = {r.subject: r for r in list_subjects(ws, wanted)}
    plan: list[tuple[str, int | None, SubjectRow]] = []
    for e in entries:
        if e.runs_on(day) and (rig is None or e.rig == rig) and e.subject in rows:
            plan.append((e.rig, e.slot, rows[e.subject]))
    for subject, row in rows.items():
        if subject not in scheduled and row.rig and (rig is None or row.rig == rig):
            plan.append((row.rig, None, row))
    plan.sort(key=lambda p: (p[0], p[1] if p[1] is not None else 10**6, p[2].subject))
    return plan


def run_sheet(ws: StoreContext, day: date, rig: str | None = None) -> list[RunSheetEntry]:
    """What the run sheet prints for ``day``: every mouse of every rig (or of ``rig``)."""
    plan = day_plan(ws, day, rig)
    status = weight_status(ws, [row.subject for _, _, row in plan]) if plan else {}
    out = []
    for rig_name, slot, row in plan:
        w = status.get(row.subject)
        out.append(
            RunSheetEntry(
                rig=rig_name,
                slot=slot,
                subject=row.subject,
                curriculum=f"{row.curriculum} {row.curriculum_version}",
                stage=row.stage,
                policies=row.policies,
                parameters=row.parameters,
                on_curriculum=row.on_curriculum,
                baseline_g=w.baseline_g if w else row.baseline_weight_g,
                last_weight_g=w.last_g if w else None,
                last_weighed_on=w.last_day if w else None,
                weight_fraction=w.fraction if w else None,
                underweight=bool(w and w.underweight),
                pending=row.pending_sessions if row.on_curriculum else 0,
            )
        )
    return out
