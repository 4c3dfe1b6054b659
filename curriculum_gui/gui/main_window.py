"""The main window: the canvas in the centre, outline and problems on the left, the inspector on the right,
undo history and the simulate panel below; toolbar, menus and status bar. Dock layout and recent files are
remembered (QSettings)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, SignalInstance
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QUndoGroup
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QToolBar,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from .. import __version__
from ..core.errors import CurriculumGuiError
from ..core.model import Curriculum
from ..core.problems import ItemRef, Severity
from ..core.wording import counted
from . import aind_package, icons
from .autosave import Autosave
from .canvas import CanvasWidget
from .databases import DatabaseMenu, database_label, remember_database
from .document import Document
from .inspector import Inspector
from .lifecycle.actions import Lifecycle
from .mode_tabs import ModeTabs
from .outline import Outline
from .problems_panel import ProblemsPanel, problems_summary, problems_title
from .rig.tab import RigTab
from .simulate_panel import SimulatePanel
from .window_layout import DEFAULT_SIZE, WindowLayout

FILE_FILTER = "Curriculum files (*.json);;All files (*)"
# Not allowed in a file name on Windows, macOS or Linux (or a path separator on one of them).
_NOT_IN_FILE_NAMES = re.compile(r'[\x00-\x1f<>:"/\\|?*]')
_RESERVED_ON_WINDOWS = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10)
}
MAX_RECENT = 8

DB_SETTING = "subjects/database"
EDITOR_DOCKS = ("outline", "problems", "inspector", "history", "simulate")
PLACEHOLDER_ERROR_STYLE = (
    "QLabel {background:#ffebee; color:#b71c1c; border:1px solid #ef9a9a; border-radius:4px; padding:12px;}"
)


class MainWindow(QMainWindow):
    """``db``: the subjects database (None: the default one); opened when the Subjects tab is first shown, so
    the editor starts at once and a database problem never stops it. ``remember_layout=False`` (a
    screenshot run): the default layout, neither restored from nor saved to the settings."""

    def __init__(
        self, document: Document | None = None, db: str | None = None, *, remember_layout: bool = True
    ) -> None:
        super().__init__()
        self.setObjectName("main_window")
        self.resize(DEFAULT_SIZE)
        self.document = document or Document(Curriculum())
        self.autosave: Autosave | None = None
        self.db = db
        self.workspace: Any = None
        self.subjects_view: Any = None

        self.canvas = CanvasWidget()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.canvas, "Stages")
        self.modes = ModeTabs()
        self.modes.setObjectName("modes")
        self.modes.addTab(self.tabs, "Curriculum editor")
        self.subjects_placeholder = self._subjects_placeholder()
        self.modes.addTab(self.subjects_placeholder, "Subjects")
        self.rig_tab = RigTab(self, self.modes)  # the Rig tab, the operator and live updates (issue 14)
        self.modes.addTab(self.rig_tab.placeholder, "Rig")
        self.modes.currentChanged.connect(self._mode_changed)
        self.setCentralWidget(self.modes)
        self._editor_docks_visible: dict[str, bool] = {}

        self.outline = Outline()
        self.outline.item_activated.connect(self.select_item)
        self.problems = ProblemsPanel()
        self.problems.item_activated.connect(self.select_item)
        self.inspector = Inspector(self.document)
        self.inspector.select_requested.connect(self.select_item)
        self.inspector.trusted_runner = self.trusted_runner
        self.inspector.notice.connect(lambda text: self.statusBar().showMessage(text, 15000))
        self.undo_group = QUndoGroup(self)
        self.history = QUndoView(self.undo_group)
        self.history.setEmptyLabel("(opened)")

        self.outline_dock = self._dock("Outline", "outline", self.outline)
        self.problems_dock = self._dock("Problems", "problems", self.problems)
        self.inspector_dock = self._dock("Inspector", "inspector", self.inspector)
        self.history_dock = self._dock("Undo history", "history", self.history)
        self.simulate = SimulatePanel(lambda: self.document.curriculum)
        self.simulate_dock = self._dock("Try it: simulate", "simulate", self.simulate)
        self.layout_memory = WindowLayout(
            self,
            {
                d.objectName(): d
                for d in (
                    self.outline_dock,
                    self.problems_dock,
                    self.inspector_dock,
                    self.history_dock,
                    self.simulate_dock,
                )
            },
        )
        self.layout_memory.dock_defaults()
        self.simulate.highlight.connect(self._simulate_highlight)
        self.simulate_dock.visibilityChanged.connect(self._simulate_shown)
        self.lifecycle = Lifecycle(self)
        self.simulate.replay_requested.connect(lambda: self.lifecycle.replay())

        self.summary = QLabel()
        self.statusBar().addPermanentWidget(self.summary)
        self.attention_label = QLabel()  # on the Subjects tab: how many subjects need attention
        self.attention_label.setTextFormat(Qt.TextFormat.RichText)
        self.attention_label.setToolTip("Subjects that need attention (Subjects → Status: Needs attention)")
        self.statusBar().addPermanentWidget(self.attention_label)
        self.attention_label.hide()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self.remember_layout = remember_layout
        if remember_layout:
            self.layout_memory.restore()
        self._attach(self.document)

    def _dock(self, title: str, name: str, widget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)  # saveState() needs it
        dock.setWidget(widget)
        return dock

    # --- actions, menus, toolbar ---------------------------------------------------------------

    def _action(self, text: str, slot, shortcut: QKeySequence | str | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(f"{tip} ({action.shortcut().toString()})" if shortcut else tip)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        key = QKeySequence.StandardKey
        self.new_action = self._action("&New", self.new_document, key.New, "Start an empty curriculum")
        self.open_action = self._action(
            "&Open…", self.open_dialog, key.Open, "Open a native or aind JSON file"
        )
        self.open_package_action = self._action(
            "Open aind &Package…",
            lambda: aind_package.ask_and_open(self),
            tip="Open a curriculum from the installed Python package that defines it (runs its code)",
        )
        self.save_action = self._action("&Save", self.save, key.Save, "Save the curriculum")
        self.save_as_action = self._action("Save &As…", self.save_as, key.SaveAs, "Save under a new name")
        self.quit_action = self._action("&Quit", self.close, key.Quit)
        self.databases = DatabaseMenu(self, self.open_database)
        group = self.undo_group
        self.undo_action = self._history_action("Undo", key.Undo, group.undo, group.canUndoChanged)
        group.undoTextChanged.connect(lambda text: _describe_step(self.undo_action, "Undo", text))
        self.redo_action = self._history_action("Redo", key.Redo, group.redo, group.canRedoChanged)
        group.redoTextChanged.connect(lambda text: _describe_step(self.redo_action, "Redo", text))
        self.fit_action = self.canvas.fit_action  # scoped to the canvas: F still types in the inspector
        self.canvas.selection_changed.connect(self._canvas_selection)
        self.canvas.transition_created.connect(self._transition_created)
        self.canvas.item_activated.connect(self.select_item)
        self.canvas.notice.connect(lambda text: self.statusBar().showMessage(text, 8000))

    def _history_action(
        self, verb: str, shortcut: QKeySequence.StandardKey, slot: Callable[[], None], enabled: SignalInstance
    ) -> QAction:
        """Undo or Redo. Not ``QUndoGroup.createUndoAction``: its text is the whole step, which makes the
        toolbar button as wide as the step's name (and takes a ``&`` in a name for a mnemonic)."""
        action = QAction(f"&{verb}", self)
        action.setIconText(verb)  # what the toolbar shows, whatever the step
        action.setShortcut(shortcut)
        action.setEnabled(False)
        action.triggered.connect(slot)
        enabled.connect(action.setEnabled)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.new_action)
        file_menu.addAction(self.open_action)
        file_menu.addAction(self.open_package_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addSeparator()
        file_menu.addAction(self.databases.new_action)
        file_menu.addMenu(self.databases.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.save_as_action)
        file_menu.addAction(self.canvas.export_action)
        file_menu.addAction(self.rig_tab.runsheet_action)
        self.report_action = self._action(
            "Export &report…",
            self.export_report_dialog,
            tip="Write a cohort report (one HTML file: attention, subjects, statistics) for a lab meeting",
        )
        file_menu.addAction(self.report_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        self.edit_menu = bar.addMenu("&Edit")
        self.edit_menu.addAction(self.undo_action)
        self.edit_menu.addAction(self.redo_action)
        self.edit_menu.addSeparator()
        c = self.canvas
        for action in (
            c.add_action,
            c.rename_action,
            c.delete_action,
            None,
            c.copy_action,
            c.paste_action,
            c.duplicate_action,
            None,
            c.layout_action,
            c.snap_action,
        ):
            self.edit_menu.addSeparator() if action is None else self.edit_menu.addAction(action)

        self.view_menu = bar.addMenu("&View")
        self.view_menu.addAction(self.fit_action)
        for action in (
            c.zoom_in_action,
            c.zoom_out_action,
            c.zoom_reset_action,
            c.back_action,
            c.legend_action,
        ):
            self.view_menu.addAction(action)
        self.view_menu.addSeparator()
        docks = (
            self.outline_dock,
            self.problems_dock,
            self.inspector_dock,
            self.history_dock,
            self.simulate_dock,
        )
        for dock in docks:
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addSeparator()
        self.reset_layout_action = self._action(
            "Reset &Layout", self.reset_layout, tip="Put every panel back where it was at first start"
        )
        self.view_menu.addAction(self.reset_layout_action)

        self.curriculum_menu = bar.addMenu("&Curriculum")
        for action in self.lifecycle.actions:
            self.curriculum_menu.addSeparator() if action is None else self.curriculum_menu.addAction(action)
        self.curriculum_menu.addSeparator()
        self.trust_action = self._action(
            "&Trust Python Rules…",
            self.trust_python_rules,
            tip="Allow this curriculum's Python rule modules to run",
        )
        self.curriculum_menu.addAction(self.trust_action)

        # Shown on the Subjects tab: the Subjects view's actions once it exists (every one reachable from
        # the keyboard, Alt+B); until then, the way to choose another database.
        self.subjects_menu = bar.addMenu("Su&bjects")
        self.subjects_menu.addAction(
            self._action("&Database…", self.choose_database, tip="Open another subjects database")
        )
        self._add_database_entries()
        self.subjects_menu.menuAction().setVisible(False)

        help_menu = bar.addMenu("&Help")
        self.rule_help_action = self._action(
            "&Rule language",
            self.show_rule_language,
            "F1",
            "Operators, functions and counters, with examples",
        )
        self.shortcuts_action = self._action(
            "&Keyboard Shortcuts", self.show_shortcuts, tip="Every key of the editor and the subjects"
        )
        help_menu.addAction(self.rule_help_action)
        help_menu.addAction(self.shortcuts_action)
        help_menu.addSeparator()
        help_menu.addAction(self._action("&About curriculum-gui", self.about))

    def _build_toolbar(self) -> None:
        self.toolbar = QToolBar("Main", self)
        self.toolbar.setObjectName("main_toolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.new_action, self.open_action, self.save_action, None):
            self.toolbar.addSeparator() if action is None else self.toolbar.addAction(action)
        self.toolbar.addAction(self.undo_action)
        self.toolbar.addAction(self.redo_action)
        self.toolbar.addSeparator()
        for action in (
            self.canvas.add_action,
            self.canvas.delete_action,
            self.canvas.layout_action,
            self.canvas.snap_action,
            self.fit_action,
        ):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        try_it = self.simulate_dock.toggleViewAction()
        try_it.setText("Try it")
        try_it.setToolTip("Step the trainer through a sequence of sessions (simulate)")
        self.toolbar.addAction(try_it)
        self.toolbar.addAction(self.lifecycle.publish_action)
        self.addToolBar(self.toolbar)
        c = self.canvas
        icons.set_icons(
            {
                "new": self.new_action,
                "open": self.open_action,
                "save": self.save_action,
                "undo": self.undo_action,
                "redo": self.redo_action,
                "add": c.add_action,
                "delete": c.delete_action,
                "layout": c.layout_action,
                "snap": c.snap_action,
                "fit": self.fit_action,
                "try": try_it,
                "publish": self.lifecycle.publish_action,
            }
        )

    def reset_layout(self) -> None:
        """View → Reset Layout: the editor's panels in their first-start places and sizes."""
        self.modes.setCurrentWidget(self.tabs)
        self.layout_memory.reset()
        self.toolbar.show()

    # --- document ------------------------------------------------------------------------------

    def _attach(self, document: Document) -> None:
        old = self.document if self.document is not document else None
        if old is not None:
            old.changed.disconnect(self.refresh)
            if self.autosave is not None:
                self.autosave.discard()
        self.document = document
        document.changed.connect(self.refresh)
        document.path_changed.connect(self._update_title)
        document.undo_stack.cleanChanged.connect(self._update_title)
        self.undo_group.addStack(document.undo_stack)
        self.undo_group.setActiveStack(document.undo_stack)
        if old is not None:
            self.undo_group.removeStack(old.undo_stack)
        self.autosave = Autosave(document)
        self.inspector.set_document(document)
        document.changed.connect(self.simulate.curriculum_changed)
        self.simulate.python_rules = None  # trust is given per document, never carried over
        self.simulate.reset()
        self.canvas.set_document(document)
        self.refresh()

    def refresh(self) -> None:
        problems = self.document.problems
        curriculum = self.document.curriculum
        self.outline.rebuild(curriculum, problems)
        self.problems.show_problems(problems)
        errors = sum(p.severity is Severity.ERROR for p in problems)
        # the dock's title stays short enough for its narrowest width; the list says which kind
        self.problems_dock.setWindowTitle(problems_title(problems))
        self.summary.setText(
            f"{counted(len(curriculum.stages), 'stage')} · "
            f"{counted(len(curriculum.stage_transitions), 'transition')} · "
            f"{counted(sum(len(s.policies) for s in curriculum.stages), 'policy')} · "
            f"{counted(len(curriculum.metrics), 'metric')} · "
            f"{'✖ ' if errors else ''}{problems_summary(problems)}"
        )
        self._update_title()

    def _simulate_highlight(self, stage_id: str | None, policy_ids: tuple[str, ...]) -> None:
        """The simulated subject lights up on the canvas only while "Try it" is open."""
        self._simulated = (stage_id, policy_ids)
        if self.simulate_dock.isVisible():
            self.canvas.set_highlight(stage_id, policy_ids)

    def _simulate_shown(self, visible: bool) -> None:
        stage_id, policy_ids = getattr(self, "_simulated", (None, ()))
        self.canvas.set_highlight(stage_id if visible else None, policy_ids if visible else ())

    def _transition_created(self, ref: ItemRef) -> None:
        """A new connection: its rule editor, ready to type in."""
        self.select_item(ref)
        self.inspector.pages["transition"].rule.text_edit.setFocus()

    def _canvas_selection(self, refs: list) -> None:
        if len(refs) == 1:
            self.inspector.show_item(refs[0])

    def _update_title(self, *_: object) -> None:
        """The curriculum (and whether it has unsaved changes), then the subjects database once open."""
        modified = "*" if self.document.is_modified else ""
        database = f" — {database_label(self.workspace.url)}" if self.workspace is not None else ""
        self.setWindowTitle(f"{self.document.display_name}{modified}{database} — curriculum-gui")

    def select_item(self, ref: ItemRef) -> None:
        """Select one item everywhere: the inspector shows it, the canvas highlights it."""
        self.inspector.show_item(ref)
        self.inspector_dock.show()
        self.canvas.show_item(ref)

    # --- subjects ------------------------------------------------------------------------------

    def _subjects_placeholder(self) -> QWidget:
        """The Subjects tab until its database is open; if it cannot be opened, the message and a way to
        choose another database (the Subjects view, with its own Database…, does not exist yet)."""
        page = QWidget()
        self.subjects_message = QLabel("Opening the subjects database…")
        self.subjects_message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.subjects_message.setWordWrap(True)
        self.subjects_message.setTextFormat(Qt.TextFormat.RichText)
        self.subjects_message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.database_button = QPushButton("&Database…")
        self.database_button.setToolTip("Open another subjects database, or this one again")
        self.database_button.clicked.connect(self.choose_database)
        self.new_database_button = QPushButton("&New Database…")
        self.new_database_button.setToolTip("Create a new, empty subjects database and open it")
        self.new_database_button.clicked.connect(lambda: self.databases.new_database())
        buttons = QWidget()
        row = QHBoxLayout(buttons)
        row.addWidget(self.database_button)
        row.addWidget(self.new_database_button)
        buttons.hide()
        self.database_buttons = buttons
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        layout.addWidget(self.subjects_message)
        layout.addWidget(buttons, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
        return page

    def choose_database(self) -> QDialog:
        """The Subjects view's Database dialog, from the page shown when the database could not be opened;
        it starts from the database that failed. Opened window-modal (``open()``), acts on ``accepted``."""
        from .subjects.dialogs import DatabaseDialog, editable_url

        dialog = DatabaseDialog(editable_url(self.db or self.remembered_db()), self)
        dialog.accepted.connect(lambda: self.open_database(dialog.value()))
        dialog.open()
        return dialog

    def open_database(self, db: str, create: bool = False) -> bool:
        """Open (``create``: make) the database ``db`` and show the Subjects tab on it; remembered for the
        next start and in Recent Databases. Once the Subjects view exists it does the opening (a failure
        is its banner, the open database stays); before, the Subjects page says why."""
        if self.subjects_view is not None:
            opened = bool(self.subjects_view.open_database(db, create=create))
        else:
            self.db = db
            opened = self.ensure_workspace(create=create, background=True)
            if opened:
                self._workspace_changed(self.workspace)
        page = self.subjects_view if self.subjects_view is not None else self.subjects_placeholder
        self.modes.setCurrentWidget(page)
        return opened

    def _add_database_entries(self) -> None:
        self.subjects_menu.addSeparator()
        self.subjects_menu.addAction(self.databases.new_action)
        self.subjects_menu.addMenu(self.databases.recent_menu)

    def _editor_docks(self) -> list[QDockWidget]:
        return [d for d in self.findChildren(QDockWidget) if d.objectName() in EDITOR_DOCKS]

    def _mode_changed(self, index: int) -> None:
        """The editor's docks belong to the editor: hidden on the Subjects tab, restored on return."""
        subjects = self.modes.widget(index) is not self.tabs
        if subjects:
            if not self._editor_docks_visible:  # the editor is being left (not one subjects page for another)
                self.layout_memory.editor_left()
                self._editor_docks_visible = {d.objectName(): d.isVisible() for d in self._editor_docks()}
            for dock in self._editor_docks():
                dock.hide()
            self.ensure_workspace(background=True)  # the subjects are read on the thread pool
        else:
            for dock in self._editor_docks():
                dock.setVisible(self._editor_docks_visible.get(dock.objectName(), dock.isVisible()))
            self._editor_docks_visible = {}
            self.layout_memory.editor_shown()
        self.toolbar.setVisible(not subjects)
        self.summary.setVisible(not subjects)
        self.attention_label.setVisible(subjects and bool(self.attention_label.text()))
        self.subjects_menu.menuAction().setVisible(subjects)

    def ensure_workspace(
        self, *, raise_errors: bool = False, create: bool = False, background: bool = False
    ) -> bool:
        """Open the subjects database (the default one is made, with the demo cohort, on first start; any
        other only with ``create``); the subjects are read on the thread pool (``background``), or at once
        (screenshots)."""
        if self.workspace is not None:
            return True
        from ..store import DatabaseMissing
        from .subjects.view import SubjectsView
        from .workspace_opener import open_workspace

        try:
            workspace = open_workspace(self.db or self.remembered_db(), create=create)
        except CurriculumGuiError as exc:
            if raise_errors:
                raise
            text = str(exc)
            unchanged = "" if "nothing was" in text.lower() else "Nothing was changed. "  # said once
            if isinstance(exc, DatabaseMissing):
                text += " (check the path)"
            self.subjects_message.setText(
                f"<b>The subjects database could not be opened.</b><p>{html.escape(text)}</p>"
                f"<p>{unchanged}Check the database, then press <b>Database…</b> to open it again or to "
                "choose another one, or <b>New Database…</b> to start an empty one.</p>"
            )
            self.subjects_message.setStyleSheet(PLACEHOLDER_ERROR_STYLE)
            self.database_buttons.show()
            self.database_button.setFocus()
            return False
        self.set_workspace(workspace, SubjectsView, background)
        return True

    def set_workspace(self, workspace: Any, view_class: Any = None, background: bool = False) -> None:
        if view_class is None:
            from .subjects.view import SubjectsView as view_class
        if self.subjects_view is None:
            self.subjects_view = view_class(workspace, self, background=background)
            self.subjects_view.operators = self.rig_tab.operators  # who signs, for its dialogs
            self.subjects_view.workspace_changed.connect(self._workspace_changed)
            self.subjects_view.insight.attention_changed.connect(self._attention_changed)
            self._attention_changed(self.subjects_view.model.attention_count())
            self.subjects_menu.clear()  # the actions are the window's or the view's: only taken out
            self.subjects_menu.addActions(self.subjects_view.toolbar.actions())
            self._add_database_entries()
            index = self.modes.indexOf(self.subjects_placeholder)
            self.modes.blockSignals(True)
            current = self.modes.currentIndex()
            self.modes.removeTab(index)
            self.modes.insertTab(index, self.subjects_view, "Subjects")
            self.modes.setCurrentIndex(current)
            self.modes.blockSignals(False)
        if self.workspace is None and (workspace.created or workspace.upgrade is not None):
            self.subjects_view.show_opened(workspace)  # a new database, or where the old file was kept
        self.workspace = workspace
        self.rig_tab.attach(workspace, self.subjects_view)
        self.statusBar().showMessage(f"Subjects database: {workspace.where}", 8000)
        self._update_title()

    def _attention_changed(self, count: int) -> None:
        self.attention_label.setText(
            f"<span style='color:#b71c1c'>‼ <b>{count}</b> subject(s) need attention</span>" if count else ""
        )
        on_subjects = self.modes.currentWidget() is not self.tabs
        self.attention_label.setVisible(bool(count) and on_subjects)

    def export_report_dialog(self) -> None:
        """File → Export report…: the cohort report of the subjects database, as one HTML file."""
        if not self.ensure_workspace():
            self.modes.setCurrentWidget(self.subjects_placeholder)
            return
        suggested = str(Path(self._last_dir()) / f"cohort-report-{date.today().isoformat()}.html")
        path, _ = QFileDialog.getSaveFileName(self, "Export cohort report", suggested, "HTML files (*.html)")
        if path:
            self.export_report(Path(path))

    def export_report(self, path: Path) -> bool:
        """Write the report (with the Compare tab's comparison, if one is shown) and say where."""
        from ..report import write_report

        view = self.subjects_view
        comparison = view.insight.compare.result if view is not None else None
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            write_report(
                self.workspace, path, today=view.insight.today() if view else None, comparison=comparison
            )
        except (CurriculumGuiError, OSError) as exc:
            QApplication.restoreOverrideCursor()
            QMessageBox.warning(self, "Cannot export the report", str(exc))
            return False
        QApplication.restoreOverrideCursor()
        self.statusBar().showMessage(f"Wrote the cohort report to {path}", 8000)
        return True

    def _workspace_changed(self, workspace: Any) -> None:
        """Another database chosen (the Subjects view's Database…, New Database…, Recent Databases):
        remembered for the next start and in Recent Databases, without its password (PostgreSQL reads
        that from ~/.pgpass or PGPASSWORD; settings are plain text)."""
        old = self.workspace
        self.workspace = workspace
        self.rig_tab.attach(workspace, self.subjects_view)
        if old is not None and old is not workspace:
            old.close()
        from ..store.engine import without_password

        QSettings().setValue(DB_SETTING, without_password(workspace.url))
        remember_database(workspace.url)
        self.statusBar().showMessage(f"Subjects database: {workspace.where}", 8000)
        self._update_title()

    @staticmethod
    def remembered_db() -> str | None:
        value = QSettings().value(DB_SETTING)
        return str(value) if value else None

    def show_view(self, name: str, select: str | None = None) -> QWidget | None:
        """What ``--screenshot --view NAME [--select ITEM]`` shows (see :mod:`.views`); a lifecycle view
        returns its dialog or window, to be drawn over this one."""
        from .views import show_view

        return show_view(self, name, select)

    # --- file actions --------------------------------------------------------------------------

    def commit_pending(self) -> None:
        """The field being typed in commits when it loses focus: make that happen before saving or
        closing, so Ctrl+S or closing mid-word never loses what was typed."""
        focused = QApplication.focusWidget()
        if focused is not None and self.isAncestorOf(focused):
            focused.clearFocus()

    def _confirm_discard(self) -> bool:
        self.commit_pending()
        if not self.document.is_modified:
            return True
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            f"Save the changes to {self.document.display_name}?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def new_document(self) -> None:
        if self._confirm_discard():
            self._attach(Document(Curriculum()))

    def open_dialog(self) -> None:
        if not self._confirm_discard():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open curriculum", self._last_dir(), FILE_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        try:
            document = Document.open(path)
        except CurriculumGuiError as exc:
            QMessageBox.warning(self, "Cannot open file", str(exc))
            return False
        self._attach(document)
        self._remember(Path(path))
        note = (
            " — aind file: Save asks where to write the native copy"
            if document.source_format != "native"
            else ""
        )
        self.statusBar().showMessage(f"Opened {path} ({document.source_format} format){note}", 8000)
        return True

    def save(self) -> bool:
        self.commit_pending()
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        self.commit_pending()
        suggested = str(Path(self._last_dir()) / f"{file_stem(self.document.curriculum.name)}.json")
        path, _ = QFileDialog.getSaveFileName(self, "Save curriculum", suggested, FILE_FILTER)
        return bool(path) and self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        try:
            self.document.save(path)
        except (CurriculumGuiError, OSError) as exc:
            QMessageBox.warning(
                self, "Cannot save", f"{path}: {exc}" if isinstance(exc, OSError) else str(exc)
            )
            return False
        self._remember(path)
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def _last_dir(self) -> str:
        return str(QSettings().value("last_dir", str(Path.home())))

    def recent_files(self) -> list[str]:
        value = QSettings().value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _remember(self, path: Path) -> None:
        settings = QSettings()
        settings.setValue("last_dir", str(path.parent))
        path_text = str(path.resolve())
        recent = [p for p in self.recent_files() if p != path_text]
        settings.setValue("recent_files", [path_text, *recent][:MAX_RECENT])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_files()
        for number, path in enumerate(recent, start=1):
            action = self.recent_menu.addAction(f"&{number} {path}")
            action.setEnabled(Path(path).exists())
            action.triggered.connect(lambda _=False, p=path: self._open_recent(p))
        if not recent:
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    def _open_recent(self, path: str) -> None:
        if self._confirm_discard():
            self.open_path(path)

    def offer_recoveries(self) -> None:
        """After a crash: offer each autosaved copy back (restore as an unsaved document, or discard)."""
        from .autosave import find_recoveries

        for recovery in find_recoveries():
            answer = QMessageBox.question(
                self,
                "Recover unsaved work?",
                f"curriculum-gui did not close properly last time. An autosaved copy of "
                f"<b>{html.escape(recovery.label)}</b> was found.<p>Restore it? (Discard deletes the copy.)",
                QMessageBox.StandardButton.Yes
                | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Ignore,
                QMessageBox.StandardButton.Yes,
            )
            if answer == QMessageBox.StandardButton.Yes:
                original = Path(recovery.original) if recovery.original else None
                document = Document(recovery.curriculum, path=original)
                self._attach(document)
                document.undo_stack.resetClean()  # unsaved: Save writes it back to its own file
                written = self.autosave.write() if self.autosave is not None else None
                if written is not None and written != recovery.file:
                    recovery.discard()  # only once the new copy exists: a second crash loses nothing
                self.statusBar().showMessage(f"Recovered {recovery.label}: save it to keep it", 10000)
                break
            if answer == QMessageBox.StandardButton.Discard:
                recovery.discard()

    def trust_python_rules(self, *, ask: bool = True) -> bool:
        """Name the modules a curriculum's Python rules come from and, if the person agrees, let them run."""
        from ..core.python_rules import aind_available, modules_referenced, runner_for

        modules = modules_referenced(self.document.curriculum)
        if not modules:
            if ask:
                QMessageBox.information(
                    self, "Python rules", "This curriculum has no Python rules: nothing to trust."
                )
            return False
        if not aind_available():
            if not ask:
                return False
            QMessageBox.warning(
                self,
                "Python rules",
                "Running Python rules needs aind-behavior-curriculum: "
                'pip install "curriculum-gui[aind]". The curriculum still opens, edits and saves.',
            )
            return False
        listed = "".join(f"<li><code>{html.escape(m)}</code></li>" for m in modules)
        answer = (
            QMessageBox.warning(
                self,
                "Trust Python rules?",
                f"This curriculum's rules call Python code from:<ul>{listed}</ul>Running it lets "
                "that code do anything your account can. Trust it only if it is your lab's own code."
                "<p>Run these modules?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if ask
            else QMessageBox.StandardButton.Yes
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self.simulate.python_rules = runner_for(modules=modules)
        self.simulate.reset()
        self.statusBar().showMessage(f"Trusted Python rules from {', '.join(modules)} for this session", 8000)
        aind_package.fill_package_metrics(self, self.simulate.python_rules)
        return True

    def trusted_runner(self) -> Any:
        """A runner for this document's Python rules, asking the person to trust them first if need be."""
        if self.simulate.python_rules is None and not self.trust_python_rules():
            return None
        return self.simulate.python_rules

    def show_rule_language(self) -> QDialog:
        from .help_dialogs import rule_language_dialog

        dialog = rule_language_dialog(self)
        dialog.show()  # beside the editor, not in front of it
        return dialog

    def show_shortcuts(self) -> QDialog:
        """From the actions themselves (the menus', and the Subjects view's once it exists)."""
        from .help_dialogs import menu_groups, shortcuts_dialog

        groups = menu_groups(self.menuBar())
        if self.subjects_view is not None:
            groups.append(("Subjects", self.subjects_view.actions()))
        dialog = shortcuts_dialog(groups, self)
        dialog.show()
        return dialog

    def about(self) -> None:
        QMessageBox.about(
            self,
            "About curriculum-gui",
            f"<b>curriculum-gui {__version__}</b><p>Design mouse-training curricula, manage subjects and run "
            "the trainer. Compatible with aind-behavior-curriculum 0.0.42.</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._confirm_discard():
            if self.remember_layout:
                self.layout_memory.save()  # the editor's layout, as it was when last shown
            self.rig_tab.close()
            if self.workspace is not None:
                self.workspace.close()
            if self.autosave is not None:
                self.autosave.discard()
            event.accept()
        else:
            event.ignore()


def file_stem(name: str) -> str:
    """A curriculum's name made into a file name that every system accepts: "Go/No-go" would otherwise
    suggest a folder "Go" that does not exist."""
    stem = _NOT_IN_FILE_NAMES.sub("-", name).strip(". ")  # Windows drops trailing dots and spaces
    stem = stem.encode()[:200].decode("utf-8", "ignore").rstrip(". ")  # names are at most 255 bytes
    if stem.split(".")[0].upper() in _RESERVED_ON_WINDOWS:  # "CON.json" names a device on Windows
        stem = f"_{stem}"
    return stem or "curriculum"


def _describe_step(action: QAction, verb: str, step: str) -> None:
    """The menu says which step ("Undo Rename to 'A & B'", the ``&`` kept literal), the tooltip too; the
    toolbar keeps its short icon text."""
    action.setText(f"&{verb} {step.replace('&', '&&')}" if step else f"&{verb}")
    shortcut = action.shortcut().toString()
    action.setToolTip(f"{verb} {step} ({shortcut})" if step else f"{verb} ({shortcut})")
