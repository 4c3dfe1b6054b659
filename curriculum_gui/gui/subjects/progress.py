"""The Progress view: how long each stage of a curriculum takes, for all its versions, one, or the subjects
selected in the table: a table of the figures (counts, median and quartiles, Kaplan–Meier) and two plots,
the time each visit spent in each stage, and the fraction of subjects that reached a chosen stage by each
session since enrollment. Clicking a point opens that subject.

The figures come from the store (``Workspace.stage_statistics``); ``compute`` is run by the subjects view
off the GUI thread, and the view is shown again whenever the subjects are read again (after every apply).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...core.progress import EJECTED, FORWARD, REGRESSED
from ...core.stats import DAYS, SESSIONS, StageStatistics
from .curves import PALETTE, FiguresPage, clickable_scatter, fill_table, plot_curve

HEADERS = (
    "Stage",
    "Entered",
    "Left forward",
    "Regressed",
    "Still in",
    "Ejected",
    "Sessions in stage",
    "Days in stage",
    "Sessions to reach",
    "Days to reach",
)
ALL = "__all__"
SELECTED = "__selected__"
EXITS = {FORWARD: "left forward", REGRESSED: "regressed", EJECTED: "ejected", None: "still in it"}

# compute(curriculum name, versions or None, subjects or None) -> StageStatistics, off the GUI thread.
Compute = Callable[[str, list[str] | None, list[str] | None], StageStatistics]


class ProgressView(FiguresPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(HEADERS, "Open this tab to work out the figures.", parent)
        self.stats: StageStatistics | None = None
        self.compute: Compute | None = None
        self.version = QComboBox()
        self.subjects = QComboBox()
        self.subjects.addItem("All subjects", ALL)
        self.subjects.addItem("Subjects selected in the table", SELECTED)
        self.unit = QComboBox()
        self.unit.addItem("Sessions", SESSIONS)
        self.unit.addItem("Days", DAYS)
        self.target = QComboBox()
        self.target.setMinimumContentsLength(18)
        for combo in (self.version, self.subjects):
            combo.activated.connect(lambda _i: self.refresh())
        self.unit.activated.connect(lambda _i: self._draw())
        self.target.activated.connect(lambda _i: self._draw_survival())
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.itemSelectionChanged.connect(self._row_selected)

        self.dwell = pg.PlotWidget()
        self.dwell.setMouseEnabled(x=False, y=True)
        self.dwell.showGrid(x=False, y=True, alpha=0.2)
        self.survival = pg.PlotWidget()
        self.survival.showGrid(x=True, y=True, alpha=0.2)
        self.survival.setYRange(0, 1.02)
        self.survival.setMouseEnabled(x=True, y=False)
        survival_box = QWidget()
        survival_layout = QVBoxLayout(survival_box)
        survival_layout.setContentsMargins(0, 0, 0, 0)
        pick = QHBoxLayout()
        reach = QLabel("Reaching &stage:")
        reach.setBuddy(self.target)
        pick.addWidget(reach)
        pick.addWidget(self.target)
        pick.addStretch(1)
        survival_layout.addLayout(pick)
        survival_layout.addWidget(self.survival, 1)
        plots = QSplitter(Qt.Orientation.Horizontal)
        plots.addWidget(self.dwell)
        plots.addWidget(survival_box)
        self.lay_out(
            (("&Version:", self.version), ("S&ubjects:", self.subjects), ("&Time in:", self.unit)), plots
        )

    def fill_choices(self) -> None:
        current = self.version.currentData()
        self.version.clear()
        self.version.addItem("All versions", ALL)
        for version in self.versions.get(self.curriculum.currentText(), []):
            self.version.addItem(version, version)
        self.version.setCurrentIndex(max(0, self.version.findData(current)))

    # --- figures --------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Work the figures out again for the current choices (off the GUI thread, through ``run``)."""
        name = self.curriculum.currentText()
        if self.compute is None or not name:
            self.summary.setText("No curriculum is published in this database yet.")
            return
        version = self.version.currentData()
        versions = None if version in (None, ALL) else [version]
        subjects = self.selected() if self.subjects.currentData() == SELECTED else None
        if subjects == []:
            self.summary.setText("No subject is selected in the Subjects table: select some, or show all.")
            return
        compute = self.compute
        self.ask(lambda: compute(name, versions, subjects), self.show_statistics, "Working out the figures…")

    def show_statistics(self, stats: StageStatistics) -> None:
        self.stats = stats
        share = f" ({stats.graduated / stats.enrolled:.0%})" if stats.enrolled else ""
        self.summary.setText(
            f"<b>{html.escape(stats.label)}</b>: {stats.enrolled} enrolled, {stats.graduated} graduated"
            f"{share}. Median (quartiles), Kaplan–Meier: a subject still in a stage, or ejected, counts as "
            "not done yet (censored); “not reached”: fewer than half are done. Click a point to open the "
            "subject."
        )
        rows = []
        for r in stats.stages:
            reach_s = r.reach_sessions.iqr_text() if r.reach_sessions else "(start)"
            reach_d = r.reach_days.iqr_text() if r.reach_days else "(start)"
            visits = f"{r.entered} visits by {r.subjects} subjects"
            rows.append(
                [
                    (r.name, False, r.name),
                    (str(r.entered), True, visits),
                    (str(r.forward), True, ""),
                    (str(r.regressed), True, ""),
                    (str(r.still), True, ""),
                    (str(r.ejected), True, ""),
                    (r.sessions.iqr_text(), False, f"n = {r.sessions.n}, {r.sessions.events} left it"),
                    (r.days.iqr_text(), False, f"n = {r.days.n}"),
                    (reach_s, False, ""),
                    (reach_d, False, ""),
                ]
            )
        fill_table(self.table, rows)
        self.fit_table()
        current = self.target.currentData()
        self.target.clear()
        for r in stats.stages:
            if r.reach_sessions is not None:
                self.target.addItem(r.name, r.stage_id)
        terminal = next((r.stage_id for r in stats.stages if r.terminal), None)
        found = self.target.findData(current if current is not None else terminal)
        self.target.setCurrentIndex(max(0, found))
        self._draw()

    def _row_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if self.stats is None or not rows:
            return
        stage = self.stats.stages[rows[0].row()]
        index = self.target.findData(stage.stage_id)
        if index >= 0:
            self.target.setCurrentIndex(index)
            self._draw_survival()

    def _draw(self) -> None:
        self._draw_dwell()
        self._draw_survival()

    def _draw_dwell(self) -> None:
        plot = self.dwell.getPlotItem()
        plot.clear()
        if self.stats is None:
            return
        unit = self.unit.currentData()
        rows = [r for r in self.stats.stages if not r.terminal]
        spots = []
        for i, row in enumerate(rows):
            colour = PALETTE[i % len(PALETTE)]
            for j, p in enumerate(row.points):
                value = p.sessions if unit == SESSIONS else p.days
                jitter = ((j * 7919) % 21 - 10) / 40
                spots.append(
                    {
                        "pos": (i + jitter, value),
                        "data": p.subject,
                        "brush": pg.mkBrush(colour if p.exit in (FORWARD, REGRESSED) else "w"),
                        "pen": pg.mkPen("#616161" if p.exit == EJECTED else colour, width=1.5),
                        "symbol": "x" if p.exit == EJECTED else "o",
                        "size": 8,
                    }
                )
            estimate = row.sessions if unit == SESSIONS else row.days
            if estimate.median is not None:
                plot.plot([i - 0.35, i + 0.35], [estimate.median] * 2, pen=pg.mkPen("#222", width=2))
        clickable_scatter(plot, spots, self.subject_clicked.emit)
        plot.getAxis("bottom").setTicks([[(i, _short(r.name)) for i, r in enumerate(rows)]])
        plot.setLabel("left", f"{unit} in the stage")
        plot.setTitle("Time in each stage (filled: left it; open: still in it; ×: ejected; bar: median)")
        plot.setXRange(-0.6, max(len(rows) - 0.4, 0.6), padding=0)

    def _draw_survival(self) -> None:
        plot = self.survival.getPlotItem()
        plot.clear()
        stage = self.target.currentData()
        if self.stats is None or stage is None:
            return
        unit = self.unit.currentData()
        curve = self.stats.reach_curve(stage, unit)
        plot_curve(plot, curve, PALETTE[0], self.target.currentText(), self.subject_clicked.emit)
        plot.setLabel("bottom", f"{unit} since enrollment")
        plot.setLabel("left", "fraction that reached it")
        plot.setTitle(
            f"Reaching {self.target.currentText()} (Kaplan–Meier, 95% band; open: not yet, censored)"
        )
        plot.setYRange(0, 1.02, padding=0)

    def curve_points(self) -> Sequence[tuple[str, float, bool]]:
        """The subjects on the survival plot (for tests and the status line)."""
        stage = self.target.currentData()
        if self.stats is None or stage is None:
            return ()
        return self.stats.reach_curve(stage, self.unit.currentData()).points


def _short(name: str, limit: int = 16) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
