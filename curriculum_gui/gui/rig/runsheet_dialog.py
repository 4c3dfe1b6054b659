"""File → Run sheet…: the day's run sheet for one rig or all, previewed, saved as HTML (to print from a
browser) or CSV, or opened in the browser directly."""

from __future__ import annotations

import contextlib
import tempfile
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ...core import runsheet
from ...core.errors import CurriculumGuiError
from ...core.native_format import atomic_write_text

ALL_RIGS = "All rigs"


class RunSheetDialog(QDialog):
    def __init__(self, workspace, day: date, rig: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Run sheet")
        self.ws = workspace
        self.entries: list[runsheet.RunSheetEntry] = []
        self.html = ""
        self.day_edit = QDateEdit(QDate(day.year, day.month, day.day))
        self.day_edit.setCalendarPopup(True)
        self.day_edit.setDisplayFormat("ddd d MMM yyyy")
        self.rig = QComboBox()
        self.rig.addItem(ALL_RIGS)
        with contextlib.suppress(CurriculumGuiError):  # the preview below says what is wrong
            self.rig.addItems([r.name for r in workspace.rigs()])
        if rig:
            self.rig.setCurrentText(rig)
        self.preview = QTextBrowser()
        self.preview.setOpenLinks(False)
        self.message = QLabel()
        self.message.setWordWrap(True)
        save_html = QPushButton("Save &HTML…")
        save_html.clicked.connect(lambda: self.save("html"))
        save_csv = QPushButton("Save &CSV…")
        save_csv.clicked.connect(lambda: self.save("csv"))
        browser = QPushButton("Open in &browser (print)")
        browser.clicked.connect(self.open_in_browser)
        top = QHBoxLayout()
        for text, widget in (("&Day:", self.day_edit), ("&Rig:", self.rig)):
            label = QLabel(text)
            label.setBuddy(widget)
            top.addWidget(label)
            top.addWidget(widget)
        top.addStretch(1)
        for button in (browser, save_html, save_csv):
            button.setAutoDefault(False)
            top.addWidget(button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.message)
        layout.addWidget(close)
        self.day_edit.dateChanged.connect(lambda _d: self.build())
        self.rig.currentIndexChanged.connect(lambda _i: self.build())
        self.resize(1100, 760)
        self.build()

    @property
    def day(self) -> date:
        return self.day_edit.date().toPython()

    def build(self) -> None:
        rig = None if self.rig.currentText() == ALL_RIGS else self.rig.currentText()
        try:
            self.entries = self.ws.run_sheet(self.day, rig)
            threshold = self.ws.weight_threshold()
        except CurriculumGuiError as exc:
            self.message.setText(f"Cannot read the run sheet: {exc}")
            return
        self.html = runsheet.to_html(self.day, self.entries, threshold)
        self.preview.setHtml(self.html)
        rigs = len({e.rig for e in self.entries})
        self.message.setText(f"{runsheet.mice(len(self.entries))} on {rigs} rig(s).")

    def save(self, fmt: str, path: str | None = None) -> bool:
        if path is None:
            name = f"runsheet-{self.day.isoformat()}.{fmt}"
            path, _ = QFileDialog.getSaveFileName(
                self, "Save the run sheet", name, f"{fmt.upper()} (*.{fmt})"
            )
            if not path:
                return False
        text = runsheet.to_csv(self.day, self.entries) if fmt == "csv" else self.html
        try:
            atomic_write_text(path, text)
        except CurriculumGuiError as exc:
            self.message.setText(str(exc))
            return False
        self.message.setText(f"Saved {path}.")
        return True

    def open_in_browser(self) -> Path | None:
        """Write the HTML to a temporary file and open it in the default browser (to print from there)."""
        folder = Path(tempfile.gettempdir()) / "curriculum-gui"
        folder.mkdir(exist_ok=True)
        path = folder / f"runsheet-{self.day.isoformat()}.html"
        if not self.save("html", str(path)):
            return None
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.message.setText(f"No browser could be opened: the run sheet is in {path}.")
        return path
