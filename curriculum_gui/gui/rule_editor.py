"""The rule editor: syntax highlighting, completion of names, and live validation that points at the error.

Validation runs the core checker (no evaluation) a moment after each keystroke; the text is committed to the
document only on Enter (Ctrl+Enter in multi-line updates), on leaving the field, or with Apply, so a
half-typed rule never floods the undo stack.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QFontDatabase,
    QKeyEvent,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.rules import FUNCTIONS, RuleIssue, available_names, check_condition, check_update

_TOKEN = re.compile(
    r"(?P<number>\b\d+(\.\d*)?([eE][-+]?\d+)?\b)|(?P<string>'[^']*'|\"[^\"]*\")|(?P<name>[A-Za-z_][\w.]*)"
)
_WORDS = {"and", "or", "not", "in", "is", "if", "else", "True", "False", "None"}
ERROR_COLOUR = QColor("#c62828")
WARNING_COLOUR = QColor("#b26a00")
OK_COLOUR = QColor("#2e7d32")


def _format(colour: str, *, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


class RuleHighlighter(QSyntaxHighlighter):
    """Colours keywords, functions, known and unknown names, numbers and strings; underlines problems."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self.known: set[str] = set()
        self.issues: list[RuleIssue] = []
        self._formats = {
            "keyword": _format("#6a1b9a", bold=True),
            "function": _format("#0d47a1"),
            "known": _format("#00695c"),
            "unknown": _format("#c62828", italic=True),
            "number": _format("#ad1457"),
            "string": _format("#5d4037"),
        }

    def highlightBlock(self, text: str) -> None:
        for match in _TOKEN.finditer(text):
            kind = match.lastgroup
            start, length = match.start(), match.end() - match.start()
            if kind == "name":
                word = match.group()
                if word in _WORDS or keyword.iskeyword(word):
                    kind = "keyword"
                elif word in FUNCTIONS:
                    kind = "function"
                else:
                    kind = "known" if word in self.known else "unknown"
            self.setFormat(start, length, self._formats[kind])
        line = self.currentBlock().blockNumber() + 1
        for issue in self.issues:
            if issue.line != line:
                continue
            start = min(issue.col, max(len(text) - 1, 0))
            length = max(1, min(issue.end_col, len(text)) - start)
            fmt = self.format(start)
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(ERROR_COLOUR if issue.severity == "error" else WARNING_COLOUR)
            for offset in range(start, start + length):
                merged = self.format(offset)
                merged.setUnderlineStyle(fmt.underlineStyle())
                merged.setUnderlineColor(fmt.underlineColor())
                self.setFormat(offset, 1, merged)


class _TextEdit(QPlainTextEdit):
    """A plain text field that completes names and commits on Enter (or Ctrl+Enter when multi-line)."""

    commit_requested = Signal()
    focus_left = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.multiline = False
        self.completer = QCompleter(self)
        self.completer.setWidget(self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.setModel(QStringListModel(self.completer))
        self.completer.activated.connect(self._insert_completion)

    def set_words(self, words: list[str]) -> None:
        model = self.completer.model()
        assert isinstance(model, QStringListModel)
        model.setStringList(sorted(words, key=str.lower))

    def _word_prefix(self) -> str:
        cursor = self.textCursor()
        text = cursor.block().text()[: cursor.positionInBlock()]
        match = re.search(r"[A-Za-z_][\w.]*$", text)
        return match.group() if match else ""

    def _insert_completion(self, word: str) -> None:
        cursor = self.textCursor()
        prefix = self._word_prefix()
        cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, len(prefix))
        cursor.insertText(word)
        self.setTextCursor(cursor)

    def show_completions(self, force: bool = False) -> None:
        prefix = self._word_prefix()
        if not prefix and not force:
            self.completer.popup().hide()
            return
        self.completer.setCompletionPrefix(prefix)
        if self.completer.completionCount() == 0:
            self.completer.popup().hide()
            return
        rect = self.cursorRect()
        rect.setWidth(
            self.completer.popup().sizeHintForColumn(0)
            + self.completer.popup().verticalScrollBar().sizeHint().width()
        )
        self.completer.complete(rect)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        popup = self.completer.popup()
        key = event.key()
        if popup.isVisible() and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab):
            event.ignore()  # the completer's popup takes it
            return
        if key == Qt.Key.Key_Space and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.show_completions(force=True)
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            if not self.multiline or ctrl:
                self.commit_requested.emit()
                return
        super().keyPressEvent(event)
        if event.text() and (event.text().isalnum() or event.text() in "_."):
            self.show_completions()
        elif popup.isVisible() and not event.text().strip():
            popup.hide()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if not self.completer.popup().isVisible():
            self.focus_left.emit()


