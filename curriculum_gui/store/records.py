"""Plain records the store hands out (no ORM, no pydantic): cheap to build by the ten thousand."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from ..core.event_kinds import (  # noqa: F401 (the store's callers import them from here)
    APPLIED,
    BASELINE,
    BATCH_KINDS,
    EJECT,
    ENROLLED,
    EVALUATED,
    EVENT_KINDS,
    MIGRATED,
    NOTE,
    OVERRIDE,
    POSITION_KINDS,
    PUBLISHED,
    REENROLL,
    REVERT,
    REVERTIBLE,
    SENT,
)
from ..core.metrics_import import BadRow
from ..core.trainer import Evaluation, SubjectState
from ..core.wording import MISSING, change_text

# Subject.last_change values.
AUTOMATIC = "automatic"
MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class CurriculumVersion:
    id: int
    name: str
    version: str
    digest: str
    published_at: datetime
    published_by: str

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


@dataclass(frozen=True, slots=True)
class SubjectInfo:
    """What a lab knows about a mouse when it registers it (all but the id optional)."""

    subject: str
    sex: str | None = None
    date_of_birth: date | None = None
    genotype: str | None = None
    rig: str | None = None
    notes: str | None = None
    baseline_weight_g: float | None = None


@dataclass(frozen=True, slots=True)
class SubjectRow:
    """One line of the subjects table. ``row_version`` goes back with any change (optimistic concurrency)."""

    subject: str
    curriculum: str
    curriculum_version: str
    curriculum_version_id: int
    stage_id: str | None
    stage: str | None
    policies: tuple[str, ...]
    parameters: dict[str, Any]
    last_session_date: date | None
    sessions_in_stage: int
    sessions_total: int
    on_curriculum: bool
    pending_sessions: int
    last_change: str
    row_version: int
    sex: str | None
    date_of_birth: date | None
    genotype: str | None
    rig: str | None
    notes: str | None
    baseline_weight_g: float | None = None

    @property
    def pending_suggestion(self) -> bool:
        """New sessions the trainer has not evaluated yet (and it would evaluate them)."""
        return self.on_curriculum and self.pending_sessions > 0

    @property
    def status(self) -> str:
        if not self.on_curriculum:
            return "off curriculum"
        return "new metrics" if self.pending_sessions else "on curriculum"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """What the trainer suggests for one subject after its new sessions; nothing is changed until applied.

    ``row_version`` is the subject's version when it was evaluated: applying fails with a conflict if the
    subject changed since. ``error``: why it cannot be applied (a rule failed, off curriculum).
    ``notes``: ``(session, text)`` for what people should know about the sessions (a list metric not
    measured); ``waiting``: pending sessions left for the next evaluation (there is a limit per subject);
    ``history``: the subject's running history once this is applied (what :mod:`.histories` writes).
    """

    subject: str
    subject_pk: int
    row_version: int
    curriculum_version_id: int
    current: SubjectState
    suggested: SubjectState
    current_stage: str | None
    suggested_stage: str | None
    current_policies: tuple[str, ...]
    suggested_policies: tuple[str, ...]
    parameter_changes: dict[str, tuple[Any, Any]]
    sessions: tuple[str, ...]
    session_pks: tuple[int, ...]
    error: str | None = None
    evaluations: tuple[tuple[str, Evaluation], ...] = field(default=(), repr=False)
    notes: tuple[tuple[str, str], ...] = ()
    waiting: int = 0
    session_stages: tuple[str | None, ...] = ()  # the stage after each of ``sessions``
    history: Any = field(default=None, repr=False, compare=False)
    current_text: str | None = field(default=None, repr=False, compare=False)  # ``current`` as stored

    @property
    def applicable(self) -> bool:
        return self.error is None and bool(self.session_pks)

    @property
    def stage_changed(self) -> bool:
        return self.current.stage_id != self.suggested.stage_id

    def change_texts(self, fmt: Callable[[Any], str] = repr) -> dict[str, str]:
        """Each changed parameter's change in words (``3 → 2.5``, ``off (added)``, ``15 (removed)``):
        a parameter the current or the suggested task does not have is added or removed, not null."""
        before, after = self.current.parameters, self.suggested.parameters
        return {
            key: change_text(before.get(key, MISSING), after.get(key, MISSING), fmt)
            for key in self.parameter_changes
        }

    @property
    def why(self) -> list[dict[str, Any]]:
        """Every rule checked, in order, session by session (each check has a ``session`` key)."""
        return [
            {"session": session, **check.to_json()}
            for session, evaluation in self.evaluations
            for check in evaluation.why
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "row_version": self.row_version,
            "current": {"stage": self.current_stage, "policies": list(self.current_policies)},
            "suggested": {"stage": self.suggested_stage, "policies": list(self.suggested_policies)},
            "parameter_changes": {k: list(v) for k, v in self.parameter_changes.items()},
            "sessions": list(self.sessions),
            "error": self.error,
            "notes": [text for _, text in self.notes],
            **({"waiting": self.waiting} if self.waiting else {}),
            "why": self.why,
        }


@dataclass(frozen=True, slots=True)
class ApplyResult:
    applied: int
    skipped: tuple[tuple[str, str], ...]  # (subject, why it was not applied)
    batch: str | None


@dataclass(frozen=True, slots=True)
class RevertResult:
    """What ``revert_batch`` did: ``reverted`` the batch ``batch`` for these subjects, as the batch
    ``revert_batch_id`` of ``revert`` events (one per subject)."""

    batch: str
    reverted: tuple[str, ...]
    revert_batch_id: str


@dataclass(frozen=True, slots=True)
class ChangeResult:
    """What a change of subjects did: ``kind`` (override, eject, re-enroll, revert) for ``subjects``, as
    the batch ``batch`` (None for a change of one subject made outside a batch)."""

    batch: str | None
    subjects: tuple[str, ...]
    kind: str


@dataclass(frozen=True, slots=True)
class MetricsSession:
    """One imported session of a subject (for the plots). ``evaluated``: an applied suggestion (or a
    re-enrollment) has consumed it."""

    session: str
    date: date
    values: dict[str, Any]
    evaluated: bool


class PositionEvent(NamedTuple):
    """One change of a subject's position, from the event log: after ``sessions`` sessions in all it was
    on ``stage`` (``on_curriculum`` false after an eject). ``count``: the sessions an ``applied`` event
    consumed, and ``session_stages`` the stage after each of them (a batch may move a mouse through
    several stages); ``batch``: the batch it belongs to (applied together, or reverted together);
    ``reverts``: for a ``revert``, the event it undid. (A named tuple: the cohort grid of a large
    archive reads tens of thousands.)"""

    kind: str
    sessions: int
    stage: str | None
    before_stage: str | None
    on_curriculum: bool
    count: int
    event_id: int = 0
    batch: str | None = None
    session_stages: tuple[str | None, ...] = ()
    reverts: int | None = None


def stages_after_sessions(data: dict[str, Any]) -> list[tuple[str, str | None]]:
    """``(session, stage after it)`` for each session of an ``applied`` (or ``evaluated``) event's data,
    from the stage transitions that fired in its why: one batch can take a mouse through several stages."""
    fired = {
        check.get("session"): check.get("destination")
        for check in data.get("why") or ()
        if check.get("kind") == "stage_transition" and check.get("fired")
    }
    stage = data.get("before_stage")
    out = []
    for session in data.get("sessions") or ():
        stage = fired.get(session, stage)
        out.append((session, stage))
    return out


def position_summary(kind: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """What the position views (the cohort grid) read of a position event, from its data: a few fields
    kept beside the event (``events.position_summary``, see :func:`summary_text`) so that thousands of
    events are listed without parsing each one's states and why. None for kinds that do not change a
    position."""
    if kind not in POSITION_KINDS:
        return None
    after = data.get("after") or {}
    summary: dict[str, Any] = {
        "total": int(after.get("sessions_total", 0)),
        "stage": data.get("after_stage"),
        "before": data.get("before_stage"),
        "on": bool(after.get("is_on_curriculum", True)),
        "count": len(data.get("sessions") or ()),
    }
    if kind == APPLIED:
        summary["stages"] = [stage for _, stage in stages_after_sessions(data)]
    if data.get("reverts") is not None:
        summary["reverts"] = data["reverts"]
    return summary


def summary_text(summary: dict[str, Any] | None) -> str | None:
    """A summary as stored: the sessions total, a bar, then the rest as JSON. The rest is the same for
    many events (a mouse's days in one stage), so it is parsed once for all of them (:func:`read_summary`)."""
    if summary is None:
        return None
    rest = tuple((k, tuple(v) if type(v) is list else v) for k, v in summary.items() if k != "total")
    return f"{summary['total']}|{_rest_text(rest)}"


@functools.lru_cache(maxsize=4096)
def _rest_text(rest: tuple[tuple[str, Any], ...]) -> str:
    """A summary's JSON part (the same for the many events of mice in one stage: made once)."""
    return json.dumps(
        {k: list(v) if type(v) is tuple else v for k, v in rest}, ensure_ascii=False, separators=(",", ":")
    )


@functools.lru_cache(maxsize=4096)
def _summary_rest(text: str) -> tuple[Any, ...]:
    """``(stage, before, on, count, stages, reverts)`` of a summary's JSON part."""
    rest = json.loads(text)
    stages = tuple(rest.get("stages") or ())
    return rest["stage"], rest["before"], rest["on"], rest["count"], stages, rest.get("reverts")


def read_summary(text: str) -> dict[str, Any]:
    """The summary of :func:`summary_text`."""
    total, _, rest = text.partition("|")
    summary = {"total": int(total), **json.loads(rest)}
    return summary


_tuple_new = tuple.__new__


def position_event(kind: str, event_id: int, batch: str | None, text: str) -> PositionEvent:
    """The position event of a stored summary (:func:`summary_text`)."""
    total, _, rest = text.partition("|")
    stage, before, on, count, stages, reverts = _summary_rest(rest)
    return _tuple_new(
        PositionEvent, (kind, int(total), stage, before, on, count, event_id, batch, stages, reverts)
    )


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did. ``bad``: the rows not imported, with row, column and problem; ``warnings``:
    rows imported with something to know (a list metric not measured: a gap in its history)."""

    source: str
    imported: int
    already_there: int
    bad: tuple[BadRow, ...]
    warnings: tuple[BadRow, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.bad


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    subject: str | None
    kind: str
    at: datetime
    operator: str
    reason: str | None
    batch: str | None
    data: dict[str, Any]

    @property
    def rejected(self) -> bool:
        """An ``evaluated`` event that logs a suggestion someone turned down."""
        return self.kind == EVALUATED and self.data.get("rejected") is True

    def suggested_change(self) -> str:
        """What an ``applied`` or ``evaluated`` event moved (or suggested moving), in words: ``A → B``,
        ``policy change and 2 parameter change(s) in A`` or ``stays in A``."""
        data = self.data
        before, after = data.get("before_stage"), data.get("after_stage")
        if before != after:
            return f"{before} → {after}"
        parts = []
        if (data.get("before") or {}).get("active_policies") != (data.get("after") or {}).get(
            "active_policies"
        ):
            parts.append("policy change")
        if data.get("parameter_changes"):
            parts.append(f"{len(data['parameter_changes'])} parameter change(s)")
        return f"{' and '.join(parts)} in {after}" if parts else f"stays in {after}"

    def describe(self) -> str:
        """One line for people: when, who, what and why."""
        data = self.data
        what = self.kind
        before, after = data.get("before_stage"), data.get("after_stage")
        if self.rejected:
            what = f"rejected suggestion: {self.suggested_change()}"
        elif self.kind == MIGRATED:
            what = f"moved from {data.get('from_curriculum')} to {data.get('to_curriculum')}"
            if before != after:
                what += f": {before} → {after}"
        elif "before_stage" in data and before != after:
            what += f": {before} → {after}"
        elif after is not None:
            what += f": {after}"
        if self.kind == APPLIED and data.get("sessions"):
            what += f" after {', '.join(data['sessions'])}"
        if self.reason:
            what += f" ({self.reason})"
        return f"{self.at:%Y-%m-%d %H:%M} {self.operator}: {what}"


@dataclass(frozen=True, slots=True)
class WeightRecord:
    """One weighing: ``grams`` on ``day`` (for ``session`` when it came with one), who entered it and how
    (``source``: ``rig``, ``import``, ``cli``). ``voided``: withdrawn as a mistake (kept, not counted)."""

    id: int
    subject: str
    day: date
    grams: float
    session: str | None
    source: str
    recorded_at: datetime
    operator: str
    voided: bool = False


@dataclass(frozen=True, slots=True)
class WeightStatus:
    """A subject's latest weight against its baseline and the lab's threshold."""

    subject: str
    baseline_g: float | None
    last_g: float | None
    last_day: date | None
    fraction: float | None
    threshold: float

    @property
    def underweight(self) -> bool:
        return self.fraction is not None and self.fraction < self.threshold


@dataclass(frozen=True, slots=True)
class RigInfo:
    """A rig: where "Send to rig" writes (``export_folder``) and which folder is watched for metrics."""

    name: str
    export_folder: str | None = None
    watch_folder: str | None = None


@dataclass(frozen=True, slots=True)
class SentResult:
    """What "Send to rig" wrote, and why an aind TrainerState was not written (when it was not)."""

    subject: str
    files: tuple[str, ...]
    aind_problem: str | None
    event_id: int
