"""Who is at the rig: a short list of names kept per computer (QSettings), one of them chosen.

Every change the app writes is signed with the chosen name (the workspace's ``operator``), never silently
with the computer's login name: with nobody chosen, a change is refused with a message saying where to
choose (see :meth:`curriculum_gui.store.context.StoreContext.who`).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QColor, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

LIST_KEY = "operators/names"
CURRENT_KEY = "operators/current"
MAX_NAMES = 20
MAX_LENGTH = 100


class Operators(QObject):
    """The per-computer list and the current name; ``changed(name)`` when another is chosen ("" = nobody)."""

    changed = Signal(str)

    def names(self) -> list[str]:
        value = QSettings().value(LIST_KEY, [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or []) if str(v).strip()]

    def current(self) -> str:
        name = str(QSettings().value(CURRENT_KEY, "") or "")
        return name if name in self.names() else ""

    def add(self, name: str) -> str:
        """Add a name (trimmed; at most :data:`MAX_LENGTH` characters) and choose it."""
        name = " ".join(name.split())[:MAX_LENGTH]
        if not name:
            return self.current()
        names = [n for n in self.names() if n != name]
        QSettings().setValue(LIST_KEY, [name, *names][:MAX_NAMES])
        self.choose(name)
        return name

    def remove(self, name: str) -> None:
        QSettings().setValue(LIST_KEY, [n for n in self.names() if n != name])
        if self.current() == "" or name == str(QSettings().value(CURRENT_KEY, "")):
            self.choose("")

    def choose(self, name: str) -> None:
        if name and name not in self.names():
            self.add(name)
            return
        QSettings().setValue(CURRENT_KEY, name)
        self.changed.emit(name)


class OperatorDialog(QDialog):
    """Choose who you are from the list, or add your name to it."""

    def __init__(self, operators: Operators, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Who is at the rig?")
        self.operators = operators
        self.list = QListWidget()
        self.list.addItems(operators.names())
        current = operators.current()
        for i in range(self.list.count()):
            if self.list.item(i).text() == current:
                self.list.setCurrentRow(i)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("or type your name and press Add")
        self.new_name.setMaxLength(MAX_LENGTH)
        self.new_name.returnPressed.connect(self._add)
        add = QPushButton("&Add")
        add.clicked.connect(self._add)
        remove = QPushButton("Re&move")
        remove.setToolTip("Take the selected name off this computer's list")
        remove.clicked.connect(self._remove)
        row = QHBoxLayout()
        row.addWidget(self.new_name, 1)
        row.addWidget(add)
        row.addWidget(remove)
        note = QLabel("Every change you make is signed with this name (kept on this computer's short list).")
        note.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(self.buttons)
        self.resize(380, 360)
        (self.new_name if not self.list.count() else self.list).setFocus()

    def _add(self) -> None:
        name = " ".join(self.new_name.text().split())
        if not name:
            return
        existing = self.list.findItems(name, Qt.MatchFlag.MatchExactly)
        if not existing:
            self.list.insertItem(0, name)
            existing = [self.list.item(0)]
        self.list.setCurrentItem(existing[0])
        self.new_name.clear()

    def _remove(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)

    def chosen(self) -> str:
        item = self.list.currentItem()
        return item.text() if item is not None else ""

    def accept(self) -> None:
        if self.new_name.text().strip():
            self._add()
        names = [self.list.item(i).text() for i in range(self.list.count())]
        for gone in set(self.operators.names()) - set(names):
            self.operators.remove(gone)
        for name in reversed(names):
            self.operators.add(name)
        self.operators.choose(self.chosen())
        super().accept()


class OperatorButton(QToolButton):
    """ "Operator: alice ▾": the names of this computer to pick from, and "Other…" to add one."""

    def __init__(self, operators: Operators, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.operators = operators
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setToolTip("Who is at the rig: every change is signed with this name")
        self.menu_ = QMenu(self)
        self.menu_.aboutToShow.connect(self._fill)
        self.setMenu(self.menu_)
        self.dialog: OperatorDialog | None = None
        operators.changed.connect(self._update)
        self._update(operators.current())

    def _update(self, name: str) -> None:
        self.setText(f"Operator: {name}" if name else "Operator: choose…")
        # Red and bold until someone is chosen; through the font and palette, not a style sheet, which
        # would draw the menu arrow over the end of the text.
        font = self.font()
        font.setBold(not name)
        self.setFont(font)
        palette = self.palette()
        colour = (
            QColor("#b71c1c") if not name else QApplication.palette().color(QPalette.ColorRole.ButtonText)
        )
        palette.setColor(QPalette.ColorRole.ButtonText, colour)
        self.setPalette(palette)

    def _fill(self) -> None:
        self.menu_.clear()
        current = self.operators.current()
        for name in self.operators.names():
            action = QAction(name, self.menu_)
            action.setCheckable(True)
            action.setChecked(name == current)
            action.triggered.connect(lambda _c=False, n=name: self.operators.choose(n))
            self.menu_.addAction(action)
        if self.operators.names():
            self.menu_.addSeparator()
        self.menu_.addAction("&Other…", self.open_dialog)

    def open_dialog(self) -> OperatorDialog:
        self.dialog = OperatorDialog(self.operators, self.window())
        self.dialog.open()
        return self.dialog
