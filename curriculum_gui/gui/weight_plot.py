"""A subject's body weight over the days, against its baseline and the lab's threshold line (the weight
under which a mouse is flagged underweight). Shown on the subject page and in the rig view."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime, time

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg
from PySide6.QtCore import Qt

from ..store.records import WeightRecord

THRESHOLD_COLOUR = "#c62828"
BASELINE_COLOUR = "#607d8b"
TRACE_COLOUR = "#37474f"


def _x(day) -> float:
    """A day as the date axis reads it (seconds since the epoch, noon UTC so the tick falls on the day)."""
    return datetime.combine(day, time(12), UTC).timestamp()


class WeightPlot(pg.PlotWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent, axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.setBackground("w")
        self.setTitle("Body weight (g)")
        self.showGrid(x=True, y=True, alpha=0.2)
        self.setMouseEnabled(x=True, y=False)
        self.setMinimumHeight(160)
        self.points: list[tuple[float, float]] = []
        self.threshold_g: float | None = None

    def show_weights(self, weights: Sequence[WeightRecord], baseline: float | None, threshold: float) -> None:
        """One point per day (the day's latest weighing); the baseline and ``threshold × baseline`` lines."""
        self.clear()
        by_day: dict = {}
        for w in weights:
            if not w.voided:
                by_day[w.day] = w.grams
        days = sorted(by_day)
        self.points = [(_x(d), by_day[d]) for d in days]
        self.threshold_g = baseline * threshold if baseline else None
        ys = [y for _, y in self.points]
        if self.points:
            xs = [x for x, _ in self.points]
            self.plot(xs, ys, pen=pg.mkPen(TRACE_COLOUR, width=1.5))
            under = [(x, y) for x, y in self.points if self.threshold_g is not None and y < self.threshold_g]
            over = [(x, y) for x, y in self.points if (x, y) not in under]
            for group, colour in ((over, TRACE_COLOUR), (under, THRESHOLD_COLOUR)):
                if group:
                    self.plot(
                        [x for x, _ in group],
                        [y for _, y in group],
                        pen=None,
                        symbol="o",
                        symbolSize=8,
                        symbolBrush=colour,
                        symbolPen=colour,
                    )
        if baseline:
            below = [(0, 0), (0, 0)]  # the baseline is at the top: its label under the line, in view
            self._line(baseline, BASELINE_COLOUR, f"baseline {baseline:.1f} g", Qt.PenStyle.DotLine, below)
            assert self.threshold_g is not None
            self._line(
                self.threshold_g, THRESHOLD_COLOUR, f"threshold {threshold:.0%} = {self.threshold_g:.1f} g"
            )
            ys = [*ys, baseline, self.threshold_g]
        if ys:
            self.setYRange(min(ys), max(ys), padding=0.15)
        if len(self.points) == 1:
            x = self.points[0][0]
            self.setXRange(x - 3 * 86400, x + 3 * 86400, padding=0)
        elif self.points:
            self.setXRange(self.points[0][0], self.points[-1][0], padding=0.05)
        note = "" if self.points else " — no weighing yet"
        self.setTitle(f"Body weight (g){note}" if baseline else f"Body weight (g){note} — no baseline set")

    def _line(
        self,
        y: float,
        colour: str,
        label: str,
        style: Qt.PenStyle = Qt.PenStyle.DashLine,
        anchors: list[tuple[int, int]] | None = None,
    ) -> None:
        self.addItem(
            pg.InfiniteLine(
                y,
                angle=0,
                pen=pg.mkPen(colour, width=1.5, style=style),
                label=label,
                labelOpts={"position": 0.02, "color": colour, "anchors": anchors or [(0, 1), (0, 1)]},
            )
        )
