"""aind-behavior-curriculum JSON (as 0.0.42's ``export_json`` writes it): import and export.

Import never imports or runs anything the file names: every rule and policy stays the text
``"module.qualname"`` (a :class:`PythonRule`), run later only through a trusted runner
(:mod:`curriculum_gui.core.python_rules`). References to ``__main__`` open like any other.

Mapping (stable, so import -> export -> import is lossless):

- aind stage node ``"3"`` -> stage id ``stage_3``; its policy node ``"1"`` -> ``stage_3.policy_1``;
  the k-th outgoing stage transition of ``stage_3`` -> ``stage_3.t<k>``, the k-th outgoing policy
  transition of a policy -> ``<policy id>.t<k>``. List order is priority, kept as is.
- A policy is named by its function (``p_learn_to_run``; by its whole reference where two policies of a
  stage share a function name); the task name, description and parameters are kept.
- The start stage is the lowest node id (aind's ``Trainer.create_enrollment``); on export the start stage
  always gets the lowest node id.
- A stage without outgoing stage transitions is marked terminal (aind has no such flag).

Everything else aind's model holds is kept verbatim and written back: ``pkg_location`` (the package that
defines the curriculum, how aind's ``curriculum run`` finds it), each stage's ``metrics_provider``, the
task's ``version`` and ``stage_name``, and any field a newer aind or a package's subclass adds (at the
curriculum, stage or task level, in ``aind_extra``). So a package's curriculum comes back as its own
``Curriculum`` subclass validates it.

aind has no place for the curriculum's description, declared metrics, positions or the terminal flag: export
drops them. Exporting needs every rule to be a Python reference; a curriculum written with expressions is
exported as a generated aind Python package instead (``convert --to aind-package``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import limits
from .errors import CurriculumGuiError, LoadError
from .model import (
    Curriculum,
    Policy,
    PolicyTransition,
    PythonRule,
    Stage,
    StageTransition,
    Task,
)

DEFAULT_PKG_LOCATION = "aind_behavior_curriculum.curriculum.ModelMetaclass"
"""What aind writes for a curriculum that is no package's subclass (we write it when none is known)."""
CURRICULUM_KEYS = ("pkg_location", "name", "version", "graph")
STAGE_KEYS = ("name", "task", "graph", "start_policies", "metrics_provider")
TASK_KEYS = ("name", "description", "task_parameters", "version", "stage_name")
TRAINER_STATE_KEYS = ("curriculum", "stage", "is_on_curriculum", "active_policies")
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
_OLD_FORMAT = (
    'written by aind-behavior-curriculum older than 0.0.29 (rules stored as {{"rule": ...}} objects), '
    "which is not supported: load it with the version that wrote it and save it again with "
    "aind-behavior-curriculum 0.0.42 (export_json)"
)


class AindExportError(CurriculumGuiError):
    """The curriculum cannot be written as aind JSON (says what to change, or what to use instead)."""


# --- ids ----------------------------------------------------------------------------------------


def stage_id_for(node_id: int) -> str:
    return f"stage_{node_id}"


def policy_id_for(stage_id: str, node_id: int) -> str:
    return f"{stage_id}.policy_{node_id}"


_STAGE_NODE = re.compile(r"^stage_(-?\d+)$")
_POLICY_NODE = re.compile(r"\.policy_(-?\d+)$")


