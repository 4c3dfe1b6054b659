"""The embedded trainer: where a subject goes next, and why (aind-behavior-curriculum's semantics).

Pure functions over plain data: :class:`Trainer` compiles every rule of a curriculum once;
:meth:`Trainer.evaluate` takes a :class:`SubjectState` and one session's metrics and returns an
:class:`Evaluation` (the new state and the "why"). The input state is never modified; the same input always
gives the same output.

Semantics of :meth:`Trainer.evaluate` (as ``aind_behavior_curriculum.Trainer.evaluate``):

1. A subject off the curriculum is not evaluated: the state comes back unchanged, with a message.
2. The current stage's outgoing stage transitions are checked in priority order; the first true one moves
   the subject to its destination, with that stage's default task parameters and its start policies active,
   *not yet applied*. A stage transition overrides every policy transition (none is checked).
3. Otherwise each active policy moves at most one hop: its first true outgoing policy transition replaces it
   by the destination. The resulting list keeps the first occurrence of each policy (deterministic; aind
   uses a set, whose order depends on the hash seed).
4. All active policies are then applied, in that order, cumulatively to the subject's current parameters.

Counters. The metrics given to ``evaluate`` are those of a session just completed, so the counters the
rules read already count it: ``sessions_total`` (sessions since enrollment), ``sessions_in_stage``
(sessions in the current stage) and ``sessions_in_policy`` (sessions while the policy being evaluated was
active: the source policy of a policy transition, or the policy whose update runs). A stage transition
resets ``sessions_in_stage`` to 0 and the new start policies' counters to 0; a policy entered by a
transition starts at 0, so its update sees 0 (``ramp(...)`` gives its start value), while a policy that
stays keeps counting.

Errors. If any rule fails while it is evaluated (division by zero, a missing metric, a wrong type, a
Python reference that is not trusted or raises, a destination that does not exist), evaluation stops there:
the subject stays exactly where it was (the returned state is the input state: stage, policies, parameters
*and counters*), ``error`` is True and the failing check, last in ``why``, carries the message.
Nothing raises for a bad rule; a curriculum with a rule that does not compile still builds a trainer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple, Protocol

from .attention import Alert, AttentionRules
from .errors import CurriculumGuiError
from .model import Curriculum, ExpressionRule, PythonRule, Rule
from .rules.compiler import (
    PLAIN_NUMBERS,
    PLAIN_VALUES,
    CompiledCondition,
    CompiledUpdate,
    Context,
    compile_condition,
    compile_update,
    fast_context,
)
from .rules.errors import RuleError
from .rules.functions import describe, short_repr

STAGE_TRANSITION = "stage_transition"
POLICY_TRANSITION = "policy_transition"
POLICY_UPDATE = "policy_update"


class TrainerError(CurriculumGuiError):
    """The trainer cannot do what was asked (no start stage, an unknown stage, an unreadable state)."""


class PythonRuleRunner(Protocol):
    """Runs aind-style Python references (``"package.module.function"``) the user has chosen to trust."""

    def condition(self, reference: str, metrics: Mapping[str, Any]) -> bool: ...

    def update(
        self, reference: str, metrics: Mapping[str, Any], task_name: str, parameters: dict
    ) -> dict: ...


def copy_json(value: Any) -> Any:
    """A deep copy of JSON-like data (dicts, lists, scalars), faster than :func:`copy.deepcopy`."""
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [copy_json(v) for v in value]
    return value


_tuple_new = tuple.__new__


# --- state --------------------------------------------------------------------------------------


class _SubjectFields(NamedTuple):
    stage_id: str | None
    active_policies: tuple[str, ...]
    parameters: Mapping[str, Any]
    is_on_curriculum: bool
    sessions_total: int
    sessions_in_stage: int
    sessions_in_policy: Mapping[str, int]


class SubjectState(_SubjectFields):
    """Where a subject is. Treat ``parameters`` and ``sessions_in_policy`` as immutable (copy on change).

    An immutable named tuple underneath, because the trainer makes one per evaluation and a tuple is the
    cheapest object Python builds; it compares equal only to another :class:`SubjectState`.
    """

    __slots__ = ()

    def __new__(
        cls,
        stage_id: str | None,
        active_policies: tuple[str, ...] = (),
        parameters: Mapping[str, Any] | None = None,
        is_on_curriculum: bool = True,
        sessions_total: int = 0,
        sessions_in_stage: int = 0,
        sessions_in_policy: Mapping[str, int] | None = None,
    ) -> SubjectState:
        return _tuple_new(
            cls,
            (
                stage_id,
                active_policies,
                {} if parameters is None else parameters,
                is_on_curriculum,
                sessions_total,
                sessions_in_stage,
                {} if sessions_in_policy is None else sessions_in_policy,
            ),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SubjectState) and tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:  # parameters and counters are dicts: hash the rest
        return hash(
            (
                self.stage_id,
                tuple(self.active_policies),
                self.is_on_curriculum,
                self.sessions_total,
                self.sessions_in_stage,
            )
        )

    def off_curriculum(self) -> SubjectState:
        """The same position, marked off the curriculum (an eject): the trainer will not evaluate it."""
        return self._replace(is_on_curriculum=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "stage_id": self.stage_id,
            "active_policies": list(self.active_policies),
            "parameters": copy_json(dict(self.parameters)),
            "is_on_curriculum": self.is_on_curriculum,
            "sessions_total": self.sessions_total,
            "sessions_in_stage": self.sessions_in_stage,
            "sessions_in_policy": dict(self.sessions_in_policy),
        }

    @classmethod
    def from_json(cls, data: Any) -> SubjectState:
        """The inverse of :meth:`to_json`; raises :class:`TrainerError` saying which field is wrong."""
        if not isinstance(data, Mapping):
            raise TrainerError(f"a subject state must be a JSON object, got {type(data).__name__}")

        def get(key: str, kind: type | tuple[type, ...], default: Any) -> Any:
            value = data.get(key, default)
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise TrainerError(f"subject state: {key!r} has the wrong type ({short_repr(value)})")
            return value

        stage_id = get("stage_id", (str, type(None)), None)
        active = get("active_policies", list, [])
        if not all(isinstance(p, str) for p in active):
            raise TrainerError("subject state: 'active_policies' must be a list of policy ids")
        counts = get("sessions_in_policy", dict, {})
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in counts.values()):
            raise TrainerError("subject state: 'sessions_in_policy' must map policy ids to whole numbers")
        return cls(
            stage_id=stage_id,
            active_policies=tuple(active),
            parameters=copy_json(get("parameters", dict, {})),
            is_on_curriculum=get("is_on_curriculum", bool, True),
            sessions_total=get("sessions_total", int, 0),
            sessions_in_stage=get("sessions_in_stage", int, 0),
            sessions_in_policy=dict(counts),
        )


SHOWN_ITEMS = 10
"""A list a rule read (a history) is kept in the "why" as its last items: at most this many entries, the
first saying how many earlier ones were left out. The why of a session then costs the same at session
500 as at session 1, in memory, in the event log and on screen."""


def shown_value(value: Any) -> Any:
    """``value`` as the "why" keeps it: a list longer than :data:`SHOWN_ITEMS` as its last items, after a
    note of how many came before (``["… 480 earlier", 0.7, ...]``); anything else as it is."""
    if type(value) is list and len(value) > SHOWN_ITEMS:
        kept = SHOWN_ITEMS - 1
        return [f"… {len(value) - kept} earlier", *value[-kept:]]
    return value


def _json_value(value: Any) -> Any:
    """A value read by a rule, as JSON (lists stay lists; anything odd becomes its short repr)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else repr(value)
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return short_repr(value)


