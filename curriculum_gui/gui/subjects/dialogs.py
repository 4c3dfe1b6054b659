"""Dialogs of the subjects screen: register, override (with a preview), eject/revert/re-enroll with a
reason, the database URL and the import report.

Every change a person makes by hand needs a reason (it is kept in the subject's history), so OK stays
disabled until the reason holds text; everything is reachable from the keyboard (Enter accepts, Esc
cancels) and starts from the sensible choice (the subject's own stage, the curriculum's start stage).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.engine import URL

from ...core.model import Curriculum
from ...core.weights import check_grams
from ...store import StoreError
from ...store.engine import mask_text, resolve_url, without_password
from ...store.records import CurriculumVersion, ImportReport, SubjectRow, Suggestion
from .table_model import short

CHANGED = QBrush(QColor("#fff3b0"))


def subject_list(rows: Sequence[SubjectRow] | Sequence[Suggestion] | Sequence[str], limit: int = 8) -> str:
    names = [r if isinstance(r, str) else r.subject for r in rows[:limit]]
    more = len(rows) - limit
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


class _Dialog(QDialog):
    """OK/Cancel, with OK enabled only while :meth:`problem` returns None (shown under the form)."""

    def __init__(self, title: str, ok_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.layout_ = QVBoxLayout(self)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.hint = QLabel()
        self.hint.setStyleSheet("color: #8a6d00")
        self.hint.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def finish(self) -> None:
        """Call at the end of the subclass's constructor."""
        self.layout_.addWidget(self.hint)
        self.layout_.addWidget(self.buttons)
        self.validate()

    def reason_field(self, placeholder: str) -> QLineEdit:
        field = QLineEdit()
        field.setPlaceholderText(placeholder)
        field.setClearButtonEnabled(True)
        field.textChanged.connect(self.validate)
        self.form.addRow("&Reason (required):", field)
        return field

    def problem(self) -> str | None:
        return None

    def validate(self) -> None:
        problem = self.problem()
        self.ok_button.setEnabled(problem is None)
        self.hint.setText(problem or "")

    def accept(self) -> None:
        if self.problem() is None:  # Enter in a field must not bypass the check
            super().accept()


# --- register ------------------------------------------------------------------------------------

_SPLIT = re.compile(r"[\s,;]+")


def parse_ids(text: str) -> list[str]:
    """Subject ids pasted from anywhere: one per line, or separated by spaces, commas or semicolons."""
    return list(dict.fromkeys(t for t in _SPLIT.split(text) if t))


