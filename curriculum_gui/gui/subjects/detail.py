"""One subject: where it is, how it got there (the event timeline: who, what, why), its current
parameters, the "why not yet" of its stage and, in the wide form, the plots.

``show_subject`` reads everything it shows from the store (history, sessions) at once; nothing is kept
that could go stale except what is on screen. Store errors propagate to the subjects view, which shows
them in its banner.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QContextMenuEvent, QFont
from PySide6.QtWidgets import (
    QLabel,
    QMenu,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.attention import Alert
from ...core.wording import MISSING, change_text
from ...store import Workspace
from ...store.records import (
    APPLIED,
    BASELINE,
    BATCH_KINDS,
    EJECT,
    ENROLLED,
    EVALUATED,
    MIGRATED,
    NOTE,
    OVERRIDE,
    REENROLL,
    REVERT,
    SENT,
    Event,
)
from .table_model import short, tooltip
from .why_not_yet import why_not_yet

KIND_LABELS = {
    ENROLLED: "Enrolled",
    EVALUATED: "Evaluated",
    APPLIED: "Trainer (applied)",
    OVERRIDE: "Override",
    EJECT: "Eject",
    REENROLL: "Re-enrolled",
    REVERT: "Reverted",
    NOTE: "Note",
    SENT: "Sent to rig",
    BASELINE: "Baseline weight",
    MIGRATED: "Moved to another version",
}
KIND_COLOURS = {
    OVERRIDE: QColor("#e65100"),
    EJECT: QColor("#616161"),
    REENROLL: QColor("#6a1b9a"),
    REVERT: QColor("#00838f"),
    MIGRATED: QColor("#283593"),
}
GREEN, RED, GREY = QBrush(QColor("#1b5e20")), QBrush(QColor("#b71c1c")), QBrush(QColor("#757575"))


REJECTED_COLOUR = QColor("#ad1457")
ATTENTION_COLOURS = {"critical": "#b71c1c", "warning": "#e65100", "info": "#455a64"}


def event_label(event: Event) -> str:
    return "Rejected" if event.rejected else KIND_LABELS.get(event.kind, event.kind)


def event_what(event: Event) -> str:
    data = event.data
    before, after = data.get("before_stage"), data.get("after_stage")
    if event.kind == APPLIED:
        sessions = ", ".join(data.get("sessions") or [])
        move = f"{before} → {after}" if before != after else f"stays in {after}"
        changes = data.get("parameter_changes") or {}
        extra = f"; {len(changes)} parameter(s) changed" if changes else ""
        if data.get("underweight_accepted"):
            extra += "; accepted although underweight"
        return f"{move} after {sessions}{extra}"
    if event.kind == NOTE:
        return f"withdrew the note “{data.get('note')}”" if "withdraws" in data else str(data.get("note", ""))
    if event.kind == SENT:
        where, stage = data.get("rig") or data.get("folder"), (data.get("next_session") or {}).get("stage")
        return f"{where}: {stage} ({len(data.get('files') or [])} file(s))"
    if event.kind == BASELINE:
        before = data.get("before_g")
        return (
            f"{before:g} g → {data.get('after_g'):g} g"
            if before is not None
            else f"{data.get('after_g'):g} g"
        )
    if event.kind == EJECT:
        return f"off curriculum (was in {before})"
    if event.kind == MIGRATED:
        move = f"{data.get('from_curriculum')} → {data.get('to_curriculum')}"
        return f"{move}: {before} → {after}" if before != after else f"{move}, stays in {after}"
    if event.kind == EVALUATED:
        return event.suggested_change() if event.rejected else f"suggested {event.suggested_change()}"
    if event.kind in (OVERRIDE, REVERT, REENROLL) and before != after:
        return f"{before} → {after}"
    return str(after or "")


def stored_change(before: object, after: object) -> str:
    """A logged parameter change (stored as [before, after], null where the task had no such
    parameter) in words: ``3 → 2.5``, ``off (added)``, ``15 (removed)``."""
    return change_text(MISSING if before is None else before, MISSING if after is None else after, short)


def _values(check: dict, limit: int = 4) -> str:
    items = list((check.get("values") or {}).items())
    text = ", ".join(f"{k}={short(v, 30)}" for k, v in items[:limit])
    return text + (" …" if len(items) > limit else "")


def event_why(event: Event) -> str:
    """Why it happened, in a line: the person's reason, or for the trainer the rule that moved the
    subject (or, when it stayed, the first way out that was not yet true, with what it read)."""
    if event.kind != APPLIED:
        return event.reason or ""
    checks = event.data.get("why") or []
    errors = [c for c in checks if c.get("error")]
    if errors:
        return f"rule error in {errors[0].get('rule')!r}: {errors[0]['error']}"
    fired = [c for c in checks if c.get("fired") and c.get("kind") == "stage_transition"]
    fired = fired or [c for c in checks if c.get("fired") and c.get("kind") == "policy_transition"]
    if fired:
        c = fired[-1]
        where = (
            f"→ {c.get('destination')}"
            if c.get("kind") == "stage_transition"
            else (f"policy {c.get('source')} → {c.get('destination')}")
        )
        return f"{where}: {c.get('rule')} was true ({_values(c)})"
    last = checks[-1].get("session") if checks else None
    waiting = [c for c in checks if c.get("session") == last and c.get("kind") == "stage_transition"]
    if waiting:
        c = waiting[0]
        return f"not yet {c.get('destination')}: {c.get('rule')} was false ({_values(c)})"
    if checks:
        return "no rule was true (the stage has no way out)"
    return event.reason or "nothing to check: the stage has no way out"


BATCH_ROLE = Qt.ItemDataRole.UserRole + 1  # on a timeline row of a batch's event: (batch, label, kind)
EVENT_ROLE = Qt.ItemDataRole.UserRole + 2  # on a timeline row: its Event (for the details below)


class Timeline(QTreeWidget):
    """The event timeline. ``menu_requested(item, global_pos)``: its context menu, for the row under the
    mouse or, from the keyboard (Menu key, Shift+F10), for the current row: a keyboard event carries no
    row, only a point that may lie on another one."""

    menu_requested = Signal(object, QPoint)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if event.reason() == QContextMenuEvent.Reason.Mouse:
            item = self.itemAt(event.pos())  # delivered through the viewport: in its coordinates
            pos = event.globalPos()
        else:
            item = self.currentItem()
            corner = QPoint(0, 0)
            if item is not None:
                self.scrollToItem(item)
                corner = self.visualItemRect(item).bottomLeft()
            pos = self.viewport().mapToGlobal(corner)
        self.menu_requested.emit(item, pos)
        event.accept()


class SubjectDetail(QWidget):
    """The subject's page. ``wide``: timeline and plots side by side (the Subject tab); otherwise a
    compact pane beside the table, without plots. ``undo_batch_requested(batch, label)``: the timeline's
    context menu asked to undo the batch of an event (an apply, or a change made to several subjects at
    once)."""

    undo_batch_requested = Signal(str, str)

    def __init__(self, wide: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.subject: str | None = None
        self.header = QLabel("Select a subject.")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        # Why the subject needs attention (from the subjects view, which works it out for the cohort).
        self.attention = QLabel()
        self.attention.setWordWrap(True)
        self.attention.setTextFormat(Qt.TextFormat.RichText)
        self.attention.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.attention.hide()
        self.attention_of: Callable[[str], Sequence[Alert]] = lambda _subject: ()
        self.timeline = Timeline()
        self.timeline.setHeaderLabels(["When", "Who", "What", "Why"])
        self.timeline.setAlternatingRowColors(True)
        self.timeline.setColumnWidth(0, 150)
        self.timeline.setColumnWidth(1, 50)
        self.timeline.setColumnWidth(2, 300 if wide else 220)
        self.timeline.menu_requested.connect(self._timeline_menu)
        self.timeline.currentItemChanged.connect(self._show_event)
        self.timeline.itemExpanded.connect(self._add_event_rows)
        # The selected event in full, wrapped: what, why, every parameter change and rule checked (the
        # rows above show one line of each, cut at the column's edge).
        self.event_details = QTextBrowser()
        self.event_details.setPlaceholderText("Select an event for everything about it.")
        self.event_details.setOpenLinks(False)
        timeline_page = QSplitter(Qt.Orientation.Vertical)
        timeline_page.addWidget(self.timeline)
        timeline_page.addWidget(self.event_details)
        timeline_page.setStretchFactor(0, 3)
        timeline_page.setStretchFactor(1, 1)
        timeline_page.setSizes([480, 200])
        self.menu = QMenu(self)  # the timeline's context menu, filled for the row it is opened on
        self.parameters = QTreeWidget()
        self.parameters.setHeaderLabels(["Parameter", "Value"])
        self.parameters.setRootIsDecorated(False)
        self.parameters.setColumnWidth(0, 180)
        self.why = QTreeWidget()
        self.why.setHeaderLabels(["Transition", "Rule", "Latest", "Values read"])
        self.why.setRootIsDecorated(False)
        self.why.setWordWrap(True)
        for column, width in enumerate((190, 250, 70)):
            self.why.setColumnWidth(column, width)
        self.tabs = QTabWidget()
        self.tabs.addTab(timeline_page, "&Timeline")
        self.tabs.addTab(self.parameters, "&Parameters")
        self.tabs.addTab(self.why, "&Why not yet")
        self.plots = None  # made when a subject is first shown: importing pyqtgraph takes a second
        self.weight_plot = None
        self.split: QSplitter | None = None
        self.side: QSplitter | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.header)
        layout.addWidget(self.attention)
        if wide:
            split = self.split = QSplitter(Qt.Orientation.Horizontal)
            side = self.side = QSplitter(Qt.Orientation.Vertical)
            side.addWidget(self.tabs)
            side.addWidget(QWidget())  # the weight plot's place: under the timeline
            side.setSizes([500, 260])
            split.addWidget(side)
            split.addWidget(QWidget())  # the plots' place
            split.setSizes([700, 700])
            layout.addWidget(split, 1)
        else:
            layout.addWidget(self.tabs, 1)

    def show_selection(self, count: int, actions: Sequence[str], names: Sequence[str] = ()) -> None:
        """Not one subject: how many are selected and what can be done with them (or how to select)."""
        self.clear()
        if count == 0:
            self.header.setText(
                "<b>No subject selected.</b><br>Click a row to see a subject here; Ctrl+click or Shift+click "
                "selects several."
            )
            return
        shown = ", ".join(html.escape(n) for n in names[:8]) + (" …" if len(names) > 8 else "")
        doable = ", ".join(html.escape(a) for a in actions) or "nothing now"
        self.header.setText(
            f"<span style='font-size:13pt'><b>{count} subjects selected</b></span><br>{shown}"
            f"<p>For these: {doable}.</p><p style='color:#555'>Select one to see its timeline.</p>"
        )

    def clear(self) -> None:
        self.subject = None
        self.header.setText("Select a subject.")
        self.attention.hide()
        for tree in (self.timeline, self.parameters, self.why):
            tree.clear()
        self.event_details.clear()

    def show_subject(self, ws: Workspace, subject: str, focus_session: int | None = None) -> None:
        row = ws.subject(subject)
        history = ws.history(subject)
        curriculum = ws.curriculum(row.curriculum_version_id)
        self.subject = subject
        status = "on curriculum" if row.on_curriculum else "<span style='color:#b71c1c'>off curriculum</span>"
        pending = (
            f" · <b>{row.pending_sessions}</b> session(s) not yet evaluated" if row.pending_sessions else ""
        )
        info = html.escape(" · ".join(x for x in (row.sex, row.genotype, row.rig) if x))
        esc = html.escape
        self.header.setText(
            f"<span style='font-size:15pt'><b>{esc(subject)}</b></span> &nbsp; {esc(row.curriculum)} "
            f"{esc(str(row.curriculum_version))} · stage <b>{esc(row.stage or '—')}</b> "
            f"({row.sessions_in_stage} session(s) in stage, {row.sessions_total} in all) · {status}{pending}"
            + (f"<br><span style='color:#555'>{info}</span>" if info else "")
        )
        self.show_attention(self.attention_of(subject))
        self._fill_timeline(history)
        self._fill_parameters(row.parameters, row.policies)
        self._fill_why(why_not_yet(curriculum, row, history), row.on_curriculum)
        if self.split is not None and self.side is not None:
            if self.plots is None:  # pyqtgraph only where plots are shown, when first shown
                from ..weight_plot import WeightPlot
                from .plots import SubjectPlots

                self.plots = SubjectPlots()
                self.weight_plot = WeightPlot()  # weight by day, the lab's threshold line
                for splitter, widget, default in (
                    (self.split, self.plots, [700, 700]),
                    (self.side, self.weight_plot, [500, 260]),
                ):
                    sizes = splitter.sizes()
                    splitter.replaceWidget(1, widget).deleteLater()
                    # As a person left it; the first time (the empty place may have had no room), as built.
                    splitter.setSizes(sizes if min(sizes) > 0 else default)
            self.plots.show_subject(curriculum, row.stage_id, history, ws.sessions(subject), focus_session)
        if self.weight_plot is not None:
            self.weight_plot.show_weights(ws.weights(subject), row.baseline_weight_g, ws.weight_threshold())

    def show_attention(self, alerts: Sequence[Alert]) -> None:
        """The reasons this subject needs attention, most urgent first (hidden when there are none)."""
        self.attention.setVisible(bool(alerts))
        lines = []
        for alert in alerts:
            colour = ATTENTION_COLOURS[alert.severity.value]
            advice = (
                f" <span style='color:#555'>— {html.escape(alert.description)}</span>"
                if alert.description
                else ""
            )
            lines.append(
                f"<span style='color:{colour}'><b>{html.escape(alert.severity.value)}: "
                f"{html.escape(alert.name)}</b></span>: {html.escape(alert.message)}{advice}"
            )
        self.attention.setText("<b>Needs attention</b><br>" + "<br>".join(lines))

    def _fill_timeline(self, history: list[Event]) -> None:
        tree = self.timeline
        current = tree.currentItem()
        while current is not None and current.parent() is not None:
            current = current.parent()
        keep = current.data(0, EVENT_ROLE).id if current is not None and current.data(0, EVENT_ROLE) else None
        tree.clear()
        items = []
        for event in reversed(history):  # newest first: what a technician asks about
            item = QTreeWidgetItem(
                [
                    f"{event.at.astimezone():%d %b %Y %H:%M}",
                    event.operator,
                    f"{event_label(event)}: {event_what(event)}",
                    event_why(event),
                ]
            )
            item.setData(0, EVENT_ROLE, event)
            item.setToolTip(2, tooltip(item.text(2)))
            item.setToolTip(3, tooltip(item.text(3)))
            colour = REJECTED_COLOUR if event.rejected else KIND_COLOURS.get(event.kind)
            if event.kind == APPLIED and event.data.get("before_stage") == event.data.get("after_stage"):
                item.setForeground(2, GREY)  # routine: no stage change
            if colour is not None:
                font = QFont(item.font(2))
                font.setBold(True)
                item.setFont(2, font)
                item.setForeground(2, QBrush(colour))
            if event.batch and event.kind in BATCH_KINDS:
                verb = {APPLIED: "applied", MIGRATED: "moved to another version"}.get(event.kind, event.kind)
                label = f"{verb} {item.text(0)} by {event.operator}"
                item.setData(0, BATCH_ROLE, (event.batch, label, event.kind))
            if event.data.get("why") or event.data.get("parameter_changes"):
                # Its rows (the rules checked, the parameters changed) are made when it is expanded: a
                # mouse with 500 sessions has over a thousand, and the page is filled on every click.
                item.setChildIndicatorPolicy(QTreeWidgetItem.ChildIndicatorPolicy.ShowIndicator)
            items.append(item)
        tree.addTopLevelItems(items)
        again = next((r for r in items if keep is not None and r.data(0, EVENT_ROLE).id == keep), None)
        if items:
            tree.setCurrentItem(again or items[0])  # the event read before, else the newest: in full below

    def _add_event_rows(self, item: QTreeWidgetItem) -> None:
        """An event expanded for the first time: a row per rule checked and per parameter changed."""
        event = item.data(0, EVENT_ROLE)
        if event is None or item.childCount():
            return
        rows = [self._check_item(check) for check in event.data.get("why") or []]
        rows += [
            QTreeWidgetItem(["", "", f"{key}: {stored_change(before, after)}", ""])
            for key, (before, after) in (event.data.get("parameter_changes") or {}).items()
        ]
        item.addChildren(rows)

    def _show_event(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None = None) -> None:
        """Everything about the selected event below the timeline (a row under it shows its event)."""
        while item is not None and item.parent() is not None:
            item = item.parent()
        event = item.data(0, EVENT_ROLE) if item is not None else None
        if event is None:
            self.event_details.clear()
            return
        esc = html.escape
        parts = [
            f"<b>{esc(event_label(event))}</b>: {esc(event_what(event))}",
            f"<span style='color:#555'>{event.at.astimezone():%d %b %Y %H:%M} · {esc(event.operator)}</span>",
        ]
        why = event_why(event)
        if why:
            parts.append(f"<b>Why:</b> {esc(why)}")
        if event.reason and event.kind == APPLIED:
            parts.append(f"<b>Reason:</b> {esc(event.reason)}")
        changes = event.data.get("parameter_changes") or {}
        if changes:
            lines = "".join(
                f"<li>{esc(key)}: {esc(stored_change(a, b))}</li>" for key, (a, b) in changes.items()
            )
            parts.append(f"<b>Parameters:</b><ul style='margin:0'>{lines}</ul>")
        checks = event.data.get("why") or []
        if checks:
            lines = "".join(
                f"<li>{esc(self._check_item(c).text(2))} {esc(_values(c, 8))}</li>" for c in checks
            )
            parts.append(f"<b>Rules checked</b> (in order):<ul style='margin:0'>{lines}</ul>")
        self.event_details.setHtml("<p>" + "</p><p>".join(parts) + "</p>")

    def timeline_actions(self, item: QTreeWidgetItem | None, parent: QObject | None = None) -> list[QAction]:
        """The context menu of a timeline row: an applied event's batch can be undone as a whole."""
        while item is not None and item.parent() is not None:
            item = item.parent()
        batch = item.data(0, BATCH_ROLE) if item is not None else None
        kind = batch[2] if batch is not None else APPLIED
        text = {APPLIED: "&Undo this trainer batch…", MIGRATED: "&Undo this move (the whole batch)…"}
        undo = QAction(text.get(kind, "&Undo this batch…"), parent or self)
        undo.setEnabled(batch is not None)
        if batch is not None:
            undo.triggered.connect(lambda: self.undo_batch_requested.emit(batch[0], batch[1]))
        else:
            undo.setToolTip("Only an applied batch, or a change made to several subjects at once, is a batch")
        return [undo]

    def _timeline_menu(self, item: QTreeWidgetItem | None, pos: QPoint) -> None:
        """``popup``, not ``exec``: no nested event loop (like the dialogs). ``clear`` deletes the previous
        row's actions, which the menu owns."""
        self.menu.clear()
        self.menu.addActions(self.timeline_actions(item, self.menu))
        self.menu.popup(pos)

    @staticmethod
    def _check_item(check: dict) -> QTreeWidgetItem:
        kind = str(check.get("kind", "")).replace("_", " ")
        dest = f" → {check['destination']}" if check.get("destination") else ""
        values = ", ".join(f"{k}={short(v, 30)}" for k, v in (check.get("values") or {}).items())
        result = "ERROR " + check["error"] if check.get("error") else ("FIRED" if check.get("fired") else "")
        text = f"{check.get('session', '')} {kind} {check.get('source')}{dest}: {check.get('rule')} {result}"
        item = QTreeWidgetItem(["", "", text.strip(), values])
        item.setForeground(2, RED if check.get("error") else GREEN if check.get("fired") else GREY)
        return item

    def _fill_parameters(self, parameters: dict, policies: tuple[str, ...]) -> None:
        tree = self.parameters
        tree.clear()
        head = QTreeWidgetItem(["active policies", ", ".join(policies) or "none"])
        font = QFont(head.font(0))
        font.setItalic(True)
        head.setFont(0, font)
        tree.addTopLevelItem(head)
        for key, value in parameters.items():
            tree.addTopLevelItem(QTreeWidgetItem([key, short(value, 80)]))

    def _fill_why(self, pending: list, on_curriculum: bool) -> None:
        tree = self.why
        tree.clear()
        if not on_curriculum:
            tree.addTopLevelItem(QTreeWidgetItem(["off curriculum: not evaluated", "", "", ""]))
            return
        if not pending:
            tree.addTopLevelItem(QTreeWidgetItem(["no way out of this stage (terminal)", "", "", ""]))
        for p in pending:
            latest = (
                "not yet checked"
                if p.result is None and not p.error
                else ("error" if p.error else ("true" if p.result else "false"))
            )
            values = ", ".join(f"{k}={short(v, 30)}" for k, v in p.values.items())
            if p.session:
                values = f"{values}  (session {p.session})"
            label = f"{'Stage' if p.kind == 'stage' else 'Policy'} → {p.destination}"
            item = QTreeWidgetItem([label, p.rule, latest, p.error or values])
            item.setToolTip(1, tooltip(p.rule))
            item.setToolTip(3, tooltip(item.text(3)))
            item.setForeground(2, RED if p.error else GREEN if p.result else GREY)
            tree.addTopLevelItem(item)
