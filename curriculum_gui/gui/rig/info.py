"""What the rig view shows of the day's mice and of the selected one, read from the store in one go.

No Qt here. ``attention_of`` is the hook for the "needs attention" mark: it reads a row's ``attention``
(a text, or alerts with a ``name``): the alerts the subjects view worked out for the cohort, given as
``alerts`` (subject -> alerts), or None.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

from ...store import Workspace
from ...store.records import (
    NOTE,
    SENT,
    Event,
    MetricsSession,
    SubjectRow,
    Suggestion,
    WeightRecord,
    WeightStatus,
)

LAST_SESSIONS = 5


def attention_of(row: Any) -> str | None:
    """Why a subject needs attention, in a few words (None: it does not, or nothing says so)."""
    value = getattr(row, "attention", None)
    if not value:
        return None
    if isinstance(value, str):
        return value
    try:
        return "; ".join(str(getattr(v, "name", v)) for v in value) or None
    except TypeError:
        return str(value)


@dataclass
class DayMouse:
    """One line of the rig's list."""

    rig: str
    slot: int | None
    row: SubjectRow
    done: bool  # a session on the day
    weight: WeightStatus | None
    attention: str | None

    @property
    def subject(self) -> str:
        return self.row.subject

    @property
    def underweight(self) -> bool:
        return bool(self.weight and self.weight.underweight)


Alerts = Mapping[str, Sequence[Any]]


def _attention(row: SubjectRow, alerts: Alerts | None) -> str | None:
    found = alerts.get(row.subject) if alerts else None
    return attention_of(SimpleNamespace(attention=found)) if found else attention_of(row)


def day_list(ws: Workspace, rig: str, day: date, alerts: Alerts | None = None) -> list[DayMouse]:
    plan = ws.day_plan(day, rig)
    status = ws.weight_status([row.subject for _, _, row in plan]) if plan else {}
    return [
        DayMouse(
            rig_name,
            slot,
            row,
            row.last_session_date == day,
            status.get(row.subject),
            _attention(row, alerts),
        )
        for rig_name, slot, row in plan
    ]


@dataclass
class MouseInfo:
    """Everything the panel shows of one mouse."""

    row: SubjectRow
    stage_defaults: dict[str, Any]
    metrics: list[str]
    weight: WeightStatus | None
    weights: list[WeightRecord]
    sessions: list[MetricsSession]
    suggestion: Suggestion | None
    held: str | None
    notes: list[Event] = field(default_factory=list)
    last_sent: Event | None = None
    done: bool = False
    attention: str | None = None


def mouse_info(ws: Workspace, subject: str, day: date, alerts: Alerts | None = None) -> MouseInfo:
    """Read one mouse; its pending sessions are evaluated (nothing is written) for the suggestion."""
    row = ws.subject(subject)
    curriculum = ws.curriculum(row.curriculum_version_id)
    stage = curriculum.stage(row.stage_id) if row.stage_id else None
    suggestion = None
    held = None
    if row.pending_suggestion:
        found = ws.evaluate([subject])
        suggestion = found[0] if found else None
        if suggestion is not None:
            held = ws.held_back([suggestion]).get(subject)
    history = ws.history(subject)
    return MouseInfo(
        row=row,
        stage_defaults=dict(stage.task.parameters) if stage else {},
        metrics=[m.name for m in curriculum.metrics],
        weight=ws.weight_status([subject]).get(subject),
        weights=ws.weights(subject),
        sessions=ws.sessions(subject)[-LAST_SESSIONS:],
        suggestion=suggestion,
        held=held,
        notes=active_notes(history),
        last_sent=next((e for e in reversed(history) if e.kind == SENT), None),
        done=row.last_session_date == day,
        attention=_attention(row, alerts),
    )


def active_notes(history: list[Event]) -> list[Event]:
    """The notes not withdrawn, newest first."""
    withdrawn = {e.data.get("withdraws") for e in history if e.kind == NOTE}
    return [
        e for e in reversed(history) if e.kind == NOTE and "withdraws" not in e.data and e.id not in withdrawn
    ]
