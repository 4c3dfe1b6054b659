"""Edit operations on a curriculum, each returning its own inverse, so any editor gets undo for free.

There are four primitives: :class:`Insert`, :class:`Delete`, :class:`SetField` and :class:`Reorder`, plus
:class:`Batch`, which applies a list all-or-nothing. The friendly operations below (``remove_stage``,
``add_policy_transition``...) are built from them, so an inverse is always right by construction and a
removal takes its transitions along: no edit can leave a dangling reference.

``edit.apply(curriculum)`` mutates the curriculum in place and returns the edit that undoes it.
Refused edits raise :class:`EditError` and leave the curriculum as it was.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import EditError
from .model import (
    AttentionRule,
    AttentionSeverity,
    Curriculum,
    ExpressionRule,
    Metric,
    Point,
    Policy,
    PolicyTransition,
    Rule,
    Stage,
    StageTransition,
    Task,
    all_ids,
    new_id,
)

Kind = Literal[
    "stage", "stage_transition", "policy", "policy_transition", "metric", "attention_rule", "curriculum"
]

_COLLECTIONS = {
    "stage": "stages",
    "stage_transition": "stage_transitions",
    "policy": "policies",
    "policy_transition": "policy_transitions",
    "metric": "metrics",
    "attention_rule": "attention_rules",
}
_ITEM_TYPES = {
    "stage": Stage,
    "stage_transition": StageTransition,
    "policy": Policy,
    "policy_transition": PolicyTransition,
    "metric": Metric,
    "attention_rule": AttentionRule,
}
# Fields an edit may set; ids are never changed (that is what makes them stable).
_SETTABLE: dict[str, set[str]] = {
    "curriculum": {"name", "version", "description", "start_stage", "metrics"},
    "stage": {"name", "description", "task", "terminal", "start_policies", "position", "max_sessions"},
    "stage_transition": {"source", "destination", "rule"},
    "policy": {"name", "description", "updates", "position"},
    "policy_transition": {"source", "destination", "rule"},
    "metric": {"name", "type", "unit", "description"},
    "attention_rule": {"name", "severity", "rule", "description"},
}
_WORDS = {
    "stage": "stage",
    "stage_transition": "stage transition",
    "policy": "policy",
    "policy_transition": "policy transition",
    "metric": "metric",
    "attention_rule": "attention rule",
}


def _key(item: Any) -> str:
    return item.name if isinstance(item, Metric) else item.id


def _stage(curriculum: Curriculum, stage_id: str | None) -> Stage:
    stage = curriculum.stage(stage_id) if stage_id else None
    if stage is None:
        raise EditError(f"no stage with id {stage_id!r}")
    return stage


def _items(curriculum: Curriculum, kind: str, stage_id: str | None) -> list[Any]:
    owner: Any = _stage(curriculum, stage_id) if kind in ("policy", "policy_transition") else curriculum
    return getattr(owner, _COLLECTIONS[kind])


def _index(items: list[Any], key: str, kind: str) -> int:
    for index, item in enumerate(items):
        if _key(item) == key:
            return index
    raise EditError(f"no {_WORDS[kind]} {key!r}")


def _node_ids(curriculum: Curriculum, kind: str, stage_id: str | None) -> set[str]:
    """The ids a transition of this kind may point at."""
    if kind == "stage_transition":
        return {s.id for s in curriculum.stages}
    return {p.id for p in _stage(curriculum, stage_id).policies}


def _copy(value: Any) -> Any:
    if hasattr(value, "model_copy"):
        return value.model_copy(deep=True)
    return copy.deepcopy(value)


class Edit:
    """Base class: ``apply`` mutates and returns the inverse; ``text`` names the step for undo menus."""

    text: str = "Edit"

    def apply(self, curriculum: Curriculum) -> Edit:
        raise NotImplementedError


@dataclass(eq=False)
class Insert(Edit):
    kind: Kind
    item: Any
    index: int | None = None
    stage_id: str | None = None
    text: str = "Add"

    def apply(self, curriculum: Curriculum) -> Edit:
        expected = _ITEM_TYPES[self.kind]
        if not isinstance(self.item, expected):
            raise EditError(f"expected a {expected.__name__}, got {type(self.item).__name__}")
        items = _items(curriculum, self.kind, self.stage_id)
        key = _key(self.item)
        if self.kind == "metric":
            if any(m.name == key for m in items):
                raise EditError(f"a metric named {key!r} is already declared")
        elif key in all_ids(curriculum):
            raise EditError(f"the id {key!r} is already used")
        if self.kind in ("stage_transition", "policy_transition"):
            nodes = _node_ids(curriculum, self.kind, self.stage_id)
            for end in (self.item.source, self.item.destination):
                if end not in nodes:
                    raise EditError(f"cannot connect: {end!r} does not exist")
        if self.kind in ("stage", "policy", "attention_rule"):
            _check_name(curriculum, self.kind, self.stage_id, None, self.item.name)
        if self.kind == "stage":
            _check_stage_consistent(self.item)
        index = len(items) if self.index is None else self.index
        if not 0 <= index <= len(items):
            raise EditError(f"position {index} is out of range")
        items.insert(index, _copy(self.item))
        return Delete(self.kind, key, self.stage_id, text=self.text)


@dataclass(eq=False)
class Delete(Edit):
    """Delete one item that nothing refers to (the ``remove_*`` functions clear references first)."""

    kind: Kind
    key: str
    stage_id: str | None = None
    text: str = "Delete"

    def apply(self, curriculum: Curriculum) -> Edit:
        items = _items(curriculum, self.kind, self.stage_id)
        index = _index(items, self.key, self.kind)
        if self.kind == "stage":
            if any(self.key in (t.source, t.destination) for t in curriculum.stage_transitions):
                raise EditError(f"stage {self.key!r} still has transitions")
            if curriculum.start_stage == self.key:
                raise EditError(f"stage {self.key!r} is the start stage")
        if self.kind == "policy":
            stage = _stage(curriculum, self.stage_id)
            if any(self.key in (t.source, t.destination) for t in stage.policy_transitions):
                raise EditError(f"policy {self.key!r} still has transitions")
            if self.key in stage.start_policies:
                raise EditError(f"policy {self.key!r} is a start policy")
        item = items.pop(index)
        return Insert(self.kind, item, index, self.stage_id, text=self.text)


@dataclass(eq=False)
class SetField(Edit):
    kind: Kind
    key: str | None
    field_name: str
    value: Any
    stage_id: str | None = None
    text: str = "Change"

    def apply(self, curriculum: Curriculum) -> Edit:
        if self.field_name not in _SETTABLE[self.kind]:
            raise EditError(f"{self.field_name!r} of a {self.kind} cannot be edited")
        if self.kind == "curriculum":
            target: Any = curriculum
        else:
            items = _items(curriculum, self.kind, self.stage_id)
            target = items[_index(items, self.key or "", self.kind)]
        value = _checked_value(curriculum, self, target)
        old = getattr(target, self.field_name)
        setattr(target, self.field_name, value)
        new_key = self.value if (self.kind == "metric" and self.field_name == "name") else self.key
        return SetField(self.kind, new_key, self.field_name, old, self.stage_id, text=self.text)


@dataclass(eq=False)
class Reorder(Edit):
    """Set the priority order of one source's outgoing transitions (only a permutation is accepted)."""

    kind: Literal["stage_transition", "policy_transition"]
    source: str
    order: Sequence[str]
    stage_id: str | None = None
    text: str = "Reorder priorities"

    def apply(self, curriculum: Curriculum) -> Edit:
        items = _items(curriculum, self.kind, self.stage_id)
        slots = [i for i, t in enumerate(items) if t.source == self.source]
        current = [items[i].id for i in slots]
        order = list(self.order)
        if sorted(order) != sorted(current) or len(set(order)) != len(order):
            raise EditError(
                f"new order {order} is not a permutation of the transitions out of "
                f"{self.source!r} ({current})"
            )
        by_id = {items[i].id: items[i] for i in slots}
        for slot, transition_id in zip(slots, order, strict=True):
            items[slot] = by_id[transition_id]
        return Reorder(self.kind, self.source, current, self.stage_id, text=self.text)


