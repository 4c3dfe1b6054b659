"""The stage graph drawn on a QGraphicsScene: stages as nodes, stage transitions as labelled curved arrows.

The scene is rebuilt from the core model when the document changes; positions come from the file (a simple
left-to-right fallback places stages that have none).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from ..core.model import Curriculum, Stage, StageTransition
from ..core.problems import Problem, Severity

NODE_W = 190.0
NODE_H = 74.0
START_COLOUR = QColor("#2e7d32")
TERMINAL_COLOUR = QColor("#b8860b")
ERROR_COLOUR = QColor("#c62828")
NODE_FILL = QColor("#f7f9fc")
EDGE_COLOUR = QColor("#455a64")
REGRESSION_COLOUR = QColor("#8e24aa")


def _elide(text: str, font: QFont, width: float) -> str:
    from PySide6.QtGui import QFontMetricsF

    return QFontMetricsF(font).elidedText(text, Qt.TextElideMode.ElideRight, width)


class StageItem(QGraphicsItem):
    """A stage: name, task name, policy count; start and terminal stages marked; errors flagged."""

    def __init__(self, stage: Stage, *, is_start: bool, has_error: bool) -> None:
        super().__init__()
        self.stage = stage
        self.is_start = is_start
        self.has_error = has_error
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(2)
        self.setToolTip(stage.description or stage.name)

    def boundingRect(self) -> QRectF:
        return QRectF(-4, -22, NODE_W + 8, NODE_H + 26)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        rect = QRectF(0, 0, NODE_W, NODE_H)
        border = (
            START_COLOUR if self.is_start else TERMINAL_COLOUR if self.stage.terminal else QColor("#607d8b")
        )
        if self.isSelected():
            border = QColor("#1565c0")
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(
            QPen(border, 2.5 if (self.is_start or self.stage.terminal or self.isSelected()) else 1.5)
        )
        painter.setBrush(QBrush(QColor("#fffaf0") if self.stage.terminal else NODE_FILL))
        painter.drawRoundedRect(rect, 8, 8)
        if self.stage.terminal:
            painter.drawRoundedRect(rect.adjusted(4, 4, -4, -4), 6, 6)

        title = QFont()
        title.setPointSizeF(10.5)
        title.setBold(True)
        painter.setFont(title)
        painter.setPen(QColor("#1a1a1a"))
        painter.drawText(
            QRectF(10, 8, NODE_W - 20, 22),
            Qt.AlignmentFlag.AlignLeft,
            _elide(self.stage.name, title, NODE_W - 20),
        )
        small = QFont()
        small.setPointSizeF(8.5)
        painter.setFont(small)
        painter.setPen(QColor("#455a64"))
        task = self.stage.task.name or "no task"
        painter.drawText(
            QRectF(10, 30, NODE_W - 20, 18), Qt.AlignmentFlag.AlignLeft, _elide(task, small, NODE_W - 20)
        )
        count = len(self.stage.policies)
        policies = "no policies" if count == 0 else f"{count} polic{'y' if count == 1 else 'ies'}"
        painter.drawText(QRectF(10, 48, NODE_W - 20, 18), Qt.AlignmentFlag.AlignLeft, policies)

        badge = "START" if self.is_start else "TERMINAL" if self.stage.terminal else ""
        if badge:
            painter.setFont(small)
            colour = START_COLOUR if self.is_start else TERMINAL_COLOUR
            painter.setPen(colour)
            painter.drawText(
                QRectF(0, -18, NODE_W, 16),
                Qt.AlignmentFlag.AlignLeft,
                f"▶ {badge}" if self.is_start else f"★ {badge}",
            )
        if self.has_error:
            painter.setPen(QPen(ERROR_COLOUR, 2))
            painter.setBrush(ERROR_COLOUR)
            painter.drawEllipse(QPointF(NODE_W - 10, 10), 5, 5)


class TransitionItem(QGraphicsPathItem):
    """A curved arrow with its priority and rule, e.g. ``(1) theta_2 > 10``."""

    def __init__(
        self, transition: StageTransition, priority: int, start: QRectF, end: QRectF, bend: float
    ) -> None:
        super().__init__()
        self.transition = transition
        regression = end.center().x() < start.center().x() - 1
        colour = REGRESSION_COLOUR if regression else EDGE_COLOUR
        self.setPen(QPen(colour, 1.6))
        self.setZValue(1)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)

        a, b = _border_point(start, end.center()), _border_point(end, start.center())
        mid = (a + b) / 2
        dx, dy = b.x() - a.x(), b.y() - a.y()
        length = math.hypot(dx, dy) or 1.0
        normal = QPointF(-dy / length, dx / length)
        control = mid + normal * bend
        path = QPainterPath(a)
        path.quadTo(control, b)
        self.setPath(path)

        # Arrow head along the curve's end tangent.
        tangent = b - control
        t_len = math.hypot(tangent.x(), tangent.y()) or 1.0
        ux, uy = tangent.x() / t_len, tangent.y() / t_len
        head = QPolygonF(
            [
                b,
                b - QPointF(ux * 11 - uy * 5, uy * 11 + ux * 5),
                b - QPointF(ux * 11 + uy * 5, uy * 11 - ux * 5),
            ]
        )
        arrow = QPainterPath()
        arrow.addPolygon(head)
        self._head = arrow

        label = QGraphicsSimpleTextItem(f"({priority}) {transition.rule.text or '(no rule)'}", self)
        font = QFont()
        font.setPointSizeF(8.5)
        label.setFont(font)
        label.setBrush(colour)
        apex = path.pointAtPercent(0.5)
        width = label.boundingRect().width()
        label.setPos(apex.x() - width / 2, apex.y() - (18 if bend <= 0 else -4))
        self.setToolTip(transition.rule.text)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        super().paint(painter, option, widget)
        painter.setBrush(self.pen().color())
        painter.drawPath(self._head)


def _border_point(rect: QRectF, toward: QPointF) -> QPointF:
    """Where the line from the rectangle's centre toward a point leaves the rectangle."""
    c = rect.center()
    dx, dy = toward.x() - c.x(), toward.y() - c.y()
    if dx == 0 and dy == 0:
        return c
    sx = (rect.width() / 2) / abs(dx) if dx else math.inf
    sy = (rect.height() / 2) / abs(dy) if dy else math.inf
    s = min(sx, sy)
    return QPointF(c.x() + dx * s, c.y() + dy * s)


