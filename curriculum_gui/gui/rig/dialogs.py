"""Dialogs of the rig view: override single task parameters (the curriculum editor's typed parameter
editor, checked against the stage's types), a note, the baseline weight, the rig's folders.

Like the subjects screen's dialogs (whose base class they share): OK stays disabled until what is needed
is there (a reason for every change), Enter accepts, Esc cancels; opened window-modal with ``open()``.
"""

from __future__ import annotations

import copy
import html
from typing import Any

from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from ...core.parameter_types import checked_value, value_at
from ...core.runsheet import exact
from ...core.weights import check_grams
from ...store.records import RigInfo, SubjectRow
from ..parameters_editor import ParametersEditor
from ..subjects.dialogs import _Dialog


class ParametersDialog(_Dialog):
    """Change single task parameters of the next session. Values keep the stage's type (a whole number
    stays whole); no parameter can be added or removed."""

    def __init__(
        self, row: SubjectRow, stage_name: str, defaults: dict[str, Any], parent: QWidget | None = None
    ) -> None:
        super().__init__(f"Parameters of {row.subject}", "Set parameters", parent)
        self.row = row
        self.defaults = defaults
        self.values = copy.deepcopy(dict(row.parameters))
        self.changes: dict[str, Any] = {}
        intro = QLabel(
            f"<b>{html.escape(row.subject)}</b> on <b>{html.escape(stage_name)}</b>: edit a value "
            "(F2, Enter or "
            "double-click); the changed ones are listed below. The stage and policies stay as they are."
        )
        intro.setWordWrap(True)
        self.form.addRow(intro)
        self.editor = ParametersEditor()
        self.editor.add_button.hide()  # values only: the stage decides which parameters exist
        self.editor.remove_button.hide()
        self.editor.setMinimumHeight(260)
        self.editor.set_parameters(self.values)
        self.editor.parameter_set.connect(self._set)
        self.form.addRow(self.editor)
        self.changed = QLabel("No change yet.")
        self.changed.setWordWrap(True)
        self.form.addRow("Changes:", self.changed)
        self.reason = self.reason_field("e.g. mouse disengaged: larger reward for today")
        self.resize(620, 620)
        self.finish()

    def _set(self, path: list[str], value: Any) -> None:
        name = ".".join(path)
        try:
            new = checked_value(value_at(self.defaults, path), value, name)
        except (KeyError, ValueError) as exc:
            message = f"the stage has no parameter {name!r}" if isinstance(exc, KeyError) else str(exc)
            self.editor.message.setText(f"{message}; kept {exact(value_at(self.values, path))}.")
            self.editor.set_parameters(self.values, force=True)  # puts the refused value back
            self.editor.message.show()
            return
        group = self.values
        for part in path[:-1]:
            group = group[part]
        group[path[-1]] = new
        original = value_at(self.row.parameters, path)
        if original == new and type(original) is type(new):
            self.changes.pop(name, None)
        else:
            self.changes[name] = new
        self.editor.set_parameters(self.values)
        self.changed.setText(
            "; ".join(
                f"{k}: {exact(value_at(self.row.parameters, k.split('.')))} → {exact(v)}"
                for k, v in self.changes.items()
            )
            or "No change yet."
        )
        self.validate()

    def problem(self) -> str | None:
        if not hasattr(self, "reason"):
            return None
        if not self.changes:
            return "Change at least one value."
        if not self.reason.text().strip():
            return "Say why: the reason is kept in the subject's history."
        return None


class NoteDialog(_Dialog):
    def __init__(self, subject: str, parent: QWidget | None = None) -> None:
        super().__init__(f"Note on {subject}", "Add note", parent)
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("What you saw, e.g. drank little, spout cleaned, cage changed")
        self.text.setTabChangesFocus(True)
        self.text.textChanged.connect(self.validate)
        self.form.addRow("&Note:", self.text)
        self.resize(480, 240)
        self.finish()
        self.text.setFocus()

    def problem(self) -> str | None:
        if hasattr(self, "text") and not self.text.toPlainText().strip():
            return "Write the note."
        return None

    def note(self) -> str:
        return self.text.toPlainText().strip()


class BaselineDialog(_Dialog):
    """The baseline weight: the first is set without a reason; changing one needs it."""

    def __init__(self, row: SubjectRow, parent: QWidget | None = None) -> None:
        super().__init__(f"Baseline weight of {row.subject}", "Set baseline", parent)
        self.row = row
        now = f"{row.baseline_weight_g:.1f} g" if row.baseline_weight_g else "not set"
        self.form.addRow("Now:", QLabel(now))
        self.grams = QLineEdit()
        self.grams.setPlaceholderText("grams, e.g. 24.5")
        self.grams.textChanged.connect(self.validate)
        self.form.addRow("&Baseline (g):", self.grams)
        self.reason = self.reason_field("e.g. re-weighed before water restriction")
        if row.baseline_weight_g is None:
            self.form.labelForField(self.reason).setText("&Reason:")
        self.finish()
        self.grams.setFocus()

    def value(self) -> float | None:
        try:
            return check_grams(self.grams.text(), "the baseline")
        except ValueError:
            return None

    def problem(self) -> str | None:
        if not hasattr(self, "reason"):
            return None
        try:
            check_grams(self.grams.text(), "the baseline")
        except ValueError as exc:
            return str(exc)[0].upper() + str(exc)[1:] + "."
        if self.row.baseline_weight_g is not None and not self.reason.text().strip():
            return "Say why the baseline changes: it is kept in the subject's history."
        return None


class RigSettingsDialog(_Dialog):
    """A rig's folders, as its own computer sees them: where "Send to rig" writes, and where the rig
    drops metrics files (watched: each file is imported as soon as it is complete)."""

    def __init__(self, rig: RigInfo, threshold: float = 0.8, parent: QWidget | None = None) -> None:
        super().__init__(f"Rig {rig.name}", "Save", parent)
        self.rig = rig
        self.export = self._folder_row("&Send to rig writes to:", rig.export_folder, "Folder the rig reads")
        self.watch = self._folder_row("&Watch for metrics in:", rig.watch_folder, "Folder the rig writes to")
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.5, 1.0)
        self.threshold.setSingleStep(0.01)
        self.threshold.setDecimals(2)
        self.threshold.setValue(threshold)
        self.threshold.setToolTip(
            "Below this fraction of its baseline a mouse is underweight (for every rig)"
        )
        self.form.addRow("Lab's weight &threshold (all rigs):", self.threshold)
        note = QLabel(
            "Files written by the rig into the watched folder are imported when complete, then moved to "
            "its imported/ subfolder (failed/ with a report when something is wrong). Leave empty for none."
        )
        note.setWordWrap(True)
        note.setMinimumHeight(note.heightForWidth(600))  # all its lines, at the dialog's width
        self.form.addRow(note)
        self.resize(660, 0)
        self.finish()

    def _folder_row(self, label: str, value: str | None, title: str) -> QLineEdit:
        field = QLineEdit(value or "")
        field.setPlaceholderText("(none)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(lambda: self._browse(field, title))
        row = QHBoxLayout()
        row.addWidget(field, 1)
        row.addWidget(browse)
        caption = QLabel(label)  # a label of its own: a row of a layout gets no buddy (no Alt key) otherwise
        caption.setBuddy(field)
        self.form.addRow(caption, row)
        return field

    def _browse(self, field: QLineEdit, title: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, title, field.text())
        if folder:
            field.setText(folder)

    def values(self) -> tuple[str, str]:
        return self.export.text().strip(), self.watch.text().strip()
