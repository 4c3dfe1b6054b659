"""The two graphs the canvas edits, behind one interface: the stage graph and one stage's policy graph.

The scene is generic: it asks its level what the nodes and edges are and which core edit performs a
user action. Every change is returned as a :mod:`curriculum_gui.core.edits` edit for ``Document.apply``;
nothing here mutates a curriculum. No Qt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ...core import edits, layout
from ...core.errors import EditError
from ...core.model import (
    Curriculum,
    Point,
    Policy,
    PolicyTransition,
    Stage,
    StageTransition,
)
from ...core.problems import ItemRef
from ...core.python_source import rule_label

CLIPBOARD_MIME = "application/x-curriculum-gui+json"


@dataclass(frozen=True, slots=True)
class NodeData:
    id: str
    title: str
    subtitle: str
    detail: str
    start: bool
    terminal: bool
    position: tuple[float, float] | None
    tooltip: str


@dataclass(frozen=True, slots=True)
class EdgeData:
    id: str
    source: str
    destination: str
    priority: int
    siblings: int  # outgoing transitions of the source (for the tooltip)
    rule: str  # in full (the tooltip, the hover)
    label: str = ""  # short: a Python reference by its function's name (the label on the edge)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] + (" …" if len(lines) > 1 else "") if lines else ""


def _edge_data(transitions: Iterable[StageTransition | PolicyTransition]) -> list[EdgeData]:
    transitions = list(transitions)
    counts: dict[str, int] = {}
    for t in transitions:
        counts[t.source] = counts.get(t.source, 0) + 1
    seen: dict[str, int] = {}
    out = []
    for t in transitions:
        seen[t.source] = seen.get(t.source, 0) + 1
        out.append(
            EdgeData(
                t.id,
                t.source,
                t.destination,
                seen[t.source],
                counts[t.source],
                t.rule.text,
                rule_label(t.rule, one_line=True),  # a Python reference by its function name
            )
        )
    return out


def _position(point: Point | None) -> tuple[float, float] | None:
    return (point.x, point.y) if point is not None else None


class StageLevel:
    """The curriculum's stage graph."""

    node_kind = "stage"
    edge_kind = "stage_transition"
    node_word = "stage"
    stage_id: str | None = None
    size = layout.STAGE_SIZE

    def exists(self, curriculum: Curriculum) -> bool:
        return True

    def title(self, curriculum: Curriculum) -> str:
        return curriculum.name

    def nodes(self, curriculum: Curriculum) -> list[NodeData]:
        out = []
        for s in curriculum.stages:
            count = len(s.policies)
            out.append(
                NodeData(
                    s.id,
                    s.name,
                    s.task.name or "no task",
                    "no policies" if count == 0 else f"{count} polic{'y' if count == 1 else 'ies'}",
                    s.id == curriculum.start_stage,
                    s.terminal,
                    _position(s.position),
                    s.description or s.name,
                )
            )
        return out

    def edges(self, curriculum: Curriculum) -> list[EdgeData]:
        return _edge_data(curriculum.stage_transitions)

    def graph(self, curriculum: Curriculum) -> layout.Graph:
        return layout.stage_graph(curriculum)

    def node_ref(self, node_id: str) -> ItemRef:
        return ItemRef(self.node_kind, node_id, self.stage_id)

    def edge_ref(self, edge_id: str) -> ItemRef:
        return ItemRef(self.edge_kind, edge_id, self.stage_id)

    # --- edits -------------------------------------------------------------------------------------

    def add_node(self, curriculum: Curriculum, position: tuple[float, float]) -> edits.Insert:
        name = edits.unique_name("New stage", {s.name for s in curriculum.stages})
        return edits.add_stage(curriculum, name, position=Point(x=position[0], y=position[1]))

    def connect(self, curriculum: Curriculum, source: str, destination: str) -> edits.Insert:
        return edits.add_stage_transition(curriculum, source, destination)

    def remove(self, curriculum: Curriculum, node_ids: list[str], edge_ids: list[str]) -> edits.Edit:
        gone = set(node_ids)
        steps: list[edits.Edit] = [
            edits.remove_transition(self.edge_kind, t.id)
            for t in curriculum.stage_transitions
            if t.id in edge_ids and t.source not in gone and t.destination not in gone
        ]
        if node_ids:
            steps.append(edits.remove_stages(curriculum, node_ids))
        return edits.Batch(steps, text=_removal_text(len(node_ids), len(edge_ids), "stage"))

    def rename(self, curriculum: Curriculum, node_id: str, name: str) -> edits.Edit:
        return edits.rename(curriculum, "stage", node_id, name)

    def move(self, positions: dict[str, tuple[float, float]]) -> edits.Batch:
        return edits.move(
            {(self.node_kind, i, self.stage_id): Point(x=x, y=y) for i, (x, y) in positions.items()}
        )

    def toggle_start(self, curriculum: Curriculum, node_id: str) -> edits.Edit:
        return edits.set_start_stage(None if curriculum.start_stage == node_id else node_id)

    def toggle_terminal(self, curriculum: Curriculum, node_id: str) -> edits.Edit | None:
        stage = curriculum.stage(node_id)
        if stage is None:
            return None
        word = "Unmark" if stage.terminal else "Mark"
        return edits.set_field("stage", node_id, "terminal", not stage.terminal, text=f"{word} terminal")

    def transitions(self, curriculum: Curriculum) -> list[StageTransition]:
        return curriculum.stage_transitions

    def copy(self, curriculum: Curriculum, node_ids: list[str]) -> dict[str, Any]:
        chosen = set(node_ids)
        return {
            "kind": "stages",
            "stages": [s.model_dump(mode="json") for s in curriculum.stages if s.id in chosen],
            "transitions": [
                t.model_dump(mode="json")
                for t in curriculum.stage_transitions
                if t.source in chosen and t.destination in chosen
            ],
        }

    def paste(
        self, curriculum: Curriculum, payload: dict[str, Any], offset: tuple[float, float]
    ) -> edits.Edit:
        if payload.get("kind") != "stages":
            raise EditError("the clipboard holds policies: paste them inside a stage's policy graph")
        try:
            stages = [Stage.model_validate(s) for s in payload["stages"]]
            transitions = [StageTransition.model_validate(t) for t in payload.get("transitions", [])]
        except (KeyError, TypeError, ValueError) as exc:
            raise EditError(f"the clipboard does not hold stages ({exc})") from None
        return edits.paste_stages(curriculum, stages, transitions, Point(x=offset[0], y=offset[1]))


