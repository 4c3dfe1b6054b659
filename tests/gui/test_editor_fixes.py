"""Editor fixes: where Add Stage / Ins puts new nodes, the toolbar's Undo/Redo texts, the file name Save As
suggests, and Enter into a stage's policy graph."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from curriculum_gui.core import edits
from curriculum_gui.gui.canvas import CanvasWidget, GraphScene
from curriculum_gui.gui.main_window import MainWindow, file_stem

LONG_NAME = "Two-choice discrimination, high contrast, left/right alternating block with reward floor & more"


def add_nodes(canvas: CanvasWidget, qtbot, count: int) -> list[str]:
    """Add Stage (or Policy) from the toolbar ``count`` times, leaving the name editor with Esc each time."""
    added = []
    for _ in range(count):
        canvas.add_action.trigger()
        added.append(canvas.scene.selected_node_ids())
        qtbot.keyClick(canvas.view.viewport(), Qt.Key.Key_Escape)
        canvas.view.setFocus()
    assert all(len(ids) == 1 for ids in added), "each new node is selected (alone)"
    return [ids[0] for ids in added]


def assert_apart(scene: GraphScene, ids: list[str]) -> None:
    """No two of these nodes overlap, badges and handles included."""
    for a, b in combinations(ids, 2):
        first, second = scene.nodes[a].sceneBoundingRect(), scene.nodes[b].sceneBoundingRect()
        assert not first.intersects(second), f"{a} at {first} overlaps {b} at {second}"


# --- 1. Add Stage / Ins: new nodes never land on each other --------------------------------------------


def test_stages_added_one_after_another_do_not_overlap(empty_window: MainWindow, qtbot) -> None:
    canvas = empty_window.canvas
    new = add_nodes(canvas, qtbot, 3)
    assert len(empty_window.document.curriculum.stages) == 3
    assert_apart(canvas.stage_scene, new)
    first, second, third = (empty_window.document.curriculum.stage(i).position for i in new)
    # each new one lined up beside or below one already there (which one depends on the room in view)
    assert second.y == first.y and (third.y == first.y or third.x in (first.x, second.x))
    visible = canvas.view.mapToScene(canvas.view.viewport().rect()).boundingRect()
    assert visible.intersects(canvas.stage_scene.nodes[new[-1]].sceneBoundingRect())  # shown where it went


def test_ins_adds_a_stage_beside_the_existing_ones(window: MainWindow, qtbot) -> None:
    canvas = window.canvas
    before = {s.id for s in window.document.curriculum.stages}
    canvas.view.setFocus()
    qtbot.keyClick(canvas.view, Qt.Key.Key_Insert)
    qtbot.keyClick(canvas.view.viewport(), Qt.Key.Key_Escape)
    new = {s.id for s in window.document.curriculum.stages} - before
    assert len(new) == 1 and canvas.stage_scene.selected_node_ids() == list(new)
    assert_apart(canvas.stage_scene, list(canvas.stage_scene.nodes))


def test_policies_added_one_after_another_do_not_overlap(window: MainWindow, qtbot) -> None:
    canvas = window.canvas
    stage = max(window.document.curriculum.stages, key=lambda s: len(s.policies))
    count = len(stage.policies)
    canvas.open_stage(stage.id)
    new = add_nodes(canvas, qtbot, 3)
    assert canvas.scene is canvas.policy_scene
    assert len(window.document.curriculum.stage(stage.id).policies) == count + 3
    assert_apart(canvas.policy_scene, list(canvas.policy_scene.nodes))
    assert set(new) <= set(canvas.policy_scene.nodes)


# --- 2. the toolbar's Undo / Redo keep short texts -----------------------------------------------------


def test_toolbar_undo_keeps_a_short_text_and_the_step_goes_to_the_tooltip(window: MainWindow, qtbot) -> None:
    window.resize(1280, 800)
    button = window.toolbar.widgetForAction(window.undo_action)
    width = button.sizeHint().width()
    window.document.apply(edits.rename(window.document.curriculum, "stage", "habituation", LONG_NAME))
    qtbot.wait(20)
    assert button.text() == "Undo"
    assert button.sizeHint().width() == width  # the toolbar does not jump after an edit
    assert LONG_NAME in button.toolTip()
    assert window.undo_action.text() == f"&Undo Rename to {LONG_NAME!r}".replace(" & ", " && ")
    hidden = [
        a.text()
        for a in window.toolbar.actions()
        if a.text() and not window.toolbar.widgetForAction(a).isVisible()
    ]
    assert not hidden, f"pushed into the toolbar's overflow: {hidden}"

    window.undo_action.trigger()
    assert window.document.curriculum.stage("habituation").name != LONG_NAME
    redo = window.toolbar.widgetForAction(window.redo_action)
    assert redo.text() == "Redo" and LONG_NAME in redo.toolTip() and window.redo_action.isEnabled()
    window.redo_action.trigger()
    assert window.document.curriculum.stage("habituation").name == LONG_NAME


def test_undo_without_steps_is_disabled_and_plain(empty_window: MainWindow) -> None:
    assert not empty_window.undo_action.isEnabled() and not empty_window.redo_action.isEnabled()
    assert empty_window.undo_action.text() == "&Undo"
    assert empty_window.toolbar.widgetForAction(empty_window.undo_action).text() == "Undo"


# --- 3. Save As suggests a file name, never a folder ---------------------------------------------------


def test_save_as_suggests_a_name_without_path_separators(
    empty_window: MainWindow, monkeypatch, tmp_path: Path
) -> None:
    QSettings().setValue("last_dir", str(tmp_path))
    empty_window.document.apply(edits.SetField("curriculum", None, "name", "Go/No-go training"))
    suggested: list[str] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (suggested.append(a[2]) or a[2], ""))
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: pytest.fail(f"warned: {a[2]}"))
    assert empty_window.save_as()
    assert suggested == [str(tmp_path / "Go-No-go training.json")]
    assert (tmp_path / "Go-No-go training.json").is_file()


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("Go/No-go training", "Go-No-go training"),
        ('a\\b:c*d?"e<f>g|h', "a-b-c-d--e-f-g-h"),
        ("tab\there", "tab-here"),
        ("  ..", "curriculum"),
        ("", "curriculum"),
        ("CON", "_CON"),
        ("Lick training v1.", "Lick training v1"),
    ],
)
def test_file_stem(name: str, stem: str) -> None:
    assert file_stem(name) == stem


def test_file_stem_fits_a_file_name() -> None:
    assert len(f"{file_stem('é' * 300)}.json".encode()) <= 255


# --- 4. Enter opens a stage's policy graph -------------------------------------------------------------


def test_enter_on_a_selected_stage_opens_its_policy_graph(window: MainWindow, qtbot) -> None:
    canvas = window.canvas
    stage = max(window.document.curriculum.stages, key=lambda s: len(s.policies))
    canvas.stage_scene.select_ids([stage.id])
    canvas.stage_view.setFocus()
    with qtbot.waitSignal(canvas.open_stage_requested) as opened:
        qtbot.keyClick(canvas.stage_view, Qt.Key.Key_Return)
    assert opened.args == [stage.id]
    assert canvas.scene is canvas.policy_scene and canvas.policy_scene.level.stage_id == stage.id
    assert canvas.policy_view.hasFocus()  # Alt+Up goes back, Enter on a policy shows it in the inspector
    policy = stage.policies[0].id
    canvas.policy_scene.select_ids([policy])
    qtbot.keyClick(canvas.policy_view, Qt.Key.Key_Enter)
    assert window.inspector.ref.kind == "policy" and window.inspector.ref.id == policy


def test_enter_in_the_name_editor_renames_and_stays(window: MainWindow, qtbot) -> None:
    canvas = window.canvas
    canvas.stage_scene.select_ids(["habituation"])
    canvas.stage_view.setFocus()
    qtbot.keyClick(canvas.stage_view, Qt.Key.Key_F2)
    qtbot.keyClicks(canvas.stage_view, "Day one")
    qtbot.keyClick(canvas.stage_view, Qt.Key.Key_Return)
    assert window.document.curriculum.stage("habituation").name == "Day one"
    assert canvas.scene is canvas.stage_scene


def test_enter_with_several_stages_selected_does_nothing(window: MainWindow, qtbot) -> None:
    canvas = window.canvas
    canvas.stage_scene.select_ids([s.id for s in window.document.curriculum.stages[:2]])
    canvas.stage_view.setFocus()
    qtbot.keyClick(canvas.stage_view, Qt.Key.Key_Return)
    assert canvas.scene is canvas.stage_scene


def test_enter_on_a_selected_transition_shows_its_rule(window: MainWindow, qtbot) -> None:
    canvas = window.canvas
    transition = window.document.curriculum.stage_transitions[0]
    window.inspector_dock.close()
    canvas.stage_scene.select_ids([transition.id])
    canvas.stage_view.setFocus()
    qtbot.keyClick(canvas.stage_view, Qt.Key.Key_Return)  # as a double-click: the inspector comes back on it
    assert window.inspector_dock.isVisible()
    assert window.inspector.ref.kind == "stage_transition" and window.inspector.ref.id == transition.id
