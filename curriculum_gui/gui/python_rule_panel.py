"""What a Python reference rule checks, readable without running it: its function's source, and (for a
condition) "Convert to expression".

The source is read as text from the installed package (:mod:`curriculum_gui.core.python_source`): nothing is
imported to show it. Converting runs the function on random metrics to check the expression (see
:mod:`curriculum_gui.core.rule_conversion`), so it needs the module trusted; it runs off the GUI thread and
its result is one undoable edit made by the page that owns this panel.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QTextOption
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core import edits
from ..core.aind_metrics import merge_declared, package_metrics
from ..core.model import Curriculum, ExpressionRule, Metric
from ..core.problems import ItemRef
from ..core.python_source import FunctionSource, SourceUnavailable, function_name, function_source
from ..core.rule_conversion import Conversion, NotConvertible, check, translate

TrustedRunner = Callable[[], Any]
"""Gives a runner that trusts the document's modules (asking the person first), or None."""


class PythonRulePanel(QGroupBox):
    """``converted(reference, (conversion, package metrics))``: the page applies the expression (and
    declares the package's metrics it reads) as one undoable edit."""

    converted = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Python function", parent)
        self.setToolTip("Read from the installed package's file: nothing is imported or run to show it")
        self.reference: str | None = None
        self.trusted_runner: TrustedRunner | None = None
        self._cache: dict[str, tuple[float, FunctionSource | str]] = {}
        self._task: Any = None
        self.name = QLabel()
        self.name.setTextFormat(Qt.TextFormat.RichText)
        self.name.setWordWrap(True)
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where = QLabel()
        self.where.setWordWrap(True)
        self.where.setStyleSheet("color: gray;")
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.source = QPlainTextEdit()
        self.source.setReadOnly(True)
        # Wrapped, not scrolled sideways: the whole condition reads in the dock's width.
        self.source.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(max(font.pointSizeF(), 9.5))
        self.source.setFont(font)
        self.source.setMinimumHeight(self.source.fontMetrics().lineSpacing() * 8 + 12)
        self.convert_button = QPushButton("Convert to expression")
        self.convert_button.setToolTip(
            "Write the same condition in the rule language, checked first by running the function and the "
            "expression on random metrics (needs the module trusted)"
        )
        self.convert_button.clicked.connect(self.convert)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        row.addWidget(self.convert_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.name)
        layout.addWidget(self.where)
        layout.addWidget(self.source, 1)
        layout.addLayout(row)
        layout.addWidget(self.status)

    # --- showing ---------------------------------------------------------------------------------

    def _source(self, reference: str) -> FunctionSource | str:
        """The source (or why not), cached until the file changes."""
        cached = self._cache.get(reference)
        if cached is not None and isinstance(cached[1], FunctionSource):
            try:
                if cached[1].path.stat().st_mtime == cached[0]:
                    return cached[1]
            except OSError:
                pass
        try:
            found: FunctionSource | str = function_source(reference)
            stamp = found.path.stat().st_mtime
        except (SourceUnavailable, OSError) as exc:
            found, stamp = str(exc), 0.0
        self._cache[reference] = (stamp, found)
        return found

    def show_reference(self, reference: str, *, condition: bool) -> None:
        if reference != self.reference:
            self.status.clear()
        self.reference = reference
        module = reference.rpartition(".")[0]
        self.name.setText(f"<b>{html.escape(breakable(function_name(reference)))}</b>")
        found = self._source(reference)
        if isinstance(found, FunctionSource):
            self.where.setText(breakable(f"{module} — {_short_path(found.path)}, line {found.line}"))
            if self.source.toPlainText() != found.text:
                self.source.setPlainText(found.text)
                lines = min(max(found.text.count("\n") + 3, 8), 26)
                self.source.setMinimumHeight(self.source.fontMetrics().lineSpacing() * lines + 12)
            self.source.show()
        else:
            self.where.setText(breakable(f"{module} — source not shown: {found}"))
            self.source.clear()
            self.source.hide()
        self.convert_button.setVisible(condition)
        self.convert_button.setEnabled(self._task is None and isinstance(found, FunctionSource))

    # --- converting ------------------------------------------------------------------------------

    def convert(self, synchronous: bool = False) -> None:
        """Translate and check (off the GUI thread); ``converted`` is emitted when both agree."""
        from .subjects import worker

        reference = self.reference
        if reference is None or self._task is not None:
            return
        try:
            expression = translate(reference)  # read from the source: why not, before any trust is asked
        except (NotConvertible, SourceUnavailable) as exc:
            self._failed(exc)
            return
        runner = self.trusted_runner() if self.trusted_runner is not None else None
        if runner is None:
            self._say(
                "error",
                f"Not converted: module {reference.rpartition('.')[0]!r} is not trusted. The conversion is "
                "checked by running the function, so trust it first (Curriculum → Trust Python Rules…).",
            )
            return
        self.convert_button.setEnabled(False)
        self._say("info", "Checking the conversion on random metrics…")

        def job(_progress: Any) -> tuple[Conversion, list[Metric]]:
            conversion = check(reference, expression, runner)
            return conversion, package_metrics(runner, reference)

        if synchronous:
            try:
                self._done(reference, job(None))
            except Exception as exc:
                self._failed(exc)
            return
        self._task = worker.start(
            job, lambda result: self._done(reference, result), self._failed, context=self
        )

    def _done(self, reference: str, result: tuple[Conversion, list[Metric]]) -> None:
        conversion = result[0]
        self._task = None
        self.convert_button.setEnabled(True)
        self._say("ok", f"Converted ({conversion.summary()}). Edit → Undo brings the Python reference back.")
        self.converted.emit(reference, result)

    def _failed(self, exc: Exception) -> None:
        self._task = None
        self.convert_button.setEnabled(True)
        reason = exc.reason if isinstance(exc, NotConvertible) else str(exc) or type(exc).__name__
        self._say("error", f"Not converted: {reason}")

    def _say(self, level: str, text: str) -> None:
        colour = {"error": "#c62828", "ok": "#2e7d32"}.get(level, "#555555")
        self.status.setStyleSheet(f"color: {colour};")
        self.status.setText(text)


def python_to_expression(
    curriculum: Curriculum, ref: ItemRef, expression: str, package_metrics: list[Metric]
) -> edits.Batch:
    """Replace a transition's Python reference by its checked expression; declare the package's metrics
    first (the expression reads them), keeping the person's own."""
    steps: list[edits.Edit] = []
    merged = merge_declared(list(curriculum.metrics), package_metrics) if package_metrics else None
    if merged is not None and merged != curriculum.metrics:
        steps.append(edits.set_metrics(merged))
    rule = ExpressionRule(expression=expression)
    steps.append(edits.set_rule(ref.kind, ref.id or "", rule, ref.stage_id))  # type: ignore[arg-type]
    return edits.Batch(steps, text="Convert to expression")


def breakable(text: str) -> str:
    """Long identifiers and dotted paths may wrap (after ``_``, ``.`` and ``/``) instead of widening the
    inspector past its dock."""
    return text.replace("_", "_\u200b").replace(".", ".\u200b").replace("/", "/\u200b")


def _short_path(path: Path) -> str:
    """``…/site-packages/pkg/mod.py`` -> ``pkg/mod.py`` style: the part a person recognises."""
    parts = path.parts
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            return "/".join(parts[parts.index(marker) + 1 :])
    return str(path)