class Check(NamedTuple):
    """One rule checked during an evaluation (an entry of the "why").

    ``kind``: ``stage_transition``, ``policy_transition`` or ``policy_update``. ``id`` is the transition's id
    (the policy's for an update). For an update, ``source_*`` is the policy and ``destination_*`` is None,
    ``result`` is None and ``changes`` holds the parameters it set. ``values``: what the rule read.
    (A named tuple: a cohort's explanations make many of them.)
    """

    kind: str
    id: str
    source_id: str
    source_name: str
    destination_id: str | None
    destination_name: str | None
    rule: str
    result: bool | None
    values: Mapping[str, Any]
    error: str | None = None
    fired: bool = False
    changes: Mapping[str, Any] | None = None
    python: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "id": self.id,
            "source": self.source_name,
            "source_id": self.source_id,
        }
        if self.kind != POLICY_UPDATE:
            out["destination"] = self.destination_name
            out["destination_id"] = self.destination_id
        out["rule"] = self.rule
        if self.python:
            out["python"] = True
        out["result"] = self.result
        out["values"] = {k: _json_value(shown_value(v)) for k, v in self.values.items()}
        if self.changes is not None:
            out["changes"] = {k: _json_value(v) for k, v in self.changes.items()}
        out["fired"] = self.fired
        out["error"] = self.error
        return out

    def describe(self) -> str:
        """One line for people, e.g. ``stage transition 'A' → 'B': theta_2 > 5 → true (theta_2=7) FIRED``."""
        what = self.kind.replace("_", " ")
        head = f"{what} {self.source_name!r}"
        if self.destination_name is not None:
            head += f" → {self.destination_name!r}"
        values = ", ".join(f"{k}={short_repr(shown_value(v), 40)}" for k, v in self.values.items())
        if self.error:
            outcome = f"ERROR: {self.error}"
        elif self.kind == POLICY_UPDATE:
            outcome = "set " + (
                ", ".join(f"{k}={short_repr(v, 40)}" for k, v in (self.changes or {}).items()) or "nothing"
            )
        else:
            outcome = "true" if self.result else "false"
        tail = " FIRED" if self.fired and self.kind != POLICY_UPDATE else ""
        return f"{head}: {self.rule} → {outcome}" + (f" ({values})" if values else "") + tail


