"""Review of the trainer's suggestions before anything changes: one row per subject with current →
suggested stage, policy changes and the parameter diff, expanding to each changed parameter (highlighted)
and the "why": every rule checked, in order, with the values it read.

Children are built when a row is first expanded, so 10,000 suggestions open quickly (the trainer's
``why`` is itself built lazily). Accept all, accept the selected rows, or reject: the panel only emits;
the subjects view applies the batch in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ...core.attention import Alert
from ...core.trainer import POLICY_UPDATE, Check
from ...store.records import Suggestion
from .table_model import short, tooltip

HEADERS = ("Subject", "Stage: now → suggested", "Policies", "Parameter changes", "Sessions", "Note")
SUGGESTION_ROLE = Qt.ItemDataRole.UserRole + 1
LOADED_ROLE = Qt.ItemDataRole.UserRole + 2
ROWS_AT_ONCE = 400  # rows added per turn of the event loop (well under 100 ms)
HIGHLIGHT = QBrush(QColor("#fff3b0"))
STAGE_CHANGE = QBrush(QColor("#dcebff"))
FIRED = QBrush(QColor("#1b5e20"))
ERROR = QBrush(QColor("#b71c1c"))
MUTED = QBrush(QColor("#757575"))
NOTE = QBrush(QColor("#8a5a00"))


def kind_of(s: Suggestion) -> int:
    """Sort order: errors, stage changes, policy changes, parameter changes, then no change."""
    if s.error:
        return 0
    if s.stage_changed:
        return 1
    if s.current_policies != s.suggested_policies:
        return 2
    return 3 if s.parameter_changes else 4


def note_text(s: Suggestion) -> str:
    """The Note column: why it cannot be applied, gaps in the histories read, sessions left waiting."""
    parts = [s.error] if s.error else ([] if s.applicable else ["no new sessions"])
    if s.notes:
        shown = "; ".join(text for _, text in s.notes[:2])
        parts.append(shown + (f" (and {len(s.notes) - 2} more)" if len(s.notes) > 2 else ""))
    if s.waiting:
        parts.append(f"{s.waiting} more session(s) wait: apply, then evaluate again")
    return "; ".join(parts)


def _note_line(session: str, text: str) -> QStandardItem:
    line = QStandardItem(f"{session} · {text}")
    line.setForeground(NOTE)
    return line


def check_text(session: str, check: Check) -> str:
    return f"{session} · {check.describe()}"


def diff_text(s: Suggestion, limit: int = 3) -> str:
    texts = s.change_texts(lambda value: short(value, 10))
    items = [f"{k} {text}" for k, text in list(texts.items())[:limit]]
    more = len(s.parameter_changes) - limit
    return ", ".join(items) + (f" (+{more})" if more > 0 else "")


class ReviewPanel(QWidget):
    """Shows suggestions; emits what a person decided."""

    accept_requested = Signal(list)  # the suggestions to apply
    reject_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.busy = False
        self.suggestions: list[Suggestion] = []
        self.held: dict[str, str] = {}  # underweight promotions: left out of Accept all (subject -> why)
        self._shown = 0  # rows added to the model so far (see set_suggestions)
        self._filling = False
        self.attention: dict[str, list[Alert]] = {}
        self.summary = QLabel("No suggestions: import metrics, then Evaluate.")
        self.summary.setWordWrap(True)
        self.model = QStandardItemModel(0, len(HEADERS), self)
        self.model.setHorizontalHeaderLabels(list(HEADERS))
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.expanded.connect(self._load_children)
        for column, width in enumerate((150, 330, 260, 330, 70)):
            self.tree.setColumnWidth(column, width)
        self.accept_all = QPushButton("Accept &all")
        self.accept_all.setToolTip("Apply every applicable suggestion in one batch (Revert undoes it)")
        self.accept_selected = QPushButton("Accept s&elected")  # Alt+S is the Status filter
        self.reject = QPushButton("&Reject")
        self.reject.setToolTip(
            "Turn these suggestions down: nothing changes and the sessions stay pending; the suggested "
            "changes and your reason are kept in the subjects' history"
        )
        self.accept_all.clicked.connect(lambda: self.accept_requested.emit(self.accept_all_list()))
        self.accept_selected.clicked.connect(
            lambda: self.accept_requested.emit(self.applicable(self.selected()))
        )
        self.reject.clicked.connect(self.reject_requested.emit)
        self.tree.selectionModel().selectionChanged.connect(self._update_buttons)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        for button in (self.accept_all, self.accept_selected, self.reject):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.tree)
        self._update_buttons()

    @staticmethod
    def applicable(suggestions: Sequence[Suggestion]) -> list[Suggestion]:
        return [s for s in suggestions if s.applicable]

    def accept_all_list(self) -> list[Suggestion]:
        """What Accept all applies: every applicable suggestion but the held-back (underweight) promotions."""
        return [s for s in self.applicable(self.suggestions) if s.subject not in self.held]

    def set_suggestions(
        self,
        suggestions: Sequence[Suggestion],
        held: dict[str, str] | None = None,
        attention: Mapping[str, Sequence[Alert]] | None = None,
    ) -> None:
        """``held``: promotions of underweight subjects (subject -> why), not pre-selected: Accept all
        leaves them out and says so (default: those of the previous call still under review). The rows
        are added :data:`ROWS_AT_ONCE` at a time, between events, so 10,000 suggestions never hold the
        window (``self.suggestions`` is complete at once). ``attention``: why subjects need attention
        where the trainer suggests they go (by subject; default: as before)."""
        if held is not None:
            self.held = dict(held)
        self.suggestions = sorted(suggestions, key=lambda s: (kind_of(s), s.subject))
        shown = {s.subject for s in self.suggestions}
        self.held = {k: v for k, v in self.held.items() if k in shown}
        if attention is not None:
            self.attention = {
                s.subject: list(attention[s.subject]) for s in self.suggestions if s.subject in attention
            }
        self._clear()
        self._shown = 0
        self._fill()
        counts = [0] * 5
        for s in self.suggestions:
            counts[kind_of(s)] += 1
        errors, stages, policies, params, same = counts
        self.summary.setText(
            f"<b>{len(self.suggestions)}</b> subject(s) evaluated: <b>{stages}</b> stage change(s), "
            f"{policies} policy change(s), {params} parameter update(s), {same} unchanged"
            + (f", <span style='color:#b71c1c'><b>{errors}</b> cannot be applied</span>" if errors else "")
            + ". Expand a row for the parameters and why."
            + (
                f"<br><span style='color:#b71c1c'><b>{len(self.held)}</b> promotion(s) of underweight mice "
                "left out of Accept all: select them and Accept selected to apply them anyway.</span>"
                if self.held
                else ""
            )
        )
        self._update_buttons()

    def _clear(self) -> None:
        """No rows. Many rows are not removed at once (10,000 take a good part of a second): the tree gets
        a new model, and the old one is emptied a few hundred rows per event, then deleted."""
        if self.model.rowCount() <= ROWS_AT_ONCE:
            self.model.removeRows(0, self.model.rowCount())
            return
        old = self.model
        widths = [self.tree.columnWidth(c) for c in range(len(HEADERS))]
        self.model = QStandardItemModel(0, len(HEADERS), self)
        self.model.setHorizontalHeaderLabels(list(HEADERS))
        self.tree.setModel(self.model)
        self.tree.selectionModel().selectionChanged.connect(self._update_buttons)
        for column, width in enumerate(widths):
            self.tree.setColumnWidth(column, width)
        self._empty_later(old)

    def _empty_later(self, old: QStandardItemModel) -> None:
        old.removeRows(max(old.rowCount() - ROWS_AT_ONCE, 0), min(old.rowCount(), ROWS_AT_ONCE))
        if old.rowCount():
            QTimer.singleShot(0, lambda: self._empty_later(old))
        else:
            old.deleteLater()

    def _fill(self, everything: bool = False) -> None:
        """Add the next rows (or all that are left), and come back for more after the pending events."""
        todo = self.suggestions[self._shown : None if everything else self._shown + ROWS_AT_ONCE]
        if todo:
            root = self.model.invisibleRootItem()
            for s in todo:
                root.appendRow(self._row(s))
            self._shown += len(todo)
        if self._shown < len(self.suggestions) and not self._filling:
            self._filling = True
            QTimer.singleShot(0, self._fill_later)

    def _fill_later(self) -> None:
        self._filling = False
        if self._shown < len(self.suggestions):
            self._fill()

    def finish_filling(self) -> None:
        """Every row now (before reading or selecting rows by number)."""
        if self._shown < len(self.suggestions):
            self._fill(everything=True)

    def _row(self, s: Suggestion) -> list[QStandardItem]:
        if s.stage_changed:
            stage = f"{s.current_stage} → {s.suggested_stage}"
        else:
            stage = f"{s.current_stage} (stays)"
        policies = (
            f"{', '.join(s.current_policies) or '—'} → {', '.join(s.suggested_policies) or '—'}"
            if s.current_policies != s.suggested_policies
            else ", ".join(s.current_policies)
        )
        note = note_text(s)
        if s.subject in self.held and not s.error:
            note = self.held[s.subject] + (f"; {note}" if note else "")
        alerts = self.attention.get(s.subject, [])
        if alerts and not s.error:
            note = (
                "needs attention: "
                + ", ".join(dict.fromkeys(a.name for a in alerts))
                + (f"; {note}" if note else "")
            )
        cells = [s.subject, stage, policies, diff_text(s), str(len(s.sessions) or ""), note]
        items = [QStandardItem(text) for text in cells]
        for item in items:
            item.setEditable(False)
        items[0].setData(s, SUGGESTION_ROLE)
        items[0].appendRow(QStandardItem("…"))  # placeholder: the row can be expanded
        if s.stage_changed:
            items[1].setBackground(STAGE_CHANGE)
            font = items[1].font()
            font.setBold(True)
            items[1].setFont(font)
        if s.current_policies != s.suggested_policies:
            items[2].setBackground(STAGE_CHANGE)
        if s.parameter_changes:
            items[3].setBackground(HIGHLIGHT)
        if s.error or s.subject in self.held or alerts:
            items[5].setForeground(ERROR)
        elif s.notes or s.waiting:
            items[5].setForeground(NOTE)
        elif kind_of(s) == 4:
            for item in items:
                item.setForeground(MUTED)
        if cells[5]:  # a narrow column: the whole note on hover, with each alert in full
            items[5].setToolTip(tooltip("\n".join([*(a.describe() for a in alerts), cells[5]])))
        return items

    def _load_children(self, index: QModelIndex) -> None:
        item = self.model.itemFromIndex(index.siblingAtColumn(0))
        if item is None or item.parent() is not None or item.data(LOADED_ROLE):
            return
        item.setData(True, LOADED_ROLE)
        item.removeRows(0, item.rowCount())
        s: Suggestion = item.data(SUGGESTION_ROLE)
        params = QStandardItem(f"Parameters: {len(s.parameter_changes)} changed (highlighted)")
        changes = s.change_texts(lambda value: short(value, 40))  # the same words as the row's summary
        for key, value in s.suggested.parameters.items():
            if key in changes:
                line = QStandardItem(f"{key}: {changes[key]}")
                line.setBackground(HIGHLIGHT)
                font = QFont(line.font())
                font.setBold(True)
                line.setFont(font)
            else:
                line = QStandardItem(f"{key}: {short(value, 40)}")
                line.setForeground(MUTED)
            params.appendRow(line)
        for key in changes:
            if key not in s.suggested.parameters:
                line = QStandardItem(f"{key}: {changes[key]}")
                line.setBackground(HIGHLIGHT)
                params.appendRow(line)
        checks = [(session, check) for session, ev in s.evaluations for check in ev.why]
        why = QStandardItem(f"Why: {len(checks)} rule(s) checked over {len(s.evaluations)} session(s)")
        notes: dict[str, list[str]] = {}
        for session, text in s.notes:
            notes.setdefault(session, []).append(text)
        for session, check in checks:
            for text in notes.pop(session, ()):  # before the session's first check: what it read
                why.appendRow(_note_line(session, text))
            line = QStandardItem(check_text(session, check))
            line.setToolTip(tooltip(line.text()))
            if check.error:
                line.setForeground(ERROR)
            elif check.fired and check.kind != POLICY_UPDATE:
                line.setForeground(FIRED)
                font = QFont(line.font())
                font.setBold(True)
                line.setFont(font)
            why.appendRow(line)
        for session, texts in notes.items():  # sessions with no rule checked
            why.appendRows([_note_line(session, text) for text in texts])
        for group in (params, why):
            group.setEditable(False)
            for r in range(group.rowCount()):
                group.child(r, 0).setEditable(False)
        item.appendRow(params)
        item.appendRow(why)
        for group in (params, why):  # one line per entry, across the whole width
            self.tree.setFirstColumnSpanned(group.row(), index.siblingAtColumn(0), True)
            self.tree.expand(group.index())
            for r in range(group.rowCount()):
                self.tree.setFirstColumnSpanned(r, group.index(), True)

    def selected(self) -> list[Suggestion]:
        """The top-level rows selected, from the selection's ranges (one for Select All of 10,000)."""
        rows: set[int] = set()
        for block in self.tree.selectionModel().selection():
            if not block.parent().isValid():
                rows.update(range(block.top(), block.bottom() + 1))
        return [self.suggestions[r] for r in sorted(rows) if r < len(self.suggestions)]

    def expand_subject(self, subject: str) -> None:
        self.finish_filling()
        for row, s in enumerate(self.suggestions):
            if s.subject == subject:
                index = self.model.index(row, 0)
                self.tree.expand(index)
                self.tree.scrollTo(index)
                return

    def set_busy(self, busy: bool) -> None:
        """While the view runs a job (an apply, a rejection), the suggestions cannot be acted on again."""
        self.busy = busy
        self._update_buttons()

    def _update_buttons(self, *_: object) -> None:
        idle = not self.busy
        self.accept_all.setEnabled(idle and bool(self.accept_all_list()))
        self.accept_selected.setEnabled(idle and bool(self.applicable(self.selected())))
        self.reject.setEnabled(idle and bool(self.suggestions))
