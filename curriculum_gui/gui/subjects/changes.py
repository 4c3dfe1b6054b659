"""The manual changes of the Subjects view: override, eject, re-enroll and revert of the selected subjects,
and the undo of a whole batch.

Whatever is selected, one subject or two thousand, a change is one batch in the store: one transaction,
all or nothing (another program taking the lock, a conflict or a full disk half-way writes nothing), so
the banner says exactly what was written: every subject, or none. The batch is then offered for undo as
one step (the Undo button, or "Undo this batch…" on any of its events in a subject's timeline).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QDialog

from ...store import ConflictError, NotFound, StoreError
from ...store.records import ChangeResult, RevertResult, SubjectRow
from . import dialogs

if TYPE_CHECKING:
    from ...store import Workspace

SHOWN = 6  # subject ids named in a message before "…"
UNDO_NAMES = {
    "applied": "apply",
    "migrated": "move",
    "override": "override",
    "eject": "eject",
    "re-enroll": "re-enroll",
    "revert": "revert",
}


def named(subjects: Sequence[str]) -> str:
    return ", ".join(subjects[:SHOWN]) + (" …" if len(subjects) > SHOWN else "")


class ManualChanges:
    """Mixed into :class:`~.view.SubjectsView` (which provides ``ws``, ``selected_rows``, ``_open``,
    ``_run``, ``refresh``, ``show_message``, ``handle_error``, ``review``, ``model``)."""

    ws: Workspace
    last_batch: list[str]  # the subjects of the last batch made here (the Undo button)
    last_batch_id: str | None
    last_batch_kind: str  # "applied", "migrated", "override", "eject", "re-enroll" or "revert"

    # --- one batch -------------------------------------------------------------------------------

    def _change_batch(
        self,
        label: str,
        rows: Sequence[SubjectRow],
        change: Callable[[list[tuple[str, int]]], ChangeResult],
        verb: str,
    ) -> None:
        """``change`` every subject of ``rows`` as one batch, each checked against the version read; the
        subjects are read again on the job's thread and shown before the message."""
        targets = [(r.subject, r.row_version) for r in rows]

        def finished(result: ChangeResult) -> None:
            changed = set(result.subjects)
            self.review.set_suggestions([s for s in self.review.suggestions if s.subject not in changed])
            self.remember_batch(result.batch, sorted(changed), result.kind)
            undo = f" “{self.undo_apply_action.text()}” undoes it." if result.batch else ""
            shown = named(list(result.subjects))
            self.show_message("ok", f"{verb} {len(result.subjects)} subject(s) as one batch ({shown}).{undo}")

        marked = set(self.model.suggested)
        self._run(
            label,
            lambda _progress: change(targets),
            finished,
            reload=lambda result: marked - set(result.subjects),
        )

    def remember_batch(self, batch: str | None, subjects: list[str], kind: str) -> None:
        """The batch the Undo button undoes (the last one made here)."""
        self.last_batch, self.last_batch_id = (subjects, batch) if batch else ([], None)
        self.last_batch_kind = kind
        self._update_actions()

    def undo_text(self) -> str:
        if not self.last_batch:
            return "Undo apply"
        return f"Undo {UNDO_NAMES.get(self.last_batch_kind, 'batch')} ({len(self.last_batch)})"

    def _one_curriculum(self, rows: Sequence[SubjectRow], what: str) -> bool:
        if len({r.curriculum_version_id for r in rows}) > 1:
            self.show_message("error", f"{what} works on subjects of one curriculum version: select fewer.")
            return False
        return True

    # --- override, eject, re-enroll, revert -----------------------------------------------------------

    def override_dialog(self) -> QDialog | None:
        rows = [r for r in self.selected_rows() if r.on_curriculum]
        if not rows or not self._one_curriculum(rows, "Override"):
            return None
        dialog = dialogs.OverrideDialog(self.ws.curriculum(rows[0].curriculum_version_id), rows, self)
        return self._open(dialog, lambda: self.override(rows, *dialog.values()))

    def override(self, rows: Sequence[SubjectRow], stage: str, policies: Sequence[str], reason: str) -> None:
        ws = self.ws
        self._change_batch(
            f"Overriding {len(rows)} subject(s)…",
            rows,
            lambda targets: ws.override_many(targets, stage, list(policies), reason=reason),
            "Overrode",
        )

    def eject_dialog(self) -> QDialog | None:
        rows = [r for r in self.selected_rows() if r.on_curriculum]
        if not rows:
            return None
        dialog = dialogs.eject_dialog(rows, self)
        return self._open(dialog, lambda: self.eject(rows, dialog.reason_text()))

    def eject(self, rows: Sequence[SubjectRow], reason: str) -> None:
        ws = self.ws
        self._change_batch(
            f"Ejecting {len(rows)} subject(s)…",
            rows,
            lambda targets: ws.eject_many(targets, reason=reason),
            "Ejected",
        )

    def reenroll_dialog(self) -> QDialog | None:
        rows = [r for r in self.selected_rows() if not r.on_curriculum]
        if not rows or not self._one_curriculum(rows, "Re-enroll"):
            return None
        dialog = dialogs.reenroll_dialog(rows, self.ws.curriculum(rows[0].curriculum_version_id), self)
        return self._open(
            dialog,
            lambda: self.reenroll(
                rows, dialog.stage.currentData() if dialog.stage else None, dialog.reason_text()
            ),
        )

    def reenroll(self, rows: Sequence[SubjectRow], start_stage: str | None, reason: str) -> None:
        ws = self.ws
        self._change_batch(
            f"Re-enrolling {len(rows)} subject(s)…",
            rows,
            lambda targets: ws.reenroll_many(targets, start_stage=start_stage, reason=reason),
            "Re-enrolled",
        )

    def revert_dialog(self) -> QDialog | None:
        rows = self.selected_rows()
        if not rows:
            return None
        dialog = dialogs.revert_dialog(rows, self)
        return self._open(dialog, lambda: self.revert(rows, dialog.reason_text()))

    def revert(self, rows: Sequence[SubjectRow], reason: str | None) -> None:
        ws = self.ws
        self._change_batch(
            f"Reverting {len(rows)} subject(s)…",
            rows,
            lambda targets: ws.revert_many(targets, reason=reason or None),
            "Reverted the last change of",
        )

    # --- undo of a whole batch ---------------------------------------------------------------------

    def undo_last_apply(self) -> None:
        """Undo the last batch made here (an apply, or a change of the selected subjects) as one step:
        every subject of it, or (if another rig changed one since) none, with a message naming them."""
        if self.last_batch_id is not None:
            self.undo_batch(self.last_batch_id, None)

    def undo_batch_dialog(self, batch: str, label: str) -> QDialog | None:
        """Undo any batch (from an event's context menu in a timeline: its label says "applied …",
        "moved to another version …" or the kind of change), after a confirmation."""
        try:
            subjects = self.ws.batch_subjects(batch)
        except StoreError as exc:
            self.handle_error(exc)
            return None
        moved = label.startswith("moved")
        kind = "migrated" if moved else label.split(" ", 1)[0]
        dialog = dialogs.undo_batch_dialog(subjects, label, self, moved=moved)
        return self._open(dialog, lambda: self.undo_batch(batch, dialog.reason_text(), kind))

    def undo_batch(self, batch: str, reason: str | None, kind: str | None = None) -> None:
        """Undo stays offered until the batch is undone, or cannot be (a subject of it changed since, or
        the batch is gone): a locked or unreachable database only means "try again". ``kind``: what the
        batch was (default: the last one made here, or "batch"), said so in the messages."""
        ws = self.ws
        if kind is None:
            kind = self.last_batch_kind if batch == self.last_batch_id else "batch"
        defaults = {"applied": "undo of an applied batch", "migrated": "undo of a move to another version"}
        default = defaults.get(kind, f"undo of a batch ({kind})")
        label = {"applied": "Undoing the apply…", "migrated": "Undoing the move…"}.get(
            kind, "Undoing the batch…"
        )

        def failed(exc: Exception) -> None:
            if isinstance(exc, (ConflictError, NotFound)):
                self._forget_batch(batch)

        self._run(
            label,
            lambda _progress: ws.revert_batch(batch, reason=reason or default),
            lambda result: self._batch_reverted(batch, kind, result),
            failed,
            reload=True,
        )

    def _forget_batch(self, batch: str) -> None:
        if batch == self.last_batch_id:
            self.remember_batch(None, [], "")

    def _batch_reverted(self, batch: str, kind: str, result: RevertResult) -> None:
        self._forget_batch(batch)
        shown = named(list(result.reverted))
        if kind == "migrated":
            text = f"Undid the move: {len(result.reverted)} subject(s) back on their versions ({shown})."
        else:
            what = f"the {UNDO_NAMES.get(kind, 'batch')}"
            sessions = "; their sessions wait for the trainer again" if kind == "applied" else ""
            text = (
                f"Undid {what}: {len(result.reverted)} subject(s) back where they were ({shown}){sessions}."
            )
        self.show_message("ok", text)

    # provided by the view
    selected_rows: Callable[[], list[SubjectRow]]
    _open: Callable[[QDialog, Callable[[], None]], QDialog]
    _run: Callable[..., bool]
    refresh: Callable[[], None]
    show_message: Callable[..., None]
    handle_error: Callable[[BaseException], None]
    _update_actions: Callable[[], None]
    review: Any
    model: Any
    undo_apply_action: Any
