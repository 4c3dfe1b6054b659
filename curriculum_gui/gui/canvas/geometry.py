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


def exit_point(rect: QRectF, origin: QPointF, toward: QPointF) -> QPointF:
    """Where the ray from ``origin`` (inside the rectangle) toward a point leaves the rectangle."""
    dx, dy = toward.x() - origin.x(), toward.y() - origin.y()
    ts = []
    if dx:
        ts.append(((rect.right() if dx > 0 else rect.left()) - origin.x()) / dx)
    if dy:
        ts.append(((rect.bottom() if dy > 0 else rect.top()) - origin.y()) / dy)
    t = min((t for t in ts if t >= 0), default=0.0)
    return QPointF(origin.x() + dx * t, origin.y() + dy * t)


class Curve:
    """From one node to another: shifted sideways by ``shift`` (parallel lanes of a two-way pair) and
    bowed by ``bend`` (the apex offset of a quadratic), with its arrow head."""

    __slots__ = ("apex", "head", "normal", "path", "straight_room")

    def __init__(self, source: QRectF, target: QRectF, bend: float, shift: float = 0.0) -> None:
        c1, c2 = source.center(), target.center()
        dx, dy = c2.x() - c1.x(), c2.y() - c1.y()
        length = math.hypot(dx, dy) or 1.0
        self.normal = QPointF(-dy / length, dx / length)
        if shift:  # keep the shifted start and end inside their boxes ...
            room = min(source.height(), target.height()) / 2 - 6
            room = room if abs(dx) >= abs(dy) else min(source.width(), target.width()) / 2 - 6
            inside = max(-room, min(room, shift))
            offset = self.normal * inside
            c1, c2 = c1 + offset, c2 + offset
            bend += shift - inside  # ... and bow out the lanes that do not fit, each further than the last
        # The control point of a quadratic sits twice as far out as the curve's apex.
        control = (c1 + c2) / 2 + self.normal * (2 * bend)
        a = exit_point(source, c1, control if bend else c2)
        b = exit_point(target, c2, control if bend else c1)
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
