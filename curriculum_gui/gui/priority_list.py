"""A source's outgoing transitions in priority order (first true wins): reorder by drag or Up/Down.

Shown on a stage's page, a policy's page and a transition's own page (there with that transition
selected), so the order can be changed wherever a person is looking at it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.model import Curriculum, Stage
from ..core.python_source import rule_label

ID_ROLE = Qt.ItemDataRole.UserRole + 1
MIN_ROWS, MAX_ROWS = 2, 6


class _FittingList(QListWidget):
    """As tall as its (wrapped) rows, between MIN_ROWS and MAX_ROWS lines: never squeezed below that by
    the page (which scrolls instead), never taller than a short list needs."""

    def _fitting_height(self) -> int:
        """The rows' height as laid out, or (before the first layout) as estimated from the text."""
        metrics = self.fontMetrics()
        line = metrics.lineSpacing()
        scrollbar = self.style().pixelMetric(self.style().PixelMetric.PM_ScrollBarExtent)
        width = max(self.width() - 2 * self.frameWidth() - scrollbar - 16, 60)
        wrap = Qt.TextFlag.TextWordWrap
        estimated = sum(
            metrics.boundingRect(QRect(0, 0, width, 10_000), wrap, self.item(i).text()).height() + 8
            for i in range(self.count())
        )
        laid_out = sum(self.visualItemRect(self.item(i)).height() for i in range(self.count()))
        rows = max(estimated, laid_out) + 2 * self.spacing() * self.count()
        low, high = MIN_ROWS * (line + 8), MAX_ROWS * (line + 8)
        return min(max(rows, low), high) + 2 * self.frameWidth() + 2

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self._fitting_height())

    def minimumSizeHint(self) -> QSize:
        return QSize(80, self._fitting_height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.updateGeometry()  # rows wrap differently at another width


class PriorityList(QWidget):
    """``reordered(order)``: the ids in their new order; ``activated(id)``: double-click or Enter."""

    reordered = Signal(list)
    activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = _FittingList(self)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self._filling = False
        self.list.model().rowsMoved.connect(self._emit_order)
        # itemActivated: a double-click, and Enter for keyboard users
        self.list.itemActivated.connect(lambda item: self.activated.emit(item.data(ID_ROLE)))
        self.list.setWordWrap(True)  # a whole rule, on as many lines as it needs
        self.list.setAlternatingRowColors(True)
        self.list.setSpacing(1)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.up = QPushButton("Up", self)
        self.up.setToolTip("Raise the priority of the selected transition (Alt+Up in the list)")
        self.down = QPushButton("Down", self)
        self.down.setToolTip("Lower the priority of the selected transition (Alt+Down in the list)")
        for keys, step in (("Alt+Up", -1), ("Alt+Down", 1)):
            shortcut = QShortcut(QKeySequence(keys), self.list, lambda step=step: self.move_selected(step))
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)  # only while the list has focus
        self.up.clicked.connect(lambda: self.move_selected(-1))
        self.down.clicked.connect(lambda: self.move_selected(1))
        buttons = QVBoxLayout()
        buttons.addWidget(self.up)
        buttons.addWidget(self.down)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

    def set_transitions(self, rows: list[tuple[str, ...]], current: str | None = None) -> None:
        """``rows``: (transition id, label[, tooltip]) in priority order; ``current``: the one to select
        (a transition's own page), else the selection is kept."""
        if current is None and self.list.currentItem() is not None:
            current = self.list.currentItem().data(ID_ROLE)
        self._filling = True  # (not blockSignals: the view must still hear of the new rows)
        self.list.clear()
        for index, (transition_id, label, *tip) in enumerate(rows, start=1):
            item = QListWidgetItem(f"({index}) {label}")
            item.setData(ID_ROLE, transition_id)
            item.setToolTip(tip[0] if tip else label)
            self.list.addItem(item)
            if transition_id == current:
                self.list.setCurrentItem(item)
        self._filling = False
        if not rows:
            placeholder = QListWidgetItem("no way out yet: connect this to another node")
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addItem(placeholder)
        self.up.setEnabled(len(rows) > 1)
        self.down.setEnabled(len(rows) > 1)
        self.list.updateGeometry()

    def order(self) -> list[str]:
        ids = [self.list.item(i).data(ID_ROLE) for i in range(self.list.count())]
        return [i for i in ids if i]

    def move_selected(self, step: int) -> None:
        row = self.list.currentRow()
        order = self.order()
        target = row + step
        if row < 0 or not 0 <= target < len(order):
            return
        order[row], order[target] = order[target], order[row]
        self.reordered.emit(order)
        self.list.setCurrentRow(target)

    def _emit_order(self, *_: Any) -> None:
        if not self._filling:
            self.reordered.emit(self.order())


def transition_row(curriculum: Curriculum, stage: Stage | None, transition: Any) -> tuple[str, str, str]:
    """(id, ``→ destination: rule``, tooltip with the rule in full): a Python reference is labelled by
    its function's name, its whole reference in the tooltip."""
    if stage is None:
        target = curriculum.stage(transition.destination)
    else:
        target = stage.policy(transition.destination)
    name = target.name if target else transition.destination
    label = f"→ {name}: {rule_label(transition.rule, one_line=True) or '(no rule)'}"
    return transition.id, label, f"→ {name}: {transition.rule.text or '(no rule)'}"


def transition_rows(curriculum: Curriculum, stage: Stage | None, source: str) -> list[tuple[str, str, str]]:
    """The rows of ``source``'s outgoing transitions (a stage's, or a policy's inside ``stage``)."""
    siblings = (
        stage.outgoing_policy_transitions(source)
        if stage is not None
        else curriculum.outgoing_stage_transitions(source)
    )
    return [transition_row(curriculum, stage, t) for t in siblings]
