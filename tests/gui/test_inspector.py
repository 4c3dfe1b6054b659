"""Inspector, rule editor, parameters form, priorities, outline and problems panel, used as a person would."""

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidgetItem

from curriculum_gui.core import native_format
from curriculum_gui.core.problems import ItemRef
from curriculum_gui.gui.autosave import Autosave, find_recoveries, recovery_dir
from curriculum_gui.gui.main_window import MainWindow


def _type(qtbot, widget, text: str) -> None:
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClicks(widget, text)


def test_renaming_a_stage_in_the_inspector_is_one_undoable_edit(qtbot, window: MainWindow) -> None:
    window.select_item(ItemRef("stage", "warmup"))
    page = window.inspector.pages["stage"]
    assert window.inspector.stack.currentWidget() is page
    assert page.name.text() == "Warm-up: one side"
    _type(qtbot, page.name, "Warm-up")
    qtbot.keyClick(page.name, Qt.Key.Key_Return)
    assert window.document.curriculum.stage("warmup").name == "Warm-up"
    assert "Warm-up" in [window.outline.model_.item(r).text() for r in range(6)]
    window.undo_action.trigger()
    assert window.document.curriculum.stage("warmup").name == "Warm-up: one side"
    assert page.name.text() == "Warm-up: one side"


def test_a_duplicate_name_is_refused_with_a_reason(qtbot, window: MainWindow) -> None:
    window.select_item(ItemRef("stage", "warmup"))
    page = window.inspector.pages["stage"]
    _type(qtbot, page.name, "Habituation")
    qtbot.keyClick(page.name, Qt.Key.Key_Return)
    assert window.document.curriculum.stage("warmup").name == "Warm-up: one side"
    assert window.inspector.error.isVisibleTo(window.inspector)
    assert "already used" in window.inspector.error.text()
    assert window.document.undo_stack.count() == 0


def test_bad_rule_text_is_flagged_at_its_column_and_never_crashes(qtbot, window: MainWindow) -> None:
    window.select_item(ItemRef("stage_transition", "t4"))
    editor = window.inspector.pages["transition"].rule
    assert editor.text() == "mean(last(accuracy, 3)) >= 0.8 and bias < 0.2"
    for bad in ("accuracy >", "__import__('os')", "bias < 0.2 and speed > 1", "x.__class__", "(((", "1 +"):
        editor.text_edit.setPlainText(bad)
        issues = editor.check_now()
        assert issues, bad
        assert editor.message.text().startswith("✖"), bad
    editor.text_edit.setPlainText("bias < 0.2 and speed > 1")
    editor.check_now()
    assert "speed" in editor.message.text()
    assert editor.issues[0].col == len("bias < 0.2 and ")
    # A rule with errors may still be kept (work in progress): it is committed and listed as a problem.
    editor.commit()
    assert window.document.curriculum.stage_transitions[3].rule.text == "bias < 0.2 and speed > 1"
    assert any("speed" in p.message for p in window.document.problems)


def test_a_valid_rule_commits_on_enter_and_labels_follow(qtbot, window: MainWindow) -> None:
    window.select_item(ItemRef("stage_transition", "t4"))
    editor = window.inspector.pages["transition"].rule
    editor.text_edit.setFocus()
    editor.text_edit.selectAll()
    qtbot.keyClicks(editor.text_edit, "bias < 0.1")
    assert editor.check_now() == []
    assert editor.message.text() == "✓ valid"
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_Return)
    assert window.document.curriculum.stage_transitions[3].rule.text == "bias < 0.1"
    assert window.document.undo_stack.count() == 1


def test_completion_offers_metrics_counters_and_functions(window: MainWindow) -> None:
    window.select_item(ItemRef("stage_transition", "t1"))
    editor = window.inspector.pages["transition"].rule
    words = set(editor.text_edit.completer.model().stringList())
    assert {"accuracy", "licks_per_reward", "sessions_in_stage", "mean", "last"} <= words
    assert "sessions_in_policy" not in words  # only policy rules have it


