"""Mapping by hand what has no counterpart (by id) in another curriculum: stages to stages, policies to
policies of the stage they move to, or dropped. Never guessed: every row starts at "— choose —".

Used by moving subjects (the rows are what the dry run says its subjects need) and by the replay (the
stages and policies of the published versions that the edit lacks).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QFrame, QScrollArea, QWidget

from ...core.migration import DROP, Migration, MigrationError, Needed
from ...core.migration import Mapping as IdMapping
from ...core.model import Curriculum
from .common import names

Choice = tuple[str, str, str | None]  # (kind, old stage id, old policy id)


def choice_key(need: Needed) -> Choice:
    return (need.kind, need.stage_id, need.policy_id)


def mapping_for(source: Curriculum, choices: dict[Choice, str]) -> IdMapping:
    """The choices that name something in ``source`` (one version)."""
    stages: dict[str, str] = {}
    policies: dict[tuple[str, str], str] = {}
    for (kind, stage_id, policy_id), new in choices.items():
        stage = source.stage(stage_id)
        if stage is None:
            continue
        if kind == "stage":
            stages[stage_id] = new
        elif policy_id is not None and stage.policy(policy_id) is not None:
            policies[(stage_id, policy_id)] = new
    return IdMapping(stages, policies)


def mapping_entries(choices: dict[Choice, str]) -> tuple[str, ...]:
    """The choices as the command line writes them (``OLD=NEW`` by id; ``STAGE/POLICY`` for a policy)."""
    return tuple(
        f"{sid}={new}" if kind == "stage" else f"{sid}/{pid}={new}"
        for (kind, sid, pid), new in sorted(choices.items(), key=lambda kv: (kv[0][0] != "stage", kv[0]))
    )


def missing_in(sources: Sequence[Curriculum], target: Curriculum, choices: dict[Choice, str]) -> list[Needed]:
    """What of ``sources`` (published versions) has no counterpart in ``target`` with these choices: a stage
    not there by id and not mapped; a policy of a stage that is there (or mapped) that its target stage
    does not have. Without subjects: these are what a history *may* need."""
    out: dict[Choice, Needed] = {}
    for source in sources:
        migration = Migration(source, target, mapping_for(source, choices))
        for stage in source.stages:
            home = migration.stage_for(stage.id)
            if home is None:
                out.setdefault(
                    ("stage", stage.id, None), Needed("stage", stage.id, None, f"stage {stage.name!r}", ())
                )
                continue
            target_stage = target.stage(home)
            assert target_stage is not None
            for policy in stage.policies:
                try:
                    mapped = migration.policy_for(stage.id, policy.id, target_stage)
                except MigrationError:
                    mapped = None  # chosen for another stage: choose again
                if mapped is None:
                    label = f"policy {policy.name!r} of stage {stage.name!r}"
                    out.setdefault(
                        ("policy", stage.id, policy.id), Needed("policy", stage.id, policy.id, label, ())
                    )
    return list(out.values())


class MappingForm(QScrollArea):
    """One row per item to map (and per one mapped already, so it can be changed). ``changed`` after a
    choice. Rebuilt only when its rows or their options change, so the keyboard focus stays put."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices: dict[Choice, str] = {}
        self.combos: dict[Choice, QComboBox] = {}
        self._shown: list[Needed] = []
        self._signature: list | None = None
        self.form = QFormLayout()
        box = QWidget()
        box.setLayout(self.form)
        self.setWidget(box)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.hide()

    def reset(self) -> None:
        """Another target: every choice named its stages and policies."""
        self.choices.clear()
        self._shown = []

    def entries(self) -> tuple[str, ...]:
        return mapping_entries(self.choices)

    def set_needs(self, needed: Sequence[Needed], target: Curriculum) -> None:
        wanted = {choice_key(n) for n in needed}
        shown = {choice_key(n) for n in self._shown}
        rows = [n for n in self._shown if choice_key(n) in wanted or choice_key(n) in self.choices]
        rows += [n for n in needed if choice_key(n) not in shown]
        self._shown = rows
        options = [(need, self._options(need, target)) for need in rows]
        signature = [(choice_key(n), n.subjects, tuple(o)) for n, o in options]
        if signature != self._signature:
            self._signature = signature
            self.combos = {}
            while self.form.rowCount():
                self.form.removeRow(0)
            for need, choices in options:
                combo = QComboBox()
                for text, value in choices:
                    combo.addItem(text, value)
                chosen = self.choices.get(choice_key(need))
                combo.setCurrentIndex(max(combo.findData(chosen), 0) if chosen is not None else 0)
                combo.currentIndexChanged.connect(lambda _i, n=need, c=combo: self.choose(n, c.currentData()))
                self.combos[choice_key(need)] = combo
                who = f" ({names(list(need.subjects), 3)})" if need.subjects else ""
                self.form.addRow(f"{need.label}{who} →", combo)
        self.setVisible(bool(rows))
        self.setFixedHeight(min(150, self.widget().sizeHint().height() + 4))  # no blank space below

    def _options(self, need: Needed, target: Curriculum) -> list[tuple[str, str | None]]:
        out: list[tuple[str, str | None]] = [("— choose —", None)]
        if need.kind == "stage":
            return out + [(f"stage {s.name!r}", s.id) for s in target.stages]
        home = self.choices.get(("stage", need.stage_id, None), need.stage_id)
        stage = target.stage(home)
        out += [(f"policy {p.name!r}", p.id) for p in (stage.policies if stage else [])]
        return [*out, ("— drop it (the subject leaves this policy) —", DROP)]

    def choose(self, need: Needed, value: str | None) -> None:
        key = choice_key(need)
        if need.kind == "stage":  # its policies go to the new stage's policies: chosen again
            self.choices = {k: v for k, v in self.choices.items() if k[0] == "stage" or k[1] != need.stage_id}
            self._shown = [n for n in self._shown if n.kind == "stage" or n.stage_id != need.stage_id]
        if value is None:
            self.choices.pop(key, None)
        else:
            self.choices[key] = value
        self.changed.emit()
