"""Diagram export through Graphviz: formats, priorities and rules on edges, user text escaped."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import pytest

from curriculum_gui.core import diagram
from curriculum_gui.core.model import Curriculum, ExpressionRule

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
SVG = "{http://www.w3.org/2000/svg}"


def _texts(path) -> list[str]:
    root = ET.parse(path).getroot()
    return [el.text or "" for el in root.iter(f"{SVG}text")]


def test_edge_labels_carry_priority_and_rule(example: Curriculum) -> None:
    source = diagram.diagram(example).source
    assert 'label="(1) mean(last(accuracy, 2)) >= 0.85 and sessions_in_stage >= 2"' in source
    assert 'label="(2) mean(last(accuracy, 2)) >= 0.65 and last(trials, 1)[0] >= 200"' in source
    assert "rankdir=LR" in source


@needs_dot
def test_svg_shows_hostile_rule_text_as_written(example: Curriculum, tmp_path) -> None:
    example.stage_transitions[0].rule = ExpressionRule(expression='a < b and "x" \\ y <b>bold</b>')
    example.stages[0].name = 'Hab "one" <i>'
    path = diagram.export_diagram(example, tmp_path / "d.svg")
    texts = _texts(path)
    assert '(1) a < b and "x" \\ y <b>bold</b>' in texts
    assert '▶ Hab "one" <i>' in texts
    assert "(2) mean(last(accuracy, 5)) >= 0.75 and min(last(trials, 5)) >= 300" in texts


@needs_dot
def test_multi_line_rules_keep_their_lines(example: Curriculum, tmp_path) -> None:
    example.stage_transitions[0].rule = ExpressionRule(expression="sessions_in_stage >= 2\nand bias < 0.2")
    texts = _texts(diagram.export_diagram(example, tmp_path / "d.svg"))
    assert "(1) sessions_in_stage >= 2" in texts and "and bias < 0.2" in texts


@needs_dot
@pytest.mark.parametrize(("suffix", "magic"), [("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_png_and_pdf(example: Curriculum, tmp_path, suffix: str, magic: bytes) -> None:
    path = diagram.export_diagram(example, tmp_path / f"d.{suffix}")
    assert path.read_bytes().startswith(magic)


@needs_dot
def test_a_policy_graph_exports_with_start_policies_marked(example: Curriculum, tmp_path) -> None:
    texts = _texts(diagram.export_diagram(example, tmp_path / "p.svg", stage_id="contrast"))
    assert "▶ Reward shaping" in texts and "Reward floor" in texts
    assert any(t.startswith("(1) weight_fraction < 0.8") for t in texts)


def test_unknown_format_is_refused(example: Curriculum, tmp_path) -> None:
    with pytest.raises(diagram.DiagramError, match=r"\.svg, \.png or \.pdf"):
        diagram.export_diagram(example, tmp_path / "d.gif")


def test_missing_dot_is_a_clear_error(example: Curriculum, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(diagram.DiagramError, match="not found"):
        diagram.export_diagram(example, tmp_path / "d.svg")
    assert not (tmp_path / "d.svg").exists()


def test_unknown_stage_is_refused(example: Curriculum) -> None:
    with pytest.raises(diagram.DiagramError, match="nope"):
        diagram.diagram(example, "nope")
