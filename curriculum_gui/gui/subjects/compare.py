"""The Compare view: two versions of a curriculum (or two groups of subjects) side by side, stage by stage:
the sessions (or days) each took to meet the stage's criterion, median with its 95 % confidence interval,
the number of subjects, the log-rank test's p-value and a verdict in words that says when the numbers are
too few to tell. Below, both arms' curves for the chosen stage; clicking a point opens that subject.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pyqtgraph as pg
from PySide6.QtWidgets import (
    QComboBox,
    QHeaderView,
    QWidget,
)

from ...core.stats import DAYS, SESSIONS, Comparison
from .curves import PALETTE, FiguresPage, fill_table, plot_curve
from .progress import SELECTED

NOT_SELECTED = "__not_selected__"
HEADERS = ("Stage", "A", "B", "p", "Verdict")
# compute(curriculum, arm A, arm B, unit) -> Comparison; an arm is ("version", "1.0.0") or ("subjects", ids)
Compute = Callable[[str, tuple[str, Any], tuple[str, Any], str], Comparison]


class CompareView(FiguresPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(HEADERS, "Choose two versions (or groups of subjects) to compare.", parent)
        self.result: Comparison | None = None
        self.compute: Compute | None = None
        self.a = QComboBox()
        self.b = QComboBox()
        self.unit = QComboBox()
        self.unit.addItem("Sessions", SESSIONS)
        self.unit.addItem("Days", DAYS)
        for combo in (self.a, self.b, self.unit):
            combo.activated.connect(lambda _i: self.refresh())
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        for column in range(len(HEADERS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._draw)
        self.plot = pg.PlotWidget()
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.addLegend(offset=(-10, -10))  # bottom right: the curves rise to the top right
        self.lay_out((("&A:", self.a), ("&B:", self.b), ("&Time in:", self.unit)), self.plot)

    def fill_choices(self) -> None:
        self._fill_arms()

    def _fill_arms(self) -> None:
        versions = self.versions.get(self.curriculum.currentText(), [])
        for combo, default in ((self.a, 0), (self.b, len(versions) - 1)):
            current = combo.currentData()
            combo.clear()
            for version in versions:
                combo.addItem(f"version {version}", ("version", version))
            combo.addItem("Subjects selected in the table", ("subjects", SELECTED))
            combo.addItem("Subjects not selected", ("subjects", NOT_SELECTED))
            found = combo.findData(current) if current is not None else -1
            combo.setCurrentIndex(found if found >= 0 else max(default, 0))

    def _arm(self, combo: QComboBox) -> tuple[str, Any]:
        kind, value = combo.currentData()
        if kind == "subjects":
            chosen = set(self.selected())
            return ("subjects", (chosen, value == NOT_SELECTED))
        return kind, value

    def refresh(self) -> None:
        name = self.curriculum.currentText()
        if self.compute is None or not name or self.a.currentData() is None:
            self.summary.setText("No curriculum is published in this database yet.")
            return
        if self.a.currentData() == self.b.currentData():
            self.summary.setText("Choose two different versions (or groups of subjects) for A and B.")
            return
        a, b, unit = self._arm(self.a), self._arm(self.b), self.unit.currentData()
        compute = self.compute
        self.ask(lambda: compute(name, a, b, unit), self.show_comparison, "Comparing…")

    def show_comparison(self, result: Comparison) -> None:
        self.result = result
        a, b = html.escape(result.a_label), html.escape(result.b_label)
        self.summary.setText(
            f"<b>A: {a}</b> ({result.a.enrolled} subjects) vs <b>B: {b}</b> ({result.b.enrolled} subjects): "
            f"the {result.unit} each subject's first visit took to meet each stage's criterion (leave it "
            "forward). Median [95% confidence interval] and n; p: the log-rank test. Select a row for its "
            "curves."
        )
        self.table.setHorizontalHeaderLabels(
            ["Stage", f"A: {result.a_label}", f"B: {result.b_label}", "p", "Verdict"]
        )
        rows = []
        for r in result.rows:
            p = f"{r.pvalue:.3f}" if r.pvalue is not None else "—"
            rows.append(
                [
                    (r.name, False, r.name),
                    (f"{r.a.ci_text()}  n={r.a.n}", False, f"{r.a.events} of {r.a.n} met it"),
                    (f"{r.b.ci_text()}  n={r.b.n}", False, f"{r.b.events} of {r.b.n} met it"),
                    (p, True, "log-rank test, two-sided"),
                    (r.verdict, False, r.verdict),
                ]
            )
        fill_table(self.table, rows)
        self.table.resizeRowsToContents()
        self.fit_table()
        faster = next((i for i, r in enumerate(result.rows) if "is faster" in r.verdict), 0)
        if result.rows:
            self.table.selectRow(faster)
        self._draw()

    def _draw(self) -> None:
        plot = self.plot.getPlotItem()
        plot.clear()
        rows = self.table.selectionModel().selectedRows()
        if self.result is None or not rows:
            return
        row = self.result.rows[rows[0].row()]
        curve_a, curve_b = self.result.criterion_curves(row.stage_id)
        end = max([1.0, *curve_a.times, *curve_b.times, *(t for _, t, _ in curve_a.points + curve_b.points)])
        plot_curve(plot, curve_a, PALETTE[0], f"A: {self.result.a_label}", self.subject_clicked.emit, end)
        plot_curve(plot, curve_b, PALETTE[1], f"B: {self.result.b_label}", self.subject_clicked.emit, end)
        plot.setTitle(f"{row.name}: fraction that met the criterion (95% band; open: not yet, censored)")
        plot.setLabel("bottom", self.result.unit)
        plot.setLabel("left", "fraction")
        plot.setYRange(0, 1.02, padding=0)