class Evaluation(tuple):
    """The result of one evaluation: the new ``state`` (the input state itself when nothing may change), the
    checks made in order (``why``), the transitions that ``fired``, whether a rule failed (``error``), and a
    ``message`` for people. Unpacks as ``new_state, why = trainer.evaluate(state, metrics)``.

    ``why`` is worked out when it is read, so evaluating a large cohort pays only for the explanations it
    looks at: from compact records, or, after the trainer's fast path (which records nothing), by
    evaluating the same input again with every read recorded. Rules are pure, so that gives the same
    checks; Python references, which might not be, never take the fast path. The metrics are kept as a
    one-level copy: a list inside them (a history) is shared, so change it in place only after reading
    ``why``, or give each evaluation its own lists, as the store and the CLI do. (A tuple underneath,
    because a cohort creates many of them.)
    """

    __slots__ = ()

    def __new__(
        cls,
        state: SubjectState,
        why: list[Check] | None = None,
        fired: tuple[Check, ...] | None = None,
        error: bool = False,
        message: str | None = None,
    ) -> Evaluation:
        return tuple.__new__(cls, (state, error, message, None, list(why or ()), None, None, None))

    state: SubjectState = property(itemgetter(0), doc="The new state.")  # type: ignore[assignment]
    error: bool = property(itemgetter(1), doc="True when a rule failed (the state is the input state).")  # type: ignore[assignment]
    message: str | None = property(itemgetter(2), doc="A message for people, or None.")  # type: ignore[assignment]

    @property
    def why(self) -> list[Check]:
        records = self[3]
        if records is not None:
            return [_check_from_record(r) for r in records]
        trainer = self[5]
        if trainer is not None:  # the fast path: (trainer, input state, metrics)
            return trainer._evaluate_recorded(self[6], self[7]).why
        return list(self[4])

    @property
    def fired(self) -> tuple[Check, ...]:
        return tuple(c for c in self.why if c.fired and c.kind != POLICY_UPDATE)

    def settled(self) -> Evaluation:
        """The same evaluation with its ``why`` worked out now and every list a rule read kept as the why
        keeps it (:func:`shown_value`): it holds no reference to the metrics any more, so a caller may go
        on changing their lists (a long history, evaluated session after session)."""
        why = [c._replace(values={k: shown_value(v) for k, v in c.values.items()}) for c in self.why]
        return tuple.__new__(Evaluation, (self.state, self.error, self.message, None, why, None, None, None))

    def __iter__(self):
        return iter((self[0], self.why))

    def __repr__(self) -> str:
        state, error, message = self.state, self.error, self.message
        return f"Evaluation(state={state!r}, error={error!r}, message={message!r}, why={self.why!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Evaluation):
            return NotImplemented
        return (self.state, self.error, self.message, self.why) == (
            other.state,
            other.error,
            other.message,
            other.why,
        )

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = None  # type: ignore[assignment]

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state.to_json(),
            "why": [c.to_json() for c in self.why],
            "error": self.error,
            "message": self.message,
        }


def _lazy(state: SubjectState, error: bool, message: str | None, records: list[tuple]) -> Evaluation:
    return _tuple_new(Evaluation, (state, error, message, records, None, None, None, None))