class RegisterDialog(_Dialog):
    """New subjects onto a published curriculum version and a start stage."""

    def __init__(
        self,
        versions: Sequence[CurriculumVersion],
        curriculum_of: Callable[[int], Curriculum],
        taken: set[str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Register subjects", "Register", parent)
        self._curriculum_of = curriculum_of
        self._taken = taken or set()
        self.ids = QPlainTextEdit()
        self.ids.setPlaceholderText("One subject id, or a list pasted from a spreadsheet (one per line)")
        self.ids.setTabChangesFocus(True)
        self.ids.textChanged.connect(self.validate)
        self.version = QComboBox()
        for v in reversed(versions):  # the newest first: usually the one wanted
            self.version.addItem(v.label, v.id)
        self.stage = QComboBox()
        self.version.currentIndexChanged.connect(self._fill_stages)
        self.form.addRow("Subject &ids:", self.ids)
        self.form.addRow("&Curriculum:", self.version)
        self.form.addRow("&Start stage:", self.stage)
        self.baseline = QLineEdit()
        self.baseline.setPlaceholderText(
            "optional: grams, for every id above (weight_fraction = weight / baseline)"
        )
        self.baseline.textChanged.connect(self.validate)
        self.form.addRow("Baseline &weight (g):", self.baseline)
        self._fill_stages()
        self.finish()

    def _fill_stages(self) -> None:
        self.stage.clear()
        version_id = self.version.currentData()
        if version_id is None:
            return
        curriculum = self._curriculum_of(version_id)
        for stage in curriculum.stages:
            label = stage.name + ("  (start)" if stage.id == curriculum.start_stage else "")
            self.stage.addItem(label, stage.id)
            if stage.id == curriculum.start_stage:
                self.stage.setCurrentIndex(self.stage.count() - 1)

    def set_taken(self, taken: set[str]) -> None:
        """The ids registered now (shown again after a failed register: another rig may have taken some)."""
        self._taken = taken
        self.validate()

    def subject_ids(self) -> list[str]:
        return parse_ids(self.ids.toPlainText())

    def problem(self) -> str | None:
        if not hasattr(self, "stage"):
            return None
        ids = self.subject_ids()
        if not ids:
            return "Type or paste at least one subject id."
        if self.version.currentData() is None:
            return "No curriculum is published yet: publish one from the editor first."
        taken = [i for i in ids if i in self._taken]
        if taken:
            return f"Already registered: {', '.join(taken[:5])}" + (" ..." if len(taken) > 5 else "")
        if hasattr(self, "baseline") and self.baseline.text().strip():
            try:
                check_grams(self.baseline.text(), "the baseline weight")
            except ValueError as exc:
                return str(exc)[0].upper() + str(exc)[1:] + "."
        return None

    def baseline_grams(self) -> float | None:
        """The baseline weight typed (None: none, or not a weight: :meth:`problem` says so)."""
        try:
            return (
                check_grams(self.baseline.text(), "the baseline weight")
                if self.baseline.text().strip()
                else None
            )
        except ValueError:
            return None

    def values(self) -> tuple[list[str], int, str | None]:
        return self.subject_ids(), self.version.currentData(), self.stage.currentData()


# --- override ------------------------------------------------------------------------------------


class OverrideDialog(_Dialog):
    """Place subjects (of one curriculum version) on a stage and policies, with the parameters it gives."""

    def __init__(
        self, curriculum: Curriculum, subjects: Sequence[SubjectRow], parent: QWidget | None = None
    ) -> None:
        super().__init__(f"Override {subject_list(subjects, 3)}", "Override", parent)
        self.curriculum = curriculum
        self.subjects = list(subjects)
        first = self.subjects[0]
        self.form.addRow(QLabel(f"<b>{len(subjects)} subject(s):</b> {html.escape(subject_list(subjects))}"))
        self.stage = QComboBox()
        for stage in curriculum.stages:
            self.stage.addItem(stage.name, stage.id)
        current = self.stage.findData(first.stage_id)
        self.stage.setCurrentIndex(max(current, 0))
        self.policies = QListWidget()
        self.policies.setMaximumHeight(110)
        self.policies.itemChanged.connect(lambda _item: self._preview())
        self.preview = QTreeWidget()
        self.preview.setHeaderLabels(["Parameter", "Now", "After the override"])
        self.preview.setRootIsDecorated(False)
        self.preview.setMinimumHeight(180)
        self.preview_note = QLabel()
        self.preview_note.setWordWrap(True)
        self.form.addRow("&Stage:", self.stage)
        self.form.addRow("&Policies:", self.policies)
        self.form.addRow("Preview:", self.preview)
        self.form.addRow("", self.preview_note)
        self.reason = self.reason_field("why this subject should not follow the trainer")
        self.stage.currentIndexChanged.connect(self._fill_policies)
        self._fill_policies()
        self.resize(640, 560)
        self.finish()
        self.reason.setFocus()

    def _fill_policies(self) -> None:
        stage = self.curriculum.stage(self.stage.currentData())
        first = self.subjects[0]
        same = stage is not None and stage.id == first.stage_id
        active = set(first.policies) if same else None
        self.policies.blockSignals(True)
        self.policies.clear()
        for policy in stage.policies if stage else []:
            item = QListWidgetItem(policy.name)
            item.setData(Qt.ItemDataRole.UserRole, policy.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = policy.name in active if active is not None else policy.id in stage.start_policies
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.policies.addItem(item)
        self.policies.blockSignals(False)
        self._preview()

    def chosen_policies(self) -> list[str]:
        items = (self.policies.item(i) for i in range(self.policies.count()))
        return [i.data(Qt.ItemDataRole.UserRole) for i in items if i.checkState() == Qt.CheckState.Checked]

    def resulting_parameters(self) -> dict[str, Any]:
        """What the store will set for the first subject: its own parameters on its own stage, else
        the stage's defaults (policies take effect from the next evaluation, as the trainer does)."""
        stage = self.curriculum.stage(self.stage.currentData())
        first = self.subjects[0]
        if stage is None:
            return {}
        if stage.id == first.stage_id:
            return dict(first.parameters)
        return dict(stage.task.parameters)

    def _preview(self) -> None:
        now = self.subjects[0].parameters
        after = self.resulting_parameters()
        self.preview.clear()
        for key in dict.fromkeys([*after, *now]):
            item = QTreeWidgetItem(
                [
                    key,
                    short(now[key], 30) if key in now else "—",
                    short(after[key], 30) if key in after else "—",
                ]
            )
            if now.get(key, object()) != after.get(key, object()):
                for column in range(3):
                    item.setBackground(column, CHANGED)
            self.preview.addTopLevelItem(item)
        self.preview.resizeColumnToContents(0)
        note = "Policies are applied by the trainer from the next evaluation."
        if len(self.subjects) > 1:
            note += (
                f" Shown for {self.subjects[0].subject}; subjects already on this stage keep their own "
                "parameters, the others get the stage's defaults."
            )
        self.preview_note.setText(note)

    def problem(self) -> str | None:
        if not hasattr(self, "reason"):
            return None
        if not self.reason.text().strip():
            return "Say why: the reason is kept in each subject's history."
        return None

    def values(self) -> tuple[str, list[str], str]:
        return self.stage.currentData(), self.chosen_policies(), self.reason.text().strip()


# --- eject, revert, re-enroll --------------------------------------------------------------------


class ReasonDialog(_Dialog):
    """Confirm a change of many subjects, with a reason (required unless ``required`` is False)."""

    def __init__(
        self,
        title: str,
        message: str,
        ok_text: str,
        placeholder: str,
        required: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, ok_text, parent)
        self.required = required
        label = QLabel(message)
        label.setTextFormat(Qt.TextFormat.PlainText)  # subject ids and curriculum names as written
        label.setWordWrap(True)
        self.form.addRow(label)
        self.stage: QComboBox | None = None
        self.reason = self.reason_field(placeholder)
        if not required:
            self.form.labelForField(self.reason).setText("&Reason:")
        self.setMinimumWidth(520)
        # A wrapped label needs its height for this width, or its first line is cut off.
        label.setMinimumHeight(label.heightForWidth(480))

    def add_stage_choice(self, curriculum: Curriculum) -> None:
        self.stage = QComboBox()
        for stage in curriculum.stages:
            self.stage.addItem(
                stage.name + ("  (start)" if stage.id == curriculum.start_stage else ""), stage.id
            )
            if stage.id == curriculum.start_stage:
                self.stage.setCurrentIndex(self.stage.count() - 1)
        self.form.insertRow(1, "&Start stage:", self.stage)

    def problem(self) -> str | None:
        if not hasattr(self, "reason"):
            return None
        if self.required and not self.reason.text().strip():
            return "Say why: the reason is kept in each subject's history."
        return None

    def reason_text(self) -> str:
        return self.reason.text().strip()


def _change_dialog(
    subjects: Sequence[SubjectRow] | Sequence[Suggestion] | Sequence[str],
    verb: str,
    message: str,
    placeholder: str,
    parent: QWidget | None,
    required: bool = True,
    curriculum: Curriculum | None = None,
) -> ReasonDialog:
    dialog = ReasonDialog(
        f"{verb} {subject_list(subjects, 3)}", message, verb, placeholder, required=required, parent=parent
    )
    if curriculum is not None:
        dialog.add_stage_choice(curriculum)
    dialog.finish()
    return dialog


def eject_dialog(subjects: Sequence[SubjectRow], parent: QWidget | None = None) -> ReasonDialog:
    message = (
        f"Take {len(subjects)} subject(s) off the curriculum: {subject_list(subjects)}. The trainer stops "
        "evaluating them until they are re-enrolled."
    )
    return _change_dialog(
        subjects, "Eject", message, "e.g. weight below 80% of baseline, vet informed", parent
    )


def reenroll_dialog(
    subjects: Sequence[SubjectRow], curriculum: Curriculum, parent: QWidget | None = None
) -> ReasonDialog:
    message = (
        f"Put {len(subjects)} subject(s) back on {subjects[0].curriculum} {subjects[0].curriculum_version}: "
        f"{subject_list(subjects)}. Sessions not yet evaluated are set aside."
    )
    placeholder = "e.g. weight back to 90%, vet cleared"
    return _change_dialog(subjects, "Re-enroll", message, placeholder, parent, curriculum=curriculum)


def revert_dialog(subjects: Sequence[SubjectRow], parent: QWidget | None = None) -> ReasonDialog:
    message = (
        f"Undo the last change of {len(subjects)} subject(s): {subject_list(subjects)}. The undo is kept in "
        "their history too."
    )
    return _change_dialog(
        subjects, "Revert", message, "optional, e.g. applied by mistake", parent, required=False
    )


def reject_dialog(suggestions: Sequence[Suggestion], parent: QWidget | None = None) -> ReasonDialog:
    message = (
        f"Turn down the trainer's suggested changes for {len(suggestions)} subject(s): "
        f"{subject_list(suggestions)}. Nothing changes and their sessions stay pending; what was suggested, "
        "why, and your reason are kept in each subject's history."
    )
    placeholder = "optional, e.g. not ready yet: bias still high"
    return _change_dialog(suggestions, "Reject", message, placeholder, parent, required=False)


def underweight_dialog(held: dict[str, str], parent: QWidget | None = None) -> ReasonDialog:
    """Accept promotions of underweight mice anyway: said, confirmed, and kept with the operator's name."""
    names = sorted(held)
    message = (
        f"{len(names)} of the selected suggestions promote a mouse under the lab's weight threshold: "
        + "; ".join(f"{n}: {held[n]}" for n in names[:4])
        + (f" (and {len(names) - 4} more)" if len(names) > 4 else "")
        + ". Apply them anyway? The history keeps that you accepted them."
    )
    return _change_dialog(
        names, "Accept anyway", message, "optional, e.g. vet approved", parent, required=False
    )


def undo_batch_dialog(
    subjects: Sequence[str], label: str, parent: QWidget | None = None, moved: bool = False
) -> ReasonDialog:
    """``moved``: the batch moved subjects to another version; a ``label`` starting "applied": the
    trainer's batch; else a change made to several subjects at once."""
    if moved:
        message = (
            f"Undo the batch {label}: {len(subjects)} subject(s) go back to the version and place they "
            f"were on before it: {subject_list(subjects)}. If any of them changed since, nothing is undone. "
            "The undo is kept in their history."
        )
    else:
        what = "the trainer's batch" if label.startswith("applied") else "the batch"
        sessions = " and its sessions wait for the trainer again" if label.startswith("applied") else ""
        message = (
            f"Undo {what} {label}: {len(subjects)} subject(s) go back where they were before it{sessions}: "
            f"{subject_list(subjects)}. If any of them changed since, nothing is undone. The undo is kept in "
            "their history."
        )
    return _change_dialog(
        subjects, "Undo batch", message, "optional, e.g. metrics of the wrong day", parent, required=False
    )


# --- database --------------------------------------------------------------------------------------


def editable_url(db: URL | str | None) -> str:
    """What the Database dialog starts from: a SQLite file as its path, another URL without its password
    (never on screen; libpq finds it in ~/.pgpass). ``None``: the default database."""
    try:
        url = db if isinstance(db, URL) else resolve_url(db)
    except StoreError:  # not a usable URL: shown as typed, masked
        return mask_text(str(db or ""))
    return (url.database or "") if url.get_backend_name() == "sqlite" else without_password(url)


class DatabaseDialog(_Dialog):
    """A SQLite file or a PostgreSQL URL (shared by many rigs)."""

    def __init__(self, current: str = "", parent: QWidget | None = None) -> None:
        super().__init__("Open subjects database", "Open", parent)
        self.url = QLineEdit(current)
        self.url.setPlaceholderText("/path/to/subjects.sqlite3 or postgresql://user@host/db")
        self.url.textChanged.connect(self.validate)
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.url, 1)
        row.addWidget(browse)
        label = QLabel("&Database:")
        label.setBuddy(self.url)
        self.form.addRow(label, row)
        note = QLabel(
            "Opens an existing database (File → New Database… makes one). Passwords are never shown."
        )
        note.setWordWrap(True)
        self.form.addRow(note)
        self.resize(620, 0)
        self.finish()

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "SQLite database",
            self.url.text(),
            "SQLite database (*.sqlite3 *.sqlite *.db);;All files (*)",
        )
        if path:
            self.url.setText(path)

    def problem(self) -> str | None:
        if hasattr(self, "url") and not self.url.text().strip():
            return "Name a SQLite file or a postgresql:// URL."
        return None

    def value(self) -> str:
        return self.url.text().strip()


# --- import report -------------------------------------------------------------------------------

REPORT_ROWS = 1000  # rows listed in the import report (the summary counts them all)


class ImportReportDialog(QDialog):
    """What an import did: how many sessions were accepted, and every rejected row with its reason."""

    def __init__(self, report: ImportReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Metrics imported")
        layout = QVBoxLayout(self)
        summary = QLabel(summary_text(report))
        summary.setWordWrap(True)
        layout.addWidget(summary)
        self.rejected = QTreeWidget()
        self.rejected.setHeaderLabels(["Row", "Column", "Rejected, or imported with a warning"])
        self.rejected.setRootIsDecorated(False)
        items = [
            QTreeWidgetItem([str(bad.row), bad.column or "", f"Rejected: {bad.problem}"])
            for bad in report.bad[:REPORT_ROWS]
        ]
        amber = QBrush(QColor("#8a5a00"))
        for warning in report.warnings[: max(REPORT_ROWS - len(items), 0)]:
            item = QTreeWidgetItem([str(warning.row), warning.column or "", f"Warning: {warning.problem}"])
            item.setForeground(2, amber)
            items.append(item)
        more = len(report.bad) + len(report.warnings) - len(items)
        if more > 0:  # a list people read, not all of a 10,000-row file's problems
            items.append(QTreeWidgetItem(["", "", f"… and {more} more (the command line lists every row)"]))
        self.rejected.addTopLevelItems(items)
        self.rejected.setVisible(bool(report.bad or report.warnings))
        self.rejected.resizeColumnToContents(0)
        layout.addWidget(self.rejected)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.resize(640, 380 if report.bad or report.warnings else 140)


def summary_text(report: ImportReport) -> str:
    parts = [f"<b>{report.imported}</b> new session(s) accepted from {html.escape(str(report.source))}"]
    if report.already_there:
        parts.append(f"{report.already_there} already imported (skipped)")
    parts.append(f"<b>{len(report.bad)}</b> row(s) rejected" if report.bad else "no row rejected")
    if report.warnings:
        rows = len({w.row for w in report.warnings})
        parts.append(f"<b>{rows}</b> row(s) with a list metric not measured (a gap in its history)")
    return "; ".join(parts) + "."
