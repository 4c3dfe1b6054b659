"""Auto-layout: Graphviz dot when it is there, the built-in layered layout when it is not."""

from __future__ import annotations

import json
import os
import shutil
import stat

import pytest

from curriculum_gui.core import edits, layout
from curriculum_gui.core.model import Curriculum, Point

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")


def _no_overlap(positions: dict[str, tuple[float, float]], size: tuple[float, float]) -> bool:
    w, h = size
    boxes = list(positions.values())
    for i, (x1, y1) in enumerate(boxes):
        for x2, y2 in boxes[i + 1 :]:
            if abs(x1 - x2) < w and abs(y1 - y2) < h:
                return False
    return True


@needs_dot
def test_dot_lays_the_example_out_left_to_right(example: Curriculum) -> None:
    result = layout.layout(layout.stage_graph(example), layout.STAGE_SIZE)
    assert result.engine == "dot" and result.notice == ""
    assert set(result.positions) == {s.id for s in example.stages}
    x = {k: v[0] for k, v in result.positions.items()}
    assert x["habituation"] < x["warmup"] < x["two_choice"] < x["final"] < x["graduated"]
    assert _no_overlap(result.positions, layout.STAGE_SIZE)


def test_json0_points_become_top_left_corners_with_y_down() -> None:
    text = json.dumps(
        {"bb": "0,0,400,300", "objects": [{"name": "a", "pos": "100,250"}, {"name": "b", "pos": "300,50"}]}
    )
    positions = layout.parse_json0(text, (40.0, 20.0))
    # y up with the top at 300: a is near the top, b near the bottom once flipped.
    assert positions == {"a": (80.0, 40.0), "b": (280.0, 240.0)}


def test_without_dot_on_the_path_the_fallback_is_used_and_said(
    example: Curriculum, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a real PATH with no dot on it
    result = layout.layout(layout.stage_graph(example), layout.STAGE_SIZE)
    assert result.engine == "fallback"
    assert "not found" in result.notice
    assert set(result.positions) == {s.id for s in example.stages}
    assert _no_overlap(result.positions, layout.STAGE_SIZE)


def test_a_dot_that_hangs_times_out_into_the_fallback(example: Curriculum, tmp_path) -> None:
    slow = tmp_path / "dot"
    slow.write_text("#!/bin/sh\nsleep 10\n")
    slow.chmod(slow.stat().st_mode | stat.S_IEXEC)
    result = layout.layout(layout.stage_graph(example), layout.STAGE_SIZE, dot=os.fspath(slow), timeout=0.3)
    assert result.engine == "fallback"
    assert "longer than" in result.notice


def test_a_dot_that_fails_falls_back_with_its_message(example: Curriculum, tmp_path) -> None:
    broken = tmp_path / "dot"
    broken.write_text("#!/bin/sh\necho 'Error: syntax error in line 1' >&2\nexit 1\n")
    broken.chmod(broken.stat().st_mode | stat.S_IEXEC)
    result = layout.layout(layout.stage_graph(example), layout.STAGE_SIZE, dot=os.fspath(broken))
    assert result.engine == "fallback"
    assert "syntax error" in result.notice


def test_layered_layout_ranks_forward_edges_left_to_right_despite_cycles() -> None:
    graph = layout.Graph(
        nodes=["a", "b", "c", "d", "e"],
        edges=[("a", "b"), ("b", "c"), ("c", "b"), ("c", "d"), ("d", "a"), ("b", "e")],
        roots=["a"],
    )
    positions = layout.layered_layout(graph, (100.0, 50.0))
    x = {k: v[0] for k, v in positions.items()}
    assert x["a"] < x["b"] < x["c"] < x["d"]
    assert x["b"] < x["e"]
    assert _no_overlap(positions, (100.0, 50.0))


def test_layered_layout_keeps_isolated_nodes_and_ignores_unknown_ends() -> None:
    graph = layout.Graph(nodes=["a", "b", "lonely"], edges=[("a", "b"), ("a", "ghost")])
    positions = layout.layered_layout(graph)
    assert set(positions) == {"a", "b", "lonely"}
    assert _no_overlap(positions, layout.STAGE_SIZE)


def test_layout_edit_is_one_step_and_its_inverse_restores(example: Curriculum) -> None:
    before = {s.id: s.position for s in example.stages}
    result = layout.LayoutResult({s.id: (10.0 * i, 5.0) for i, s in enumerate(example.stages)}, "fallback")
    edit = layout.layout_edit(result)
    assert isinstance(edit, edits.Batch) and edit.text == "Auto-layout"
    inverse = edit.apply(example)
    assert example.stage("warmup").position == Point(x=10.0, y=5.0)
    inverse.apply(example)
    assert {s.id: s.position for s in example.stages} == before


def test_policy_layout_edit_moves_policies_of_that_stage(example: Curriculum) -> None:
    graph = layout.policy_graph(example, "contrast")
    assert set(graph.nodes) == {"mc_ramp", "mc_reward", "mc_reward_floor"}
    result = layout.LayoutResult(layout.layered_layout(graph, layout.POLICY_SIZE), "fallback")
    layout.layout_edit(result, "contrast").apply(example)
    stage = example.stage("contrast")
    assert stage is not None
    assert {p.id: (p.position.x, p.position.y) for p in stage.policies if p.position} == result.positions


def test_an_empty_graph_needs_no_dot() -> None:
    assert layout.layout(layout.Graph([], []), dot="/nonexistent/dot").positions == {}


@needs_dot
def test_ids_never_enter_the_dot_text_and_still_get_positions() -> None:
    graph = layout.Graph(nodes=['a"b', "<x>", "c:d"], edges=[('a"b', "<x>"), ("<x>", "c:d")], roots=["c:d"])
    source = layout.dot_source(graph, layout.STAGE_SIZE)
    assert "<x>" not in source and "c:d" not in source and 'a"b' not in source
    result = layout.layout(graph, layout.STAGE_SIZE)
    assert result.engine == "dot" and set(result.positions) == {'a"b', "<x>", "c:d"}
    assert result.positions['a"b'][0] < result.positions["<x>"][0] < result.positions["c:d"][0]
