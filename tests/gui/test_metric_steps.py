"""Adding a metric is one undo step named after the metric (issue 15, item 12)."""

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit

from curriculum_gui.gui.main_window import MainWindow
from curriculum_gui.gui.metrics_table import NAME, UNIT


def _add_and_type(qtbot, window: MainWindow, name: str | None) -> None:
    page = window.inspector.pages["curriculum"]
    page.add_metric()
    (editor,) = page.metrics.viewport().findChildren(QLineEdit)  # the name cell, open for typing
    assert editor.text().startswith("metric_")
    if name is None:
        QTest.keyClick(editor, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: not editor.isVisible())
        return
    editor.selectAll()
    QTest.keyClicks(editor, name)
    QTest.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not editor.isVisible())  # the table commits a moment later (queued)


def test_adding_and_naming_a_metric_is_one_step(qtbot, window: MainWindow) -> None:
    stack = window.document.undo_stack
    before = [m.name for m in window.document.curriculum.metrics]
    _add_and_type(qtbot, window, "lick_rate")
    assert [m.name for m in window.document.curriculum.metrics] == [*before, "lick_rate"]
    assert [stack.text(i) for i in range(stack.count())] == ["Add metric 'lick_rate'"]
    assert window.undo_action.text().replace("&", "") == "Undo Add metric 'lick_rate'"
    stack.undo()
    assert [m.name for m in window.document.curriculum.metrics] == before
    stack.redo()
    assert [m.name for m in window.document.curriculum.metrics] == [*before, "lick_rate"]


def test_a_metric_added_without_typing_a_name_is_one_step_too(qtbot, window: MainWindow) -> None:
    stack = window.document.undo_stack
    _add_and_type(qtbot, window, None)
    assert [stack.text(i) for i in range(stack.count())] == ["Add metric 'metric_1'"]


def test_later_changes_are_steps_of_their_own_with_clear_names(qtbot, window: MainWindow) -> None:
    stack = window.document.undo_stack
    _add_and_type(qtbot, window, "lick_rate")
    table = window.inspector.pages["curriculum"].metrics
    row = len(window.document.curriculum.metrics) - 1
    table.item(row, UNIT).setText("licks/s")
    table.item(row, NAME).setText("licks")
    assert [stack.text(i) for i in range(stack.count())] == [
        "Add metric 'lick_rate'",
        "Set unit of metric 'lick_rate'",
        "Rename metric 'lick_rate' to 'licks'",
    ]
    stack.undo()
    stack.undo()
    assert window.document.curriculum.metric("lick_rate").unit == ""
