"""What changed between two curricula: a structural diff by stable id (never by display name).

``diff(old, new)`` lists every change: stages, policies and transitions added, removed or renamed; rule
text; priority order; start stage, start policies, terminal flags; task names and parameter defaults (path
by path); declared metrics. Each change says how much it matters for subjects already training, which gives
the next version number (:func:`suggest_version`):

- **patch**: descriptions, parameter defaults and layout only; nothing a subject's path depends on;
- **minor**: rules, priorities, policies and transitions added or changed, names, task parameters added or
  removed, start policies, terminal flags, metrics added or described;
- **major**: a stage or a policy removed (or its id changed, which is the same thing here: subjects on
  it have nowhere to be), the start stage changed, a metric removed or retyped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import semver

from .model import Curriculum, Metric, Policy, Rule, Stage
from .problems import ItemRef


class Bump(IntEnum):
    """How much a change matters, in semantic-version terms (ordered: the largest wins)."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    @property
    def label(self) -> str:
        return self.name.lower()


ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"
RENAMED = "renamed"
REORDERED = "reordered"


@dataclass(frozen=True, slots=True)
class Change:
    """One difference. ``ref`` points at the item in the *new* curriculum (in the old one for a removal);
    ``field`` names what changed (``rule``, ``priority``, ``parameters.contrast``...), ``before``/``after``
    its values (plain JSON)."""

    action: str  # added, removed, changed, renamed, reordered
    kind: str  # curriculum, metric, stage, policy, stage_transition, policy_transition
    ref: ItemRef
    label: str  # the item, for people: "stage 'Warm-up'", "stage transition 'A' → 'B'"
    field: str | None
    before: Any
    after: Any
    bump: Bump

    def describe(self) -> str:
        """One line for people: ``stage transition 'A' → 'B': rule changed: x > 1 → x > 2``."""
        if self.action in (ADDED, REMOVED):
            return f"{self.label}: {self.action}"
        if self.action == RENAMED:
            return f"{self.label}: renamed {self.before!r} → {self.after!r}"
        what = self.field or "changed"
        if self.before is None and self.after is None:
            return f"{self.label}: {what} changed"
        if self.action == REORDERED:
            return f"{self.label}: {what} changed: {_short(self.before)} → {_short(self.after)}"
        if self.before is None:
            return f"{self.label}: {what} set to {_short(self.after)}"
        if self.after is None:
            return f"{self.label}: {what} removed (was {_short(self.before)})"
        return f"{self.label}: {what} changed: {_short(self.before)} → {_short(self.after)}"

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "kind": self.kind,
            "id": self.ref.id,
            "stage_id": self.ref.stage_id,
            "label": self.label,
            "field": self.field,
            "before": self.before,
            "after": self.after,
            "bump": self.bump.label,
            "text": self.describe(),
        }


@dataclass(frozen=True)
class CurriculumDiff:
    old_label: str
    new_label: str
    changes: tuple[Change, ...] = field(default_factory=tuple)

    @property
    def equal(self) -> bool:
        return not self.changes

    @property
    def bump(self) -> Bump:
        return max((c.bump for c in self.changes), default=Bump.NONE)

    def refs(self, action: str | None = None) -> set[ItemRef]:
        return {c.ref for c in self.changes if action is None or c.action == action}

    def to_json(self) -> dict[str, Any]:
        return {
            "old": self.old_label,
            "new": self.new_label,
            "equal": self.equal,
            "bump": self.bump.label,
            "changes": [c.to_json() for c in self.changes],
        }

    def describe(self) -> list[str]:
        if self.equal:
            return [f"{self.old_label} and {self.new_label} are the same curriculum"]
        counts = {a: sum(c.action == a for c in self.changes) for a in (ADDED, REMOVED, CHANGED)}
        head = (
            f"{self.old_label} → {self.new_label}: {len(self.changes)} change(s) "
            f"({counts[ADDED]} added, {counts[REMOVED]} removed, "
            f"{len(self.changes) - counts[ADDED] - counts[REMOVED]} changed); "
            f"a {self.bump.label} change"
        )
        return [head, *(f"  {c.describe()}" for c in self.changes)]