class RuleEditor(QWidget):
    """Edits one rule: a condition (of a transition) or an update (of a policy).

    ``committed(text)``: the person is done with a changed text; the owner turns it into an edit.
    Python-reference rules are shown read-only: they are code in the user's package, not text to edit here.
    """

    committed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode = "condition"
        self.policy_rule = False
        self.attention_rule = False
        self._names: Mapping[str, Any] = {}
        self._parameters: Mapping[str, Any] = {}
        self._committed_text = ""
        self._checked_text: str | None = None  # the text the issues shown are about
        self.issues: list[RuleIssue] = []

        self.text_edit = _TextEdit(self)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(max(font.pointSizeF(), 10.0))
        self.text_edit.setFont(font)
        self.text_edit.setTabChangesFocus(True)
        self.text_edit.setFixedHeight(self.text_edit.fontMetrics().lineSpacing() * 3 + 14)
        self.highlighter = RuleHighlighter(self.text_edit.document())
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # messages quote the person's own text
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.apply_button = QPushButton("Apply", self)
        self.apply_button.setToolTip("Apply the rule (Enter)")
        self.apply_button.clicked.connect(self.commit)
        self.revert_button = QPushButton("Revert", self)
        self.revert_button.setToolTip("Go back to the rule as it is in the curriculum (Esc)")
        self.revert_button.clicked.connect(self.revert)
        # Clicking Revert must not take focus first: leaving the field commits.
        self.revert_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        row = QHBoxLayout()
        row.addWidget(self.message, 1)
        row.addWidget(self.revert_button)
        row.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text_edit)
        layout.addLayout(row)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.check_now)
        self.text_edit.textChanged.connect(self._text_changed)
        self.text_edit.commit_requested.connect(self.commit)
        self.text_edit.focus_left.connect(self.commit)

    # --- set-up --------------------------------------------------------------------------------

    def set_context(
        self,
        mode: str,
        names: Mapping[str, Any],
        *,
        policy_rule: bool = False,
        parameters: Mapping[str, Any] | None = None,
        attention_rule: bool = False,
    ) -> None:
        """What the rule may refer to: the declared metrics (name → type) and, for updates, the parameters;
        ``attention_rule``: a condition of an attention rule (it may read the ``days_*`` counters)."""
        self.mode = mode
        self.policy_rule = policy_rule or mode == "update"
        self.attention_rule = attention_rule
        self.text_edit.multiline = mode == "update"
        self._names = dict(names)
        self._parameters = dict(parameters or {})
        words = available_names(
            self._names,
            policy_rule=self.policy_rule,
            parameters=self._parameters,
            attention_rule=attention_rule,
        )
        self.highlighter.known = set(words)
        self.text_edit.set_words(list(words))
        hint = "Ctrl+Enter" if mode == "update" else "Enter"
        self.apply_button.setToolTip(f"Apply the rule ({hint})")
        self.text_edit.setPlaceholderText(
            "e.g. reward_volume = clamp(reward_volume - 0.1, 1.5, 3.0)"
            if mode == "update"
            else "e.g. weight_fraction < 0.8 or days_since_last_session > 3"
            if attention_rule
            else "e.g. mean(last(accuracy, 3)) >= 0.8 and sessions_in_stage >= 2"
        )

    def set_text(self, text: str, *, python_reference: bool = False) -> None:
        """Show a rule from the model (not a user edit: nothing is committed). Text the person is still
        typing is kept: an undo or another edit elsewhere must not wipe it."""
        typing = self.text_edit.hasFocus() and self.text() != self._committed_text
        self._committed_text = text
        if typing and not python_reference:
            self.check_now()
            return
        self.text_edit.setReadOnly(python_reference)
        self.apply_button.setVisible(not python_reference)
        self.revert_button.setVisible(not python_reference)
        if self.text_edit.toPlainText() != text:
            blocked = self.text_edit.blockSignals(True)
            self.text_edit.setPlainText(text)
            self.text_edit.blockSignals(blocked)
        if python_reference:
            self.issues = []
            self.highlighter.issues = []
            self.highlighter.known = {text}
            self.highlighter.rehighlight()
            self._show_message(
                "Python reference: code in your own package (its function is shown below), run only when "
                "you trust its module. Edit it there.",
                None,
            )
        else:
            self.check_now()

    def text(self) -> str:
        return self.text_edit.toPlainText()

    # --- validation and commit -----------------------------------------------------------------

    def _text_changed(self) -> None:
        # Only an edit: the highlighting a check applies changes the document too, and would otherwise
        # start the check again, every 150 ms for as long as the editor is open.
        if self.text() != self._checked_text:
            self._timer.start()

    def check_now(self) -> list[RuleIssue]:
        """Check the current text and show the first problem (or that the rule is fine)."""
        self._timer.stop()
        if self.text_edit.isReadOnly():
            return self.issues
        text = self._checked_text = self.text()
        if not text.strip():
            self.issues = []
            self.highlighter.issues = []
            self.highlighter.rehighlight()
            empty = (
                "no update yet"
                if self.mode == "update"
                else "no condition yet: this attention rule never flags anyone"
                if self.attention_rule
                else "no rule yet: this transition never fires"
            )
            self._show_message(empty, WARNING_COLOUR)
            return self.issues
        if self.mode == "update":
            issues = check_update(text, self._names, self._parameters)
        else:
            issues = check_condition(
                text, self._names, policy_rule=self.policy_rule, attention_rule=self.attention_rule
            )
        self.issues = issues
        self.highlighter.issues = issues
        self.highlighter.rehighlight()
        if issues:
            first = issues[0]
            colour = ERROR_COLOUR if first.severity == "error" else WARNING_COLOUR
            more = f"  (+{len(issues) - 1} more)" if len(issues) > 1 else ""
            self._show_message(
                f"{'✖' if first.severity == 'error' else '⚠'} {first.describe(self.mode == 'update')}{more}",
                colour,
            )
        else:
            self._show_message("✓ valid", OK_COLOUR)
        return issues

    def _show_message(self, text: str, colour: QColor | None) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {colour.name()};" if colour is not None else "")

    def commit(self) -> None:
        if self.text_edit.isReadOnly():
            return
        text = self.text()
        if text != self._committed_text:
            self._committed_text = text
            self.committed.emit(text)

    def revert(self) -> None:
        self.text_edit.setPlainText(self._committed_text)
        self.check_now()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.revert()
            return
        super().keyPressEvent(event)
