"""What a technician does to the selected mouse in the rig view: accept the trainer's suggestion (an
underweight promotion only after saying so), override stage and policies or single parameters, eject,
re-enroll, add a note, weigh it, set its baseline, send its next session to the rig, and undo the last of
these in one step.

A mixin of :class:`~.view.RigView`: each action opens its dialog window-modal (``open()``), and on OK runs
the store call off the GUI thread with the view's ``_run``; ``_changed`` then reloads, says what was done
and keeps how to undo it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QDialog

from ...core.weights import check_grams
from ..subjects import dialogs as subject_dialogs
from . import dialogs
from .info import MouseInfo


class MouseActions:
    """Needs the view's ``ws``, ``info``, ``day``, ``rig_name``, ``threshold``, ``_run``, ``_open``,
    ``_changed``, ``select`` and ``show_message``."""

    ws: Any
    info: MouseInfo | None
    day: Any
    rig_name: str
    threshold: float
    undo_step: tuple[str, Callable[[], Any]] | None
    _run: Callable[..., bool]
    _open: Callable[..., QDialog]
    _changed: Callable[..., None]
    select: Callable[[str], bool]
    show_message: Callable[[str, str], None]

    # --- actions on the selected mouse -----------------------------------------------------------

    def _current(self) -> MouseInfo | None:
        if self.info is None:
            self.show_message("info", "Select a mouse first (scan it or pick it in the list).")
        return self.info

    def _revert(self, subject: str, version: int) -> Callable[[], Any]:
        ws = self.ws
        return lambda: ws.revert(subject, reason="undone at the rig", expected_version=version)

    def accept_suggestion(self) -> QDialog | None:
        info = self._current()
        if info is None or info.suggestion is None or not info.suggestion.applicable:
            return None
        s = info.suggestion
        if not info.held:
            self._apply(s, None)
            return None
        message = f"{s.subject}: {info.held}. Accept the promotion anyway? Your name is kept with it."
        dialog = subject_dialogs.ReasonDialog(
            f"Accept {s.subject}'s promotion",
            message,
            "Accept anyway",
            "optional, e.g. vet approved",
            False,
            self,
        )
        dialog.finish()
        weight = info.weight
        note = {
            "underweight_accepted": {
                "weight_fraction": weight.fraction if weight else None,
                "threshold": self.threshold,
                "reason": None,
            }
        }

        def accepted() -> None:
            note["underweight_accepted"]["reason"] = dialog.reason_text() or None
            self._apply(s, note)

        return self._open(dialog, accepted)

    def _apply(self, s: Any, note: dict[str, Any] | None) -> None:
        ws = self.ws
        notes = {s.subject: note} if note else None

        def done(result: Any) -> None:
            undo = (
                f"accept of {s.subject}",
                lambda: ws.revert_batch(result.batch, reason="undone at the rig"),
            )
            move = (
                f"{s.current_stage} → {s.suggested_stage}"
                if s.stage_changed
                else f"stays in {s.current_stage}"
            )
            self._changed(
                f"Applied the trainer's suggestion for {s.subject}: {move}.", undo if result.batch else None
            )

        self._run(f"Applying {s.subject}'s suggestion…", lambda: ws.apply([s], notes=notes), done)

    def stage_dialog(self) -> QDialog | None:
        info = self._current()
        if info is None or not info.row.on_curriculum:
            return None
        row = info.row
        dialog = subject_dialogs.OverrideDialog(self.ws.curriculum(row.curriculum_version_id), [row], self)
        ws = self.ws

        def accepted() -> None:
            stage, policies, reason = dialog.values()
            self._run(
                f"Overriding {row.subject}…",
                lambda: ws.override(
                    row.subject, stage, policies, reason=reason, expected_version=row.row_version
                ),
                lambda new: self._changed(
                    f"{row.subject} is now on {new.stage} ({', '.join(new.policies) or 'no policy'}).",
                    (f"override of {row.subject}", self._revert(row.subject, new.row_version)),
                ),
            )

        return self._open(dialog, accepted)

    def parameters_dialog(self) -> QDialog | None:
        info = self._current()
        if info is None or not info.row.on_curriculum:
            return None
        row = info.row
        dialog = dialogs.ParametersDialog(row, row.stage or "", info.stage_defaults, self)
        ws = self.ws

        def accepted() -> None:
            changes, reason = dict(dialog.changes), dialog.reason.text().strip()
            self._run(
                f"Setting {row.subject}'s parameters…",
                lambda: ws.set_parameters(
                    row.subject, changes, reason=reason, expected_version=row.row_version
                ),
                lambda new: self._changed(
                    f"{row.subject}: set {', '.join(changes)} for the next session.",
                    (f"parameters of {row.subject}", self._revert(row.subject, new.row_version)),
                ),
            )

        return self._open(dialog, accepted)

    def eject_dialog(self) -> QDialog | None:
        info = self._current()
        if info is None or not info.row.on_curriculum:
            return None
        row = info.row
        dialog = subject_dialogs.eject_dialog([row], self)
        ws = self.ws

        def accepted() -> None:
            reason = dialog.reason_text()
            self._run(
                f"Ejecting {row.subject}…",
                lambda: ws.eject(row.subject, reason=reason, expected_version=row.row_version),
                lambda new: self._changed(
                    f"{row.subject} is off its curriculum.",
                    (f"eject of {row.subject}", self._revert(row.subject, new.row_version)),
                ),
            )

        return self._open(dialog, accepted)

    def reenroll_dialog(self) -> QDialog | None:
        info = self._current()
        if info is None or info.row.on_curriculum:
            return None
        row = info.row
        dialog = subject_dialogs.reenroll_dialog([row], self.ws.curriculum(row.curriculum_version_id), self)
        ws = self.ws

        def accepted() -> None:
            stage, reason = (dialog.stage.currentData() if dialog.stage else None), dialog.reason_text()
            self._run(
                f"Re-enrolling {row.subject}…",
                lambda: ws.reenroll(
                    row.subject, start_stage=stage, reason=reason, expected_version=row.row_version
                ),
                lambda new: self._changed(
                    f"{row.subject} is back on {new.stage}.",
                    (f"re-enroll of {row.subject}", self._revert(row.subject, new.row_version)),
                ),
            )

        return self._open(dialog, accepted)

    def note_dialog(self) -> QDialog | None:
        info = self._current()
        if info is None:
            return None
        subject = info.row.subject
        dialog = dialogs.NoteDialog(subject, self)
        ws = self.ws

        def accepted() -> None:
            text = dialog.note()
            self._run(
                f"Adding a note to {subject}…",
                lambda: ws.add_note(subject, text),
                lambda note_id: self._changed(
                    f"Note added to {subject}.", (f"note on {subject}", lambda: ws.withdraw_note(note_id))
                ),
            )

        return self._open(dialog, accepted)

    def baseline_dialog(self) -> QDialog | None:
        info = self._current()
        if info is None:
            return None
        row = info.row
        dialog = dialogs.BaselineDialog(row, self)
        ws = self.ws
        before = row.baseline_weight_g

        def accepted() -> None:
            grams, reason = dialog.value(), dialog.reason.text().strip() or None
            undo = None
            if before is not None:
                undo = (
                    f"baseline of {row.subject}",
                    lambda: ws.set_baseline(row.subject, before, reason="undone at the rig"),
                )
            self._run(
                f"Setting {row.subject}'s baseline…",
                lambda: ws.set_baseline(row.subject, grams, reason=reason, expected_version=row.row_version),
                lambda new: self._changed(f"{row.subject}: baseline {new.baseline_weight_g:.1f} g.", undo),
            )

        return self._open(dialog, accepted)

    def record_weight(self, text: str) -> None:
        info = self._current()
        if info is None:
            return
        try:
            grams = check_grams(text, "the weight")
        except ValueError as exc:
            if self.select(text.strip()):  # a scanner typed an id into the weight field: take it as a scan
                return
            self.show_message("error", f"{str(exc)[0].upper()}{str(exc)[1:]}: nothing was recorded.")
            return
        subject, day, ws = info.row.subject, self.day, self.ws

        def done(record: Any) -> None:
            status = ws.weight_status([subject]).get(subject)
            share = f" ({status.fraction:.0%} of baseline)" if status and status.fraction is not None else ""
            warn = " — UNDERWEIGHT" if status and status.underweight else ""
            self._changed(
                f"{subject}: {record.grams:.1f} g recorded{share}{warn}.",
                (f"weight of {subject}", lambda: ws.void_weight(record.id)),
            )

        self._run(f"Recording {subject}'s weight…", lambda: ws.record_weight(subject, grams, day), done)

    def send_to_rig(self) -> None:
        info = self._current()
        if info is None:
            return
        rig = self.ws.rig(self.rig_name) if self.rig_name else None
        if rig is None or not rig.export_folder:
            self.show_message(
                "error", f"{self.rig_name or 'This rig'} has no folder to send to: set it in Folders…."
            )
            return
        subject, folder, name, ws = info.row.subject, rig.export_folder, rig.name, self.ws

        def done(result: Any) -> None:
            aind = (
                ""
                if result.aind_problem is None
                else " (no aind TrainerState: the curriculum's rules are expressions)"
            )
            self._changed(f"Sent {subject}'s next session to {name}: {', '.join(result.files)}{aind}.", None)

        self._run(f"Sending {subject} to {name}…", lambda: ws.send_to_rig(subject, folder, name), done)

    def undo(self) -> None:
        if self.undo_step is None:
            return
        label, step = self.undo_step
        self._run(f"Undoing the {label}…", step, lambda _r: self._changed(f"Undid the {label}.", None))
