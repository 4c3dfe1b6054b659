"""What-if replay: run a curriculum (an edit) over real subjects' recorded histories, from enrollment.

For each subject the recorded history is its position events in order (enrolled, applied sessions,
override, eject, re-enroll, revert, migrated) and its sessions. Reality is what the events recorded; the
what-if trajectory evaluates the same sessions, at the same points, with the edited curriculum's trainer:

- the sessions an ``applied`` event evaluated are evaluated again, one by one, on the metrics they were
  evaluated on (:mod:`.histories`: the same ``number_list`` histories, including what a session imported
  late saw);
- manual changes are replayed at the same point by default (``include_manual=False`` leaves them out):
  an override puts the subject on the same stage (mapped into the edit) with the same policies, and its
  parameters if the person gave them (else the stage's current or default ones, as an override does); an
  eject takes it off; a re-enrollment starts it again; a revert undoes, in the replay, what the reverted
  event did in the replay;
- a move to another version (``migrated``) changes nothing in the what-if (the edit stands for every
  version); reality's stages and policies are compared through the same mapping as migration
  (:class:`~.migration.Migration`: by id, or by hand).

Replaying the published curriculum over its own subjects gives reality again, step by step; any difference
is what the edit changes. The result says, per subject, the first session where the two differ and the
rules that decided on each side, the sessions to reach each stage, and the promotions and regressions
that appear or disappear; across the cohort, how many subjects change, graduate earlier or later (median),
and which rules cause most of the differences.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from .event_kinds import APPLIED, EJECT, ENROLLED, MIGRATED, OVERRIDE, REENROLL, REVERT
from .histories import add_values, session_metrics, with_history
from .migration import DROP, Migration, MigrationError
from .migration import Mapping as IdMapping
from .model import Curriculum
from .python_rules import references
from .trainer import POLICY_UPDATE, PythonRuleRunner, SubjectState, Trainer, TrainerError, copy_json

MANUAL_KINDS = frozenset((OVERRIDE, EJECT, REENROLL))
_DECODER = json.JSONDecoder()


# --- input ----------------------------------------------------------------------------------------


class RecordedSession(NamedTuple):
    session: str
    date: date
    values: Mapping[str, Any]
    imported_at: datetime | None = None


class RecordedChange(NamedTuple):
    """One position event. ``version``: the curriculum version the subject was on after it (a key of the
    ``versions`` given to :class:`Replay`); ``after``: its state then. For ``applied``: ``sessions`` in the
    order evaluated, ``session_stages`` the stage after each (from its why) and ``why`` (each check with its
    ``session``)."""

    event_id: int
    kind: str
    version: Hashable
    after: SubjectState
    at: datetime | None = None
    sessions: tuple[str, ...] = ()
    session_stages: tuple[str | None, ...] = ()
    why: tuple[Mapping[str, Any], ...] = ()
    reverts: int | None = None
    parameters_given: bool = False
    why_text: str | None = None  # the why as JSON, parsed only when it is needed (``checks``)

    def checks(self) -> tuple[Mapping[str, Any], ...]:
        if self.why or self.why_text is None:
            return self.why
        return tuple(_DECODER.raw_decode(self.why_text)[0])  # the why, whatever follows it


@dataclass(frozen=True, slots=True)
class SubjectHistory:
    subject: str
    sessions: tuple[RecordedSession, ...]  # by date, then import order
    changes: tuple[RecordedChange, ...]  # in the order they happened


# --- output ---------------------------------------------------------------------------------------


class Step(NamedTuple):
    """One evaluated session, on both sides (stage and policy ids are the edit's). A named tuple: a
    cohort's replay makes one per session."""

    session: str
    date: date
    number: int  # sessions evaluated so far, this one included
    real_stage: str | None
    real_policies: tuple[str, ...] | None  # None: not recorded after this session (inside a batch)
    what_if_stage: str | None
    what_if_policies: tuple[str, ...]
    error: str | None = None  # the what-if evaluation failed (the subject stayed)
    real_parameters: Mapping[str, Any] | None = None  # None: not recorded after this session
    what_if_parameters: Mapping[str, Any] | None = None

    @property
    def differs(self) -> bool:
        """The subject is somewhere else (stage or active policies) under the edit."""
        if self.real_stage != self.what_if_stage:
            return True
        return self.real_policies is not None and self.real_policies != self.what_if_policies

    @property
    def parameters_differ(self) -> bool:
        """Same place, other task parameters for the next session (known where reality recorded them)."""
        return self.real_parameters is not None and self.real_parameters != self.what_if_parameters


@dataclass(frozen=True)
class SubjectReplay:
    subject: str
    skipped: str | None = None  # why the subject was not replayed
    steps: tuple[Step, ...] = ()
    first_difference: int | None = None  # index into steps
    real_decision: tuple[Mapping[str, Any], ...] = ()  # the checks that decided at the first difference
    what_if_decision: tuple[Mapping[str, Any], ...] = ()
    real_reach: Mapping[str, int] = field(default_factory=dict)  # stage id -> sessions to reach it
    what_if_reach: Mapping[str, int] = field(default_factory=dict)
    appeared: tuple[tuple[str, str, str], ...] = ()  # (promotion|regression, from, to) only in the what-if
    disappeared: tuple[tuple[str, str, str], ...] = ()  # only in reality
    real_end: tuple[str | None, tuple[str, ...], bool] = (None, (), True)  # stage, policies, on curriculum
    what_if_end: tuple[str | None, tuple[str, ...], bool] = (None, (), True)
    errors: int = 0  # what-if evaluations that failed
    first_parameter_difference: int | None = None  # index into steps: same place, other parameters

    @property
    def changed(self) -> bool:
        """Would move differently (or a rule of the edit fails on its sessions)."""
        return self.skipped is None and (
            self.first_difference is not None or self.real_end != self.what_if_end or bool(self.errors)
        )

    @property
    def parameters_changed(self) -> bool:
        return self.skipped is None and self.first_parameter_difference is not None


@dataclass(frozen=True)
class CohortSummary:
    replayed: int
    skipped: int
    changed: int  # would move differently
    parameters_changed: int  # same places, other task parameters
    graduated_earlier: int
    graduated_later: int
    median_shift: float | None  # what-if minus real sessions to graduate, over subjects whose time moved
    rules: tuple[tuple[str, int], ...]  # rule (label) -> subjects whose first difference it decided


@dataclass(frozen=True)
class ReplayResult:
    curriculum: Curriculum
    subjects: tuple[SubjectReplay, ...]
    summary: CohortSummary
    stage_names: Mapping[str, str]

    def stage_name(self, stage_id: str | None) -> str:
        if stage_id is None:
            return "—"
        return self.stage_names.get(stage_id, stage_id)

    def policy_names(self, stage_id: str | None) -> dict[str, str]:
        stage = self.curriculum.stage(stage_id) if stage_id else None
        return {p.id: p.name for p in stage.policies} if stage else {}


# --- the replay -----------------------------------------------------------------------------------


class Replay:
    """Replays ``curriculum`` over recorded histories. ``versions``: every curriculum version the histories
    were on (key -> curriculum); ``mapping``: hand-made stage/policy correspondences (as for migration),
    applied to every version whose ids differ from the edit's."""

    def __init__(
        self,
        curriculum: Curriculum,
        versions: Mapping[Hashable, Curriculum],
        mapping: IdMapping | None = None,
        include_manual: bool = True,
        python_rules: PythonRuleRunner | None = None,
        shortcut: bool = True,
    ) -> None:
        self.curriculum = curriculum
        self.trainer = Trainer(curriculum, python_rules)
        self.versions = versions
        self.mapping = mapping or IdMapping()
        self.include_manual = include_manual
        self.list_metrics = tuple(m.name for m in curriculum.metrics if m.type.value == "number_list")
        self._maps: dict[Hashable, Migration] = {}
        self._depth = _depths(curriculum)
        self._terminal = {s.id for s in curriculum.stages if s.terminal}
        self._stages = {s.id: s for s in curriculum.stages}
        self._real_cache: dict[tuple[Any, ...], tuple[str | None, tuple[str, ...]]] = {}
        # Where the edit cannot decide otherwise, reality's own outcome is the what-if (see _unchanged).
        self.shortcut = shortcut and not references(curriculum)
        self._unchanged: dict[Hashable, frozenset[str]] = {}

    def unchanged(self, version: Hashable) -> frozenset[str]:
        """The stages of ``version`` from which the edit evaluates exactly as that version did: the same
        rules, priorities, destinations, policies and the same stages to enter (defaults and start
        policies), with the same list metrics and no Python rule (which might not be pure). A subject in
        the same state as reality on such a stage gets reality's outcome without being evaluated again."""
        found = self._unchanged.get(version)
        if found is None:
            source = self.versions.get(version)
            same: frozenset[str] = frozenset()
            if self.shortcut and source is not None and not references(source):
                lists = {m.name for m in source.metrics if m.type.value == "number_list"}
                if lists == set(self.list_metrics):
                    same = frozenset(
                        s.id
                        for s in source.stages
                        if _signature(source, s.id) == _signature(self.curriculum, s.id)
                    )
            found = self._unchanged[version] = same
        return found

    def _map(self, version: Hashable) -> Migration:
        found = self._maps.get(version)
        if found is None:
            source = self.versions.get(version)
            if source is None:
                raise MigrationError(
                    f"the history names a curriculum version that is not known ({version!r})"
                )
            found = self._maps[version] = Migration(source, self.curriculum, self.mapping)
        return found

    def _in_edit(self, version: Hashable, state: SubjectState) -> tuple[str | None, tuple[str, ...]]:
        """A recorded state's stage and policies as ids of the edit (MigrationError if unmapped)."""
        migration = self._map(version)
        stage = migration.stage_for(state.stage_id)
        if state.stage_id is not None and stage is None:
            raise _unmapped(migration, state.stage_id)
        if stage is None:
            return None, ()
        target = self._stages[stage]
        policies = []
        for pid in state.active_policies:
            mapped = migration.policy_for(state.stage_id or "", pid, target)
            if mapped is None:
                raise MigrationError(
                    f"policy {pid!r} of stage {target.name!r} is not in the edit: "
                    "map it to a policy or drop it"
                )
            if mapped != DROP and mapped not in policies:
                policies.append(mapped)
        return stage, tuple(policies)

    def run(
        self,
        histories: Iterable[SubjectHistory],
        progress: Callable[[int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> ReplayResult:
        """Replay every history; ``progress(subjects done)`` after each; stops early (with what is done)
        when ``cancelled()`` says so."""
        out = []
        for i, history in enumerate(histories, 1):
            if cancelled is not None and cancelled():
                break
            out.append(self.subject(history))
            if progress is not None:
                progress(i)
        return ReplayResult(
            self.curriculum,
            tuple(out),
            summarize(out, self._terminal, self._rule_labels()),
            {s.id: s.name for s in self.curriculum.stages},
        )

    def _rule_labels(self) -> dict[str, str]:
        names = {s.id: s.name for s in self.curriculum.stages}
        labels = {
            t.id: f"{names.get(t.source, t.source)} → {names.get(t.destination, t.destination)}: "
            f"{t.rule.text}"
            for t in self.curriculum.stage_transitions
        }
        for stage in self.curriculum.stages:
            policies = {p.id: p.name for p in stage.policies}
            for policy in stage.policies:
                labels[policy.id] = f"{stage.name}: policy {policy.name}: {policy.updates.text}"
            for t in stage.policy_transitions:
                labels[t.id] = (
                    f"{stage.name}: {policies.get(t.source, t.source)} → "
                    f"{policies.get(t.destination, t.destination)}: {t.rule.text}"
                )
        return labels

    # -- one subject -----------------------------------------------------------------------------

    def subject(self, history: SubjectHistory) -> SubjectReplay:
        try:
            return self._subject(history)
        except (MigrationError, TrainerError) as exc:
            return SubjectReplay(history.subject, skipped=str(exc))

    def _subject(self, history: SubjectHistory) -> SubjectReplay:
        sessions = history.sessions
        index = {s.session: i for i, s in enumerate(sessions)}
        values = [s.values for s in sessions]
        feed = _Feed(values, self.list_metrics)
        trainer = self.trainer

        state: SubjectState | None = None  # the what-if
        real: tuple[str | None, tuple[str, ...], bool] = (None, (), True)  # reality, in the edit's ids
        real_state: SubjectState | None = None  # reality as recorded (its version's ids)
        before: dict[int, tuple[SubjectState | None, tuple[str | None, tuple[str, ...], bool]]] = {}
        consumed: dict[int, set[int]] = {}  # event id -> session indices it consumed (for reverts)
        steps: list[Step] = []
        real_timeline: list[tuple[int, str | None]] = []
        what_if_timeline: list[tuple[int, str | None]] = []
        real_moves: list[tuple[str | None, str | None]] = []
        what_if_moves: list[tuple[str | None, str | None]] = []
        first: int | None = None  # the first step where the subject is elsewhere
        first_parameters: int | None = None  # the first where only the parameters differ
        decisions: tuple[tuple[Mapping[str, Any], ...], tuple[Mapping[str, Any], ...]] = ((), ())
        errors = 0
        count = 0
        new_step = tuple.__new__  # a hundred thousand steps in a cohort's replay: every field is given

        for change in history.changes:
            kind = change.kind
            before_real_state, real_state = real_state, change.after
            if kind == REVERT:
                undone = before.pop(change.reverts, None) if change.reverts is not None else None
                real = self._real_after(change)
                real_timeline.append((count, real[0]))
                if undone is not None:
                    state = undone[0]
                    what_if_timeline.append((count, state.stage_id if state else None))
                for i in consumed.pop(change.reverts or -1, ()):
                    feed.unconsume(i)
                continue
            if kind in MANUAL_KINDS and not self.include_manual:  # reality moves; the what-if does not
                real = self._real_after(change)
                real_timeline.append((count, real[0]))
                if kind == REENROLL:  # the sessions it set aside stay out of the what-if too
                    consumed[change.event_id] = feed.set_aside(change.at, sessions)
                continue
            before[change.event_id] = (state, real)
            if kind == ENROLLED:
                stage, _ = self._in_edit(change.version, change.after)
                state = trainer.enroll(stage)
                real = self._real_after(change)
            elif kind == APPLIED:
                if state is None:
                    raise TrainerError("the history has sessions before its enrollment")
                taken: set[int] = set()
                last_k = len(change.sessions) - 1
                for k, session_id in enumerate(change.sessions):
                    i = index.get(session_id)
                    if i is None:
                        raise TrainerError(f"session {session_id!r} of the history is missing")
                    metrics = feed.metrics(i, change.at, sessions)
                    count += 1
                    if k == last_k:
                        new_real = self._real_after(change)
                    else:
                        real_stage = change.session_stages[k] if k < len(change.session_stages) else None
                        new_real = (self._real_stage(change.version, real_stage), None, True)
                    if new_real[0] != real[0]:
                        real_moves.append((real[0], new_real[0]))
                        real_timeline.append((count, new_real[0]))
                    real = (new_real[0], new_real[1] if new_real[1] is not None else real[1], new_real[2])
                    error = None
                    evaluation = None
                    if (
                        last_k == 0
                        and state == before_real_state
                        and state.is_on_curriculum
                        and state.stage_id in self.unchanged(change.version)
                    ):
                        new_state = change.after  # what the edit would do: it decides here as reality did
                        if new_state.stage_id != state.stage_id:
                            what_if_moves.append((state.stage_id, new_state.stage_id))
                            what_if_timeline.append((count, new_state.stage_id))
                        state = new_state
                    elif state.is_on_curriculum:
                        evaluation = trainer.evaluate(state, metrics)
                        if evaluation.error:
                            error = evaluation.message or "a rule failed"
                            errors += 1
                        new_state = evaluation.state
                        if new_state.stage_id != state.stage_id:
                            what_if_moves.append((state.stage_id, new_state.stage_id))
                            what_if_timeline.append((count, new_state.stage_id))
                        state = new_state
                    step = new_step(
                        Step,
                        (
                            session_id,
                            sessions[i].date,
                            count,
                            real[0],
                            new_real[1],
                            state.stage_id,
                            tuple(state.active_policies),
                            error,
                            change.after.parameters if k == last_k else None,
                            state.parameters,
                        ),
                    )
                    # The rules that decided, read now: the lists in the metrics go on growing.
                    if first is None and step.differs:
                        first = len(steps)
                        decisions = _decisions(_for_session(change, session_id), evaluation)
                    elif first is None and first_parameters is None and step.parameters_differ:
                        first_parameters = len(steps)
                        decisions = _decisions(_for_session(change, session_id), evaluation, parameters=True)
                    steps.append(step)
                    feed.consume(i)
                    taken.add(i)
                consumed[change.event_id] = taken
            elif kind == OVERRIDE:
                state = self._override(state, change)
                real = self._real_after(change)
            elif kind == EJECT:
                state = state.off_curriculum() if state is not None else None
                real = self._real_after(change)
            elif kind == REENROLL:
                stage, _ = self._in_edit(change.version, change.after)
                state = trainer.enroll(stage)  # as the store does: counters start again
                real = self._real_after(change)
                consumed[change.event_id] = feed.set_aside(change.at, sessions)
            elif kind == MIGRATED:
                real = self._real_after(change)
            else:
                continue
            if kind != APPLIED:
                real_timeline.append((count, real[0]))
                what_if_timeline.append((count, state.stage_id if state else None))

        real_decision, what_if_decision = decisions
        what_if_end = (
            (state.stage_id, tuple(state.active_policies), state.is_on_curriculum)
            if state
            else (None, (), True)
        )
        appeared, disappeared = self._moves(real_moves, what_if_moves)
        return SubjectReplay(
            history.subject,
            None,
            tuple(steps),
            first,
            real_decision,
            what_if_decision,
            _reach(real_timeline),
            _reach(what_if_timeline),
            appeared,
            disappeared,
            real,
            what_if_end,
            errors,
            first_parameters,
        )

    def _real_stage(self, version: Hashable, stage_id: str | None) -> str | None:
        if stage_id is None:
            return None
        migration = self._map(version)
        mapped = migration.stage_for(stage_id)
        if mapped is None:
            raise _unmapped(migration, stage_id)
        return mapped

    def _real_after(self, change: RecordedChange) -> tuple[str | None, tuple[str, ...], bool]:
        after = change.after
        key = (change.version, after.stage_id, after.active_policies)
        found = self._real_cache.get(key)
        if found is None:
            found = self._real_cache[key] = self._in_edit(change.version, after)
        return found[0], found[1], after.is_on_curriculum

    def _override(self, state: SubjectState | None, change: RecordedChange) -> SubjectState:
        """The override's target (mapped) applied to the what-if state, as the store's override does."""
        if state is None:
            raise TrainerError("the history has an override before its enrollment")
        stage_id, policies = self._in_edit(change.version, change.after)
        target = self._stages.get(stage_id) if stage_id else None
        if target is None:
            raise MigrationError("an override put the subject on a stage the edit does not have")
        same = stage_id == state.stage_id
        if change.parameters_given:
            parameters = copy_json(dict(change.after.parameters))
        else:
            parameters = copy_json(dict(state.parameters if same else target.task.parameters))
        kept = state.sessions_in_policy if same else {}
        return SubjectState(
            stage_id,
            policies,
            parameters,
            True,
            state.sessions_total,
            state.sessions_in_stage if same else 0,
            {p: kept.get(p, 0) for p in policies},
        )

    def _moves(
        self, real: list[tuple[str | None, str | None]], what_if: list[tuple[str | None, str | None]]
    ) -> tuple[tuple[tuple[str, str, str], ...], tuple[tuple[str, str, str], ...]]:
        """Promotions and regressions only one side made (as multisets of moves)."""

        def label(moves: list[tuple[str | None, str | None]]) -> Counter[tuple[str, str, str]]:
            out: Counter[tuple[str, str, str]] = Counter()
            for a, b in moves:
                if a is None or b is None:
                    continue
                depth_a, depth_b = self._depth.get(a, 0), self._depth.get(b, 0)
                out[("regression" if depth_b < depth_a else "promotion", a, b)] += 1
            return out

        if real == what_if:
            return (), ()
        r, w = label(real), label(what_if)
        return tuple(sorted((w - r).elements())), tuple(sorted((r - w).elements()))


class _Feed:
    """Builds each session's metrics as the store did when it evaluated it: the list histories of the
    sessions known then (imported by that time) up to it, plus the later-dated ones already evaluated.
    Kept incrementally for the usual case (sessions in order); rebuilt for the rest."""

    def __init__(self, values: Sequence[Mapping[str, Any]], list_metrics: Sequence[str]) -> None:
        self.values = values
        self.list_metrics = list_metrics
        self.history: dict[str, list[Any]] = {name: [] for name in list_metrics}
        self.position = 0  # sessions[:position] are in self.history
        self.exact = True  # every session before position was known when added
        self.consumed: set[int] = set()
        self.latest = -1  # the highest consumed index

    def metrics(self, i: int, at: datetime | None, sessions: Sequence[RecordedSession]) -> dict[str, Any]:
        if not self.list_metrics:
            return dict(self.values[i])
        if self.exact and self.position <= i and self.latest <= i:
            while self.position < i:
                if not _known(sessions[self.position], at):
                    self.exact = False
                    break
                add_values(self.history, self.values[self.position])
                self.position += 1
            if self.exact:  # shared lists: the replay reads a why at once, before the next session
                return with_history(self.values[i], self._with(i), copy=False)
        up_to = [self.values[j] for j in range(i + 1) if j == i or _known(sessions[j], at)]
        later = [self.values[j] for j in sorted(self.consumed) if j > i]
        return session_metrics(self.list_metrics, up_to, later)

    def _with(self, i: int) -> dict[str, list[Any]]:
        """The running history with session ``i`` added (and kept: the next session comes after it)."""
        add_values(self.history, self.values[i])
        self.position = i + 1
        return self.history

    def consume(self, i: int) -> None:
        self.consumed.add(i)
        self.latest = max(self.latest, i)

    def unconsume(self, i: int) -> None:
        self.consumed.discard(i)
        self.latest = max(self.consumed, default=-1)
        self.exact = False  # the reverted sessions come again: their lists are rebuilt

    def set_aside(self, at: datetime | None, sessions: Sequence[RecordedSession]) -> set[int]:
        """A re-enrollment marks every known session not yet evaluated as done (never evaluated)."""
        taken = {j for j in range(len(sessions)) if j not in self.consumed and _known(sessions[j], at)}
        for j in taken:
            self.consume(j)
        return taken


def _signature(curriculum: Curriculum, stage_id: str) -> Any:
    """All a trainer reads when it evaluates a subject on ``stage_id`` (None when there is no such
    stage): its transitions in order, its policies and their transitions, and the stages it can enter."""
    stage = curriculum.stage(stage_id)
    if stage is None:
        return None
    out = [t for t in curriculum.stage_transitions if t.source == stage_id]
    entered = {t.destination: curriculum.stage(t.destination) for t in out}
    return (
        [t.model_dump(mode="json") for t in out],
        [p.model_dump(mode="json", exclude={"position", "name", "description"}) for p in stage.policies],
        [t.model_dump(mode="json") for t in stage.policy_transitions],
        {
            dest: (s.task.parameters, s.start_policies, [p.id for p in s.policies]) if s else None
            for dest, s in entered.items()
        },
    )


def _unmapped(migration: Migration, stage_id: str) -> MigrationError:
    return MigrationError(
        f"stage {migration.source_stage_name(stage_id)!r} is not in the edit: map it to one of its stages"
    )


def _known(session: RecordedSession, at: datetime | None) -> bool:
    return at is None or session.imported_at is None or session.imported_at <= at


def _for_session(change: RecordedChange, session: str) -> tuple[Mapping[str, Any], ...]:
    """The recorded checks of one session of an applied batch."""
    return tuple(c for c in change.checks() if c.get("session") == session)


def _decisions(
    real: Sequence[Mapping[str, Any]], evaluation: Any, parameters: bool = False
) -> tuple[tuple[Mapping[str, Any], ...], tuple[Mapping[str, Any], ...]]:
    """The checks that decided, on each side: what fired; and where one side fired a rule the other
    only checked, that rule as the other side saw it (so both sides show the same rule and its values).
    ``parameters``: the two differ only in parameters: the policy updates that ran, on each side."""
    what_if = [c.to_json() for c in evaluation.why] if evaluation is not None else []
    if parameters:
        return (
            tuple(c for c in real if c.get("kind") == POLICY_UPDATE),
            tuple(c for c in what_if if c.get("kind") == POLICY_UPDATE),
        )
    real_fired = [c for c in real if c.get("fired") and c.get("kind") != POLICY_UPDATE]
    what_if_fired = [c for c in what_if if c.get("fired") and c.get("kind") != POLICY_UPDATE]
    errors = [c for c in what_if if c.get("error")]
    real_ids = {c.get("id") for c in real_fired}
    what_if_ids = {c.get("id") for c in what_if_fired}
    real_side = real_fired + [c for c in real if c.get("id") in what_if_ids - real_ids]
    what_if_side = what_if_fired + errors + [c for c in what_if if c.get("id") in real_ids - what_if_ids]
    return tuple(real_side), tuple(what_if_side)


def _reach(timeline: Sequence[tuple[int, str | None]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for sessions, stage in timeline:
        if stage is not None and stage not in out:
            out[stage] = sessions
    return out


def _depths(curriculum: Curriculum) -> dict[str, int]:
    """Breadth-first depth from the start stage (a move to a shallower stage is a regression)."""
    if curriculum.start_stage is None:
        return {}
    depth = {curriculum.start_stage: 0}
    frontier = [curriculum.start_stage]
    outgoing: dict[str, list[str]] = {}
    for t in curriculum.stage_transitions:
        outgoing.setdefault(t.source, []).append(t.destination)
    while frontier:
        nxt = []
        for stage in frontier:
            for dest in outgoing.get(stage, ()):
                if dest not in depth:
                    depth[dest] = depth[stage] + 1
                    nxt.append(dest)
        frontier = nxt
    return depth


def graduation(reach: Mapping[str, int], terminal: set[str]) -> int | None:
    """Sessions to reach the first terminal stage, or None."""
    times = [n for stage, n in reach.items() if stage in terminal]
    return min(times) if times else None


def summarize(
    subjects: Sequence[SubjectReplay], terminal: set[str], rule_labels: Mapping[str, str]
) -> CohortSummary:
    replayed = [s for s in subjects if s.skipped is None]
    earlier = later = 0
    shifts: list[int] = []
    rules: Counter[str] = Counter()
    for s in replayed:
        real, what_if = graduation(s.real_reach, terminal), graduation(s.what_if_reach, terminal)
        if real != what_if:
            if what_if is not None and (real is None or what_if < real):
                earlier += 1
            else:
                later += 1
            if real is not None and what_if is not None:
                shifts.append(what_if - real)
        if s.first_difference is not None or s.first_parameter_difference is not None:
            deciding = {c.get("id") for c in (*s.real_decision, *s.what_if_decision) if c.get("id")}
            for rule_id in deciding:
                rules[rule_labels.get(rule_id, rule_id)] += 1
    return CohortSummary(
        len(replayed),
        len(subjects) - len(replayed),
        sum(s.changed for s in replayed),
        sum(s.parameters_changed and not s.changed for s in replayed),
        earlier,
        later,
        statistics.median(shifts) if shifts else None,
        tuple(rules.most_common()),
    )
