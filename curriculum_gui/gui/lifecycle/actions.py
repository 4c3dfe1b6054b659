"""The editor's side of a curriculum's life: Curriculum → Publish…, Published Versions…, Compare with Latest
Published, Replay on Subjects…, and the moves of subjects they lead to (carried out by the Subjects view,
which shows the result and offers Undo).

All of it works on the app's subjects database (``MainWindow.ensure_workspace``); if that cannot be opened,
the Subjects tab says why and offers another one. Dialogs open with ``open()`` (no nested event loop):
``dialog`` is the one open, ``windows`` the comparison and replay windows, ``message`` the last question.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from ...core import edits
from ...core.errors import CurriculumGuiError
from ...core.model import Curriculum
from ...store.records import CurriculumVersion
from ..document import Document

if TYPE_CHECKING:  # the dialogs load when first used (pyqtgraph, the subjects screen)
    from ..main_window import MainWindow
    from .diff_window import DiffWindow
    from .publish_dialog import PublishDialog
    from .replay_window import ReplayWindow
    from .versions_dialog import VersionsDialog

OPEN_DOCUMENT = -1  # the versions dialog's "compare with the open document"


class Lifecycle(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.dialog: QDialog | None = None
        self.versions_dialog: VersionsDialog | None = None
        self.windows: list[QWidget] = []
        self.message: QMessageBox | None = None
        self.publish_action = self._action(
            "&Publish…",
            self.publish_dialog,
            "Publish this curriculum to the subjects database",
            "Ctrl+Shift+P",
        )
        self.versions_action = self._action(
            "Published &Versions…",
            self.show_versions,
            "Every published version: open, compare, move subjects",
        )
        self.compare_action = self._action(
            "&Compare with Latest Published",
            self.compare_with_latest,
            "What changed since the latest published version of this curriculum, on the graph",
        )
        self.replay_action = self._action(
            "&Replay on Subjects…",
            lambda: self.replay(),
            "What if this curriculum had been used: replay it over the subjects' recorded sessions",
        )

    def _action(self, text: str, slot: Any, tip: str, shortcut: str | None = None) -> QAction:
        action = QAction(text, self.window)
        action.setStatusTip(tip)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            tip += f" ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    @property
    def actions(self) -> list[QAction | None]:
        """For the Curriculum menu (None: a separator)."""
        return [self.publish_action, self.versions_action, self.compare_action, None, self.replay_action]

    # --- the database -------------------------------------------------------------------------

    def workspace(self) -> Any:
        """The app's subjects database, or None (the Subjects tab then says why and offers another)."""
        w = self.window
        if w.ensure_workspace():
            return w.workspace
        w.modes.setCurrentWidget(w.subjects_placeholder)
        w.statusBar().showMessage("The subjects database could not be opened: see the Subjects tab", 10000)
        return None

    def _open(self, dialog: QDialog) -> QDialog:
        self.dialog = dialog
        dialog.finished.connect(
            lambda _result: setattr(self, "dialog", None) if self.dialog is dialog else None
        )
        dialog.open()
        return dialog

    def _say(self, title: str, text: str) -> None:
        QMessageBox.warning(self.window, title, text)

    # --- publish ------------------------------------------------------------------------------

    def publish_dialog(self) -> PublishDialog | None:
        w = self.window
        w.commit_pending()  # the field being typed in counts
        ws = self.workspace()
        if ws is None:
            return None
        from .publish_dialog import PublishDialog

        operators = w.rig_tab.operators
        dialog = PublishDialog(ws, w.document.curriculum.model_copy(deep=True), w, operators)
        dialog.published.connect(self._published)
        dialog.replay_requested.connect(lambda c: self.replay(c, "as it would be published", dialog))
        dialog.select_requested.connect(w.select_item)
        self._open(dialog)
        return dialog

    def _published(self, version: CurriculumVersion) -> None:
        w = self.window
        document = w.document
        if document.curriculum.version != version.version and not document.read_only:
            step = edits.set_info(document.curriculum, version=version.version)
            step.text = f"Set the version to {version.version} (published)"
            document.apply(step)
        w.statusBar().showMessage(f"Published {version.label} (#{version.id})", 10000)
        if w.subjects_view is not None:
            w.subjects_view.refresh()
        if self.versions_dialog is not None:
            try:
                self.versions_dialog.set_summaries(w.workspace.version_summaries())
            except CurriculumGuiError:
                self.versions_dialog.close()  # it would show the database as it was
        self.offer_move(version)

    def offer_move(self, version: CurriculumVersion) -> QMessageBox | None:
        """Subjects on older versions of this curriculum: ask whether to move them to ``version``."""
        ws = self.window.workspace
        try:
            older = {
                s.record.id: s
                for s in ws.version_summaries()
                if s.record.name == version.name and s.record.id != version.id and s.subjects_now
            }
            subjects = [r.subject for r in ws.subjects() if r.curriculum_version_id in older]
        except CurriculumGuiError as exc:
            self.window.statusBar().showMessage(f"Cannot read the subjects: {exc}", 10000)
            return None
        if not subjects:
            return None
        on = ", ".join(f"{s.record.version}: {s.subjects_now}" for s in older.values())
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Move subjects to the new version?",
            f"{len(subjects)} subject(s) are on older versions of {version.name} ({on}).\n\nMove them to "
            f"{version.version} now? You will see where each one lands, and map what the new version lacks, "
            "before anything changes.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self.window,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        box.accepted.connect(lambda: self.move_subjects(subjects, target=version.id))
        self.message = box
        box.open()
        return box

    # --- versions, comparing ------------------------------------------------------------------

    def show_versions(self) -> VersionsDialog | None:
        """Not modal: comparisons open beside it; opening a version or moving subjects closes it."""
        if self.versions_dialog is not None:
            self.versions_dialog.raise_()
            self.versions_dialog.activateWindow()
            return self.versions_dialog
        ws = self.workspace()
        if ws is None:
            return None
        try:
            summaries = ws.version_summaries()
        except CurriculumGuiError as exc:
            self._say("Published versions", f"Cannot read the published versions: {exc}")
            return None
        from .versions_dialog import VersionsDialog

        c = self.window.document.curriculum
        dialog = VersionsDialog(summaries, f"{c.name} {c.version}", self.window)
        dialog.open_requested.connect(self._open_from_versions)
        dialog.compare_requested.connect(self.compare)
        dialog.move_requested.connect(self._move_from_versions)
        dialog.finished.connect(lambda _r: setattr(self, "versions_dialog", None))
        self.versions_dialog = dialog
        dialog.show()
        return dialog

    def _open_from_versions(self, version_id: int, read_only: bool) -> None:
        if self.open_version(version_id, read_only) and self.versions_dialog is not None:
            self.versions_dialog.accept()

    def _move_from_versions(self, version_id: int) -> None:
        if self.versions_dialog is not None:
            self.versions_dialog.accept()
        self.move_subjects(from_version=version_id)

    def open_version(self, version_id: int, read_only: bool = True) -> bool:
        """A published version in the editor: read-only (edits refused, the title says so), or as a new
        unsaved draft to edit and publish under another version."""
        w = self.window
        ws = self.workspace()
        if ws is None or not w._confirm_discard():
            return False
        try:
            record = ws.version(version_id)
            curriculum = ws.curriculum(version_id).model_copy(deep=True)
        except CurriculumGuiError as exc:
            self._say("Open a published version", str(exc))
            return False
        if read_only:
            reason = (
                f"{record.label} is published and never changes: edits are refused. To change it, open it as "
                "a new draft (Curriculum → Published Versions…)."
            )
            w._attach(Document(curriculum, read_only=reason))
            w.statusBar().showMessage(f"Opened {record.label} read-only", 10000)
        else:
            w._attach(Document(curriculum))
            w.statusBar().showMessage(
                f"Opened {record.label} as a new draft: edit it, then publish it under a new version", 10000
            )
        w.modes.setCurrentWidget(w.tabs)
        return True

    def compare(self, old_id: int, new_id: int) -> DiffWindow | None:
        """Two published versions, or one (``old_id``) with the open document (``new_id`` OPEN_DOCUMENT)."""
        ws = self.workspace()
        if ws is None:
            return None
        try:
            old, old_label = ws.curriculum(old_id), ws.version(old_id).label
            if new_id == OPEN_DOCUMENT:
                new, new_label = self._document_copy()
            else:
                new, new_label = ws.curriculum(new_id), ws.version(new_id).label
        except CurriculumGuiError as exc:
            self._say("Compare", str(exc))
            return None
        return self.show_diff(old, new, old_label, new_label)

    def compare_with_latest(self) -> DiffWindow | None:
        ws = self.workspace()
        if ws is None:
            return None
        name = self.window.document.curriculum.name
        try:
            latest = ws.find_version(name)
        except CurriculumGuiError as exc:
            self._say("Compare with the latest published version", str(exc))
            return None
        new, new_label = self._document_copy()
        return self.show_diff(ws.curriculum(latest.id), new, latest.label, new_label)

    def _document_copy(self) -> tuple[Curriculum, str]:
        self.window.commit_pending()
        c = self.window.document.curriculum.model_copy(deep=True)
        return c, f"the open document ({c.name} {c.version})"

    def show_diff(self, old: Curriculum, new: Curriculum, old_label: str, new_label: str) -> DiffWindow:
        from .diff_window import DiffWindow

        window = DiffWindow(old, new, old_label, new_label, self.window)
        self._keep(window)
        window.show()
        return window

    def _keep(self, window: QWidget) -> None:
        self.windows.append(window)
        window.destroyed.connect(
            lambda _obj=None: self.windows.remove(window) if window in self.windows else None
        )

    # --- replay, moving subjects --------------------------------------------------------------

    def replay(
        self,
        curriculum: Curriculum | None = None,
        what: str = "the open document",
        over: QWidget | None = None,
        synchronous: bool = False,
    ) -> ReplayWindow | None:
        """Replay ``curriculum`` (default: the open document) on the subjects of its name. ``over``: a
        dialog it is opened from (the replay is then modal to it, and closes back to it)."""
        ws = self.workspace()
        if ws is None:
            return None
        from .replay_window import ReplayWindow

        if curriculum is None:
            curriculum, _label = self._document_copy()
        window = ReplayWindow(ws, curriculum, what, parent=over or self.window)
        if over is not None:
            window.open()
        else:
            self._keep(window)
            window.show()
        if synchronous:
            window.run_now()
        else:
            window.run()
        return window

    def move_subjects(
        self,
        subjects: Sequence[str] | None = None,
        from_version: int | None = None,
        target: int | None = None,
    ) -> QDialog | None:
        """The Subjects tab's Move to Version dialog, on these subjects (or everyone on a version)."""
        w = self.window
        if self.workspace() is None:
            return None
        view = w.subjects_view
        w.modes.setCurrentWidget(view)
        dialog = view.move_dialog(subjects, from_version, target)
        if dialog is None and subjects:
            w.statusBar().showMessage(
                f"Cannot move {len(subjects)} subject(s) now: see the Subjects tab", 10000
            )
        return dialog
