"""Curriculum → Publish…: the open document to the subjects database, with the same checks as
``curriculum-gui publish`` (:meth:`Workspace.publish_preview`).

Refused, with the validation errors listed (double-click one to go to it), while there are any. Otherwise
it shows what changed since the latest published version of the same name, with the size of each change,
and the version: the suggested one (patch, minor or major from the kind of change), editable and checked
as it is typed: not a semantic version, already published with this content ("nothing to do"), or taken
by other content (refused, with the next free version suggested).
"""

from __future__ import annotations

import html
from typing import Any

import semver
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.diff import Bump, CurriculumDiff
from ...core.errors import CurriculumGuiError
from ...core.model import Curriculum
from ...core.problems import Problem
from ...store.records import CurriculumVersion
from .common import SignedBy

BUMP_COLOURS = {
    Bump.MAJOR: QColor("#c62828"),
    Bump.MINOR: QColor("#1565c0"),
    Bump.PATCH: QColor("#2e7d32"),
    Bump.NONE: QColor("#616161"),
}
REFUSED, WARNING, READY = "#c62828", "#8a5a00", "#1b5e20"
REF_ROLE = Qt.ItemDataRole.UserRole + 1


def already_published_text(version: CurriculumVersion) -> str:
    """What ``curriculum-gui publish`` says about the same content published before."""
    return (
        f"{version.label} is already published with this content (#{version.id}, by {version.published_by} "
        f"on {version.published_at:%Y-%m-%d}): nothing to do"
    )


def change_tree(diff: CurriculumDiff | None, tree: QTreeWidget) -> None:
    """The changes of ``diff`` as rows ``text | size`` (the size coloured)."""
    tree.clear()
    for change in diff.changes if diff is not None else ():
        item = QTreeWidgetItem([change.describe(), change.bump.label])
        item.setToolTip(0, change.describe())
        item.setForeground(1, QBrush(BUMP_COLOURS[change.bump]))
        tree.addTopLevelItem(item)