def suggest_version(latest: str | None, bump: Bump) -> str:
    """The next version after ``latest`` for a change of size ``bump``: ``0.1.0`` when nothing is published
    yet, ``latest`` itself when nothing changed or it is not a semantic version (the person decides)."""
    if latest is None:
        return "0.1.0"
    try:
        version = semver.Version.parse(latest)
    except (ValueError, TypeError):
        return latest
    if bump is Bump.MAJOR:
        return str(version.bump_major())
    if bump is Bump.MINOR:
        return str(version.bump_minor())
    if bump is Bump.PATCH:
        return str(version.bump_patch())
    return str(version)


def diff(old: Curriculum, new: Curriculum, old_label: str = "old", new_label: str = "new") -> CurriculumDiff:
    changes: list[Change] = []
    changes += _curriculum_changes(old, new)
    changes += _metric_changes(old, new)
    changes += _stage_changes(old, new)
    changes += _edge_changes(
        old,
        new,
        "stage_transition",
        old.stage_transitions,
        new.stage_transitions,
        lambda c, sid: c.stage(sid),
        None,
    )
    old_stages = {s.id: s for s in old.stages}
    for stage in new.stages:
        before = old_stages.get(stage.id)
        if before is None:
            continue
        changes += _policy_changes(before, stage)
        changes += _edge_changes(
            before,
            stage,
            "policy_transition",
            before.policy_transitions,
            stage.policy_transitions,
            lambda s, pid: s.policy(pid),
            stage.id,
        )
    if not changes and content_key(old) != content_key(new):
        # A field this diff does not itemize: still a change (never "the same" when it is not).
        changes.append(
            Change(
                CHANGED,
                "curriculum",
                ItemRef("curriculum"),
                "curriculum",
                "other fields",
                None,
                None,
                Bump.MINOR,
            )
        )
    return CurriculumDiff(old_label, new_label, tuple(changes))


def content_key(curriculum: Curriculum) -> Any:
    """The curriculum as plain data without what does not change its content: the canvas layout and the
    version label. Two curricula with the same key are the same curriculum."""
    data = curriculum.model_dump(mode="json")
    data.pop("version", None)
    for stage in data.get("stages", ()):
        stage.pop("position", None)
        for policy in stage.get("policies", ()):
            policy.pop("position", None)
    return data


# --- the parts ---------------------------------------------------------------------------------


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else repr(value) if not isinstance(value, list) else str(value)
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fields(kind: str, ref: ItemRef, label: str, fields: list[tuple[str, Any, Any, Bump]]) -> list[Change]:
    """A change for each ``(field, before, after, bump)`` whose values differ."""
    return [Change(CHANGED, kind, ref, label, name, a, b, bump) for name, a, b, bump in fields if a != b]


def _curriculum_changes(old: Curriculum, new: Curriculum) -> list[Change]:
    ref = ItemRef("curriculum")
    out = []
    if old.name != new.name:
        out.append(Change(RENAMED, "curriculum", ref, "curriculum", "name", old.name, new.name, Bump.MINOR))
    out += _fields(
        "curriculum", ref, "curriculum", [("description", old.description, new.description, Bump.PATCH)]
    )
    if old.start_stage != new.start_stage:  # by id: two stages may share a name
        start = (_stage_name(old, old.start_stage), _stage_name(new, new.start_stage))
        out.append(Change(CHANGED, "curriculum", ref, "curriculum", "start stage", *start, Bump.MAJOR))
    return out


def _stage_name(curriculum: Curriculum, stage_id: str | None) -> str | None:
    stage = curriculum.stage(stage_id) if stage_id else None
    return stage.name if stage else stage_id


