"""Which subjects need a person, and why (pure: no database, no Qt).

Three kinds of attention, none of which ever moves a subject:

* **rules**: a curriculum's attention rules, conditions in the rule language over the metrics and
  counters a stage transition reads, plus ``days_since_last_session`` and ``days_in_stage``;
* **over budget**: more sessions in a stage than its ``max_sessions`` (IBL's "untrainable" after 40);
* **slow in stage**: more sessions in the current stage than 90 % of the subjects that already left it
  (the cohort's own pace; see :func:`slow_in_stage`).

A rule reads the subject's latest session (evaluated or not), with ``number_list`` metrics as the history
of all its sessions as the trainer reads it (:func:`attention_metrics`), and the counters of its current
state. A rule that reads a metric the latest session does not have is skipped (a new subject has no
weight yet); a rule that fails otherwise is reported as an ``info`` alert saying why, never silently
dropped.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .model import SEVERITY_ORDER, AttentionSeverity, Curriculum
from .rules.compiler import CompiledCondition, Context, compile_condition
from .rules.errors import RuleError
from .rules.functions import CONSTANTS, COUNTERS, FUNCTIONS, short_repr

RULE = "rule"
OVER_BUDGET = "over_budget"
SLOW_IN_STAGE = "slow_in_stage"
KINDS = (RULE, OVER_BUDGET, SLOW_IN_STAGE)
SLOW_PERCENTILE = 0.9
SLOW_MIN_LEFT = 5  # fewer subjects than this have left a stage: its pace is not known well enough


@dataclass(frozen=True, slots=True)
class Alert:
    """One reason a subject needs attention. ``message`` says it in plain words with the figure;
    ``rule`` and ``values``: the condition and what it read (rules); ``error``: the rule could not be
    checked (an ``info`` alert); ``description``: what the curriculum's author says about the rule."""

    kind: str
    name: str
    severity: AttentionSeverity
    message: str
    rule: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None
    rule_id: str | None = None
    description: str = ""

    @property
    def rank(self) -> int:
        """Higher is more urgent (critical 2, warning 1, info 0)."""
        return SEVERITY_ORDER.index(self.severity)

    def describe(self) -> str:
        return f"{self.severity.value}: {self.name}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "rule": self.rule,
            "values": {k: _plain(v) for k, v in self.values.items()},
            "error": self.error,
            "rule_id": self.rule_id,
            "description": self.description,
        }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return short_repr(value)


def sort_alerts(alerts: Iterable[Alert]) -> list[Alert]:
    """Most urgent first; rules in the curriculum's order after the built-in ones of the same severity."""
    return sorted(alerts, key=lambda a: -a.rank)


def highest(alerts: Sequence[Alert]) -> AttentionSeverity | None:
    return max((a.severity for a in alerts), key=SEVERITY_ORDER.index, default=None)


def at_least(alerts: Sequence[Alert], severity: AttentionSeverity) -> list[Alert]:
    floor = SEVERITY_ORDER.index(severity)
    return [a for a in alerts if a.rank >= floor]


@dataclass(frozen=True, slots=True)
class _Compiled:
    id: str
    name: str
    severity: AttentionSeverity
    text: str
    compiled: CompiledCondition | None
    error: str | None
    metrics_read: frozenset[str]
    description: str


def _names_read(compiled: CompiledCondition) -> frozenset[str]:
    """The metric names a condition reads (every name that is not a function, counter or constant)."""
    return frozenset(
        node.id
        for node in ast.walk(compiled.parsed.tree)
        if isinstance(node, ast.Name)
        and node.id not in FUNCTIONS
        and node.id not in COUNTERS
        and node.id not in CONSTANTS
    )


