"""A replay's result for people (lines of text) and for programs (plain JSON)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .migration import parameter_changes
from .replay import ReplayResult, Step, SubjectReplay, graduation
from .rules.functions import short_repr


def check_text(check: Mapping[str, Any]) -> str:
    """One recorded check: ``'A' → 'B': rule → true (values)``."""
    head = f"{check.get('source')!r}"
    if check.get("destination") is not None:
        head += f" → {check.get('destination')!r}"
    if check.get("error"):
        outcome = f"error: {check['error']}"
    elif check.get("kind") == "policy_update":
        changes = check.get("changes") or {}
        outcome = "set " + (", ".join(f"{k}={short_repr(v, 30)}" for k, v in changes.items()) or "nothing")
    else:
        outcome = "true" if check.get("result") else "false"
    values = ", ".join(f"{k}={value_text(v)}" for k, v in (check.get("values") or {}).items())
    return f"{head}: {check.get('rule')} → {outcome}" + (f" ({values})" if values else "")


def value_text(value: Any, tail: int = 5) -> str:
    """A value a rule read; a long history shows its latest items, which is what rules mostly read."""
    if isinstance(value, list) and len(value) > tail:
        return f"[… {', '.join(short_repr(v, 12) for v in value[-tail:])}] ({len(value)} sessions)"
    return short_repr(value, 40)


def step_text(result: ReplayResult, step: Step) -> str:
    real = result.stage_name(step.real_stage)
    what_if = result.stage_name(step.what_if_stage)
    if step.real_stage != step.what_if_stage:
        return f"really {real!r}, under the edit {what_if!r}"
    if step.real_policies is not None and step.real_policies != step.what_if_policies:
        names = result.policy_names(step.real_stage)
        return (
            f"both on {real!r}, policies really [{', '.join(names.get(p, p) for p in step.real_policies)}], "
            f"under the edit [{', '.join(names.get(p, p) for p in step.what_if_policies)}]"
        )
    return f"both on {real!r}, other parameters: {parameters_text(step)}"


def parameters_text(step: Step) -> str:
    changes = parameter_changes(step.real_parameters or {}, step.what_if_parameters or {})
    return "; ".join(f"{k} {short_repr(a, 30)} → {short_repr(b, 30)}" for k, (a, b) in changes.items())


def terminal_ids(result: ReplayResult) -> set[str]:
    return {s.id for s in result.curriculum.stages if s.terminal}


def subject_lines(result: ReplayResult, s: SubjectReplay) -> list[str]:
    if s.skipped:
        return [f"{s.subject}: not replayed: {s.skipped}"]
    if not s.changed and not s.parameters_changed:
        return [f"{s.subject}: the same ({len(s.steps)} sessions)"]
    lines = []
    if s.first_difference is None and s.first_parameter_difference is not None:
        step = s.steps[s.first_parameter_difference]
        lines.append(
            f"{s.subject}: moves the same; other parameters from session {step.session} ({step.date}, "
            f"#{step.number}): {step_text(result, step)}"
        )
        lines += decision_lines(s)
    elif s.first_difference is not None:
        step = s.steps[s.first_difference]
        lines.append(
            f"{s.subject}: differs from session {step.session} ({step.date}, #{step.number}): "
            f"{step_text(result, step)}"
        )
        lines += decision_lines(s)
    elif s.changed:
        lines.append(f"{s.subject}: ends elsewhere")
    if s.errors:
        lines.append(f"    {s.errors} session(s) where a rule of the edit failed (the subject stayed)")
    terminal = terminal_ids(result)
    real, what_if = graduation(s.real_reach, terminal), graduation(s.what_if_reach, terminal)
    if real != what_if:
        before = f"after {real} sessions" if real is not None else "not yet"
        after = (
            f"after {what_if} sessions" if what_if is not None else f"not within its {len(s.steps)} sessions"
        )
        lines.append(f"    graduated: {before} → {after}")
    for kind, a, b in s.appeared:
        lines.append(f"    new {kind}: {result.stage_name(a)!r} → {result.stage_name(b)!r}")
    for kind, a, b in s.disappeared:
        lines.append(f"    no more {kind}: {result.stage_name(a)!r} → {result.stage_name(b)!r}")
    real_end, what_if_end = s.real_end, s.what_if_end
    if real_end[0] != what_if_end[0]:
        real_now, edit_now = result.stage_name(real_end[0]), result.stage_name(what_if_end[0])
        lines.append(f"    now: really {real_now!r}, under the edit {edit_now!r}")
    return lines


def decision_lines(s: SubjectReplay) -> list[str]:
    """The rules that decided where the two part, on each side."""
    return [f"    really:     {check_text(c)}" for c in s.real_decision] + [
        f"    under edit: {check_text(c)}" for c in s.what_if_decision
    ]


def summary_lines(result: ReplayResult) -> list[str]:
    s = result.summary
    lines = [
        f"{result.curriculum.name} {result.curriculum.version}: {s.replayed} subject(s) replayed"
        + (f", {s.skipped} not replayed" if s.skipped else "")
        + f"; {s.changed} would move differently"
        + (f", {s.parameters_changed} more would get other parameters" if s.parameters_changed else "")
    ]
    if s.graduated_earlier or s.graduated_later:
        shift = f" (median {s.median_shift:+g} sessions)" if s.median_shift is not None else ""
        lines.append(
            f"graduate earlier: {s.graduated_earlier}, later or not at all: {s.graduated_later}{shift}"
        )
    if s.rules:
        lines.append("rules behind the first differences:")
        lines += [f"  {count} subject(s): {rule}" for rule, count in s.rules]
    return lines


def report_lines(result: ReplayResult) -> list[str]:
    lines: list[str] = []
    for s in result.subjects:
        if s.changed or s.parameters_changed or s.skipped:
            lines += subject_lines(result, s)
    return lines + summary_lines(result)


def report_json(result: ReplayResult) -> dict[str, Any]:
    terminal = terminal_ids(result)
    s = result.summary
    return {
        "curriculum": result.curriculum.name,
        "version": result.curriculum.version,
        "summary": {
            "replayed": s.replayed,
            "skipped": s.skipped,
            "changed": s.changed,
            "parameters_changed": s.parameters_changed,
            "graduated_earlier": s.graduated_earlier,
            "graduated_later": s.graduated_later,
            "median_shift": s.median_shift,
            "rules": [{"rule": rule, "subjects": count} for rule, count in s.rules],
        },
        "subjects": [
            {
                "subject": r.subject,
                "skipped": r.skipped,
                "changed": r.changed,
                "parameters_changed": r.parameters_changed,
                "sessions": len(r.steps),
                "first_difference": (
                    {
                        "session": r.steps[r.first_difference].session,
                        "date": r.steps[r.first_difference].date.isoformat(),
                        "number": r.steps[r.first_difference].number,
                        "real_stage": result.stage_name(r.steps[r.first_difference].real_stage),
                        "what_if_stage": result.stage_name(r.steps[r.first_difference].what_if_stage),
                        "real_decision": list(r.real_decision),
                        "what_if_decision": list(r.what_if_decision),
                    }
                    if r.first_difference is not None
                    else None
                ),
                "graduated_after": {
                    "real": graduation(r.real_reach, terminal),
                    "what_if": graduation(r.what_if_reach, terminal),
                },
                "sessions_to_reach": {
                    "real": {result.stage_name(k): v for k, v in r.real_reach.items()},
                    "what_if": {result.stage_name(k): v for k, v in r.what_if_reach.items()},
                },
                "appeared": [list(m) for m in r.appeared],
                "disappeared": [list(m) for m in r.disappeared],
                "errors": r.errors,
            }
            for r in result.subjects
        ],
    }
