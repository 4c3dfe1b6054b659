"""Help → Rule language and Help → Keyboard shortcuts: non-modal windows, each built from the real thing
(the compiler's tables; the window's actions and their shortcuts), so neither can drift."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMenuBar,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ..core.rules.cheatsheet import cheat_sheet_html

# Keys that belong to a field or a gesture rather than to a menu action.
OTHER_KEYS = (
    ("Rule editor", "Ctrl+Space", "Complete a metric, counter, function or parameter name"),
    ("Rule editor", "Enter (Ctrl+Enter in updates)", "Commit the rule; Esc goes back to the saved one"),
    ("Priority lists", "Alt+Up, Alt+Down", "Move the selected transition up or down"),
    ("Canvas", "Enter", "Open the selected stage's policy graph (or edit a transition's rule)"),
    ("Canvas", "Ctrl+wheel, wheel, Space+drag", "Zoom; scroll; pan"),
    ("Canvas", "Esc", "Cancel a connection being drawn"),
    ("Try it", "F10", "Evaluate the next session"),
    ("Subjects table", "Enter", "Open the selected subject's page"),
    ("Timeline", "Menu key, Shift+F10", "The selected event's menu (undo a trainer batch)"),
)


def _dialog(parent: QWidget | None, title: str, body: QWidget) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.close)
    layout = QVBoxLayout(dialog)
    layout.addWidget(body, 1)
    layout.addWidget(buttons)
    dialog.resize(760, 640)
    return dialog


def rule_language_dialog(parent: QWidget | None = None) -> QDialog:
    text = QTextBrowser()
    text.setObjectName("rule_language")
    text.setHtml(cheat_sheet_html())
    return _dialog(parent, "Rule language", text)


def menu_groups(bar: QMenuBar) -> list[tuple[str, list[QAction]]]:
    """(menu title, its actions) for every menu of a menu bar."""
    menus = [action.menu() for action in bar.actions()]
    return [(menu.title().replace("&", ""), menu.actions()) for menu in menus if menu is not None]


def shortcut_rows(groups: Iterable[tuple[str, Iterable[QAction]]]) -> list[tuple[str, str, str]]:
    """(where, keys, what) for every action with a shortcut, in menu order, then the other keys."""
    rows: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for where, actions in groups:
        for action in actions:
            keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
            what = action.text().replace("&&", "\0").replace("&", "").replace("\0", "&").split("\t")[0]
            if keys and (what, keys) not in seen:
                seen.add((what, keys))
                rows.append((where, keys, what.rstrip("…").strip()))
    return rows + list(OTHER_KEYS)


def shortcuts_dialog(
    groups: Iterable[tuple[str, Iterable[QAction]]], parent: QWidget | None = None
) -> QDialog:
    rows = shortcut_rows(groups)
    table = QTableWidget(len(rows), 3)
    table.setObjectName("shortcuts")
    table.setHorizontalHeaderLabels(["Where", "Keys", "Does"])
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    for row, cells in enumerate(rows):
        for column, text in enumerate(cells):
            table.setItem(row, column, QTableWidgetItem(text))
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
    table.setSortingEnabled(True)
    return _dialog(parent, "Keyboard shortcuts", table)
