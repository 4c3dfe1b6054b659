"""The curriculum model: plain, validated, serialisable data (no Qt, no database).

Identity is by stable id, never by display name, so renaming breaks nothing. The order of a source's
outgoing transitions in the flat transition lists *is* their priority (first true wins), as in
aind-behavior-curriculum's ``[rule, destination]`` lists.

The model only checks the shape of the data. Whether the graph makes sense (dangling references,
duplicate names, unreachable stages...) is the job of :mod:`curriculum_gui.core.validation`, so a
half-finished curriculum can still be opened, shown and fixed.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

FORMAT_NAME = "curriculum-gui"
FORMAT_VERSION = 2
"""The native file's version: bumped whenever a field is added. Older files open (upgraded in memory by
:func:`curriculum_gui.core.native_format.upgrade`); saving writes this version."""

Id = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class ExpressionRule(_Model):
    """A rule written in the safe expression language (a condition, or assignments for a policy)."""

    expression: str = Field(default="", max_length=20_000)

    @property
    def text(self) -> str:
        return self.expression


class PythonRule(_Model):
    """An aind-compatible reference ``"package.module.qualname"``: kept as text, run only when trusted."""

    python: str = Field(min_length=1, max_length=1_000)

    @property
    def text(self) -> str:
        return self.python


Rule = ExpressionRule | PythonRule


class Point(_Model):
    x: float = 0.0
    y: float = 0.0

    @field_validator("x", "y")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("coordinates must be finite numbers")
        return value


class MetricType(StrEnum):
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    STRING = "string"
    NUMBER_LIST = "number_list"
    JSON = "json"
    """Any JSON value (an object of counts per patch, a nested list...): what a package's ``Metrics``
    class declares beyond the simple types; rules read it as it is."""


class MetricSource(StrEnum):
    DECLARED = "declared"
    PACKAGE = "package"
    """Read from the aind package's ``Metrics`` class (refilled when the package is read again)."""


class Metric(_Model):
    """A metric the rules may read, declared so rules can be checked as they are typed."""

    name: str = Field(min_length=1, max_length=200)
    type: MetricType = MetricType.NUMBER
    unit: str = ""
    description: str = ""
    source: MetricSource = MetricSource.DECLARED
    optional: bool = Field(default=False, description="May be null (not measured) in a session.")


AindExtra = dict[str, JsonValue]
"""Fields of aind's model (or of a newer aind, or of a package's subclass) that this model has no place
for, kept verbatim, in their order, and written back on export."""


class Task(_Model):
    """What the rig runs: a task name and its parameter values (nested groups are dicts).

    ``version`` and ``stage_name`` are aind's task fields of the same names (a package's task class may
    require them, e.g. its own version)."""

    name: str = ""
    description: str = ""
    parameters: dict[str, JsonValue] = Field(default_factory=dict)
    version: str | None = None
    stage_name: str | None = None
    aind_extra: AindExtra = Field(default_factory=dict)


class Policy(_Model):
    """An update of the stage's task parameters, applied every session while the policy is active."""

    id: Id
    name: str = Field(max_length=1_000)
    updates: Rule = Field(default_factory=ExpressionRule)
    description: str = ""
    position: Point | None = None


class PolicyTransition(_Model):
    id: Id
    source: str
    destination: str
    rule: Rule = Field(default_factory=ExpressionRule)


class StageTransition(_Model):
    id: Id
    source: str
    destination: str
    rule: Rule = Field(default_factory=ExpressionRule)


class Stage(_Model):
    id: Id
    name: str = Field(max_length=1_000)
    description: str = ""
    task: Task = Field(default_factory=Task)
    terminal: bool = Field(
        default=False, description="An end of the curriculum (e.g. graduated): no way out needed."
    )
    max_sessions: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description="Session budget: more sessions here make a subject need attention (over budget).",
    )
    policies: list[Policy] = Field(default_factory=list)
    policy_transitions: list[PolicyTransition] = Field(default_factory=list)
    start_policies: list[str] = Field(
        default_factory=list, description="Policy ids active on entering the stage."
    )
    position: Point | None = None
    metrics_provider: str | None = Field(
        default=None,
        max_length=1_000,
        description="aind: 'module.function' that computes a session's metrics from its data folder.",
    )
    aind_extra: AindExtra = Field(default_factory=dict)

    def policy(self, policy_id: str) -> Policy | None:
        return next((p for p in self.policies if p.id == policy_id), None)

    def outgoing_policy_transitions(self, policy_id: str) -> list[PolicyTransition]:
        """In priority order."""
        return [t for t in self.policy_transitions if t.source == policy_id]


class AttentionSeverity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


SEVERITY_ORDER = (AttentionSeverity.INFO, AttentionSeverity.WARNING, AttentionSeverity.CRITICAL)


class AttentionRule(_Model):
    """A condition that flags a subject for a person (stuck, losing weight, not trained for days): checked
    with the trainer, it never moves the subject. Reads the metrics and counters a stage transition reads,
    plus ``days_since_last_session`` and ``days_in_stage``."""

    id: Id
    name: str = Field(max_length=1_000)
    severity: AttentionSeverity = AttentionSeverity.WARNING
    rule: ExpressionRule = Field(default_factory=ExpressionRule)
    description: str = ""


class Curriculum(_Model):
    name: str = Field(default="Untitled curriculum", max_length=1_000)
    version: str = Field(default="0.1.0", description="Semantic version, e.g. 1.2.0.")
    description: str = ""
    metrics: list[Metric] = Field(default_factory=list)
    stages: list[Stage] = Field(default_factory=list)
    stage_transitions: list[StageTransition] = Field(default_factory=list)
    start_stage: str | None = None
    pkg_location: str | None = Field(
        default=None,
        max_length=1_000,
        description="aind: the Python package that defines the curriculum (its curriculum run finds it so).",
    )
    aind_extra: AindExtra = Field(default_factory=dict)
    attention_rules: list[AttentionRule] = Field(
        default_factory=list, description="Conditions that flag a subject for a person's attention."
    )

    def stage(self, stage_id: str) -> Stage | None:
        return next((s for s in self.stages if s.id == stage_id), None)

    def stage_by_name(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name == name), None)

    def outgoing_stage_transitions(self, stage_id: str) -> list[StageTransition]:
        """In priority order."""
        return [t for t in self.stage_transitions if t.source == stage_id]

    def metric(self, name: str) -> Metric | None:
        return next((m for m in self.metrics if m.name == name), None)

    def attention_rule(self, rule_id: str) -> AttentionRule | None:
        return next((r for r in self.attention_rules if r.id == rule_id), None)


class NativeDocument(Curriculum):
    """The native file: a curriculum plus the format marker that says how to read it."""

    format: Literal["curriculum-gui"]
    format_version: Literal[2]


def new_id(prefix: str, taken: set[str]) -> str:
    """The first free ``prefix<N>``: short, readable and stable once written."""
    n = 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"


def all_ids(curriculum: Curriculum) -> set[str]:
    """Every id in the document: new ids avoid all of them, so an id read anywhere names one thing."""
    ids: set[str] = set()
    for stage in curriculum.stages:
        ids.add(stage.id)
        ids.update(p.id for p in stage.policies)
        ids.update(t.id for t in stage.policy_transitions)
    ids.update(t.id for t in curriculum.stage_transitions)
    ids.update(r.id for r in curriculum.attention_rules)
    return ids
