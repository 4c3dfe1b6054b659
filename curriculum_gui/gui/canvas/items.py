"""Graphics items of the canvas: a node (stage or policy), an edge (transition), the in-place name editor.

Items only draw and report gestures to their scene; every change of the curriculum is made by the scene
through ``Document.apply``. Texts are elided when the data changes, not while painting.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QFocusEvent,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneHoverEvent,
    QGraphicsSceneMouseEvent,
    QGraphicsTextItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from ...core.problems import Problem, Severity
from . import style
from .geometry import Curve, SelfLoop
from .levels import EdgeData, NodeData

_ELIDE = Qt.TextElideMode.ElideRight
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_CENTER = Qt.AlignmentFlag.AlignCenter


def _marker_colour(problems: list[Problem]) -> Any:
    return style.ERROR if any(p.severity is Severity.ERROR for p in problems) else style.WARNING


def _problem_lines(problems: list[Problem]) -> str:
    return "\n".join(f"{'✖' if p.severity is Severity.ERROR else '⚠'} {p.message}" for p in problems)


def _draw_mark(painter: QPainter, rect: QRectF, mark: str) -> None:
    """A comparison mark: a ring in the mark's colour (dashed for removed) and its word above the node,
    on the right (the left holds START / TERMINAL / CURRENT)."""
    colour = style.MARKS[mark]
    pen = QPen(colour, 3.5)
    if mark == "removed":
        pen.setStyle(Qt.PenStyle.DashLine)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(rect.adjusted(-4, -4, 4, 4), 11, 11)
    painter.setFont(style.font("badge"))
    painter.setPen(colour)
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    painter.drawText(QRectF(0, -22, rect.width(), 16), right, style.MARK_BADGES[mark])


def _draw_marker(painter: QPainter, centre: QPointF, problems: list[Problem]) -> None:
    painter.setPen(QPen(style.NODE_FILL, 1.5))
    painter.setBrush(_marker_colour(problems))
    painter.drawEllipse(centre, 8, 8)
    painter.setPen(style.NODE_FILL)
    painter.setFont(style.font("badge"))
    painter.drawText(QRectF(centre.x() - 8, centre.y() - 8, 16, 16), _CENTER, "!")


TITLE_PAD = 34.0  # the start stripe, margins and the problem marker beside the name
TITLE_BOX = 24.0  # the height of the first title line's box (the original one-line layout)


def node_layout(data: NodeData, base: tuple[float, float]) -> tuple[float, float, list[str]]:
    """(width, height, title lines): at least ``base``; wider for a longer name (up to NODE_MAX_W), then
    the name wraps (up to TITLE_LINES lines) and the node grows downwards."""
    base_w, base_h = base
    fm = style.metrics("title")
    one_line = fm.horizontalAdvance(data.title) + TITLE_PAD
    width = base_w if one_line <= base_w else min(style.NODE_MAX_W, math.ceil(one_line / 10) * 10)
    lines = style.wrap_text(data.title, "title", width - TITLE_PAD, style.TITLE_LINES)
    height = base_h + (len(lines) - 1) * fm.lineSpacing()
    return width, height, lines


def node_size(data: NodeData, base: tuple[float, float]) -> tuple[float, float]:
    width, height, _ = node_layout(data, base)
    return width, height


class NodeItem(QGraphicsItem):
    """A stage or a policy: name (wrapped; the node grows to it), subtitle (task / update), detail
    (policy count), marks and markers."""

    def __init__(self, data: NodeData, size: tuple[float, float]) -> None:
        super().__init__()
        self.base_size = size
        self.width, self.height = size
        self._title_lines: list[str] = []
        self.edges: list[EdgeItem] = []
        self.model_pos: QPointF | None = None  # the position the document holds (None: not placed)
        self.highlighted = False
        self.mark: str | None = None  # "added", "changed" or "removed" (a comparison), or None
        self.problems: list[Problem] = []
        self.inner_problems = 0  # problems inside a stage's policy graph
        self._hover = False
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        self.setAcceptHoverEvents(True)
        self.setZValue(2)
        self.set_data(data, [], 0)

    @property
    def node_id(self) -> str:
        return self.data_.id

    def set_data(self, data: NodeData, problems: list[Problem], inner_problems: int) -> None:
        self.data_ = data
        self.problems = problems
        self.inner_problems = inner_problems
        width, height, self._title_lines = node_layout(data, self.base_size)
        if (width, height) != (self.width, self.height):
            self.prepareGeometryChange()
            self.width, self.height = width, height
        room = self.width - TITLE_PAD
        self._subtitle = style.metrics("body").elidedText(data.subtitle, _ELIDE, room + 14)
        self._detail = data.detail
        tip = data.tooltip
        if problems:
            tip += "\n\n" + _problem_lines(problems)
        if inner_problems:
            tip += f"\n\n{inner_problems} problem(s) in its policy graph"
        self.setToolTip(tip)
        self.update()

    def rect(self) -> QRectF:
        return QRectF(0, 0, self.width, self.height)

    def scene_rect(self) -> QRectF:
        """The box itself in scene coordinates (without badge and handle)."""
        return QRectF(self.x(), self.y(), self.width, self.height)

    def handle_centre(self) -> QPointF:
        return QPointF(self.width, self.height / 2)

    def in_handle(self, pos: QPointF) -> bool:
        d = pos - self.handle_centre()
        return d.x() * d.x() + d.y() * d.y() <= (style.HANDLE_R + 3) ** 2

    def boundingRect(self) -> QRectF:
        return QRectF(-6, -22, self.width + style.HANDLE_R + 12, self.height + 28)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self.rect(), 8, 8)
        path.addEllipse(self.handle_centre(), style.HANDLE_R + 3, style.HANDLE_R + 3)
        return path

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        data = self.data_
        lod = option.levelOfDetailFromTransform(painter.worldTransform())  # type: ignore[attr-defined]
        selected = self.isSelected()
        border = (
            style.SELECTED
            if selected
            else style.START
            if data.start
            else style.TERMINAL
            if data.terminal
            else style.NODE_BORDER
        )
        fill = style.TERMINAL_FILL if data.terminal else style.NODE_FILL
        rect = self.rect()
        if lod < style.LOD_TEXT:  # far away: a plain box is all anyone can see
            painter.setPen(
                QPen(style.HIGHLIGHT if self.highlighted else border, 3 if self.highlighted else 1.5)
            )
            painter.setBrush(
                style.ERROR if self.problems and _marker_colour(self.problems) is style.ERROR else fill
            )
            painter.drawRect(rect)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.highlighted:
            painter.setPen(QPen(style.HIGHLIGHT, 6))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(-4, -4, 4, 4), 11, 11)
        if self.mark in style.MARKS:
            _draw_mark(painter, rect, self.mark)
        wide = selected or data.start or data.terminal
        painter.setPen(QPen(border, 2.6 if wide else 1.4))
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 8, 8)
        if data.terminal:
            painter.drawRoundedRect(rect.adjusted(4, 4, -4, -4), 5, 5)
        if data.start:  # a solid stripe on the left, visible even in a crowded graph
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(style.START)
            painter.drawRoundedRect(QRectF(0, 0, 8, self.height), 4, 4)

        painter.setPen(style.TEXT)
        painter.setFont(style.font("title"))
        line = style.metrics("title").lineSpacing()
        top = 6 + (TITLE_BOX - line) / 2
        for index, text in enumerate(self._title_lines):
            painter.drawText(QRectF(14, top + index * line, self.width - 28, line), _LEFT, text)
        extra = (len(self._title_lines) - 1) * line  # the lines below the first push the rest down
        painter.setFont(style.font("body"))
        painter.setPen(style.SUBTEXT)
        painter.drawText(QRectF(14, 30 + extra, self.width - 20, 20), _LEFT, self._subtitle)
        if self._detail:
            painter.drawText(QRectF(14, 52 + extra, self.width - 20, 20), _LEFT, self._detail)

        badge = "▶ START" if data.start else "■ TERMINAL" if data.terminal else ""
        painter.setFont(style.font("badge"))
        left = 2.0
        if badge:
            painter.setPen(style.START if data.start else style.TERMINAL)
            painter.drawText(QRectF(left, -20, self.width, 18), _LEFT, badge)
            left += style.metrics("badge").horizontalAdvance(badge) + 12
        if self.highlighted:
            painter.setPen(style.HIGHLIGHT)
            painter.drawText(QRectF(left, -20, self.width, 18), _LEFT, "● CURRENT")
        if self.problems:
            _draw_marker(painter, QPointF(self.width - 12, 12), self.problems)
        elif self.inner_problems:
            painter.setPen(QPen(style.WARNING, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QPointF(self.width - 12, 12), 5, 5)
        if self._hover or selected:
            painter.setPen(QPen(style.SELECTED, 1.5))
            painter.setBrush(style.NODE_FILL)
            painter.drawEllipse(self.handle_centre(), style.HANDLE_R, style.HANDLE_R)
            painter.drawLine(self.handle_centre() - QPointF(3.5, 0), self.handle_centre() + QPointF(3.5, 0))
            painter.drawLine(self.handle_centre() - QPointF(0, 3.5), self.handle_centre() + QPointF(0, 3.5))

    # --- gestures ------------------------------------------------------------------------------------

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        scene = self.scene()
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange and scene is not None:
            return scene.snapped(value)
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.update_geometry()
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = False
        self.update()

    def hoverMoveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self.setCursor(
            Qt.CursorShape.CrossCursor if self.in_handle(event.pos()) else Qt.CursorShape.ArrowCursor
        )

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.in_handle(event.pos()):
            self.scene().begin_connection(self, event.scenePos())
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.scene().connecting:
            self.scene().drag_connection(event.scenePos())
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.scene().connecting:
            self.scene().end_connection(event.scenePos())
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.scene().node_activated(self)
        event.accept()


class EdgeItem(QGraphicsItem):
    """A transition: a curve with an arrow head and the label ``(priority) rule`` on a white pill.

    The label wraps onto as many lines as the room between the nodes allows (a Python reference shows
    its function's name); hovering shows the whole rule, wrapped, above everything else."""

    def __init__(self, data: EdgeData, source: NodeItem, target: NodeItem) -> None:
        super().__init__()
        self.source, self.target = source, target
        self.lane = 0  # index among parallel edges with the same source and destination
        self.two_way = False  # the other direction exists as well
        self.obstructed = False  # a straight line would cross another node
        self.problems: list[Problem] = []
        self.regression = False  # drawn as going back (leftward here): routed below
        self.backward: bool | None = None  # going back in the curriculum (set by the scene), for the colour
        self.mark: str | None = None  # "added", "changed" or "removed" (a comparison), or None
        self._curve: Curve | SelfLoop | None = None
        self._shape = QPainterPath()
        self._bounds = QRectF()
        self._lines: list[str] = []
        self._label_rect = QRectF()
        self._hover_lines: list[str] = []
        self._hover_rect = QRectF()
        self._hover = False
        self._marker = 0.0
        self._shift_bend = (0.0, 0.0)
        self.label_at = 0.5  # where along its curve the label sits (moved off another label by the scene)
        self.geometry_key: tuple | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self.set_data(data, [])

    @property
    def edge_id(self) -> str:
        return self.data_.id

    @property
    def label_lines(self) -> list[str]:
        """The label as drawn (one string per line)."""
        return list(self._lines)

    def label_rect(self) -> QRectF:
        """The label's pill in scene coordinates (the item is not moved, so item = scene coordinates)."""
        return QRectF(self._label_rect)

    def set_data(self, data: EdgeData, problems: list[Problem]) -> None:
        self.data_ = data
        self.problems = problems
        rule = data.rule.strip()
        short = data.label.strip() if data.label else " ".join(rule.split())
        self._full_label = f"({data.priority}) {short or 'no rule'}"
        self._hover_label = f"({data.priority}) {' '.join(rule.split()) or 'no rule'}"
        tip = f"Priority {data.priority} of {data.siblings}\n{rule or '(no rule yet)'}"
        if problems:
            tip += "\n\n" + _problem_lines(problems)
        self.setToolTip(tip)

    def route(self) -> tuple[float, float]:
        """(bend, shift): how far the curve bows and how far it moves sideways, both to the left of
        travel. Two-way pairs and parallel transitions run side by side; regressions and edges that
        would cross a node arch around (regressions below, skips above, in a left-to-right graph)."""
        a, b = self.source.scene_rect().center(), self.target.scene_rect().center()
        dx = b.x() - a.x()
        span = abs(dx) + abs(b.y() - a.y())
        self.regression = dx < -1
        shift = -(style.LANE * (self.lane + 0.5) if self.two_way else style.LANE * self.lane)
        bend = 0.0
        if self.obstructed:
            bend = -(style.LANE + 0.12 * span)
        elif self.regression and not self.two_way:
            bend = -style.LANE
        return bend, shift

    def refresh_geometry(self) -> None:
        """Recompute the curve only if something it depends on changed (a sync after a rename is cheap)."""
        key = (
            self.source.pos().toTuple(),
            self.target.pos().toTuple(),
            (self.source.width, self.source.height, self.target.width, self.target.height),
            self.source is self.target,
            self.lane,
            self.two_way,
            self.obstructed,
            self._full_label,
            self._hover_label,
            bool(self.problems),
        )
        if key != self.geometry_key:
            self.update_geometry()
            self.geometry_key = key
        else:
            self.update()

    def _fit_label(self, curve: Curve | SelfLoop, bend: float) -> None:
        """The widest label (so the fewest lines, up to LABEL_LINES) whose pill, on its curve, touches
        neither of the two nodes; an arc or a loop has room for the widest."""
        ends = [
            self.source.scene_rect().adjusted(-4, -4, 4, 4),
            self.target.scene_rect().adjusted(-4, -4, 4, 4),
        ]
        arc = not isinstance(curve, Curve) or bend != 0
        width = style.LABEL_MAX_W
        while True:
            lines = style.wrap_text(self._full_label, "label", width - self._marker - 12, style.LABEL_LINES)
            rect = self._label_box(lines, 0.5)
            if arc or width <= style.LABEL_MIN_W or not any(rect.intersects(end) for end in ends):
                self._lines, self._label_rect = lines, rect
                return
            width -= 10

    def _label_box(self, lines: list[str], at: float) -> QRectF:
        """The pill of ``lines`` at ``at`` (0..1) along the curve, beside its line for a two-way lane."""
        curve = self._curve
        assert curve is not None
        bend, shift = self._shift_bend
        rect = self._pill(lines, curve.path.pointAtPercent(at), self._marker)
        if shift and not bend:  # beside its own line, away from the partner's
            rect.translate(-curve.normal * (rect.height() / 2 + 3))
        return rect

    def label_box_at(self, at: float) -> QRectF:
        """Where the label would be at ``at`` along the curve (the scene tries a few to avoid overlaps)."""
        return self._label_box(self._lines, at)

    def move_label(self, at: float) -> None:
        """Slide the label along its curve (``at`` from 0 to 1): off another label."""
        if at == self.label_at or self._curve is None:
            return
        self.prepareGeometryChange()
        self.label_at = at
        self._label_rect = self._label_box(self._lines, at)
        self._hover_rect = self._pill(self._hover_lines, self._label_rect.center(), self._marker)
        self._update_shape()

    def _pill(self, lines: list[str], centre: QPointF, marker: float) -> QRectF:
        fm = style.metrics("label")
        w = max((fm.horizontalAdvance(text) for text in lines), default=0.0) + 12 + marker
        h = len(lines) * fm.lineSpacing() + 4
        return QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h)

    def update_geometry(self) -> None:
        self.geometry_key = None
        self.prepareGeometryChange()
        r1 = self.source.scene_rect()
        bend, shift = self.route()
        if self.source is self.target:
            curve: Curve | SelfLoop = SelfLoop(r1, self.lane)
        else:
            curve = Curve(r1, self.target.scene_rect(), bend, shift)
        self._curve = curve
        self._marker = 20.0 if self.problems else 0.0
        self._shift_bend = (bend, shift)
        self.label_at = 0.5
        self._fit_label(curve, bend)
        self._hover_lines = style.wrap_text(self._hover_label, "label", style.LABEL_HOVER_W, 40)
        self._hover_rect = self._pill(self._hover_lines, self._label_rect.center(), self._marker)
        self._update_shape()

    def _update_shape(self) -> None:
        curve = self._curve
        assert curve is not None
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        self._shape = stroker.createStroke(curve.path)
        self._shape.addRect(self._label_rect)
        self._shape.addPolygon(curve.head)
        bounds = self._shape.boundingRect()
        if self._hover:
            bounds = bounds.united(self._hover_rect)
        self._bounds = bounds.adjusted(-4, -4, 4, 4)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        return self._shape

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._set_hover(True)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._set_hover(False)

    def _set_hover(self, on: bool) -> None:
        """On hover the whole rule shows, above the nodes; it only grows where it was cut short."""
        if on == self._hover:
            return
        self.prepareGeometryChange()
        self._hover = on
        self.setZValue(6 if on else 1)
        bounds = self._shape.boundingRect()
        self._bounds = (bounds.united(self._hover_rect) if on else bounds).adjusted(-4, -4, 4, 4)
        self.update()

    @property
    def shows_full_rule(self) -> bool:
        """What the label shows at the moment is the whole rule (hovered, or short enough)."""
        lines = self._hover_lines if self._hover else self._lines
        return " ".join(lines).replace(" ", "") == self._hover_label.replace(" ", "")

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        curve = self._curve
        if curve is None:
            return
        lod = option.levelOfDetailFromTransform(painter.worldTransform())  # type: ignore[attr-defined]
        back = self.regression if self.backward is None else self.backward
        colour = style.SELECTED if self.isSelected() else style.REGRESSION if back else style.EDGE
        marked = self.mark in style.MARKS and not self.isSelected()
        if marked:
            colour = style.MARKS[self.mark or ""]
        if lod >= style.LOD_TEXT:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(colour, 2.6 if self.isSelected() or self._hover or marked else 1.6)
        if marked and self.mark == "removed":
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(curve.path)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPolygon(curve.head)
        if lod < style.LOD_TEXT:
            return
        hover = self._hover and self._hover_lines != self._lines
        rect, lines = (self._hover_rect, self._hover_lines) if hover else (self._label_rect, self._lines)
        painter.setPen(QPen(colour, 1.8 if self.isSelected() or hover else 1.0))
        painter.setBrush(QBrush(style.NODE_FILL if hover else style.LABEL_FILL))
        painter.drawRoundedRect(rect, 6, 6)
        text_rect = rect.adjusted(6, 2, -6, -2)
        if self.problems:
            _draw_marker(painter, QPointF(rect.left() + 12, rect.top() + rect.height() / 2), self.problems)
            text_rect.setLeft(rect.left() + 22)
        painter.setFont(style.font("label"))
        painter.setPen(style.ERROR if self.problems else colour)
        line = style.metrics("label").lineSpacing()
        for index, text in enumerate(lines):
            box = QRectF(text_rect.left(), text_rect.top() + index * line, text_rect.width(), line)
            painter.drawText(box, _LEFT, text)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.scene().edge_activated(self)
        event.accept()


