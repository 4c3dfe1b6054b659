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

    from . import qt_messages

    qt_messages.install()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("curriculum-gui")
    app.setApplicationName("curriculum-gui")
    app.setDesktopFileName(resources.APP_ID)  # the .desktop file's name: the shell shows its icon
    from .icons import app_icon

    app.setWindowIcon(app_icon())  # every window, and the about box
    return app


def _example_document():
    """A newcomer sees a real curriculum, not an empty page: the bundled example, as an unsaved copy."""
    from .document import Document

    text = resources.example().read_text(encoding="utf-8")
    return Document(native_format.loads(text, "bundled example"), path=None)


def build_window(
    file: str | None,
    db: str | None = None,
    aind_module: str | None = None,
    python_path: tuple[str, ...] = (),
    *,
    remember_layout: bool = True,
):
    from .document import Document
    from .main_window import MainWindow

    if aind_module:
        from ..core.aind_module import open_module
        from ..core.python_rules import runner_for

        opened = open_module(aind_module, python_path)  # the person named it: its code runs
        window = MainWindow(
            Document(opened.curriculum, path=None, source_format="aind"),
            db=db,
            remember_layout=remember_layout,
        )
        window.simulate.python_rules = runner_for(modules=opened.trusted, paths=python_path)
        return window
    document = Document.open(file) if file else _example_document()
    return MainWindow(document, db=db, remember_layout=remember_layout)


def settle(rounds: int = 12) -> None:
    """Let the layouts settle: a widget that grows on being shown (wrapped text, a list sized to its
    rows) asks for another layout pass, which may ask for one more."""
    import time

    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    for _ in range(rounds):
        QApplication.processEvents()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        time.sleep(0.005)
    QApplication.processEvents()


def take_screenshot(window, path: str | Path, over=None) -> None:
    """The window as a PNG; ``over``: a dialog (or another window) drawn on top of it, centred and made to
    fit inside it, as a person sees it."""
    from PySide6.QtGui import QColor, QPainter

    window.show()
    settle()
    image = window.grab()
    if over is not None:
        margin = 40
        over.resize(
            min(over.width(), window.width() - 2 * margin), min(over.height(), window.height() - 2 * margin)
        )
        over.show()
        settle()
        top = over.grab()
        x, y = max((image.width() - top.width()) // 2, 0), max((image.height() - top.height()) // 2, 0)
        painter = QPainter(image)
        painter.fillRect(x + 4, y + 4, top.width(), top.height(), QColor(0, 0, 0, 70))  # a shadow
        painter.drawPixmap(x, y, top)
        painter.setPen(QColor("#5f6b7a"))
        painter.drawRect(x, y, top.width() - 1, top.height() - 1)
        painter.end()
    if image.isNull() or not image.save(str(path)):
        raise CurriculumGuiError(
            f"{path}: could not write the screenshot (check the folder and the .png name)"
        )


def parse_size(text: str) -> tuple[int, int]:
    """``1280x720`` → (1280, 720)."""
    width, sep, height = text.lower().replace("×", "x").partition("x")
    if (
        not sep
        or not width.isdigit()
        or not height.isdigit()
        or not (200 <= int(width) <= 8000)
        or not (200 <= int(height) <= 8000)
    ):
        raise CurriculumGuiError(f"--size {text!r}: write WIDTHxHEIGHT in pixels, e.g. 1280x720")
    return int(width), int(height)


def run_app(
    file: str | None = None,
    screenshot: str | None = None,
    view: str | None = None,
    db: str | None = None,
    aind_module: str | None = None,
    python_path: tuple[str, ...] = (),
    size: str | None = None,
    select: str | None = None,
) -> int:
    for option, value in (("--view", view), ("--size", size), ("--select", select)):
        if value and not screenshot:
            raise CurriculumGuiError(f"{option} only applies with --screenshot")
    if screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = _application()

    if screenshot:
        from .window_layout import DEFAULT_SIZE

        # The default layout and size, whatever the last session left in the settings: the same command
        # gives the same picture. A bad file or database is an error here: one line, exit 2.
        width, height = parse_size(size) if size else (DEFAULT_SIZE.width(), DEFAULT_SIZE.height())
        window = build_window(file, db, aind_module, python_path, remember_layout=False)
        window.resize(width, height)
        over = window.show_view(view or "editor", select=select)
        take_screenshot(window, screenshot, over)
        print(f"wrote {screenshot}")
        return 0

    from PySide6.QtWidgets import QMessageBox

    if aind_module:  # a module that cannot be opened: one line, exit 2 (nothing to fall back to)
        window = build_window(None, db, aind_module, python_path)
        window.show()
        return app.exec()
    try:
        window = build_window(file, db)
    except CurriculumGuiError as exc:
        window = build_window(None, db)
        window.show()
        QMessageBox.warning(window, "Cannot open file", str(exc))
    window.show()
    window.offer_recoveries()
    return app.exec()
