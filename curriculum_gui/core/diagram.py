"""Export a curriculum diagram (SVG, PNG or PDF) through Graphviz, with priorities and rules on the edges.

The DOT text is built with the ``graphviz`` package. User text never becomes DOT syntax: nodes are named
``n0``, ``n1``... (ids stay out of the DOT text), and every label is a quoted, escaped string, so a name such
as ``<<TABLE><TR><TD><IMG SRC="/etc/x.png"/></TD></TR></TABLE>>`` is shown as written and is never read as
an HTML label (which could make Graphviz read a local file into the picture). Graphviz's own messages are
not passed on, since they may quote the file's text or tell which local paths exist. ``dot`` runs through
``subprocess.run`` with a timeout (``pipe()`` has none).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import graphviz

from .errors import CurriculumGuiError
from .model import Curriculum

FORMATS = ("svg", "png", "pdf")
EXPORT_TIMEOUT_S = 60.0
_START = "#2e7d32"
_TERMINAL = "#b8860b"


class DiagramError(CurriculumGuiError):
    """The diagram could not be written (no Graphviz, a timeout, an unknown format...)."""


def _text(text: str) -> str:
    """User text as a plain label: backslashes escaped, its line breaks kept as DOT ``\\n`` (centred) line
    breaks, and marked "not HTML" so the ``graphviz`` package always quotes it (``<...>`` would otherwise
    be written as an HTML label)."""
    return graphviz.nohtml("\\n".join(line.replace("\\", "\\\\") for line in text.splitlines() or [""]))


def _lines(*lines: str) -> str:
    return graphviz.nohtml("\\n".join(_text(line) for line in lines))


def _edge_label(priority: int, rule_text: str) -> str:
    return graphviz.nohtml(f"({priority}) " + (_text(rule_text) if rule_text.strip() else "no rule"))


def diagram(curriculum: Curriculum, stage_id: str | None = None) -> graphviz.Digraph:
    """The stage graph, or the policy graph of ``stage_id``, as a ``graphviz.Digraph`` (left to right)."""
    graph = graphviz.Digraph(
        name="curriculum",
        graph_attr={"rankdir": "LR", "fontname": "DejaVu Sans", "nodesep": "0.5", "ranksep": "1.2"},
        node_attr={
            "shape": "box",
            "style": "rounded,filled",
            "fillcolor": "#f7f9fc",
            "fontname": "DejaVu Sans",
        },
        edge_attr={"fontname": "DejaVu Sans", "fontsize": "10", "color": "#455a64"},
    )
    node: dict[str, str] = {}  # id -> DOT node name: ids never enter the DOT text

    def name_of(item_id: str) -> str:
        return node.setdefault(item_id, f"n{len(node)}")

    if stage_id is None:
        graph.attr(label=_text(curriculum.name), labelloc="t")
        for stage in curriculum.stages:
            count = len(stage.policies)
            lines = [stage.name, stage.task.name or "no task", f"{count} polic{'y' if count == 1 else 'ies'}"]
            attrs: dict[str, str] = {}
            if stage.id == curriculum.start_stage:
                lines[0] = "▶ " + lines[0]
                attrs.update(color=_START, penwidth="2.5")
            if stage.terminal:
                attrs.update(peripheries="2", color=_TERMINAL)
            graph.node(name_of(stage.id), _lines(*lines), **attrs)
        transitions = curriculum.stage_transitions
    else:
        stage = curriculum.stage(stage_id)
        if stage is None:
            raise DiagramError(f"no stage with id {stage_id!r}")
        graph.attr(label=_text(f"{curriculum.name}: {stage.name}"), labelloc="t")
        for policy in stage.policies:
            attrs = {"color": _START, "penwidth": "2.5"} if policy.id in stage.start_policies else {}
            name = ("▶ " if policy.id in stage.start_policies else "") + policy.name
            graph.node(name_of(policy.id), _text(name), **attrs)
        transitions = stage.policy_transitions
    declared = set(node)
    priority: dict[str, int] = {}
    for transition in transitions:
        priority[transition.source] = priority.get(transition.source, 0) + 1
        graph.edge(
            name_of(transition.source),
            name_of(transition.destination),
            label=_edge_label(priority[transition.source], transition.rule.text),
        )
    for item_id, name in node.items():  # a dangling transition's end: shown by its id, dashed
        if item_id not in declared:
            graph.node(name, _text(item_id), style="dashed")
    return graph


def export_diagram(
    curriculum: Curriculum,
    path: str | Path,
    *,
    stage_id: str | None = None,
    fmt: str | None = None,
    dot: str = "dot",
    timeout: float = EXPORT_TIMEOUT_S,
) -> Path:
    """Write the diagram; the format comes from ``fmt`` or the file's suffix (.svg, .png, .pdf)."""
    target = Path(path)
    kind = (fmt or target.suffix.lstrip(".")).lower()
    if kind not in FORMATS:
        raise DiagramError(f"{target}: choose a .svg, .png or .pdf file (not {kind or 'no extension'!r})")
    source = diagram(curriculum, stage_id).source
    try:
        done = subprocess.run(
            [dot, f"-T{kind}"], input=source.encode("utf-8"), capture_output=True, timeout=timeout
        )
    except FileNotFoundError:
        raise DiagramError("Graphviz 'dot' was not found: install Graphviz to export diagrams") from None
    except subprocess.TimeoutExpired:
        raise DiagramError(
            f"Graphviz 'dot' took longer than {timeout:g} s; the diagram was not written"
        ) from None
    if done.returncode != 0 or not done.stdout:
        # dot's own message is not shown: it can quote the curriculum's text or name local paths.
        raise DiagramError(
            f"Graphviz 'dot' could not draw this diagram (exit code {done.returncode}); nothing was written"
        )
    try:
        target.write_bytes(done.stdout)
    except OSError as exc:
        raise DiagramError(f"{target}: cannot write ({exc.strerror or exc})") from None
    return target
