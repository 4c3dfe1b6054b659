"""A validation problem: what, where, how bad, and which item so a view can select it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class ItemRef:
    """Points at one item of a curriculum, by id.

    ``kind`` is one of ``curriculum``, ``metric``, ``stage``, ``stage_transition``, ``policy``,
    ``policy_transition``; ``stage_id`` is set for the last two (their scope).
    """

    kind: str
    id: str | None = None
    stage_id: str | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    severity: Severity
    location: str
    message: str
    ref: ItemRef = ItemRef("curriculum")

    def __str__(self) -> str:
        return f"{self.location}: {self.severity.value}: {self.message}"
