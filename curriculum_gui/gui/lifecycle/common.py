"""Pieces the lifecycle dialogs share: a table of precomputed rows that sorts and filters (thousands of
subjects in a migration preview or a replay), a progress row with Cancel, and small text helpers.

Rows are computed once (display text, sort key, tooltip, colour per cell); ``data()`` is a lookup and the
filter tests one lower-case text per row, so a table of 10,000 subjects stays quick.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QWidget,
)

from ...core.errors import CurriculumGuiError
from ..subjects.table_model import tooltip

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2  # the row's key (a subject id, a version id)
GREY = QBrush(QColor("#757575"))
_Index = QModelIndex | QPersistentModelIndex
_FILTER_CHANGE_API = hasattr(QSortFilterProxyModel, "beginFilterChange")


@dataclass
class Row:
    """One table row: ``cells`` as shown, ``sort`` keys (default: the text), per-cell ``tips``, and a
    ``colour`` for the whole row (None: the default)."""

    key: Any
    cells: Sequence[str]
    sort: Sequence[Any] | None = None
    tips: dict[int, str] = field(default_factory=dict)
    colour: QBrush | None = None
    search: str = ""

    def __post_init__(self) -> None:
        self.search = " ".join(self.cells).lower()


class RowsModel(QAbstractTableModel):
    def __init__(self, headers: Sequence[str], parent: Any = None) -> None:
        super().__init__(parent)
        self.headers = list(headers)
        self.rows: list[Row] = []

    def set_rows(self, rows: Sequence[Row]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return row.cells[column]
        if role == SORT_ROLE:
            return row.sort[column] if row.sort is not None else row.cells[column].lower()
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = row.tips.get(column)
            if tip is None and len(row.cells[column]) > 40:
                tip = row.cells[column]
            return tooltip(tip) if tip else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return row.colour
        if role == KEY_ROLE:
            return row.key
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None


class RowsProxy(QSortFilterProxyModel):
    """Sorts by :data:`SORT_ROLE`; keeps rows whose text holds every word typed, and that ``accept``
    (an extra test, e.g. "only subjects that differ")."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.words: list[str] = []
        self.accept: Callable[[Row], bool] | None = None

    def set_filter(self, text: str, accept: Callable[[Row], bool] | None = None) -> None:
        if _FILTER_CHANGE_API:
            self.beginFilterChange()
        self.words = text.lower().split()
        self.accept = accept
        if _FILTER_CHANGE_API:
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, RowsModel)
        row = model.rows[source_row]
        if self.accept is not None and not self.accept(row):
            return False
        return all(word in row.search for word in self.words)

    def lessThan(self, left: _Index, right: _Index) -> bool:
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        try:
            return a < b
        except TypeError:  # None beside a number: the missing ones first
            return (a is not None, str(a)) < (b is not None, str(b))

    def key(self, row: int) -> Any:
        return self.index(row, 0).data(KEY_ROLE)


def rows_table(headers: Sequence[str], widths: Sequence[int] = ()) -> tuple[QTableView, RowsModel, RowsProxy]:
    """A read-only, sortable table of :class:`Row` s with its filter proxy."""
    model = RowsModel(headers)
    proxy = RowsProxy()
    proxy.setSourceModel(model)
    table = QTableView()
    table.setModel(proxy)
    table.setSortingEnabled(True)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(24)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    header.setHighlightSections(False)
    for column, width in enumerate(widths):
        table.setColumnWidth(column, width)
    return table, model, proxy


class ProgressRow(QWidget):
    """``label [=====     ] 12 / 40  Cancel``: shown while a job runs; ``cancelled`` when asked."""

    cancelled = Signal()

    def __init__(self, cancellable: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(320)
        self.cancel_button = QPushButton("&Cancel")
        self.cancel_button.setToolTip("Stop: what is done so far is shown (Esc)")
        self.cancel_button.clicked.connect(self.cancelled)
        self.cancel_button.setVisible(cancellable)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        layout.addStretch(1)
        self.hide()

    def start(self, text: str) -> None:
        self.label.setText(text)
        self.bar.setRange(0, 0)  # busy until the first report
        self.cancel_button.setEnabled(True)
        self.show()

    def report(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        self.bar.setFormat(f"{done} / {total}")

    def stop(self) -> None:
        self.hide()


def find_row(owner: QWidget, placeholder: str, label: str = "&Find:") -> tuple[QLineEdit, QHBoxLayout]:
    """``Find: [........ x]`` for a table, with Ctrl+F on ``owner`` to reach it; the row to add more to."""
    field = QLineEdit()
    field.setPlaceholderText(f"{placeholder} (Ctrl+F)")
    field.setClearButtonEnabled(True)
    caption = QLabel(label)
    caption.setBuddy(field)
    find = QAction(owner)
    find.setShortcut(QKeySequence.StandardKey.Find)
    find.triggered.connect(lambda: field.setFocus())
    owner.addAction(find)
    row = QHBoxLayout()
    row.addWidget(caption)
    row.addWidget(field, 1)
    return field, row


class SignedBy(QWidget):
    """``Signed by: alice  [Operator…]``: who a change will be signed with (the operator chosen on this
    computer); with nobody chosen, :meth:`problem` says so and Operator… lets one be chosen here.
    ``changed`` after a choice."""

    changed = Signal()

    def __init__(self, ws: Any, operators: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.operators = operators
        self.label = QLabel()
        self.button = QPushButton("&Operator…")
        self.button.setToolTip("Choose who you are: every change is signed")
        self.button.setAutoDefault(False)
        self.button.clicked.connect(self.choose)
        self.button.setVisible(operators is not None)
        self.dialog: Any = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.button)
        layout.addStretch(1)
        if operators is not None:
            operators.changed.connect(self._chosen)
        self.refresh()

    def problem(self) -> str | None:
        try:
            self.ws.who()
        except CurriculumGuiError as exc:
            return str(exc)
        return None

    def refresh(self) -> None:
        problem = self.problem()
        self.label.setText(
            f"Signed by: {self.ws.who()}" if problem is None else "Signed by: nobody chosen yet"
        )
        self.label.setStyleSheet("" if problem is None else "color: #c62828")

    def choose(self) -> Any:
        from ..operators import OperatorDialog

        self.dialog = OperatorDialog(self.operators, self)
        self.dialog.open()
        return self.dialog

    def _chosen(self, _name: str) -> None:
        self.refresh()
        self.changed.emit()


def names(items: Sequence[str], limit: int = 6) -> str:
    """``a, b, c and 4 more``."""
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:[-+](.*))?$")


def version_key(version: str) -> tuple:
    """Sort key of a version: semantic versions by number (1.10.0 after 1.9.0), others by text, after."""
    match = _SEMVER.match(version)
    if match is None:
        return (1, 0, 0, 0, version)
    major, minor, patch, rest = match.groups()
    return (0, int(major), int(minor), int(patch), rest or "~")  # a release after its pre-releases
