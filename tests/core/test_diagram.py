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


HTML_IMAGE = '<<TABLE><TR><TD><IMG SRC="{}"/></TD></TR></TABLE>>'


def test_every_label_is_quoted_plain_text_never_html(example: Curriculum) -> None:
    hostile = HTML_IMAGE.format("/etc/secret.png")
    example.name = hostile
    example.stages[0].name = hostile
    example.stages[1].task.name = "<b>task</b>"
    example.stage_transitions[0].rule = ExpressionRule(expression="<x>")
    source = diagram.diagram(example).source
    policies = diagram.diagram(example, "contrast")
    assert "=<" not in source and "=<" not in policies.source  # an unquoted <...> is an HTML label
    assert 'label="<<TABLE>' in source and 'label="(1) <x>"' in source
    example.stage("contrast").policies[2].name = hostile
    assert "=<" not in diagram.diagram(example, "contrast").source


@needs_dot
def test_an_html_label_cannot_read_a_local_image(example: Curriculum, tmp_path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(diagram.export_diagram(example, tmp_path / "real.png").read_bytes())
    example.name = HTML_IMAGE.format(secret)
    example.stage("contrast").policies[2].name = HTML_IMAGE.format(secret)  # not a start policy: no ▶
    for stage_id in (None, "contrast"):
        path = diagram.export_diagram(example, tmp_path / "d.svg", stage_id=stage_id)
        svg = path.read_text(encoding="utf-8")
        assert "<image" not in svg and "secret.png" in "".join(_texts(path))


@needs_dot
def test_a_missing_image_and_an_existing_one_give_the_same_diagram(example: Curriculum, tmp_path) -> None:
    """Nothing in the result tells whether a named path exists."""
    (tmp_path / "here.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    outputs = []
    for name in ("here.png", "gone.png"):
        example.name = HTML_IMAGE.format(tmp_path / name)
        example.stages[0].name = HTML_IMAGE.format(tmp_path / "x")
        path = diagram.export_diagram(example, tmp_path / f"{name}.svg")
        outputs.append(path.read_text(encoding="utf-8").replace(name, "NAME"))
    assert outputs[0] == outputs[1]


@needs_dot
def test_ids_never_enter_the_dot_text(example: Curriculum, tmp_path) -> None:
    """Ids may hold ':' (a port in DOT): the edges still join the right stages."""
    old, new = example.stages[0].id, "hab:n"
    example.stages[0].id = new
    for t in example.stage_transitions:
        t.source = new if t.source == old else t.source
        t.destination = new if t.destination == old else t.destination
    example.start_stage = new
    source = diagram.diagram(example).source
    assert "hab:n" not in source
    texts = _texts(diagram.export_diagram(example, tmp_path / "d.svg"))
    assert "(1) mean(last(accuracy, 2)) >= 0.85 and sessions_in_stage >= 2" in texts


def test_a_dangling_transition_end_is_shown_by_its_id(example: Curriculum) -> None:
    example.stage_transitions[0].destination = "<gone>"
    source = diagram.diagram(example).source
    assert 'label="<gone>" style=dashed' in source


def test_graphviz_messages_are_not_passed_on(example: Curriculum, tmp_path) -> None:
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'Warning: /home/x/secret.png: No such file or directory' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(diagram.DiagramError) as caught:
        diagram.export_diagram(example, tmp_path / "d.svg", dot=str(fake))
    assert "secret" not in str(caught.value) and "exit code 1" in str(caught.value)
    assert not (tmp_path / "d.svg").exists()