# --- import -------------------------------------------------------------------------------------


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.limits = limits.Checker()  # parameter values, over all stages
        self.policies = 0
        self.transitions = 0

    def count(self, what: str, n: int, where: str) -> None:
        """Count policies or transitions before building them: over the limit is one clear line."""
        total = getattr(self, what) + n
        setattr(self, what, total)
        limit = limits.MAX_POLICIES if what == "policies" else limits.MAX_TRANSITIONS
        if total > limit:
            words = "policies (in all stages)" if what == "policies" else "transitions (stage and policy)"
            raise self.fail(limits.too_many(total, words, limit), where)

    def fail(self, message: str, where: str | None) -> LoadError:
        return LoadError(self.path, message, where)

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"expected a JSON object, found {_kind(value)}", where)
        return value

    def text(self, value: Any, where: str, *, default: str | None = None) -> str:
        if value is None and default is not None:
            return default
        if not isinstance(value, str):
            raise self.fail(f"expected a string, found {_kind(value)}", where)
        return value

    def optional_text(self, value: Any, where: str) -> str | None:
        return None if value is None else self.text(value, where)

    def reference(self, value: Any, where: str) -> str:
        if isinstance(value, dict) and "rule" in value:
            raise self.fail(_OLD_FORMAT, where)
        if not isinstance(value, str):
            raise self.fail(
                f"expected a rule reference string 'module.function', found {_kind(value)}", where
            )
        value = value.strip()
        if not value:
            raise self.fail("empty rule reference (expected 'module.function')", where)
        if len(value) > 1_000:
            raise self.fail("rule reference is longer than 1000 characters", where)
        return value

    def node_key(self, key: Any, where: str) -> int:
        if isinstance(key, bool):
            raise self.fail(f"node id {key!r} is not an integer", where)
        if isinstance(key, int):
            return key
        if isinstance(key, str) and re.fullmatch(r"-?\d{1,18}", key.strip()):
            return int(key)
        raise self.fail(f"node id {key!r} is not an integer", where)

    def edges(
        self, graph: Any, nodes: dict[int, Any], where: str, what: str
    ) -> list[tuple[int, list[tuple[str, int]]]]:
        """``{"0": [[rule, dest], ...]}`` -> [(source, [(rule, dest)])], checking every node id."""
        graph = self.obj(graph, where)
        self.count("transitions", sum(len(e) for e in graph.values() if isinstance(e, list)), where)
        result = []
        for key, entries in graph.items():
            source = self.node_key(key, f"{where}.{key}")
            if source not in nodes:
                raise self.fail(
                    f"transitions from {what} node {source}, which is not among the nodes "
                    f"(known: {_known(nodes)})",
                    f"{where}.{key}",
                )
            if not isinstance(entries, list):
                raise self.fail(
                    f"expected a list of [rule, destination] pairs, found {_kind(entries)}", f"{where}.{key}"
                )
            pairs = []
            for k, entry in enumerate(entries):
                here = f"{where}.{key}[{k}]"
                if isinstance(entry, dict) and "rule" in entry:
                    raise self.fail(_OLD_FORMAT, here)
                if not isinstance(entry, list) or len(entry) != 2:
                    raise self.fail("expected a [rule, destination] pair", here)
                rule = self.reference(entry[0], f"{here}[0]")
                dest_raw = entry[1]
                if isinstance(dest_raw, dict) and "rule" in dest_raw:
                    raise self.fail(_OLD_FORMAT, f"{here}[1]")
                dest = self.node_key(dest_raw, f"{here}[1]")
                if dest not in nodes:
                    raise self.fail(
                        f"transition to {what} node {dest}, which does not exist (known: {_known(nodes)})",
                        f"{here}[1]",
                    )
                pairs.append((rule, dest))
            result.append((source, pairs))
        return result


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _known(nodes: dict[int, Any]) -> str:
    keys = sorted(nodes)
    shown = ", ".join(str(k) for k in keys[:10])
    return (shown + ", ...") if len(keys) > 10 else (shown or "none")


def _extra(data: dict[str, Any], known: tuple[str, ...]) -> dict[str, Any]:
    """The fields this model has no place for, kept verbatim (a newer aind's, a package subclass's)."""
    return {k: v for k, v in data.items() if k not in known}


def is_aind(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("graph"), dict) and "nodes" in data["graph"]


