"""Short rule labels (a Python reference by its function's name), breadth-first depths for the colour of
going back, and layouts with nodes of their own sizes (issue 15, items 8-9)."""

from __future__ import annotations

import shutil

import pytest

from curriculum_gui.core import layout
from curriculum_gui.core.model import ExpressionRule, PythonRule
from curriculum_gui.core.python_source import function_name, rule_label


def test_a_python_reference_is_labelled_by_its_function_name() -> None:
    assert rule_label(PythonRule(python="example_project.curriculum.t2_10_rule")) == "t2_10_rule"
    assert rule_label(PythonRule(python="pkg.mod.Class.method")) == "method"
    assert function_name("lonely") == "lonely"


def test_an_expression_is_its_own_label_on_one_line() -> None:
    assert rule_label(ExpressionRule(expression="a > 1 and\n   b < 2"), one_line=True) == "a > 1 and b < 2"
    assert rule_label(ExpressionRule(expression="")) == ""


def test_depths_follow_the_graph_from_its_start_not_the_list_order() -> None:
    # listed as aind numbers them: the terminal stage second, though it is reached last
    graph = layout.Graph(
        nodes=["A", "GRADUATED", "B"], edges=[("A", "B"), ("B", "GRADUATED"), ("A", "GRADUATED")], roots=["A"]
    )
    depth = layout.depths(graph)
    assert depth == {"A": 0, "B": 1, "GRADUATED": 1}
    assert not depth["GRADUATED"] < depth["B"]  # B -> GRADUATED does not go back


def test_depths_mark_a_real_regression_and_leave_unreachable_nodes_out() -> None:
    graph = layout.Graph(
        nodes=["a", "b", "c", "island"], edges=[("a", "b"), ("b", "c"), ("c", "a")], roots=["a"]
    )
    depth = layout.depths(graph)
    assert depth["a"] < depth["c"] and "island" not in depth
    assert layout.depths(layout.Graph(nodes=["x", "y"], edges=[("x", "y")])) == {"x": 0, "y": 1}  # no start


def _apart(positions: dict[str, tuple[float, float]], sizes: dict[str, tuple[float, float]]) -> bool:
    boxes = [(x, y, *sizes[n]) for n, (x, y) in positions.items()]
    return not any(
        x1 < x2 + w2 and x2 < x1 + w1 and y1 < y2 + h2 and y2 < y1 + h1
        for i, (x1, y1, w1, h1) in enumerate(boxes)
        for x2, y2, w2, h2 in boxes[i + 1 :]
    )


GRAPH = layout.Graph(
    nodes=["a", "b", "c", "d"],
    edges=[("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")],
    roots=["a"],
    sizes={"b": (320.0, 120.0), "c": (200.0, 84.0)},
)


def test_the_built_in_layout_makes_room_for_bigger_nodes() -> None:
    positions = layout.layered_layout(GRAPH, layout.STAGE_SIZE)
    sizes = {n: GRAPH.size(n, layout.STAGE_SIZE) for n in GRAPH.nodes}
    assert _apart(positions, sizes)
    assert positions["d"][0] >= positions["b"][0] + 320  # the wide node's rank is as wide as it is


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
def test_dot_makes_room_for_bigger_nodes_and_a_narrower_rank_gap() -> None:
    positions = layout.dot_layout(GRAPH, layout.STAGE_SIZE)
    sizes = {n: GRAPH.size(n, layout.STAGE_SIZE) for n in GRAPH.nodes}
    assert _apart(positions, sizes)
    assert "width=4.444" in layout.dot_source(GRAPH, layout.STAGE_SIZE)  # b's own 320 px
    compact = layout.layered_layout(layout.Graph(["a", "b"], [("a", "b")], rank_gap=120.0))
    wide = layout.layered_layout(layout.Graph(["a", "b"], [("a", "b")]))
    assert compact["b"][0] - compact["a"][0] == 200 + 120 < wide["b"][0] - wide["a"][0]


def test_going_back_breaks_ties_by_list_order_with_ends_last() -> None:
    # the bundled example's shape: warm-up leads to two-choice and (skipping it) to mixed contrast
    graph = layout.Graph(
        nodes=["warmup", "two_choice", "contrast", "graduated"],
        edges=[
            ("warmup", "contrast"),
            ("warmup", "two_choice"),
            ("two_choice", "contrast"),
            ("contrast", "two_choice"),
            ("contrast", "graduated"),
            ("graduated", "warmup"),
        ],
        roots=["warmup"],
    )
    assert layout.goes_back(graph, ["graduated"]) == {("contrast", "two_choice"), ("graduated", "warmup")}
    aind = layout.Graph(
        nodes=["A", "GRADUATED", "B"], edges=[("A", "B"), ("B", "GRADUATED"), ("A", "GRADUATED")], roots=["A"]
    )
    assert layout.goes_back(aind, ["GRADUATED"]) == set()
