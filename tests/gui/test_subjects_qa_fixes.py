"""QA findings on the subjects screen: a way out when the database cannot be opened at start, Undo apply
kept after a failed undo, registering in the background without losing what was typed, and keys (the
view's shortcuts, Enter on a row, the Menu key on the timeline)."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QContextMenuEvent, QKeySequence
from PySide6.QtWidgets import QApplication
from sqlalchemy import exc as sa_exc

from curriculum_gui.gui.document import Document
from curriculum_gui.gui.main_window import DB_SETTING, MainWindow
from curriculum_gui.gui.subjects import SubjectsView
from curriculum_gui.gui.subjects import dialogs as dlg
from curriculum_gui.gui.subjects.detail import BATCH_ROLE
from curriculum_gui.store import Workspace
from curriculum_gui.store.engine import readable_errors

from .conftest import wait_idle


def locked(ws: Workspace):
    """A stand-in for a store call while another program holds the write lock: the store's own message."""

    def call(*_args, **_kwargs):
        with readable_errors(ws.url):
            raise sa_exc.OperationalError(
                "BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked")
            )

    return call


def apply_all(qtbot, view: SubjectsView) -> str:
    view.evaluate()
    wait_idle(qtbot, view)
    view.apply(view.review.suggestions)
    wait_idle(qtbot, view)
    assert view.last_batch_id is not None and view.undo_apply_action.isEnabled()
    return view.last_batch_id


def activate(qtbot, widget) -> None:
    """Shortcuts and the focus widget need an active window (offscreen too)."""
    widget.window().activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget.window())


# --- 1. the database cannot be opened at start ----------------------------------------------------


@pytest.fixture
def remembered_db() -> Iterator[None]:
    """The test opens a database from the app, which remembers it: put the setting back after."""
    before = QSettings().value(DB_SETTING)
    yield
    if before is None:
        QSettings().remove(DB_SETTING)
    else:
        QSettings().setValue(DB_SETTING, before)


def test_a_database_that_cannot_be_opened_at_start_offers_another(
    qtbot, example_path: Path, demo_file: Path, tmp_path: Path, remembered_db: None
) -> None:
    bad = tmp_path / "not-a-db.sqlite3"
    bad.write_text("hello, I am a text file\n")
    good = tmp_path / "good.sqlite3"
    shutil.copy(demo_file, good)
    win = MainWindow(Document.open(example_path), db=str(bad))
    qtbot.addWidget(win)
    win.show()
    win.modes.setCurrentIndex(1)
    try:
        assert win.subjects_view is None
        text = win.subjects_message.text()
        assert "could not be opened" in text and "Database → Open" not in text and "Database…" in text
        assert win.database_button.isVisible() and win.new_database_button.isVisible()
        assert win.subjects_menu.menuAction().isVisible()  # Alt+B: the same dialog from the keyboard
        shown = [a.text() for a in win.subjects_menu.actions() if not a.isSeparator()]
        assert shown == ["&Database…", "Ne&w Database…", "Recent Data&bases"]

        win.database_button.click()
        dialog = win.findChild(dlg.DatabaseDialog)
        assert dialog is not None and dialog.isVisible() and dialog.url.text() == str(bad)
        dialog.url.setText(str(tmp_path / "a-folder-not-a-file"))
        (tmp_path / "a-folder-not-a-file").mkdir()
        dialog.accept()
        assert win.subjects_view is None and "folder" in win.subjects_message.text()  # says why, again

        dialog = win.choose_database()
        dialog.url.setText(str(good))
        dialog.accept()
        view = win.subjects_view
        assert isinstance(view, SubjectsView) and win.modes.currentWidget() is view
        qtbot.waitUntil(lambda: view.loaded, timeout=30_000)  # read on the thread pool
        assert view.model.rowCount() == 24 and win.workspace.url.database == str(good)
        assert win.remembered_db() == f"sqlite+pysqlite:///{good}"
        assert view.database_action in win.subjects_menu.actions()  # now the view's actions
    finally:
        win.document.undo_stack.clear()
        win.close()


# --- 2. Undo apply after a failed undo ------------------------------------------------------------


