"""Replay on subjects: an edit run over the recorded sessions of real subjects, compared with reality.

The replay (:meth:`Workspace.replay`) runs off the GUI thread with progress and can be cancelled (what is
done so far is shown). The table lists every subject with how it would move differently (sortable,
filterable, "only subjects that differ"), subjects that could not be replayed with the reason; above it
the cohort summary; beside it the selected subject's deciding rules on each side and its stage over
sessions, really and under the edit. Nothing is changed.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QThreadPool
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...core.errors import CurriculumGuiError
from ...core.model import Curriculum
from ...core.replay import ReplayResult, SubjectReplay, graduation
from ...core.replay_report import summary_lines, terminal_ids
from ..subjects import worker
from .common import GREY, ProgressRow, Row, find_row, rows_table
from .mapping_form import MappingForm, missing_in
from .replay_detail import ReplayDetail

HEADERS = (
    "Subject",
    "Result",
    "Sessions",
    "First difference",
    "Really",
    "Under the edit",
    "Graduated",
    "Note",
)
DIFFERS, PARAMETERS, SAME, SKIPPED = "moves differently", "other parameters", "the same", "not replayed"
RESULT_COLOURS = {DIFFERS: QBrush(QColor("#b71c1c")), PARAMETERS: QBrush(QColor("#8a5a00")), SKIPPED: GREY}


def outcome(s: SubjectReplay) -> str:
    if s.skipped:
        return SKIPPED
    if s.changed:
        return DIFFERS
    return PARAMETERS if s.parameters_changed else SAME


def subject_row(result: ReplayResult, s: SubjectReplay, terminal: set[str]) -> Row:
    kind = outcome(s)
    first = s.first_difference if s.first_difference is not None else s.first_parameter_difference
    step = s.steps[first] if first is not None else None
    if step is not None:
        where = f"#{step.number}: {step.session} ({step.date:%Y-%m-%d})"
        really, edit = result.stage_name(step.real_stage), result.stage_name(step.what_if_stage)
    elif s.changed:
        where = "at the end"
        really, edit = result.stage_name(s.real_end[0]), result.stage_name(s.what_if_end[0])
    else:
        where, really, edit = "", "", ""
    real_grad, edit_grad = graduation(s.real_reach, terminal), graduation(s.what_if_reach, terminal)
    graduated = ""
    if real_grad is not None or edit_grad is not None:
        graduated = f"{_sessions(real_grad)} → {_sessions(edit_grad)}"
    notes = []
    if s.skipped:
        notes.append(s.skipped)
    if s.errors:
        notes.append(f"a rule of the edit failed in {s.errors} session(s)")
    notes += [f"new {k}: {result.stage_name(a)} → {result.stage_name(b)}" for k, a, b in s.appeared]
    notes += [f"no more {k}: {result.stage_name(a)} → {result.stage_name(b)}" for k, a, b in s.disappeared]
    order = {DIFFERS: 0, PARAMETERS: 1, SKIPPED: 2, SAME: 3}
    shift = (edit_grad - real_grad) if real_grad is not None and edit_grad is not None else None
    return Row(
        s.subject,
        [s.subject, kind, str(len(s.steps)), where, really, edit, graduated, "; ".join(notes)],
        sort=[
            s.subject.lower(),
            (order[kind], s.subject.lower()),
            len(s.steps),
            step.number if step is not None else None,
            really.lower(),
            edit.lower(),
            shift,
            "; ".join(notes).lower(),
        ],
        colour=RESULT_COLOURS.get(kind),
    )


def _sessions(n: int | None) -> str:
    return "not yet" if n is None else f"after {n}"


class ReplayWindow(QDialog):
    """``curriculum`` (the edit, a copy) over ``subjects`` (default: everyone on a curriculum of its
    name). ``result`` holds the last replay; ``running`` while one runs."""

    def __init__(
        self,
        ws: Any,
        curriculum: Curriculum,
        what: str,
        subjects: Sequence[str] | None = None,
        pool: QThreadPool | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)
        self.setWindowTitle(f"Replay {curriculum.name} {curriculum.version} on subjects")
        self.ws = ws
        self.curriculum = curriculum
        self.subjects = list(subjects) if subjects is not None else None
        self.pool = pool
        self.result: ReplayResult | None = None
        self.running = False
        self.error: str | None = None
        self._cancel = threading.Event()
        self._task: worker.Task | None = None
        self._total = 0
        self._done = 0
        self._rerun = False  # a mapping chosen while a replay ran: run again when it stops

        who = f"{len(self.subjects)} subject(s)" if self.subjects is not None else "every subject"
        intro = QLabel(
            f"What if <b>{html.escape(curriculum.name)} {html.escape(curriculum.version)}</b> "
            f"({html.escape(what)}) had been used: the recorded sessions of {who} on a curriculum of this "
            "name, replayed from their enrollment and compared with where each really went. Nothing changes."
        )
        intro.setWordWrap(True)
        self.include_manual = QCheckBox("Include &manual changes (override, eject, re-enroll)")
        self.include_manual.setChecked(True)
        self.include_manual.setToolTip(
            "Replay each manual change at the same point of the history; without it, only the trainer decides"
        )
        self.include_manual.toggled.connect(lambda _on: self.run())
        self.mapping_note = QLabel()
        self.mapping_note.setWordWrap(True)
        self.mapping = MappingForm()
        self.mapping.changed.connect(self._mapping_changed)
        self._sources = self._published_versions()
        self._show_mapping()
        self.again = QPushButton("Run &again")
        self.again.clicked.connect(self.run)
        options = QHBoxLayout()
        options.addWidget(self.include_manual)
        options.addStretch(1)
        options.addWidget(self.again)
        self.progress = ProgressRow()
        self.progress.cancelled.connect(self.cancel)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.filter, filters = find_row(self, "subject, stage, rule…")
        self.filter.textChanged.connect(lambda _text: self._filter())
        self.only_differ = QCheckBox("Only subjects that &differ")
        self.only_differ.setToolTip("…and those that could not be replayed, with the reason")
        self.only_differ.setChecked(True)
        self.only_differ.toggled.connect(lambda _on: self._filter())
        self.count = QLabel()
        filters.addWidget(self.only_differ)
        filters.addWidget(self.count)
        self.table, self.model, self.proxy = rows_table(HEADERS, (70, 125, 65, 200, 150, 150, 110))
        self.table.setSelectionMode(self.table.SelectionMode.SingleSelection)
        self.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        self.table.selectionModel().currentRowChanged.connect(lambda current, _old: self._show(current.row()))
        self.detail = ReplayDetail()
        self.detail.clear()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.table, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([760, 560])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(options)
        layout.addWidget(self.mapping_note)
        layout.addWidget(self.mapping)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)
        layout.addWidget(buttons)
        self.resize(1400, 820)

    # --- mapping what the edit lacks ------------------------------------------------------------

    def _published_versions(self) -> list[Curriculum]:
        try:
            return [self.ws.curriculum(v.id) for v in self.ws.versions() if v.name == self.curriculum.name]
        except CurriculumGuiError:
            return []  # the replay itself says what is wrong with the database

    def _show_mapping(self) -> None:
        needed = missing_in(self._sources, self.curriculum, self.mapping.choices)
        self.mapping.set_needs(needed, self.curriculum)
        self.mapping_note.setVisible(bool(needed) or bool(self.mapping.choices))
        self.mapping_note.setText(
            f"The published versions have {len(needed)} stage(s) or policies this curriculum lacks (by id): "
            "a subject that was on one is not replayed unless you say where it goes here."
            if needed
            else "Mapped by hand (by id, as for moving subjects):"
        )

    def _mapping_changed(self) -> None:
        self._show_mapping()
        if self.running:
            self.cancel()
            self._rerun = True
        else:
            self.run()

    # --- running ------------------------------------------------------------------------------

    def run(self) -> bool:
        """Replay again (off the GUI thread). False if one is still running (cancel it first)."""
        if self.running:
            return False
        self.running = True
        self.error = None
        self._cancel = threading.Event()
        self._done = self._total = 0
        self.again.setEnabled(False)
        self.include_manual.setEnabled(False)
        self.progress.start("Replaying…")
        self.summary.setText("Reading the subjects' histories…")
        ws, curriculum, subjects = self.ws, self.curriculum, self.subjects
        include, cancel, mapping = self.include_manual.isChecked(), self._cancel, self.mapping.entries()

        def job(progress: worker.Progress) -> ReplayResult:
            return ws.replay(
                curriculum, subjects, mapping, include, progress=progress, cancelled=cancel.is_set
            )

        self._task = worker.start(job, self._finished, self._failed, self._progress, self.pool, context=self)
        return True

    def run_now(self) -> ReplayResult:
        """The same, on this thread (the --screenshot mode)."""
        result = self.ws.replay(
            self.curriculum, self.subjects, include_manual=self.include_manual.isChecked()
        )
        self.running = True
        self._finished(result)
        return result

    def _progress(self, done: int, total: int) -> None:
        self._done, self._total = done, total
        self.progress.report(done, total)

    def cancel(self) -> None:
        if self.running:
            self._cancel.set()
            self.progress.label.setText("Cancelling…")
            self.progress.cancel_button.setEnabled(False)

    def _end(self) -> None:
        self.running = False
        self._task = None
        self.progress.stop()
        self.again.setEnabled(True)
        self.include_manual.setEnabled(True)

    def _finished(self, result: ReplayResult) -> None:
        cancelled = self._cancel.is_set()
        self._end()
        if self._rerun:
            self._rerun = False
            self.run()
            return
        self.result = result
        terminal = terminal_ids(result)
        self.model.set_rows([subject_row(result, s, terminal) for s in result.subjects])
        lines = summary_lines(result)
        head = ""
        if cancelled:
            head = (
                f"<b>Cancelled</b> after {len(result.subjects)} of {self._total or '?'} subjects: "
                "the summary covers those. "
            )
        if not result.subjects and not cancelled:
            lines = [f"No subject has a recorded history on a curriculum named {self.curriculum.name!r}."]
        self.summary.setText(
            head + "<br>".join(html.escape(line).replace("  ", "&nbsp;&nbsp;") for line in lines)
        )
        self._filter()
        if self.proxy.rowCount():
            self.table.selectionModel().setCurrentIndex(
                self.proxy.index(0, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
        else:
            self.detail.clear()
        self.table.setFocus()

    def _failed(self, exc: Exception) -> None:
        self._end()
        self._rerun = False
        self.error = str(exc)
        self.summary.setText(f"<span style='color:#c62828'>Cannot replay: {html.escape(str(exc))}</span>")

    # --- the table ----------------------------------------------------------------------------

    def _filter(self) -> None:
        only = self.only_differ.isChecked()
        self.proxy.set_filter(self.filter.text(), (lambda row: row.cells[1] != SAME) if only else None)
        total = self.model.rowCount()
        self.count.setText(f"{self.proxy.rowCount()} of {total} subjects")

    def select_subject(self, subject: str) -> bool:
        for row in range(self.proxy.rowCount()):
            if self.proxy.key(row) == subject:
                self.table.selectRow(row)
                self.table.selectionModel().setCurrentIndex(
                    self.proxy.index(row, 0), QItemSelectionModel.SelectionFlag.NoUpdate
                )
                return True
        return False

    def _show(self, proxy_row: int) -> None:
        if self.result is None or proxy_row < 0:
            return
        subject = self.proxy.key(proxy_row)
        found = next((s for s in self.result.subjects if s.subject == subject), None)
        if found is not None:
            self.detail.show_subject(self.result, found)

    def reject(self) -> None:
        """Close (Esc): a replay still running is cancelled."""
        self.cancel()
        super().reject()
