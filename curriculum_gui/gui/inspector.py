"""The inspector: a form for whatever is selected (curriculum, stage, policy, transition).

Every field commits through ``document.apply`` as one undoable edit; a refused edit shows its reason on top
and the field goes back to the model's value. Pages re-read the model on ``document.changed`` (so undo shows),
but never overwrite the field a person is typing in.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..core import edits
from ..core.errors import EditError
from ..core.model import ExpressionRule, PythonRule, Stage
from ..core.problems import ItemRef
from .attention_editor import AttentionRulesEditor
from .document import Document
from .metrics_table import MetricsEditor
from .parameters_editor import ParametersEditor
from .priority_list import ID_ROLE, PriorityList, transition_rows
from .python_rule_panel import PythonRulePanel, python_to_expression
from .rule_editor import RuleEditor


def _set_text(widget: QLineEdit | QPlainTextEdit, text: str) -> None:
    """Show the model's value unless the person is typing in this very field (focused, not yet committed)."""
    modified = widget.isModified() if isinstance(widget, QLineEdit) else widget.document().isModified()
    if widget.hasFocus() and modified:
        return
    current = widget.text() if isinstance(widget, QLineEdit) else widget.toPlainText()
    if current != text:
        blocked = widget.blockSignals(True)
        if isinstance(widget, QLineEdit):
            widget.setText(text)
            widget.setCursorPosition(0)
        else:
            widget.setPlainText(text)
            widget.document().setModified(False)
        widget.blockSignals(blocked)


class _FocusOut(QObject):
    """Calls back when a multi-line text field loses focus: its commit point."""

    def __init__(self, widget: QPlainTextEdit, callback: Callable[[], None]) -> None:
        super().__init__(widget)
        self._callback = callback
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusOut:
            self._callback()
        return False


def _box(title: str, widget: QWidget, hint: str = "") -> QGroupBox:
    """A group with a short title (a title never wraps, so a long one would widen the whole page) and,
    below it, an optional hint that wraps to the dock's width."""
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    if hint:
        label = QLabel(hint)
        label.setWordWrap(True)
        label.setStyleSheet("color: #546e7a;")
        layout.addWidget(label)
    layout.addWidget(widget)
    return box


class _Page(QScrollArea):
    """A scrollable form; subclasses fill ``self.form`` and implement ``load``.

    Everything on a page fits the inspector's narrowest width (short titles, wrapped hints and labels);
    should something still not fit, the page scrolls sideways rather than cut it off."""

    def __init__(self, inspector: Inspector, title: str) -> None:
        super().__init__()
        self.inspector = inspector
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        body = QWidget()
        self.layout_ = QVBoxLayout(body)
        self.title = QLabel(f"<b>{title}</b>")
        self.title.setWordWrap(True)
        self.layout_.addWidget(self.title)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.layout_.addLayout(self.form)
        self.setWidget(body)

    @property
    def document(self) -> Document:
        return self.inspector.document

    def apply(self, edit: edits.Edit, **step: bool) -> bool:
        return self.inspector.apply(edit, **step)

    def load(self, ref: ItemRef) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError


class CurriculumPage(_Page):
    def __init__(self, inspector: Inspector) -> None:
        super().__init__(inspector, "Curriculum")
        self.name = QLineEdit()
        self.version = QLineEdit()
        self.version.setPlaceholderText("e.g. 1.0.0")
        self.description = QPlainTextEdit()
        self.description.setMaximumHeight(80)
        self.description.setTabChangesFocus(True)  # Tab moves on, as in every other field
        self.form.addRow("&Name:", self.name)
        self.form.addRow("&Version:", self.version)
        self.form.addRow("&Description:", self.description)
        self.name.editingFinished.connect(lambda: self._set(name=self.name.text()))
        self.version.editingFinished.connect(lambda: self._set(version=self.version.text().strip()))
        _FocusOut(self.description, lambda: self._set(description=self.description.toPlainText()))

        box = QGroupBox("Declared metrics")
        self.metrics_editor = MetricsEditor(lambda: self.document.curriculum, self.apply)
        self.metrics = self.metrics_editor.table
        QVBoxLayout(box).addWidget(self.metrics_editor)
        self.layout_.addWidget(box)
        self.attention = AttentionRulesEditor(self.apply, lambda: self.document.curriculum)
        self.layout_.addWidget(self.attention)
        self.layout_.addStretch(1)
        self._filling = False

    def _set(self, **values: str) -> None:
        edit = edits.set_info(self.document.curriculum, **values)
        if edit.edits:
            self.metrics_editor.just_added = None
            self.apply(edit)

    def load(self, ref: ItemRef) -> bool:
        c = self.document.curriculum
        _set_text(self.name, c.name)
        _set_text(self.version, c.version)
        _set_text(self.description, c.description)
        self.metrics_editor.load()
        self.attention.load(ref.id if ref.kind == "attention_rule" else None)
        return True

    def add_metric(self) -> None:
        self.metrics_editor.add_metric()

    def remove_metric(self) -> None:
        self.metrics_editor.remove_metric()


