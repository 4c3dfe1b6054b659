"""The canvas view: zoom (Ctrl+wheel, +/−), pan (wheel, middle-drag, Space-drag), fit (F), a minimap.

Rubber-band selection and Ctrl-click come from QGraphicsView/QGraphicsItem themselves.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
    QShowEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QWidget

from . import style
from .legend import Legend

MIN_ZOOM, MAX_ZOOM = 0.01, 4.0
STEP = 1.2


class CanvasView(QGraphicsView):
    def __init__(self, scene: QGraphicsScene, parent: QWidget | None = None, *, minimap: bool = True) -> None:
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setBackgroundBrush(style.BACKGROUND)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pan_from: QPoint | None = None
        self._space = False
        self._pending: str | None = None  # 'fit' or 'home', done once the view has its real size
        self.minimap = Minimap(self) if minimap else None
        level = getattr(scene, "level", None)
        self.legend = Legend(self, level.node_word if level is not None else "stage")
        self._legend_width = self.legend.full_width()
        self.legend.setVisible(minimap)
        self._place_legend()

    # --- zoom ----------------------------------------------------------------------------------------

    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float, anchor: QPointF | None = None) -> None:
        factor = min(MAX_ZOOM, max(MIN_ZOOM, factor))
        centre = anchor or self.mapToScene(self.viewport().rect().center())
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.resetTransform()
        self.scale(factor, factor)
        self.centerOn(centre)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self._moved()

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom() * STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom() / STEP)

    def reset_zoom(self) -> None:
        self.set_zoom(1.0)

    def fit(self) -> None:
        """Show everything, but never zoom in past 100 % just to fill the window, nor out below a legible
        zoom (style.LEGIBLE_ZOOM): a graph too big for that is shown from its start side, the minimap
        has the rest."""
        if not self.isVisible():
            self._pending = "fit"
            return
        self._pending = None
        rect = self.scene().itemsBoundingRect().adjusted(-40, -40, 40, 40)
        if rect.isNull() or not rect.isValid():
            self.reset_zoom()
            return
        scale = self.fit_scale(rect)
        if scale < style.LEGIBLE_ZOOM:
            self._show_start_side(rect, style.LEGIBLE_ZOOM)
            return
        self.set_zoom(min(1.0, scale), rect.center())

    def fit_scale(self, rect: QRectF) -> float:
        """The zoom at which ``rect`` fills the view."""
        viewport = self.viewport().rect()
        return min(viewport.width() / max(rect.width(), 1), viewport.height() / max(rect.height(), 1))

    def _show_start_side(self, rect: QRectF, zoom: float) -> None:
        """``zoom``, the view's left edge on the graph's left (where the start is, left to right)."""
        self.set_zoom(zoom)
        visible = self.mapToScene(self.viewport().rect()).boundingRect()
        width = min(rect.width(), visible.width())
        self.centerOn(QPointF(rect.left() + width / 2, rect.center().y()))
        self._moved()

    def home(self) -> None:
        """Where a graph opens: fitted whenever its text stays legible at that zoom (style.LEGIBLE_ZOOM),
        else at that zoom from its start side, with the minimap for the rest. Waits for the view's real
        size if not shown yet."""
        if not self.isVisible():
            self._pending = "home"
            return
        self.fit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._pending:
            QTimer.singleShot(0, self._settle)  # after the layout has given the view its size

    def _settle(self) -> None:
        pending, self._pending = self._pending, None
        if self.minimap is not None:
            self.minimap.refresh()
        if pending == "fit":
            self.fit()
        elif pending == "home":
            self.home()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120
            if steps:
                factor = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * math.pow(STEP, steps)))
                self.scale(factor / self.zoom(), factor / self.zoom())
                self._moved()
            event.accept()
            return
        super().wheelEvent(event)
        self._moved()

    # --- pan -----------------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat() and self.scene().focusItem() is None:
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape and getattr(self.scene(), "connecting", None) is not None:
            self.scene().end_connection(QPointF(1e9, 1e9))  # dropped nowhere: cancelled
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat() and self._space:
            self._space = False
            self.viewport().unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        middle = event.button() == Qt.MouseButton.MiddleButton
        if middle or (self._space and event.button() == Qt.MouseButton.LeftButton):
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            now = event.position().toPoint()
            delta = now - self._pan_from
            self._pan_from = now
            self.pan(-delta.x(), -delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            if self._space:
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            else:
                self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def pan(self, dx: int, dy: int) -> None:
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + dx)
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + dy)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self._moved()

    def _moved(self) -> None:
        if self.minimap is not None:
            self.minimap.sync_visibility()
            self.minimap.update()
        if hasattr(self, "legend"):
            self._place_legend()

    # --- background and overlay ----------------------------------------------------------------------

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, style.BACKGROUND)
        if not getattr(self.scene(), "snap_enabled", False) or self.zoom() < 0.5:
            return
        g = style.GRID
        left, top = math.floor(rect.left() / g) * g, math.floor(rect.top() / g) * g
        points = [
            QPointF(left + i * g, top + j * g)
            for i in range(int(rect.width() / g) + 2)
            for j in range(int(rect.height() / g) + 2)
        ]
        painter.setPen(QPen(style.GRID_DOT, 2))
        painter.drawPoints(points)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.minimap is not None:
            self.minimap.place()
        self._place_legend()

    def _place_legend(self) -> None:
        """Bottom left (the minimap has the bottom right); a small chip there when the view is too
        narrow for both side by side."""
        vp = self.viewport().geometry()
        minimap = self.minimap
        room = (minimap.x() if minimap is not None and minimap.isVisible() else vp.right()) - vp.left() - 20
        compact = self._legend_width > room
        if compact != self.legend.compact:
            self.legend.set_compact(compact)
        self.legend.move(vp.left() + 10, vp.bottom() - self.legend.height() - 10)
        self.legend.raise_()


class Minimap(QWidget):
    """The whole graph in the corner, with the visible part framed; click or drag to go there.

    The graph is rendered into a pixmap only after the scene settles (debounced), so panning and zooming
    repaint a pixmap and one rectangle, not the scene.
    """

    SIZE = (220, 140)

    def __init__(self, view: CanvasView) -> None:
        super().__init__(view)
        self.view = view
        self.setFixedSize(*self.SIZE)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Minimap: click or drag to move the view")
        self._pixmap = QPixmap()
        self._source = QRectF()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self.refresh)
        view.scene().changed.connect(self._timer.start)
        self.place()
        self.refresh()

    def place(self) -> None:
        vp = self.view.viewport().geometry()
        self.move(vp.right() - self.width() - 10, vp.bottom() - self.height() - 10)
        self.raise_()

    def _target(self) -> QRectF:
        """Where the graph is drawn inside the widget (aspect kept, centred)."""
        if self._source.isEmpty():
            return QRectF()
        w, h = self.width() - 8, self.height() - 8
        s = min(w / self._source.width(), h / self._source.height())
        tw, th = self._source.width() * s, self._source.height() * s
        return QRectF(4 + (w - tw) / 2, 4 + (h - th) / 2, tw, th)

    def refresh(self) -> None:
        scene = self.view.scene()
        self._source = scene.itemsBoundingRect().adjusted(-40, -40, 40, 40)
        self._pixmap = QPixmap(self.size())
        self._pixmap.fill(QColor(255, 255, 255, 215))
        target = self._target()
        if not target.isEmpty():
            painter = QPainter(self._pixmap)
            scene.render(painter, target, self._source)
            painter.end()
        self.sync_visibility()
        self.update()

    def sync_visibility(self) -> None:
        """Shown only when part of the graph is out of view: otherwise it would just hide some of it."""
        scene = self.view.scene()
        if scene is None:
            return
        visible = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        self.setVisible(bool(scene.items()) and not visible.contains(scene.itemsBoundingRect()))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._pixmap)
        painter.setPen(QPen(style.NODE_BORDER, 1))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        target = self._target()
        if target.isEmpty():
            return
        visible = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        s = target.width() / self._source.width()
        frame = QRectF(
            target.left() + (visible.left() - self._source.left()) * s,
            target.top() + (visible.top() - self._source.top()) * s,
            visible.width() * s,
            visible.height() * s,
        ).intersected(QRectF(self.rect()))
        painter.setPen(QPen(style.SELECTED, 1.5))
        painter.setBrush(QColor(21, 101, 192, 30))
        painter.drawRect(frame)

    def to_scene(self, pos: QPointF) -> QPointF:
        target = self._target()
        s = self._source.width() / target.width()
        return QPointF(
            self._source.left() + (pos.x() - target.left()) * s,
            self._source.top() + (pos.y() - target.top()) * s,
        )

    def from_scene(self, point: QPointF) -> QPointF:
        target = self._target()
        s = target.width() / self._source.width()
        return QPointF(
            target.left() + (point.x() - self._source.left()) * s,
            target.top() + (point.y() - self._source.top()) * s,
        )

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if not self._target().isEmpty():
            self.view.centerOn(self.to_scene(event.position()))
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.mousePressEvent(event)