class PolicyLevel(StageLevel):
    """The policy graph inside one stage."""

    node_kind = "policy"
    edge_kind = "policy_transition"
    node_word = "policy"
    size = layout.POLICY_SIZE

    def __init__(self, stage_id: str) -> None:
        self.stage_id = stage_id

    def _stage(self, curriculum: Curriculum) -> Stage:
        stage = curriculum.stage(self.stage_id or "")
        if stage is None:
            raise EditError(f"no stage with id {self.stage_id!r}")
        return stage

    def exists(self, curriculum: Curriculum) -> bool:
        return curriculum.stage(self.stage_id or "") is not None

    def title(self, curriculum: Curriculum) -> str:
        stage = curriculum.stage(self.stage_id or "")
        return stage.name if stage else "(removed stage)"

    def nodes(self, curriculum: Curriculum) -> list[NodeData]:
        stage = curriculum.stage(self.stage_id or "")
        if stage is None:
            return []
        out = []
        for p in stage.policies:
            update = rule_label(p.updates)
            out.append(
                NodeData(
                    p.id,
                    p.name,
                    _first_line(update) or "no update",
                    "",
                    p.id in stage.start_policies,
                    False,
                    _position(p.position),
                    f"{p.name}\n{update}" if update else p.name,
                )
            )
        return out

    def edges(self, curriculum: Curriculum) -> list[EdgeData]:
        stage = curriculum.stage(self.stage_id or "")
        return _edge_data(stage.policy_transitions) if stage else []

    def graph(self, curriculum: Curriculum) -> layout.Graph:
        return layout.policy_graph(curriculum, self.stage_id or "")

    def add_node(self, curriculum: Curriculum, position: tuple[float, float]) -> edits.Insert:
        name = edits.unique_name("New policy", {p.name for p in self._stage(curriculum).policies})
        return edits.add_policy(
            curriculum, self.stage_id or "", name, position=Point(x=position[0], y=position[1])
        )

    def connect(self, curriculum: Curriculum, source: str, destination: str) -> edits.Insert:
        return edits.add_policy_transition(curriculum, self.stage_id or "", source, destination)

    def remove(self, curriculum: Curriculum, node_ids: list[str], edge_ids: list[str]) -> edits.Edit:
        """Transitions first, then the start-policy list once, then the policies: one batch."""
        stage = self._stage(curriculum)
        gone = set(node_ids)
        steps: list[edits.Edit] = [
            edits.remove_transition(self.edge_kind, t.id, stage.id)
            for t in stage.policy_transitions
            if t.id in edge_ids or t.source in gone or t.destination in gone
        ]
        if gone & set(stage.start_policies):
            remaining = [p for p in stage.start_policies if p not in gone]
            steps.append(edits.set_start_policies(stage.id, remaining))
        steps += [edits.Delete("policy", p.id, stage.id) for p in stage.policies if p.id in gone]
        return edits.Batch(steps, text=_removal_text(len(node_ids), len(edge_ids), "policy"))

    def rename(self, curriculum: Curriculum, node_id: str, name: str) -> edits.Edit:
        return edits.rename(curriculum, "policy", node_id, name, self.stage_id)

    def toggle_start(self, curriculum: Curriculum, node_id: str) -> edits.Edit:
        starts = list(self._stage(curriculum).start_policies)
        starts = [p for p in starts if p != node_id] if node_id in starts else [*starts, node_id]
        return edits.set_start_policies(self.stage_id or "", starts)

    def toggle_terminal(self, curriculum: Curriculum, node_id: str) -> edits.Edit | None:
        return None

    def transitions(self, curriculum: Curriculum) -> list[PolicyTransition]:  # type: ignore[override]
        return self._stage(curriculum).policy_transitions

    def copy(self, curriculum: Curriculum, node_ids: list[str]) -> dict[str, Any]:
        stage = self._stage(curriculum)
        chosen = set(node_ids)
        return {
            "kind": "policies",
            "policies": [p.model_dump(mode="json") for p in stage.policies if p.id in chosen],
            "transitions": [
                t.model_dump(mode="json")
                for t in stage.policy_transitions
                if t.source in chosen and t.destination in chosen
            ],
        }

    def paste(
        self, curriculum: Curriculum, payload: dict[str, Any], offset: tuple[float, float]
    ) -> edits.Edit:
        if payload.get("kind") != "policies":
            raise EditError("the clipboard holds stages: paste them on the curriculum's stage graph")
        try:
            policies = [Policy.model_validate(p) for p in payload["policies"]]
            transitions = [PolicyTransition.model_validate(t) for t in payload.get("transitions", [])]
        except (KeyError, TypeError, ValueError) as exc:
            raise EditError(f"the clipboard does not hold policies ({exc})") from None
        return edits.paste_policies(
            curriculum, self.stage_id or "", policies, transitions, Point(x=offset[0], y=offset[1])
        )


def _removal_text(nodes: int, edges_: int, word: str) -> str:
    plural = {"stage": "stages", "policy": "policies"}[word]
    if nodes and not edges_:
        return f"Remove {nodes} {word if nodes == 1 else plural}"
    if edges_ and not nodes:
        return f"Remove {edges_} transition{'s' if edges_ != 1 else ''}"
    return "Remove selection"
