"""Edge geometry: where a curve leaves and enters its nodes, how far it bows, its arrow head.

A positive bend bows to the right of the direction of travel, a negative one to the left. All edges use
a negative bend, so in a left-to-right graph forward skips arch above and regressions arch below, and the
two halves of a two-way pair fall on opposite sides without any special case.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QLineF, QPointF, QRectF
from PySide6.QtGui import QPainterPath, QPolygonF

HEAD_LEN = 12.0
HEAD_HALF = 5.5


def border_point(rect: QRectF, toward: QPointF) -> QPointF:
    """Where the ray from the rectangle's centre toward a point leaves the rectangle."""
    c = rect.center()
    dx, dy = toward.x() - c.x(), toward.y() - c.y()
    if dx == 0 and dy == 0:
        return c
    sx = (rect.width() / 2) / abs(dx) if dx else math.inf
    sy = (rect.height() / 2) / abs(dy) if dy else math.inf
    s = min(sx, sy)
    return QPointF(c.x() + dx * s, c.y() + dy * s)


def segment_hits_rect(a: QPointF, b: QPointF, rect: QRectF) -> bool:
    """Liang-Barsky clipping: does segment a-b cross the rectangle?"""
    t0, t1 = 0.0, 1.0
    dx, dy = b.x() - a.x(), b.y() - a.y()
    for p, q in (
        (-dx, a.x() - rect.left()),
        (dx, rect.right() - a.x()),
        (-dy, a.y() - rect.top()),
        (dy, rect.bottom() - a.y()),
    ):
        if p == 0:
            if q < 0:
                return False
        else:
            t = q / p
            if p < 0:
                t0 = max(t0, t)
            else:
                t1 = min(t1, t)
            if t0 > t1:
                return False
    return True


class Curve:
    """A quadratic curve from one node to another bowed by ``bend`` (apex offset), with its arrow head."""

    __slots__ = ("apex", "head", "normal", "path", "straight_room")

    def __init__(self, source: QRectF, target: QRectF, bend: float) -> None:
        c1, c2 = source.center(), target.center()
        dx, dy = c2.x() - c1.x(), c2.y() - c1.y()
        length = math.hypot(dx, dy) or 1.0
        self.normal = QPointF(-dy / length, dx / length)
        # The control point of a quadratic sits twice as far out as the curve's apex.
        control = (c1 + c2) / 2 + self.normal * (2 * bend)
        a = border_point(source, control if bend else c2)
        b = border_point(target, control if bend else c1)
        if not bend:
            control = (a + b) / 2
        self.path = QPainterPath(a)
        self.path.quadTo(control, b)
        self.apex = self.path.pointAtPercent(0.5)
        self.straight_room = QLineF(a, b).length()
        self.head = arrow_head(b, b - control if bend else b - a)


class SelfLoop:
    """A loop over the node's top right corner, for a transition from a node to itself."""

    __slots__ = ("apex", "head", "normal", "path", "straight_room")

    def __init__(self, rect: QRectF, lane: int) -> None:
        rise = 46.0 + 22.0 * lane
        a = QPointF(rect.right() - 46, rect.top())
        b = QPointF(rect.right(), rect.top() + 18)
        self.path = QPainterPath(a)
        c1, c2 = a + QPointF(-10, -rise), b + QPointF(rise + 10, -4)
        self.path.cubicTo(c1, c2, b)
        self.apex = self.path.pointAtPercent(0.5)
        self.normal = QPointF(0, -1)
        self.straight_room = 0.0
        self.head = arrow_head(b, b - c2)


def arrow_head(tip: QPointF, direction: QPointF) -> QPolygonF:
    length = math.hypot(direction.x(), direction.y()) or 1.0
    ux, uy = direction.x() / length, direction.y() / length
    return QPolygonF(
        [
            tip,
            tip - QPointF(ux * HEAD_LEN - uy * HEAD_HALF, uy * HEAD_LEN + ux * HEAD_HALF),
            tip - QPointF(ux * HEAD_LEN + uy * HEAD_HALF, uy * HEAD_LEN - ux * HEAD_HALF),
        ]
    )