@dataclass(eq=False)
class Batch(Edit):
    """Several edits as one step, all or nothing."""

    edits: list[Edit] = field(default_factory=list)
    text: str = "Edit"

    def apply(self, curriculum: Curriculum) -> Edit:
        inverses: list[Edit] = []
        try:
            for edit in self.edits:
                inverses.append(edit.apply(curriculum))
        except Exception:
            for inverse in reversed(inverses):
                inverse.apply(curriculum)
            raise
        return Batch(list(reversed(inverses)), text=self.text)


# --- value checks ---------------------------------------------------------------------------------


def _check_name(
    curriculum: Curriculum, kind: str, stage_id: str | None, own_id: str | None, name: Any
) -> str:
    if not isinstance(name, str) or not name.strip():
        raise EditError("a name cannot be empty")
    siblings = _items(curriculum, kind, stage_id)
    if any(_key(s) != own_id and s.name.strip() == name.strip() for s in siblings):
        where = "this stage" if kind == "policy" else "this curriculum"
        raise EditError(f"{_WORDS[kind]} name {name.strip()!r} is already used in {where}")
    return name


def _check_stage_consistent(stage: Stage) -> None:
    policy_ids = {p.id for p in stage.policies}
    for transition in stage.policy_transitions:
        if transition.source not in policy_ids or transition.destination not in policy_ids:
            raise EditError(f"stage {stage.name!r}: policy transition {transition.id!r} is dangling")
    if any(p not in policy_ids for p in stage.start_policies):
        raise EditError(f"stage {stage.name!r}: a start policy does not exist")