def curriculum_from_data(data: Any, name: str) -> Curriculum:
    """Parsed aind JSON -> our curriculum. Raises :class:`LoadError` (file + location); imports nothing."""
    r = _Reader(name)
    top = r.obj(data, "document")
    if "curriculum" in top and "graph" not in top:
        raise r.fail("this is an aind TrainerState file, not a curriculum (its 'curriculum' holds one)", None)
    cur_name = r.text(top.get("name"), "name", default="Untitled curriculum")
    version = r.text(top.get("version"), "version", default="0.1.0")
    pkg_location = r.optional_text(top.get("pkg_location"), "pkg_location")
    graph = r.obj(top.get("graph"), "graph")
    raw_nodes = r.obj(graph.get("nodes", {}), "graph.nodes")
    if len(raw_nodes) > limits.MAX_STAGES:
        raise r.fail(limits.too_many(len(raw_nodes), "stages", limits.MAX_STAGES), "graph.nodes")

    nodes: dict[int, Any] = {}
    for key, node in raw_nodes.items():
        nid = r.node_key(key, f"graph.nodes.{key}")
        if nid in nodes:
            raise r.fail(f"node id {nid} is used twice", f"graph.nodes.{key}")
        nodes[nid] = node

    stages: list[Stage] = []
    for nid, node in nodes.items():
        stages.append(_stage_from_node(r, nid, node, f"graph.nodes.{nid}"))

    stage_transitions: list[StageTransition] = []
    outgoing: set[int] = set()
    for source, pairs in r.edges(graph.get("graph", {}), nodes, "graph.graph", "stage"):
        sid = stage_id_for(source)
        for k, (rule, dest) in enumerate(pairs):
            outgoing.add(source)
            stage_transitions.append(
                StageTransition(
                    id=f"{sid}.t{k}", source=sid, destination=stage_id_for(dest), rule=PythonRule(python=rule)
                )
            )
    for nid, stage in zip(nodes, stages, strict=True):
        stage.terminal = nid not in outgoing

    try:
        curriculum = Curriculum(
            name=cur_name,
            version=version,
            stages=stages,
            stage_transitions=stage_transitions,
            start_stage=stage_id_for(min(nodes)) if nodes else None,
            pkg_location=pkg_location,
            aind_extra=_extra(top, CURRICULUM_KEYS),
        )
    except ValidationError as exc:  # e.g. an absurdly long name
        first = exc.errors(include_url=False)[0]
        raise r.fail(first["msg"], ".".join(str(p) for p in first["loc"])) from None
    try:
        limits.check_curriculum(curriculum)  # names and texts: the same limits as the native format's
    except limits.LimitError as exc:
        raise r.fail(exc.reason, exc.location) from None
    return curriculum


def _stage_from_node(r: _Reader, nid: int, node: Any, where: str) -> Stage:
    if isinstance(node, dict) and "rule" in node:
        raise r.fail(_OLD_FORMAT, where)
    node = r.obj(node, where)
    sid = stage_id_for(nid)
    stage_name = r.text(node.get("name"), f"{where}.name")
    label = f"{where} ({stage_name})"
    task_data = r.obj(node.get("task", {}), f"{label}.task")
    params = task_data.get("task_parameters", {})
    if params is None:
        params = {}
    r.obj(params, f"{label}.task.task_parameters")
    try:
        r.limits.parameters(params, f"{label}.task.task_parameters")  # before pydantic reads them
    except limits.LimitError as exc:
        raise r.fail(exc.reason, exc.location) from None
    task = Task(
        name=r.text(task_data.get("name"), f"{label}.task.name", default=""),
        description=r.text(task_data.get("description"), f"{label}.task.description", default=""),
        parameters=params,
        version=r.optional_text(task_data.get("version"), f"{label}.task.version"),
        stage_name=r.optional_text(task_data.get("stage_name"), f"{label}.task.stage_name"),
        aind_extra=_extra(task_data, TASK_KEYS),
    )
    provider = node.get("metrics_provider")
    if provider is not None:
        provider = r.reference(provider, f"{label}.metrics_provider")

    pgraph = r.obj(node.get("graph", {}), f"{label}.graph")
    raw_policies = r.obj(pgraph.get("nodes", {}), f"{label}.graph.nodes")
    r.count("policies", len(raw_policies), f"{label}.graph.nodes")
    policies: dict[int, str] = {}
    for key, value in raw_policies.items():
        pid = r.node_key(key, f"{label}.graph.nodes.{key}")
        if pid in policies:
            raise r.fail(f"policy node id {pid} is used twice", f"{label}.graph.nodes.{key}")
        policies[pid] = r.reference(value, f"{label}.graph.nodes.{key}")

    raw_start = node.get("start_policies", [])
    if raw_start is None:
        raw_start = []
    if not isinstance(raw_start, list):
        raise r.fail(
            f"expected a list of policy references, found {_kind(raw_start)}", f"{label}.start_policies"
        )
    if len(raw_start) > limits.MAX_POLICIES:
        raise r.fail(
            limits.too_many(len(raw_start), "start policies", limits.MAX_POLICIES), f"{label}.start_policies"
        )
    start_refs = [r.reference(v, f"{label}.start_policies[{i}]") for i, v in enumerate(raw_start)]
    # As aind's Stage.model_post_init: a start policy not in the graph is added as a new node.
    known = set(policies.values())
    top = max(policies, default=-1)
    for ref in start_refs:
        if ref not in known:
            new = 0 if not policies else max(len(policies), top + 1)
            policies[new] = ref
            known.add(ref)
            top = max(top, new)
    by_ref = {ref: pid for pid, ref in policies.items()}

    policy_transitions: list[PolicyTransition] = []
    for source, pairs in r.edges(pgraph.get("graph", {}), policies, f"{label}.graph.graph", "policy"):
        src = policy_id_for(sid, source)
        for k, (rule, dest) in enumerate(pairs):
            policy_transitions.append(
                PolicyTransition(
                    id=f"{src}.t{k}",
                    source=src,
                    destination=policy_id_for(sid, dest),
                    rule=PythonRule(python=rule),
                )
            )
    names = _policy_names(list(policies.values()))
    try:
        return Stage(
            id=sid,
            name=stage_name,
            task=task,
            policies=[
                Policy(id=policy_id_for(sid, pid), name=names[ref], updates=PythonRule(python=ref))
                for pid, ref in policies.items()
            ],
            policy_transitions=policy_transitions,
            start_policies=[policy_id_for(sid, by_ref[ref]) for ref in start_refs],
            metrics_provider=provider,
            aind_extra=_extra(node, STAGE_KEYS),
        )
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise r.fail(first["msg"], f"{label}." + ".".join(str(p) for p in first["loc"])) from None


