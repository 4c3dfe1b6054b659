"""The cohort at a glance: mice × sessions, each cell filled with the stage the mouse was on after that
session; a thick outline in another colour marks where a person chose otherwise than the trainer (the
outline is the stage the trainer had it on), so overrides stand out; a dark bar on a cell's right edge
marks an eject after that session (an eject is not a session: it has no cell of its own). Clicking a
cell opens that subject at that session.

A table model with a painting delegate: Qt only asks for the visible cells, so a large cohort scrolls.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QRect, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...store import Workspace
from ...store.context import collector_paused
from ...store.records import APPLIED, EJECT, OVERRIDE, REVERT, PositionEvent
from .table_model import tooltip

PALETTE = (
    "#a6cee3",
    "#1f78b4",
    "#b2df8a",
    "#33a02c",
    "#fdbf6f",
    "#ff7f00",
    "#cab2d6",
    "#6a3d9a",
    "#fb9a99",
    "#e31a1c",
    "#ffff99",
    "#b15928",
)  # fmt: skip  (ColorBrewer "Paired": neighbouring stages stay distinct)
OFF_COLOUR = QColor("#e0e0e0")
EJECT_COLOUR = QColor("#424242")
CELL_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True, slots=True)
class Cell:
    stage: str | None  # None: off curriculum
    suggested: str | None  # the trainer's stage where a person chose otherwise
    ejected: bool = False  # taken off the curriculum after this session


@functools.cache
def _plain_cell(stage: str | None) -> Cell:
    """The cell of a session in ``stage`` that nobody changed: one shared object per stage (cells are
    frozen), since a page of 100 mice x 500 sessions made 50,000 of them."""
    return Cell(stage, None)


def cells_of(steps: Sequence[PositionEvent]) -> list[Cell]:
    """One cell per evaluated session, from the subject's position changes (oldest first). An eject marks
    the session it came after (it is no session itself). A revert takes back what the change it undid did
    to the cells: an apply's sessions (pending again), an eject's mark, an override's outline."""
    cells: list[Cell] = []
    before: dict[int, tuple[int, Cell | None]] = {}  # event id -> (cells before it, the last cell then)
    # A revert -> (the change it took back, its cells before, the cells it removed, the last cell then).
    undone: dict[int, tuple[int, tuple[int, Cell | None], list[Cell], Cell | None]] = {}
    put_back: dict[int, int] = {}  # the undo of a revert -> the change it put back
    for step in steps:
        last = cells[-1] if cells else None
        reverts = put_back.get(step.reverts, step.reverts) if step.reverts is not None else None
        if step.kind == REVERT and step.reverts in undone:
            # The undo of a revert (a batch of reverts undone): the change it took back is back.
            change, was, removed, last_then = undone.pop(step.reverts)
            del cells[was[0] :]
            cells.extend(removed)
            if last_then is not None and cells:
                cells[-1] = last_then
            before[change] = was
            put_back[step.event_id] = change
        elif step.kind == REVERT and reverts in before:
            count, then = before.pop(reverts)
            undone[step.event_id] = (reverts, (count, then), cells[count:], last)
            del cells[count:]
            if then is not None and cells and len(cells) == count:
                cells[-1] = then  # an override's outline goes with it
        elif step.kind == APPLIED:
            before[step.event_id] = (len(cells), last)
            stages = step.session_stages or (step.stage,) * max(step.count, 1)
            cells.extend(_plain_cell(stage) for stage in stages)
        elif step.kind == EJECT:
            before[step.event_id] = (len(cells), last)
            if cells:  # before any session there is no cell to mark: the row's name says "off"
                cells[-1] = replace(cells[-1], ejected=True)
        elif step.kind == OVERRIDE and cells:
            before[step.event_id] = (len(cells), last)
            # Every override is outlined, also one that kept the stage (other parameters or policies).
            cells[-1] = Cell(step.stage, cells[-1].stage or step.before_stage, cells[-1].ejected)
        elif step.kind == REVERT and cells and step.on_curriculum:
            cells[-1] = Cell(step.stage, None, cells[-1].ejected)
    return cells


