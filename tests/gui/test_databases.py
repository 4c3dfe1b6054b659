"""The subjects database in the main window: a mistyped or vanished database is an error naming it (never
a new empty one), File → New Database… makes one, the window title names the database, and recent
databases are listed (without passwords)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from curriculum_gui.gui.databases import RECENT_SETTING, database_label, recent_databases, remember_database
from curriculum_gui.gui.document import Document
from curriculum_gui.gui.main_window import DB_SETTING, MainWindow
from curriculum_gui.store.engine import resolve_url


@pytest.fixture
def settings_back() -> Iterator[None]:
    """These tests open databases from the app, which remembers them: put the settings back after."""
    saved = {key: QSettings().value(key) for key in (DB_SETTING, RECENT_SETTING)}
    yield
    for key, value in saved.items():
        if value is None:
            QSettings().remove(key)
        else:
            QSettings().setValue(key, value)


@pytest.fixture
def win(qtbot, example_path: Path, settings_back: None) -> Iterator[MainWindow]:
    window = MainWindow(Document.open(example_path), db=None)
    qtbot.addWidget(window)
    window.show()
    yield window
    window.document.undo_stack.clear()
    window.close()


def test_a_remembered_database_that_vanished_is_not_recreated(
    qtbot, example_path: Path, tmp_path: Path, settings_back: None
) -> None:
    gone = tmp_path / "moved-away.sqlite3"
    QSettings().setValue(DB_SETTING, f"sqlite+pysqlite:///{gone}")
    window = MainWindow(Document.open(example_path))
    qtbot.addWidget(window)
    window.show()
    try:
        window.modes.setCurrentIndex(1)
        assert window.subjects_view is None and not gone.exists()
        text = window.subjects_message.text()
        assert f"no database file at {gone}" in text and "New Database…" in text
        assert window.new_database_button.isVisible()
    finally:
        window.document.undo_stack.clear()
        window.close()


def test_new_database_makes_one_opens_it_and_remembers_it(qtbot, win: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "lab" / "rig-room.sqlite3"
    path.parent.mkdir()
    assert win.databases.new_action in win.menuBar().actions()[0].menu().actions()  # in the File menu
    assert win.databases.new_database(path)
    view = win.subjects_view
    assert view is not None and win.modes.currentWidget() is view and view.model.rowCount() == 0
    assert path.exists() and win.workspace.url.database == str(path)
    assert "Created" in view.banner.text() and "register mice" in view.banner.text()
    assert "rig-room.sqlite3" in win.windowTitle() and "two_choice_visual" in win.windowTitle()
    assert recent_databases()[0] == f"sqlite+pysqlite:///{path}"
    assert win.remembered_db() == f"sqlite+pysqlite:///{path}"


def test_new_database_never_replaces_a_file(qtbot, win: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "precious.sqlite3"
    path.write_text("not mine to overwrite")
    assert not win.databases.new_database(path)
    message = win.databases.message
    assert isinstance(message, QMessageBox) and "already exists: nothing was changed" in message.text()
    message.close()
    assert path.read_text() == "not mine to overwrite" and win.subjects_view is None


def _open(qtbot, win: MainWindow, db: Path) -> bool:
    """``win.open_database``, then wait for the subjects read on the thread pool (the window never waits)."""
    opened = win.open_database(str(db))
    if win.subjects_view is not None:
        qtbot.waitUntil(lambda: win.subjects_view.loaded and not win.subjects_view.busy, timeout=30_000)
    return opened


def test_recent_databases_open_again(qtbot, win: MainWindow, demo_file: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first.sqlite3", tmp_path / "second.sqlite3"
    shutil.copy(demo_file, first)
    shutil.copy(demo_file, second)
    assert _open(qtbot, win, first) and _open(qtbot, win, second)
    assert "second.sqlite3" in win.windowTitle()
    remember_database(resolve_url("postgresql://rig:s3cret@db.lab.org/mice"))
    win.databases.fill_recent()
    entries = [a for a in win.databases.recent_menu.actions() if not a.isSeparator()]
    texts = [a.text() for a in entries]
    assert texts[0] == "&1 postgresql://rig@db.lab.org/mice" and all("s3cret" not in t for t in texts)
    assert texts[1:3] == [f"&2 {second}", f"&3 {first}"]
    entries[2].trigger()  # the first database again, from the menu
    qtbot.waitUntil(lambda: not win.subjects_view.busy, timeout=30_000)
    assert win.workspace.url.database == str(first) and "first.sqlite3" in win.windowTitle()

    second.rename(tmp_path / "elsewhere.sqlite3")  # not open any more: listed, but not offered
    win.databases.fill_recent()
    missing = [a for a in win.databases.recent_menu.actions() if str(second) in a.text()]
    assert missing and "(missing)" in missing[0].text() and not missing[0].isEnabled()


def test_opening_a_mistyped_database_from_the_window_keeps_the_open_one(
    qtbot, win: MainWindow, demo_file: Path, tmp_path: Path
) -> None:
    good = tmp_path / "good.sqlite3"
    shutil.copy(demo_file, good)
    assert _open(qtbot, win, good)
    typo = tmp_path / "godo.sqlite3"
    assert not _open(qtbot, win, typo)
    assert not typo.exists() and win.workspace.url.database == str(good)
    assert f"no database file at {typo}" in win.subjects_view.banner.text()
    assert "good.sqlite3" in win.windowTitle()


def test_database_label() -> None:
    assert database_label(resolve_url("/data/lab.sqlite3")) == "lab.sqlite3"
    assert database_label(resolve_url("postgresql://rig:pw@db.lab.org/mice")) == "mice on db.lab.org"


def test_the_rig_tab_is_built_after_the_subjects_tab_and_shows_as_before(
    qtbot, example_path: Path, demo_file: Path, settings_back: None
) -> None:
    """Opening the Subjects tab builds the Rig tab a turn later (not in the same hold of the window);
    going to the Rig tab before or after that, it has its own operator button and the scan field."""
    window = MainWindow(Document.open(example_path), db=str(demo_file))
    qtbot.addWidget(window)
    window.show()
    try:
        window.modes.setCurrentIndex(1)
        assert window.subjects_view is not None and window.rig_tab.view is None
        window.modes.setCurrentIndex(2)  # before the Rig tab is built (it is, on the next turn)
        qtbot.waitUntil(lambda: window.rig_tab.view is not None, timeout=5000)
        assert window.modes.currentWidget() is window.rig_tab.view
        assert not window.rig_tab.operator_button.isVisible()  # the Rig tab has its own
        qtbot.waitUntil(lambda: window.rig_tab.view.scan.hasFocus(), timeout=5000)
        window.modes.setCurrentIndex(1)
        assert window.rig_tab.operator_button.isVisible()
    finally:
        window.document.undo_stack.clear()
        window.close()