def _checked_value(curriculum: Curriculum, edit: SetField, target: Any) -> Any:
    name, value, kind = edit.field_name, edit.value, edit.kind
    if kind == "curriculum" and name == "start_stage":
        if value is not None and curriculum.stage(value) is None:
            raise EditError(f"no stage with id {value!r}")
        return value
    if kind in ("stage", "policy", "attention_rule") and name == "name":
        return _check_name(curriculum, kind, edit.stage_id, edit.key, value)
    if kind == "metric" and name == "name":
        if not isinstance(value, str) or not value.isidentifier():
            raise EditError(f"metric name {value!r} must be an identifier (letters, digits, _)")
        if any(m.name == value and m is not target for m in curriculum.metrics):
            raise EditError(f"a metric named {value!r} is already declared")
        return value
    if name in ("source", "destination"):
        if value not in _node_ids(curriculum, kind, edit.stage_id):
            raise EditError(f"cannot connect to {value!r}: it does not exist")
        return value
    if kind == "stage" and name == "start_policies":
        ids = list(value)
        known = {p.id for p in target.policies}
        unknown = [p for p in ids if p not in known]
        if unknown or len(set(ids)) != len(ids):
            raise EditError(f"start policies must be distinct policies of the stage (got {ids})")
        return ids
    # Everything else goes through the model's own validation of that field.
    try:
        validated = type(target).__pydantic_validator__.validate_assignment(
            target.model_construct(**target.__dict__), name, _copy(value)
        )
    except Exception as exc:  # pydantic.ValidationError: say it in one line
        raise EditError(f"invalid {name}: {_first_error(exc)}") from None
    return getattr(validated, name)


def _first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        return str(first.get("msg", exc))
    return str(exc)


# --- friendly operations --------------------------------------------------------------------------


def add_stage(
    curriculum: Curriculum,
    name: str,
    *,
    task: Task | None = None,
    position: Point | None = None,
    terminal: bool = False,
) -> Insert:
    stage = Stage(
        id=new_id("stage", all_ids(curriculum)),
        name=name,
        task=task or Task(),
        position=position,
        terminal=terminal,
    )
    return Insert("stage", stage, text=f"Add stage {name!r}")


def remove_stage(curriculum: Curriculum, stage_id: str) -> Batch:
    stage = _stage(curriculum, stage_id)
    edits: list[Edit] = [
        Delete("stage_transition", t.id)
        for t in curriculum.stage_transitions
        if stage_id in (t.source, t.destination)
    ]
    if curriculum.start_stage == stage_id:
        edits.append(SetField("curriculum", None, "start_stage", None))
    edits.append(Delete("stage", stage_id))
    return Batch(edits, text=f"Remove stage {stage.name!r}")