def _metric_changes(old: Curriculum, new: Curriculum) -> list[Change]:
    before = {m.name: m for m in old.metrics}
    after = {m.name: m for m in new.metrics}
    out = []
    for name, metric in after.items():
        ref = ItemRef("metric", name)
        label = f"metric {name!r}"
        was = before.get(name)
        if was is None:
            out.append(Change(ADDED, "metric", ref, label, None, None, _metric_json(metric), Bump.MINOR))
            continue
        out += _fields(
            "metric",
            ref,
            label,
            [
                ("type", was.type.value, metric.type.value, Bump.MAJOR),
                ("unit", was.unit, metric.unit, Bump.PATCH),
                ("description", was.description, metric.description, Bump.PATCH),
            ],
        )
    for name, metric in before.items():
        if name not in after:
            label = f"metric {name!r}"
            ref = ItemRef("metric", name)
            out.append(Change(REMOVED, "metric", ref, label, None, _metric_json(metric), None, Bump.MAJOR))
    return out


def _metric_json(metric: Metric) -> dict[str, Any]:
    return metric.model_dump(mode="json")


def _stage_changes(old: Curriculum, new: Curriculum) -> list[Change]:
    before = {s.id: s for s in old.stages}
    after = {s.id: s for s in new.stages}
    out = []
    for stage in new.stages:
        ref = ItemRef("stage", stage.id)
        label = f"stage {stage.name!r}"
        was = before.get(stage.id)
        if was is None:
            out.append(Change(ADDED, "stage", ref, label, None, None, stage.name, Bump.MINOR))
            continue
        if was.name != stage.name:
            out.append(Change(RENAMED, "stage", ref, label, "name", was.name, stage.name, Bump.MINOR))
        out += _fields(
            "stage",
            ref,
            label,
            [
                ("description", was.description, stage.description, Bump.PATCH),
                ("terminal", was.terminal, stage.terminal, Bump.MINOR),
                ("task", was.task.name, stage.task.name, Bump.MINOR),
                ("task description", was.task.description, stage.task.description, Bump.PATCH),
                (
                    "start policies",
                    [_policy_name(was, p) for p in was.start_policies],
                    [_policy_name(stage, p) for p in stage.start_policies],
                    Bump.MINOR,
                ),
            ],
        )
        out += _parameter_changes(ref, label, was.task.parameters, stage.task.parameters)
    for stage in old.stages:
        if stage.id not in after:
            label = f"stage {stage.name!r}"
            out.append(
                Change(
                    REMOVED, "stage", ItemRef("stage", stage.id), label, None, stage.name, None, Bump.MAJOR
                )
            )
    return out


def _policy_name(stage: Stage, policy_id: str) -> str:
    policy = stage.policy(policy_id)
    return policy.name if policy else policy_id


_MISSING = object()


def _parameter_changes(
    ref: ItemRef, label: str, before: dict[str, Any], after: dict[str, Any]
) -> list[Change]:
    """Path by path: a default changed is a patch; a parameter added or removed (the rig gets another
    set of parameters) or a value of another type is minor."""
    out: list[Change] = []

    def walk(path: str, a: Any, b: Any) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in [*a, *(k for k in b if k not in a)]:
                walk(f"{path}.{key}" if path else key, a.get(key, _MISSING), b.get(key, _MISSING))
            return
        if a is _MISSING:
            out.append(Change(CHANGED, "stage", ref, label, f"parameter {path}", None, b, Bump.MINOR))
        elif b is _MISSING:
            out.append(Change(CHANGED, "stage", ref, label, f"parameter {path}", a, None, Bump.MINOR))
        elif a != b or type(a) is not type(b):
            same_kind = _kind(a) == _kind(b)
            out.append(
                Change(
                    CHANGED,
                    "stage",
                    ref,
                    label,
                    f"parameter {path}",
                    a,
                    b,
                    Bump.PATCH if same_kind else Bump.MINOR,
                )
            )

    walk("", before, after)
    return out


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _policy_changes(old: Stage, new: Stage) -> list[Change]:
    before = {p.id: p for p in old.policies}
    after = {p.id: p for p in new.policies}
    out = []
    for policy in new.policies:
        ref = ItemRef("policy", policy.id, new.id)
        label = f"policy {policy.name!r} of stage {new.name!r}"
        was = before.get(policy.id)
        if was is None:
            out.append(Change(ADDED, "policy", ref, label, None, None, policy.name, Bump.MINOR))
            continue
        if was.name != policy.name:
            out.append(Change(RENAMED, "policy", ref, label, "name", was.name, policy.name, Bump.MINOR))
        out += _fields(
            "policy", ref, label, [("description", was.description, policy.description, Bump.PATCH)]
        )
        if _rule_json(was.updates) != _rule_json(policy.updates):
            out.append(
                Change(
                    CHANGED, "policy", ref, label, "update", _rule_text(was), _rule_text(policy), Bump.MINOR
                )
            )
    for policy in old.policies:
        if policy.id not in after:
            ref = ItemRef("policy", policy.id, old.id)
            label = f"policy {policy.name!r} of stage {old.name!r}"
            out.append(Change(REMOVED, "policy", ref, label, None, policy.name, None, Bump.MAJOR))
    return out