def _check_from_record(record: tuple) -> Check:
    kind, item, result, values, error, fired, changes = record
    if kind == POLICY_UPDATE:
        rule = item.update
        python = rule.python is not None
        fields = (
            kind,
            item.id,
            item.id,
            item.name,
            None,
            None,
            rule.text,
            None,
            values,
            error,
            fired,
            changes,
            python,
        )
        return _tuple_new(Check, fields)
    rule = item.rule
    return _tuple_new(
        Check,
        (
            kind,
            item.id,
            item.source_id,
            item.source_name,
            item.destination_id,
            item.destination_name,
            rule.text,
            result,
            values,
            error,
            fired,
            None,
            rule.python is not None,
        ),
    )


# --- compiled curriculum ------------------------------------------------------------------------


class _Rule:
    """A compiled rule: ``compiled`` (or the compile ``error``, reported each time the rule is evaluated, or a
    ``python`` reference, run only through the runner). For the fast path: ``fn``, a condition's closure,
    and ``comparison``, the condition as data when it is ``metric <op> number``; ``constants``, an update's
    values when it only sets constants; ``is_noop``, an update without assignments (skipped)."""

    __slots__ = ("comparison", "compiled", "constants", "error", "fn", "is_noop", "python", "text")

    def __init__(
        self,
        text: str,
        compiled: CompiledCondition | CompiledUpdate | None,
        error: str | None,
        python: str | None,
    ) -> None:
        self.text = text
        self.compiled = compiled
        self.error = error
        self.python = python
        self.fn = compiled._fn if isinstance(compiled, CompiledCondition) else None
        self.comparison = compiled.comparison if isinstance(compiled, CompiledCondition) else None
        self.constants = compiled.constants if isinstance(compiled, CompiledUpdate) else None
        self.is_noop = isinstance(compiled, CompiledUpdate) and not compiled.assignments


@dataclass(frozen=True, slots=True)
class _Edge:
    id: str
    source_id: str
    source_name: str
    destination_id: str
    destination_name: str
    rule: _Rule
    fn: Any = None  # the condition's closure (fast path), when it compiled
    comparison: Any = None  # the condition as data when it is ``metric <op> number`` (fast path)

    @classmethod
    def make(
        cls,
        id: str,
        source_id: str,
        source_name: str,
        destination_id: str,
        destination_name: str,
        rule: _Rule,
    ) -> _Edge:
        return cls(
            id, source_id, source_name, destination_id, destination_name, rule, rule.fn, rule.comparison
        )


@dataclass(frozen=True, slots=True)
class _Policy:
    id: str
    name: str
    update: _Rule
    transitions: tuple[_Edge, ...]


@dataclass(frozen=True, slots=True)
class _Stage:
    id: str
    name: str
    task_name: str
    defaults: Mapping[str, Any]
    start_policies: tuple[str, ...]
    transitions: tuple[_Edge, ...]
    policies: Mapping[str, _Policy]
    nested: bool  # defaults hold dicts or lists (copied deeply on entry)
    start_counts: Mapping[str, int]
    entered: str  # the message of an evaluation that moves here
    fast: bool = False  # every rule here compiled and every destination exists: the fast path may run