def remove_stages(curriculum: Curriculum, stage_ids: Iterable[str]) -> Batch:
    """Several stages as one step (a multi-selection + Del)."""
    edits: list[Edit] = []
    for stage_id in dict.fromkeys(stage_ids):
        edits.append(_Deferred(lambda c, s=stage_id: remove_stage(c, s)))
    return Batch(edits, text="Remove stages")


@dataclass(eq=False)
class _Deferred(Edit):
    """Builds its edit when applied, so later steps of a batch see what earlier ones did."""

    build: Any
    text: str = "Edit"

    def apply(self, curriculum: Curriculum) -> Edit:
        return self.build(curriculum).apply(curriculum)


def rename(curriculum: Curriculum, kind: Kind, key: str, name: str, stage_id: str | None = None) -> SetField:
    return SetField(kind, key, "name", name, stage_id, text=f"Rename to {name!r}")


def set_field(
    kind: Kind,
    key: str | None,
    field_name: str,
    value: Any,
    stage_id: str | None = None,
    text: str = "Change",
) -> SetField:
    return SetField(kind, key, field_name, value, stage_id, text=text)


def add_stage_transition(
    curriculum: Curriculum, source: str, destination: str, rule: Rule | None = None, index: int | None = None
) -> Insert:
    transition = StageTransition(
        id=new_id("t", all_ids(curriculum)),
        source=source,
        destination=destination,
        rule=rule or ExpressionRule(),
    )
    return Insert("stage_transition", transition, index, text="Connect stages")


def add_policy(
    curriculum: Curriculum,
    stage_id: str,
    name: str,
    *,
    updates: Rule | None = None,
    position: Point | None = None,
) -> Insert:
    policy = Policy(
        id=new_id("p", all_ids(curriculum)), name=name, updates=updates or ExpressionRule(), position=position
    )
    return Insert("policy", policy, stage_id=stage_id, text=f"Add policy {name!r}")


def remove_policy(curriculum: Curriculum, stage_id: str, policy_id: str) -> Batch:
    stage = _stage(curriculum, stage_id)
    policy = stage.policy(policy_id)
    if policy is None:
        raise EditError(f"no policy {policy_id!r} in stage {stage.name!r}")
    edits: list[Edit] = [
        Delete("policy_transition", t.id, stage_id)
        for t in stage.policy_transitions
        if policy_id in (t.source, t.destination)
    ]
    if policy_id in stage.start_policies:
        remaining = [p for p in stage.start_policies if p != policy_id]
        edits.append(SetField("stage", stage_id, "start_policies", remaining))
    edits.append(Delete("policy", policy_id, stage_id))
    return Batch(edits, text=f"Remove policy {policy.name!r}")


def add_policy_transition(
    curriculum: Curriculum,
    stage_id: str,
    source: str,
    destination: str,
    rule: Rule | None = None,
    index: int | None = None,
) -> Insert:
    transition = PolicyTransition(
        id=new_id("pt", all_ids(curriculum)),
        source=source,
        destination=destination,
        rule=rule or ExpressionRule(),
    )
    return Insert("policy_transition", transition, index, stage_id, text="Connect policies")


def remove_transition(kind: Kind, transition_id: str, stage_id: str | None = None) -> Delete:
    return Delete(kind, transition_id, stage_id, text="Remove transition")


def retarget(
    kind: Kind,
    transition_id: str,
    *,
    source: str | None = None,
    destination: str | None = None,
    stage_id=None,
) -> Batch:
    edits: list[Edit] = []
    if source is not None:
        edits.append(SetField(kind, transition_id, "source", source, stage_id))
    if destination is not None:
        edits.append(SetField(kind, transition_id, "destination", destination, stage_id))
    return Batch(edits, text="Retarget transition")


def set_rule(kind: Kind, transition_id: str, rule: Rule, stage_id: str | None = None) -> SetField:
    return SetField(kind, transition_id, "rule", rule, stage_id, text="Edit rule")


def reorder(
    kind: Literal["stage_transition", "policy_transition"],
    source: str,
    order: Sequence[str],
    stage_id: str | None = None,
) -> Reorder:
    return Reorder(kind, source, list(order), stage_id)


