"""The curriculum's attention rules in the inspector: a list (name, severity, condition) and a form for the
selected rule, whose condition is typed in the rule editor (highlighting, completion with the ``days_*``
counters, validation as you type). Every change is one undoable edit through the inspector.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core import edits
from ..core.model import AttentionRule, AttentionSeverity, Curriculum, ExpressionRule, all_ids, new_id
from .rule_editor import RuleEditor

ID_ROLE = Qt.ItemDataRole.UserRole + 1
SEVERITY_COLOURS = {
    AttentionSeverity.CRITICAL: "#b71c1c",
    AttentionSeverity.WARNING: "#e65100",
    AttentionSeverity.INFO: "#455a64",
}
HELP = (
    "Flag a subject for a person; they never move it. Conditions read the metrics and counters, plus "
    "days_since_last_session and days_in_stage. A stage's session budget is set on the stage."
)


class AttentionRulesEditor(QGroupBox):
    """``apply(edit) -> bool`` commits an edit (the inspector's); ``curriculum()`` reads the document."""

    def __init__(
        self,
        apply: Callable[[edits.Edit], bool],
        curriculum: Callable[[], Curriculum],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Attention rules", parent)
        self._apply = apply
        self._curriculum = curriculum
        self.rule_id: str | None = None
        self._filling = False
        note = QLabel(HELP)
        note.setWordWrap(True)
        note.setStyleSheet("color:#555")
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Name", "Severity", "Condition"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setMaximumHeight(130)
        self.table.itemSelectionChanged.connect(self._selected)
        self.add_button = QPushButton("Add rule")
        self.add_button.setToolTip("Add an attention rule")
        self.add_button.clicked.connect(self.add_rule)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected attention rule")
        self.remove_button.clicked.connect(self.remove_rule)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)

        self.form = QWidget()
        self.name = QLineEdit()
        self.name.editingFinished.connect(self._rename)
        self.severity = QComboBox()
        for severity in (AttentionSeverity.CRITICAL, AttentionSeverity.WARNING, AttentionSeverity.INFO):
            self.severity.addItem(severity.value, severity)
        self.severity.activated.connect(self._set_severity)
        self.condition = RuleEditor()
        self.condition.committed.connect(self._set_condition)
        self.description = QLineEdit()
        self.description.setPlaceholderText("what a person should do about it (optional)")
        self.description.editingFinished.connect(self._set_description)
        form = QFormLayout()
        form.setContentsMargins(0, 4, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Na&me:", self.name)
        form.addRow("Se&verity:", self.severity)
        form.addRow("Advi&ce:", self.description)
        condition = QLabel("Con&dition (true: the subject needs attention):")
        condition.setBuddy(self.condition.text_edit)
        # The condition across the whole width, in a box layout: room for the rule and, however many
        # lines it takes, what is wrong with it.
        column = QVBoxLayout(self.form)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(form)
        column.addWidget(condition)
        column.addWidget(self.condition)

        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(self.form)

    # --- reading ---------------------------------------------------------------------------------

    def _rule(self) -> AttentionRule | None:
        return self._curriculum().attention_rule(self.rule_id) if self.rule_id else None

    def load(self, select: str | None = None) -> None:
        """Show the curriculum's rules (keeping the selected one, or selecting ``select``)."""
        c = self._curriculum()
        rules = c.attention_rules
        wanted = select or self.rule_id
        if wanted not in {r.id for r in rules}:
            wanted = rules[0].id if rules else None
        self._filling = True
        self.table.setRowCount(len(rules))
        for row, rule in enumerate(rules):
            cells = (rule.name, rule.severity.value, rule.rule.expression or "(no condition)")
            for column, text in enumerate(cells):
                item = self.table.item(row, column)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(row, column, item)
                item.setText(text)
                item.setToolTip(rule.description or text)
                item.setData(ID_ROLE, rule.id)
            self.table.item(row, 1).setForeground(Qt.GlobalColor.white)
            self.table.item(row, 1).setBackground(_colour(rule.severity))
            if rule.id == wanted:
                self.table.selectRow(row)
        self._filling = False
        self.rule_id = wanted
        self._show_rule()

    def select(self, rule_id: str) -> None:
        self.load(select=rule_id)

    def _selected(self) -> None:
        if self._filling:
            return
        rows = self.table.selectionModel().selectedRows()
        self.rule_id = self.table.item(rows[0].row(), 0).data(ID_ROLE) if rows else None
        self._show_rule()

    def _show_rule(self) -> None:
        rule = self._rule()
        self.form.setVisible(rule is not None)
        self.remove_button.setEnabled(rule is not None)
        if rule is None:
            return
        c = self._curriculum()
        if not (self.name.hasFocus() and self.name.isModified()):
            self.name.setText(rule.name)
            self.name.setCursorPosition(0)
        self.severity.setCurrentIndex(self.severity.findData(rule.severity))
        self.condition.set_context("condition", {m.name: m.type for m in c.metrics}, attention_rule=True)
        self.condition.set_text(rule.rule.expression)
        if not (self.description.hasFocus() and self.description.isModified()):
            self.description.setText(rule.description)
            self.description.setCursorPosition(0)

    # --- edits -----------------------------------------------------------------------------------

    def add_rule(self) -> None:
        c = self._curriculum()
        name = edits.unique_name("New attention rule", {r.name for r in c.attention_rules})
        edit = edits.add_attention_rule(c, name)
        rule_id = new_id("attention", all_ids(c))
        if self._apply(edit):
            self.load(select=rule_id)
            self.condition.text_edit.setFocus()

    def remove_rule(self) -> None:
        if self.rule_id is not None:
            self._apply(edits.remove_attention_rule(self._curriculum(), self.rule_id))

    def _set(self, field: str, value: object, text: str) -> None:
        rule = self._rule()
        if rule is not None and getattr(rule, field) != value:
            self._apply(edits.set_field("attention_rule", rule.id, field, value, text=text))

    def _rename(self) -> None:
        rule = self._rule()
        if rule is not None and self.name.text() != rule.name:
            if not self._apply(edits.rename(self._curriculum(), "attention_rule", rule.id, self.name.text())):
                self.name.setText(rule.name)
            self.name.setModified(False)

    def _set_severity(self, index: int) -> None:
        self._set("severity", self.severity.itemData(index), "Set attention severity")

    def _set_condition(self, text: str) -> None:
        self._set("rule", ExpressionRule(expression=text), "Edit attention rule")

    def _set_description(self) -> None:
        self._set("description", self.description.text(), "Edit attention advice")
        self.description.setModified(False)


def _colour(severity: AttentionSeverity) -> QColor:
    return QColor(SEVERITY_COLOURS[severity])
