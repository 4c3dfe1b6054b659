"""Automatic layout of a stage graph or a policy graph, left to right.

Graphviz ``dot`` gives the best layouts; it is called through ``subprocess.run`` with a timeout (the
``graphviz`` package's ``pipe()`` has none). When ``dot`` is missing, fails or is too slow, a pure-Python
layered layout takes over and :attr:`LayoutResult.notice` says why, so the GUI can tell the user.

Positions are the top-left corners of the nodes in scene coordinates (y grows downwards), the same
convention as ``Stage.position`` / ``Policy.position``. Nothing here imports Qt; applying a layout is one
undoable :func:`~curriculum_gui.core.edits.move` batch (:func:`layout_edit`).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from . import edits
from .model import Curriculum, Point

Engine = Literal["dot", "fallback"]

STAGE_SIZE = (200.0, 84.0)
POLICY_SIZE = (200.0, 64.0)
RANK_GAP = 250.0  # room between ranks for an edge label at 100 % zoom
NODE_GAP = 70.0
DOT_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Graph:
    """Just what a layout needs: node ids in a stable order, and directed edges between them."""

    nodes: list[str]
    edges: list[tuple[str, str]]
    roots: list[str] = field(default_factory=list)  # start nodes, placed first
    sizes: dict[str, tuple[float, float]] = field(default_factory=dict)  # a node's own size, if not default
    rank_gap: float = 0.0  # room between ranks (0: RANK_GAP); less when every edge label is short

    def size(self, node: str, default: tuple[float, float]) -> tuple[float, float]:
        return self.sizes.get(node, default)


@dataclass(frozen=True)
class LayoutResult:
    positions: dict[str, tuple[float, float]]
    engine: Engine
    notice: str = ""  # empty when dot did the work


def stage_graph(curriculum: Curriculum) -> Graph:
    return Graph(
        nodes=[s.id for s in curriculum.stages],
        edges=[(t.source, t.destination) for t in curriculum.stage_transitions],
        roots=[curriculum.start_stage] if curriculum.start_stage else [],
    )


def policy_graph(curriculum: Curriculum, stage_id: str) -> Graph:
    stage = curriculum.stage(stage_id)
    if stage is None:
        return Graph([], [])
    return Graph(
        nodes=[p.id for p in stage.policies],
        edges=[(t.source, t.destination) for t in stage.policy_transitions],
        roots=list(stage.start_policies),
    )


def depths(graph: Graph) -> dict[str, int]:
    """Breadth-first steps from the roots (the start stage, or the start policies; without any, the first
    node) along the edges; nodes that cannot be reached are left out. An edge to a node of smaller depth
    goes back."""
    out: dict[str, list[str]] = {n: [] for n in graph.nodes}
    for a, b in graph.edges:
        if a in out and b in out:
            out[a].append(b)
    roots = [root for root in graph.roots if root in out] or graph.nodes[:1]  # no start yet: the first
    depth = dict.fromkeys(roots, 0)
    queue = list(depth)
    for node in queue:  # the list grows while it is read: a queue
        for child in out[node]:
            if child not in depth:
                depth[child] = depth[node] + 1
                queue.append(child)
    return depth


def goes_back(graph: Graph, terminals: Sequence[str] = ()) -> set[tuple[str, str]]:
    """The edges that go back towards the start (regressions): to a node of smaller breadth-first depth
    from the start or, at the same depth, to one listed earlier; an end (terminal) comes after every
    node of its depth. Edges from or to a node the start cannot reach are not counted."""
    depth = depths(graph)
    last = set(terminals)
    index = {node: i for i, node in enumerate(graph.nodes)}

    def key(node: str) -> tuple[int, bool, int]:
        return depth[node], node in last, index[node]

    return {(a, b) for a, b in graph.edges if a in depth and b in depth and key(b) < key(a)}


def layout(
    graph: Graph,
    node_size: tuple[float, float] = STAGE_SIZE,
    *,
    dot: str = "dot",
    timeout: float = DOT_TIMEOUT_S,
) -> LayoutResult:
    """Lay out with ``dot``; fall back to :func:`layered_layout` (with a notice) if that is impossible."""
    if not graph.nodes:
        return LayoutResult({}, "dot")
    try:
        return LayoutResult(dot_layout(graph, node_size, dot=dot, timeout=timeout), "dot")
    except FileNotFoundError:
        notice = "Graphviz 'dot' was not found: used the built-in layout (install Graphviz for better ones)."
    except subprocess.TimeoutExpired:
        notice = f"Graphviz 'dot' took longer than {timeout:g} s: used the built-in layout."
    except (OSError, ValueError, subprocess.CalledProcessError) as exc:
        notice = f"Graphviz 'dot' failed ({_one_line(exc)}): used the built-in layout."
    return LayoutResult(layered_layout(graph, node_size), "fallback", notice)


def layout_edit(result: LayoutResult, stage_id: str | None = None) -> edits.Batch:
    """The positions as ONE undoable step: a batch of moves (stages, or the policies of ``stage_id``)."""
    kind: edits.Kind = "policy" if stage_id else "stage"
    batch = edits.move({(kind, node, stage_id): Point(x=x, y=y) for node, (x, y) in result.positions.items()})
    batch.text = "Auto-layout"
    return batch


# --- Graphviz ----------------------------------------------------------------------------------------


def dot_source(graph: Graph, node_size: tuple[float, float]) -> str:
    """DOT text with nodes named ``n0``, ``n1``... in :func:`_dot_names` order: no id or label from the
    curriculum enters it (nodes are drawn with empty labels), so nothing a file holds is read as DOT."""
    width, height = node_size
    rank_gap = graph.rank_gap or RANK_GAP
    lines = [
        "digraph layout {",
        f"  graph [rankdir=LR, nodesep={NODE_GAP / 72:.3f}, ranksep={rank_gap / 72:.3f}];",
        f'  node [shape=box, fixedsize=true, width={width / 72:.3f}, height={height / 72:.3f}, label=""];',
    ]
    names = _dot_names(graph)
    for node, name in names.items():
        w, h = graph.size(node, node_size)
        own = f" [width={w / 72:.3f}, height={h / 72:.3f}]" if (w, h) != (width, height) else ""
        lines.append(f"  {name}{own};")
    lines += [f"  {names[a]} -> {names[b]};" for a, b in graph.edges if a in names and b in names]
    lines.append("}")
    return "\n".join(lines) + "\n"


def dot_layout(
    graph: Graph, node_size: tuple[float, float], *, dot: str = "dot", timeout: float = DOT_TIMEOUT_S
) -> dict[str, tuple[float, float]]:
    """Run ``dot -Tjson0``; raises FileNotFoundError, TimeoutExpired, CalledProcessError or ValueError."""
    done = subprocess.run(
        [dot, "-Tjson0"],
        input=dot_source(graph, node_size),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    names = _dot_names(graph)
    ids = {name: node for node, name in names.items()}
    sizes = {names[node]: size for node, size in graph.sizes.items() if node in names}
    return {ids[name]: xy for name, xy in parse_json0(done.stdout, node_size, sizes).items() if name in ids}


def _dot_names(graph: Graph) -> dict[str, str]:
    """Node id -> DOT name, roots first (dot places earlier nodes first)."""
    ordered = dict.fromkeys([*[r for r in graph.roots if r in graph.nodes], *graph.nodes])
    return {node: f"n{i}" for i, node in enumerate(ordered)}


def parse_json0(
    text: str, node_size: tuple[float, float], sizes: dict[str, tuple[float, float]] | None = None
) -> dict[str, tuple[float, float]]:
    """Node centres in points with y up -> top-left corners in scene units with y down."""
    data = json.loads(text)
    top = float(str(data["bb"]).split(",")[3])
    positions: dict[str, tuple[float, float]] = {}
    for obj in data.get("objects", []):
        if "pos" not in obj or "nodes" in obj:  # clusters have no pos; be strict anyway
            continue
        x, y = (float(v) for v in str(obj["pos"]).split(","))
        width, height = (sizes or {}).get(str(obj["name"]), node_size)
        positions[str(obj["name"])] = (round(x - width / 2, 1), round(top - y - height / 2, 1))
    return positions


def _one_line(exc: BaseException) -> str:
    stderr = getattr(exc, "stderr", None)
    text = (stderr or str(exc)).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


# --- built-in layered layout (Sugiyama-style, small and deterministic) ---------------------------------


def layered_layout(
    graph: Graph, node_size: tuple[float, float] = STAGE_SIZE
) -> dict[str, tuple[float, float]]:
    """Ranks by longest path after breaking cycles, then a few barycentre sweeps to reduce crossings."""
    nodes = list(dict.fromkeys(graph.nodes))
    if not nodes:
        return {}
    known = set(nodes)
    edges = [(a, b) for a, b in graph.edges if a in known and b in known and a != b]
    forward = _acyclic(nodes, edges, [r for r in graph.roots if r in known])
    rank = _ranks(nodes, forward)
    layers = _order(nodes, forward, rank)
    positions: dict[str, tuple[float, float]] = {}
    left = 0.0
    for layer in layers:
        sizes = [graph.size(node, node_size) for node in layer]
        column = max(w for w, _ in sizes)
        top = -(sum(h for _, h in sizes) + NODE_GAP * (len(layer) - 1)) / 2
        for node, (w, h) in zip(layer, sizes, strict=True):
            positions[node] = (round(left + (column - w) / 2, 1), round(top, 1))
            top += h + NODE_GAP
        left += column + (graph.rank_gap or RANK_GAP)
    return positions


def _acyclic(
    nodes: Sequence[str], edges: Sequence[tuple[str, str]], roots: Sequence[str]
) -> list[tuple[str, str]]:
    """Edges with the back edges of a depth-first search (from the roots first) reversed."""
    out: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        out[a].append(b)
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    back: set[tuple[str, str]] = set()
    for start in [*roots, *nodes]:
        if start in state:
            continue
        state[start] = 1
        stack = [(start, iter(out[start]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(out[child])))
    return [(b, a) if (a, b) in back else (a, b) for a, b in edges]


def _ranks(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    indegree = dict.fromkeys(nodes, 0)
    out: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        out[a].append(b)
        indegree[b] += 1
    rank = dict.fromkeys(nodes, 0)
    ready = [n for n in nodes if indegree[n] == 0]
    while ready:
        node = ready.pop(0)
        for child in out[node]:
            rank[child] = max(rank[child], rank[node] + 1)
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
    return rank


def _order(nodes: Sequence[str], edges: Sequence[tuple[str, str]], rank: dict[str, int]) -> list[list[str]]:
    layers: list[list[str]] = [[] for _ in range(max(rank.values()) + 1)]
    for node in nodes:
        layers[rank[node]].append(node)
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    succs: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        preds[b].append(a)
        succs[a].append(b)
    for sweep in range(6):
        down = sweep % 2 == 0
        order = range(1, len(layers)) if down else range(len(layers) - 2, -1, -1)
        for r in order:
            fixed = {n: i for i, n in enumerate(layers[r - 1 if down else r + 1])}
            neighbours = preds if down else succs

            def key(item: tuple[int, str], fixed=fixed, neighbours=neighbours) -> float:
                index, node = item
                near = [fixed[m] for m in neighbours[node] if m in fixed]
                return sum(near) / len(near) if near else float(index)

            layers[r] = [n for _, n in sorted(enumerate(layers[r]), key=key)]
    return layers