class AttentionRules:
    """A curriculum's attention rules and stage budgets, compiled once (the trainer holds one)."""

    def __init__(self, curriculum: Curriculum) -> None:
        rules = []
        for r in curriculum.attention_rules:
            text = r.rule.expression
            try:
                compiled = compile_condition(text) if text.strip() else None
                error = None if compiled is not None else "no condition"
            except RuleError as exc:
                compiled, error = None, str(exc)
            read = _names_read(compiled) if compiled is not None else frozenset()
            rules.append(_Compiled(r.id, r.name, r.severity, text, compiled, error, read, r.description))
        self.rules = tuple(rules)
        self.budgets = {s.id: (s.name, s.max_sessions) for s in curriculum.stages if s.max_sessions}

    def __bool__(self) -> bool:
        return bool(self.rules or self.budgets)

    def check(
        self,
        stage_id: str | None,
        metrics: Mapping[str, Any],
        counters: Mapping[str, Any],
    ) -> list[Alert]:
        """The alerts of one subject on ``stage_id``. ``counters``: ``sessions_in_stage``,
        ``sessions_total``, ``days_since_last_session``, ``days_in_stage`` (a missing one makes the rules
        that read it fail, reported as such)."""
        alerts: list[Alert] = []
        in_stage = counters.get("sessions_in_stage")
        name, budget = self.budgets.get(stage_id or "", (None, None))
        if budget is not None and isinstance(in_stage, int) and in_stage > budget:
            alerts.append(
                Alert(
                    OVER_BUDGET,
                    "over budget",
                    AttentionSeverity.CRITICAL,
                    f"{in_stage} sessions in {name} (its budget is {budget})",
                    values={"sessions_in_stage": in_stage, "max_sessions": budget},
                )
            )
        for rule in self.rules:
            alert = self._check_rule(rule, metrics, counters)
            if alert is not None:
                alerts.append(alert)
        return alerts

    @staticmethod
    def _check_rule(rule: _Compiled, metrics: Mapping[str, Any], counters: Mapping[str, Any]) -> Alert | None:
        def failed(error: str) -> Alert:
            return Alert(
                RULE,
                rule.name,
                AttentionSeverity.INFO,
                f"could not be checked: {error}",
                rule.text,
                error=error,
                rule_id=rule.id,
                description=rule.description,
            )

        if rule.compiled is None:
            return failed(f"the rule does not compile: {rule.error}")
        if any(name not in metrics for name in rule.metrics_read):
            return None  # the latest session does not measure it (yet): nothing to say
        ctx = Context(metrics, counters)
        try:
            result = rule.compiled.evaluate(ctx)
        except RuleError as exc:
            return failed(str(exc))
        if not result:
            return None
        values = dict(ctx.reads)
        shown = ", ".join(f"{k} = {_shown(v)}" for k, v in values.items())
        message = rule.text.strip() + (f" ({shown})" if shown else "")
        return Alert(
            RULE,
            rule.name,
            rule.severity,
            message,
            rule.text,
            values,
            rule_id=rule.id,
            description=rule.description,
        )


def _shown(value: Any) -> str:
    """A value read by a rule, as people read it in a message: 0.7633333 → 0.763, a long history → its
    last five values."""
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        items = [_shown(v) for v in value[-5:]]
        return "[" + ("…, " if len(value) > 5 else "") + ", ".join(items) + "]"
    return short_repr(value, 40)


def attention_metrics(latest: Mapping[str, Any], series: Mapping[str, Sequence[Any]]) -> dict[str, Any]:
    """What attention rules read: the latest session's values, with each ``number_list`` metric in
    ``series`` as its history over every session, exactly as the trainer reads it (oldest first, a gap as
    None, see :mod:`.histories`). A history with no measured value counts as not measured (the rules
    reading it are skipped) unless the latest session gives the metric."""
    metrics = dict(latest)
    for name, history in series.items():
        if name in latest or any(value is not None for value in history):
            metrics[name] = list(history)
    return metrics


def slow_threshold(left_after: Sequence[int]) -> int | None:
    """The 90th percentile of the sessions the subjects that left a stage spent in it (the smallest count
    by which 90 % had left), or None when fewer than :data:`SLOW_MIN_LEFT` have left it."""
    if len(left_after) < SLOW_MIN_LEFT:
        return None
    import numpy as np  # (only when a cohort is looked at)

    return int(np.quantile(np.asarray(left_after), SLOW_PERCENTILE, method="inverted_cdf"))


def slow_in_stage(sessions_in_stage: int, stage: str, left_after: Sequence[int]) -> Alert | None:
    """The "slow in stage" alert when ``sessions_in_stage`` is beyond the 90th percentile of
    ``left_after`` (the sessions of every subject that already left ``stage``, any version)."""
    threshold = slow_threshold(left_after)
    if threshold is None or sessions_in_stage <= threshold:
        return None
    return Alert(
        SLOW_IN_STAGE,
        "slow in stage",
        AttentionSeverity.WARNING,
        f"{sessions_in_stage} sessions in {stage}; 90% of the {len(left_after)} that left it took at most "
        f"{threshold}",
        values={"sessions_in_stage": sessions_in_stage, "percentile_90": threshold},
    )
