"""Curriculum → Published Versions…: every version in the subjects database, what it is used for, and what
can be done with one: open it (read-only, or as a new draft), compare it (with another version or with the
open document), or move everyone on it to another version.

The table sorts by any column (versions by number, dates and counts as such) and filters as you type.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...store.versions import VersionSummary
from .actions import OPEN_DOCUMENT
from .common import GREY, Row, find_row, rows_table, version_key

HEADERS = ("Name", "Version", "Published by", "Published", "Digest", "Subjects now", "Ever")


def version_rows(summaries: Sequence[VersionSummary]) -> list[Row]:
    rows = []
    for s in summaries:
        r = s.record
        rows.append(
            Row(
                r.id,
                [
                    r.name,
                    r.version,
                    r.published_by,
                    f"{r.published_at.astimezone():%Y-%m-%d %H:%M}",
                    r.digest[:12],
                    str(s.subjects_now),
                    str(s.subjects_ever),
                ],
                sort=[
                    (r.name.lower(), version_key(r.version), r.id),
                    (version_key(r.version), r.name.lower()),
                    r.published_by.lower(),
                    r.published_at,
                    r.digest,
                    s.subjects_now,
                    s.subjects_ever,
                ],
                tips={4: f"sha256 {r.digest}", 0: f"{r.label} (#{r.id})"},
                colour=None if s.subjects_now else GREY,
            )
        )
    return rows


class VersionsDialog(QDialog):
    """Signals carry version ids: ``open_requested(id, read_only)``, ``compare_requested(old, new)``
    (``new`` may be :data:`OPEN_DOCUMENT`), ``move_requested(id)`` (everyone on it)."""

    open_requested = Signal(int, bool)
    compare_requested = Signal(int, int)
    move_requested = Signal(int)

    def __init__(
        self, summaries: Sequence[VersionSummary], document_label: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Published versions")
        self.summaries = {s.record.id: s for s in summaries}
        self.table, self.model, self.proxy = rows_table(HEADERS, (280, 80, 110, 130, 110, 100, 60))
        self.model.set_rows(version_rows(summaries))
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.selectionModel().selectionChanged.connect(self._update)
        self.table.doubleClicked.connect(lambda _index: self.open_selected(True))
        enter = QAction("Open read-only", self.table)
        enter.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        enter.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        enter.triggered.connect(lambda _checked=False: self.open_selected(True))
        self.table.addAction(enter)

        self.filter, top = find_row(self, "name, version, who…", "&Filter:")
        self.filter.textChanged.connect(self._filter)
        self.count = QLabel()
        top.addWidget(self.count)

        self.compare_with = QComboBox()
        self.compare_with.addItem(f"the open document ({document_label})", OPEN_DOCUMENT)
        for s in sorted(summaries, key=lambda s: (s.record.name.lower(), version_key(s.record.version))):
            self.compare_with.addItem(s.record.label, s.record.id)
        self.compare_with.setToolTip("Or select two versions in the table and press Compare")
        with_label = QLabel("&with:")
        with_label.setBuddy(self.compare_with)
        self.open_button = QPushButton("&Open read-only")
        self.open_button.setToolTip("Look at it in the editor; edits are refused (Enter)")
        self.open_button.clicked.connect(lambda: self.open_selected(True))
        self.draft_button = QPushButton("Open as new &draft")
        self.draft_button.setToolTip("A copy to edit and publish under a new version")
        self.draft_button.clicked.connect(lambda: self.open_selected(False))
        self.compare_button = QPushButton("Co&mpare")
        self.compare_button.clicked.connect(self.compare_selected)
        self.move_button = QPushButton("Mo&ve its subjects…")
        self.move_button.setToolTip("Move everyone on this version to another version")
        self.move_button.clicked.connect(self.move_selected)
        actions = QHBoxLayout()
        for widget in (self.open_button, self.draft_button):
            actions.addWidget(widget)
        actions.addSpacing(16)
        actions.addWidget(self.compare_button)
        actions.addWidget(with_label)
        actions.addWidget(self.compare_with, 1)
        actions.addSpacing(16)
        actions.addWidget(self.move_button)
        self.hint = QLabel()
        self.hint.setStyleSheet("color: #555")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.hint)
        layout.addWidget(buttons)
        self.resize(1000, 520)
        if self.proxy.rowCount():
            self.table.selectRow(self.proxy.rowCount() - 1)
        self._filter()
        self.table.setFocus()

    def set_summaries(self, summaries: Sequence[VersionSummary]) -> None:
        """Read again (a version was published meanwhile); the selection is kept."""
        selected = self.selected_ids()
        self.summaries = {s.record.id: s for s in summaries}
        self.model.set_rows(version_rows(summaries))
        known = {self.compare_with.itemData(i) for i in range(self.compare_with.count())}
        for s in summaries:
            if s.record.id not in known:
                self.compare_with.addItem(s.record.label, s.record.id)
        self._filter()
        self.select_ids(selected)

    def _filter(self) -> None:
        self.proxy.set_filter(self.filter.text())
        self.count.setText(f"{self.proxy.rowCount()} of {self.model.rowCount()} versions")
        self._update()

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.proxy.key(r) for r in rows]

    def select_ids(self, ids: Sequence[int]) -> None:
        selection = QItemSelection()
        for row in range(self.proxy.rowCount()):
            if self.proxy.key(row) in ids:
                selection.select(self.proxy.index(row, 0), self.proxy.index(row, 0))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().select(selection, flags)

    def _update(self, *_: Any) -> None:
        ids = self.selected_ids()
        one = len(ids) == 1
        self.open_button.setEnabled(one)
        self.draft_button.setEnabled(one)
        self.compare_button.setEnabled(one or len(ids) == 2)
        self.compare_with.setEnabled(one)
        self.move_button.setEnabled(one and self.summaries[ids[0]].subjects_now > 0)
        if len(ids) == 2:
            self.hint.setText("Compare: the two selected versions, the older first.")
        elif one and self.summaries[ids[0]].subjects_now == 0:
            self.hint.setText("No subject is on this version now.")
        elif not ids:
            self.hint.setText("Select a version (two to compare them with each other).")
        else:
            self.hint.setText("")

    def open_selected(self, read_only: bool) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            self.open_requested.emit(ids[0], read_only)

    def compare_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 2:
            self.compare_requested.emit(min(ids), max(ids))  # ids grow with publishing: the older first
        elif len(ids) == 1:
            other = self.compare_with.currentData()
            if other == ids[0]:
                self.hint.setText("That is the same version: choose another one to compare with.")
                return
            old, new = (ids[0], other) if other == OPEN_DOCUMENT or other > ids[0] else (other, ids[0])
            self.compare_requested.emit(old, new)

    def move_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 1 and self.summaries[ids[0]].subjects_now:
            self.move_requested.emit(ids[0])