def set_start_stage(stage_id: str | None) -> SetField:
    return SetField("curriculum", None, "start_stage", stage_id, text="Set start stage")


def set_start_policies(stage_id: str, policy_ids: Sequence[str]) -> SetField:
    return SetField("stage", stage_id, "start_policies", list(policy_ids), text="Set start policies")


def set_task(stage_id: str, task: Task) -> SetField:
    return SetField("stage", stage_id, "task", task, text="Edit task")


def set_parameter(curriculum: Curriculum, stage_id: str, path: Sequence[str], value: Any) -> SetField:
    """Set one (possibly nested) task parameter; intermediate groups are created as needed."""
    if not path:
        raise EditError("a parameter needs a name")
    task = _stage(curriculum, stage_id).task.model_copy(deep=True)
    group: dict[str, Any] = task.parameters
    for part in path[:-1]:
        nxt = group.setdefault(part, {})
        if not isinstance(nxt, dict):
            raise EditError(f"parameter {part!r} is a value, not a group")
        group = nxt
    group[path[-1]] = copy.deepcopy(value)
    return SetField("stage", stage_id, "task", task, text=f"Set {'.'.join(path)}")


def remove_parameter(curriculum: Curriculum, stage_id: str, path: Sequence[str]) -> SetField:
    task = _stage(curriculum, stage_id).task.model_copy(deep=True)
    group: Any = task.parameters
    for part in path[:-1]:
        group = group.get(part) if isinstance(group, dict) else None
    if not isinstance(group, dict) or path[-1] not in group:
        raise EditError(f"no parameter {'.'.join(path)!r}")
    del group[path[-1]]
    return SetField("stage", stage_id, "task", task, text=f"Remove {'.'.join(path)}")


def add_metric(metric: Metric, index: int | None = None) -> Insert:
    return Insert("metric", metric, index, text=f"Add metric {metric.name!r}")


def remove_metric(name: str) -> Delete:
    return Delete("metric", name, text=f"Remove metric {name!r}")


def set_metrics(metrics: Sequence[Metric], text: str = "Declare metrics") -> SetField:
    """Replace the declared metrics (e.g. with those read from an aind package's Metrics class)."""
    return SetField("curriculum", None, "metrics", [m.model_copy(deep=True) for m in metrics], text=text)


def add_attention_rule(
    curriculum: Curriculum,
    name: str,
    expression: str = "",
    severity: AttentionSeverity = AttentionSeverity.WARNING,
    index: int | None = None,
) -> Insert:
    rule = AttentionRule(
        id=new_id("attention", all_ids(curriculum)),
        name=name,
        severity=severity,
        rule=ExpressionRule(expression=expression),
    )
    return Insert("attention_rule", rule, index, text=f"Add attention rule {name!r}")


def remove_attention_rule(curriculum: Curriculum, rule_id: str) -> Delete:
    rule = curriculum.attention_rule(rule_id)
    label = repr(rule.name) if rule is not None else repr(rule_id)
    return Delete("attention_rule", rule_id, text=f"Remove attention rule {label}")


def set_info(
    curriculum: Curriculum,
    *,
    name: str | None = None,
    version: str | None = None,
    description: str | None = None,
) -> Batch:
    edits: list[Edit] = []
    for field_name, value in (("name", name), ("version", version), ("description", description)):
        if value is not None and value != getattr(curriculum, field_name):
            edits.append(SetField("curriculum", None, field_name, value))
    return Batch(edits, text="Edit curriculum details")


def move(positions: dict[tuple[Kind, str, str | None], Point]) -> Batch:
    """Move several nodes as one step; keys are ``(kind, id, stage_id)``."""
    return Batch(
        [
            SetField(kind, key, "position", point, stage_id)
            for (kind, key, stage_id), point in positions.items()
        ],
        text="Move",
    )


