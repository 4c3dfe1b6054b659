"""Start the application, or render one view offscreen to a PNG (``--screenshot``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .. import resources
from ..core import native_format
from ..core.errors import CurriculumGuiError


def _application():
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("curriculum-gui")
    app.setApplicationName("curriculum-gui")
    return app


def _example_document():
    """A newcomer sees a real curriculum, not an empty page: the bundled example, as an unsaved copy."""
    from .document import Document

    text = resources.example().read_text(encoding="utf-8")
    return Document(native_format.loads(text, "bundled example"), path=None)


def build_window(file: str | None, db: str | None = None):
    from .document import Document
    from .main_window import MainWindow

    document = Document.open(file) if file else _example_document()
    return MainWindow(document, db=db)


def take_screenshot(window, path: str | Path) -> None:
    from PySide6.QtWidgets import QApplication

    window.show()
    for _ in range(3):
        QApplication.processEvents()
    image = window.grab()
    if image.isNull() or not image.save(str(path)):
        raise CurriculumGuiError(
            f"{path}: could not write the screenshot (check the folder and the .png name)"
        )


def run_app(
    file: str | None = None, screenshot: str | None = None, view: str | None = None, db: str | None = None
) -> int:
    if view and not screenshot:
        raise CurriculumGuiError("--view only applies with --screenshot")
    if screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = _application()

    if screenshot:
        window = build_window(file, db)  # a bad file or database is an error here: one line, exit 2
        window.show_view(view or "editor")
        take_screenshot(window, screenshot)
        print(f"wrote {screenshot}")
        return 0

    from PySide6.QtWidgets import QMessageBox

    try:
        window = build_window(file, db)
    except CurriculumGuiError as exc:
        window = build_window(None, db)
        window.show()
        QMessageBox.warning(window, "Cannot open file", str(exc))
    window.show()
    window.offer_recoveries()
    return app.exec()
