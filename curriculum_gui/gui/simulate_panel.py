"""Try it: type (or load) a sequence of sessions' metrics and step the embedded trainer through them.

The current stage and active policies light up on the canvas (through ``highlight``), and each step's "why"
lists every rule checked with the values it read. Nothing here changes the curriculum.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import CurriculumGuiError, LoadError
from ..core.model import Curriculum, MetricType
from ..core.native_format import parse_json_bytes, read_bytes, read_json_file
from ..core.trainer import Check, SubjectState, Trainer

MAX_SESSIONS = 10_000


class SimulationError(CurriculumGuiError):
    pass


def parse_cell(text: str, metric_type: MetricType, where: str) -> Any:
    """A cell typed by a person → the metric's value; a list metric takes one number (this session's)
    or a JSON list (the whole history as the rig reports it)."""
    text = text.strip()
    if text == "":
        return None
    try:
        if metric_type is MetricType.STRING:
            return text
        if metric_type is MetricType.BOOLEAN:
            lowered = text.lower()
            if lowered in ("true", "yes", "1"):
                return True
            if lowered in ("false", "no", "0"):
                return False
            raise ValueError("not true or false")
        value = parse_json_bytes(text.encode("utf-8", "surrogatepass"), where)  # no deep nesting, NaN...
        if metric_type is MetricType.JSON:
            return value
    except (ValueError, LoadError):
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise SimulationError(f"{where}: {shown!r} is not a {metric_type.value.replace('_', ' ')}") from None
    numbers = value if isinstance(value, list) else [value]
    if any(isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) for v in numbers):
        raise SimulationError(f"{where}: {text!r} is not a {metric_type.value.replace('_', ' ')}")
    if metric_type is MetricType.INTEGER and (isinstance(value, list) or value != int(value)):
        raise SimulationError(f"{where}: {text!r} is not a whole number")
    if metric_type is not MetricType.NUMBER_LIST and isinstance(value, list):
        raise SimulationError(f"{where}: a list is only for list metrics")
    return value


class SimulatePanel(QWidget):
    """Emits ``highlight(stage_id, policy_ids)`` after each step (None, () when reset), and
    ``replay_requested`` for "Replay on subjects…" (the window runs the replay)."""

    highlight = Signal(object, tuple)
    replay_requested = Signal()

    def __init__(self, curriculum_getter: Callable[[], Curriculum], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._curriculum = curriculum_getter
        self.trainer: Trainer | None = None
        self.python_rules: Any = None  # a runner for trusted Python references, or None (they report it)
        self.state: SubjectState | None = None
        self.history: dict[str, list[Any]] = {}
        self.position = 0  # sessions evaluated so far
        self.stale = False  # the curriculum changed since the trainer was built

        self.table = QTableWidget(0, 0)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.add_button = QPushButton("Add session")
        self.add_button.clicked.connect(self.add_session)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_sessions)
        self.load_button = QPushButton("Load…")
        self.load_button.setToolTip(
            "Load sessions from a JSON list or JSON-lines file: one {metric: value} each"
        )
        self.load_button.clicked.connect(self.load_dialog)
        self.step_button = QPushButton("Step ▶")
        self.step_button.setToolTip("Evaluate the next session (F10)")
        self.step_button.setShortcut("F10")
        self.step_button.clicked.connect(self.step)
        self.run_button = QPushButton("Run all ▶▶")
        self.run_button.clicked.connect(self.run_all)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Enroll again on the start stage")
        self.reset_button.clicked.connect(self.reset)
        self.replay_button = QPushButton("Replay on &subjects…")
        self.replay_button.setToolTip(
            "Run this curriculum over the recorded sessions of real subjects in the database and see who "
            "would have moved differently"
        )
        self.replay_button.clicked.connect(self.replay_requested)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.load_button, self.replay_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        for button in (self.reset_button, self.step_button, self.run_button):
            buttons.addWidget(button)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.why = QTreeWidget()
        self.why.setHeaderLabels(["Rule checked", "Result", "Values read"])
        self.why.setRootIsDecorated(False)
        self.why.setAlternatingRowColors(True)
        self.why.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table)
        left_layout.addLayout(buttons)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.status)
        right_layout.addWidget(self.why)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([500, 700])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        self.reset()

    # --- sessions ------------------------------------------------------------------------------

    def _metrics(self) -> list[tuple[str, MetricType]]:
        return [(m.name, m.type) for m in self._curriculum().metrics]

    def sync_columns(self) -> None:
        """Columns follow the declared metrics (kept values move with their metric's name)."""
        metrics = self._metrics()
        old = [self.table.horizontalHeaderItem(c).text() for c in range(self.table.columnCount())]
        if [n for n, _ in metrics] == old:
            return
        names = [n for n, _ in metrics]
        renamed = {}
        if len(names) == len(old) and sum(a != b for a, b in zip(names, old, strict=True)) == 1:
            renamed = {a: b for a, b in zip(old, names, strict=True) if a != b}  # one metric renamed
        rows = [
            {
                renamed.get(old[c], old[c]): (self.table.item(r, c).text() if self.table.item(r, c) else "")
                for c in range(len(old))
            }
            for r in range(self.table.rowCount())
        ]
        self.table.setColumnCount(len(metrics))
        self.table.setHorizontalHeaderLabels([n for n, _ in metrics])
        for c, (name, kind) in enumerate(metrics):
            header = self.table.horizontalHeaderItem(c)
            hint = "one number per session (the history builds up)" if kind is MetricType.NUMBER_LIST else ""
            header.setToolTip(f"{name}: {kind.value}" + (f" — {hint}" if hint else ""))
        for r, row in enumerate(rows):
            for c, (name, _) in enumerate(metrics):
                self.table.setItem(r, c, QTableWidgetItem(row.get(name, "")))

    def add_session(self, values: dict[str, Any] | None = None) -> None:
        self.sync_columns()
        row = self.table.rowCount()
        self.table.insertRow(row)
        names = [n for n, _ in self._metrics()]
        previous = {
            n: self.table.item(row - 1, c).text() if row and self.table.item(row - 1, c) else ""
            for c, n in enumerate(names)
        }
        for c, name in enumerate(names):
            if values is not None:
                value = values.get(name)
                text = "" if value is None else (json.dumps(value) if not isinstance(value, str) else value)
            else:
                text = previous.get(name, "")  # a new session starts as a copy of the last: edit what changed
            self.table.setItem(row, c, QTableWidgetItem(text))
        self.table.setVerticalHeaderItem(row, QTableWidgetItem(f"Session {row + 1}"))

    def remove_sessions(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        for row in rows:
            self.table.removeRow(row)
        self.reset()

    def load_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Load sessions", "", "Metrics (*.json *.jsonl);;All files (*)"
        )
        if path:
            try:
                self.load_file(Path(path))
            except CurriculumGuiError as exc:
                self._say(f"✖ {exc}", "#c62828")

    def load_file(self, path: Path) -> int:
        """Sessions from a JSON list or JSON lines of ``{metric: value}``; replaces the table."""
        if path.suffix == ".jsonl":
            text = read_bytes(path).decode("utf-8", errors="replace")
            sessions = []
            for number, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    try:
                        sessions.append(parse_json_bytes(line.encode("utf-8", "surrogatepass"), str(path)))
                    except LoadError as exc:
                        raise SimulationError(f"{path} line {number}: {exc.reason}") from None
        else:
            sessions = read_json_file(path)
        if not isinstance(sessions, list) or not all(isinstance(s, dict) for s in sessions):
            raise SimulationError(f"{path}: expected a list of {{metric: value}} objects, one per session")
        if len(sessions) > MAX_SESSIONS:
            raise SimulationError(f"{path}: {len(sessions)} sessions; at most {MAX_SESSIONS} here")
        self.table.setRowCount(0)
        for session in sessions:
            self.add_session(session)
        self.reset()
        return len(sessions)

    # --- stepping ------------------------------------------------------------------------------

    def reset(self) -> None:
        self.stale = False
        self.sync_columns()
        self.position = 0
        self.history = {}
        self.why.clear()
        try:
            self.trainer = Trainer(self._curriculum(), python_rules=self.python_rules)
            self.state = self.trainer.enroll()
        except CurriculumGuiError as exc:
            self.trainer, self.state = None, None
            self._say(f"Cannot start: {exc}", "#c62828")
            self.highlight.emit(None, ())
            return
        self._show_state("Enrolled")

    def _session_metrics(self, row: int) -> dict[str, Any]:
        metrics: dict[str, Any] = {}
        for c, (name, kind) in enumerate(self._metrics()):
            item = self.table.item(row, c)
            value = parse_cell(item.text() if item else "", kind, f"session {row + 1}, {name}")
            if kind is MetricType.NUMBER_LIST:
                if isinstance(value, list):
                    self.history[name] = list(value)
                elif value is not None:
                    self.history.setdefault(name, []).append(value)
                metrics[name] = list(self.history.get(name, []))
            elif value is not None:
                metrics[name] = value
        return metrics

    def curriculum_changed(self) -> None:
        """An edit: the next step starts again from enrollment with the edited curriculum."""
        self.stale = True
        self.sync_columns()
        if self.position:
            self._say("The curriculum changed: the next step starts again from enrollment.", "#8a5a00")

    def step(self) -> bool:
        """Evaluate the next session; False when there is none or it cannot be evaluated."""
        if self.stale:
            self.reset()
        if self.trainer is None or self.state is None:
            return False
        if self.position >= self.table.rowCount():
            self._say("No more sessions: add one, or Reset to start again.", None)
            return False
        try:
            metrics = self._session_metrics(self.position)
        except SimulationError as exc:
            self._say(f"✖ {exc}", "#c62828")
            self.table.selectRow(self.position)
            return False
        evaluation = self.trainer.evaluate(self.state, metrics)
        self.position += 1
        self.state = evaluation.state
        self._show_why(evaluation.why)
        self.table.selectRow(self.position - 1)
        label = f"After session {self.position}"
        if evaluation.error:
            self._show_state(f"{label} — ✖ {evaluation.message}", "#c62828")
        else:
            self._show_state(label + (f" — {evaluation.message}" if evaluation.message else ""))
        return not evaluation.error

    def run_all(self) -> None:
        while self.position < self.table.rowCount() and self.step():
            pass

    def _show_state(self, headline: str, colour: str | None = None) -> None:
        assert self.trainer is not None and self.state is not None
        state = self.state
        stage = self.trainer.stage_name(state.stage_id) or "(off curriculum)"
        policies = ", ".join(self.trainer.policy_names(state)) or "none"
        params = ", ".join(f"{k}={v}" for k, v in state.parameters.items())
        e = html.escape
        self._say(
            f"<b>{e(headline)}</b><br>Stage: <b>{e(stage)}</b> (session {state.sessions_in_stage} in it) · "
            f"active policies: {e(policies)}<br><span style='color:gray'>{e(params)}</span>",
            colour,
            rich=True,
        )
        self.highlight.emit(state.stage_id, tuple(state.active_policies))

    def _say(self, text: str, colour: str | None, *, rich: bool = False) -> None:
        """Show a message; ``rich`` only for markup built here (user text is escaped)."""
        self.status.setText(text if rich else html.escape(text))
        self.status.setStyleSheet(f"color: {colour};" if colour else "")

    def _show_why(self, why: list[Check]) -> None:
        self.why.clear()
        for check in why:
            what = check.kind.replace("_", " ")
            target = f" → {check.destination_name}" if check.destination_name else ""
            if check.error:
                result = f"error: {check.error}"
            elif check.result is None:
                result = "set " + ", ".join(f"{k}={v}" for k, v in (check.changes or {}).items())
            else:
                result = ("✓ true" if check.result else "✗ false") + ("  (fired)" if check.fired else "")
            values = ", ".join(f"{k}={v}" for k, v in check.values.items())
            item = QTreeWidgetItem([f"{what} {check.source_name}{target}: {check.rule}", result, values])
            item.setToolTip(0, check.describe())
            if check.fired or check.error:
                colour = QColor("#c62828") if check.error else QColor("#2e7d32")
                for column in range(3):
                    item.setForeground(column, colour)
            self.why.addTopLevelItem(item)
