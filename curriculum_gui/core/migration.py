"""Moving a subject from one curriculum version to another: where it lands, never guessed.

Stages and policies are matched by id. Anything a subject is on that has no counterpart in the target must
be mapped by hand (:class:`Mapping`; the command line's ``--map OLD=NEW``); a policy may be mapped to
nothing (``OLD=-``: it is dropped). :func:`needed` lists what still needs a mapping, with the subjects on it.

Task parameters: by default the subject keeps its value of every parameter that still exists in its
(mapped) stage with a compatible type, and gets the target stage's default for the others
(:func:`carry_parameters`); ``reset_parameters`` gives the target's defaults. Counters are kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field
from typing import Any

from .errors import CurriculumGuiError
from .model import Curriculum, Stage
from .trainer import SubjectState, copy_json

DROP = "-"
"""Map a policy to this to drop it (it has no counterpart and the subject simply leaves it)."""


class MigrationError(CurriculumGuiError):
    """A mapping that cannot work (an unknown name, a policy that is not in its stage, something unmapped)."""


@dataclass(frozen=True)
class Mapping:
    """Hand-made correspondences: ``stages[old stage id] = new stage id``;
    ``policies[(old stage id, old policy id)] = new policy id`` (or :data:`DROP`)."""

    stages: MappingType[str, str] = field(default_factory=dict)
    policies: MappingType[tuple[str, str], str] = field(default_factory=dict)


@dataclass(frozen=True)
class Needed:
    """Something subjects are on that the target does not have (by id) and nobody mapped."""

    kind: str  # "stage" or "policy"
    stage_id: str
    policy_id: str | None
    label: str
    subjects: tuple[str, ...]


@dataclass(frozen=True)
class Moved:
    """One subject's position before and after the move (names for people, states for the store)."""

    subject: str
    before: SubjectState
    after: SubjectState
    before_stage: str | None
    after_stage: str | None
    before_policies: tuple[str, ...]
    after_policies: tuple[str, ...]
    parameter_changes: dict[str, tuple[Any, Any]]

    @property
    def changed(self) -> bool:
        return self.before != self.after