def _policy_names(refs: list[str]) -> dict[str, str]:
    """A policy is named by its function (``p_learn_to_run``), or by its whole reference where two
    policies of the stage share a function name."""
    short = [ref.rpartition(".")[2] or ref for ref in refs]
    return {ref: (s if short.count(s) == 1 else ref) for ref, s in zip(refs, short, strict=True)}


def load(path: str | Path) -> Curriculum:
    from .native_format import read_curriculum_json

    return curriculum_from_data(read_curriculum_json(path), str(path))


def loads(text: str, name: str = "<string>") -> Curriculum:
    from .native_format import parse_json_bytes

    return curriculum_from_data(parse_json_bytes(text.encode("utf-8"), name), name)


# --- export -------------------------------------------------------------------------------------


def expression_rules(curriculum: Curriculum) -> list[str]:
    """Where the curriculum uses expressions (which aind JSON cannot hold), as readable places."""
    places = []
    names = {s.id: s.name for s in curriculum.stages}
    for t in curriculum.stage_transitions:
        if not isinstance(t.rule, PythonRule):
            places.append(
                f"stage transition {names.get(t.source, t.source)!r} -> "
                f"{names.get(t.destination, t.destination)!r}"
            )
    for stage in curriculum.stages:
        pnames = {p.id: p.name for p in stage.policies}
        for p in stage.policies:
            if not isinstance(p.updates, PythonRule):
                places.append(f"policy {p.name!r} of stage {stage.name!r}")
        for t in stage.policy_transitions:
            if not isinstance(t.rule, PythonRule):
                places.append(
                    f"policy transition {pnames.get(t.source, t.source)!r} -> "
                    f"{pnames.get(t.destination, t.destination)!r} of stage {stage.name!r}"
                )
    return places


def _numbering(ids: list[str], pattern: re.Pattern[str], first: str | None) -> dict[str, int]:
    """Node ids: the numbers in our ids when they are all there and distinct, else 0.. in list order.

    ``first`` (the start stage) must get the lowest number: aind enrolls into the lowest node id.
    """
    parsed: dict[str, int] = {}
    for i in ids:
        m = pattern.search(i)
        if not m:
            break
        parsed[i] = int(m.group(1))
    complete = len(parsed) == len(ids) and len(set(parsed.values())) == len(ids)
    if complete and (first is None or not ids or parsed[first] == min(parsed.values())):
        return parsed
    order = ([first] if first is not None else []) + [i for i in ids if i != first]
    return {i: n for n, i in enumerate(order)}