def paste_stages(
    curriculum: Curriculum,
    stages: Sequence[Stage],
    transitions: Sequence[StageTransition] = (),
    offset: Point | None = None,
) -> Batch:
    """Insert copies with fresh ids and unique names; transitions among the copies come along.

    Serves copy/paste and duplicate alike (the clipboard holds plain model data).
    """
    taken = all_ids(curriculum)
    names = {s.name for s in curriculum.stages}
    stage_map: dict[str, str] = {}
    edits: list[Edit] = []
    dx, dy = (offset.x, offset.y) if offset else (40.0, 40.0)
    for original in stages:
        stage = original.model_copy(deep=True)
        stage_map[original.id] = stage.id = new_id("stage", taken)
        taken.add(stage.id)
        stage.name = unique_name(f"{original.name} (copy)", names)
        names.add(stage.name)
        policy_map: dict[str, str] = {}
        for policy in stage.policies:
            policy_map[policy.id] = policy.id = new_id("p", taken)
            taken.add(policy.id)
        for transition in stage.policy_transitions:
            transition.id = new_id("pt", taken)
            taken.add(transition.id)
            transition.source = policy_map.get(transition.source, transition.source)
            transition.destination = policy_map.get(transition.destination, transition.destination)
        stage.start_policies = [policy_map.get(p, p) for p in stage.start_policies]
        if stage.position is not None:
            stage.position = Point(x=stage.position.x + dx, y=stage.position.y + dy)
        edits.append(Insert("stage", stage))
    for original in transitions:
        if original.source in stage_map and original.destination in stage_map:
            copy_ = original.model_copy(deep=True)
            copy_.id = new_id("t", taken)
            taken.add(copy_.id)
            copy_.source, copy_.destination = stage_map[original.source], stage_map[original.destination]
            edits.append(Insert("stage_transition", copy_))
    return Batch(edits, text="Paste stages" if len(stages) != 1 else f"Paste {stages[0].name!r}")


def paste_policies(
    curriculum: Curriculum,
    stage_id: str,
    policies: list[Policy],
    transitions: list[PolicyTransition],
    offset: Point | None = None,
) -> Batch:
    """Copies of policies inside one stage, with fresh ids and unique names, plus the transitions among
    them: one step (the policy-graph twin of :func:`paste_stages`)."""
    stage = _stage(curriculum, stage_id)
    dx, dy = (offset.x, offset.y) if offset else (40.0, 40.0)
    taken = all_ids(curriculum)
    names = {p.name for p in stage.policies}
    mapping: dict[str, str] = {}
    steps: list[Edit] = []
    for original in policies:
        policy = original.model_copy(deep=True)
        mapping[original.id] = policy.id = new_id("p", taken)
        taken.add(policy.id)
        policy.name = unique_name(f"{original.name} (copy)", names)
        names.add(policy.name)
        if policy.position is not None:
            policy.position = Point(x=policy.position.x + dx, y=policy.position.y + dy)
        steps.append(Insert("policy", policy, stage_id=stage_id))
    for original in transitions:
        if original.source in mapping and original.destination in mapping:
            copy_ = original.model_copy(deep=True)
            copy_.id = new_id("pt", taken)
            taken.add(copy_.id)
            copy_.source, copy_.destination = mapping[original.source], mapping[original.destination]
            steps.append(Insert("policy_transition", copy_, stage_id=stage_id))
    return Batch(steps, text="Paste policies" if len(policies) != 1 else f"Paste {policies[0].name!r}")


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name 2``, ``name 3``… : the first not in ``taken``."""
    if name not in taken:
        return name
    n = 2
    while f"{name} {n}" in taken:
        n += 1
    return f"{name} {n}"


def dangling_references(curriculum: Curriculum) -> list[str]:
    """Every reference that points nowhere (empty for anything built only through edits)."""
    found: list[str] = []
    stage_ids = {s.id for s in curriculum.stages}
    if curriculum.start_stage is not None and curriculum.start_stage not in stage_ids:
        found.append(f"start_stage {curriculum.start_stage}")
    for t in curriculum.stage_transitions:
        found += [
            f"stage transition {t.id} -> {end}" for end in (t.source, t.destination) if end not in stage_ids
        ]
    for stage in curriculum.stages:
        policy_ids = {p.id for p in stage.policies}
        found += [f"{stage.id} start policy {p}" for p in stage.start_policies if p not in policy_ids]
        for t in stage.policy_transitions:
            found += [
                f"{stage.id} policy transition {t.id} -> {e}"
                for e in (t.source, t.destination)
                if e not in policy_ids
            ]
    return found