def fallback_positions(curriculum: Curriculum) -> dict[str, QPointF]:
    """Left to right by breadth-first depth from the start stage (used where the file has no positions)."""
    depth: dict[str, int] = {}
    frontier = [curriculum.start_stage] if curriculum.start_stage else []
    if frontier and frontier[0] is not None:
        depth[frontier[0]] = 0
    while frontier:
        nxt = []
        for sid in frontier:
            for t in curriculum.outgoing_stage_transitions(sid):
                if t.destination not in depth:
                    depth[t.destination] = depth[sid] + 1
                    nxt.append(t.destination)
        frontier = nxt
    rows: dict[int, int] = {}
    out: dict[str, QPointF] = {}
    for stage in curriculum.stages:
        col = depth.get(stage.id, max(depth.values(), default=-1) + 1)
        row = rows.get(col, 0)
        rows[col] = row + 1
        out[stage.id] = QPointF(col * (NODE_W + 110), row * (NODE_H + 90))
    return out


class StageScene(QGraphicsScene):
    def __init__(self) -> None:
        super().__init__()
        self.stage_items: dict[str, StageItem] = {}
        self.transition_items: dict[str, TransitionItem] = {}

    def rebuild(self, curriculum: Curriculum, problems: list[Problem]) -> None:
        self.clear()
        self.stage_items.clear()
        self.transition_items.clear()
        erroneous = {p.ref.id for p in problems if p.severity is Severity.ERROR and p.ref.kind == "stage"}
        fallback = fallback_positions(curriculum)
        for stage in curriculum.stages:
            item = StageItem(
                stage, is_start=stage.id == curriculum.start_stage, has_error=stage.id in erroneous
            )
            pos = stage.position
            item.setPos(QPointF(pos.x, pos.y) if pos else fallback[stage.id])
            self.addItem(item)
            self.stage_items[stage.id] = item

        pairs = {(t.source, t.destination) for t in curriculum.stage_transitions}
        seen: dict[tuple[str, str], int] = {}
        priority: dict[str, int] = {}
        for transition in curriculum.stage_transitions:
            src = self.stage_items.get(transition.source)
            dst = self.stage_items.get(transition.destination)
            priority[transition.source] = priority.get(transition.source, 0) + 1
            if src is None or dst is None or src is dst:
                continue
            key = (transition.source, transition.destination)
            parallel = seen.get(key, 0)
            seen[key] = parallel + 1
            r1 = src.sceneBoundingRect().adjusted(4, 22, -4, -4)
            r2 = dst.sceneBoundingRect().adjusted(4, 22, -4, -4)
            distance = abs(r2.center().x() - r1.center().x()) + abs(r2.center().y() - r1.center().y())
            two_way = (transition.destination, transition.source) in pairs
            # Forward edges between neighbours run straight; two-way pairs, skips and regressions curve apart.
            base = 0.0
            if two_way or distance > NODE_W + 200:
                base = 34.0 + 0.12 * distance
            bend = -(base + 26.0 * parallel)
            item = TransitionItem(transition, priority[transition.source], r1, r2, bend)
            self.addItem(item)
            self.transition_items[transition.id] = item
        self.setSceneRect(self.itemsBoundingRect().adjusted(-60, -60, 60, 60))


class CanvasView(QGraphicsView):
    def __init__(self, scene: StageScene) -> None:
        super().__init__(scene)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setBackgroundBrush(QColor("#eef1f5"))
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)

    def fit(self) -> None:
        rect = self.scene().itemsBoundingRect().adjusted(-30, -30, 30, 30)
        if rect.isValid():
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
            if self.transform().m11() > 1.0:  # never zoom in past 100 % just to fill the window
                self.resetTransform()
                self.centerOn(rect.center())
