"""The subjects database in the main window: File → New Database…, Recent Databases, and the database's
name for the window title.

Only New Database… makes a new database (opening a path that does not exist is an error naming it, so a
typo never shows an empty lab). Databases are remembered without their passwords (settings are plain
text; PostgreSQL reads the password from ``~/.pgpass`` or ``PGPASSWORD``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget
from sqlalchemy.engine import URL

from ..store.engine import resolve_url, without_password
from ..store.errors import StoreError

RECENT_SETTING = "subjects/recent_databases"
MAX_RECENT = 8
SQLITE_FILTER = "SQLite database (*.sqlite3 *.sqlite *.db);;All files (*)"


def database_label(url: URL) -> str:
    """A short name for the window title: the file's name, or ``db on host`` for PostgreSQL."""
    if url.get_backend_name() == "sqlite":
        return Path(url.database or "").name
    host = f" on {url.host}" if url.host else ""
    return f"{url.database or 'PostgreSQL'}{host}"


def recent_databases() -> list[str]:
    value = QSettings().value(RECENT_SETTING, [])
    if isinstance(value, str):
        value = [value]
    return [str(v) for v in (value or []) if v]


def remember_database(url: URL) -> None:
    """Put ``url`` (without its password) first in the recent list."""
    text = without_password(url)
    recent = [r for r in recent_databases() if r != text]
    QSettings().setValue(RECENT_SETTING, [text, *recent][:MAX_RECENT])


def shown_entry(text: str) -> tuple[str, bool]:
    """How a recent database is listed, and whether it can be opened (a SQLite file still there)."""
    try:
        url = resolve_url(text)
    except StoreError:
        return text, False
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        return (str(path), True) if path.exists() else (f"{path} (missing)", False)
    return without_password(url.set(drivername=url.get_backend_name())), True


class DatabaseMenu(QObject):
    """New Database… and Recent Databases for a window that opens databases with ``open_database(db,
    create=False) -> bool``."""

    def __init__(self, parent: QWidget, open_database: Callable[..., bool]) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.open_database = open_database
        self.new_action = QAction("Ne&w Database…", parent)
        self.new_action.setStatusTip("Create a new, empty subjects database (a SQLite file) and open it")
        self.new_action.setToolTip(self.new_action.statusTip())
        self.new_action.triggered.connect(lambda _checked=False: self.new_database())
        self.recent_menu = QMenu("Recent Data&bases", parent)
        self.recent_menu.aboutToShow.connect(self.fill_recent)
        self.message: QMessageBox | None = None

    def fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = recent_databases()
        for number, text in enumerate(recent, start=1):
            label, usable = shown_entry(text)
            action = self.recent_menu.addAction(f"&{number} {label.replace('&', '&&')}")
            action.setEnabled(usable)
            action.triggered.connect(lambda _=False, db=text: self.open_database(db))
        if not recent:
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    def new_database(self, path: str | Path | None = None) -> bool:
        """Ask where (unless ``path`` is given), then create the database there and open it. An existing
        file is never replaced: that is a message, and nothing changes."""
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(
                self.parent_widget,
                "New subjects database",
                str(Path.home() / "subjects.sqlite3"),
                SQLITE_FILTER,
                options=QFileDialog.Option.DontConfirmOverwrite,
            )
            if not chosen:
                return False
            path = chosen
        path = Path(path)
        if path.exists() or path.is_symlink():
            self.message = QMessageBox(
                QMessageBox.Icon.Warning,
                "New database",
                f"{path} already exists: nothing was changed.\n\nOpen it with Subjects → Database… or "
                "File → Recent Databases, or choose a new file name.",
                QMessageBox.StandardButton.Ok,
                self.parent_widget,
            )
            self.message.open()  # window-modal, no nested event loop
            return False
        return self.open_database(str(path), create=True)