def page_cells(ws: Workspace, page: list[str]) -> list[list[Cell]]:
    """The cells of these mice, from their position changes: what the grid reads for a page of it."""
    steps = ws.position_events(page)
    with collector_paused():  # a page is 50,000 cells (see store.context.without_collector)
        return [cells_of(steps.get(s, [])) for s in page]


def swatch(colour: QColor) -> str:
    return f"<span style='background:{colour.name()}'>&nbsp;&nbsp;&nbsp;&nbsp;</span>"


PAGE = 100
"""Subjects whose history is read at a time: the first page when the grid opens, the next ones as it is
scrolled to the end (a lab's archive of 10,000 mice x 500 sessions is never read whole)."""

Loader = Callable[[list[str]], list[list[Cell]]]


class CohortModel(QAbstractTableModel):
    """Rows of cells, read :data:`PAGE` subjects at a time through ``loader`` (``canFetchMore``)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.subjects: list[str] = []  # the rows read so far
        self.rows: list[list[Cell]] = []
        self.columns = 0
        self.colours: dict[str, QColor] = {}
        self.pending: list[str] = []  # subjects not read yet
        self.loader: Loader | None = None
        self.failed: Callable[[Exception], None] | None = None
        self.off: set[str] = set()

    def set_cohort(
        self, subjects: list[str], rows: list[list[Cell]], stages: Sequence[str], off: Sequence[str] = ()
    ) -> None:
        self.beginResetModel()
        self.subjects, self.rows, self.off = list(subjects), rows, set(off)
        self.pending, self.loader = [], None
        self.columns = max((len(r) for r in rows), default=0)
        self.colours = {name: QColor(PALETTE[i % len(PALETTE)]) for i, name in enumerate(stages)}
        self.endResetModel()

    def set_source(
        self, subjects: list[str], loader: Loader, stages: Sequence[str], off: Sequence[str] = ()
    ) -> None:
        """Every subject of ``subjects``, read a page at a time by ``loader`` (the first page now)."""
        self.set_cohort([], [], stages, off)
        self.pending, self.loader = list(subjects), loader
        self.fetchMore(QModelIndex())

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return not parent.isValid() and bool(self.pending) and self.loader is not None

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        if not self.canFetchMore(parent):
            return
        assert self.loader is not None
        page = self.pending[:PAGE]
        try:
            rows = self.loader(page)
        except Exception as exc:  # the database went away: no more rows, and the view says why
            self.pending = []
            if self.failed is not None:
                self.failed(exc)
            return
        del self.pending[:PAGE]
        columns = max((len(r) for r in rows), default=0)
        if columns > self.columns:
            self.beginInsertColumns(QModelIndex(), self.columns, columns - 1)
            self.columns = columns
            self.endInsertColumns()
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(rows) - 1)
        self.subjects += page
        self.rows += rows
        self.endInsertRows()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.columns

    def cell(self, row: int, column: int) -> Cell | None:
        cells = self.rows[row]
        return cells[column] if column < len(cells) else None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        cell = self.cell(index.row(), index.column())
        if cell is None:
            return None
        if role == CELL_ROLE:
            return cell
        if role == Qt.ItemDataRole.ToolTipRole:
            where = cell.stage or "off curriculum"
            text = f"{self.subjects[index.row()]}, session {index.column() + 1}: {where}"
            if cell.suggested:
                text += f"\nthe trainer had it on {cell.suggested}; a person chose otherwise"
            if cell.ejected:
                text += "\nejected (taken off the curriculum) after this session"
            return tooltip(text)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.ToolTipRole:
            off = self.subjects[section] in self.off
            return f"{self.subjects[section]}: off curriculum (ejected)" if off else None
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Vertical:
            name = self.subjects[section]
            return f"{name} ⏏" if name in self.off else name
        return str(section + 1) if (section + 1) % 5 == 0 or section == 0 else ""


class CellDelegate(QStyledItemDelegate):
    def __init__(self, model: CohortModel, parent=None) -> None:
        super().__init__(parent)
        self.model = model

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        cell = self.model.cell(index.row(), index.column())
        if cell is None:
            return
        rect: QRect = option.rect.adjusted(1, 1, -1, -1)
        fill = self.model.colours.get(cell.stage or "", OFF_COLOUR) if cell.stage else OFF_COLOUR
        painter.fillRect(rect, fill)
        if cell.suggested:
            pen = QPen(self.model.colours.get(cell.suggested, QColor("#000")).darker(130), 4)
            pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
            painter.setPen(pen)
            painter.drawRect(rect.adjusted(2, 2, -2, -2))
            painter.setPen(QPen(QColor("#000000"), 1))
            painter.drawRect(rect.adjusted(0, 0, -1, -1))
        if cell.ejected:  # off the curriculum after this session: a dark bar on its right edge
            painter.fillRect(QRect(rect.right() - 4, rect.top() - 1, 6, rect.height() + 2), EJECT_COLOUR)
        if option.state & option.state.State_Selected:
            painter.setPen(QPen(QColor("#000"), 1, Qt.PenStyle.DotLine))
            painter.drawRect(rect.adjusted(0, 0, -1, -1))


class CohortView(QWidget):
    """The grid and its legend. ``cell_clicked(subject, session)``: session counts from 1."""

    cell_clicked = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = CohortModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegate(CellDelegate(self.model, self.table))
        self.table.setShowGrid(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for header, size in ((self.table.horizontalHeader(), 22), (self.table.verticalHeader(), 22)):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
            header.setDefaultSectionSize(size)
            header.setMinimumSectionSize(size)
        self.table.clicked.connect(self._clicked)
        self.model.rowsInserted.connect(self._update_note)
        self.legend = QHBoxLayout()
        self.legend.setSpacing(10)
        self.note = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self.legend)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)

    def set_cohort(
        self, subjects: list[str], rows: list[list[Cell]], stages: Sequence[str], off: Sequence[str] = ()
    ) -> None:
        """``off``: the subjects off the curriculum now (their names are marked ⏏)."""
        self.model.set_cohort(subjects, rows, stages, off)
        self._legend(stages)
        self._update_note()

    def set_source(
        self, subjects: list[str], loader: Loader, stages: Sequence[str], off: Sequence[str] = ()
    ) -> None:
        """All of ``subjects``, read :data:`PAGE` at a time as the grid is scrolled."""
        self.model.set_source(subjects, loader, stages, off)
        self._legend(stages)
        self._update_note()

    def _legend(self, stages: Sequence[str]) -> None:
        while self.legend.count():
            item = self.legend.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for name in stages:
            chip = QLabel(f"{swatch(self.model.colours[name])} {html.escape(name)}")
            self.legend.addWidget(chip)
        self.legend.addWidget(
            QLabel(
                f"<span style='background:{OFF_COLOUR.name()}'>&nbsp;&nbsp;</span>"
                f"<span style='background:{EJECT_COLOUR.name()}'>&nbsp;</span> ejected after the session "
                "(⏏ beside a name: off curriculum now)"
            )
        )
        self.legend.addStretch(1)

    def _update_note(self, *_: object) -> None:
        model = self.model
        overrides = sum(1 for r in model.rows for c in r if c.suggested)
        shown = len(model.subjects)
        total = shown + len(model.pending)
        mice = (
            f"{total} mice"
            if not model.pending
            else f"{total} mice ({shown} read so far; more as you scroll)"
        )
        self.note.setText(
            f"{mice} × up to {model.columns} evaluated sessions. "
            "Fill: stage after the session. "
            f"<b>Outlined</b> ({overrides}): a person chose otherwise; the outline is the stage the "
            "trainer had. "
            "Click a cell to open that subject at that session."
        )

    def _clicked(self, index: QModelIndex) -> None:
        if self.model.cell(index.row(), index.column()) is not None:
            self.cell_clicked.emit(self.model.subjects[index.row()], index.column() + 1)