def curriculum_to_aind_data(curriculum: Curriculum) -> dict[str, Any]:
    """Our curriculum -> aind JSON data (aind's ``Curriculum.model_validate_json`` loads it).

    Raises :class:`AindExportError` saying what to change.
    """
    exprs = expression_rules(curriculum)
    if exprs:
        shown = "; ".join(exprs[:3]) + (f"; and {len(exprs) - 3} more" if len(exprs) > 3 else "")
        raise AindExportError(
            "cannot export to aind JSON: it holds only Python references ('module.function') and this "
            f"curriculum has expression rules ({shown}). Export it as an aind Python package instead "
            "(curriculum-gui convert IN -o OUT --to aind-package)"
        )
    if not SEMVER.match(curriculum.version):
        raise AindExportError(
            f"cannot export to aind JSON: version {curriculum.version!r} is not a semantic version"
        )
    names: dict[str, str] = {}
    for stage in curriculum.stages:
        if stage.name in names.values():
            raise AindExportError(
                f"cannot export to aind JSON: two stages are named {stage.name!r} "
                "(aind tells stages apart by name)"
            )
        names[stage.id] = stage.name
    start = curriculum.start_stage
    if curriculum.stages:
        if start is None:
            raise AindExportError("cannot export to aind JSON: the curriculum has no start stage")
        if start not in names:
            raise AindExportError(f"cannot export to aind JSON: start stage {start!r} does not exist")
    stage_nums = _numbering([s.id for s in curriculum.stages], _STAGE_NODE, start)

    nodes: dict[str, Any] = {}
    graph: dict[str, list[list[Any]]] = {}
    for stage in curriculum.stages:
        nodes[str(stage_nums[stage.id])] = _stage_to_node(stage)
        graph[str(stage_nums[stage.id])] = []
    for t in curriculum.stage_transitions:
        for end in (t.source, t.destination):
            if end not in stage_nums:
                raise AindExportError(
                    f"cannot export to aind JSON: stage transition {t.id!r} refers to unknown stage {end!r}"
                )
        assert isinstance(t.rule, PythonRule)
        graph[str(stage_nums[t.source])].append([t.rule.python, stage_nums[t.destination]])
    return {
        "pkg_location": curriculum.pkg_location or DEFAULT_PKG_LOCATION,
        "name": curriculum.name,
        "version": curriculum.version,
        "graph": {"nodes": nodes, "graph": graph},
        **_kept(curriculum.aind_extra, CURRICULUM_KEYS),
    }


def _stage_to_node(stage: Stage) -> dict[str, Any]:
    where = f"stage {stage.name!r}"
    refs: dict[str, str] = {}
    for p in stage.policies:
        assert isinstance(p.updates, PythonRule)
        if p.updates.python in refs.values():
            raise AindExportError(
                f"cannot export to aind JSON: {where} has two policies running {p.updates.python!r} "
                "(aind tells policies apart by their function)"
            )
        refs[p.id] = p.updates.python
    nums = _numbering([p.id for p in stage.policies], _POLICY_NODE, None)
    pgraph: dict[str, list[list[Any]]] = {str(nums[p.id]): [] for p in stage.policies}
    for t in stage.policy_transitions:
        for end in (t.source, t.destination):
            if end not in nums:
                raise AindExportError(
                    f"cannot export to aind JSON: policy transition {t.id!r} of {where} "
                    f"refers to unknown policy {end!r}"
                )
        assert isinstance(t.rule, PythonRule)
        pgraph[str(nums[t.source])].append([t.rule.python, nums[t.destination]])
    start = []
    for pid in stage.start_policies:
        if pid not in refs:
            raise AindExportError(
                f"cannot export to aind JSON: start policy {pid!r} of {where} does not exist"
            )
        start.append(refs[pid])
    task = stage.task
    return {
        "name": stage.name,
        "task": {
            "name": task.name,
            "description": task.description,
            "task_parameters": task.parameters,
            "version": task.version,
            "stage_name": task.stage_name,
            **_kept(task.aind_extra, TASK_KEYS),
        },
        "graph": {"nodes": {str(nums[p.id]): refs[p.id] for p in stage.policies}, "graph": pgraph},
        "start_policies": start,
        "metrics_provider": stage.metrics_provider,
        **_kept(stage.aind_extra, STAGE_KEYS),
    }


def _kept(extra: dict[str, Any], known: tuple[str, ...]) -> dict[str, Any]:
    """Kept fields, never overriding one this model writes itself (a hand-edited file could try)."""
    return {k: v for k, v in extra.items() if k not in known}


def dumps(curriculum: Curriculum) -> str:
    """As aind's ``export_json`` writes it (``model_dump_json(indent=3)``)."""
    return (
        json.dumps(curriculum_to_aind_data(curriculum), indent=3, ensure_ascii=False, allow_nan=False) + "\n"
    )


def save(curriculum: Curriculum, path: str | Path) -> None:
    from .native_format import atomic_write_text, check_writable

    check_writable(curriculum, path)
    atomic_write_text(path, dumps(curriculum))


# --- aind TrainerState (for `suggest`, as AIND's experiment launcher calls a curriculum) ----------


