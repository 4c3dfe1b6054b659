"""Help and empty states (issue 15, item 20): Help → Rule language from the compiler's own tables (every
example compiles and checks), Help → Keyboard shortcuts from the actions themselves, and an empty
subjects table that says what to do next."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QTableWidget, QTextBrowser

from curriculum_gui.core.rules import COUNTERS, FUNCTIONS, check_condition, check_update
from curriculum_gui.core.rules.cheatsheet import (
    EXAMPLE_METRICS,
    EXAMPLE_PARAMETERS,
    EXAMPLES,
    cheat_sheet_html,
    operator_rows,
)
from curriculum_gui.core.rules.parser import BINOP_SYMBOLS, CMPOP_SYMBOLS
from curriculum_gui.gui.main_window import MainWindow
from curriculum_gui.gui.subjects import SubjectsView
from curriculum_gui.store import Workspace


def test_every_function_and_counter_has_an_example_that_checks_clean() -> None:
    assert set(EXAMPLES) == set(FUNCTIONS) | set(COUNTERS)  # a new function needs its example here
    for name, (kind, text) in EXAMPLES.items():
        if kind in ("condition", "attention"):  # attention: an attention rule's condition
            issues = check_condition(
                text,
                EXAMPLE_METRICS,
                policy_rule=name in ("sessions_in_policy", "ramp"),
                attention_rule=kind == "attention",
            )
        else:
            issues = check_update(text, EXAMPLE_METRICS, EXAMPLE_PARAMETERS)
        assert not [i for i in issues if i.severity == "error"], (name, text, issues)


def test_the_cheat_sheet_lists_what_the_compiler_accepts() -> None:
    page = cheat_sheet_html()
    for f in FUNCTIONS.values():
        assert f.signature.replace(">", "&gt;") in page.replace("&#x27;", "'"), f.name
    for name in COUNTERS:
        assert name in page
    symbols = {s for s, _ in operator_rows()}
    assert set(BINOP_SYMBOLS.values()) | set(CMPOP_SYMBOLS.values()) <= symbols
    assert "lambdas are not allowed" in page


def test_help_menu_opens_the_rule_language_and_the_shortcuts(qtbot, window: MainWindow) -> None:
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()[-1].menu().actions()]
    assert titles[:2] == ["Rule language", "Keyboard Shortcuts"]
    dialog = window.show_rule_language()
    qtbot.addWidget(dialog)
    text = dialog.findChild(QTextBrowser).toPlainText()
    assert "clamp(x, low, high)" in text and "sessions_in_stage" in text
    dialog = window.show_shortcuts()
    qtbot.addWidget(dialog)
    table = dialog.findChild(QTableWidget)
    rows = {(table.item(r, 1).text(), table.item(r, 2).text()) for r in range(table.rowCount())}
    assert ("Ins", "Add Stage") in rows and ("Ctrl+L", "Auto-Layout") in rows
    assert ("F1", "Rule language") in rows
    keys = {k for k, _ in rows}
    assert window.canvas.fit_action.shortcut().toString() in keys


def test_an_empty_database_says_what_to_do_next(qtbot, tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "empty.sqlite3", create=True) as ws:
        view = SubjectsView(ws)
        qtbot.addWidget(view)
        view.show()
        assert view.empty.isVisible()
        assert "Publish a curriculum from the editor" in view.empty.text()
        assert "Register" in view.empty.text()


def test_a_filter_that_hides_everyone_says_so(qtbot, view: SubjectsView) -> None:
    assert not view.empty.isVisible()
    view.filter.setText("no mouse is called this")
    assert view.empty.isVisible() and "No subject matches the filter" in view.empty.text()
    view.filter.clear()
    assert not view.empty.isVisible()
