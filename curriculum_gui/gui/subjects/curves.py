"""pyqtgraph pieces the Progress and Compare views share: Kaplan–Meier step curves with their band, and
one clickable marker per subject (filled: it happened; hollow: censored, still waiting)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.stats import Curve

PALETTE = ("#1f78b4", "#ff7f00", "#33a02c", "#e31a1c", "#6a3d9a", "#b15928", "#a6cee3", "#fdbf6f")
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
# run(job, done): the subjects view runs ``job()`` on its thread pool and calls ``done(result)`` back.
Runner = Callable[[Callable[[], Any], Callable[[Any], None]], None]

pg.setConfigOptions(antialias=True, background="w", foreground="#333333")


def steps(xs: Sequence[float], ys: Sequence[float], x_end: float) -> tuple[list[float], list[float]]:
    """A right-continuous step function's corner points, held to ``x_end``."""
    out_x: list[float] = []
    out_y: list[float] = []
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        if i:
            out_x.append(x)
            out_y.append(out_y[-1])
        out_x.append(x)
        out_y.append(y)
    if out_x:
        out_x.append(max(x_end, out_x[-1]))
        out_y.append(out_y[-1])
    return out_x, out_y


def plot_curve(
    plot: pg.PlotItem,
    curve: Curve,
    colour: str,
    name: str,
    clicked: Callable[[str], None],
    x_end: float | None = None,
) -> pg.ScatterPlotItem:
    """Draw ``curve`` (fraction by time) with its 95 % band and a marker per subject; a click on a
    marker calls ``clicked(subject)``."""
    end = max([x_end or 0.0, *curve.times, *(t for _, t, _ in curve.points)])
    xs, ys = steps(curve.times, curve.fraction, end)
    line = plot.plot(xs, ys, pen=pg.mkPen(colour, width=2), name=name)
    low = pg.PlotDataItem(*steps(curve.times, curve.low, end), pen=pg.mkPen(None))
    high = pg.PlotDataItem(*steps(curve.times, curve.high, end), pen=pg.mkPen(None))
    fill = pg.mkColor(colour)
    fill.setAlpha(45)
    band = pg.FillBetweenItem(low, high, brush=pg.mkBrush(fill))
    band.setZValue(-10)
    plot.addItem(band)
    line.setZValue(5)
    spots = [
        {
            "pos": (t, curve.at(t)),
            "data": subject,
            "brush": pg.mkBrush(colour if seen else "w"),
            "pen": pg.mkPen(colour, width=1.5),
            "symbol": "o",
            "size": 8,
        }
        for subject, t, seen in curve.points
    ]
    return clickable_scatter(plot, spots, clicked)


def clickable_scatter(
    plot: pg.PlotItem, spots: list[dict], clicked: Callable[[str], None]
) -> pg.ScatterPlotItem:
    """Markers whose ``data`` is a subject id; clicking one calls ``clicked(subject)``."""
    scatter = pg.ScatterPlotItem(hoverable=True, tip=lambda x, y, data: f"{data}: {x:g}")
    scatter.addPoints(spots)
    scatter.setZValue(10)
    scatter.sigClicked.connect(lambda _item, points, _event: points and clicked(str(points[0].data())))
    plot.addItem(scatter)
    return scatter


def cell(text: str, number: bool = False, tip: str = "") -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if number:
        item.setTextAlignment(RIGHT)
    item.setToolTip(tip or text)
    return item


def fill_table(table: QTableWidget, rows: Sequence[Sequence[tuple[str, bool, str]]]) -> None:
    """Rows of ``(text, is a number, tooltip)`` cells."""
    table.setRowCount(len(rows))
    for r, cells in enumerate(rows):
        for c, (text, number, tip) in enumerate(cells):
            table.setItem(r, c, cell(text, number, tip))


def fitting_height(table: QTableWidget, most: int = 12) -> int:
    """The height that shows every row (up to ``most``) without scrolling."""
    rows = sum(table.rowHeight(r) for r in range(min(table.rowCount(), most)))
    return table.horizontalHeader().height() + rows + 2 * table.frameWidth() + 2


class FiguresPage(QWidget):
    """What the Progress and Compare views share: labelled choices (a curriculum first) above a summary
    line, a table and the plots; figures worked out through ``run`` (an answer to an older request is
    dropped); ``subject_clicked(subject)`` when a point is clicked; ``selected()``: the subjects selected
    in the table."""

    subject_clicked = Signal(str)

    def __init__(self, headers: Sequence[str], summary: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run: Runner = lambda job, done: done(job())
        self.selected: Callable[[], list[str]] = list
        self.versions: dict[str, list[str]] = {}
        self._asked = 0
        self.curriculum = QComboBox()
        self.curriculum.currentIndexChanged.connect(self._curriculum_changed)
        self.summary = QLabel(summary)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.table = QTableWidget(0, len(headers))
        self.table.setHorizontalHeaderLabels(list(headers))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.split = QSplitter(Qt.Orientation.Vertical)

    def lay_out(self, choices: Sequence[tuple[str, QWidget]], plots: QWidget) -> None:
        controls = QHBoxLayout()
        for label, widget in (("&Curriculum:", self.curriculum), *choices):
            text = QLabel(label)
            text.setBuddy(widget)
            controls.addWidget(text)
            controls.addWidget(widget)
        controls.addStretch(1)
        self.split.addWidget(self.table)
        self.split.addWidget(plots)
        self.split.setStretchFactor(0, 0)
        self.split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.summary)
        layout.addWidget(self.split, 1)

    def set_curricula(self, versions: dict[str, list[str]]) -> None:
        """The published curricula by name, with their versions (oldest first)."""
        self.versions = versions
        current = self.curriculum.currentText()
        blocked = self.curriculum.blockSignals(True)
        self.curriculum.clear()
        self.curriculum.addItems(list(versions))
        self.curriculum.setCurrentIndex(max(0, self.curriculum.findText(current)))
        self.curriculum.blockSignals(blocked)
        self.fill_choices()

    def _curriculum_changed(self, _index: int) -> None:
        self.fill_choices()
        self.refresh()

    def fill_choices(self) -> None:
        """The choices that depend on the curriculum (its versions)."""

    def refresh(self) -> None:  # pragma: no cover - each view works out its own figures
        raise NotImplementedError

    def ask(self, job: Callable[[], Any], done: Callable[[Any], None], waiting: str) -> None:
        """Run ``job``; ``done(result)`` only if no newer request was made meanwhile."""
        self._asked += 1
        asked = self._asked
        self.summary.setText(waiting)
        self.run(job, lambda result: done(result) if asked == self._asked else None)

    def fit_table(self) -> None:
        """Room for every row of the table; the plots get the rest."""
        height = fitting_height(self.table)
        self.split.setSizes([height, max(self.split.height() - height, 200)])
