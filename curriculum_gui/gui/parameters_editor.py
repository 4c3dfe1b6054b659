"""A typed form for a stage's task parameters: numbers, booleans, text, lists and nested groups.

Each value keeps its type when edited (typing "abc" into a number is refused with a message, not stored as
text). Changes leave as signals with the parameter's path; the inspector turns them into undoable edits.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import LoadError
from ..core.native_format import parse_json_bytes
from ..core.rules.functions import short_repr

PATH_ROLE = Qt.ItemDataRole.UserRole + 1
VALUE_COLUMN = 1
TYPES = ("number", "integer", "boolean", "text", "list", "group")


def type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "group"
    return "list"


def parse_value(text: str, kind: str) -> Any:
    """Text typed by a person → a value of ``kind``; ValueError with a readable message otherwise."""
    text = text.strip()
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            digits = text.lstrip("+-").replace("_", "")
            if digits.isdigit():  # well formed, but past Python's int conversion limit
                raise ValueError(
                    f"{short_repr(text)} has too many digits ({len(digits)}; "
                    f"at most {sys.get_int_max_str_digits()})"
                ) from None
            raise ValueError(f"{short_repr(text)} is not a whole number") from None
    if kind == "number":
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{short_repr(text)} is not a number") from None
        if not math.isfinite(value):
            raise ValueError("the value must be a finite number")
        return value
    if kind == "boolean":
        lowered = text.lower()
        if lowered in ("true", "yes", "1", "on"):
            return True
        if lowered in ("false", "no", "0", "off"):
            return False
        raise ValueError(f"{short_repr(text)} is not true or false")
    if kind == "list":
        try:  # as defensively as a file: nesting, NaN, huge numbers, text that is not Unicode
            value = parse_json_bytes((text or "[]").encode("utf-8", "surrogatepass"), "the list")
        except LoadError as exc:
            if "invalid JSON" in exc.reason:
                raise ValueError("a list is written as JSON, e.g. [1, 2, 3]") from None
            if "digits" in exc.reason:
                raise ValueError("a number in the list has too many digits") from None
            raise ValueError(f"this list cannot be kept: it {exc.reason}") from None
        if not isinstance(value, list):
            raise ValueError("a list is written as JSON, e.g. [1, 2, 3]")
        return value
    if kind == "group":
        return {}
    return text


def show_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)


def _shape(group: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Names and types, in order: what the tree's rows depend on (values aside)."""
    return [(k, type_of(v), _shape(v) if isinstance(v, dict) else None) for k, v in group.items()]


