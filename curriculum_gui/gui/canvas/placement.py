"""Where a node added with Ins (or Add Stage / Add Policy) goes: right of the selected node (or of the last
one), in the first place that touches no node, no edge and no edge label, so that nothing arcs around it
and nothing hides it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import QPainterPath

from .items import EdgeItem, NodeItem

GAP_X = 140.0  # room for a transition's label between the anchor and the new node
GAP_Y = 50.0
MARGIN = 30.0  # kept free around the new node (its badges stick out about 20 px above it)
COLUMNS = 12
ROWS = (0, 1, -1, 2, -2, 3, -3)


def free(scene: Any, rect: QRectF) -> bool:
    """Does a node at ``rect`` (scene coordinates) touch no node, edge or edge label?"""
    box = rect.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
    area = QPainterPath()
    area.addRect(box)
    for item in scene.items(box, Qt.ItemSelectionMode.IntersectsItemBoundingRect):
        if isinstance(item, NodeItem) and item.sceneBoundingRect().intersects(box):
            return False
        if isinstance(item, EdgeItem) and item.collidesWithPath(
            area, Qt.ItemSelectionMode.IntersectsItemShape
        ):
            return False
    return True


def _centred(centre: QPointF, size: tuple[float, float]) -> QRectF:
    w, h = size
    return QRectF(QPointF(centre.x() - w / 2, centre.y() - h / 2), QSizeF(w, h))


def spot_for_new_node(
    scene: Any, anchor: NodeItem | None, size: tuple[float, float], fallback: QPointF
) -> QPointF:
    """The centre for a new node of ``size``: right of ``anchor``, same row first, then the rows below and
    above it, then further right; without an anchor, ``fallback`` (the view's centre) if that is free."""
    w, h = size
    if anchor is None:
        if free(scene, _centred(fallback, size)):
            return fallback
        base = _centred(fallback, size)
    else:
        base = anchor.scene_rect()
    for column in range(COLUMNS):
        x = base.right() + GAP_X + column * (w + GAP_X) + w / 2
        for row in ROWS:
            centre = QPointF(x, base.center().y() + row * (h + GAP_Y))
            if free(scene, _centred(centre, size)):
                return centre
    everything = scene.itemsBoundingRect()
    return QPointF(everything.right() + GAP_X + w / 2, base.center().y())