class PublishDialog(QDialog):
    """``ws``: the app's subjects database; ``curriculum``: a copy of the open document. ``published``
    is emitted with the new (or existing) :class:`CurriculumVersion`; ``replay_requested`` with the
    curriculum as it would be published; ``select_requested`` with the ItemRef of an error."""

    published = Signal(object)
    replay_requested = Signal(object)
    select_requested = Signal(object)

    def __init__(
        self, ws: Any, curriculum: Curriculum, parent: QWidget | None = None, operators: Any = None
    ) -> None:
        super().__init__(parent)
        self.ws = ws
        self.curriculum = curriculum
        self.preview: Any = None  # the PublishPreview of the version typed
        self.result_version: CurriculumVersion | None = None
        self.setWindowTitle(f"Publish {curriculum.name}")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.check)

        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.errors_label = QLabel()
        self.errors_label.setWordWrap(True)
        self.errors_label.setStyleSheet(f"color: {REFUSED}")
        self.errors = QListWidget()
        self.errors.itemActivated.connect(self._go_to_error)
        self.changes_label = QLabel()
        self.changes_label.setWordWrap(True)
        self.changes = QTreeWidget()
        self.changes.setHeaderLabels(["Change", "Size"])
        self.changes.setRootIsDecorated(False)
        self.changes.setAlternatingRowColors(True)
        self.changes.setColumnWidth(0, 800)
        self.version = QLineEdit()
        self.version.setPlaceholderText("MAJOR.MINOR.PATCH, e.g. 1.1.0")
        self.version.setClearButtonEnabled(True)
        self.version.textChanged.connect(lambda _text: self._timer.start())
        version_label = QLabel("&Version:")
        version_label.setBuddy(self.version)
        self.suggestion = QLabel()
        self.use_suggested = QPushButton("&Use suggested")
        self.use_suggested.setToolTip("Put the suggested version in the field")
        self.use_suggested.clicked.connect(lambda: self.version.setText(self._suggested()))
        self.use_suggested.setAutoDefault(False)  # Enter publishes
        row = QHBoxLayout()
        row.addWidget(version_label)
        row.addWidget(self.version, 1)
        row.addWidget(self.use_suggested)
        self.signed = SignedBy(ws, operators)
        self.signed.changed.connect(self.check)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.buttons = QDialogButtonBox()
        self.publish_button = self.buttons.addButton("&Publish", QDialogButtonBox.ButtonRole.AcceptRole)
        self.publish_button.setDefault(True)
        self.replay_button = self.buttons.addButton(
            "&Replay on subjects…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.replay_button.setToolTip(
            "Before publishing: run this curriculum over the recorded sessions of the subjects of this "
            "name and see who would move differently"
        )
        self.replay_button.clicked.connect(self._replay)
        self.replay_button.setAutoDefault(False)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.errors_label)
        layout.addWidget(self.errors, 1)
        layout.addWidget(self.changes_label)
        layout.addWidget(self.changes, 3)
        layout.addLayout(row)
        layout.addWidget(self.suggestion)
        layout.addWidget(self.signed)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(960, 580)
        self._first_look()

    # --- what publishing would do ---------------------------------------------------------------

    def _first_look(self) -> None:
        c = self.curriculum
        self.heading.setText(
            f"Publish <b>{html.escape(c.name)}</b> to {html.escape(self.ws.where)}: a published version "
            "never changes, and subjects can be registered on it or moved to it."
        )
        try:
            preview = self.ws.publish_preview(c)
        except CurriculumGuiError as exc:
            self._show_status(f"Cannot read the published versions: {exc}", REFUSED)
            self.publish_button.setEnabled(False)
            return
        self._show_errors(list(preview.errors))
        diff, previous = preview.diff, preview.previous
        if previous is None:
            self.changes_label.setText(f"No version of {c.name!r} is published in this database yet.")
            self.changes.hide()
        elif diff is None or diff.equal:
            self.changes_label.setText(
                f"No change since {previous.label} (published by "
                f"{previous.published_by} on {previous.published_at:%Y-%m-%d})."
            )
            self.changes.hide()
        else:
            self.changes_label.setText(
                f"{len(diff.changes)} change(s) since {previous.label} (published by {previous.published_by} "
                f"on {previous.published_at:%Y-%m-%d}): a {diff.bump.label} change."
            )
            change_tree(diff, self.changes)
        self.first_preview = preview
        start = c.version
        if previous is not None and not (preview.existing is not None and preview.same):
            own_free = preview.existing is None and c.version != previous.version
            start = c.version if own_free else preview.suggested
        self.suggestion.setText(self._suggestion_text())
        self.version.setText(start)
        self.check()
        self.version.setFocus()
        self.version.selectAll()

    def _suggested(self) -> str:
        return (
            self.first_preview.suggested if getattr(self, "first_preview", None) else self.curriculum.version
        )

    def _suggestion_text(self) -> str:
        preview = self.first_preview
        if preview.previous is None:
            return "The first version: the curriculum's own version number is suggested."
        if preview.diff is None or preview.diff.equal:
            return f"Suggested: {preview.suggested} (nothing changed)."
        size, since = preview.diff.bump.label, preview.previous.version
        return f"Suggested: {preview.suggested} (a {size} change since {since})."

    def _show_errors(self, errors: list[Problem]) -> None:
        self.errors.clear()
        for problem in errors:
            item = QListWidgetItem(f"✖ {problem}")
            item.setData(REF_ROLE, problem.ref)
            item.setToolTip("Double-click (or Enter) to go to it in the editor")
            self.errors.addItem(item)
        self.errors_label.setText(
            f"Cannot publish: {len(errors)} validation error(s). Fix them in the editor (double-click one "
            "to go to it), then publish again."
            if errors
            else ""
        )
        self.errors_label.setVisible(bool(errors))
        self.errors.setVisible(bool(errors))

    def _go_to_error(self, item: QListWidgetItem) -> None:
        self.select_requested.emit(item.data(REF_ROLE))
        self.reject()

    def typed(self) -> Curriculum:
        """The curriculum as it would be published (with the version typed)."""
        return self.curriculum.model_copy(update={"version": self.version.text().strip()})

    def problem(self) -> str | None:
        """Why Publish is off now, or None (a warning may still be shown)."""
        return getattr(self, "_problem", "checking…")

    def check(self) -> None:
        """The version typed, checked as the store will: semantic, free or the same content."""
        self._timer.stop()
        text = self.version.text().strip()
        self.preview = None
        if not text:
            return self._refuse("Type the version to publish (e.g. " + self._suggested() + ").")
        if not semver.Version.is_valid(text):
            return self._refuse(
                f"{text!r} is not a semantic version: write MAJOR.MINOR.PATCH (e.g. {self._suggested()})."
            )
        try:
            preview = self.ws.publish_preview(self.typed())
        except CurriculumGuiError as exc:
            return self._refuse(f"Cannot check: {exc}")
        self.preview = preview
        if preview.errors:
            return self._refuse(
                f"Cannot publish {self.curriculum.name!r} {text}: it has {len(preview.errors)} validation "
                "error(s), listed above."
            )
        if preview.refused:
            return self._refuse(f"Cannot publish {self.curriculum.name!r} {text}: {preview.refused}.")
        if preview.existing is not None:
            return self._refuse(already_published_text(preview.existing) + ".", WARNING)
        signer = self.signed.problem()
        if signer is not None:
            return self._refuse(f"Cannot publish yet: {signer}.")
        warnings = []
        latest = preview.previous
        if latest is not None and _lower(text, latest.version):
            warnings.append(f"lower than the latest published version ({latest.version})")
        if preview.diff is not None and preview.diff.equal:
            warnings.append(f"the same content as {latest.label if latest else 'before'}")
        self._problem = None
        self.publish_button.setEnabled(True)
        label = f"{self.curriculum.name} {text}"
        if warnings:
            self._show_status(f"Publishes {label} — note: {'; '.join(warnings)}.", WARNING)
        else:
            self._show_status(f"Ready to publish {label}.", READY)

    def _refuse(self, text: str, colour: str = REFUSED) -> None:
        self._problem = text
        self.publish_button.setEnabled(False)
        self._show_status(text, colour)

    def _show_status(self, text: str, colour: str) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {colour}")

    def _replay(self) -> None:
        curriculum = self.typed()
        if not semver.Version.is_valid(curriculum.version):
            curriculum = self.curriculum
        self.replay_requested.emit(curriculum)

    # --- publishing -----------------------------------------------------------------------------

    def accept(self) -> None:
        """Publish (Enter in the version field too, once the check has run); the dialog stays open with
        the reason when the store refuses (published meanwhile with other content, database gone)."""
        self.check()
        if self.problem() is not None:
            return
        try:
            version = self.ws.publish(self.typed())
        except CurriculumGuiError as exc:
            self._refuse(str(exc))
            return
        self.result_version = version
        self.published.emit(version)
        super().accept()


def _lower(a: str, b: str) -> bool:
    try:
        return semver.Version.parse(a) < semver.Version.parse(b)
    except ValueError:
        return False
