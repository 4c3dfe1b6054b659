"""The store's operations for the rig (weights, rigs and the schedule, notes, single parameters, sending
the next session, change notifications), offered as methods of :class:`~.workspace.Workspace`.

A base class of the facade, in a module of its own so the rig's methods stay together; like the facade it
only calls the operation modules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from ..core.runsheet import RunSheetEntry
from ..core.schedule import ScheduleEntry
from . import changes, rig_actions, rigs, weights
from .context import StoreContext
from .records import RigInfo, SentResult, SubjectRow, Suggestion, WeightRecord, WeightStatus


class RigWorkspace(StoreContext):
    # -- weights (see .weights) ----------------------------------------------------------------

    def record_weight(
        self,
        subject: str,
        grams: Any,
        day: date | None = None,
        *,
        session: str | None = None,
        source: str = "rig",
        operator: str | None = None,
    ) -> WeightRecord:
        """Record a weighing in grams (default: today); the day's latest counts."""
        return weights.record_weight(self, subject, grams, day, session, source, operator)

    def void_weight(self, weight_id: int, operator: str | None = None) -> None:
        """Withdraw a weighing entered by mistake (kept, marked voided)."""
        weights.void_weight(self, weight_id, operator)

    def weights(self, subject: str, include_voided: bool = False) -> list[WeightRecord]:
        return weights.weights(self, subject, include_voided)

    def set_baseline(
        self,
        subject: str,
        grams: Any,
        *,
        reason: str | None = None,
        operator: str | None = None,
        expected_version: int | None = None,
    ) -> SubjectRow:
        """Set the baseline weight (changing one needs a reason; kept as a ``baseline`` event)."""
        return weights.set_baseline(self, subject, grams, reason, operator, expected_version)

    def weight_threshold(self) -> float:
        """The lab's threshold, a fraction of baseline (default 0.8)."""
        return weights.threshold(self)

    def set_weight_threshold(self, value: float, operator: str | None = None) -> float:
        return weights.set_threshold(self, value, operator)

    def weight_status(self, subjects: Sequence[str] | None = None) -> dict[str, WeightStatus]:
        """Latest weight against baseline and threshold, per subject (all, or ``subjects``)."""
        return weights.weight_status(self, subjects)

    def held_back(self, suggestions: Sequence[Suggestion]) -> dict[str, str]:
        """Suggested promotions of underweight subjects, with why: not applied unless a person says so."""
        return weights.held_back(self, suggestions)

    # -- rigs, schedule, run sheet (see .rigs) -------------------------------------------------

    def rigs(self) -> list[RigInfo]:
        return rigs.rigs(self)

    def rig(self, name: str) -> RigInfo:
        return rigs.rig(self, name)

    def set_rig(
        self,
        name: str,
        *,
        export_folder: str | None = None,
        watch_folder: str | None = None,
        operator: str | None = None,
    ) -> RigInfo:
        return rigs.set_rig(self, name, export_folder, watch_folder, operator)

    def schedule(self) -> list[ScheduleEntry]:
        return rigs.schedule(self)

    def set_schedule(self, entries: Sequence[ScheduleEntry], operator: str | None = None) -> int:
        """Replace the whole schedule (all or nothing)."""
        return rigs.set_schedule(self, entries, operator)

    def day_plan(self, day: date, rig: str | None = None) -> list[tuple[str, int | None, SubjectRow]]:
        """The mice that run on ``day``: ``(rig, slot, row)`` in running order."""
        return rigs.day_plan(self, day, rig)

    def run_sheet(self, day: date, rig: str | None = None) -> list[RunSheetEntry]:
        return rigs.run_sheet(self, day, rig)

    # -- one mouse at the rig (see .rig_actions) -----------------------------------------------

    def set_parameters(
        self,
        subject: str,
        changes: Mapping[str, Any],
        *,
        reason: str,
        operator: str | None = None,
        expected_version: int | None = None,
    ) -> SubjectRow:
        """Set single task parameters (dotted names), checked against the stage's types; an override."""
        return rig_actions.set_parameters(self, subject, changes, reason, operator, expected_version)

    def add_note(self, subject: str, text: str, operator: str | None = None) -> int:
        return rig_actions.add_note(self, subject, text, operator)

    def withdraw_note(self, note_id: int, operator: str | None = None) -> int:
        return rig_actions.withdraw_note(self, note_id, operator)

    def send_to_rig(
        self, subject: str, folder: str | Path, rig: str | None = None, operator: str | None = None
    ) -> SentResult:
        """Write the next session (JSON, and aind TrainerState when possible) atomically into ``folder``;
        recorded as a ``sent`` event."""
        return rig_actions.send_to_rig(self, subject, folder, rig, operator)

    # -- following other rigs (see .changes) ---------------------------------------------------

    def change_watcher(self) -> changes.ChangeWatcher:
        """A cheap "has anything changed?" for this database (close it when done)."""
        return changes.watcher(self.url)