class StagePage(_Page):
    """What matters most comes first, seen without scrolling: name, task, where the stage leads (in
    priority order) and its task parameters; then start policies and the description."""

    def __init__(self, inspector: Inspector) -> None:
        super().__init__(inspector, "Stage")
        self.stage_id: str | None = None
        self.name = QLineEdit()
        self.task = QLineEdit()
        self.task.setPlaceholderText("the task the rig runs, e.g. TwoChoiceVisual")
        self.start = QCheckBox("Start stage")
        self.start.setToolTip("New subjects begin here")
        self.budget = QSpinBox()
        self.budget.setRange(0, 100_000)
        self.budget.setSpecialValueText("no budget")
        self.budget.setSuffix(" sessions")
        self.budget.setToolTip(
            "Session budget: a subject with more sessions in this stage needs attention (over budget)"
        )
        self.budget.editingFinished.connect(self._set_budget)
        self.terminal = QCheckBox("Terminal")
        self.terminal.setToolTip("An end of the curriculum (e.g. graduated): no way out is needed")
        flags = QHBoxLayout()
        flags.addWidget(self.start)
        flags.addWidget(self.terminal)
        flags.addStretch(1)
        self.form.addRow("&Name:", self.name)
        self.form.addRow("&Task:", self.task)
        self.form.addRow("", flags)
        self.form.addRow("&Budget:", self.budget)
        self.name.editingFinished.connect(self._rename)
        self.task.editingFinished.connect(self._set_task_name)
        self.start.toggled.connect(self._set_start)
        self.terminal.toggled.connect(
            lambda on: self.apply(
                edits.set_field("stage", self.stage_id, "terminal", on, text="Set terminal")
            )
        )

        self.priorities = PriorityList()
        self.priorities.reordered.connect(
            lambda order: self.apply(edits.reorder("stage_transition", self.stage_id, order))
        )
        self.priorities.activated.connect(
            lambda tid: self.inspector.select_requested.emit(ItemRef("stage_transition", tid))
        )
        self.layout_.addWidget(_box("Outgoing transitions (first true wins)", self.priorities))

        self.parameters = ParametersEditor()
        self.parameters.parameter_set.connect(
            lambda path, value: self.apply(
                edits.set_parameter(self.document.curriculum, self.stage_id, path, value)
            )
        )
        self.parameters.parameter_removed.connect(
            lambda path: self.apply(edits.remove_parameter(self.document.curriculum, self.stage_id, path))
        )
        self.parameters.tree.setMinimumHeight(self.fontMetrics().lineSpacing() * 8)
        self.layout_.addWidget(
            _box("Task parameters", self.parameters, "The values a subject gets on entering the stage."), 1
        )

        self.start_policies = QListWidget()
        self.start_policies.setMaximumHeight(110)
        self.start_policies.itemChanged.connect(self._start_policies_changed)
        self.layout_.addWidget(_box("Start policies", self.start_policies, "Active on entering the stage."))

        self.description = QPlainTextEdit()
        self.description.setMaximumHeight(60)
        self.description.setTabChangesFocus(True)  # Tab moves on, as in every other field
        _FocusOut(self.description, self._set_description)
        more = QFormLayout()
        more.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        more.addRow("Descr&iption:", self.description)
        self.layout_.addLayout(more)
        self._filling = False

    def _stage(self) -> Stage | None:
        return self.document.curriculum.stage(self.stage_id) if self.stage_id else None

    def _rename(self) -> None:
        stage = self._stage()
        if (
            stage
            and self.name.text() != stage.name
            and not self.apply(edits.rename(self.document.curriculum, "stage", stage.id, self.name.text()))
        ):
            self.name.setText(stage.name)

    def _set_task_name(self) -> None:
        stage = self._stage()
        if stage and self.task.text() != stage.task.name:
            task = stage.task.model_copy(deep=True)
            task.name = self.task.text().strip()
            self.apply(edits.set_task(stage.id, task))

    def _set_description(self) -> None:
        stage = self._stage()
        if stage and self.description.toPlainText() != stage.description:
            self.apply(edits.set_field("stage", stage.id, "description", self.description.toPlainText()))

    def _set_budget(self) -> None:
        stage = self._stage()
        value = self.budget.value() or None
        if stage is not None and not self._filling and stage.max_sessions != value:
            self.apply(edits.set_field("stage", stage.id, "max_sessions", value, text="Set session budget"))

    def _set_start(self, on: bool) -> None:
        if self._filling or self.stage_id is None:
            return
        current = self.document.curriculum.start_stage
        if on and current != self.stage_id:
            self.apply(edits.set_start_stage(self.stage_id))
        elif not on and current == self.stage_id:
            self.apply(edits.set_start_stage(None))

    def _start_policies_changed(self, _item: QListWidgetItem) -> None:
        if self._filling or self.stage_id is None:
            return
        chosen = [
            self.start_policies.item(i).data(ID_ROLE)
            for i in range(self.start_policies.count())
            if self.start_policies.item(i).checkState() == Qt.CheckState.Checked
        ]
        self.apply(edits.set_start_policies(self.stage_id, chosen))

    def load(self, ref: ItemRef) -> bool:
        self.stage_id = ref.id
        stage = self._stage()
        if stage is None:
            return False
        c = self.document.curriculum
        self._filling = True
        self.title.setText(f"<b>Stage</b> &nbsp;<span style='color:gray'>{html.escape(stage.id)}</span>")
        _set_text(self.name, stage.name)
        _set_text(self.task, stage.task.name)
        _set_text(self.description, stage.description)
        self.start.setChecked(c.start_stage == stage.id)
        self.terminal.blockSignals(True)
        self.terminal.setChecked(stage.terminal)
        self.terminal.blockSignals(False)
        if not self.budget.hasFocus():
            self.budget.setValue(stage.max_sessions or 0)
        self.start_policies.clear()
        for policy in stage.policies:
            item = QListWidgetItem(policy.name)
            item.setData(ID_ROLE, policy.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = policy.id in stage.start_policies
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.start_policies.addItem(item)
        self.parameters.set_parameters(stage.task.parameters)
        self.priorities.set_transitions(transition_rows(c, None, stage.id))
        self._filling = False
        return True


class TransitionPage(_Page):
    """A stage or policy transition: where it goes, its rule, and its priority among its source's
    transitions (reorder them here too, with this one selected)."""

    def __init__(self, inspector: Inspector) -> None:
        super().__init__(inspector, "Transition")
        self.ref: ItemRef | None = None
        self.source = QLabel()
        self.source.setTextFormat(Qt.TextFormat.PlainText)
        self.source.setWordWrap(True)
        self.destination = QComboBox()
        self.destination.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.destination.setMinimumContentsLength(12)
        self.destination.activated.connect(self._retarget)
        self.form.addRow("From:", self.source)
        self.form.addRow("&To:", self.destination)
        self.rule = RuleEditor()
        self.rule.committed.connect(self._set_rule)
        self.rule_box = _box("Rule", self.rule, "A condition over the declared metrics.")
        self.layout_.addWidget(self.rule_box)
        self.priorities = PriorityList()
        self.priorities.reordered.connect(self._reorder)
        self.priorities.activated.connect(
            lambda tid: self.inspector.select_requested.emit(ItemRef(self.ref.kind, tid, self.ref.stage_id))
        )
        self.priority_box = _box("Priority (first true wins)", self.priorities)
        self.layout_.addWidget(self.priority_box)
        # a Python reference's source, below what is edited here (it can be long)
        self.python = PythonRulePanel()
        self.python.trusted_runner = lambda: self.inspector.trusted_runner()  # asked when clicked
        self.python.converted.connect(self._converted)
        self.layout_.addWidget(self.python, 1)
        self.layout_.addStretch(1)

    def _reorder(self, order: list[str]) -> None:
        transition = self._transition()
        if transition is not None:
            self.apply(edits.reorder(self.ref.kind, transition.source, order, self.ref.stage_id))

    def _transition(self) -> Any:
        if self.ref is None:
            return None
        c = self.document.curriculum
        if self.ref.kind == "stage_transition":
            return next((t for t in c.stage_transitions if t.id == self.ref.id), None)
        stage = c.stage(self.ref.stage_id or "")
        return next((t for t in stage.policy_transitions if t.id == self.ref.id), None) if stage else None

    def _set_rule(self, text: str) -> None:
        transition = self._transition()
        if transition is None or transition.rule.text == text:
            return
        self.apply(
            edits.set_rule(self.ref.kind, transition.id, ExpressionRule(expression=text), self.ref.stage_id)
        )

    def _converted(self, reference: str, result: tuple) -> None:
        """Converted and checked: the expression (and the package's metrics it reads) as one step."""
        conversion, package_metrics = result
        transition = self._transition()
        if transition is None or transition.rule != PythonRule(python=reference):
            return  # changed meanwhile: nothing to replace
        edit = python_to_expression(
            self.document.curriculum, self.ref, conversion.expression, package_metrics
        )
        if self.apply(edit):
            self.inspector.notice.emit(f"Converted to an expression, {conversion.summary()}")

    def _retarget(self, index: int) -> None:
        transition = self._transition()
        target = self.destination.itemData(index)
        if transition is not None and target and target != transition.destination:
            self.apply(
                edits.retarget(self.ref.kind, transition.id, destination=target, stage_id=self.ref.stage_id)
            )

    def load(self, ref: ItemRef) -> bool:
        self.ref = ref
        transition = self._transition()
        if transition is None:
            return False
        c = self.document.curriculum
        policy_level = ref.kind == "policy_transition"
        stage = c.stage(ref.stage_id or "") if policy_level else None
        nodes = stage.policies if stage is not None else c.stages
        names = {n.id: n.name for n in nodes}
        self.title.setText(
            f"<b>{'Policy' if policy_level else 'Stage'} transition</b> "
            f"&nbsp;<span style='color:gray'>{html.escape(transition.id)}</span>"
        )
        self.source.setText(names.get(transition.source, transition.source))
        self.destination.blockSignals(True)
        self.destination.clear()
        for node in nodes:
            self.destination.addItem(node.name, node.id)
        self.destination.setCurrentIndex(max(0, self.destination.findData(transition.destination)))
        self.destination.blockSignals(False)
        rows = transition_rows(c, stage, transition.source)
        position = [row[0] for row in rows].index(transition.id) + 1
        self.priority_box.setTitle(f"Priority: {position} of {len(rows)} (first true wins)")
        self.priorities.set_transitions(rows, current=transition.id)
        self.rule.set_context("condition", {m.name: m.type for m in c.metrics}, policy_rule=policy_level)
        self.rule.set_text(transition.rule.text, python_reference=isinstance(transition.rule, PythonRule))
        if isinstance(transition.rule, PythonRule):
            self.python.show_reference(transition.rule.python, condition=True)
        self.python.setVisible(isinstance(transition.rule, PythonRule))
        return True


class PolicyPage(_Page):
    def __init__(self, inspector: Inspector) -> None:
        super().__init__(inspector, "Policy")
        self.ref: ItemRef | None = None
        self.name = QLineEdit()
        self.start = QCheckBox("Start policy")
        self.start.setToolTip("Active on entering the stage")
        self.form.addRow("&Name:", self.name)
        self.form.addRow("", self.start)
        self.name.editingFinished.connect(self._rename)
        self.start.toggled.connect(self._set_start)
        self.updates = RuleEditor()
        self.updates.committed.connect(self._set_updates)
        self.layout_.addWidget(
            _box("Updates", self.updates, "One assignment per line, applied to the current parameters.")
        )
        self.python = PythonRulePanel()
        self.layout_.addWidget(self.python, 1)
        self.priorities = PriorityList()
        self.priorities.reordered.connect(
            lambda order: self.apply(
                edits.reorder("policy_transition", self.ref.id, order, stage_id=self.ref.stage_id)
            )
        )
        self.priorities.activated.connect(
            lambda tid: self.inspector.select_requested.emit(
                ItemRef("policy_transition", tid, self.ref.stage_id)
            )
        )
        self.layout_.addWidget(_box("Outgoing transitions (first true wins)", self.priorities))
        self.layout_.addStretch(1)
        self._filling = False

    def _policy_and_stage(self) -> tuple[Any, Stage | None]:
        if self.ref is None:
            return None, None
        stage = self.document.curriculum.stage(self.ref.stage_id or "")
        return (stage.policy(self.ref.id or "") if stage else None), stage

    def _rename(self) -> None:
        policy, stage = self._policy_and_stage()
        if policy and self.name.text() != policy.name:
            edit = edits.rename(self.document.curriculum, "policy", policy.id, self.name.text(), stage.id)
            if not self.apply(edit):
                self.name.setText(policy.name)

    def _set_start(self, on: bool) -> None:
        policy, stage = self._policy_and_stage()
        if self._filling or policy is None:
            return
        current = list(stage.start_policies)
        if on and policy.id not in current:
            self.apply(edits.set_start_policies(stage.id, [*current, policy.id]))
        elif not on and policy.id in current:
            self.apply(edits.set_start_policies(stage.id, [p for p in current if p != policy.id]))

    def _set_updates(self, text: str) -> None:
        policy, stage = self._policy_and_stage()
        if policy is not None and policy.updates.text != text:
            self.apply(
                edits.set_field(
                    "policy", policy.id, "updates", ExpressionRule(expression=text), stage.id, "Edit updates"
                )
            )

    def load(self, ref: ItemRef) -> bool:
        self.ref = ref
        policy, stage = self._policy_and_stage()
        if policy is None:
            return False
        c = self.document.curriculum
        self._filling = True
        self.title.setText(
            f"<b>Policy</b> in {html.escape(stage.name)} "
            f"&nbsp;<span style='color:gray'>{html.escape(policy.id)}</span>"
        )
        _set_text(self.name, policy.name)
        self.start.setChecked(policy.id in stage.start_policies)
        self.updates.set_context(
            "update", {m.name: m.type for m in c.metrics}, parameters=stage.task.parameters
        )
        self.updates.set_text(policy.updates.text, python_reference=isinstance(policy.updates, PythonRule))
        if isinstance(policy.updates, PythonRule):
            self.python.show_reference(policy.updates.python, condition=False)
        self.python.setVisible(isinstance(policy.updates, PythonRule))
        self.priorities.set_transitions(transition_rows(c, stage, policy.id))
        self._filling = False
        return True


class Inspector(QWidget):
    """Shows the page for the current selection; ``select_requested`` asks the window to select an item."""

    select_requested = Signal(ItemRef)
    notice = Signal(str)  # a passing message for the status bar

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828; font-weight: bold;")
        self.error.hide()
        self.stack = QStackedWidget()
        self.pages: dict[str, _Page] = {
            "curriculum": CurriculumPage(self),
            "stage": StagePage(self),
            "transition": TransitionPage(self),
            "policy": PolicyPage(self),
        }
        for page in self.pages.values():
            self.stack.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.error)
        layout.addWidget(self.stack)
        self.ref = ItemRef("curriculum")
        self.document = document
        # Gives a runner trusting the document's Python modules (asking first), or None: the window sets it.
        self.trusted_runner: Callable[[], Any] = lambda: None
        self.set_document(document)

    def set_document(self, document: Document) -> None:
        if getattr(self, "_connected", None) is not None:
            self._connected.changed.disconnect(self.refresh)
        self.document = document
        self._connected = document
        document.changed.connect(self.refresh)
        self.show_item(ItemRef("curriculum"))

    def page_for(self, ref: ItemRef) -> _Page:
        kind = "transition" if ref.kind.endswith("transition") else ref.kind
        return self.pages.get(kind, self.pages["curriculum"])

    def show_item(self, ref: ItemRef | None) -> None:
        """Show the page of ``ref`` (the curriculum when None or gone)."""
        ref = ref or ItemRef("curriculum")
        if ref.kind == "metric":
            ref = ItemRef("curriculum")
        page = self.page_for(ref)
        if not page.load(ref):
            ref, page = ItemRef("curriculum"), self.pages["curriculum"]
            page.load(ref)
        if ref.kind == "attention_rule":  # on the curriculum's page, which keeps its own selected rule
            page.ensureWidgetVisible(self.pages["curriculum"].attention)  # type: ignore[attr-defined]
            ref = ItemRef("curriculum")
        self.ref = ref
        self.stack.setCurrentWidget(page)
        self.error.hide()

    def refresh(self) -> None:
        self.show_item(self.ref)

    def apply(self, edit: edits.Edit, **step: bool) -> bool:
        """``step``: ``open_step`` / ``continues`` (see :meth:`Document.apply`)."""
        try:
            self.document.apply(edit, **step)
        except EditError as exc:
            self.error.setText(f"✖ {exc}")
            self.error.show()
            self.page_for(self.ref).load(self.ref)
            return False
        self.error.hide()
        page = self.page_for(self.ref)
        for line in page.findChildren(QLineEdit):
            line.setModified(False)  # committed: from now on the field follows the model (undo, redo)
        for text in page.findChildren(QPlainTextEdit):
            text.document().setModified(False)
        return True