class AddParameterDialog(QDialog):
    """Name, type and first value of a new parameter (inside the selected group, if any)."""

    def __init__(self, group: str, taken: set[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add parameter")
        self.taken = taken
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("e.g. reward_volume")
        self.kind = QComboBox(self)
        self.kind.addItems(TYPES)
        self.value = QLineEdit(self)
        self.value.setText("0")
        self.error = QLabel(self)
        self.error.setWordWrap(True)  # a long message grows the dialog down, not off the screen
        self.error.setStyleSheet("color: #c62828;")
        self.kind.currentTextChanged.connect(self._kind_changed)
        form = QFormLayout()
        form.addRow("In group:", QLabel(group or "(top level)"))
        form.addRow("&Name:", self.name)
        form.addRow("&Type:", self.kind)
        form.addRow("&Value:", self.value)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, parent=self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.result_value: Any = None

    def _kind_changed(self, kind: str) -> None:
        defaults = {
            "number": "0.0",
            "integer": "0",
            "boolean": "false",
            "text": "",
            "list": "[]",
            "group": "",
        }
        self.value.setText(defaults[kind])
        self.value.setEnabled(kind != "group")

    def accept(self) -> None:
        name = self.name.text().strip()
        if not name.isidentifier():
            self.error.setText(
                "The name must be a single word: letters, digits and _, not starting with a digit."
            )
            return
        if name in self.taken:
            self.error.setText(f"There is already a parameter {name!r} here.")
            return
        try:
            self.result_value = parse_value(self.value.text(), self.kind.currentText())
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        super().accept()


class ParameterTree(QTreeWidget):
    """The tree of parameters, in which only the Value cell is edited (names and types are changed by removing
    and adding): F2, Enter or a double-click anywhere on a row edits its value, Space toggles a boolean, and
    Left/Right move between the columns while whole rows stay selected."""

    _TO_VALUE = (
        QAbstractItemView.EditTrigger.EditKeyPressed,
        QAbstractItemView.EditTrigger.AnyKeyPressed,
        QAbstractItemView.EditTrigger.DoubleClicked,
        QAbstractItemView.EditTrigger.AllEditTriggers,
    )

    def edit(
        self,
        index: QModelIndex | QPersistentModelIndex,
        trigger: QAbstractItemView.EditTrigger = QAbstractItemView.EditTrigger.AllEditTriggers,
        event: QEvent | None = None,
    ) -> bool:
        if index.column() != VALUE_COLUMN:
            if trigger not in self._TO_VALUE:
                return False  # e.g. a click on the name of the selected row
            index = index.sibling(index.row(), VALUE_COLUMN)
        return super().edit(index, trigger, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter edits the value too (Qt's item views only do so on macOS); elsewhere (a group, a boolean)
        it does what it always does."""
        if (
            event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and self.state() != QAbstractItemView.State.EditingState
            and self.edit(self.currentIndex(), QAbstractItemView.EditTrigger.EditKeyPressed, event)
        ):
            event.accept()
            return
        super().keyPressEvent(event)

    def moveCursor(
        self, cursorAction: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        """QTreeView moves between columns only when single cells are selected; pretend so for Left/Right."""
        if cursorAction not in (
            QAbstractItemView.CursorAction.MoveLeft,
            QAbstractItemView.CursorAction.MoveRight,
        ):
            return super().moveCursor(cursorAction, modifiers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        try:
            return super().moveCursor(cursorAction, modifiers)
        finally:
            self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)


class ParametersEditor(QWidget):
    """Shows a parameter tree; emits ``parameter_set(path, value)`` and ``parameter_removed(path)``."""

    parameter_set = Signal(list, object)
    parameter_removed = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = ParameterTree(self)
        self.tree.setHeaderLabels(["Parameter", "Value", "Type"])
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setEditTriggers(
            QTreeWidget.EditTrigger.DoubleClicked
            | QTreeWidget.EditTrigger.EditKeyPressed
            | QTreeWidget.EditTrigger.SelectedClicked
        )
        self.tree.itemChanged.connect(self._item_changed)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c62828;")
        self.message.hide()
        self.add_button = QPushButton("Add…", self)
        self.add_button.setToolTip("Add a parameter (inside the selected group)")
        self.add_button.clicked.connect(self.add_dialog)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setToolTip("Remove the selected parameter (Del)")
        self.remove_button.clicked.connect(self.remove_selected)
        delete = QShortcut(QKeySequence.StandardKey.Delete, self.tree, self.remove_selected)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)  # Del elsewhere (canvas, outline) is theirs
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self._parameters: dict[str, Any] = {}
        self._filling = False

    def set_parameters(self, parameters: dict[str, Any], force: bool = False) -> None:
        """Show ``parameters`` (``force``: even if equal to what the editor last showed, e.g. to put back
        a value its owner refused)."""
        if parameters == self._parameters and self.tree.topLevelItemCount() and not force:
            return
        if _shape(parameters) == _shape(self._parameters) and self.tree.topLevelItemCount():
            # Same names and types: update values in place. Never rebuild here: this runs inside the
            # tree's own itemChanged signal, and deleting the item being edited would crash Qt.
            self._parameters = json.loads(json.dumps(parameters))
            self._filling = True
            for item in self._all_items():
                value = self._value_at(list(item.data(0, PATH_ROLE)))
                if isinstance(value, bool):
                    item.setCheckState(1, Qt.CheckState.Checked if value else Qt.CheckState.Unchecked)
                if not isinstance(value, dict):
                    item.setText(1, show_value(value))
            self._filling = False
            self.message.hide()
            return
        first = not self.tree.topLevelItemCount()  # a first fill opens every group
        expanded = {tuple(i.data(0, PATH_ROLE)) for i in self._all_items() if i.isExpanded()}
        self._parameters = json.loads(json.dumps(parameters))
        self._filling = True
        self.tree.clear()
        self._fill(self.tree.invisibleRootItem(), parameters, [])
        for item in self._all_items():
            # Groups only: a leaf marked expanded makes Left "collapse" it instead of moving the cursor.
            if item.childCount() and (first or tuple(item.data(0, PATH_ROLE)) in expanded):
                item.setExpanded(True)
        self.tree.resizeColumnToContents(0)
        self._filling = False
        self.message.hide()

    def _fill(self, parent: QTreeWidgetItem, group: dict[str, Any], path: list[str]) -> None:
        for name, value in group.items():
            item = QTreeWidgetItem(parent, [name, "", type_of(value)])
            item.setData(0, PATH_ROLE, [*path, name])
            kind = type_of(value)
            if kind == "group":
                self._fill(item, value, [*path, name])
            elif kind == "boolean":
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(1, Qt.CheckState.Checked if value else Qt.CheckState.Unchecked)
                item.setText(1, show_value(value))
            else:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                item.setText(1, show_value(value))
            item.setToolTip(1, f"{'.'.join([*path, name])}: {kind}")

    def _all_items(self) -> list[QTreeWidgetItem]:
        out: list[QTreeWidgetItem] = []
        stack = [self.tree.invisibleRootItem()]
        while stack:
            node = stack.pop()
            for i in range(node.childCount()):
                out.append(node.child(i))
                stack.append(node.child(i))
        return out

    def _value_at(self, path: list[str]) -> Any:
        value: Any = self._parameters
        for part in path:
            value = value[part]
        return value

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling or column != VALUE_COLUMN:
            return
        path = list(item.data(0, PATH_ROLE))
        old = self._value_at(path)
        kind = type_of(old)
        try:
            if kind == "boolean":
                value: Any = item.checkState(1) == Qt.CheckState.Checked
            else:
                value = parse_value(item.text(1), kind)
        except ValueError as exc:
            self.message.setText(f"{'.'.join(path)}: {exc}; kept {show_value(old)}.")
            self.message.show()
            self._filling = True
            item.setText(1, show_value(old))
            self._filling = False
            return
        self.message.hide()
        if value != old or type(value) is not type(old):
            self.parameter_set.emit(path, value)

    def selected_path(self) -> list[str]:
        item = self.tree.currentItem()
        return list(item.data(0, PATH_ROLE)) if item is not None else []

    def add_dialog(self) -> None:
        path = self.selected_path()
        group_path = path if path and isinstance(self._value_at(path), dict) else path[:-1]
        group = self._value_at(group_path) if group_path else self._parameters
        dialog = AddParameterDialog(".".join(group_path), set(group), self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.parameter_set.emit([*group_path, dialog.name.text().strip()], dialog.result_value)

    def remove_selected(self) -> None:
        path = self.selected_path()
        if path:
            self.parameter_removed.emit(path)
