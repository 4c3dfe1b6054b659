"""The "why not yet" of a subject's current stage, and rule thresholds for the plots (pure, no Qt).

Why not yet: every outgoing transition of the current stage (and of its active policies), in priority
order, with the result and the values of the latest evaluation that checked it in this stage.
Thresholds: comparisons of a metric with a number inside those rules (``mean(last(accuracy, 3)) >= 0.8``
gives ``accuracy >= 0.8``), drawn as lines on the metric's trace.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from ...core.model import Curriculum, ExpressionRule
from ...store.records import APPLIED, EVALUATED, Event, SubjectRow

_OPS = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!="}
_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "==", "!=": "!="}


@dataclass(frozen=True, slots=True)
class Pending:
    """One outgoing transition and what it read last time (``result`` None: not checked in this stage)."""

    kind: str  # "stage" or "policy"
    source: str
    destination: str
    rule: str
    result: bool | None
    values: dict[str, Any]
    session: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class Threshold:
    metric: str
    op: str
    value: float
    label: str


def why_not_yet(curriculum: Curriculum, row: SubjectRow, history: list[Event]) -> list[Pending]:
    stage = curriculum.stage(row.stage_id) if row.stage_id else None
    if stage is None:
        return []
    latest: dict[str, tuple[dict[str, Any], str | None]] = {}
    for event in reversed(history):  # newest first: the first check seen per transition is the latest
        if event.kind not in (APPLIED, EVALUATED):
            continue
        if event.data.get("before_stage") != row.stage and event.data.get("after_stage") != row.stage:
            break  # older evaluations were in another stage
        for check in reversed(event.data.get("why") or []):  # an event's checks go session by session
            latest.setdefault(check.get("id"), (check, check.get("session")))
    names = {s.id: s.name for s in curriculum.stages}
    policy_names = {p.id: p.name for p in stage.policies}

    def pending(kind: str, t: Any, source: str, destination: str) -> Pending:
        check, session = latest.get(t.id, ({}, None))
        values = check.get("values") or {}
        return Pending(
            kind, source, destination, t.rule.text, check.get("result"), values, session, check.get("error")
        )

    out = [
        pending("stage", t, stage.name, names.get(t.destination, t.destination))
        for t in curriculum.outgoing_stage_transitions(stage.id)
    ]
    active = {p.id for p in stage.policies if p.name in row.policies}
    out += [
        pending(
            "policy", t, policy_names.get(t.source, t.source), policy_names.get(t.destination, t.destination)
        )
        for t in stage.policy_transitions
        if t.source in active
    ]
    return out


def thresholds(curriculum: Curriculum, stage_id: str | None) -> list[Threshold]:
    """Metric-versus-number comparisons in the rules leaving ``stage_id`` (stage and policy transitions)."""
    stage = curriculum.stage(stage_id) if stage_id else None
    if stage is None:
        return []
    metrics = {m.name for m in curriculum.metrics}
    names = {s.id: s.name for s in curriculum.stages}
    policy_names = {p.id: p.name for p in stage.policies}
    rules = [
        (t.rule, f"→ {names.get(t.destination, t.destination)}")
        for t in curriculum.outgoing_stage_transitions(stage.id)
    ]
    rules += [
        (t.rule, f"policy → {policy_names.get(t.destination, t.destination)}")
        for t in stage.policy_transitions
    ]
    out: list[Threshold] = []
    for rule, label in rules:
        if not isinstance(rule, ExpressionRule) or not rule.expression.strip():
            continue
        try:
            tree = ast.parse(rule.expression, mode="eval")
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Compare) or len(node.ops) != 1:
                continue
            op = _OPS.get(type(node.ops[0]))
            left, right = node.left, node.comparators[0]
            if op is None:
                continue
            if isinstance(left, ast.Constant):  # 0.8 <= accuracy
                left, right, op = right, left, _FLIP[op]
            if not isinstance(right, ast.Constant) or isinstance(right.value, bool):
                continue
            if not isinstance(right.value, int | float):
                continue
            used = [n.id for n in ast.walk(left) if isinstance(n, ast.Name) and n.id in metrics]
            if len(used) == 1:
                out.append(Threshold(used[0], op, float(right.value), f"{label}: {op} {right.value:g}"))
    return out
