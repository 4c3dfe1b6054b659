"""Histories of ``number_list`` metrics, and the trainer run over a subject's sessions (pure, no database).

A ``number_list`` metric (accuracy per session) is handed to the rules as the list of the subject's
sessions so far, oldest first: one slot per session. A session gives its number for that slot, or a whole
list (the history starts again from it), or nothing: then its slot is a gap (``None``, *not measured*),
so ``last(accuracy, 1)`` never reads another session's value; ``mean``, ``min`` and the like leave gaps out.
Histories are kept by metric name, whatever curriculum version the sessions were imported under. A session
imported late (dated before sessions already evaluated) also sees the sessions evaluated after it.

:func:`run` evaluates a subject's sessions in order, as the store does. It takes the history of the
sessions already evaluated either *rebuilt* (every session of the subject given, evaluated ones included)
or *running* (the store's running history of the evaluated sessions, and only the new ones given): both
give the same states, suggestions and "why" (``tests/store/test_history_differential.py``), and the running
one costs the same at session 500 as at session 1. The what-if replay (:mod:`.replay`) builds the same lists
from the recorded sessions (:func:`session_metrics`, :func:`with_history`), so replaying the published
curriculum gives what really happened.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from . import trainer as trainer_module
from .model import Curriculum, PythonRule
from .rules.errors import RuleError
from .rules.parser import parse_condition, parse_update
from .rules.windows import history_reads
from .trainer import Evaluation, SubjectState, Trainer

MAX_SESSIONS = 1000
"""Sessions of one subject evaluated at a time; the rest wait for the next evaluation (after an apply)."""

COPY_LIMIT = 256
"""A history this long or shorter is copied for each evaluation; a longer one is shared, and the
evaluation's "why" worked out at once (:meth:`Evaluation.settled`), so memory stays linear."""


def history_windows(curriculum: Curriculum, names: Iterable[str]) -> dict[str, int | None]:
    """For each history (``number_list`` metric) in ``names``: how many of its last items the trainer's
    rules (stage and policy transitions, policy updates) can read, or None when one may read it whole.
    A Python rule, or a rule that does not parse, may read anything: every history is then whole."""
    wanted = frozenset(names)
    out: dict[str, int | None] = dict.fromkeys(wanted, 0)
    rules = [(t.rule, parse_condition) for t in curriculum.stage_transitions]
    for stage in curriculum.stages:
        rules += [(t.rule, parse_condition) for t in stage.policy_transitions]
        rules += [(p.updates, parse_update) for p in stage.policies]
    for rule, parse in rules:
        if isinstance(rule, PythonRule):
            return dict.fromkeys(wanted)
        if not rule.expression.strip():
            continue
        try:
            tree = parse(rule.expression).tree
        except RuleError:
            return dict.fromkeys(wanted)
        for name, n in history_reads(tree, wanted).items():
            before = out[name]
            out[name] = None if n is None or before is None else max(before, n)
    return out


def window(read: int | None) -> int | None:
    """The last items of a history to give the trainer as they are, for a rule that reads ``read`` of them
    (:func:`history_windows`): at least as many as the "why" shows (:data:`~.trainer.SHOWN_ITEMS`, read
    when called), so that it reads the same; None: the whole history."""
    return None if read is None else max(read, trainer_module.SHOWN_ITEMS)


def not_measured(name: str, session: str) -> str:
    """The note of a gap, as the review and the event log show it."""
    return f"{name}: not measured in session {session}"


def add_session(series: Mapping[str, list[Any]], values: Mapping[str, Any]) -> list[str]:
    """Add one session to each history: its value, its whole list (the history starts again from it), or
    a gap (``None``). Returns the names the session did not measure."""
    missing = []
    for name, history in series.items():
        value = values.get(name)
        if type(value) is list:
            history[:] = value
        else:
            history.append(value)
            if value is None:
                missing.append(name)
    return missing


def add_values(history: Mapping[str, list[Any]], values: Mapping[str, Any]) -> None:
    """:func:`add_session`, for callers that do not need the gaps' names (a replay adds a hundred
    thousand sessions: no list of names made for each)."""
    for name, series in history.items():
        value = values.get(name)
        if type(value) is list:
            series[:] = value
        else:
            series.append(value)


