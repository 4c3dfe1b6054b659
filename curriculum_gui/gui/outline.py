"""The outline: stages and, under each, its policies; selecting a row selects the item everywhere."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QTreeView, QWidget

from ..core.model import Curriculum
from ..core.problems import ItemRef, Problem, Severity

REF_ROLE = Qt.ItemDataRole.UserRole + 1


class Outline(QTreeView):
    item_activated = Signal(ItemRef)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_ = QStandardItemModel(self)
        self.setModel(self.model_)
        self.setHeaderHidden(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setUniformRowHeights(True)
        self.clicked.connect(self._activated)
        self.activated.connect(self._activated)

    def rebuild(self, curriculum: Curriculum, problems: list[Problem]) -> None:
        flagged = {(p.ref.kind, p.ref.id) for p in problems if p.severity is Severity.ERROR}
        expanded = {
            self.model_.item(r).data(REF_ROLE).id
            for r in range(self.model_.rowCount())
            if self.isExpanded(self.model_.index(r, 0))
        }
        current: ItemRef | None = self.currentIndex().data(REF_ROLE)
        self.model_.clear()
        for stage in curriculum.stages:
            marks = []
            if curriculum.start_stage == stage.id:
                marks.append("▶ start")
            if stage.terminal:
                marks.append("■ terminal")
            text = stage.name + (f"   ({', '.join(marks)})" if marks else "")
            row = QStandardItem(("✖ " if ("stage", stage.id) in flagged else "") + text)
            row.setData(ItemRef("stage", stage.id), REF_ROLE)
            row.setToolTip(f"{stage.name} — task {stage.task.name or '(none)'}")
            for policy in stage.policies:
                start = " (start)" if policy.id in stage.start_policies else ""
                child = QStandardItem(
                    ("✖ " if ("policy", policy.id) in flagged else "") + policy.name + start
                )
                child.setData(ItemRef("policy", policy.id, stage.id), REF_ROLE)
                row.appendRow(child)
            self.model_.appendRow(row)
            if stage.id in expanded:
                self.setExpanded(row.index(), True)
        if current is not None:
            self._restore_current(current)

    def _restore_current(self, ref: ItemRef) -> None:
        """Put the keyboard position (and selection) back on the same item after a rebuild, if it is still
        there; selecting it this way does not re-activate it."""
        # (QAbstractItemModel.match compares Python objects by identity, not ==: look through the two levels)
        for r in range(self.model_.rowCount()):
            stage = self.model_.item(r)
            for item in (stage, *(stage.child(c) for c in range(stage.rowCount()))):
                if item.data(REF_ROLE) == ref:
                    self.setCurrentIndex(item.index())
                    return

    def _activated(self, index: QModelIndex) -> None:
        ref = index.data(REF_ROLE)
        if ref is not None:
            self.item_activated.emit(ref)
