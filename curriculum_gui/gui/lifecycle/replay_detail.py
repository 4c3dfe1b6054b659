"""One subject of a replay: what differs, the rules that decided on each side, and its stage over sessions,
really and under the edit, on one plot (pyqtgraph, as the subject page's plots)."""

from __future__ import annotations

import html
import math
import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QTextBrowser, QVBoxLayout, QWidget

from ...core.replay import ReplayResult, SubjectReplay
from ...core.replay_report import check_text, subject_lines
from ..subjects.plots import step_line  # (and pyqtgraph's options there: a white background)

REAL_COLOUR = "#1565c0"
EDIT_COLOUR = "#ef6c00"


def decisions_html(s: SubjectReplay) -> str:
    """The rules that decided at the first difference, on each side, with the values they read."""
    if s.skipped:
        return f"<p><b>Not replayed:</b> {html.escape(s.skipped)}</p>"
    parts = ["<p><b>The rules that decided at the first difference</b></p>"]
    for side, colour, checks in (
        ("Really", REAL_COLOUR, s.real_decision),
        ("Under the edit", EDIT_COLOUR, s.what_if_decision),
    ):
        if not checks:
            continue
        items = []
        for check in checks:
            style = "color:#c62828" if check.get("error") else "color:#2e7d32" if check.get("fired") else ""
            items.append(f"<li style='{style}'>{html.escape(check_text(check))}</li>")
        parts.append(f"<p style='color:{colour}'><b>{side}</b></p><ul>{''.join(items)}</ul>")
    if len(parts) == 1:
        parts.append("<p>No rule decided differently: the same moves (other parameters, or none).</p>")
    return "".join(parts)


def trajectories(result: ReplayResult, s: SubjectReplay) -> tuple[list[float], list[float], list[float]]:
    """``(sessions, real stage index, what-if stage index)``, from enrollment (session 0)."""
    order = {stage.id: i for i, stage in enumerate(result.curriculum.stages)}

    def index(stage_id: str | None) -> float:
        return float(order[stage_id]) if stage_id in order else math.nan

    start_real = next((k for k, v in s.real_reach.items() if v == 0), None)
    start_edit = next((k for k, v in s.what_if_reach.items() if v == 0), None)
    xs = [0.0] + [float(step.number) for step in s.steps]
    real = [index(start_real)] + [index(step.real_stage) for step in s.steps]
    edit = [index(start_edit)] + [index(step.what_if_stage) for step in s.steps]
    return xs, real, edit


class ReplayDetail(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.decisions = QTextBrowser()
        self.decisions.setOpenLinks(False)
        self.plot = pg.PlotWidget()
        self.plot.setTitle("Stage over sessions")
        self.plot.setLabel("bottom", "session")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.getAxis("left").setWidth(170)
        self.legend = self.plot.addLegend(offset=(-10, -10))  # bottom right: late sessions sit high
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.decisions)
        split.addWidget(self.plot)
        split.setSizes([220, 320])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(split, 1)
        self.subject: str | None = None

    def clear(self) -> None:
        self.subject = None
        self.title.setText("Select a subject to see where it differs.")
        self.decisions.clear()
        self.plot.clear()

    def show_subject(self, result: ReplayResult, s: SubjectReplay) -> None:
        self.subject = s.subject
        lines = subject_lines(result, s)
        head, rest = lines[0], lines[1:]
        details = [line.strip() for line in rest if not line.strip().startswith(("really:", "under edit:"))]
        self.title.setText(
            f"<b>{html.escape(head)}</b>" + "".join(f"<br>{html.escape(line)}" for line in details)
        )
        self.decisions.setHtml(decisions_html(s))
        self._plot(result, s)

    def _plot(self, result: ReplayResult, s: SubjectReplay) -> None:
        plot = self.plot
        plot.clear()
        stages = [stage.name for stage in result.curriculum.stages]
        plot.getAxis("left").setTicks([[(i, name) for i, name in enumerate(stages)]])
        plot.setYRange(-0.5, max(len(stages) - 0.5, 0.5), padding=0)
        if s.skipped or not s.steps:
            return
        xs, real, edit = trajectories(result, s)
        last = xs[-1]
        plot.plot(*step_line(xs, real, last), pen=pg.mkPen(REAL_COLOUR, width=3), name="really")
        plot.plot(
            *step_line(xs, edit, last),
            pen=pg.mkPen(EDIT_COLOUR, width=2.5, style=Qt.PenStyle.DashLine),
            name="under the edit",
        )
        if s.first_difference is not None:
            x = float(s.steps[s.first_difference].number)
            plot.addItem(
                pg.InfiniteLine(
                    x,
                    angle=90,
                    pen=pg.mkPen("#c62828", width=1.2, style=Qt.PenStyle.DotLine),
                    label="first difference",
                    labelOpts={"position": 0.95, "color": "#c62828", "anchors": [(0, 0), (0, 0)]},
                )
            )
        plot.setXRange(0, max(last, 1), padding=0.02)
