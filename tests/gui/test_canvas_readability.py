"""The canvas as a newcomer reads it (issue 15, items 8-11): names and rules in full where there is room
and on hover, Python references by their function's name, a legible zoom after Fit and on opening,
colours that follow the graph with a legend, and Ins placing new stages in free room."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QApplication

from curriculum_gui.core import edits
from curriculum_gui.core.model import Curriculum, ExpressionRule, PythonRule, Stage, StageTransition
from curriculum_gui.gui.canvas import CanvasWidget, EdgeItem, NodeItem, style
from curriculum_gui.gui.document import Document
from curriculum_gui.gui.main_window import MainWindow

DATA = Path(__file__).resolve().parents[1] / "data"
AIND_EXAMPLE = DATA / "aind" / "example_project_curriculum.json"


def _shown(qtbot, document: Document, width: int = 1000, height: int = 600) -> CanvasWidget:
    widget = CanvasWidget(document)
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.wait(10)  # the view settles on its opening zoom
    return widget


def _row_of_python_stages(count: int) -> Curriculum:
    """Like a real aind curriculum: stages in a row, rules that are references into one package."""
    stages = [Stage(id=f"s{i}", name=f"Stage {i}", terminal=i == count - 1) for i in range(count)]
    transitions = [
        StageTransition(
            id=f"t{i}",
            source=f"s{i}",
            destination=f"s{i + 1}",
            rule=PythonRule(python=f"lab_rules.stages.s{i}_done"),
        )
        for i in range(count - 1)
    ]
    return Curriculum(name="Row", stages=stages, stage_transitions=transitions, start_stage="s0")


def _visible(widget: CanvasWidget):
    view = widget.view
    return view.mapToScene(view.viewport().rect()).boundingRect()


# --- 8. names and rules ------------------------------------------------------------------------------


def test_stage_names_are_shown_whole_and_long_ones_wrap(qtbot, example_path: Path) -> None:
    widget = _shown(qtbot, Document.open(example_path))
    node = widget.stage_scene.nodes["two_choice"]
    assert node._title_lines == ["Two-choice, high contrast"]  # was "Two-choice, high …"
    assert node.width > style.STAGE_W and node.width <= style.NODE_MAX_W
    long_name = "Two-choice discrimination at high contrast with a reward floor and bias correction"
    widget.document.apply(edits.rename(widget.document.curriculum, "stage", "two_choice", long_name))
    node = widget.stage_scene.nodes["two_choice"]
    assert 1 < len(node._title_lines) <= style.TITLE_LINES
    assert " ".join(node._title_lines) == long_name
    assert node.width == style.NODE_MAX_W and node.height > style.STAGE_H
    # its edges follow the bigger box
    for edge in node.edges:
        assert not edge.label_rect().intersects(node.scene_rect())


def test_every_rule_of_the_example_is_shown_whole(qtbot, example_path: Path) -> None:
    widget = _shown(qtbot, Document.open(example_path))
    edges = list(widget.stage_scene.edges.values())
    cut = [e.edge_id for e in edges if not e.shows_full_rule]
    assert not cut, f"labels cut short: {cut}"  # was "(1) sessions…", "(2) mean(last(ac…"
    for i, a in enumerate(edges):  # and no label covers another
        for b in edges[i + 1 :]:
            assert not a.label_rect().intersects(b.label_rect()), (a.edge_id, b.edge_id)


def test_hover_shows_a_cut_rule_in_full_above_the_nodes(qtbot, example_path: Path) -> None:
    document = Document.open(example_path)
    rule = " and ".join(f"mean(last(accuracy, {n})) >= 0.{n}" for n in range(2, 9))
    document.apply(edits.set_rule("stage_transition", "t1", ExpressionRule(expression=rule)))
    widget = _shown(qtbot, document)
    edge = widget.stage_scene.edges["t1"]
    assert not edge.shows_full_rule  # three lines are not enough
    edge._set_hover(True)
    assert edge.shows_full_rule and edge.zValue() > widget.stage_scene.nodes["warmup"].zValue()
    assert edge.boundingRect().contains(edge._hover_rect)
    edge._set_hover(False)
    assert not edge.shows_full_rule and edge.zValue() == 1


def test_python_references_are_labelled_by_their_function_name(qtbot) -> None:
    widget = _shown(qtbot, Document.open(AIND_EXAMPLE))
    labels = {e.edge_id: " ".join(e.label_lines) for e in widget.stage_scene.edges.values()}
    assert sorted(labels.values()) == ["(1) t2_10_rule", "(1) t2_10_rule", "(2) t2_5_rule"]
    edge = next(iter(widget.stage_scene.edges.values()))
    assert "example_project.curriculum." in edge.toolTip()  # the whole reference on hover


# --- 8 and 11. a legible zoom -----------------------------------------------------------------------


def test_fit_after_auto_layout_never_goes_below_a_legible_zoom(qtbot, example_path: Path) -> None:
    widget = _shown(qtbot, Document.open(example_path), 700, 500)
    widget.scene.auto_layout()
    qtbot.waitUntil(lambda: widget.document.undo_stack.count() == 1, timeout=20_000)
    widget.fit_action.trigger()
    assert widget.view.zoom() >= style.LEGIBLE_ZOOM  # was about 0.4: text 6 px tall
    start = widget.document.curriculum.start_stage
    assert _visible(widget).contains(widget.stage_scene.nodes[start].scene_rect())


def test_a_row_of_four_stages_opens_showing_more_than_two(qtbot) -> None:
    widget = _shown(qtbot, Document(_row_of_python_stages(4)), 720, 600)  # the editor at the default size
    zoom = widget.view.zoom()
    assert style.LEGIBLE_ZOOM <= zoom <= 1.0
    shown = [n for n in widget.stage_scene.nodes.values() if _visible(widget).contains(n.scene_rect())]
    assert len(shown) >= 3  # at 100 % it showed two


def test_a_graph_that_fits_legibly_opens_fitted(qtbot) -> None:
    widget = _shown(qtbot, Document.open(AIND_EXAMPLE), 900, 600)
    assert widget.view.zoom() >= style.LEGIBLE_ZOOM
    for node in widget.stage_scene.nodes.values():
        assert _visible(widget).contains(node.scene_rect())


# --- 9. colours and the legend ----------------------------------------------------------------------


def test_an_edge_goes_back_by_the_graph_not_by_the_list(qtbot, example_path: Path) -> None:
    aind = _shown(qtbot, Document.open(AIND_EXAMPLE))
    by_ends = {(e.data_.source, e.data_.destination): e for e in aind.stage_scene.edges.values()}
    # listed A, GRADUATED, B: B -> GRADUATED came after GRADUATED in the list, yet leads on
    assert all(not e.backward for e in by_ends.values())
    example = _shown(qtbot, Document.open(example_path))
    edges = example.stage_scene.edges
    assert edges["t5"].backward and not edges["t4"].backward  # contrast -> two_choice goes back


def test_the_legend_explains_colours_and_badges_and_can_be_hidden(qtbot, example_path: Path) -> None:
    widget = _shown(qtbot, Document.open(example_path))
    legend = widget.stage_view.legend
    assert legend.isVisible() and "goes back" in legend.text() and "TERMINAL" in legend.text()
    assert style.REGRESSION.name() in legend.text()
    assert widget.stage_view.viewport().geometry().contains(legend.geometry())
    widget.legend_action.trigger()
    assert not legend.isVisible()
    widget.open_stage("contrast")
    assert not widget.policy_view.legend.isVisible()
    widget.legend_action.trigger()
    assert widget.policy_view.legend.isVisible() and "TERMINAL" not in widget.policy_view.legend.text()


def test_view_menu_has_the_legend(window: MainWindow) -> None:
    assert window.canvas.legend_action in window.view_menu.actions()


# --- 10. Ins places a new stage in free room --------------------------------------------------------


def _touches_anything(widget: CanvasWidget, node: NodeItem) -> list[str]:
    scene = widget.stage_scene
    box = node.sceneBoundingRect()
    area = QPainterPath()
    area.addRect(box)
    hits = []
    for item in scene.items(box):
        if isinstance(item, NodeItem) and item is not node and item.sceneBoundingRect().intersects(box):
            hits.append(item.node_id)
        theirs = isinstance(item, EdgeItem) and node not in (item.source, item.target)
        if theirs and item.collidesWithPath(area, Qt.ItemSelectionMode.IntersectsItemShape):
            hits.append(item.edge_id)
    return hits


@pytest.mark.parametrize("selected", ["warmup", None])
def test_ins_puts_a_stage_right_of_the_selected_or_last_one_in_free_room(
    qtbot, example_path: Path, selected: str | None
) -> None:
    widget = _shown(qtbot, Document.open(example_path), 1000, 650)
    scene = widget.stage_scene
    if selected:
        scene.select_ids([selected])
    anchor = scene.nodes[selected or widget.document.curriculum.stages[-1].id]
    added = []
    for _ in range(4):
        widget.view.setFocus()
        qtbot.keyClick(widget.view, Qt.Key.Key_Insert)
        qtbot.keyClick(widget.view.viewport(), Qt.Key.Key_Escape)
        (new,) = scene.selected_node_ids()
        added.append(scene.nodes[new])
        QApplication.processEvents()
        assert _visible(widget).contains(scene.nodes[new].sceneBoundingRect()), "the view follows it"
    assert added[0].scene_rect().left() > anchor.scene_rect().right()
    for before, after in itertools.pairwise(added):
        assert after.scene_rect().left() > before.scene_rect().right()  # each right of the one before
    for node in added:
        assert not _touches_anything(widget, node), node.node_id
