"""Attention and stage statistics over the store's history: the store reads (:mod:`.history`), core works
the figures out (:mod:`..core.attention`, :mod:`..core.progress`, :mod:`..core.stats`). Nothing here
writes: attention and statistics are recomputed from the history whenever they are asked for.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from ..core.attention import Alert, attention_metrics, slow_in_stage, sort_alerts
from ..core.progress import FORWARD, REGRESSED, Run, stage_order
from ..core.stats import SESSIONS, Comparison, StageInfo, StageStatistics, compare, stage_statistics
from ..core.trainer import SubjectState
from .context import StoreContext
from .errors import NotFound, StoreError
from .history import SubjectHistory, latest_version, published, read_histories
from .records import Suggestion


@dataclass(frozen=True, slots=True)
class Arm:
    """One side of a comparison: runs enrolled on ``versions`` (ids; None: any) of subjects in
    ``subjects`` (None: any)."""

    label: str
    versions: frozenset[int] | None = None
    subjects: frozenset[str] | None = None

    def holds(self, run: Run) -> bool:
        return (self.versions is None or run.version in self.versions) and (
            self.subjects is None or run.subject in self.subjects
        )


# --- attention ---------------------------------------------------------------------------------------


def attention(
    ws: StoreContext,
    subjects: Collection[str] | None = None,
    today: date | None = None,
    suggestions: Sequence[Suggestion] = (),
) -> dict[str, list[Alert]]:
    """The alerts of every subject on its curriculum (or only ``subjects``) as of ``today``, most urgent
    first; subjects that need nothing are left out. A subject with an applicable suggestion in
    ``suggestions`` is checked where the trainer suggests it goes (as if applied)."""
    return attention_of(ws, read_histories(ws), today or date.today(), subjects, suggestions)


def attention_of(
    ws: StoreContext,
    histories: Sequence[SubjectHistory],
    today: date,
    subjects: Collection[str] | None = None,
    suggestions: Sequence[Suggestion] = (),
) -> dict[str, list[Alert]]:
    left: dict[tuple[str, str], list[int]] = {}  # (curriculum, stage) -> sessions of those that left it
    for history in histories:
        for run in history.runs:
            for visit in run.visits:
                if visit.exit in (FORWARD, REGRESSED):
                    left.setdefault((history.curriculum, visit.stage), []).append(visit.sessions)
    suggested = {s.subject: s for s in suggestions if s.applicable}
    out: dict[str, list[Alert]] = {}
    for history in histories:
        if subjects is not None and history.subject not in subjects:
            continue
        suggestion = suggested.get(history.subject)
        if suggestion is not None:
            found = subject_attention(ws, history, today, left, *_suggested_position(history, suggestion))
        else:
            found = subject_attention(ws, history, today, left)
        if found:
            out[history.subject] = found
    return out


def _suggested_position(history: SubjectHistory, suggestion: Suggestion) -> tuple[SubjectState, date | None]:
    """The suggested state, and the day it entered its stage when the suggestion moves it (the date of
    the session after which it moved)."""
    entered = None
    stage = suggestion.current.stage_id
    for session, evaluation in suggestion.evaluations:
        if evaluation.state.stage_id != stage:
            stage = evaluation.state.stage_id
            entered = history.session_days.get(session)
    return suggestion.suggested, entered


def subject_attention(
    ws: StoreContext,
    history: SubjectHistory,
    today: date,
    left: dict[tuple[str, str], list[int]],
    state: SubjectState | None = None,
    entered: date | None = None,
) -> list[Alert]:
    """One subject's alerts; ``state``: another state than its stored one (a suggested one), which
    entered its stage on ``entered`` if that is not the stage it is in now."""
    state = state or history.state
    if not state.is_on_curriculum:
        return []
    loaded = ws.loaded(history.version_id)
    run = history.runs[-1] if history.runs else None
    visit = run.current if run is not None else None
    last = history.last_session or (run.enrolled if run is not None else None)
    if entered is None and visit is not None and visit.stage == state.stage_id:
        entered = visit.entered
    found = loaded.trainer.attention(
        state,
        attention_metrics(history.latest, history.series),
        days_since_last_session=(today - last).days if last is not None else None,
        days_in_stage=(today - entered).days if entered is not None else None,
    )
    stage = loaded.trainer.stage_name(state.stage_id) or ""
    pace = left.get((history.curriculum, state.stage_id or ""), [])
    slow = slow_in_stage(state.sessions_in_stage, stage, pace)
    if slow is not None:
        found.append(slow)
    return sort_alerts(found)


@dataclass(frozen=True)
class Overview:
    """Attention and the stage statistics of every curriculum, from one reading of the history."""

    today: date
    attention: dict[str, list[Alert]]
    statistics: dict[str, StageStatistics]
    histories: Sequence[SubjectHistory] = ()


def overview(ws: StoreContext, today: date | None = None) -> Overview:
    today = today or date.today()
    histories = read_histories(ws)
    alerts = attention_of(ws, histories, today)
    statistics = {name: statistics_of(ws, name, histories, today) for name in curriculum_names(ws)}
    return Overview(today, alerts, statistics, histories)


# --- stage statistics -----------------------------------------------------------------------------------


def curriculum_names(ws: StoreContext) -> list[str]:
    """Published curricula by name, in the order they were first published."""
    return list(dict.fromkeys(v.name for v in published(ws)))


def stages_of(ws: StoreContext, name: str, runs: Sequence[Run] = ()) -> list[StageInfo]:
    """The stages of the latest version in curriculum order, then any stage only older versions had."""
    loaded = latest_version(ws, name)
    curriculum = loaded.curriculum
    order = stage_order(curriculum)
    stages = [
        StageInfo(s.id, s.name, s.terminal) for s in sorted(curriculum.stages, key=lambda s: order[s.id])
    ]
    known = {s.id for s in stages}
    for run in runs:
        for visit in run.visits:
            if visit.stage not in known:
                known.add(visit.stage)
                older = ws.loaded(visit.version).curriculum.stage(visit.stage)
                stages.append(
                    StageInfo(
                        visit.stage, older.name if older else visit.stage, bool(older and older.terminal)
                    )
                )
    return stages


def _resolve(ws: StoreContext, name: str | None) -> str:
    names = curriculum_names(ws)
    if name is None:
        if not names:
            raise NotFound(f"no curriculum is published in {ws.where}")
        if len(names) > 1:
            raise StoreError(f"{ws.where} holds several curricula ({', '.join(names)}): name one")
        return names[0]
    if name not in names:
        raise NotFound(f"no published curriculum {name!r} in {ws.where}")
    return name


def version_ids(ws: StoreContext, name: str, versions: Collection[str]) -> frozenset[int]:
    """Ids of the named versions of curriculum ``name`` (NotFound naming the first unknown one)."""
    found = {v.version: v.id for v in published(ws) if v.name == name}
    missing = [v for v in versions if v not in found]
    if missing:
        raise NotFound(f"no version {missing[0]} of {name!r} in {ws.where} (published: {', '.join(found)})")
    return frozenset(found[v] for v in versions)


def statistics(
    ws: StoreContext,
    curriculum: str | None = None,
    versions: Collection[str] | None = None,
    subjects: Collection[str] | None = None,
    today: date | None = None,
) -> StageStatistics:
    """Stage statistics of ``curriculum`` (name; default: the only one), all versions or ``versions``
    (e.g. ``["1.0.0"]``), all subjects or ``subjects``."""
    name = _resolve(ws, curriculum)
    label = name + (f" {', '.join(versions)}" if versions else " (all versions)")
    if subjects is not None:
        label += f", {len(subjects)} chosen subject(s)"
    arm = Arm(
        label,
        version_ids(ws, name, versions) if versions else None,
        frozenset(subjects) if subjects is not None else None,
    )
    return _arm_statistics(ws, name, arm, read_histories(ws, name, with_values=False), today)


def statistics_of(
    ws: StoreContext, name: str, histories: Sequence[SubjectHistory], today: date
) -> StageStatistics:
    """Stage statistics of every run of curriculum ``name`` among ``histories``."""
    return _arm_statistics(ws, name, Arm(f"{name} (all versions)"), histories, today)


def _arm_statistics(
    ws: StoreContext, name: str, arm: Arm, histories: Sequence[SubjectHistory], today: date | None
) -> StageStatistics:
    runs = [run for h in histories if h.curriculum == name for run in h.runs if arm.holds(run)]
    return stage_statistics(runs, stages_of(ws, name, runs), today or date.today(), arm.label)


def comparison(
    ws: StoreContext, curriculum: str | None, a: Arm, b: Arm, unit: str = SESSIONS, today: date | None = None
) -> Comparison:
    """Two arms of one curriculum side by side, stage by stage (see :func:`..core.stats.compare`)."""
    name = _resolve(ws, curriculum)
    histories = read_histories(ws, name, with_values=False)
    stats_a = _arm_statistics(ws, name, a, histories, today)
    stats_b = _arm_statistics(ws, name, b, histories, today)
    stages = stages_of(ws, name, [*stats_a.runs, *stats_b.runs])
    return compare(stats_a, stats_b, stages, unit)


def version_arm(ws: StoreContext, spec: str) -> tuple[str, Arm]:
    """``NAME@VERSION`` → (curriculum name, an arm of the runs enrolled on that version)."""
    name, at, version = spec.rpartition("@")
    if not at or not name or not version:
        raise StoreError(f"{spec!r}: expected NAME@VERSION, e.g. 'Two-choice visual discrimination@1.0.0'")
    name = _resolve(ws, name)
    return name, Arm(version, version_ids(ws, name, [version]))
