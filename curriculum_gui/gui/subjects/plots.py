"""pyqtgraph plots of one subject: its stage over sessions, and a metric's trace with rule thresholds.

The x axis of both is the subject's session number (1 = its first imported session; whole numbers only),
so a stage change lines up with the session that caused it; "Dates" labels it with the sessions' dates
instead, and hovering a point says its session, date and value. Manual changes (overrides, ejects,
re-enrolments, reverts) are marked, with a legend. A change that was undone later is not drawn: the
line shows where the subject really was.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from datetime import date

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...core.model import Curriculum
from ...store.records import (
    APPLIED,
    EJECT,
    ENROLLED,
    MIGRATED,
    OVERRIDE,
    REENROLL,
    REVERT,
    Event,
    MetricsSession,
    stages_after_sessions,
)
from .why_not_yet import thresholds

pg.setConfigOptions(antialias=True, background="w", foreground="#333333")
MANUAL_COLOURS = {OVERRIDE: "#e65100", EJECT: "#616161", REENROLL: "#6a1b9a", REVERT: "#00838f"}
MANUAL_NAMES = {OVERRIDE: "override", EJECT: "eject", REENROLL: "re-enrolled", REVERT: "revert"}
MANUAL_SYMBOLS = {OVERRIDE: "t", EJECT: "x", REENROLL: "t1", REVERT: "x"}


class SessionAxis(pg.AxisItem):
    """The session axis: ticks on whole sessions only (no 0.5, 1.5), labelled with the session number or,
    with ``show_dates``, the session's date."""

    def __init__(self) -> None:
        super().__init__("bottom")
        self.dates: list[date] = []  # the date of session n is dates[n - 1]
        self.show_dates = False

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        levels = []
        for spacing, values in super().tickValues(minVal, maxVal, size):
            if spacing >= 1:
                levels.append((spacing, [v for v in values if float(v).is_integer()]))
        if not levels and maxVal - minVal < 1000:  # zoomed in past one session per tick: every session
            levels = [(1.0, [float(v) for v in range(math.ceil(minVal), math.floor(maxVal) + 1)])]
        return levels

    def tickStrings(self, values: list, scale: float, spacing: float) -> list[str]:
        if self.show_dates and self.dates:
            return [
                f"{self.dates[int(v) - 1]:%d %b}" if 1 <= int(v) <= len(self.dates) else "" for v in values
            ]
        return [str(int(v)) for v in values]


def undone_events(history: Sequence[Event]) -> set[int]:
    """Ids of the changes a later revert took back, and of those reverts: neither moved the subject."""
    ids = {e.id for e in history}
    pairs = [(e.id, e.data.get("reverts")) for e in history if e.kind == REVERT]
    return {i for revert, target in pairs if target in ids for i in (revert, target)}


def stage_points(history: Sequence[Event], sessions: Sequence[MetricsSession], stages: list[str]):
    """Step points (session number, stage index) and manual-change markers, from the event log. A change
    undone later (and the revert that undid it) moves nothing: no spike up and back."""
    ordinal = {s.session: i + 1 for i, s in enumerate(sessions)}
    xs: list[float] = []
    ys: list[float] = []
    marks: list[tuple[float, float, str]] = []
    x = 0.0
    undone = undone_events(history)
    for event in history:
        if event.kind not in (ENROLLED, APPLIED, OVERRIDE, EJECT, REENROLL, REVERT, MIGRATED):
            continue
        if event.id in undone:
            if event.kind == REVERT:  # marked where it happened; the line does not move
                marks.append((x, ys[-1] if ys else 0.0, REVERT))
            continue
        stage = event.data.get("after_stage")
        if event.kind == APPLIED:
            # A batch of several sessions can pass through several stages: a step at each session.
            for session, after in stages_after_sessions(event.data)[:-1]:
                if session in ordinal and after in stages:
                    xs.append(float(ordinal[session]))
                    ys.append(float(stages.index(after)))
            done = [ordinal[s] for s in event.data.get("sessions") or [] if s in ordinal]
            x = float(max(done)) if done else x
        y = float(stages.index(stage)) if stage in stages else float("nan")
        if event.kind == EJECT:
            y = ys[-1] if ys else 0.0
        xs.append(x)
        ys.append(y)
        if event.kind in MANUAL_COLOURS:
            marks.append((x, y, event.kind))
    return xs, ys, marks


