"""The problems panel: validation problems, live; double-click (or Enter) selects the item concerned."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from ..core.problems import ItemRef, Problem, Severity
from ..core.wording import counted

REF_ROLE = Qt.ItemDataRole.UserRole + 1


def problems_title(problems: list[Problem]) -> str:
    """The dock's title: short enough for the dock's narrowest width ("Problems (3)"); each line of the
    list is marked ✖ or ⚠, and the status bar counts them ("1 error, 2 warnings")."""
    return f"Problems ({len(problems)})" if problems else "Problems"


def problems_summary(problems: list[Problem]) -> str:
    """ "no problems", "1 error", "2 warnings", "1 error, 2 warnings"."""
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = len(problems) - errors
    parts = [counted(n, word) for n, word in ((errors, "error"), (warnings, "warning")) if n]
    return ", ".join(parts) if parts else "no problems"


class ProblemsPanel(QListWidget):
    item_activated = Signal(ItemRef)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlternatingRowColors(True)
        self.setWordWrap(True)
        self.itemActivated.connect(self._activated)
        self.itemDoubleClicked.connect(self._activated)

    def show_problems(self, problems: list[Problem]) -> None:
        self.clear()
        ordered = sorted(problems, key=lambda p: p.severity is not Severity.ERROR)
        for problem in ordered:
            error = problem.severity is Severity.ERROR
            item = QListWidgetItem(f"{'✖' if error else '⚠'}  {problem.location}: {problem.message}")
            item.setForeground(QColor("#b71c1c" if error else "#8a5a00"))
            item.setToolTip(f"{problem.severity.value}: {problem.message}\nDouble-click to select it.")
            item.setData(REF_ROLE, problem.ref)
            self.addItem(item)
        if not problems:
            item = QListWidgetItem("✓  No problems")
            item.setForeground(QColor("#2e7d32"))
            self.addItem(item)

    def _activated(self, item: QListWidgetItem) -> None:
        ref = item.data(REF_ROLE)
        if ref is not None:
            self.item_activated.emit(ref)
