"""Shared test set-up. Qt must be told to run offscreen before anything imports it."""

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="xdg-"))
# The app's default subjects database: a throwaway file, never the person's own.
os.environ["CURRICULUM_GUI_DB"] = os.path.join(tempfile.mkdtemp(prefix="db-"), "default.sqlite3")

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QStandardPaths

from curriculum_gui.core import native_format
from curriculum_gui.core.model import Curriculum

# Tests never touch the person's real settings, recovery copies or data folders.
QStandardPaths.setTestModeEnabled(True)
QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp(prefix="settings-"))

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "resources" / "examples"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def example_path() -> Path:
    return EXAMPLES / "two_choice_visual.json"


@pytest.fixture
def example(example_path: Path) -> Curriculum:
    return native_format.load(example_path)


@pytest.fixture(scope="session", autouse=True)
def _clear_clipboard_at_exit():
    """Qt's offscreen platform crashes at exit if the clipboard still holds data (copy/paste tests)."""
    yield
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is not None:
        app.clipboard().clear()
