"""Runtime of a generated aind package (copied into it as ``<package>/_cg/runtime.py``; imports aind).

Imports aind only where it is used, so curriculum-gui can read the constants without aind installed.
A generated package has one function per rule and per policy; each runs its rule text through this
project's whitelist compiler (copied beside this module), so the package evaluates rules exactly as
curriculum-gui's trainer does, without curriculum-gui installed and without ``eval``.

Counters. aind's ``Trainer`` keeps no counters, and its rules see only the metrics. When a curriculum's
rules read ``sessions_in_stage``, ``sessions_total`` or ``sessions_in_policy`` (or call ``ramp``), the
package carries them as metrics fields, computed by :func:`evaluate` (the package's metrics provider) from
counters it keeps in the subject's task parameters under :data:`STATE_KEY`. aind's own ``Trainer`` then
evaluates as usual. ``sessions_in_policy`` is a map keyed by policy function name: the sessions each
active policy has run, counting this one (what its transitions read), and ``sessions_in_policy_applied``
what each policy's update reads (0 for a policy entered in this session).

In this repository the imports read ``from ..rules.``; when copied they become ``from .``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..rules.compiler import CompiledCondition, CompiledUpdate, Context, compile_condition, compile_update
from ..rules.errors import RuleError

STATE_KEY = "curriculum_gui_counters"
COUNTER_FIELDS = ("sessions_total", "sessions_in_stage", "sessions_in_policy", "sessions_in_policy_applied")


# --- what the generated rule functions call ------------------------------------------------------


def condition(text: str) -> CompiledCondition:
    """Compile a condition once, when the package is imported (the whitelist compiler; never ``eval``)."""
    return compile_condition(text)


def update(text: str) -> CompiledUpdate:
    return compile_update(text)


def _split(metrics: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(metric values as given, counters). Unset fields are missing, as in curriculum-gui's trainer."""
    values = metrics.model_dump(exclude_unset=True)
    counters = {name: values.pop(name) for name in COUNTER_FIELDS if name in values}
    return values, counters


def check(rule: CompiledCondition, metrics: Any, policy: str | None = None) -> bool:
    """A stage transition (``policy`` None) or a transition out of ``policy``: true or false."""
    values, counters = _split(metrics)
    if policy is not None:
        counters["sessions_in_policy"] = counters.get("sessions_in_policy", {}).get(policy)
    return rule.evaluate(Context(values, counters))


def apply(rule: CompiledUpdate, metrics: Any, task: Any, policy: str) -> Any:
    """A policy: the task with ``rule``'s assignments applied (``task`` itself is not changed)."""
    if not rule.assignments:
        return task
    values, counters = _split(metrics)
    counters["sessions_in_policy"] = counters.get("sessions_in_policy_applied", {}).get(policy)
    params = task.task_parameters.model_dump(mode="json")
    params.pop(STATE_KEY, None)
    new, _ = rule.apply(Context(values, counters), params)
    parameters = type(task.task_parameters).model_validate(new)
    return task.model_copy(update={"task_parameters": parameters})


# --- the metrics provider and one evaluation -----------------------------------------------------


def _stored(state: Any) -> dict[str, Any]:
    extra = state.stage.task.task_parameters.model_extra or {}
    stored = extra.get(STATE_KEY)
    return stored if isinstance(stored, dict) else {}


def _policy_name(policy: Any) -> str:
    return policy.callable.__name__


def evaluate(trainer: Any, state: Any, values: Mapping[str, Any], metrics_class: type, counters: bool) -> Any:
    """One session: aind's ``trainer.evaluate`` on the metrics ``values`` (plus counters, when used)."""
    if not counters:
        return trainer.evaluate(state, metrics_class.model_validate(dict(values)))
    stored = _stored(state)
    total = int(stored.get("sessions_total", 0)) + 1
    in_stage = int(stored.get("sessions_in_stage", 0)) + 1
    before = stored.get("sessions_in_policy", {})
    active = list(state.active_policies or [])
    seen = {_policy_name(p): int(before.get(_policy_name(p), 0)) + 1 for p in active}
    base = {**values, "sessions_total": total, "sessions_in_stage": in_stage, "sessions_in_policy": seen}
    metrics = metrics_class.model_validate({**base, "sessions_in_policy_applied": {}})
    # Which transitions fire decides the counters the updates read: the rules are pure, so they are
    # checked here once more in aind's own order (aind checks them again inside evaluate).
    entered = next(
        (
            dest
            for rule, dest in trainer.curriculum.see_stage_transitions(state.stage)
            if rule.invoke(metrics)
        ),
        None,
    )
    applied: dict[str, int] = {}
    if entered is None:
        for policy in active:
            dest = next(
                (d for rule, d in state.stage.see_policy_transitions(policy) if rule.invoke(metrics)), None
            )
            if dest is None:
                applied[_policy_name(policy)] = seen[_policy_name(policy)]
            else:
                applied.setdefault(_policy_name(dest), 0)
    metrics = metrics_class.model_validate({**base, "sessions_in_policy_applied": applied})
    new_state = trainer.evaluate(state, metrics)
    if entered is not None:
        kept = {"sessions_total": total, "sessions_in_stage": 0}
        kept["sessions_in_policy"] = {_policy_name(p): 0 for p in new_state.stage.start_policies}
    else:
        kept = {"sessions_total": total, "sessions_in_stage": in_stage, "sessions_in_policy": applied}
    return with_counters(trainer, new_state, kept)


