"""The Rig tab: one rig, today's mice, the selected one in large type, and what a technician does to it.

The rig is chosen once per computer (remembered); any rig can be picked. The list follows the schedule
(or, for mice without one, the rig they were registered on). Typing or scanning an id in the Mouse field
(a barcode scanner types it and presses Enter) selects the mouse. Every action asks for a reason where the
history needs one and is signed with the operator chosen at the top; the last one can be undone in one
step. Writes run off the GUI thread, like the subjects screen's; errors become one line in the banner, and
after a conflict (another rig changed the mouse) the view reloads and nothing is written.

The rig's watched folder (Folders…) is scanned every second: a session file the rig writes is imported as
soon as it is complete, and the mouse's suggestion appears with its why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, QSettings, Qt, QThreadPool, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.errors import CurriculumGuiError
from ...store import ConflictError, DatabaseUnavailable, StoreError
from ..live import keep_scroll
from ..operators import OperatorButton, OperatorDialog, Operators
from ..subjects import worker
from ..subjects.view import Banner
from . import dialogs
from .actions import MouseActions
from .folder import RigFolder
from .info import DayMouse, MouseInfo, day_list, mouse_info
from .panel import MousePanel

log = logging.getLogger(__name__)
RIG_KEY = "rig/name"
SUBJECT_ROLE = Qt.ItemDataRole.UserRole + 1
UNDERWEIGHT = QBrush(QColor("#b71c1c"))
OFF = QBrush(QColor("#757575"))


class RigView(MouseActions, QWidget):
    """``refresh()`` reads the rig's day again (keeping the selection and scroll); ``select(subject)``."""

    busy_changed = Signal(bool)
    wrote = Signal()  # this view changed the database (other views may reload)

    def __init__(
        self,
        workspace: Any,
        operators: Operators | None = None,
        parent: QWidget | None = None,
        pool: QThreadPool | None = None,
    ) -> None:
        super().__init__(parent)
        self.ws = workspace
        self.operators = operators or Operators(self)
        self.pool = pool
        self.alerts: Callable[[], Mapping[str, Sequence[Any]]] = dict  # attention, by subject (the tab's)
        self.day = date.today()
        self.rig_name = str(QSettings().value(RIG_KEY, "") or "")
        self.mice: list[DayMouse] = []
        self.info: MouseInfo | None = None
        self.threshold = 0.8
        self.undo_step: tuple[str, Callable[[], Any]] | None = None
        self.dialog: QDialog | None = None
        self.busy = False
        self._stale = False  # another rig changed the database while this screen was hidden
        self._task: worker.Task | None = None
        self.folder: RigFolder | None = None
        self._bind_operator()
        self.operators.changed.connect(lambda _name: self._bind_operator())
        self._build()
        self.refresh()
        self.scan.setFocus()

    # --- building ------------------------------------------------------------------------------

    def _build(self) -> None:
        self.rig_box = QComboBox()
        self.rig_box.setMinimumWidth(140)
        self.rig_box.setToolTip("The rig this computer runs (remembered); pick another to see its mice")
        self.rig_box.activated.connect(lambda _i: self.set_rig(self.rig_box.currentText()))
        self.day_edit = QDateEdit(QDate(self.day.year, self.day.month, self.day.day))
        self.day_edit.setCalendarPopup(True)
        self.day_edit.setDisplayFormat("ddd d MMM yyyy")
        self.day_edit.dateChanged.connect(lambda d: self.set_day(d.toPython()))
        self.operator_button = OperatorButton(self.operators)
        self.scan = QLineEdit()
        self.scan.setPlaceholderText("Scan or type a mouse id, then Enter")
        self.scan.setClearButtonEnabled(True)
        self.scan.setStyleSheet("font-size: 14pt;")
        self.scan.setMinimumWidth(260)
        self.scan.returnPressed.connect(lambda: self.find(self.scan.text()))
        self.folders_button = self._button(
            "Fol&ders…", self.rig_settings_dialog, "This rig's export and watched folders"
        )
        self.schedule_button = self._button(
            "&Week schedule…", self.schedule_dialog, "Which mice run on which rig"
        )
        self.runsheet_button = self._button("Run shee&t…", self.runsheet_dialog, "Print the day's run sheet")
        # Two rows, so the tab fits a 1280-pixel screen beside nothing else: the mouse first.
        scan_row = QHBoxLayout()
        scan_row.addWidget(self._buddy("&Mouse:", self.scan))
        scan_row.addWidget(self.scan, 1)
        scan_row.addWidget(self.operator_button)
        rig_row = QHBoxLayout()
        rig_row.addWidget(self._buddy("R&ig:", self.rig_box))
        rig_row.addWidget(self.rig_box)
        rig_row.addWidget(self.folders_button)
        rig_row.addWidget(self._buddy("Da&y:", self.day_edit))
        rig_row.addWidget(self.day_edit)
        rig_row.addStretch(1)
        rig_row.addWidget(self.schedule_button)
        rig_row.addWidget(self.runsheet_button)
        top = QVBoxLayout()
        top.addLayout(scan_row)
        top.addLayout(rig_row)

        self.list = QTreeWidget()
        self.list.setHeaderLabels(["#", "Mouse", "Marks", "Stage"])
        self.list.setRootIsDecorated(False)
        self.list.setAlternatingRowColors(True)
        self.list.setUniformRowHeights(True)
        self.list.setStyleSheet("QTreeWidget { font-size: 13pt; }")
        for column, width in enumerate((36, 80, 60)):
            self.list.setColumnWidth(column, width)
        self.list.currentItemChanged.connect(self._current_changed)
        self.list_title = QLabel()
        self.list_title.setStyleSheet("font-size: 13pt; font-weight: bold;")
        legend = QLabel(
            "✓ done today · ● new session · ⊘ off curriculum · ⚠ needs attention · red: underweight"
        )
        legend.setWordWrap(True)
        legend.setStyleSheet("color: #555")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.list_title)
        left_layout.addWidget(self.list, 1)
        left_layout.addWidget(legend)

        self.panel = MousePanel()
        self.panel.record_weight.connect(self.record_weight)
        self.panel.baseline_button.clicked.connect(self.baseline_dialog)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.panel)

        b = self._button
        self.accept_button = b("&Accept suggestion", self.accept_suggestion, "Apply the trainer's suggestion")
        self.stage_button = b("&Stage…", self.stage_dialog, "Put the mouse on another stage or policies")
        self.params_button = b(
            "&Parameters…", self.parameters_dialog, "Change single task parameters by hand"
        )
        self.eject_button = b("E&ject…", self.eject_dialog, "Take the mouse off its curriculum")
        self.reenroll_button = b("Re-e&nroll…", self.reenroll_dialog, "Put the mouse back on its curriculum")
        self.note_button = b("N&ote…", self.note_dialog, "Add a note to its history")
        self.send_button = b("Send to ri&g", self.send_to_rig, "Write the next session into the rig's folder")
        self.undo_button = b("&Undo", self.undo, "Undo the last change made here")
        actions = QGridLayout()  # two rows of four: the panel keeps its width on a small screen
        buttons = (
            self.accept_button,
            self.stage_button,
            self.params_button,
            self.eject_button,
            self.send_button,
            self.note_button,
            self.reenroll_button,
            self.undo_button,
        )
        for n, button in enumerate(buttons):
            actions.addWidget(button, n // 4, n % 4)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.scroll, 1)
        right_layout.addLayout(actions)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        split.setSizes([420, 1100])
        self.banner = Banner()
        self.status = QLabel()
        self.status.setStyleSheet("color: #555")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)

    def _button(self, text: str, slot: Callable[[], Any], tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.setAutoDefault(False)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    @staticmethod
    def _buddy(text: str, widget: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(widget)
        return label

    # --- reading -------------------------------------------------------------------------------

    def _bind_operator(self) -> None:
        """Changes made here are signed with the chosen operator; with nobody chosen they are refused,
        never signed with the login name."""
        self.ws.operator = self.operators.current() or None
        self.ws.ask_operator = True

    def set_workspace(self, workspace: Any) -> None:
        self.ws = workspace
        self._bind_operator()
        self.undo_step = None
        self.stop_watching()
        self.info = None
        self.refresh()

    def set_rig(self, name: str) -> None:
        if name and name != self.rig_name:
            self.rig_name = name
            QSettings().setValue(RIG_KEY, name)
            self.undo_step = None
            self.stop_watching()
            self.refresh()

    def set_day(self, day: date) -> None:
        if day != self.day:
            self.day = day
            if self.day_edit.date().toPython() != day:
                self.day_edit.setDate(QDate(day.year, day.month, day.day))
            self.refresh()

    def refresh(self) -> None:
        """Read the rig's day again; the selected mouse stays selected and the list where it was."""
        try:
            rigs = self.ws.rigs()
            if not self.rig_name and rigs:
                self.rig_name = rigs[0].name
            self.threshold = self.ws.weight_threshold()
            mice = day_list(self.ws, self.rig_name, self.day, self.alerts()) if self.rig_name else []
            rig = self.ws.rig(self.rig_name) if self.rig_name else None
        except StoreError as exc:
            self.show_message("error", f"Cannot read the rig's mice: {exc}")
            return
        names = [r.name for r in rigs]
        if self.rig_name and self.rig_name not in names:
            names.append(self.rig_name)
        self.rig_box.blockSignals(True)
        self.rig_box.clear()
        self.rig_box.addItems(sorted(names))
        self.rig_box.setCurrentText(self.rig_name)
        self.rig_box.blockSignals(False)
        self.mice = mice
        selected = self.selected_subject()
        with keep_scroll([self.list]):
            self._fill_list(selected)
        self._watch_folder(rig.watch_folder if rig else None)
        self._show_selected()
        self._update_status()

    def _fill_list(self, selected: str | None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        current = None
        for n, mouse in enumerate(self.mice, 1):
            row = mouse.row
            marks, words = [], []
            if mouse.done:
                marks.append("✓")
                words.append("done today")
            if mouse.attention:
                marks.append("⚠")
                words.append(f"needs attention: {mouse.attention}")
            if not row.on_curriculum:
                marks.append("⊘")
                words.append("off curriculum")
            elif row.pending_sessions:
                marks.append("●")
                words.append("a new session waits for the trainer")
            if mouse.underweight and mouse.weight is not None:
                marks.append(f"{mouse.weight.fraction:.0%}")
                words.append(f"underweight: {mouse.weight.fraction:.0%} of baseline")
            stage = row.stage or "—"
            item = QTreeWidgetItem([str(mouse.slot or n), row.subject, " ".join(marks), stage])
            item.setData(0, SUBJECT_ROLE, row.subject)
            for column in range(3):
                item.setToolTip(column, "; ".join(words) or "nothing to note")
            item.setToolTip(3, stage)
            font = QFont(item.font(1))
            font.setBold(True)
            item.setFont(1, font)
            if mouse.underweight:
                for column in range(4):
                    item.setForeground(column, UNDERWEIGHT)
            elif not row.on_curriculum:
                for column in range(4):
                    item.setForeground(column, OFF)
            self.list.addTopLevelItem(item)
            if row.subject == selected:
                current = item
        for column in (1, 2):  # the stage column takes the rest, elided ("…"; in full in its tooltip)
            self.list.resizeColumnToContents(column)
        if current is not None:
            self.list.setCurrentItem(current)
        self.list.blockSignals(False)
        done = sum(m.done for m in self.mice)
        self.list_title.setText(f"{self.rig_name or 'No rig yet'} — {len(self.mice)} mice, {done} done")

    def selected_subject(self) -> str | None:
        if self.info is not None:
            return self.info.row.subject
        item = self.list.currentItem()
        return item.data(0, SUBJECT_ROLE) if item is not None else None

    def _current_changed(self, item: QTreeWidgetItem | None, _previous: Any = None) -> None:
        if item is not None:
            self.select(item.data(0, SUBJECT_ROLE))

    def select(self, subject: str) -> bool:
        """Show ``subject`` (on this rig's list or not); False if there is no such mouse."""
        try:
            info = mouse_info(self.ws, subject, self.day, self.alerts())
        except StoreError as exc:
            self.show_message("error", str(exc))
            return False
        self.info = info
        self._select_in_list(subject)
        self.panel.show_mouse(info, self.threshold, self.rig_name)
        self.panel.weight_input.clear()
        self._update_actions()
        return True

    def _select_in_list(self, subject: str) -> None:
        self.list.blockSignals(True)
        for i in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(i)
            if item.data(0, SUBJECT_ROLE) == subject:
                self.list.setCurrentItem(item)
                self.list.scrollToItem(item)
                break
        else:
            self.list.setCurrentItem(None)
        self.list.blockSignals(False)

    def _show_selected(self) -> None:
        subject = self.selected_subject()
        if subject is None:
            self.panel.clear()
            self._update_actions()
            return
        with keep_scroll([self.scroll]):
            if not self.select(subject):
                self.info = None
                self.panel.clear()
                self._update_actions()

    def find(self, text: str) -> bool:
        """What the scanner typed: select that mouse (say so when it is not on this rig today)."""
        subject = text.strip()
        if not subject:
            return False
        self.scan.clear()
        if not self.select(subject):
            self.show_message("error", f"No mouse {subject!r} in this database: check the id.")
            return False
        if subject not in {m.subject for m in self.mice}:
            row = self.info.row if self.info else None
            where = f" (registered on {row.rig})" if row is not None and row.rig else ""
            self.show_message("info", f"{subject} is not on {self.rig_name}'s list for this day{where}.")
        else:
            self.banner.hide()
        return True

    def _update_status(self) -> None:
        folder = (
            f"watching {self.folder.folder} for metrics" if self.folder is not None else "no watched folder"
        )
        undo = f" · last change: {self.undo_step[0]}" if self.undo_step else ""
        self.status.setText(f"Weight threshold {self.threshold:.0%} of baseline · {folder}{undo}")

    def _update_actions(self) -> None:
        info = self.info
        idle = not self.busy
        has = info is not None
        on = has and info.row.on_curriculum
        suggestion = info.suggestion if has else None
        self.accept_button.setEnabled(idle and suggestion is not None and suggestion.applicable)
        for button in (self.stage_button, self.params_button, self.eject_button, self.send_button):
            button.setEnabled(idle and on)
        self.reenroll_button.setEnabled(idle and has and not on)
        self.note_button.setEnabled(idle and has)
        self.panel.record_button.setEnabled(idle and has)
        self.panel.baseline_button.setEnabled(idle and has)
        self.undo_button.setEnabled(idle and self.undo_step is not None)
        self.undo_button.setText(f"&Undo: {self.undo_step[0]}" if self.undo_step else "&Undo")
        self.accept_button.setStyleSheet(
            "QPushButton { font-weight: bold; }" if suggestion is not None and suggestion.applicable else ""
        )

    # --- messages and jobs ---------------------------------------------------------------------

    def show_message(self, level: str, text: str) -> None:
        self.banner.show_message(level, text)

    def _has_operator(self) -> bool:
        """Every change is signed: with nobody chosen, ask first (nothing is written meanwhile)."""
        if self.operators.current():
            return True
        self.show_message("error", "Choose who you are first (Operator, at the top): every change is signed.")
        self.dialog = OperatorDialog(self.operators, self)
        self.dialog.open()
        return False

    def _run(self, label: str, job: Callable[[], Any], done: Callable[[Any], None]) -> bool:
        """``job`` off the GUI thread (a rig may hold the database for seconds); ``done(result)`` here."""
        if self.busy:
            self.show_message("info", "Still working on the previous step: try again in a moment.")
            return False
        if not self._has_operator():
            return False
        self._set_busy(True, label)

        def finished(result: Any) -> None:
            self._set_busy(False)
            done(result)
            self.wrote.emit()

        def failed(exc: Exception) -> None:
            self._set_busy(False)
            self.handle_error(exc)

        self._task = worker.start(lambda _progress: job(), finished, failed, pool=self.pool, context=self)
        return True

    def _set_busy(self, busy: bool, label: str = "") -> None:
        self.busy = busy
        if busy:
            self.status.setText(label)
        else:
            self._task = None
            self._update_status()
        self._update_actions()
        self.busy_changed.emit(busy)
        self._refresh_if_stale()  # what changed meanwhile, now the job is done

    def handle_error(self, exc: BaseException) -> None:
        if isinstance(exc, ConflictError):
            self.show_message("error", f"Not done — {exc}. Reloaded: check and try again.")
            self.refresh()
        elif isinstance(exc, DatabaseUnavailable):
            self.show_message("error", f"Database unavailable — {exc}. Nothing was changed; try again.")
        elif isinstance(exc, CurriculumGuiError):
            self.show_message("error", str(exc))
        else:
            log.exception("unexpected error in the rig view", exc_info=exc)
            self.show_message("error", f"Unexpected error ({type(exc).__name__}): {exc}")

    def _open(self, dialog: QDialog, on_accept: Callable[[], None]) -> QDialog:
        self.dialog = dialog
        dialog.accepted.connect(on_accept)
        dialog.finished.connect(lambda _result: setattr(self, "dialog", None))
        dialog.open()
        return dialog

    def _changed(self, text: str, undo: tuple[str, Callable[[], Any]] | None) -> None:
        self.undo_step = undo
        self.refresh()
        self.show_message("ok", text)
        self.scan.setFocus()

    # --- rig settings, schedule, run sheet ---------------------------------------------------------

    def rig_settings_dialog(self) -> QDialog | None:
        if not self.rig_name:
            self.show_message("info", "No rig yet: register mice with a rig, or add one in Week schedule….")
            return None
        dialog = dialogs.RigSettingsDialog(self.ws.rig(self.rig_name), self.threshold, self)
        ws, name, before = self.ws, self.rig_name, self.threshold

        def accepted() -> None:
            export, watch = dialog.values()
            threshold = round(dialog.threshold.value(), 2)

            def job() -> None:
                ws.set_rig(name, export_folder=export, watch_folder=watch)
                if threshold != round(before, 2):
                    ws.set_weight_threshold(threshold)

            self._run(
                f"Saving {name}'s folders…", job, lambda _r: self._changed(f"Saved {name}'s settings.", None)
            )

        return self._open(dialog, accepted)

    def schedule_dialog(self) -> QDialog:
        from .schedule_dialog import ScheduleDialog

        dialog = ScheduleDialog(self.ws, self)
        return self._open(dialog, lambda: self._changed("Schedule saved.", None))

    def runsheet_dialog(self) -> QDialog:
        from .runsheet_dialog import RunSheetDialog

        dialog = RunSheetDialog(self.ws, self.day, self.rig_name or None, self)
        self.dialog = dialog
        dialog.open()
        return dialog

    # --- the watched folder ----------------------------------------------------------------------

    def _watch_folder(self, folder: str | None) -> None:
        if self.folder is not None and (folder is None or str(self.folder.folder) != folder):
            self.stop_watching()
        if folder and self.folder is None:
            self.folder = RigFolder(self.ws, folder, self.pool, self)
            self.folder.imported.connect(self._imported)
            self.folder.failed.connect(lambda text: self.show_message("error", f"Watched folder: {text}"))

    def stop_watching(self) -> None:
        if self.folder is not None:
            self.folder.stop()
            self.folder.deleteLater()
            self.folder = None

    def _imported(self, outcomes: list) -> None:
        lines = [o.line() for o in outcomes]
        subjects = [s for o in outcomes for s in o.subjects]
        self.refresh()
        ours = [s for s in subjects if s in {m.subject for m in self.mice}]
        if ours and (self.info is None or self.info.row.subject not in ours):
            self.select(ours[0])
        level = "ok" if all(o.ok for o in outcomes) else "error"
        self.show_message(level, "Imported from the rig: " + " · ".join(lines))

    def live_changed(self) -> None:
        """Another rig (or window) changed the database: read it again, unless a job of ours runs; when
        hidden, once it is shown again (its reads run on the GUI thread: not while the technician works on
        another screen)."""
        if not self.isVisible() or self.busy:
            self._stale = True
        else:
            self.refresh()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self._refresh_if_stale()

    def _refresh_if_stale(self) -> None:
        if self._stale and not self.busy and self.isVisible():
            self._stale = False
            self.refresh()

    def closeEvent(self, event: Any) -> None:
        self.stop_watching()
        super().closeEvent(event)
