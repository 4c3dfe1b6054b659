"""The Rig tab in the main window, and what the rig brings to the whole window: the operator (chosen at
the top of the Rig tab and in the status bar of the Subjects and Rig tabs, stored with every change),
live updates from other rigs for both subject screens, and File → Run sheet….

The main window creates one :class:`RigTab`, adds :attr:`placeholder` as its third tab and calls
:meth:`attach` whenever a subjects database is opened.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget

from ..live import LiveUpdates
from ..operators import OperatorButton, Operators


class RigTab(QObject):
    def __init__(self, window: QMainWindow, modes: QTabWidget) -> None:
        super().__init__(window)
        self.window = window
        self.modes = modes
        self.operators = Operators(self)
        self.view: Any = None
        self.subjects_view: Any = None
        self.live: LiveUpdates | None = None
        self.workspace: Any = None
        self.placeholder = QLabel("The Rig tab opens with the subjects database (see the Subjects tab).")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.operator_button = OperatorButton(self.operators)
        window.statusBar().addPermanentWidget(self.operator_button)
        self.operator_button.hide()
        self.operators.changed.connect(self._operator_changed)
        self.runsheet_action = QAction("Run s&heet…", window)
        self.runsheet_action.setStatusTip(
            "The day's run sheet: per rig, each mouse and what to set (print, CSV)"
        )
        self.runsheet_action.triggered.connect(self.open_runsheet)
        self.dialog: Any = None
        modes.currentChanged.connect(self._mode_changed)

    @property
    def widget(self) -> Any:
        return self.view if self.view is not None else self.placeholder

    def attach(self, workspace: Any, subjects_view: Any = None) -> None:
        """A subjects database was opened (again, or another one): the Rig tab, the operator who signs
        changes on it, and its live updates follow it."""
        self.subjects_view = subjects_view
        self.workspace = workspace
        workspace.ask_operator = True  # never silently the login name
        workspace.operator = self.operators.current() or None
        if self.view is None and self.modes.currentWidget() is not self.placeholder:
            # Built on the next turn of the event loop: the tab being opened shows first, and the window
            # is not held for both at once.
            QTimer.singleShot(0, self, self._show_view)
        else:
            self._show_view()
        self._start_live(workspace)

    def _show_view(self) -> None:
        """The Rig tab itself, on the database attached (made the first time)."""
        from .view import RigView

        workspace, subjects_view = self.workspace, self.subjects_view
        if workspace is None:
            return
        if self.view is None:
            self.view = RigView(workspace, self.operators, self.window)
            self.view.wrote.connect(self._view_wrote)
            index = self.modes.indexOf(self.placeholder)
            self.modes.blockSignals(True)
            current = self.modes.currentIndex()
            self.modes.removeTab(index)
            self.modes.insertTab(index, self.view, "Rig")
            self.modes.setCurrentIndex(current)
            self.modes.blockSignals(False)
            self._mode_changed(current)  # the tab shown may be this one by now (its operator, its focus)
        elif self.view.ws is not workspace:
            self.view.set_workspace(workspace)
        if (
            subjects_view is not None and self.view.alerts is dict
        ):  # the attention the Subjects tab worked out
            self.view.alerts = lambda: subjects_view.model.attention
            # Read again now if shown, else once shown (the rig's reads run on the GUI thread).
            subjects_view.insight.attention_changed.connect(lambda _count: self.view.live_changed())
            self.view.live_changed()  # (its list was read before it knew)

    def _start_live(self, workspace: Any) -> None:
        """Changes other rigs make reach both subject screens."""
        if self.live is not None:
            self.live.stop()
            self.live.deleteLater()
        self.live = LiveUpdates(workspace, self)
        self.live.paused = self._busy
        self.live.changed.connect(self.refresh_all)

    def _busy(self) -> bool:
        return bool(getattr(self.subjects_view, "busy", False) or getattr(self.view, "busy", False))

    def refresh_all(self) -> None:
        """Another rig changed the database: both subject screens read it again, where they were."""
        subjects = self.subjects_view
        if subjects is not None and not subjects.busy:
            subjects.follow()  # read on the thread pool; shown where it was (see SubjectsView._show_rows)
        if self.view is not None:
            self.view.live_changed()

    def _view_wrote(self) -> None:
        if self.subjects_view is not None and not self.subjects_view.busy:
            self.subjects_view.follow()

    def _operator_changed(self, name: str) -> None:
        if self.workspace is not None:
            self.workspace.operator = name or None

    def _mode_changed(self, index: int) -> None:
        widget = self.modes.widget(index)
        editor = widget is self.modes.widget(0)
        self.operator_button.setVisible(not editor and widget is not self.view)  # the Rig tab has its own
        if widget is self.view and self.view is not None:
            self.view.scan.setFocus()

    def open_runsheet(self) -> Any:
        """File → Run sheet… (opens the subjects database first if needed)."""
        ensure = getattr(self.window, "ensure_workspace", None)
        if ensure is not None and not ensure():
            return None
        from .runsheet_dialog import RunSheetDialog

        day = self.view.day if self.view is not None else date.today()
        rig = self.view.rig_name if self.view is not None else None
        self.dialog = RunSheetDialog(self.workspace, day, rig or None, self.window)
        self.dialog.open()
        return self.dialog

    def close(self) -> None:
        self.workspace = None  # (a Rig tab still to be built is not built)
        if self.live is not None:
            self.live.stop()
        if self.view is not None:
            self.view.stop_watching()
