"""Labels off each other: edges that leave a node side by side would otherwise stack their rules on top of
each other. Each label may sit at one of a few spots along its curve (the middle first); a few rounds of
"every label takes the spot that overlaps least" settle them. Labels and nodes are looked up on a coarse
grid, not through the scene's index, so a 400-edge graph settles in milliseconds."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF

from .items import EdgeItem, NodeItem

SPOTS = (0.5, 0.38, 0.62, 0.28, 0.72)  # along a curve, where its label may sit (middle first)
CELL = 200.0
ROUNDS = 3

Cell = tuple[int, int]


def _cells(rect: QRectF) -> list[Cell]:
    return [
        (x, y)
        for x in range(int(rect.left() // CELL), int(rect.right() // CELL) + 1)
        for y in range(int(rect.top() // CELL), int(rect.bottom() // CELL) + 1)
    ]


def _overlap(a: QRectF, b: QRectF) -> float:
    both = a.intersected(b)
    return both.width() * both.height() if both.isValid() else 0.0


def separate_labels(edges: Sequence[EdgeItem], nodes: Sequence[NodeItem]) -> None:
    """Move each edge's label along its curve so that it covers neither another label nor a node (a node
    counts double), as far as the spots allow."""
    rects = {edge: edge.label_box_at(0.5) for edge in edges}
    spot = dict.fromkeys(edges, 0.5)
    grid: dict[Cell, set[EdgeItem]] = {}
    for edge, rect in rects.items():
        for cell in _cells(rect):
            grid.setdefault(cell, set()).add(edge)
    node_grid: dict[Cell, list[NodeItem]] = {}
    for node in nodes:
        for cell in _cells(node.scene_rect()):
            node_grid.setdefault(cell, []).append(node)

    def cost(edge: EdgeItem, rect: QRectF) -> float:
        padded = rect.adjusted(-3, -3, 3, 3)
        places = _cells(padded)
        near = {other for cell in places for other in grid.get(cell, ())} - {edge}
        total = sum(_overlap(padded, rects[other]) for other in near)
        ends = (edge.source, edge.target)
        in_the_way = {node for cell in places for node in node_grid.get(cell, ()) if node not in ends}
        return total + sum(2 * _overlap(padded, node.scene_rect()) for node in in_the_way)

    for _ in range(ROUNDS):
        changed = False
        for edge in edges:
            best = min((cost(edge, edge.label_box_at(at)), index, at) for index, at in enumerate(SPOTS))[2]
            if best == spot[edge]:
                continue
            for cell in _cells(rects[edge]):
                grid[cell].discard(edge)
            spot[edge], rects[edge] = best, edge.label_box_at(best)
            for cell in _cells(rects[edge]):
                grid.setdefault(cell, set()).add(edge)
            changed = True
        if not changed:
            break
    for edge in edges:
        edge.move_label(spot[edge])
