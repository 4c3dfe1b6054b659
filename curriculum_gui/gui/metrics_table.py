"""The curriculum's declared metrics as an editable table: name, type, unit, where it comes from, description.

A metric read from an aind package's ``Metrics`` class says so in the "From" column (Trust Python Rules or
opening the package reads them again); every change is one undoable edit through ``apply``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core import edits
from ..core.model import Curriculum, Metric, MetricSource, MetricType, new_id

ID_ROLE = Qt.ItemDataRole.UserRole + 1
NAME, TYPE, FROM, UNIT, DESCRIPTION = range(5)
_FIELDS = {NAME: "name", UNIT: "unit", DESCRIPTION: "description"}


class MetricsEditor(QWidget):
    def __init__(self, curriculum: Callable[[], Curriculum], apply: Callable[..., bool], parent=None) -> None:
        """``apply(edit, open_step=..., continues=...)``: see :meth:`Document.apply`."""
        super().__init__(parent)
        self._curriculum = curriculum
        self._apply = apply
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Name", "Type", "From", "Unit", "Description"])
        header = self.table.horizontalHeader()
        for column in (NAME, TYPE, FROM):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeaderItem(FROM).setToolTip(
            "package: read from the aind package's Metrics class (Trust Python Rules reads them again)"
        )
        self.table.setColumnWidth(UNIT, 70)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.itemChanged.connect(self._changed)
        add = QPushButton("Add metric")
        add.clicked.connect(self.add_metric)
        remove = QPushButton("Remove")
        remove.clicked.connect(self.remove_metric)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: gray;")
        self.table.setMinimumHeight(self.table.verticalHeader().defaultSectionSize() * 7 + 30)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addWidget(self.caption)
        layout.addLayout(row)
        self._filling = False
        self.just_added: str | None = None  # a metric whose name is being typed right after adding it

    def load(self) -> None:
        metrics = self._curriculum().metrics
        self._filling = True
        self.table.setRowCount(len(metrics))
        for row, metric in enumerate(metrics):
            self._type_cell(row, metric)
            source = "package" if metric.source is MetricSource.PACKAGE else ""
            for column, value in (
                (NAME, metric.name),
                (UNIT, metric.unit),
                (FROM, source),
                (DESCRIPTION, metric.description),
            ):
                item = self.table.item(row, column)
                if item is None:
                    item = QTableWidgetItem()
                    if column == FROM:
                        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                    self.table.setItem(row, column, item)
                item.setText(value)
                tips = {FROM: "read from the aind package's Metrics class", NAME: metric.description}
                item.setToolTip((tips.get(column) or value) if value else "")
                item.setData(ID_ROLE, metric.name)
        self._filling = False
        from_package = sum(m.source is MetricSource.PACKAGE for m in metrics)
        self.caption.setText(
            f"{from_package} of {len(metrics)} read from the aind package's Metrics class (column From)"
        )
        self.caption.setVisible(bool(from_package))
        self.table.setColumnHidden(FROM, not from_package)  # a lab's own metrics need no such column

    def _type_cell(self, row: int, metric: Metric) -> None:
        combo = self.table.cellWidget(row, TYPE)
        if not isinstance(combo, QComboBox):
            combo = QComboBox()
            combo.addItems([t.value for t in MetricType])
            combo.currentTextChanged.connect(self._type_changed)
            self.table.setCellWidget(row, TYPE, combo)
        combo.blockSignals(True)
        combo.setCurrentText(metric.type.value)
        combo.setProperty("metric", metric.name)
        combo.setToolTip("may be null (not measured)" if metric.optional else "")
        combo.blockSignals(False)

    def _changed(self, item: QTableWidgetItem) -> None:
        field = _FIELDS.get(item.column())
        if self._filling or field is None:
            return
        name = item.data(ID_ROLE)
        value = item.text().strip() if field == "name" else item.text()
        metric = self._curriculum().metric(name)
        if metric is None or getattr(metric, field) == value:
            return
        text = (
            f"Rename metric {name!r} to {value!r}" if field == "name" else f"Set {field} of metric {name!r}"
        )
        # the name typed right after "Add metric" is part of adding it: one step, "Add metric 'x'"
        naming_new = field == "name" and self.just_added == name
        if naming_new:
            text = f"Add metric {value!r}"
        self.just_added = None
        if not self._apply(edits.set_field("metric", name, field, value, text=text), continues=naming_new):
            self.load()

    def _type_changed(self, value: str) -> None:
        combo = self.sender()
        name = combo.property("metric") if combo else None
        if name:
            self.just_added = None
            self._apply(
                edits.set_field(
                    "metric", name, "type", MetricType(value), text=f"Set type of metric {name!r} to {value}"
                )
            )

    def add_metric(self) -> None:
        name = new_id("metric_", {m.name for m in self._curriculum().metrics})
        if self._apply(edits.add_metric(Metric(name=name)), open_step=True):
            self.just_added = name
            row = len(self._curriculum().metrics) - 1
            self.table.setCurrentCell(row, NAME)
            self.table.editItem(self.table.item(row, NAME))

    def remove_metric(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.just_added = None
            self._apply(edits.remove_metric(self._curriculum().metrics[row].name))