def trainer_state_curriculum(data: Any, name: str) -> Curriculum | None:
    """The curriculum embedded in an aind TrainerState, if any (imports nothing)."""
    r = _Reader(name)
    top = r.obj(data, "document")
    if "stage" not in top and "is_on_curriculum" not in top:
        raise r.fail("not an aind TrainerState (expected 'curriculum', 'stage', 'is_on_curriculum')", None)
    embedded = top.get("curriculum")
    if embedded is None:
        return None
    try:
        return curriculum_from_data(embedded, name)
    except LoadError as exc:
        raise r.fail(exc.reason, f"curriculum.{exc.location}" if exc.location else "curriculum") from None


def trainer_state_from_data(data: Any, curriculum: Curriculum, name: str) -> Any:
    """An aind TrainerState -> our ``SubjectState`` on ``curriculum``; None for aind's default (new) state.

    Stages are matched by name and policies by reference, as aind compares them.
    """
    from .trainer import SubjectState

    r = _Reader(name)
    top = r.obj(data, "document")
    raw_stage = top.get("stage")
    on = top.get("is_on_curriculum", True)
    if not isinstance(on, bool):
        raise r.fail(f"expected true or false, found {_kind(on)}", "is_on_curriculum")
    if raw_stage is None:
        if top.get("curriculum") is None and not on:
            return None  # TrainerState.default(): a subject not enrolled yet
        return SubjectState(stage_id=None, active_policies=(), parameters={}, is_on_curriculum=False)
    stage_data = r.obj(raw_stage, "stage")
    stage_name = r.text(stage_data.get("name"), "stage.name")
    stage = curriculum.stage_by_name(stage_name)
    if stage is None:
        raise r.fail(f"stage {stage_name!r} is not in curriculum {curriculum.name!r}", "stage.name")
    task = r.obj(stage_data.get("task", {}), "stage.task")
    params = task.get("task_parameters") or {}
    r.obj(params, "stage.task.task_parameters")
    raw_active = top.get("active_policies") or []
    if not isinstance(raw_active, list):
        raise r.fail(f"expected a list of policy references, found {_kind(raw_active)}", "active_policies")
    by_ref = {p.updates.text: p.id for p in stage.policies if isinstance(p.updates, PythonRule)}
    active = []
    for i, value in enumerate(raw_active):
        ref = r.reference(value, f"active_policies[{i}]")
        if ref not in by_ref:
            raise r.fail(f"policy {ref!r} is not a policy of stage {stage_name!r}", f"active_policies[{i}]")
        active.append(by_ref[ref])
    return SubjectState(
        stage_id=stage.id, active_policies=tuple(active), parameters=dict(params), is_on_curriculum=on
    )


def trainer_state_blocker(curriculum: Curriculum) -> str | None:
    """Why no aind TrainerState can be written on this curriculum, in one short line (None: it can).
    A TrainerState holds its curriculum as aind JSON, whose rules are Python references."""
    if expression_rules(curriculum):
        return (
            "its curriculum's rules are expressions; aind needs Python references "
            "(or convert --to aind-package)"
        )
    try:
        curriculum_to_aind_data(curriculum)
    except AindExportError as exc:
        return str(exc).removeprefix("cannot export to aind JSON: ")
    return None


def trainer_state_to_data(
    curriculum: Curriculum, state: Any, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Our ``SubjectState`` -> aind TrainerState JSON data (the curriculum must be aind-exportable:
    see :func:`trainer_state_blocker`).

    ``extra``: the fields of the input TrainerState that aind's model has no place for (a package's
    subclass of TrainerState), written back as they came."""
    data = curriculum_to_aind_data(curriculum)
    kept = _kept(extra or {}, TRAINER_STATE_KEYS)
    if state is None or state.stage_id is None:
        return {"curriculum": data, "stage": None, "is_on_curriculum": False, "active_policies": None, **kept}
    stage = curriculum.stage(state.stage_id)
    if stage is None:
        raise AindExportError(f"stage {state.stage_id!r} is not in curriculum {curriculum.name!r}")
    node = _stage_to_node(stage)
    node["task"]["task_parameters"] = dict(state.parameters)
    refs = {p.id: p.updates.text for p in stage.policies}
    active = [refs[pid] for pid in state.active_policies if pid in refs]
    return {
        "curriculum": data,
        "stage": node,
        "is_on_curriculum": bool(state.is_on_curriculum),
        "active_policies": active or ([] if state.is_on_curriculum else None),
        **kept,
    }


def trainer_state_extra(data: Any) -> dict[str, Any]:
    """The fields of a TrainerState document beyond aind's own (kept through ``suggest``)."""
    return _extra(data, TRAINER_STATE_KEYS) if isinstance(data, dict) else {}
