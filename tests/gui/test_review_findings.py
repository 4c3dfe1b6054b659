"""What a person does that a unit test of one widget misses: typing then saving, undo mid-typing,
keys meant for one panel, recovery after a crash, text from a file shown in the window."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from curriculum_gui.core import edits, native_format
from curriculum_gui.core.model import PythonRule
from curriculum_gui.core.problems import ItemRef
from curriculum_gui.gui.autosave import Autosave, find_recoveries
from curriculum_gui.gui.document import Document
from curriculum_gui.gui.main_window import MainWindow


@pytest.fixture
def own_file(tmp_path: Path, example_path: Path) -> Path:
    path = tmp_path / "mine.json"
    shutil.copy(example_path, path)
    return path


@pytest.fixture
def mine(qtbot, own_file: Path):
    win = MainWindow(Document.open(own_file))
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.commit_pending()  # a field still being typed in commits now, not in close()
    win.document.undo_stack.clear()
    win.close()
    win.deleteLater()


def test_ctrl_s_while_typing_saves_what_was_typed(mine: MainWindow, own_file: Path, qtbot) -> None:
    mine.select_item(ItemRef("stage", "warmup"))
    field = mine.inspector.pages["stage"].name
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    field.selectAll()
    qtbot.keyClicks(field, "Warm-up")
    mine.save_action.trigger()
    assert native_format.load(own_file).stage("warmup").name == "Warm-up"
    assert not mine.document.is_modified


def test_closing_while_typing_asks_about_the_typed_change(mine: MainWindow, qtbot, monkeypatch) -> None:
    asked: list[str] = []

    def answer(*args, **kwargs):
        asked.append(args[2])
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", answer)
    mine.select_item(ItemRef("stage", "warmup"))
    field = mine.inspector.pages["stage"].name
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    field.selectAll()
    qtbot.keyClicks(field, "Warm-up")
    assert not mine.close()  # Cancel: the window stays, with the change
    assert asked and "Save the changes" in asked[0]
    assert mine.document.curriculum.stage("warmup").name == "Warm-up"


def test_undo_does_not_wipe_a_rule_being_typed(mine: MainWindow, qtbot) -> None:
    mine.document.apply(edits.rename(mine.document.curriculum, "stage", "final", "Final"))
    mine.select_item(ItemRef("stage_transition", "t4"))
    editor = mine.inspector.pages["transition"].rule
    editor.text_edit.setFocus()
    qtbot.waitUntil(editor.text_edit.hasFocus)
    editor.text_edit.selectAll()
    qtbot.keyClicks(editor.text_edit, "bias < 0.05")
    mine.undo_action.trigger()  # a toolbar button: takes no focus, commits nothing
    assert mine.document.curriculum.stage("final").name == "Full task"
    assert editor.text() == "bias < 0.05"


def test_delete_in_the_outline_does_not_remove_a_task_parameter(mine: MainWindow, qtbot) -> None:
    mine.select_item(ItemRef("stage", "warmup"))
    page = mine.inspector.pages["stage"]
    page.parameters.tree.setCurrentItem(page.parameters.tree.topLevelItem(0))
    before = dict(mine.document.curriculum.stage("warmup").task.parameters)
    mine.outline.setFocus()
    qtbot.waitUntil(mine.outline.hasFocus)
    QTest.keyClick(mine.outline, Qt.Key.Key_Delete)
    assert mine.document.curriculum.stage("warmup").task.parameters == before


def test_every_outgoing_transition_is_drawn_in_the_priority_list(mine: MainWindow) -> None:
    mine.select_item(ItemRef("stage", "habituation"))  # one transition
    mine.select_item(ItemRef("stage", "warmup"))  # two
    priorities = mine.inspector.pages["stage"].priorities
    assert priorities.list.count() == 2
    for row in range(2):
        assert priorities.list.visualItemRect(priorities.list.item(row)).height() > 0


def test_alt_up_reorders_only_inside_the_priority_list(mine: MainWindow, qtbot) -> None:
    mine.select_item(ItemRef("stage", "warmup"))
    priorities = mine.inspector.pages["stage"].priorities
    priorities.list.setCurrentRow(1)
    mine.canvas.view.setFocus()
    qtbot.waitUntil(mine.canvas.view.hasFocus)
    QTest.keyClick(mine.canvas.view, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert [t.id for t in mine.document.curriculum.outgoing_stage_transitions("warmup")] == ["t2", "t3"]
    priorities.list.setFocus()
    qtbot.waitUntil(priorities.list.hasFocus)
    QTest.keyClick(priorities.list, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert [t.id for t in mine.document.curriculum.outgoing_stage_transitions("warmup")] == ["t3", "t2"]


def test_recovered_work_keeps_a_copy_and_goes_back_to_its_own_file(
    qtbot, own_file: Path, monkeypatch
) -> None:
    crashed = Document.open(own_file)
    crashed.apply(edits.rename(crashed.curriculum, "stage", "final", "Final"))
    copy = Autosave(crashed).write()
    assert copy is not None
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    meta = copy.with_suffix(".meta")
    meta.write_text(meta.read_text().replace(str(os.getpid()), gone.stdout.strip()))

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    win = MainWindow(Document.open(own_file))
    try:
        win.offer_recoveries()
        assert win.document.path == own_file
        assert win.document.curriculum.stage("final").name == "Final"
        assert win.document.is_modified
        assert all(r.file != copy for r in find_recoveries())  # not offered again while we run
        assert (
            win.autosave is not None and win.autosave._written is not None and win.autosave._written.exists()
        )
        assert win.save()
        assert native_format.load(own_file).stage("final").name == "Final"
        assert [r for r in find_recoveries() if r.original == str(own_file)] == []
    finally:
        win.document.undo_stack.clear()
        win.close()
        win.deleteLater()


def test_saving_an_untitled_document_removes_its_recovery_copy(qtbot, tmp_path: Path, example) -> None:
    document = Document(example, path=None)
    autosave = Autosave(document)
    document.apply(edits.rename(document.curriculum, "stage", "final", "Final"))
    copy = autosave.write()
    document.undo_stack.undo()  # back at the clean point: saving emits no cleanChanged
    document.save(tmp_path / "saved.json")
    assert copy is not None and not copy.exists()


def test_module_names_in_the_trust_prompt_are_shown_as_written(mine: MainWindow, monkeypatch) -> None:
    pytest.importorskip("aind_behavior_curriculum")
    shown: list[str] = []

    def warning(*args, **kwargs):
        shown.append(args[2])
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "warning", warning)
    rule = PythonRule(python="a<!--.f")
    mine.document.apply(edits.set_rule("stage_transition", "t1", rule))
    assert not mine.trust_python_rules()
    assert "a&lt;!--" in shown[0] and "anything your account can" in shown[0]
    assert mine.simulate.python_rules is None


def test_renaming_a_metric_keeps_its_simulated_values(mine: MainWindow) -> None:
    panel = mine.simulate
    panel.add_session({"accuracy": 0.7, "trials": 250})
    mine.document.apply(edits.set_field("metric", "accuracy", "name", "acc"))
    column = [mine.document.curriculum.metrics[i].name for i in range(5)].index("acc")
    assert panel.table.item(0, column).text() == "0.7"


def test_an_unreadable_sessions_file_is_a_message(mine: MainWindow, tmp_path: Path) -> None:
    folder = tmp_path / "sessions.jsonl"
    folder.mkdir()
    with pytest.raises(Exception, match="directory") as info:
        mine.simulate.load_file(folder)
    assert type(info.value).__name__ in ("LoadError", "SimulationError")
    (tmp_path / "ok.json").write_text(json.dumps([{"accuracy": 0.5}]))
    assert mine.simulate.load_file(tmp_path / "ok.json") == 1