class Migration:
    """Moves states of ``source`` onto ``target`` with ``mapping`` (compiled once for many subjects)."""

    def __init__(
        self,
        source: Curriculum,
        target: Curriculum,
        mapping: Mapping | None = None,
        reset_parameters: bool = False,
    ) -> None:
        self.source = source
        self.target = target
        self.mapping = mapping or Mapping()
        self.reset_parameters = reset_parameters
        self._source_stages = {s.id: s for s in source.stages}
        self._target_stages = {s.id: s for s in target.stages}
        for old, new in self.mapping.stages.items():
            if old not in self._source_stages:
                raise MigrationError(f"{source.name} {source.version} has no stage with id {old!r}")
            if new not in self._target_stages:
                raise MigrationError(f"{target.name} {target.version} has no stage with id {new!r}")

    # -- mapping -------------------------------------------------------------------------------

    def stage_for(self, stage_id: str | None) -> str | None:
        """The target stage of ``stage_id``, or None when it has no counterpart and nobody mapped it."""
        if stage_id is None:
            return None
        mapped = self.mapping.stages.get(stage_id)
        if mapped is not None:
            return mapped
        return stage_id if stage_id in self._target_stages else None

    def policy_for(self, stage_id: str, policy_id: str, target_stage: Stage) -> str | None:
        """The target policy (in ``target_stage``), :data:`DROP`, or None when unmapped."""
        mapped = self.mapping.policies.get((stage_id, policy_id))
        if mapped is not None:
            if mapped != DROP and target_stage.policy(mapped) is None:
                raise MigrationError(
                    f"policy {mapped!r} is not in stage {target_stage.name!r} of "
                    f"{self.target.name} {self.target.version}"
                )
            return mapped
        return policy_id if target_stage.policy(policy_id) is not None else None

    def needed(self, states: MappingType[str, SubjectState]) -> list[Needed]:
        """What the subjects in ``states`` are on that still needs a mapping (stages first)."""
        stages: dict[str, list[str]] = {}
        policies: dict[tuple[str, str], list[str]] = {}
        for subject, state in states.items():
            new_stage = self.stage_for(state.stage_id)
            if state.stage_id is not None and new_stage is None:
                stages.setdefault(state.stage_id, []).append(subject)
                continue
            if new_stage is None:
                continue
            target_stage = self._target_stages[new_stage]
            for policy_id in state.active_policies:
                if self.policy_for(state.stage_id or "", policy_id, target_stage) is None:
                    policies.setdefault((state.stage_id or "", policy_id), []).append(subject)
        out = [
            Needed("stage", sid, None, f"stage {self.source_stage_name(sid)!r}", tuple(sorted(subjects)))
            for sid, subjects in stages.items()
        ]
        for (sid, pid), subjects in policies.items():
            stage = self._source_stages.get(sid)
            policy = stage.policy(pid) if stage else None
            name = policy.name if policy else pid
            out.append(
                Needed(
                    "policy",
                    sid,
                    pid,
                    f"policy {name!r} of stage {self.source_stage_name(sid)!r}",
                    tuple(sorted(subjects)),
                )
            )
        return out

    def source_stage_name(self, stage_id: str) -> str:
        stage = self._source_stages.get(stage_id)
        return stage.name if stage else stage_id

    # -- moving --------------------------------------------------------------------------------

    def move(self, subject: str, state: SubjectState) -> Moved:
        """The subject's state on the target; :class:`MigrationError` if something it is on is unmapped."""
        new_stage_id = self.stage_for(state.stage_id)
        if state.stage_id is not None and new_stage_id is None:
            raise MigrationError(
                f"subject {subject!r} is on stage {self.source_stage_name(state.stage_id)!r}, which "
                f"{self.target.name} {self.target.version} does not have: map it to a stage"
            )
        target_stage = self._target_stages.get(new_stage_id) if new_stage_id else None
        active: list[str] = []
        counts: dict[str, int] = {}
        if target_stage is not None:
            for policy_id in state.active_policies:
                new_policy = self.policy_for(state.stage_id or "", policy_id, target_stage)
                if new_policy is None:
                    raise MigrationError(
                        f"subject {subject!r} has policy {policy_id!r} active, which stage "
                        f"{target_stage.name!r} of {self.target.name} {self.target.version} does not have: "
                        "map it to a policy of that stage, or to '-' to drop it"
                    )
                if new_policy == DROP:
                    continue
                if new_policy not in active:
                    active.append(new_policy)
                count = state.sessions_in_policy.get(policy_id, 0)
                counts[new_policy] = max(counts.get(new_policy, 0), count)
        if target_stage is None:
            parameters: dict[str, Any] = copy_json(dict(state.parameters))
        elif self.reset_parameters:
            parameters = copy_json(target_stage.task.parameters)
        else:
            parameters = carry_parameters(state.parameters, target_stage.task.parameters)
        after = SubjectState(
            new_stage_id,
            tuple(active),
            parameters,
            state.is_on_curriculum,
            state.sessions_total,
            state.sessions_in_stage,
            counts,
        )
        source_stage = self._source_stages.get(state.stage_id or "")
        return Moved(
            subject,
            state,
            after,
            source_stage.name if source_stage else state.stage_id,
            target_stage.name if target_stage else new_stage_id,
            tuple(_policy_name(source_stage, p) for p in state.active_policies),
            tuple(_policy_name(target_stage, p) for p in active),
            parameter_changes(state.parameters, parameters),
        )


def _policy_name(stage: Stage | None, policy_id: str) -> str:
    policy = stage.policy(policy_id) if stage else None
    return policy.name if policy else policy_id


_MISSING = object()


def carry_parameters(current: MappingType[str, Any], defaults: MappingType[str, Any]) -> dict[str, Any]:
    """The target's parameters (its shape and defaults), keeping each current value of a compatible type.

    Groups (dicts) are merged key by key; a whole number stays whole (``14.0`` is kept as ``14``, ``13.5``
    into a whole-number default is not kept); ``None`` on either side is compatible with anything."""
    out: dict[str, Any] = {}
    for key, default in defaults.items():
        value = current.get(key, _MISSING)
        if value is _MISSING:
            out[key] = copy_json(default)
        elif isinstance(default, dict):
            out[key] = carry_parameters(value, default) if isinstance(value, dict) else copy_json(default)
        else:
            kept = _compatible(value, default)
            out[key] = copy_json(default) if kept is _MISSING else kept
    return out


def _compatible(value: Any, default: Any) -> Any:
    """``value`` (made whole if the default is) when it can stand where ``default`` stood, else _MISSING."""
    if value is None or default is None:
        return copy_json(value)
    if isinstance(default, bool) or isinstance(value, bool):
        return value if isinstance(default, bool) and isinstance(value, bool) else _MISSING
    if isinstance(default, int) and isinstance(value, int | float):
        return int(value) if float(value).is_integer() else _MISSING
    if isinstance(default, float) and isinstance(value, int | float):
        return value
    if isinstance(default, str):
        return value if isinstance(value, str) else _MISSING
    if isinstance(default, list):
        return copy_json(value) if isinstance(value, list) else _MISSING
    return _MISSING