def with_counters(trainer: Any, state: Any, counters: dict[str, Any]) -> Any:
    """A copy of ``state`` whose task parameters hold ``counters`` (the curriculum's stages are untouched)."""
    stage = state.stage.model_copy(deep=True)
    task = stage.get_task()
    params = type(task.task_parameters).model_validate(
        {**task.task_parameters.model_dump(mode="json"), STATE_KEY: counters}
    )
    stage.set_task(task.model_copy(update={"task_parameters": params}))
    return trainer.create_trainer_state(
        stage=stage, is_on_curriculum=state.is_on_curriculum, active_policies=state.active_policies
    )


def parameters(state: Any) -> dict[str, Any]:
    """The task parameters of ``state`` without the counters (what the rig's task uses)."""
    params = state.stage.task.task_parameters.model_dump(mode="json")
    params.pop(STATE_KEY, None)
    return params


# --- `curriculum run`: what AIND's experiment launcher calls -------------------------------------


def run_command(
    argv: Sequence[str] | None,
    *,
    trainer: Callable[[], Any],
    metrics_class: type,
    counters: bool,
    curriculum_name: str,
    version: str,
) -> int:
    """``run --data-directory DIR --input-trainer-state FILE [--curriculum NAME]``: a CurriculumSuggestion
    JSON on stdout (the launcher's contract); bad input is one line on stderr and exit 2."""
    parser = argparse.ArgumentParser(prog="curriculum", description=f"The {curriculum_name!r} curriculum.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="suggest the next TrainerState from a session's metrics")
    run.add_argument("--data-directory", required=True, help="the session folder holding metrics.json")
    run.add_argument("--input-trainer-state", required=True, help="the subject's TrainerState JSON")
    run.add_argument("--curriculum", help="the curriculum name (checked; this package holds one)")
    args = parser.parse_args(argv)
    try:
        if args.curriculum is not None and args.curriculum != curriculum_name:
            raise ValueError(f"this package holds curriculum {curriculum_name!r}, not {args.curriculum!r}")
        suggestion = _suggest(args, trainer(), metrics_class, counters, version)
    except (OSError, ValueError, RuleError) as exc:  # ValidationError is a ValueError
        reason = " ".join(str(exc).split())
        print(f"curriculum: {reason[:2000]}", file=sys.stderr)
        return 2
    print(json.dumps(suggestion, indent=2, ensure_ascii=False))
    return 0


def _suggest(args: Any, trainer: Any, metrics_class: type, counters: bool, version: str) -> dict:
    from importlib.metadata import version as installed  # the aind version, as the launcher records it

    metrics_path = Path(args.data_directory) / "metrics.json"
    values = json.loads(metrics_path.read_text(encoding="utf-8"))
    if not isinstance(values, dict):
        raise ValueError(f"{metrics_path}: expected a JSON object of metric values")
    text = Path(args.input_trainer_state).read_text(encoding="utf-8")
    try:
        state = trainer.trainer_state_model.model_validate_json(text)
    except ValidationError as exc:
        raise ValueError(
            f"{args.input_trainer_state}: not a TrainerState of this curriculum: {exc}"
        ) from None
    if state.stage is None and state.curriculum is None:
        state = trainer.create_enrollment()  # TrainerState.default(): a subject not enrolled yet
    elif state.stage is not None and state.is_on_curriculum:
        state = evaluate(trainer, state, values, metrics_class, counters)
    return {
        "trainer_state": json.loads(state.model_dump_json()),
        "metrics": values,
        "version": version,
        "dsl_version": installed("aind-behavior-curriculum"),
    }


__all__ = ["STATE_KEY", "apply", "check", "condition", "evaluate", "parameters", "run_command", "update"]
