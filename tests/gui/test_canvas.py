"""The graph canvas: editing through mouse, keys and the scene API, always one undo step per gesture."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from curriculum_gui.core.model import ExpressionRule
from curriculum_gui.core.problems import ItemRef
from curriculum_gui.gui.canvas import CanvasWidget, EdgeItem, NodeItem
from curriculum_gui.gui.document import Document

ROW_EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "two_choice_in_a_row.json"
LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def document() -> Document:
    # The example laid out in one row (the gestures below aim at its coordinates), not the shipped layout.
    return Document.open(ROW_EXAMPLE)


def shown_canvas(qtbot, document: Document, width: int = 1400, height: int = 700) -> CanvasWidget:
    """A canvas on screen at 100 % zoom, centred on the graph, with keyboard focus."""
    w = CanvasWidget(document)
    qtbot.addWidget(w)
    w.resize(width, height)
    w.show()
    qtbot.waitExposed(w)
    qtbot.wait(5)  # let the view settle on its opening zoom first, so it does not undo ours
    w.view.reset_zoom()
    w.view.centerOn(w.scene.itemsBoundingRect().center())
    w.view.setFocus()
    return w


@pytest.fixture
def widget(qtbot, document: Document) -> CanvasWidget:
    return shown_canvas(qtbot, document)


def vp(widget: CanvasWidget, scene_point: QPointF) -> QPoint:
    return widget.view.mapFromScene(scene_point)


def centre(node: NodeItem) -> QPointF:
    return node.scene_rect().center()


def drag(widget: CanvasWidget, start: QPointF, end: QPointF, modifier=NONE) -> None:
    viewport = widget.view.viewport()
    a, b = vp(widget, start), vp(widget, end)
    QTest.mousePress(viewport, LEFT, modifier, a)
    for i in range(1, 6):
        QTest.mouseMove(viewport, a + (b - a) * i / 5)
    QTest.mouseRelease(viewport, LEFT, modifier, b)


def test_every_bundled_example_opens_with_all_its_items(qtbot) -> None:
    from curriculum_gui import resources

    for entry in resources.examples():
        document = Document.open(str(entry))
        w = CanvasWidget(document)
        qtbot.addWidget(w)
        c = document.curriculum
        assert set(w.stage_scene.nodes) == {s.id for s in c.stages}
        assert set(w.stage_scene.edges) == {t.id for t in c.stage_transitions}
        for stage in c.stages:
            w.open_stage(stage.id)
            assert w.scene.level.stage_id == stage.id
            assert set(w.scene.nodes) == {p.id for p in stage.policies}
            assert set(w.scene.edges) == {t.id for t in stage.policy_transitions}
        w.show_stages()
        assert w.scene is w.stage_scene


def test_nodes_show_marks_and_edges_show_priority_and_rule(widget: CanvasWidget) -> None:
    scene = widget.stage_scene
    assert scene.nodes["habituation"].data_.start
    assert scene.nodes["graduated"].data_.terminal
    assert scene.nodes["contrast"].data_.detail == "3 policies"
    edge = scene.edges["t3"]
    assert edge._full_label == "(2) mean(last(accuracy, 2)) >= 0.65 and last(trials, 1)[0] >= 200"
    assert "last(trials, 1)[0] >= 200" in edge.toolTip()
    assert "Priority 2 of 2" in edge.toolTip()


def test_two_way_pairs_and_regressions_do_not_overlap(widget: CanvasWidget) -> None:
    scene = widget.stage_scene
    forward, back = scene.edges["t4"], scene.edges["t5"]  # two_choice <-> contrast
    assert forward.two_way and back.two_way and back.regression
    assert not forward._label_rect.intersects(back._label_rect)
    assert forward._curve.apex.y() < back._curve.apex.y()
    skip = scene.edges["t2"]  # warmup -> contrast passes two_choice: it must arch around it
    assert skip.obstructed
    assert not skip.shape().intersects(scene.nodes["two_choice"].scene_rect())


def test_many_parallel_transitions_each_get_their_own_lane(qtbot) -> None:
    """Four transitions one way and two back between the same stages: every curve and label apart."""
    widget = shown_canvas(qtbot, Document.open(ROW_EXAMPLE.with_name("parallel_transitions.json")))
    edges = [widget.stage_scene.edges[f"t{k}"] for k in range(6)]
    for i, a in enumerate(edges):
        for b in edges[i + 1 :]:
            assert not a._label_rect.intersects(b._label_rect), (a.edge_id, b.edge_id)
    forward = [e._curve.apex.y() for e in edges[:4]]  # left of travel to the right: above, lane by lane
    gaps = [forward[k] - forward[k + 1] for k in range(3)]
    assert min(gaps) > 20
    back = [e._curve.apex.y() for e in edges[4:]]  # left of travel to the left: below
    assert back[1] - back[0] > 20 and min(back) > max(forward)


def test_drag_from_handle_to_another_node_connects_and_asks_for_a_rule(widget, document, qtbot) -> None:
    scene = widget.stage_scene
    source, target = scene.nodes["habituation"], scene.nodes["graduated"]
    widget.view.fit()
    before = document.undo_stack.count()
    with qtbot.waitSignal(widget.transition_created) as created:
        drag(widget, source.mapToScene(source.handle_centre()), centre(target))
    ref = created.args[0]
    assert ref.kind == "stage_transition"
    transition = next(t for t in document.curriculum.stage_transitions if t.id == ref.id)
    assert (transition.source, transition.destination) == ("habituation", "graduated")
    assert document.undo_stack.count() == before + 1
    assert scene.edges[ref.id]._full_label == "(2) no rule"
    assert scene.selected_refs() == [ref]
    assert source.pos() == source.model_pos  # connecting does not move the node
    document.undo_stack.undo()
    assert ref.id not in scene.edges


def test_dropping_a_connection_on_empty_canvas_adds_nothing(widget, document) -> None:
    node = widget.stage_scene.nodes["habituation"]
    count = len(document.curriculum.stage_transitions)
    drag(widget, node.mapToScene(node.handle_centre()), centre(node) + QPointF(0, 300))
    assert len(document.curriculum.stage_transitions) == count
    assert document.undo_stack.count() == 0


def test_rubber_band_selects_and_reports_item_refs(widget, qtbot) -> None:
    scene = widget.stage_scene
    a, b = scene.nodes["two_choice"].scene_rect(), scene.nodes["contrast"].scene_rect()
    seen: list[list[ItemRef]] = []
    widget.selection_changed.connect(seen.append)
    drag(widget, a.topLeft() - QPointF(20, 60), b.bottomRight() + QPointF(20, 60))
    assert set(scene.selected_node_ids()) == {"two_choice", "contrast"}
    assert seen and seen[-1] == scene.selected_refs()
    assert ItemRef("stage", "contrast") in seen[-1]
    assert {r.kind for r in scene.selected_refs()} == {"stage", "stage_transition"}


def test_ctrl_click_adds_to_the_selection(widget) -> None:
    scene = widget.stage_scene
    viewport = widget.view.viewport()
    QTest.mouseClick(viewport, LEFT, NONE, vp(widget, centre(scene.nodes["warmup"])))
    QTest.mouseClick(
        viewport, LEFT, Qt.KeyboardModifier.ControlModifier, vp(widget, centre(scene.nodes["final"]))
    )
    assert set(scene.selected_node_ids()) == {"warmup", "final"}


def test_dragging_several_nodes_is_one_undo_step(widget, document) -> None:
    scene = widget.stage_scene
    scene.select_ids(["warmup", "two_choice", "contrast"])
    before = {i: scene.nodes[i].pos() for i in ("warmup", "two_choice", "contrast")}
    drag(widget, centre(scene.nodes["two_choice"]), centre(scene.nodes["two_choice"]) + QPointF(60, 100))
    assert document.undo_stack.count() == 1
    assert document.undo_stack.text(0) == "Move 3 stages"
    for node_id, old in before.items():
        position = document.curriculum.stage(node_id).position
        assert (position.x - old.x(), position.y - old.y()) == (60.0, 100.0)
        assert scene.nodes[node_id].pos() != old
    assert document.curriculum.stage("final").position.x == 1800.0  # not selected: not moved
    document.undo_stack.undo()
    for node_id, old in before.items():
        assert document.curriculum.stage(node_id).position.x == old.x()
        assert scene.nodes[node_id].pos() == old


def test_grid_snapping_rounds_a_drag_to_the_grid(widget, document) -> None:
    widget.snap_action.trigger()
    assert widget.stage_scene.snap_enabled
    node = widget.stage_scene.nodes["final"]
    drag(widget, centre(node), centre(node) + QPointF(33, 47))
    position = document.curriculum.stage("final").position
    assert position.x % 20 == 0 and position.y % 20 == 0
    assert (position.x, position.y) != (1800.0, 0.0)


def test_edges_follow_a_node_while_it_is_dragged(widget) -> None:
    scene = widget.stage_scene
    edge = scene.edges["t8"]  # final -> graduated
    before = edge._curve.path.pointAtPercent(1.0)
    scene.nodes["graduated"].setPos(scene.nodes["graduated"].pos() + QPointF(0, 200))
    assert edge._curve.path.pointAtPercent(1.0).y() > before.y() + 150


def test_double_click_on_empty_canvas_adds_a_stage_and_opens_its_name(widget, document, qtbot) -> None:
    scene = widget.stage_scene
    spot = centre(scene.nodes["warmup"]) + QPointF(0, 250)
    QTest.mouseDClick(widget.view.viewport(), LEFT, NONE, vp(widget, spot))
    assert len(document.curriculum.stages) == 7
    new = document.curriculum.stages[-1]
    assert new.name == "New stage"
    assert scene.nodes[new.id].scene_rect().contains(spot)
    editor = scene._editor
    assert editor is not None and editor.hasFocus()
    QTest.keyClicks(widget.view.viewport(), "Final check")
    QTest.keyClick(widget.view.viewport(), Qt.Key.Key_Return)
    assert document.curriculum.stage(new.id).name == "Final check"
    assert document.undo_stack.count() == 2  # add, rename


def test_f2_renames_in_place_and_escape_cancels(widget, document) -> None:
    scene = widget.stage_scene
    scene.select_ids(["warmup"])
    viewport = widget.view.viewport()
    QTest.keyClick(widget.view, Qt.Key.Key_F2)
    assert scene._editor is not None
    QTest.keyClicks(viewport, "Fading help")  # an "F" typed in the editor is text, not Fit
    QTest.keyClick(viewport, Qt.Key.Key_Delete)  # Del in the editor edits text, it deletes no stage
    QTest.keyClick(viewport, Qt.Key.Key_Return)
    assert document.curriculum.stage("warmup").name == "Fading help"
    assert len(document.curriculum.stages) == 6
    QTest.keyClick(widget.view, Qt.Key.Key_F2)
    QTest.keyClicks(viewport, "Something else")
    QTest.keyClick(viewport, Qt.Key.Key_Escape)
    assert document.curriculum.stage("warmup").name == "Fading help"
    assert document.undo_stack.count() == 1


def test_a_name_editor_left_open_goes_with_its_node_and_nothing_crashes_later(qtbot, document) -> None:
    """A new stage opens its name editor; undone, or the canvas closed, while the editor is open, the
    editor is cancelled first. (It held itself through its callback: Python's collector freed it later,
    after Qt had deleted it with its node, and the process crashed.)"""
    import gc

    for _ in range(3):
        widget = CanvasWidget(document)  # not the fixture's: this one is deleted here
        widget.show()
        qtbot.waitExposed(widget)
        scene = widget.stage_scene
        new_id = scene.add_node(QPointF(900, 400))
        assert scene._editor is not None and scene._editor.node_id == new_id
        document.undo_stack.undo()  # the stage goes while its name is being edited
        assert new_id not in scene.nodes and scene._editor is None
        scene.add_node(QPointF(900, 400))  # and one left open when the canvas goes
        widget.close()
        widget.deleteLater()
        qtbot.wait(5)
        gc.collect()
    assert len(document.curriculum.stages) == 6 + 3
    assert document.undo_stack.count() == 3


def test_a_canvas_deleted_by_qt_takes_its_scenes_and_a_later_collection_is_safe(qtbot, document) -> None:
    """The scenes are the canvas's children: deleted with it. (Left to Python, a scene kept by a reference
    cycle outlived the deleted canvas; collecting the cycle later freed its items one by one, the scene
    told its already-freed Python side about the selection, and the process crashed.)"""
    import gc

    widget = CanvasWidget(document)  # not the fixture's: this one is deleted here
    widget.show()
    qtbot.waitExposed(widget)
    widget.open_stage("two_choice")
    widget.show_stages()
    widget.stage_scene.select_ids(["warmup", "contrast"])
    assert widget.stage_scene.parent() is widget
    cycle: list = [widget, widget.stage_scene]
    cycle.append(cycle)
    del widget
    cycle[0].deleteLater()
    qtbot.wait(10)
    del cycle
    gc.collect()
    assert len(document.curriculum.stages) == 6


def test_a_refused_rename_is_reported_not_applied(widget, document, qtbot) -> None:
    with qtbot.waitSignal(widget.notice) as notice:
        assert not widget.stage_scene.rename_node("warmup", "Habituation")
    assert "already used" in notice.args[0]
    assert widget.banner.isVisibleTo(widget)
    assert document.curriculum.stage("warmup").name == "Warm-up: one side"


def test_delete_removes_the_selection_and_undo_restores_it(widget, document) -> None:
    scene = widget.stage_scene
    scene.select_ids(["contrast", "t1"])
    QTest.keyClick(widget.view, Qt.Key.Key_Delete)
    c = document.curriculum
    assert c.stage("contrast") is None
    assert {t.id for t in c.stage_transitions} == {"t3", "t8"}
    assert "contrast" not in scene.nodes and "t4" not in scene.edges
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert len(document.curriculum.stages) == 6 and len(document.curriculum.stage_transitions) == 8
    assert set(scene.edges) == {f"t{i}" for i in range(1, 9)}
    assert [t.id for t in document.curriculum.outgoing_stage_transitions("contrast")] == ["t5", "t6"]


def test_copy_paste_makes_fresh_ids_with_policies_and_inner_transitions(widget, document, qtbot) -> None:
    scene = widget.stage_scene
    scene.select_ids(["two_choice", "contrast"])
    QTest.keyClick(widget.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(widget.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    c = document.curriculum
    assert len(c.stages) == 8
    new_ids = set(scene.selected_node_ids())
    assert len(new_ids) == 2 and not new_ids & {"two_choice", "contrast"}
    copies = [c.stage(i) for i in new_ids]
    assert {s.name for s in copies} == {"Two-choice, high contrast (copy)", "Mixed contrast (copy)"}
    assert sorted(len(s.policies) for s in copies) == [3, 3]
    inner = [t for t in c.stage_transitions if t.source in new_ids and t.destination in new_ids]
    assert len(inner) == 2  # t4 and t5 come along; transitions to outside stages do not
    originals = {p.id for s in c.stages if s.id in ("two_choice", "contrast") for p in s.policies}
    assert not originals & {p.id for s in copies for p in s.policies}
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert len(document.curriculum.stages) == 6


def test_duplicate_offsets_the_copy(widget, document) -> None:
    scene = widget.stage_scene
    scene.select_ids(["final"])
    QTest.keyClick(widget.view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    (new,) = scene.selected_node_ids()
    assert document.curriculum.stage(new).position.x == 1840.0
    assert document.curriculum.stage(new).name == "Full task (copy)"


def test_double_click_on_a_stage_opens_its_policy_graph_and_back(widget, document, qtbot) -> None:
    node = widget.stage_scene.nodes["contrast"]
    with qtbot.waitSignal(widget.open_stage_requested) as opened:
        QTest.mouseDClick(widget.view.viewport(), LEFT, NONE, vp(widget, centre(node)))
    assert opened.args == ["contrast"]
    assert widget.scene is widget.policy_scene
    assert widget.stack.currentWidget() is widget.policy_view
    assert "Mixed contrast" in widget.crumb.text()
    widget.back_button.click()
    assert widget.scene is widget.stage_scene and widget.policy_scene is None


def test_policy_graph_editing(widget, document, qtbot) -> None:
    widget.open_stage("contrast")
    scene = widget.scene
    stage = lambda: document.curriculum.stage("contrast")  # noqa: E731
    assert {i for i, n in scene.nodes.items() if n.data_.start} == {"mc_ramp", "mc_reward"}
    new = scene.add_node(QPointF(600, 300), rename=False)
    assert new is not None and stage().policy(new).name == "New policy"
    with qtbot.waitSignal(scene.transition_created) as created:
        ref = scene.connect_nodes("mc_reward_floor", new)
    assert created.args[0] == ref and ref.kind == "policy_transition" and ref.stage_id == "contrast"
    assert scene.edges[ref.id].data_.priority == 1
    assert scene.toggle_start(new)
    assert new in stage().start_policies and scene.nodes[new].data_.start
    scene.select_ids(["mc_reward_floor"])
    assert scene.duplicate_selected()
    assert len(stage().policies) == 5
    scene.select_ids([new])
    assert scene.delete_selected()
    assert stage().policy(new) is None and new not in stage().start_policies
    assert all(new not in (t.source, t.destination) for t in stage().policy_transitions)
    count = document.undo_stack.count()
    document.undo_stack.undo()
    assert stage().policy(new) is not None and new in stage().start_policies
    assert document.undo_stack.index() == count - 1


def test_pasting_stages_into_a_policy_graph_is_refused_clearly(widget, document, qtbot) -> None:
    widget.stage_scene.select_ids(["final"])
    widget.stage_scene.copy_selected()
    widget.open_stage("contrast")
    with qtbot.waitSignal(widget.notice) as notice:
        assert widget.scene.paste() == []
    assert "stage graph" in notice.args[0]
    assert len(document.curriculum.stage("contrast").policies) == 3


def test_removing_the_open_stage_goes_back_to_the_stage_graph(widget, document) -> None:
    widget.open_stage("final")
    from curriculum_gui.core import edits

    document.apply(edits.remove_stages(document.curriculum, ["final"]))
    assert widget.scene is widget.stage_scene
    document.undo_stack.undo()
    assert "final" in widget.stage_scene.nodes


def test_priorities_follow_a_reorder_live(widget, document) -> None:
    scene = widget.stage_scene
    assert scene.edges["t6"].data_.priority == 2
    menu = scene.context_menu(scene.edges["t6"]._label_rect.center())
    actions = {a.text(): a for a in menu.actions()}
    assert not actions["Lower priority"].isEnabled()
    actions["Raise priority"].trigger()
    assert scene.edges["t6"]._full_label.startswith("(1) ")
    assert scene.edges["t5"]._full_label.startswith("(2) ")
    assert [t.id for t in document.curriculum.outgoing_stage_transitions("contrast")] == ["t6", "t5"]


def test_context_menu_on_a_stage_sets_start_and_terminal(widget, document) -> None:
    scene = widget.stage_scene
    menu = scene.context_menu(centre(scene.nodes["final"]))
    actions = {a.text(): a for a in menu.actions()}
    actions["Set as start stage"].trigger()
    assert document.curriculum.start_stage == "final"
    actions["Mark terminal"].trigger()
    assert document.curriculum.stage("final").terminal
    assert scene.nodes["final"].data_.start and scene.nodes["final"].data_.terminal
    empty_menu = scene.context_menu(QPointF(-2000, -2000))
    assert "Add stage here" in {a.text() for a in empty_menu.actions()}


def test_error_markers_come_from_document_problems(widget, document) -> None:
    from curriculum_gui.core import edits

    document.apply(edits.set_rule("stage_transition", "t1", ExpressionRule(expression="no_such_metric > 1")))
    edge = widget.stage_scene.edges["t1"]
    assert edge.problems and "no_such_metric" in edge.toolTip()
    assert not widget.stage_scene.edges["t2"].problems
    document.apply(
        edits.set_rule("policy_transition", "mc_pt1", ExpressionRule(expression="nope >"), "contrast")
    )
    assert widget.stage_scene.nodes["contrast"].inner_problems >= 1
    widget.open_stage("contrast")
    assert widget.scene.edges["mc_pt1"].problems


def test_highlight_marks_the_current_stage_and_active_policies(widget) -> None:
    widget.set_highlight("contrast", ["mc_ramp"])
    assert widget.stage_scene.highlighted_ids() == ["contrast"]
    widget.open_stage("contrast")
    assert widget.scene.highlighted_ids() == ["mc_ramp"]
    widget.open_stage("final")
    assert widget.scene.highlighted_ids() == []
    widget.set_highlight(None)
    assert widget.stage_scene.highlighted_ids() == []


def test_auto_layout_is_one_undo_step_and_undo_restores_positions(widget, document, qtbot) -> None:
    scene = widget.stage_scene
    scene.nodes["graduated"].setPos(QPointF(-900, 900))
    scene.commit_moves()
    before = {s.id: s.position for s in document.curriculum.stages}
    with qtbot.waitSignal(widget.layout_finished, timeout=30_000) as finished:
        widget.layout_action.trigger()
    engine = finished.args[0]
    assert engine == ("dot" if shutil.which("dot") else "fallback")
    assert document.undo_stack.text(document.undo_stack.count() - 1) == "Auto-layout"
    after = {s.id: s.position for s in document.curriculum.stages}
    assert after != before
    assert after["graduated"].x > after["final"].x  # left to right
    document.undo_stack.undo()
    assert {s.id: s.position for s in document.curriculum.stages} == before
    assert scene.nodes["graduated"].pos() == QPointF(-900, 900)


def test_without_dot_layout_falls_back_and_says_so(widget, document, qtbot, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # real: no dot to be found
    with qtbot.waitSignal(widget.layout_finished, timeout=30_000) as finished:
        widget.scene.auto_layout()
    assert finished.args[0] == "fallback"
    assert "not found" in finished.args[1]
    assert "not found" in widget.banner.text() and widget.banner.isVisibleTo(widget)
    assert document.undo_stack.count() == 1


def test_policy_graph_auto_layout_moves_policies(widget, document, qtbot) -> None:
    widget.open_stage("two_choice")
    scene = widget.scene
    with qtbot.waitSignal(scene.layout_finished, timeout=30_000):
        scene.auto_layout()
    stage = document.curriculum.stage("two_choice")
    xs = {p.id: p.position.x for p in stage.policies}
    assert xs["tc_hold"] < xs["tc_bias"] < xs["tc_unbias"]
    assert document.undo_stack.count() == 1


def test_compat_scene_without_document_still_draws(example, qapp) -> None:
    from curriculum_gui.core.validation import validate
    from curriculum_gui.gui.canvas import StageScene

    scene = StageScene()
    scene.rebuild(example, validate(example))
    assert len([i for i in scene.items() if isinstance(i, NodeItem)]) == len(example.stages)
    assert len([i for i in scene.items() if isinstance(i, EdgeItem)]) == len(example.stage_transitions)
    assert not scene.delete_selected()


def test_export_dialog_writes_the_diagram_and_reports_a_failure(
    widget: CanvasWidget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from curriculum_gui.core import diagram

    target = tmp_path / "stages.svg"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "SVG (*.svg)"))
    notices: list[str] = []
    widget.notice.connect(notices.append)
    widget.export_dialog()
    assert target.read_text(encoding="utf-8").lstrip().startswith(("<?xml", "<svg"))
    assert notices == [f"Exported {target}"] and QGuiApplication.overrideCursor() is None

    def fail(*_args, **_kwargs):
        raise diagram.DiagramError("Graphviz is not installed")

    warnings: list[str] = []
    monkeypatch.setattr(diagram, "export_diagram", fail)
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: warnings.append(text))
    widget.export_dialog()
    assert warnings == ["Graphviz is not installed"] and QGuiApplication.overrideCursor() is None
    assert len(notices) == 1