class Trainer:
    """Compiles a curriculum's rules once; then enrolls and evaluates subjects (see the module docstring).

    ``python_rules``: the runner for Python references; without one, such a rule evaluates to a rule
    error saying the reference is not trusted. The trainer keeps its own copy of what it needs, so later
    edits of ``curriculum`` do not affect it.
    """

    def __init__(self, curriculum: Curriculum, python_rules: PythonRuleRunner | None = None) -> None:
        self.curriculum = curriculum
        self.python_rules = python_rules
        self.attention_rules = AttentionRules(curriculum)
        self._cache: dict[tuple[str, str], _Rule] = {}
        self.start_stage: str | None = curriculum.start_stage
        stage_names = {}
        for stage in curriculum.stages:
            stage_names.setdefault(stage.id, stage.name)
        outgoing: dict[str, list[_Edge]] = {}
        for t in curriculum.stage_transitions:
            edge = _Edge.make(
                t.id,
                t.source,
                stage_names.get(t.source, t.source),
                t.destination,
                stage_names.get(t.destination, t.destination),
                self._compile(t.rule, "condition"),
            )
            outgoing.setdefault(t.source, []).append(edge)
        self._stages: dict[str, _Stage] = {}
        for stage in curriculum.stages:
            if stage.id in self._stages:
                continue  # a duplicate id (a validation error): the first one wins
            policy_names: dict[str, str] = {}
            for p in stage.policies:
                policy_names.setdefault(p.id, p.name)
            policy_out: dict[str, list[_Edge]] = {}
            for t in stage.policy_transitions:
                edge = _Edge.make(
                    t.id,
                    t.source,
                    policy_names.get(t.source, t.source),
                    t.destination,
                    policy_names.get(t.destination, t.destination),
                    self._compile(t.rule, "condition"),
                )
                policy_out.setdefault(t.source, []).append(edge)
            policies: dict[str, _Policy] = {}
            for p in stage.policies:
                if p.id not in policies:
                    policies[p.id] = _Policy(
                        p.id, p.name, self._compile(p.updates, "update"), tuple(policy_out.get(p.id, ()))
                    )
            transitions = tuple(outgoing.get(stage.id, ()))
            self._stages[stage.id] = _Stage(
                stage.id,
                stage.name,
                stage.task.name,
                copy_json(stage.task.parameters),
                tuple(dict.fromkeys(stage.start_policies)),
                transitions,
                policies,
                any(isinstance(v, dict | list) for v in stage.task.parameters.values()),
                dict.fromkeys(stage.start_policies, 0),
                f"moves to stage {stage.name!r}",
                all(e.fn is not None and e.destination_id in stage_names for e in transitions)
                and all(
                    p.update.compiled is not None
                    and all(e.fn is not None and e.destination_id in policies for e in p.transitions)
                    for p in policies.values()
                ),
            )

    def _compile(self, rule: Rule, mode: str) -> _Rule:
        if isinstance(rule, PythonRule):
            return _Rule(rule.python, None, None, rule.python)
        assert isinstance(rule, ExpressionRule)
        key = (mode, rule.expression)
        cached = self._cache.get(key)
        if cached is None:
            try:
                compiled = (
                    compile_condition(rule.expression)
                    if mode == "condition"
                    else compile_update(rule.expression)
                )
                cached = _Rule(rule.expression, compiled, None, None)
            except RuleError as exc:
                cached = _Rule(rule.expression, None, str(exc), None)
            self._cache[key] = cached
        return cached

    # -- attention (checked beside the evaluation; it never moves a subject)

    def attention(
        self,
        state: SubjectState,
        metrics: Mapping[str, Any],
        *,
        days_since_last_session: int | None = None,
        days_in_stage: int | None = None,
    ) -> list[Alert]:
        """Why this subject needs a person (see :mod:`.attention`): the curriculum's attention rules over
        its latest ``metrics`` and its counters, and its stage's session budget. Nothing for a subject off
        the curriculum. The cohort-relative "slow in stage" needs the cohort (``attention.slow_in_stage``)."""
        if not state.is_on_curriculum or not self.attention_rules:
            return []
        counters = {
            "sessions_in_stage": state.sessions_in_stage,
            "sessions_total": state.sessions_total,
            "days_since_last_session": days_since_last_session,
            "days_in_stage": days_in_stage,
        }
        return self.attention_rules.check(state.stage_id, metrics, counters)

    # -- names, for people

    def stage_name(self, stage_id: str | None) -> str | None:
        if stage_id is None:
            return None
        stage = self._stages.get(stage_id)
        return stage.name if stage else stage_id

    def policy_names(self, state: SubjectState) -> list[str]:
        stage = self._stages.get(state.stage_id) if state.stage_id else None
        return [stage.policies[p].name if stage and p in stage.policies else p for p in state.active_policies]

    def stage_id_for(self, name_or_id: str) -> str:
        """A stage id from a name or an id; raises :class:`TrainerError` if neither matches."""
        if name_or_id in self._stages:
            return name_or_id
        for stage in self._stages.values():
            if stage.name == name_or_id:
                return stage.id
        names = ", ".join(repr(s.name) for s in self._stages.values())
        raise TrainerError(f"no stage named {name_or_id!r} (stages: {names})")

    # -- enrollment

    def enroll(self, start_stage_id: str | None = None) -> SubjectState:
        """A new subject on the start stage (or ``start_stage_id``): start policies active, not applied."""
        stage_id = start_stage_id if start_stage_id is not None else self.start_stage
        if stage_id is None:
            raise TrainerError(f"curriculum {self.curriculum.name!r} has no start stage: choose one first")
        stage = self._stages.get(stage_id)
        if stage is None:
            raise TrainerError(
                f"cannot enroll: stage {stage_id!r} is not in curriculum {self.curriculum.name!r}"
            )
        return self._entering(stage, sessions_total=0)

    @staticmethod
    def _entering(stage: _Stage, sessions_total: int) -> SubjectState:
        return _tuple_new(
            SubjectState,
            (
                stage.id,
                stage.start_policies,
                copy_json(stage.defaults) if stage.nested else dict(stage.defaults),
                True,
                sessions_total,
                0,
                stage.start_counts.copy(),
            ),
        )

    # -- evaluation

    def _condition(self, rule: _Rule, ctx: Context, metrics: Mapping[str, Any]) -> tuple[Any, str | None]:
        """(result, error); ``ctx.reads`` gets what the rule read."""
        compiled = rule.compiled
        if compiled is not None:
            ctx.reads = {}
            try:
                value = compiled._fn(ctx)  # type: ignore[union-attr]
            except RuleError as exc:
                return None, str(exc)
            except Exception as exc:
                return None, f"the rule failed: {type(exc).__name__}: {short_repr(str(exc), 200)}"
            if value is True or value is False:
                return value, None
            try:
                return compiled.evaluate(ctx), None  # type: ignore[union-attr]  # gives the proper error
            except RuleError as exc:
                return None, str(exc)
        if rule.python is not None:
            return self._python_condition(rule.python, metrics)
        return None, f"the rule does not compile: {rule.error}"

    def _untrusted(self, reference: str) -> str:
        return (
            f"Python reference {reference!r} is not trusted: not run (trust Python rules first: "
            "Curriculum → Trust Python Rules… in the app, --trust-python-rules on the command line)"
        )

    def _python_condition(self, reference: str, metrics: Mapping[str, Any]) -> tuple[bool | None, str | None]:
        if self.python_rules is None:
            return None, self._untrusted(reference)
        try:
            value = self.python_rules.condition(reference, metrics)
        except Exception as exc:
            return None, _python_failure(reference, exc)
        if type(value) is not bool:
            return None, f"Python reference {reference!r} returned {describe(value)}, not true/false"
        return value, None

    def _update(
        self,
        stage: _Stage,
        policy: _Policy,
        metrics: Mapping[str, Any],
        ctx: Context,
        params: Mapping[str, Any],
    ) -> tuple[Mapping[str, Any], dict[str, Any] | None, str | None]:
        """(new parameters, changes, error)."""
        rule = policy.update
        if rule.compiled is not None:
            try:
                new_params, changes = rule.compiled.apply(ctx, params)  # type: ignore[union-attr,arg-type]
            except RuleError as exc:
                return params, None, str(exc)
            return new_params, changes, None
        if rule.python is None:
            return params, None, f"the rule does not compile: {rule.error}"
        if self.python_rules is None:
            return params, None, self._untrusted(rule.python)
        try:
            result = self.python_rules.update(rule.python, metrics, stage.task_name, copy_json(dict(params)))
        except Exception as exc:
            return params, None, _python_failure(rule.python, exc)
        if not isinstance(result, dict):
            return (
                params,
                None,
                f"Python reference {rule.python!r} returned {describe(result)}, not the parameters",
            )
        new_params = copy_json(result)
        changes = {k: v for k, v in new_params.items() if params.get(k, _MISSING) != v}
        return new_params, changes, None

    def evaluate(self, state: SubjectState, metrics: Mapping[str, Any]) -> Evaluation:
        """Evaluate one completed session's ``metrics`` for a subject (see the module docstring).

        This is the fast path, for the usual case: it records nothing (``why`` is worked out when read)
        and tests ``metric <op> number`` conditions and ``name = constant`` updates inline. Anything
        unusual (a stage with a rule that did not compile or a Python reference, a rule error, a value
        that is not true/false, an unknown policy) goes to :meth:`_evaluate_recorded`, which reports it.
        """
        stage = self._stages.get(state.stage_id)  # type: ignore[arg-type]
        if stage is None or not stage.fast or not state.is_on_curriculum or type(metrics) is not dict:
            return self._evaluate_recorded(state, metrics)  # (a dict subclass may read values its own way)
        try:
            total = state.sessions_total + 1
            in_stage = state.sessions_in_stage + 1
            ctx = None  # made only for a rule that needs more than the metrics
            plain = PLAIN_NUMBERS

            # 1) stage transitions: the first true one wins and overrides every policy transition.
            for edge in stage.transitions:
                comparison = edge.comparison
                if comparison is not None:
                    name, compare, number = comparison
                    value = metrics.get(name)
                    result = compare(value, number) if type(value) in plain else None
                else:
                    if ctx is None:
                        ctx = fast_context(metrics, in_stage, total)
                    result = edge.fn(ctx)
                if result is True:
                    destination = self._stages[edge.destination_id]
                    return _tuple_new(
                        Evaluation,
                        (
                            self._entering(destination, total),
                            False,
                            destination.entered,
                            None,
                            None,
                            self,
                            state,
                            dict(metrics),
                        ),
                    )
                if result is not False:
                    raise _Unusual

            # 2) policy transitions: one hop per active policy; merge keeping first occurrences. (The
            # test of a transition is written out again, not called: a call would cost as much.)
            old_counts = state.sessions_in_policy
            counts: dict[str, int] = {}  # the new active policies, in order, with their counters
            policies = stage.policies
            moved = False
            for pid in state.active_policies:
                seen = old_counts.get(pid, 0) + 1
                for edge in policies[pid].transitions:
                    comparison = edge.comparison
                    if comparison is not None:
                        name, compare, number = comparison
                        value = metrics.get(name)
                        result = compare(value, number) if type(value) in plain else None
                    else:
                        if ctx is None:
                            ctx = fast_context(metrics, in_stage, total)
                        ctx.sessions_in_policy = seen
                        result = edge.fn(ctx)
                    if result is True:
                        moved = True
                        if edge.destination_id not in counts:
                            counts[edge.destination_id] = 0
                        break
                    if result is not False:
                        raise _Unusual
                else:
                    counts[pid] = seen  # a policy that stays keeps counting (it wins over an entry)

            # 3) apply every active policy, in order, cumulatively to the current parameters.
            params: Mapping[str, Any] = state.parameters
            for pid, seen in counts.items():
                update = policies[pid].update
                if update.is_noop:
                    continue
                constants = update.constants
                if constants is not None and all(
                    type(params.get(k, _MISSING)) in PLAIN_VALUES
                    and not (type(v) is float and type(params[k]) is int)  # (made whole, or refused)
                    for k, v in constants.items()
                ):
                    params = {**params, **constants}
                    continue
                if ctx is None:
                    ctx = fast_context(metrics, in_stage, total)
                ctx.sessions_in_policy = seen
                params, _ = update.compiled.apply(ctx, params)  # type: ignore[union-attr,arg-type]
                ctx.params = None

            active = state.active_policies
            if moved or len(counts) != len(active) or type(active) is not tuple:
                active = tuple(counts)
            return _tuple_new(
                Evaluation,
                (
                    _tuple_new(SubjectState, (stage.id, active, params, True, total, in_stage, counts)),
                    False,
                    None,
                    None,
                    None,
                    self,
                    state,
                    dict(metrics),
                ),
            )
        except (
            Exception
        ):  # anything unusual (a rule error, not true/false, ...): the recorded path reports it
            pass
        return self._evaluate_recorded(state, metrics)

    def _evaluate_recorded(self, state: SubjectState, metrics: Mapping[str, Any]) -> Evaluation:
        """:meth:`evaluate`, recording every check with what it read (and handling every error)."""
        if not state.is_on_curriculum:
            return Evaluation(
                state, [], (), False, "off curriculum: not evaluated (re-enroll or override first)"
            )
        stage = self._stages.get(state.stage_id)  # type: ignore[arg-type]
        if stage is None:
            return Evaluation(
                state, [], (), True, f"stage {state.stage_id!r} is not in this curriculum: not evaluated"
            )
        total = state.sessions_total + 1
        in_stage = state.sessions_in_stage + 1
        ctx = fast_context(metrics, in_stage, total)
        records: list[tuple] = []

        # 1) stage transitions: the first true one wins and overrides every policy transition.
        append = records.append
        for edge in stage.transitions:
            reads = ctx.reads = {}
            try:
                result = edge.fn(ctx)  # fast path (a compiled condition) ...
            except Exception:  # ... anything unusual is sorted out by _condition
                result = None
            if result is False:
                append((STAGE_TRANSITION, edge, False, reads, None, False, None))
                continue
            error = None
            if result is not True:
                result, error = self._condition(edge.rule, ctx, metrics)
                reads = ctx.reads
            if result and error is None:
                destination = self._stages.get(edge.destination_id)
                if destination is not None:
                    append((STAGE_TRANSITION, edge, True, reads, None, True, None))
                    new_state = self._entering(destination, total)
                    return _tuple_new(
                        Evaluation, (new_state, False, destination.entered, records, None, None, None, None)
                    )
                error = f"destination stage {edge.destination_id!r} does not exist"
            append((STAGE_TRANSITION, edge, result, reads, error, False, None))
            if error is not None:
                return _failed(
                    state, records, STAGE_TRANSITION, edge.source_name, edge.destination_name, error
                )

        # 2) policy transitions: one hop per active policy; merge keeping first occurrences.
        old_counts = state.sessions_in_policy
        counts: dict[str, int] = {}  # the new active policies, in order, with their counters
        policies = stage.policies
        for pid in state.active_policies:
            policy = policies.get(pid)
            if policy is None:
                message = f"active policy {pid!r} is not in stage {stage.name!r}: not evaluated"
                return _lazy(state, True, message, records)
            seen = old_counts.get(pid, 0) + 1
            destination = None
            if policy.transitions:
                ctx.sessions_in_policy = seen
                for edge in policy.transitions:
                    reads = ctx.reads = {}
                    try:
                        result = edge.fn(ctx)  # fast path, as above
                    except Exception:
                        result = None
                    if result is False:
                        append((POLICY_TRANSITION, edge, False, reads, None, False, None))
                        continue
                    error = None
                    if result is not True:
                        result, error = self._condition(edge.rule, ctx, metrics)
                        reads = ctx.reads
                    if result and error is None and edge.destination_id not in policies:
                        error = f"destination policy {edge.destination_id!r} does not exist"
                    fired = result is True and error is None
                    append((POLICY_TRANSITION, edge, result, reads, error, fired, None))
                    if error is not None:
                        return _failed(
                            state, records, POLICY_TRANSITION, edge.source_name, edge.destination_name, error
                        )
                    if fired:
                        destination = edge.destination_id
                        break
            if destination is None:
                counts[pid] = seen  # a policy that stays keeps counting (it wins over an entry)
            elif destination not in counts:
                counts[destination] = 0

        # 3) apply every active policy, in order, cumulatively to the current parameters.
        params: Mapping[str, Any] = state.parameters
        for pid, seen in counts.items():
            policy = policies[pid]
            update = policy.update
            if update.is_noop:
                continue
            ctx.sessions_in_policy = seen
            reads = ctx.reads = {}
            compiled = update.compiled
            if compiled is not None:
                try:
                    params, changes = compiled.apply(ctx, params)  # type: ignore[union-attr,arg-type]
                    error = None
                except RuleError as exc:
                    changes, error = None, str(exc)
            else:
                params, changes, error = self._update(stage, policy, metrics, ctx, params)
            ctx.params = None
            records.append((POLICY_UPDATE, policy, None, reads, error, error is None, changes))
            if error is not None:
                return _failed(state, records, POLICY_UPDATE, policy.name, None, error)

        new_state = _tuple_new(SubjectState, (stage.id, tuple(counts), params, True, total, in_stage, counts))
        return _tuple_new(Evaluation, (new_state, False, None, records, None, None, None, None))


_MISSING = object()


class _Unusual(Exception):
    """Raised on the fast path to hand an evaluation over to the recorded path."""


def _failed(
    state: SubjectState, records: list[tuple], kind: str, source: str, destination: str | None, error: str
) -> Evaluation:
    what = kind.replace("_", " ")
    label = f"{what} {source!r}" + (f" → {destination!r}" if destination is not None else "")
    return _lazy(state, True, f"{label}: {error}", records)


def _python_failure(reference: str, exc: Exception) -> str:
    """One line: the runner's own errors carry their reason (e.g. which metric the package's class
    refused); anything else is named by its type."""
    reason = getattr(exc, "reason", None)
    if not isinstance(reason, str):
        reason = f"{type(exc).__name__}: {exc}"
    reason = " ".join(reason.split())
    return f"Python reference {reference!r} failed: {reason if len(reason) <= 300 else reason[:297] + '...'}"
