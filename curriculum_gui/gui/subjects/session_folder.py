"""Import one session's data folder (Subjects → Import folder…, or a folder dropped on the view): the
subject's stage's aind ``metrics_provider`` reads it, as aind's ``curriculum run`` does.

That runs the package's code, so the dialog names the function and its package and asks for the package to
be trusted for this import (OK stays disabled until it is); the import itself runs off the GUI thread and
goes through the store's usual import path (one session row, reported like a file's).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ...core.python_rules import runner_for
from .dialogs import _Dialog


class SessionFolderDialog(_Dialog):
    def __init__(
        self, ws: Any, subjects: list[str], subject: str | None, folder: str = "", parent=None
    ) -> None:
        super().__init__("Import a session folder", "Import", parent)
        self.ws = ws
        self.folder = QLineEdit(folder)
        self.folder.setPlaceholderText("the session's data folder")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        holder = QWidget()
        holder.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        self.subject = QComboBox()
        self.subject.addItems(subjects)
        if subject in subjects:
            self.subject.setCurrentText(subject)
        self.session = QLineEdit()
        self.session.setPlaceholderText("default: the folder's name")
        self.date = QDateEdit(QDate.currentDate())
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.reader = QLabel()
        self.reader.setWordWrap(True)
        self.trust = QCheckBox()
        self.setMinimumWidth(560)
        self.form.addRow("&Folder:", holder)
        self.form.addRow("S&ubject:", self.subject)
        self.form.addRow("&Session id:", self.session)
        self.form.addRow("&Date:", self.date)
        self.form.addRow("Read by:", self.reader)
        self.form.addRow("", self.trust)
        self.folder.textChanged.connect(self.validate)
        self.subject.currentTextChanged.connect(self._subject_changed)
        self.trust.toggled.connect(self.validate)
        self.provider: str | None = None
        self._why_not = ""
        self.finish()
        self._subject_changed()

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Session folder", self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def _subject_changed(self) -> None:
        """Which metrics_provider would read the folder (the subject's current stage's), and its package."""
        self.provider, self._why_not = None, ""
        subject = self.subject.currentText()
        try:
            row = self.ws.subject(subject) if subject else None
            stage = (
                self.ws.curriculum(row.curriculum_version_id).stage(row.stage_id)
                if row and row.stage_id
                else None
            )
        except Exception as exc:  # the database: said under the form
            stage, self._why_not = None, str(exc)
        if stage is None:
            self._why_not = self._why_not or f"{subject or 'the subject'} is on no stage (off curriculum)"
        elif not stage.metrics_provider:
            self._why_not = f"stage {stage.name!r} names no metrics_provider: import a metrics file instead"
        else:
            self.provider = stage.metrics_provider
        package = self.package
        self.reader.setText(
            f"{self.provider.rpartition('.')[2]}() in {self.provider.rpartition('.')[0]} (the stage's "
            "metrics_provider): reading the folder runs the package's code"
            if self.provider
            else "—"
        )
        self.trust.setText(f"&Trust {package} for this import" if package else "Trust the package's code")
        self.trust.setEnabled(bool(package))
        self.trust.setChecked(False)
        self.validate()

    @property
    def package(self) -> str | None:
        return self.provider.split(".")[0] if self.provider else None

    def problem(self) -> str | None:
        folder = self.folder.text().strip()
        if not folder:
            return "Choose the session's data folder."
        if not Path(folder).is_dir():
            return f"{folder} is not a folder."
        if getattr(self, "_why_not", ""):
            return self._why_not
        if not self.trust.isChecked():
            return "Reading the folder runs the package's code: tick the box to trust it."
        return None

    def request(self) -> tuple[str, str, Any, str | None, date]:
        """(subject, folder, runner, session id or None, date)."""
        session = self.session.text().strip() or None
        return (
            self.subject.currentText(),
            self.folder.text().strip(),
            runner_for(modules=[self.package or ""]),
            session,
            self.date.date().toPython(),
        )


def import_folder(view: Any, folder: str | Path | None = None) -> None:
    """Ask (subject, session, date, trust), then import through the store off the GUI thread."""
    selected = [r.subject for r in view.selected_rows()]
    dialog = SessionFolderDialog(
        view.ws, [r.subject for r in view.rows], selected[0] if selected else None, str(folder or ""), view
    )

    def go() -> None:
        subject, path, runner, session, on = dialog.request()
        ws = view.ws
        view._run(
            f"Reading {Path(path).name}…",
            lambda _progress: ws.import_session_folder(subject, path, runner, session, on),
            view._imported,
            reload=True,  # the table is read again on the job's thread, as after any import
        )

    view._open(dialog, go)
