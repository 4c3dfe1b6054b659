"""The selected mouse in large, legible type: stage and policies, every parameter of the next session
(none elided: long values wrap), its weight against baseline with the entry field and the plot, the
trainer's pending suggestion with why, the last five sessions and the notes.

Only shows; the rig view acts. User text (ids, names, notes, rule text) is escaped before it is shown.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ...core.runsheet import exact, flat_parameters
from ..subjects.table_model import short
from ..weight_plot import WeightPlot
from .info import MouseInfo

esc = html.escape
RED, GREEN, GREY, AMBER = "#b71c1c", "#1b5e20", "#616161", "#e65100"


def chip(text: str, colour: str) -> str:
    style = f"background:{colour}; color:white; font-size:13pt; font-weight:bold"
    return f"<span style='{style}'>&nbsp;{esc(text)}&nbsp;</span>"


def _section(title: str) -> QLabel:
    label = QLabel(title)
    label.setStyleSheet("font-size: 14pt; font-weight: bold; color: #263238; margin-top: 10px;")
    return label


def _text() -> QLabel:
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    return label


def _value(value: object, present: bool) -> str:
    """A parameter value in a suggestion, exactly; "(none)" where the stage has no such parameter."""
    return esc(exact(value)) if present else "(none)"


class MousePanel(QWidget):
    """``record_weight(text)``: the technician typed a weight and pressed Enter or Record."""

    record_weight = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info: MouseInfo | None = None
        self.setObjectName("mouse_panel")
        self.setStyleSheet("#mouse_panel QLabel { font-size: 12pt; }")
        self.title = _text()
        self.stage = _text()
        self.parameters = _text()
        self.weight_text = _text()
        self.weight_input = QLineEdit()
        self.weight_input.setPlaceholderText("weight today, g")
        self.weight_input.setMaximumWidth(180)
        self.weight_input.setStyleSheet("font-size: 14pt;")
        self.weight_input.returnPressed.connect(self._record)
        self.record_button = QPushButton("&Record weight")
        self.record_button.clicked.connect(self._record)
        self.baseline_button = QPushButton("&Baseline…")
        self.plot = WeightPlot()
        self.plot.setFixedHeight(200)
        self.suggestion = _text()
        self.sessions = _text()
        self.notes = _text()
        self.empty = QLabel("Scan or type a mouse's id, or pick it in the list.")
        self.empty.setStyleSheet("font-size: 16pt; color: #616161;")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        weigh = QHBoxLayout()
        weigh.addWidget(self.weight_input)
        weigh.addWidget(self.record_button)
        weigh.addWidget(self.baseline_button)
        weigh.addStretch(1)
        self.body = QWidget()
        layout = QVBoxLayout(self.body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.stage)
        layout.addWidget(_section("Next session — set exactly this"))
        layout.addWidget(self.parameters)
        layout.addWidget(_section("Weight"))
        layout.addWidget(self.weight_text)
        layout.addLayout(weigh)
        layout.addWidget(_section("Trainer's suggestion"))
        layout.addWidget(self.suggestion)
        layout.addWidget(_section("Weight over the days"))
        layout.addWidget(self.plot)
        layout.addWidget(_section("Last sessions"))
        layout.addWidget(self.sessions)
        layout.addWidget(_section("Notes"))
        layout.addWidget(self.notes)
        layout.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 8, 12, 8)
        outer.addWidget(self.empty, 1)
        outer.addWidget(self.body)
        self.body.hide()

    def _record(self) -> None:
        text = self.weight_input.text().strip()
        if text:
            self.record_weight.emit(text)

    def clear(self) -> None:
        self.info = None
        self.body.hide()
        self.empty.show()

    def show_mouse(self, info: MouseInfo, threshold: float, rig: str) -> None:
        self.info = info
        row = info.row
        self.empty.hide()
        self.body.show()
        chips = []
        if not row.on_curriculum:
            chips.append(chip("OFF CURRICULUM", GREY))
        if info.weight is not None and info.weight.underweight:
            chips.append(chip(f"UNDERWEIGHT {info.weight.fraction:.0%}", RED))
        if info.attention:
            chips.append(chip(f"NEEDS ATTENTION: {info.attention}", AMBER))
        if info.done:
            chips.append(chip("DONE TODAY", GREEN))
        elsewhere = f" · registered on {esc(row.rig)}" if row.rig and row.rig != rig else ""
        self.title.setText(
            f"<span style='font-size:28pt; font-weight:bold'>{esc(row.subject)}</span> &nbsp; "
            f"{' '.join(chips)}"
            f"<br><span style='color:#555'>{esc(row.curriculum)} {esc(row.curriculum_version)}"
            f"{' · ' + esc(row.genotype) if row.genotype else ''}{elsewhere}</span>"
        )
        policies = ", ".join(row.policies) or "no policy"
        stage_colour = GREY if not row.on_curriculum else "#0d47a1"
        stage_text = row.stage or "—"
        if not row.on_curriculum:
            stage_text = f"(was {stage_text}) — not evaluated until re-enrolled"
        self.stage.setText(
            f"<span style='font-size:20pt; color:{stage_colour}; font-weight:bold'>{esc(stage_text)}</span>"
            f"<br><span style='font-size:14pt'>Policies: <b>{esc(policies)}</b></span>"
            f"<br>{row.sessions_in_stage} session(s) in this stage, {row.sessions_total} in all"
        )
        self.parameters.setText(self._parameters_html(info))
        self.weight_text.setText(self._weight_html(info, threshold))
        self.plot.show_weights(info.weights, row.baseline_weight_g, threshold)
        self.suggestion.setText(self._suggestion_html(info))
        self.sessions.setText(self._sessions_html(info))
        self.notes.setText(self._notes_html(info))
        self.weight_input.setEnabled(True)

    @staticmethod
    def _parameters_html(info: MouseInfo) -> str:
        items = list(flat_parameters(info.row.parameters))
        if not items:
            return "<i>This stage's task has no parameters.</i>"
        defaults = dict(flat_parameters(info.stage_defaults))
        cells = []
        for name, value in items:
            mark = "" if defaults.get(name, value) == value else " <span style='color:#e65100'>●</span>"
            cells.append(
                f"<td style='padding:3px 10px 3px 0; color:#37474f'>{esc(name)}</td>"
                "<td style='padding:3px 24px 3px 0; font-size:15pt; font-weight:bold; "
                "font-family:monospace'>"
                f"{esc(exact(value))}{mark}</td>"
            )
        half = (len(cells) + 1) // 2
        rows = [
            cells[i] + (cells[i + half] if i + half < len(cells) else "<td></td><td></td>")
            for i in range(half)
        ]
        note = ""
        if any("●" in c for c in cells):
            note = (
                "<br><span style='color:#e65100'>●</span> differs from the stage's default "
                "(a policy or a person changed it)"
            )
        return "<table>" + "".join(f"<tr>{r}</tr>" for r in rows) + "</table>" + note

    @staticmethod
    def _weight_html(info: MouseInfo, threshold: float) -> str:
        w = info.weight
        baseline = info.row.baseline_weight_g
        if baseline is None:
            base = "<b>no baseline</b> (set one: Baseline…)"
        else:
            base = (
                f"baseline <b>{baseline:.1f} g</b>, threshold {threshold:.0%} = {baseline * threshold:.1f} g"
            )
        if w is None or w.last_g is None:
            return f"Not weighed yet · {base}"
        share = ""
        if w.fraction is not None:
            colour = RED if w.underweight else GREEN
            word = " — UNDERWEIGHT" if w.underweight else ""
            share = f" = <b style='color:{colour}; font-size:16pt'>{w.fraction:.0%}{word}</b>"
        when = f"{w.last_day:%a %d %b}" if w.last_day else ""
        return f"Last weighed <b style='font-size:16pt'>{w.last_g:.1f} g</b> ({when}){share} · {base}"

    @staticmethod
    def _suggestion_html(info: MouseInfo) -> str:
        s = info.suggestion
        row = info.row
        if not row.on_curriculum:
            return "<i>Off curriculum: the trainer does not evaluate it.</i>"
        if s is None:
            return "<i>Nothing pending: no new session since the last evaluation.</i>"
        if s.error:
            return f"<span style='color:{RED}'><b>Cannot be evaluated:</b> {esc(s.error)}</span>"
        if s.stage_changed:
            head = (
                f"<span style='font-size:16pt'><b>{esc(s.current_stage or '—')} → "
                f"{esc(s.suggested_stage or '—')}</b></span>"
            )
        elif s.current_policies != s.suggested_policies:
            head = f"Policies → <b>{esc(', '.join(s.suggested_policies) or 'none')}</b>"
        elif s.parameter_changes:
            head = "Parameter updates in the same stage"
        else:
            head = "No change: stays as it is"
        parts = [f"{head} <span style='color:#555'>after {esc(', '.join(s.sessions))}</span>"]
        if s.parameter_changes:
            changes = ", ".join(
                f"{esc(k)} {_value(a, k in s.current.parameters)} → {_value(b, k in s.suggested.parameters)}"
                for k, (a, b) in s.parameter_changes.items()
            )
            parts.append(f"Parameters: {changes}")
        if info.held:
            parts.append(f"<span style='color:{RED}'><b>Not pre-selected:</b> {esc(info.held)}</span>")
        checks = [c for c in s.why if c.get("fired") or c.get("error")] or s.why[-3:]
        lines = []
        for c in checks:
            values = ", ".join(f"{esc(k)}={esc(short(v, 40))}" for k, v in (c.get("values") or {}).items())
            verdict = (
                "ERROR " + esc(c["error"]) if c.get("error") else ("fired" if c.get("fired") else "false")
            )
            lines.append(
                f"{esc(str(c.get('session', '')))}: <code>{esc(str(c.get('rule', '')))}</code> → "
                f"{verdict} ({values})"
            )
        if lines:
            parts.append("Why: " + "<br>".join(lines))
        return "<br>".join(parts)

    @staticmethod
    def _sessions_html(info: MouseInfo) -> str:
        if not info.sessions:
            return "<i>No session yet.</i>"
        metrics = [m for m in info.metrics if any(m in s.values for s in info.sessions)][:7]
        head = "".join(f"<th style='padding:2px 8px'>{esc(m)}</th>" for m in metrics)
        rows = []
        for s in reversed(info.sessions):
            cells = []
            for m in metrics:
                value = s.values.get(m)
                if isinstance(value, list):
                    value = value[-1] if value else None
                cells.append(
                    f"<td style='padding:2px 8px'>{esc(short(value, 10)) if value is not None else '—'}</td>"
                )
            pending = "" if s.evaluated else " <i>(new)</i>"
            rows.append(
                f"<tr><td style='padding:2px 8px'>{s.date:%a %d %b}{pending}</td>{''.join(cells)}</tr>"
            )
        return f"<table><tr><th style='padding:2px 8px'>date</th>{head}</tr>{''.join(rows)}</table>"

    @staticmethod
    def _notes_html(info: MouseInfo) -> str:
        parts = [
            f"{e.at.astimezone():%d %b %H:%M} <b>{esc(e.operator)}</b>: {esc(e.reason or '')}"
            for e in info.notes[:5]
        ]
        if info.last_sent is not None:
            sent = info.last_sent
            parts.append(
                f"<span style='color:#555'>Sent to "
                f"{esc(str(sent.data.get('rig') or sent.data.get('folder')))} "
                f"{sent.at.astimezone():%d %b %H:%M} by {esc(sent.operator)}</span>"
            )
        return "<br>".join(parts) or "<i>No note.</i>"