def test_policy_updates_are_checked_against_the_stage_parameters(window: MainWindow) -> None:
    window.select_item(ItemRef("policy", "mc_reward", "contrast"))
    page = window.inspector.pages["policy"]
    editor = page.updates
    editor.text_edit.setPlainText("reward_volume_ul = reward_volume_ul - 0.1")
    assert editor.check_now() == []
    editor.text_edit.setPlainText("no_such_parameter = 1")
    assert editor.check_now()
    editor.text_edit.setPlainText("contrast_set.lowest = 0.25")
    assert editor.check_now() == []
    editor.commit()
    policy = window.document.curriculum.stage("contrast").policy("mc_reward")
    assert policy.updates.text == "contrast_set.lowest = 0.25"


def _parameter_item(page, name: str) -> QTreeWidgetItem:
    tree = page.parameters.tree
    return next(
        tree.topLevelItem(i) for i in range(tree.topLevelItemCount()) if tree.topLevelItem(i).text(0) == name
    )


def test_parameters_keep_their_types(window: MainWindow) -> None:
    window.select_item(ItemRef("stage", "warmup"))
    page = window.inspector.pages["stage"]
    _parameter_item(page, "iti_s").setText(1, "2.5")
    assert window.document.curriculum.stage("warmup").task.parameters["iti_s"] == 2.5
    _parameter_item(page, "block_length").setText(1, "forty")
    assert window.document.curriculum.stage("warmup").task.parameters["block_length"] == 40
    assert "not a whole number" in page.parameters.message.text()
    assert _parameter_item(page, "block_length").text(1) == "40"
    _parameter_item(page, "auto_reward").setCheckState(1, Qt.CheckState.Unchecked)
    assert window.document.curriculum.stage("warmup").task.parameters["auto_reward"] is False
    page.parameters.tree.setCurrentItem(_parameter_item(page, "iti_s"))
    page.parameters.remove_selected()
    assert "iti_s" not in window.document.curriculum.stage("warmup").task.parameters
    for _ in range(3):
        window.undo_action.trigger()
    assert window.document.curriculum.stage("warmup").task.parameters["iti_s"] == 2.0


def test_nested_parameter_groups_are_edited_in_place(window: MainWindow) -> None:
    window.select_item(ItemRef("stage", "contrast"))
    page = window.inspector.pages["stage"]
    group = _parameter_item(page, "contrast_set")
    levels = next(group.child(i) for i in range(group.childCount()) if group.child(i).text(0) == "levels")
    levels.setText(1, "6")
    assert window.document.curriculum.stage("contrast").task.parameters["contrast_set"] == {
        "lowest": 0.5,
        "levels": 6,
    }


def test_priorities_reorder_with_up_and_down(window: MainWindow) -> None:
    window.select_item(ItemRef("stage", "warmup"))
    priorities = window.inspector.pages["stage"].priorities
    assert priorities.order() == ["t2", "t3"]
    priorities.list.setCurrentRow(1)
    priorities.up.click()
    assert [t.id for t in window.document.curriculum.outgoing_stage_transitions("warmup")] == ["t3", "t2"]
    assert priorities.order() == ["t3", "t2"]
    assert priorities.list.item(0).text().startswith("(1) → Two-choice")
    window.undo_action.trigger()
    assert priorities.order() == ["t2", "t3"]


def test_start_stage_and_start_policies_from_the_inspector(window: MainWindow) -> None:
    window.select_item(ItemRef("stage", "warmup"))
    page = window.inspector.pages["stage"]
    page.start.setChecked(True)
    assert window.document.curriculum.start_stage == "warmup"
    page.start_policies.item(1).setCheckState(Qt.CheckState.Checked)
    assert window.document.curriculum.stage("warmup").start_policies == ["wu_auto", "wu_fade"]


