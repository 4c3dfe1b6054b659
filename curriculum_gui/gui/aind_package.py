"""File → Open aind Package…: a lab's real curricula straight from the installed Python package that defines
them, and the declared metrics read from the package's ``Metrics`` class once its rules are trusted.

Both import the package (its code runs), so both happen only on the person's word, off the GUI thread
(importing a package such as AIND's VR foraging curricula takes seconds), with a busy message meanwhile.
Which modules of a package hold a curriculum is listed from their source, without importing anything.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core import edits
from ..core.aind_metrics import declared_metrics, merge_declared, metrics_class
from ..core.aind_module import AindModuleError, OpenedModule, find_curricula, open_module
from ..core.errors import CurriculumGuiError
from ..core.python_rules import runner_for
from .document import Document
from .subjects import worker


class OpenAindPackageDialog(QDialog):
    """Asks which module to open (typed, or chosen among the curricula a package holds)."""

    def __init__(self, parent: QWidget | None = None, module: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Open aind package")
        self.setMinimumWidth(560)
        intro = QLabel(
            "Open a curriculum from the installed Python package that defines it (its "
            "<code>CURRICULUM</code> or <code>construct_curriculum()</code>), e.g. "
            "<code>aind_behavior_vr_foraging_curricula</code>.<p><b>Opening runs the package's code</b> "
            "(it builds the curriculum in Python), and its rules are then trusted for this document. "
            "Open only packages you trust.</p>"
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        self.module = QLineEdit(module)
        self.module.setPlaceholderText("package.module")
        self.find_button = QPushButton("&List curricula")
        self.find_button.setToolTip("The modules of this package that define a curriculum (read, not run)")
        self.find_button.clicked.connect(self.list_curricula)
        row = QHBoxLayout()
        row.addWidget(QLabel("&Module:"))
        row.itemAt(0).widget().setBuddy(self.module)
        row.addWidget(self.module, 1)
        row.addWidget(self.find_button)
        self.found = QListWidget()
        self.found.setMaximumHeight(180)
        self.found.currentTextChanged.connect(lambda text: text and self.module.setText(text))
        self.found.itemActivated.connect(lambda _item: self.accept())
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.found)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.module.textChanged.connect(self._update)
        self.module.returnPressed.connect(self.list_curricula)
        self._update()

    def _update(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Open).setEnabled(bool(self.module.text().strip()))

    def list_curricula(self) -> None:
        name = self.module.text().strip()
        self.found.clear()
        try:
            found = find_curricula(name.split(".")[0] if "." not in name else name)
        except AindModuleError as exc:
            self.message.setText(str(exc))
            return
        if not found and "." in name:
            found = find_curricula(name.split(".")[0])
        self.found.addItems(found)
        self.message.setText(
            f"{len(found)} curriculum module(s) found: choose one, then Open."
            if found
            else f"No module of {name!r} defines CURRICULUM or construct_curriculum()."
        )

    def chosen(self) -> str:
        return self.module.text().strip()


def ask_and_open(window: Any) -> None:
    """The File menu's action: confirm unsaved changes, ask for the module, open it."""
    if not window._confirm_discard():
        return
    dialog = OpenAindPackageDialog(window)
    if dialog.exec() == QDialog.DialogCode.Accepted and dialog.chosen():
        open_in_window(window, dialog.chosen())


def open_in_window(window: Any, module: str, synchronous: bool = False) -> Any:
    """Import ``module`` off the GUI thread and show its curriculum as a new, unsaved document whose
    Python rules are trusted (the person chose the package)."""

    def job(_progress: Any) -> OpenedModule:
        return open_module(module)

    def done(opened: OpenedModule) -> None:
        window.statusBar().clearMessage()
        window._attach(Document(opened.curriculum, path=None, source_format="aind"))
        window.simulate.python_rules = runner_for(modules=opened.trusted)
        note = f" (declared metrics not read: {opened.metrics_note})" if opened.metrics_note else ""
        window.statusBar().showMessage(
            f"Opened {opened.curriculum.name} from {module}; its Python rules are trusted for this "
            f"document{note}",
            12000,
        )

    def failed(exc: Exception) -> None:
        from PySide6.QtWidgets import QMessageBox

        window.statusBar().clearMessage()
        text = str(exc) if isinstance(exc, CurriculumGuiError) else f"{type(exc).__name__}: {exc}"
        QMessageBox.warning(window, "Cannot open package", html.escape(text))

    if synchronous:
        try:
            done(job(None))
        except Exception as exc:
            failed(exc)
        return None
    window.statusBar().showMessage(f"Opening {module} (importing the package)…")
    window._package_task = worker.start(job, done, failed, context=window)
    return window._package_task


def fill_package_metrics(window: Any, runner: Any, synchronous: bool = False) -> None:
    """Once a document's rules are trusted: declare the metrics its package's ``Metrics`` class names
    (one undoable step; the person's own metrics are kept). Nothing happens when there is no such class."""
    document = window.document
    curriculum = document.curriculum.model_copy(deep=True)

    def job(_progress: Any) -> list:
        cls = metrics_class(curriculum, runner)
        return declared_metrics(cls) if cls is not None else []

    def done(metrics: list) -> None:
        if window.document is not document or not metrics:
            return
        merged = merge_declared(list(document.curriculum.metrics), metrics)
        if merged != document.curriculum.metrics:
            document.apply(edits.set_metrics(merged, text="Declare the package's metrics"))
            window.statusBar().showMessage(f"Declared {len(metrics)} metrics read from the package", 8000)

    def failed(exc: Exception) -> None:
        reason = getattr(exc, "reason", None) or str(exc)
        window.statusBar().showMessage(f"Declared metrics not read from the package: {reason}", 10000)

    if synchronous:
        try:
            done(job(None))
        except Exception as exc:
            failed(exc)
        return
    window._metrics_task = worker.start(job, done, failed, context=window)