def parameter_changes(
    before: MappingType[str, Any], after: MappingType[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """``{"group.name": (before, after)}`` for every leaf that differs (None where it is absent)."""
    out: dict[str, tuple[Any, Any]] = {}

    def walk(path: str, a: Any, b: Any) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in [*a, *(k for k in b if k not in a)]:
                walk(f"{path}.{key}" if path else key, a.get(key, _MISSING), b.get(key, _MISSING))
        elif a is _MISSING or b is _MISSING or a != b or type(a) is not type(b):
            out[path] = (None if a is _MISSING else a, None if b is _MISSING else b)

    walk("", dict(before), dict(after))
    return out


# -- names on the command line ----------------------------------------------------------------


def split_entry(entry: str) -> tuple[str, str]:
    """``OLD=NEW`` as ``(OLD, NEW)``, or a :class:`MigrationError` saying how to write it."""
    old, sep, new = entry.partition("=")
    old, new = old.strip(), new.strip()
    if not sep or not old or not new:
        raise MigrationError(f"--map {entry!r}: write OLD=NEW (a stage or policy, by name or id)")
    return old, new


def parse_mapping(entries: Iterable[str], source: Curriculum, target: Curriculum) -> Mapping:
    """``OLD=NEW`` entries (stage or policy names or ids; ``STAGE/POLICY`` when a policy name is not
    unique; ``NEW`` may be ``-`` to drop a policy) as a :class:`Mapping`, or a :class:`MigrationError`
    naming the entry. A policy's ``NEW`` is looked for first in the stage its stage moves to."""
    source_where = f"{source.name} {source.version}"
    target_where = f"{target.name} {target.version}"
    stages: dict[str, str] = {}
    policy_entries: list[tuple[str, str, str, str]] = []
    for entry in entries:
        old, new = split_entry(entry)
        stage_id, policy_id = _find(source, old, source_where, entry)
        if policy_id is None:
            if new == DROP:
                raise MigrationError(f"--map {entry!r}: a stage must be mapped to a stage, not dropped")
            stages[stage_id] = _find(target, new, target_where, entry, stages_only=True)[0]
        else:
            policy_entries.append((entry, stage_id, policy_id, new))
    policies: dict[tuple[str, str], str] = {}
    target_ids = {s.id for s in target.stages}
    for entry, stage_id, policy_id, new in policy_entries:
        if new == DROP:
            policies[(stage_id, policy_id)] = DROP
            continue
        home = stages.get(stage_id, stage_id if stage_id in target_ids else None)
        scoped = target.stage(home) if home else None
        found = next((p.id for p in scoped.policies if new in (p.id, p.name)), None) if scoped else None
        if found is None:
            found = _find(target, new, target_where, entry, policies_only=True)[1]
        assert found is not None
        policies[(stage_id, policy_id)] = found
    return Mapping(stages, policies)


def names_something(entry: str, source: Curriculum) -> bool:
    """Whether the ``OLD`` side of an ``OLD=NEW`` entry names a stage or policy of ``source`` (subjects on
    several versions: each entry applies to the versions it names something in)."""
    old = split_entry(entry)[0]
    try:
        _find(source, old, "", entry)
    except MigrationError:
        return False
    return True


def _find(
    curriculum: Curriculum,
    text: str,
    where: str,
    entry: str,
    stages_only: bool = False,
    policies_only: bool = False,
) -> tuple[str, str | None]:
    """``(stage id, None)`` for a stage, ``(stage id, policy id)`` for a policy."""
    if not policies_only:
        for key in ("id", "name"):
            hits = [s for s in curriculum.stages if getattr(s, key) == text]
            if len(hits) == 1:
                return hits[0].id, None
    if stages_only:
        raise MigrationError(f"--map {entry!r}: {where} has no stage {text!r}")
    candidates = [(s, text) for s in curriculum.stages]
    if "/" in text:
        stage_text, _, policy_text = text.rpartition("/")
        scoped = [s for s in curriculum.stages if stage_text in (s.id, s.name)]
        if scoped:
            candidates = [(s, policy_text) for s in scoped]
    for key in ("id", "name"):
        hits = [(s.id, p.id) for s, t in candidates for p in s.policies if getattr(p, key) == t]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise MigrationError(
                f"--map {entry!r}: {text!r} names a policy in several stages of {where}: write STAGE/POLICY"
            )
    what = "stage or policy" if not policies_only else "policy"
    raise MigrationError(f"--map {entry!r}: {where} has no {what} {text!r}")