class NameEditor(QGraphicsTextItem):
    """In-place rename (F2): Enter or leaving commits, Escape cancels. It tells its scene
    (``rename_finished``) rather than holding a callback: a callback that held the editor made a cycle,
    which Python's collector freed at any later moment, after Qt had deleted the editor with its node,
    and the process crashed."""

    def __init__(self, node: NodeItem) -> None:
        super().__init__(node.data_.title, node)
        self.node_id = node.node_id
        self._finished = False
        self.setFont(style.font("title"))
        self.setTextWidth(node.width - 24)
        self.setPos(10, 3)
        self.setZValue(10)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextEditorInteraction)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsFocusable)
        cursor = self.textCursor()
        cursor.select(cursor.SelectionType.Document)
        self.setTextCursor(cursor)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setPen(QPen(style.SELECTED, 1.5))
        painter.setBrush(style.NODE_FILL)
        painter.drawRect(self.boundingRect())
        super().paint(painter, option, widget)

    def finish(self, commit: bool) -> None:
        if self._finished:
            return
        self._finished = True
        text = " ".join(self.toPlainText().split())
        scene = self.scene()
        if scene is not None:
            scene.rename_finished(self, text if commit else None)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.finish(True)
            return
        if event.key() == Qt.Key.Key_Escape:
            self.finish(False)
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.finish(True)
