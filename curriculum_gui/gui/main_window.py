"""The main window: menus, the editor area (stage canvas), the problems panel and the status bar."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QUndoGroup
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QTabWidget,
)

from .. import __version__
from ..core.errors import CurriculumGuiError
from ..core.model import Curriculum
from ..core.problems import Severity
from .canvas import CanvasView, StageScene
from .document import Document

FILE_FILTER = "Curriculum files (*.json);;All files (*)"

VIEWS = ("editor", "problems")


class MainWindow(QMainWindow):
    def __init__(self, document: Document | None = None) -> None:
        super().__init__()
        self.resize(1280, 800)
        self.document = document or Document(Curriculum())
        self.scene = StageScene()
        self.canvas = CanvasView(self.scene)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.canvas, "Curriculum")
        self.setCentralWidget(self.tabs)

        self.problems_list = QListWidget()
        self.problems_list.setAlternatingRowColors(True)
        self.problems_dock = QDockWidget("Problems", self)
        self.problems_dock.setObjectName("problems")
        self.problems_dock.setWidget(self.problems_list)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.problems_dock)

        self.undo_group = QUndoGroup(self)
        self.summary = QLabel()
        self.statusBar().addPermanentWidget(self.summary)
        self._build_menus()
        self._attach(self.document)

    # --- menus ---------------------------------------------------------------------------------

    def _action(self, text: str, slot, shortcut: QKeySequence | str | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.new_action = self._action(
            "&New", self.new_document, QKeySequence.StandardKey.New, "Start an empty curriculum"
        )
        self.open_action = self._action(
            "&Open…", self.open_dialog, QKeySequence.StandardKey.Open, "Open a native or aind JSON file"
        )
        self.save_action = self._action("&Save", self.save, QKeySequence.StandardKey.Save)
        self.save_as_action = self._action("Save &As…", self.save_as, QKeySequence.StandardKey.SaveAs)
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        for action in (
            self.new_action,
            self.open_action,
            None,
            self.save_action,
            self.save_as_action,
            None,
            self.quit_action,
        ):
            file_menu.addSeparator() if action is None else file_menu.addAction(action)

        edit_menu = bar.addMenu("&Edit")
        self.undo_action = self.undo_group.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_group.createRedoAction(self, "&Redo")
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)

        view_menu = bar.addMenu("&View")
        self.fit_action = self._action("&Fit to View", self.canvas.fit, "F")
        view_menu.addAction(self.fit_action)
        view_menu.addSeparator()
        view_menu.addAction(self.problems_dock.toggleViewAction())

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("&About curriculum-gui", self.about))

    # --- document ------------------------------------------------------------------------------

    def _attach(self, document: Document) -> None:
        old = getattr(self, "document", None)
        if old is not None and old is not document:
            old.changed.disconnect(self.refresh)
        self.document = document
        document.changed.connect(self.refresh)
        document.path_changed.connect(self._update_title)
        document.undo_stack.cleanChanged.connect(self._update_title)
        self.undo_group.addStack(document.undo_stack)
        self.undo_group.setActiveStack(document.undo_stack)
        if old is not None and old is not document:
            self.undo_group.removeStack(old.undo_stack)
        self.refresh()
        self.canvas.fit()

    def refresh(self) -> None:
        problems = self.document.problems
        self.scene.rebuild(self.document.curriculum, problems)
        self.problems_list.clear()
        for problem in problems:
            icon = "⛔" if problem.severity is Severity.ERROR else "⚠"
            item = QListWidgetItem(f"{icon}  {problem.location}: {problem.message}")
            item.setToolTip(f"{problem.severity.value}: {problem.message}")
            self.problems_list.addItem(item)
        if not problems:
            self.problems_list.addItem(QListWidgetItem("✓  No problems"))
        errors = sum(p.severity is Severity.ERROR for p in problems)
        warnings = len(problems) - errors
        c = self.document.curriculum
        self.problems_dock.setWindowTitle(f"Problems ({errors} errors, {warnings} warnings)")
        self.summary.setText(
            f"{len(c.stages)} stages · {len(c.stage_transitions)} transitions · "
            f"{sum(len(s.policies) for s in c.stages)} policies · {len(c.metrics)} metrics"
        )
        self._update_title()

    def _update_title(self, *_: object) -> None:
        modified = "*" if self.document.is_modified else ""
        self.setWindowTitle(f"{self.document.display_name}{modified} — curriculum-gui")

    def show_view(self, name: str) -> None:
        if name not in VIEWS:
            raise CurriculumGuiError(f"unknown view {name!r} (choose from: {', '.join(VIEWS)})")
        if name == "problems":
            self.problems_dock.show()
            self.problems_dock.raise_()
        self.tabs.setCurrentWidget(self.canvas)

    # --- file actions --------------------------------------------------------------------------

    def _confirm_discard(self) -> bool:
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
        QSettings().setValue("last_dir", str(Path(path).parent))
        self.statusBar().showMessage(f"Opened {path} ({document.source_format} format)", 5000)
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        suggested = str(Path(self._last_dir()) / f"{self.document.curriculum.name or 'curriculum'}.json")
        path, _ = QFileDialog.getSaveFileName(self, "Save curriculum", suggested, FILE_FILTER)
        return bool(path) and self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        try:
            self.document.save(path)
        except CurriculumGuiError as exc:
            QMessageBox.warning(self, "Cannot save", str(exc))
            return False
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def _last_dir(self) -> str:
        return str(QSettings().value("last_dir", str(Path.home())))

    def about(self) -> None:
        QMessageBox.about(
            self,
            "About curriculum-gui",
            f"<b>curriculum-gui {__version__}</b><p>Design mouse-training curricula, manage subjects and run "
            "the trainer. Compatible with aind-behavior-curriculum 0.0.42.</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._confirm_discard():
            event.accept()
        else:
            event.ignore()
