"""Read-only queries the screens need and the Workspace does not offer yet (asked of the store's owner).

Both read the store's tables through ``Workspace.read()`` (so errors come back as ``StoreError``):
a subject's imported sessions with their metric values (for the plots), and the position-changing
events of many subjects in one query (for the cohort grid).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from ...store import Workspace
from ...store.records import APPLIED, EJECT, ENROLLED, OVERRIDE, REENROLL, REVERT
from ...store.schema import events as ev_t
from ...store.schema import metrics_sessions as ms_t
from ...store.schema import subjects as sub_t

POSITION_KINDS = (ENROLLED, APPLIED, OVERRIDE, EJECT, REENROLL, REVERT)


@dataclass(frozen=True, slots=True)
class Session:
    session: str
    date: date
    values: dict[str, Any]
    evaluated: bool


@dataclass(frozen=True, slots=True)
class Step:
    """One change of a subject's position: after ``sessions`` sessions it was on ``stage``."""

    kind: str
    sessions: int
    stage: str | None
    before_stage: str | None
    on_curriculum: bool
    count: int  # sessions an ``applied`` step consumed


def sessions(ws: Workspace, subject: str) -> list[Session]:
    """The subject's imported sessions, oldest first."""
    query = (
        sa.select(ms_t.c.session_id, ms_t.c.session_date, ms_t.c.values_json, ms_t.c.consumed_by)
        .join(sub_t, sub_t.c.id == ms_t.c.subject_pk)
        .where(sub_t.c.subject_id == subject)
        .order_by(ms_t.c.session_date, ms_t.c.session_id)
    )
    with ws.read() as conn:
        rows = conn.execute(query).all()
    out = []
    for sid, day, values, consumed in rows:
        day = day if isinstance(day, date) else date.fromisoformat(str(day))
        out.append(Session(sid, day, json.loads(values), consumed is not None))
    return out


def steps(ws: Workspace, subjects: Sequence[str] | None = None) -> dict[str, list[Step]]:
    """Every position change of ``subjects`` (default all), oldest first, in one query."""
    query = (
        sa.select(sub_t.c.subject_id, ev_t.c.kind, ev_t.c.data_json)
        .join(sub_t, sub_t.c.id == ev_t.c.subject_pk)
        .where(ev_t.c.kind.in_(POSITION_KINDS))
        .order_by(ev_t.c.subject_pk, ev_t.c.id)
    )
    if subjects is not None and len(subjects) <= 900:
        query = query.where(sub_t.c.subject_id.in_(list(subjects)))
    wanted = set(subjects) if subjects is not None else None
    out: dict[str, list[Step]] = {}
    with ws.read() as conn:
        for subject, kind, data_json in conn.execute(query):
            if wanted is not None and subject not in wanted:
                continue
            data = json.loads(data_json)
            after = data.get("after") or {}
            out.setdefault(subject, []).append(
                Step(
                    kind,
                    int(after.get("sessions_total", 0)),
                    data.get("after_stage"),
                    data.get("before_stage"),
                    bool(after.get("is_on_curriculum", True)),
                    len(data.get("sessions") or ()),
                )
            )
    return out