def test_undo_apply_is_kept_when_the_database_is_locked(
    qtbot, view: SubjectsView, ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = apply_all(qtbot, view)
    label = view.undo_apply_action.text()
    monkeypatch.setattr(ws, "revert_batch", locked(ws))
    view.undo_apply_action.trigger()
    wait_idle(qtbot, view)
    assert view.last_batch_id == batch and view.undo_apply_action.isEnabled()
    assert view.undo_apply_action.text() == label
    text = view.banner.text()
    assert view.banner.level == "error" and "locked by another program" in text
    assert text.count("try again") == 1, text

    monkeypatch.undo()  # the lock is gone: the same button undoes the batch
    view.undo_apply_action.trigger()
    wait_idle(qtbot, view)
    assert view.banner.level == "ok" and "back where they were" in view.banner.text()
    assert view.last_batch_id is None and not view.undo_apply_action.isEnabled()
    assert all(ws.history(s)[-1].kind == "revert" for s in ws.batch_subjects(batch))


def test_undo_apply_after_a_change_in_this_window_is_not_blamed_on_another_rig(
    qtbot, view: SubjectsView, ws: Workspace
) -> None:
    batch = apply_all(qtbot, view)
    subject = view.last_batch[0]
    view.select_subjects([subject])
    dialog = view.override_dialog()
    dialog.stage.setCurrentIndex(dialog.stage.findData("habituation"))
    dialog.reason.setText("me, here")
    dialog.accept()
    wait_idle(qtbot, view)
    assert view.undo_apply_action.text() == "Undo override (1)"  # the last batch made here
    view.undo_batch(batch, None)  # the apply, as from its timeline
    wait_idle(qtbot, view)
    text = view.banner.text()
    assert view.banner.level == "error" and subject in text and "nothing was reverted" in text
    assert "another rig" not in text.lower()
    view.undo_apply_action.trigger()  # the override itself can still be undone
    wait_idle(qtbot, view)
    assert view.banner.level == "ok" and "Undid the override" in view.banner.text()
    assert not view.undo_apply_action.isEnabled()


# --- 3. register in the background, and what was typed is kept -----------------------------------


def test_register_runs_off_the_gui_thread(
    qtbot, view: SubjectsView, ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    register = ws.register

    def recording(*args, **kwargs):
        threads.append(threading.current_thread())
        return register(*args, **kwargs)

    monkeypatch.setattr(ws, "register", recording)
    dialog = view.register_dialog()
    dialog.ids.setPlainText("N1\nN2")
    dialog.accept()
    assert view.busy and not view.register_action.isEnabled()  # the window is not waiting on the lock
    wait_idle(qtbot, view)
    assert threads and threads[0] is not threading.main_thread()
    assert ws.subject("N2").on_curriculum and view.model.row_of("N2") is not None
    assert [r.subject for r in view.selected_rows()] == ["N1", "N2"]
    assert view.banner.level == "ok" and "Registered 2 subject(s)" in view.banner.text()


def test_a_failed_register_keeps_the_typed_ids(qtbot, view: SubjectsView, ws: Workspace) -> None:
    pasted = "\n".join(f"R{i:02d}" for i in range(1, 21))
    dialog = view.register_dialog()
    dialog.ids.setPlainText(pasted)
    with Workspace.open(ws.url.database) as other_rig:  # another rig registers R07 meanwhile
        other_rig.register(["R07"], ws.versions()[-1].id)
    dialog.accept()
    wait_idle(qtbot, view)
    assert "R07" in view.banner.text() and view.banner.level == "error"
    assert view.dialog is dialog and dialog.isVisible()
    assert dialog.ids.toPlainText() == pasted
    assert "Already registered: R07" in dialog.hint.text() and not dialog.ok_button.isEnabled()
    assert ws.subjects(["R01"]) == []  # all or nothing

    dialog.ids.setPlainText(pasted.replace("R07\n", ""))
    dialog.accept()
    wait_idle(qtbot, view)
    assert view.dialog is None and len(ws.subjects([f"R{i:02d}" for i in range(1, 21)])) == 20


def test_register_on_a_locked_database_keeps_the_dialog(
    qtbot, view: SubjectsView, ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ws, "register", locked(ws))
    dialog = view.register_dialog()
    dialog.ids.setPlainText("N1, N2")
    dialog.accept()
    wait_idle(qtbot, view)
    assert "locked" in view.banner.text() and view.banner.text().count("try again") == 1
    assert view.dialog is dialog and dialog.isVisible() and dialog.ok_button.isEnabled()
    assert dialog.ids.toPlainText() == "N1, N2"
    monkeypatch.undo()
    dialog.accept()  # OK again, once the lock is gone
    wait_idle(qtbot, view)
    assert ws.subject("N1").on_curriculum and view.dialog is None


# --- 4. keys --------------------------------------------------------------------------------------

KEYED = ("register", "import", "evaluate", "override", "revert", "export", "copy", "refresh")


def test_daily_actions_have_shortcuts_shown_in_tooltips_and_scoped_to_the_view(
    qtbot, window: MainWindow
) -> None:
    window.modes.setCurrentIndex(1)
    view = window.subjects_view
    assert isinstance(view, SubjectsView)
    window_wide = {
        key.toString()
        for action in window.findChildren(type(view.register_action))
        if action.shortcutContext()
        in (Qt.ShortcutContext.WindowShortcut, Qt.ShortcutContext.ApplicationShortcut)
        for key in action.shortcuts()
    }
    for name in KEYED:
        action = getattr(view, f"{name}_action")
        key = action.shortcut()
        assert not key.isEmpty(), name
        assert action.shortcutContext() == Qt.ShortcutContext.WidgetWithChildrenShortcut
        assert f"({key.toString(QKeySequence.SequenceFormat.NativeText)})" in action.toolTip(), name
        assert key.toString() not in window_wide, name
    menu = window.subjects_menu.actions()
    for action in (view.eject_action, view.reenroll_action, view.undo_apply_action, view.database_action):
        assert action in menu  # the rarer ones: Alt+B


def test_shortcuts_work_while_the_focus_is_in_the_view(qtbot, view: SubjectsView) -> None:
    activate(qtbot, view)
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(view.dialog, dlg.RegisterDialog)
    view.dialog.reject()
    qtbot.keyClick(view.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.filter.hasFocus()
    view.select_subjects(["M05"])
    view.table.setFocus()
    qtbot.keyClick(
        view.table, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert isinstance(view.dialog, dlg.OverrideDialog)
    view.dialog.reject()


def test_enter_on_a_row_opens_the_subject(qtbot, view: SubjectsView) -> None:
    activate(qtbot, view)
    view.select_subjects(["M05"])
    view.table.setCurrentIndex(view.table.selectionModel().selectedRows()[0])
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert view.tabs.currentWidget() is view.subject_page and view.subject_page.subject == "M05"


def menu_opened_by(qtbot, send: Callable[[], object]) -> list[QAction]:
    """The actions of the context menu ``send`` opens, which is then closed: shown with ``popup()`` or
    ``exec()`` (whose loop runs the timer, instead of waiting for a click)."""
    seen: list[list[QAction]] = []

    def look() -> None:
        menu = QApplication.activePopupWidget()
        if menu is not None:
            seen.append(menu.actions())
            menu.close()

    QTimer.singleShot(0, look)
    send()
    qtbot.waitUntil(lambda: bool(seen))
    return seen[0]


def test_menu_key_on_the_timeline_is_for_the_current_row(qtbot, view: SubjectsView) -> None:
    batch = apply_all(qtbot, view)
    view.select_subjects([view.last_batch[0]])
    detail = view.detail
    timeline = detail.timeline
    activate(qtbot, view)
    timeline.setFocus()
    newest = timeline.topLevelItem(0)
    assert newest.data(0, BATCH_ROLE)[0] == batch
    timeline.setCurrentItem(newest)
    # Where Qt puts a keyboard context menu event: the focus widget's input cursor, in the tree's own
    # coordinates (which, read as the viewport's, fall on another row).
    pos = timeline.inputMethodQuery(Qt.InputMethodQuery.ImCursorRectangle).center()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, pos, timeline.mapToGlobal(pos))
    undo = menu_opened_by(qtbot, lambda: QApplication.sendEvent(timeline, event))[0]
    assert undo.text() == "&Undo this trainer batch…" and undo.isEnabled()
    with qtbot.waitSignal(detail.undo_batch_requested) as asked:
        undo.trigger()
    assert asked.args[0] == batch  # this row's batch, not another row's
    view.dialog.reject()

    # the mouse: the row under it (the oldest, enrolled: not a batch)
    oldest = timeline.topLevelItem(timeline.topLevelItemCount() - 1)
    timeline.scrollToItem(oldest)
    at = timeline.visualItemRect(oldest).center()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at, timeline.viewport().mapToGlobal(at))
    undo = menu_opened_by(qtbot, lambda: QApplication.sendEvent(timeline.viewport(), event))[0]
    assert not undo.isEnabled()
