"""Move subjects to another published version (a selection in the Subjects tab, or everyone on a version).

The dialog asks for the target version, maps by hand what has no counterpart there (stages to stages,
policies to policies or dropped: the store never guesses), offers "reset to the new defaults", and shows
a dry run per subject (version, stage, policies and parameters before and after) computed off the GUI
thread by :meth:`Workspace.plan_migration`, again after every choice. OK hands the plan to the caller,
which applies it as one batch (undone as one step).

Subjects on several versions are planned version by version (a hand mapping names one version's ids)
and the plans merged into one batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ...core.errors import CurriculumGuiError
from ...core.migration import Mapping as IdMapping
from ...store import NotFound
from ...store.records import CurriculumVersion
from ...store.subject_migration import MigrationPlan
from ..subjects import worker
from ..subjects.table_model import short
from .common import GREY, ProgressRow, Row, SignedBy, find_row, names, rows_table, version_key
from .mapping_form import Choice, MappingForm, mapping_entries, mapping_for

HEADERS = ("Subject", "From", "Stage: now → after", "Policies: now → after", "Parameters", "Note")


def plan_groups(
    ws: Any,
    target_id: int,
    groups: dict[int, list[str] | None],
    choices: dict[Choice, str],
    reset: bool,
) -> MigrationPlan:
    """One plan per source version (``None``: everyone on it), merged."""
    moves: list = []
    needed: list = []
    skipped: list = []
    target = ws.version(target_id)
    for version_id, members in groups.items():
        mapping = mapping_for(ws.curriculum(version_id), choices) if version_id != target_id else IdMapping()
        plan = ws.plan_migration(
            target_id,
            members,
            version_id if members is None else None,
            mapping,
            reset,
        )
        moves += plan.moves
        needed += plan.needed
        skipped += plan.skipped
    return MigrationPlan(
        target,
        tuple(sorted(moves, key=lambda m: m.moved.subject)),
        tuple(needed),
        tuple(sorted(skipped)),
        reset,
        mapping_entries(choices),
    )


def preview_rows(plan: MigrationPlan) -> list[Row]:
    """One row per subject: moved (before → after), waiting for a mapping, or not moved (why)."""
    rows = []
    for move in plan.moves:
        m = move.moved
        source = move.from_version
        changes = "; ".join(f"{k}: {_value(a)} → {_value(b)}" for k, (a, b) in m.parameter_changes.items())
        rows.append(
            Row(
                m.subject,
                [
                    m.subject,
                    source.version if source.name == plan.target.name else source.label,
                    _now_after(m.before_stage or "—", m.after_stage or "—"),
                    _now_after(", ".join(m.before_policies) or "—", ", ".join(m.after_policies) or "—"),
                    changes or "kept",
                    "" if m.after.is_on_curriculum else "off curriculum: stays off",
                ],
                tips={
                    1: source.label,
                    4: "\n".join(changes.split("; ")) if changes else "every parameter kept",
                },
            )
        )
    for need in plan.needed:
        for subject in need.subjects:
            note = f"waits: map {need.label} above"
            rows.append(Row(subject, [subject, "", "", "", "", note], colour=GREY))
    for subject, why in plan.skipped:
        rows.append(Row(subject, [subject, "", "", "", "", f"not moved: {why}"], colour=GREY))
    return rows


def _now_after(now: str, after: str) -> str:
    return now if now == after else f"{now} → {after}"


def _value(value: Any) -> str:
    return "(none)" if value is None else short(value, 30)


class MigrateDialog(QDialog):
    """``subjects`` (ids) or ``from_version`` (everyone on it); ``target`` preselected if given.
    ``plan`` is the dry run shown (None while it is worked out); the caller applies it on ``accepted``."""

    def __init__(
        self,
        ws: Any,
        versions: Sequence[CurriculumVersion],
        subjects: Sequence[str] | None = None,
        from_version: int | None = None,
        target: int | None = None,
        pool: QThreadPool | None = None,
        parent: QWidget | None = None,
        operators: Any = None,
    ) -> None:
        super().__init__(parent)
        self.ws = ws
        self.pool = pool
        self.subjects = list(subjects) if subjects is not None else None
        self.from_version = from_version
        self.plan: MigrationPlan | None = None
        self.groups: dict[int, list[str] | None] | None = (
            {from_version: None} if from_version is not None else None
        )
        self._generation = 0
        self._task: worker.Task | None = None
        self._error: str | None = None
        self.setWindowTitle("Move subjects to another version")

        self.who = QLabel()
        self.who.setWordWrap(True)
        self.target = QComboBox()
        ordered = sorted(versions, key=lambda v: (v.name.lower(), version_key(v.version)), reverse=True)
        for v in ordered:
            self.target.addItem(v.label, v.id)
        self.target.setCurrentIndex(max(self.target.findData(target or self._default_target(versions)), 0))
        self.target.currentIndexChanged.connect(self._target_changed)
        self.reset = QCheckBox("&Reset parameters to the target stage's defaults")
        self.reset.setToolTip(
            "Without it, each subject keeps its value of every parameter the target stage still has (with a "
            "compatible type); new parameters get their defaults. Counters are kept either way."
        )
        self.reset.toggled.connect(lambda _on: self.replan())
        self.mapping_note = QLabel()
        self.mapping_note.setWordWrap(True)
        self.mapping = MappingForm()
        self.mapping.changed.connect(self.replan)

        self.filter, find = find_row(self, "subject, stage, parameter…")
        self.filter.textChanged.connect(lambda text: self.proxy.set_filter(text))
        self.table, self.model, self.proxy = rows_table(HEADERS, (80, 80, 300, 260, 260))
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.progress = ProgressRow(cancellable=False)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("why they move, e.g. stricter two-choice rule from 1.1.0")
        self.reason.setClearButtonEnabled(True)
        self.reason.textChanged.connect(lambda _text: self._update())
        self.signed = SignedBy(ws, operators)
        self.signed.changed.connect(self._update)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #8a6d00")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("&Move")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow(self.who)
        form.addRow("&Target version:", self.target)
        form.addRow("", self.reset)
        form.addRow("Mapping:", self.mapping_note)
        form.addRow("", self.mapping)
        filter_row = QHBoxLayout()
        filter_row.addWidget(QLabel("<b>Dry run</b> — where each subject lands (nothing is written yet)"))
        filter_row.addStretch(1)
        filter_row.addLayout(find)
        reason_row = QFormLayout()
        reason_row.addRow("&Reason (required):", self.reason)
        reason_row.addRow("", self.signed)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(filter_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addLayout(reason_row)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)
        self.resize(1180, 640)
        self._describe_who()
        self._update()
        self.replan()
        self.reason.setFocus()

    def _default_target(self, versions: Sequence[CurriculumVersion]) -> int | None:
        """The latest version of the subjects' curriculum (by name) that is not the one they are on."""
        if not versions:
            return None
        source = self.from_version
        if source is None and self.subjects:
            try:
                source = self.ws.subject(self.subjects[0]).curriculum_version_id
            except CurriculumGuiError:  # said when the plan is made
                source = None
        by_id = {v.id: v for v in versions}
        name = by_id[source].name if source in by_id else None
        same = [v for v in versions if v.name == name and v.id != source]
        pick = max(same or [v for v in versions if v.id != source] or list(versions), key=lambda v: v.id)
        return pick.id

    def _describe_who(self) -> None:
        if self.from_version is not None:
            label = self.ws.version(self.from_version).label
            self.who.setText(f"Everyone now on <b>{label}</b>.")
        elif self.subjects is not None:
            self.who.setText(f"<b>{len(self.subjects)} subject(s)</b>: {names(self.subjects, 10)}")

    def target_id(self) -> int:
        return int(self.target.currentData())

    @property
    def choices(self) -> dict[Choice, str]:
        return self.mapping.choices

    def _target_changed(self) -> None:
        self.mapping.reset()  # the choices named the old target's stages and policies
        self.replan()

    # --- the dry run --------------------------------------------------------------------------

    def replan(self) -> None:
        """Work the plan out again (off the GUI thread); the result replaces what is shown."""
        self._generation += 1
        generation = self._generation
        self.plan = None
        self._error = None
        self._update()
        self.progress.start("Working out where each subject lands…")
        ws, target, choices, reset = self.ws, self.target_id(), dict(self.choices), self.reset.isChecked()
        subjects, known = self.subjects, self.groups

        def job(_progress: worker.Progress) -> tuple[dict, MigrationPlan]:
            groups = known if known is not None else _groups(ws, subjects or [])
            return groups, plan_groups(ws, target, groups, choices, reset)

        self._task = worker.start(
            job,
            lambda result: self._planned(generation, *result),
            lambda exc: self._failed(generation, exc),
            None,
            self.pool,
            context=self,
        )

    def plan_now(self) -> MigrationPlan:
        """The same, on this thread (the --screenshot mode)."""
        self._generation += 1
        groups = self.groups if self.groups is not None else _groups(self.ws, self.subjects or [])
        plan = plan_groups(self.ws, self.target_id(), groups, dict(self.choices), self.reset.isChecked())
        self._planned(self._generation, groups, plan)
        return plan

    def _planned(self, generation: int, groups: dict, plan: MigrationPlan) -> None:
        if generation != self._generation:
            return  # a newer choice is being worked out
        self.groups = groups
        self.progress.stop()
        self.plan = plan
        self.model.set_rows(preview_rows(plan))
        self.proxy.set_filter(self.filter.text())
        self._show_mapping(plan.needed)
        moving = len(plan.moves)
        parts = [f"{moving} subject(s) move to {plan.target.label}"]
        blocked = sorted({s for n in plan.needed for s in n.subjects})
        if blocked:
            parts.append(f"{len(blocked)} wait for a mapping above")
        if plan.skipped:
            parts.append(f"{len(plan.skipped)} not moved (already there)")
        kept = (
            "get the target stage's defaults"
            if plan.reset_parameters
            else "keep their parameters where they fit"
        )
        self.summary.setText(
            "; ".join(parts) + f". They {kept}, and their counters. Applying is one batch: Undo moves them "
            "all back."
        )
        self._update()

    def _failed(self, generation: int, exc: Exception) -> None:
        if generation != self._generation:
            return
        self.progress.stop()
        self._error = str(exc)
        self.model.set_rows([])
        self._update()

    def _show_mapping(self, needed: Sequence) -> None:
        self.mapping.set_needs(needed, self.ws.curriculum(self.target_id()))
        self.mapping_note.setText(
            f"{len(needed)} item(s) have no counterpart (by id) in {self.target.currentText()}: choose where "
            "their subjects go."
            if needed
            else "Every stage and policy these subjects are on has a counterpart (by id) in the target."
        )

    # --- OK -----------------------------------------------------------------------------------

    def problem(self) -> str | None:
        if self._error is not None:
            return f"Cannot plan the move: {self._error}"
        if self.plan is None:
            return "Working out where each subject lands…"
        if self.plan.needed:
            first = self.plan.needed[0]
            return f"Choose where {first.label} goes (subjects on it: {names(list(first.subjects), 4)})."
        if not self.plan.moves:
            return f"No subject to move: every one is already on {self.plan.target.label}."
        if not self.reason.text().strip():
            return "Say why: the reason is kept in each subject's history."
        signer = self.signed.problem()
        return f"Cannot move yet: {signer}." if signer else None

    def _update(self) -> None:
        problem = self.problem()
        self.ok_button.setEnabled(problem is None)
        count = len(self.plan.moves) if self.plan is not None else 0
        self.ok_button.setText(f"&Move {count} subject(s)" if count else "&Move")
        self.hint.setText(problem or "")
        self.hint.setStyleSheet("color: #c62828" if self._error else "color: #8a6d00")

    def reason_text(self) -> str:
        return self.reason.text().strip()

    def accept(self) -> None:
        if self.problem() is None:  # Enter in the reason field must not bypass the check
            super().accept()


def _groups(ws: Any, subjects: Sequence[str]) -> dict[int, list[str] | None]:
    """The subjects by the version they are on now (NotFound names any unknown one)."""
    groups: dict[int, list[str] | None] = {}
    found = ws.subjects(list(subjects))
    missing = sorted(set(subjects) - {r.subject for r in found})
    if missing:
        raise NotFound(f"no subject {names(missing, 5)} in {ws.where}")
    for row in found:
        members = groups.setdefault(row.curriculum_version_id, [])
        assert members is not None
        members.append(row.subject)
    return groups
