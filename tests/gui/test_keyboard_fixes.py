"""Keyboard and editing fixes: task parameters edit their value (never their name), the Add parameter dialog
stays on screen with a huge value, Tab leaves description fields, Enter opens a transition from the priority
list, and the outline keeps its current row across edits."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLineEdit, QTreeWidget, QTreeWidgetItem

from curriculum_gui.core.problems import ItemRef
from curriculum_gui.gui.main_window import MainWindow
from curriculum_gui.gui.parameters_editor import AddParameterDialog, parse_value


def _parameter_tree(window: MainWindow, stage_id: str) -> QTreeWidget:
    window.select_item(ItemRef("stage", stage_id))
    tree = window.inspector.pages["stage"].parameters.tree
    tree.setFocus()
    return tree


def _row(tree: QTreeWidget, name: str) -> QTreeWidgetItem:
    return next(
        tree.topLevelItem(i) for i in range(tree.topLevelItemCount()) if tree.topLevelItem(i).text(0) == name
    )


def test_f2_and_a_double_click_on_the_name_edit_the_value_never_the_name(qtbot, window: MainWindow) -> None:
    tree = _parameter_tree(window, "warmup")
    item = _row(tree, "iti_s")
    tree.setCurrentItem(item, 0)
    qtbot.keyClick(tree, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor.text() == "2.0"
    editor.selectAll()
    qtbot.keyClicks(editor, "2.5")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on the next event loop turn
    qtbot.waitUntil(lambda: window.document.curriculum.stage("warmup").task.parameters["iti_s"] == 2.5)
    assert _row(tree, "iti_s").text(0) == "iti_s"

    item = _row(tree, "iti_s")
    name_cell = tree.visualRect(tree.indexFromItem(item, 0)).center()
    assert tree.indexAt(name_cell).column() == 0
    qtbot.mouseClick(
        tree.viewport(), Qt.MouseButton.LeftButton, pos=name_cell
    )  # a double-click's first press
    qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=name_cell)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor.text() == "2.5"
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    # Neither the name nor the type cell opens an editor of its own.
    for column in (0, 2):
        index = tree.indexFromItem(item, column)
        assert not tree.edit(index, QAbstractItemView.EditTrigger.SelectedClicked, None)
    assert tree.state() != QAbstractItemView.State.EditingState


def test_keyboard_reaches_the_value_left_right_enter_and_space(qtbot, window: MainWindow) -> None:
    tree = _parameter_tree(window, "warmup")
    qtbot.keyClick(tree, Qt.Key.Key_Down)
    assert tree.currentItem() is not None and tree.currentColumn() == 0
    qtbot.keyClick(tree, Qt.Key.Key_Right)
    assert tree.currentColumn() == 1
    qtbot.keyClick(tree, Qt.Key.Key_Left)
    assert tree.currentColumn() == 0
    assert tree.currentItem().isSelected()  # the whole row stays selected

    tree.setCurrentItem(_row(tree, "block_length"), 0)
    qtbot.keyClick(tree, Qt.Key.Key_Return)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor.text() == "40"
    editor.selectAll()
    qtbot.keyClicks(editor, "50")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.document.curriculum.stage("warmup").task.parameters["block_length"] == 50)
    assert type(window.document.curriculum.stage("warmup").task.parameters["block_length"]) is int

    tree = window.inspector.pages["stage"].parameters.tree
    tree.setFocus()
    tree.setCurrentItem(_row(tree, "auto_reward"), 0)
    qtbot.keyClick(tree, Qt.Key.Key_Space)
    assert window.document.curriculum.stage("warmup").task.parameters["auto_reward"] is False
    window.undo_action.trigger()
    assert window.document.curriculum.stage("warmup").task.parameters["auto_reward"] is True


def test_a_huge_value_gets_a_short_true_message_that_wraps(qtbot) -> None:
    dialog = AddParameterDialog("", set())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.name.setText("n")
    dialog.kind.setCurrentText("integer")
    dialog.value.setText("9" * 5000)
    qtbot.keyClick(dialog.value, Qt.Key.Key_Return)
    assert dialog.isVisible()  # refused
    message = dialog.error.text()
    assert "too many digits" in message and "whole number" not in message
    assert len(message) < 200
    assert dialog.error.wordWrap()
    assert dialog.width() < 1000
    dialog.grab().save("/tmp/kbfix_add_param_huge.png")
    # A list holding such a number says so too (it is valid JSON); a bad integer is still "not whole".
    with pytest.raises(ValueError, match="too many digits"):
        parse_value("[" + "9" * 5000 + "]", "list")
    with pytest.raises(ValueError, match="not a whole number"):
        parse_value("12a", "integer")


@pytest.mark.parametrize("ref", [ItemRef("stage", "warmup"), ItemRef("curriculum")])
def test_tab_leaves_the_description_field(qtbot, window: MainWindow, ref: ItemRef) -> None:
    window.select_item(ref)
    description = window.inspector.page_for(ref).description
    before = description.toPlainText()
    description.setFocus()
    qtbot.waitUntil(description.hasFocus)
    qtbot.keyClick(description, Qt.Key.Key_Tab)
    assert description.toPlainText() == before  # no tab character typed
    assert not description.hasFocus()


def test_enter_in_the_priority_list_opens_the_transition(qtbot, window: MainWindow) -> None:
    window.select_item(ItemRef("stage", "warmup"))
    priorities = window.inspector.pages["stage"].priorities.list
    priorities.setFocus()
    priorities.setCurrentRow(1)
    qtbot.keyClick(priorities, Qt.Key.Key_Return)
    assert window.inspector.ref == ItemRef("stage_transition", "t3")


def test_the_outline_keeps_its_current_row_after_an_edit(qtbot, window: MainWindow) -> None:
    outline = window.outline
    outline.setFocus()
    outline.setCurrentIndex(outline.model_.index(3, 0))
    qtbot.keyClick(outline, Qt.Key.Key_Return)
    assert window.inspector.ref == ItemRef("stage", "contrast")
    terminal = window.inspector.pages["stage"].terminal
    terminal.setFocus()
    qtbot.keyClick(terminal, Qt.Key.Key_Space)
    assert window.document.curriculum.stage("contrast").terminal
    outline.setFocus()
    assert outline.currentIndex().row() == 3
    assert outline.selectionModel().isSelected(outline.currentIndex())
    qtbot.keyClick(outline, Qt.Key.Key_Down)
    assert outline.currentIndex().row() == 4

    # A policy row, too (in an expanded stage).
    stage = outline.model_.index(3, 0)
    outline.expand(stage)
    outline.setCurrentIndex(outline.model_.index(1, 0, stage))
    window.document.undo_stack.undo()
    current = outline.currentIndex()
    assert current.parent().row() == 3 and current.row() == 1