def test_declared_metrics_are_edited_in_the_curriculum_page(window: MainWindow) -> None:
    window.select_item(ItemRef("curriculum"))
    page = window.inspector.pages["curriculum"]
    page.add_metric()
    assert window.document.curriculum.metrics[-1].name == "metric_1"
    page.metrics.item(5, 0).setText("lick_rate")
    assert window.document.curriculum.metrics[-1].name == "lick_rate"
    page.metrics.item(5, 0).setText("not valid!")
    assert window.document.curriculum.metrics[-1].name == "lick_rate"
    assert "identifier" in window.inspector.error.text()
    _type_version = page.version
    _type_version.setText("one")
    _type_version.editingFinished.emit()
    # A version that is not semver is kept (work in progress) and reported live as an error.
    assert window.document.curriculum.version == "one"
    assert any(
        p.location == "curriculum.version" and p.severity == "error" for p in window.document.problems
    ), [str(p) for p in window.document.problems]
    assert window.problems.item(0).text().startswith("✖")


def test_problems_panel_double_click_selects_the_item(qtbot, window: MainWindow) -> None:
    window.document.curriculum.stage_transitions[0].rule.expression = "speed > 1"
    window.document.changed.emit()
    panel = window.problems
    item = next(panel.item(i) for i in range(panel.count()) if "speed" in panel.item(i).text())
    assert item.text().startswith("✖")
    panel.itemDoubleClicked.emit(item)
    assert window.inspector.ref == ItemRef("stage_transition", "t1")
    assert window.inspector.pages["transition"].rule.text() == "speed > 1"


def test_outline_lists_stages_and_policies(window: MainWindow) -> None:
    model = window.outline.model_
    assert model.rowCount() == 6
    assert "start" in model.item(0).text()
    assert model.item(3).rowCount() == 3
    window.outline.clicked.emit(model.item(3).child(0).index())
    assert window.inspector.ref == ItemRef("policy", "mc_ramp", "contrast")


def test_autosave_writes_a_recovery_copy_that_a_later_start_offers(
    window: MainWindow, tmp_path: Path
) -> None:
    document = window.document
    document.apply(
        __import__("curriculum_gui.core.edits", fromlist=["rename"]).rename(
            document.curriculum, "stage", "final", "Final"
        )
    )
    autosave = Autosave(document)
    written = autosave.write()
    assert written is not None and written.is_file()
    assert native_format.load(written).stage("final").name == "Final"
    # Our own (running) copy is not offered; one left by a process that is gone is.
    assert all(r.file != written for r in find_recoveries())
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    meta = written.with_suffix(".meta")
    meta.write_text(meta.read_text().replace(str(os.getpid()), dead.stdout.strip()))
    (found,) = [r for r in find_recoveries() if r.file == written]
    assert found.curriculum.stage("final").name == "Final"
    found.discard()
    assert not written.exists() and recovery_dir().is_dir()


def test_saving_removes_the_recovery_copy(window: MainWindow, tmp_path: Path) -> None:
    from curriculum_gui.core import edits

    window.document.apply(edits.rename(window.document.curriculum, "stage", "final", "Final"))
    copy = window.autosave.write()
    assert copy is not None and copy.exists()
    assert window._save_to(tmp_path / "saved.json")
    assert not copy.exists()
    assert native_format.load(tmp_path / "saved.json").stage("final").name == "Final"
    assert window.recent_files()[0] == str((tmp_path / "saved.json").resolve())


def test_a_rule_editor_left_alone_checks_nothing_more(qtbot, monkeypatch) -> None:
    """A check highlights the text, which changes the document: that must not start another check (it
    did, every 150 ms while the editor was open, on the GUI thread)."""
    from curriculum_gui.gui import rule_editor

    checks = []
    original = rule_editor.RuleEditor.check_now
    monkeypatch.setattr(rule_editor.RuleEditor, "check_now", lambda self: checks.append(1) or original(self))
    editor = rule_editor.RuleEditor()
    qtbot.addWidget(editor)
    editor.show()
    editor.set_text("mean(last(accuracy, 3)) >= 0.8")
    qtbot.wait(50)
    checked = len(checks)
    assert checked >= 1 and editor.message.text()  # it was checked once, and says so
    qtbot.wait(800)
    assert len(checks) == checked
    editor.text_edit.setPlainText("mean(last(accuracy, 3)) >= ")  # an edit is checked, once
    qtbot.waitUntil(lambda: len(checks) == checked + 1, timeout=2000)
    qtbot.wait(500)
    assert len(checks) == checked + 1 and editor.issues