def replay(names: Iterable[str], sessions: Iterable[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The histories after ``sessions`` (their values, in order)."""
    series: dict[str, list[Any]] = {name: [] for name in sorted(names)}
    for values in sessions:
        add_session(series, values)
    return series


class Session(NamedTuple):
    """One session of a subject: ``id`` (what people see), ``pk`` (the store's row), its ``values`` and
    whether it was ``evaluated`` already (then it is history only). (A named tuple: a cohort's day
    makes ten thousand.)"""

    id: str
    pk: int
    values: Mapping[str, Any]
    evaluated: bool = False


@dataclass(slots=True)
class Run:
    """What :func:`run` did: the state after the sessions it evaluated (the input state after an error),
    each evaluation with its session id, the sessions done (``(id, pk)``, none after an error), the error,
    notes on gaps (``(session id, text)``), ``series``: the histories of the evaluated sessions after this
    run (evaluated before, and done now), and ``waiting``: pending sessions left for the next evaluation."""

    state: SubjectState
    evaluations: list[tuple[str, Evaluation]] = field(default_factory=list)
    done: list[tuple[str, int]] = field(default_factory=list)
    error: str | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)
    series: dict[str, list[Any]] | None = None
    waiting: int = 0


def run(
    trainer: Trainer,
    state: SubjectState,
    series: dict[str, list[Any]],
    sessions: Sequence[Session],
    off_curriculum: str | None = None,
    limit: int | None = None,
) -> Run:
    """Evaluate the pending ``sessions`` (in order, at most ``limit``), each with the histories of every
    session before it and of every evaluated session after it (a session imported late sees the whole
    history, in date order). ``series``: the histories of the evaluated sessions before ``sessions[0]``
    (changed in place). ``off_curriculum``: the subject is not evaluated, for this reason. ``limit``:
    default :data:`MAX_SESSIONS`."""
    limit = MAX_SESSIONS if limit is None else limit
    pending = [i for i, s in enumerate(sessions) if not s.evaluated]
    out = Run(state, waiting=max(len(pending) - limit, 0))
    if off_curriculum is not None:
        out.error = off_curriculum
        return out
    pending = pending[:limit]
    if not pending:
        out.series = _after(series, sessions, set())
        return out
    last = pending[-1]
    # Evaluated sessions among those given (the whole history, rebuilt): the histories after the run are
    # worked out again at the end, from a copy of where they started.
    start = (
        {name: list(history) for name, history in series.items()}
        if any(s.evaluated for s in sessions)
        else None
    )
    for i, session in enumerate(sessions[: last + 1]):
        values = session.values
        missing = add_session(series, values)
        if session.evaluated:
            continue
        seen = series
        later = [s.values for s in sessions[i + 1 :] if s.evaluated] if start is not None else []
        if later:  # imported late: the sessions evaluated after it are history too
            seen = {name: list(history) for name, history in series.items()}
            for more in later:
                add_session(seen, more)
        # Lists nothing changes after this evaluation are handed over as they are; the others are copied,
        # or, when long, shared and the evaluation's why worked out at once (memory stays linear).
        shared = seen is not series or i == last
        metrics = dict(values)
        long = False
        for name, history in seen.items():
            own = values.get(name)
            if type(own) is list:
                metrics[name] = own
            elif shared or len(history) > COPY_LIMIT:
                metrics[name] = history
                long = long or len(history) > COPY_LIMIT
            else:
                metrics[name] = list(history)
        evaluation = trainer.evaluate(out.state, metrics)
        if long and i != last:
            evaluation = evaluation.settled()
        out.evaluations.append((session.id, evaluation))
        out.notes.extend((session.id, not_measured(name, session.id)) for name in missing)
        if evaluation.error:
            out.error = f"session {session.id!r}: {evaluation.message}"
            out.state, out.done = state, []
            return out
        out.state = evaluation.state
        out.done.append((session.id, session.pk))
    if start is None:
        out.series = series  # only pending sessions were given: the loop added exactly the ones done
    else:
        out.series = _after(start, sessions, {pk for _, pk in out.done})
    return out


def _after(series: dict[str, list[Any]], sessions: Sequence[Session], done: set[int]) -> dict[str, list[Any]]:
    """``series`` with every evaluated or ``done`` session of ``sessions`` added, in order."""
    for session in sessions:
        if session.evaluated or session.pk in done:
            add_session(series, session.values)
    return series


def session_metrics(
    list_metrics: Iterable[str],
    up_to: Sequence[Mapping[str, Any]],
    later: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The metrics of the session ``up_to[-1]``: ``up_to`` holds the values of every session up to and
    including it, in order; ``later``, those of the sessions dated after it that were already evaluated.
    Each list is the caller's own (a new list)."""
    history: dict[str, list[Any]] = {name: [] for name in list_metrics}
    for values in up_to:
        add_values(history, values)
    for values in later:
        add_values(history, values)
    return with_history(up_to[-1], history)


def with_history(
    own: Mapping[str, Any], history: Mapping[str, list[Any]], copy: bool = True
) -> dict[str, Any]:
    """``own`` values with each list metric read from ``history``, unless the session gives a whole list.
    The lists are copied (evaluations keep their metrics, and the caller goes on appending to
    ``history``) unless ``copy`` is false: then read the evaluation's why before the history grows."""
    metrics = dict(own)
    for name, series in history.items():
        value = own.get(name)
        metrics[name] = value if isinstance(value, list) else list(series) if copy else series
    return metrics