def step_line(xs: Sequence[float], ys: Sequence[float], last: float) -> tuple[list[float], list[float]]:
    """Steps: each stage holds from one change to the next, up to session ``last``."""
    sx: list[float] = []
    sy: list[float] = []
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        if i:
            sx.append(x)
            sy.append(ys[i - 1])
        sx.append(x)
        sy.append(y)
    if xs:
        sx.append(max(xs[-1], last))
        sy.append(ys[-1])
    return sx, sy


def metric_points(
    sessions: Sequence[MetricsSession], name: str
) -> tuple[list[float], list[float], list[float]]:
    """``(xs, ys, gaps)``: the metric's value per session number (NaN where it was not measured, so the
    line breaks), and the session numbers of the gaps. A session that gave a whole list counts its last
    item."""
    xs: list[float] = []
    ys: list[float] = []
    gaps: list[float] = []
    for i, s in enumerate(sessions, 1):
        value = s.values.get(name)
        if isinstance(value, list):
            value = value[-1] if value else None
        xs.append(float(i))
        if isinstance(value, int | float) and not isinstance(value, bool):
            ys.append(float(value))
        else:
            ys.append(math.nan)
            gaps.append(float(i))
    return xs, ys, gaps


class SubjectPlots(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stage_axis, self.metric_axis = SessionAxis(), SessionAxis()
        self.stage_plot = pg.PlotWidget(axisItems={"bottom": self.stage_axis})
        self.stage_plot.setTitle("Stage over sessions")
        self.stage_legend = self.stage_plot.addLegend(offset=(-10, 10), labelTextSize="8pt")
        self.stage_plot.setLabel("bottom", "session")
        self.stage_plot.showGrid(x=True, y=True, alpha=0.2)
        self.stage_plot.setMouseEnabled(x=True, y=False)
        self.metric = QComboBox()
        self.metric.setMinimumContentsLength(14)
        self.metric.currentTextChanged.connect(lambda _name: self._draw_metric())
        self.metric_plot = pg.PlotWidget(axisItems={"bottom": self.metric_axis})
        self.metric_plot.setLabel("bottom", "session")
        self.metric_plot.showGrid(x=True, y=True, alpha=0.2)
        self.metric_plot.setXLink(self.stage_plot)
        for plot in (self.stage_plot, self.metric_plot):  # same axis width: the sessions line up
            plot.getAxis("left").setWidth(190)
        row = QHBoxLayout()
        row.addWidget(QLabel("&Metric:"))
        row.itemAt(0).widget().setBuddy(self.metric)
        row.addWidget(self.metric)
        self.threshold_note = QLabel()
        self.threshold_note.setStyleSheet("color: #555")
        row.addWidget(self.threshold_note, 1)
        self.dates = QCheckBox("&Dates")
        self.dates.setToolTip("Label the session axis with the sessions' dates")
        self.dates.toggled.connect(self._set_dates)
        row.addWidget(self.dates)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stage_plot, 1)
        layout.addLayout(row)
        layout.addWidget(self.metric_plot, 1)
        self._sessions: list[MetricsSession] = []
        self._curriculum: Curriculum | None = None
        self._stage_id: str | None = None
        self._focus: float | None = None

    def show_subject(
        self,
        curriculum: Curriculum,
        stage_id: str | None,
        history: Sequence[Event],
        sessions: Sequence[MetricsSession],
        focus: int | None = None,
    ) -> None:
        self._curriculum, self._stage_id, self._sessions = curriculum, stage_id, list(sessions)
        self._focus = float(focus) if focus else None
        for axis in (self.stage_axis, self.metric_axis):
            axis.dates = [s.date for s in self._sessions]
        stages = [s.name for s in curriculum.stages]
        plot = self.stage_plot
        plot.clear()
        self.stage_legend.clear()
        xs, ys, marks = stage_points(history, sessions, stages)
        if xs:
            sx, sy = step_line(xs, ys, float(len(sessions)))
            plot.plot(sx, sy, pen=pg.mkPen("#1565c0", width=2.5))
            self._hover_points(plot, sx, sy, lambda n, y: stages[int(y)] if 0 <= y < len(stages) else "")
            for kind, colour in MANUAL_COLOURS.items():
                pts = [(x, y) for x, y, k in marks if k == kind]
                if pts:
                    plot.plot(
                        [p[0] for p in pts],
                        [p[1] for p in pts],
                        pen=None,
                        symbol=MANUAL_SYMBOLS[kind],
                        symbolSize=13,
                        symbolBrush=colour,
                        symbolPen=colour,
                        name=MANUAL_NAMES[kind],  # in the legend: what ▼ and × mean
                    )
        plot.getAxis("left").setTicks([[(i, name) for i, name in enumerate(stages)]])
        plot.setYRange(-0.5, max(len(stages) - 0.5, 0.5), padding=0)
        self._mark_focus(plot)
        names = [m.name for m in curriculum.metrics if m.type.value in ("number", "integer", "number_list")]
        current = self.metric.currentText()
        self.metric.blockSignals(True)
        self.metric.clear()
        self.metric.addItems(names)
        with_threshold = [t.metric for t in thresholds(curriculum, stage_id) if t.metric in names]
        if current in names:
            self.metric.setCurrentText(current)
        elif with_threshold:  # the metric the current stage waits on
            self.metric.setCurrentText(with_threshold[0])
        self.metric.blockSignals(False)
        self._draw_metric()

    def _session_words(self, number: int) -> str:
        if 1 <= number <= len(self._sessions):
            s = self._sessions[number - 1]
            return f"session {number} ({s.session}, {s.date:%d %b %Y})"
        return f"session {number}"

    def _hover_points(self, plot: pg.PlotWidget, xs: Sequence[float], ys: Sequence[float], what) -> None:
        """Small points that say, on hover, the session, its date and ``what(session, y)``."""
        points = sorted(
            {(int(x), y) for x, y in zip(xs, ys, strict=True) if float(x).is_integer() and x >= 1}
        )
        if not points:
            return
        spots = pg.ScatterPlotItem(
            [p[0] for p in points],
            [p[1] for p in points],
            size=7,
            brush=pg.mkBrush(21, 101, 192, 90),
            pen=None,
            hoverable=True,
            hoverSize=11,
            data=[f"{self._session_words(n)}: {what(n, y)}" for n, y in points],
            tip=lambda x, y, data: data,
        )
        plot.addItem(spots)

    def _set_dates(self, on: bool) -> None:
        for axis in (self.stage_axis, self.metric_axis):
            axis.show_dates = on
            axis.picture = None  # drawn again with the new labels
            axis.update()
        label = "session date" if on else "session"
        self.stage_plot.setLabel("bottom", label)
        self.metric_plot.setLabel("bottom", label)

    def _mark_focus(self, plot: pg.PlotWidget) -> None:
        if self._focus is not None:
            plot.addItem(
                pg.InfiniteLine(
                    self._focus, angle=90, pen=pg.mkPen("#ff6f00", width=1.5, style=Qt.PenStyle.DashLine)
                )
            )

    def _draw_metric(self) -> None:
        plot = self.metric_plot
        plot.clear()
        name = self.metric.currentText()
        plot.setTitle(f"{name} per session" if name else "")
        if not name or self._curriculum is None:
            return
        xs, ys, gaps = metric_points(self._sessions, name)
        # A session that did not measure the metric breaks the line (NaN, ``connect="finite"``) and is
        # marked at the bottom: the trace never joins across a gap.
        plot.plot(
            xs,
            ys,
            pen=pg.mkPen("#37474f", width=1.5),
            symbol="o",
            symbolSize=6,
            symbolBrush="#37474f",
            connect="finite",
        )
        finite = [(x, y) for x, y in zip(xs, ys, strict=True) if y == y]
        self._hover_points(
            plot, [x for x, _ in finite], [y for _, y in finite], lambda _n, y: f"{name} {y:.4g}"
        )
        measured = [y for _, y in finite]
        if gaps:
            floor = min(measured) if measured else 0.0
            plot.plot(
                gaps,
                [floor] * len(gaps),
                pen=None,
                symbol="o",
                symbolSize=8,
                symbolBrush=None,
                symbolPen=pg.mkPen("#8a5a00", width=1.5),
                name="not measured",
            )
        ys = measured
        lines = [t for t in thresholds(self._curriculum, self._stage_id) if t.metric == name]
        for t in lines:
            line = pg.InfiniteLine(
                t.value,
                angle=0,
                pen=pg.mkPen("#c62828", width=1.5, style=Qt.PenStyle.DashLine),
                label=t.label,
                labelOpts={"position": 0.05, "color": "#c62828", "anchors": [(0, 1), (0, 1)]},
            )
            plot.addItem(line)
        if ys:  # the thresholds stay in view even when the trace is far from them
            values = ys + [t.value for t in lines]
            plot.setYRange(min(values), max(values), padding=0.12)
        note = (
            f"{len(lines)} threshold(s) from the current stage's rules"
            if lines
            else "no threshold on this metric in the current stage's rules"
        )
        if gaps:
            note += f"; not measured in {len(gaps)} session(s) (hollow marks, the line breaks there)"
        self.threshold_note.setText(note)
        self._mark_focus(plot)