def _rule_json(rule: Rule) -> dict[str, Any]:
    return rule.model_dump(mode="json")


def _rule_text(policy: Policy) -> str:
    return policy.updates.text


def _edge_changes(
    old_scope: Any,
    new_scope: Any,
    kind: str,
    old_edges: list[Any],
    new_edges: list[Any],
    node: Any,
    stage_id: str | None,
) -> list[Change]:
    """Transitions by id: added, removed, rule, destination; and each source's priority order."""
    word = kind.replace("_", " ")

    def name(scope: Any, node_id: str) -> str:
        found = node(scope, node_id)
        return found.name if found is not None else node_id

    def label(scope: Any, edge: Any) -> str:
        return f"{word} {name(scope, edge.source)!r} → {name(scope, edge.destination)!r}"

    before = {e.id: e for e in old_edges}
    after = {e.id: e for e in new_edges}
    out = []
    for edge in new_edges:
        ref = ItemRef(kind, edge.id, stage_id)
        was = before.get(edge.id)
        if was is None:
            out.append(
                Change(ADDED, kind, ref, label(new_scope, edge), None, None, edge.rule.text, Bump.MINOR)
            )
            continue
        text = label(new_scope, edge)
        if was.source != edge.source or was.destination != edge.destination:
            out.append(
                Change(
                    CHANGED,
                    kind,
                    ref,
                    text,
                    "connects",
                    f"{name(old_scope, was.source)} → {name(old_scope, was.destination)}",
                    f"{name(new_scope, edge.source)} → {name(new_scope, edge.destination)}",
                    Bump.MINOR,
                )
            )
        if _rule_json(was.rule) != _rule_json(edge.rule):
            out.append(Change(CHANGED, kind, ref, text, "rule", was.rule.text, edge.rule.text, Bump.MINOR))
    for edge in old_edges:
        if edge.id not in after:
            out.append(
                Change(
                    REMOVED,
                    kind,
                    ItemRef(kind, edge.id, stage_id),
                    label(old_scope, edge),
                    None,
                    edge.rule.text,
                    None,
                    Bump.MINOR,
                )
            )
    # Priority: the order of each source's outgoing transitions that exist on both sides.
    sources = dict.fromkeys(e.source for e in new_edges)
    for source in sources:
        kept_old = [e.id for e in old_edges if e.source == source and e.id in after]
        kept_new = [
            e.id for e in new_edges if e.source == source and e.id in before and before[e.id].source == source
        ]
        kept_old = [i for i in kept_old if i in kept_new]
        if kept_old != kept_new and len(kept_new) > 1:
            source_ref = ItemRef("stage", source) if stage_id is None else ItemRef("policy", source, stage_id)
            out.append(
                Change(
                    REORDERED,
                    kind,
                    source_ref,
                    f"{word}s from {name(new_scope, source)!r}",
                    "priority order",
                    [name(old_scope, before[i].destination) for i in kept_old],
                    [name(new_scope, after[i].destination) for i in kept_new],
                    Bump.MINOR,
                )
            )
    return out
