"""Find an item of a curriculum by the names a person sees (for ``--screenshot --select``).

``curriculum``; ``STAGE``; ``STAGE/POLICY``; ``SOURCE -> DESTINATION`` (a stage transition; add ``#2`` for
the second of parallel ones); ``STAGE/SOURCE -> DESTINATION`` (a policy transition). Names are matched
exactly, then without regard to case.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .errors import CurriculumGuiError
from .model import Curriculum
from .problems import ItemRef


def _named(items: Sequence[Any], name: str, what: str) -> Any:
    name = name.strip()
    found = next((i for i in items if i.name == name), None) or next(
        (i for i in items if i.name.casefold() == name.casefold()), None
    )
    if found is None:
        names = ", ".join(repr(i.name) for i in items) or "none"
        raise CurriculumGuiError(f"no {what} named {name!r} (there are: {names})")
    return found


def _transition(transitions: Sequence[Any], nodes: Sequence[Any], text: str, what: str) -> Any:
    arrow = "→" if "→" in text else "->"
    source_name, _, rest = text.partition(arrow)
    destination_name, _, number = rest.partition("#")
    source = _named(nodes, source_name, what)
    destination = _named(nodes, destination_name, what)
    matches = [t for t in transitions if t.source == source.id and t.destination == destination.id]
    index = int(number) - 1 if number.strip().isdigit() else 0
    if not 0 <= index < len(matches):
        raise CurriculumGuiError(
            f"no transition {source.name!r} -> {destination.name!r}" + (f" #{index + 1}" if matches else "")
        )
    return matches[index]


def _stage_and_rest(curriculum: Curriculum, text: str) -> tuple[Any, str] | None:
    """``STAGE/REST`` where STAGE is a stage's name (which may itself hold a ``/``)."""
    for index, char in enumerate(text):
        if char == "/":
            head = text[:index].strip().casefold()
            stage = next((s for s in curriculum.stages if s.name.casefold() == head), None)
            if stage is not None:
                return stage, text[index + 1 :]
    return None


def item_by_name(curriculum: Curriculum, text: str) -> ItemRef:
    text = text.strip()
    if text.casefold() == "curriculum":
        return ItemRef("curriculum")
    if any(s.name.casefold() == text.casefold() for s in curriculum.stages):
        return ItemRef("stage", _named(curriculum.stages, text, "stage").id)
    split = _stage_and_rest(curriculum, text)
    if split is not None:
        stage, inner = split
        if "->" in inner or "→" in inner:
            transition = _transition(stage.policy_transitions, stage.policies, inner, "policy")
            return ItemRef("policy_transition", transition.id, stage.id)
        return ItemRef("policy", _named(stage.policies, inner, "policy").id, stage.id)
    if "->" in text or "→" in text:
        transition = _transition(curriculum.stage_transitions, curriculum.stages, text, "stage")
        return ItemRef("stage_transition", transition.id)
    return ItemRef("stage", _named(curriculum.stages, text, "stage").id)
