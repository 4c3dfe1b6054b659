"""The canvas view: zoom, pan, fit, minimap; readable labels at 100 %."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from curriculum_gui.gui.canvas import CanvasWidget, style
from curriculum_gui.gui.document import Document
from tests.gui.test_canvas import ROW_EXAMPLE, shown_canvas


@pytest.fixture
def widget(qtbot) -> CanvasWidget:
    return shown_canvas(qtbot, Document.open(ROW_EXAMPLE), 1000, 600)


def wheel(widget: CanvasWidget, dy: int, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    viewport = widget.view.viewport()
    pos = QPointF(viewport.rect().center())
    event = QWheelEvent(
        pos,
        QPointF(viewport.mapToGlobal(pos.toPoint())),
        QPoint(),
        QPoint(0, dy),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, event)


def test_ctrl_wheel_zooms_and_plain_wheel_pans(widget: CanvasWidget) -> None:
    view = widget.view
    wheel(widget, 120, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom() == pytest.approx(1.2)
    wheel(widget, -240, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom() == pytest.approx(1 / 1.2)
    view.reset_zoom()
    view.centerOn(widget.scene.itemsBoundingRect().center())
    before = view.verticalScrollBar().value()
    wheel(widget, -120)
    assert view.zoom() == 1.0
    assert view.verticalScrollBar().value() > before


def test_plus_minus_and_fit_keys(widget: CanvasWidget) -> None:
    view = widget.view
    QTest.keyClick(view, Qt.Key.Key_Plus)
    assert view.zoom() == pytest.approx(1.2)
    QTest.keyClick(view, Qt.Key.Key_Minus)
    QTest.keyClick(view, Qt.Key.Key_Minus)
    assert view.zoom() == pytest.approx(1 / 1.2)
    QTest.keyClick(view, Qt.Key.Key_F)
    # the example in a row needs less than a legible zoom to fit 1000 px: F stops at that zoom, showing
    # the start side (issue 15: after Fit, text at about 6 px)
    assert view.zoom() == pytest.approx(style.LEGIBLE_ZOOM)
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    start = widget.document.curriculum.start_stage
    assert visible.contains(widget.scene.nodes[start].scene_rect())
    widget.resize(2600, 900)  # room for all of it at a legible zoom: F shows all of it
    QApplication.processEvents()
    QTest.keyClick(view, Qt.Key.Key_F)
    assert style.LEGIBLE_ZOOM <= view.zoom() <= 1.0
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    for node in widget.scene.nodes.values():
        assert visible.contains(node.scene_rect())


def test_fit_never_zooms_past_100_percent(qtbot, example_path) -> None:
    w = CanvasWidget(Document.open(example_path))
    qtbot.addWidget(w)
    w.resize(1200, 700)
    w.open_stage("final")  # one policy: tiny
    w.show()
    w.view.fit()
    assert w.view.zoom() == 1.0


@pytest.mark.parametrize("how", ["middle", "space"])
def test_middle_drag_and_space_drag_pan_without_selecting(widget: CanvasWidget, how: str) -> None:
    view, viewport = widget.view, widget.view.viewport()
    start = QPoint(500, 300)
    before = (view.horizontalScrollBar().value(), view.verticalScrollBar().value())
    button = Qt.MouseButton.MiddleButton if how == "middle" else Qt.MouseButton.LeftButton
    if how == "space":
        QTest.keyPress(view, Qt.Key.Key_Space)
    QTest.mousePress(viewport, button, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(viewport, start + QPoint(-60, -40))
    QTest.mouseRelease(viewport, button, Qt.KeyboardModifier.NoModifier, start + QPoint(-120, -80))
    if how == "space":
        QTest.keyRelease(view, Qt.Key.Key_Space)
    after = (view.horizontalScrollBar().value(), view.verticalScrollBar().value())
    assert after[0] > before[0] and after[1] > before[1]
    assert widget.scene.selectedItems() == []
    assert widget.document.undo_stack.count() == 0


def test_minimap_shows_the_graph_and_a_click_moves_the_view(widget: CanvasWidget, qtbot) -> None:
    minimap = widget.view.minimap
    assert minimap is not None
    minimap.refresh()
    assert minimap.isVisible()
    assert minimap.geometry().right() <= widget.view.viewport().width()
    target = widget.scene.nodes["graduated"].scene_rect().center()
    point = minimap.from_scene(target).toPoint()
    assert minimap.rect().contains(point)
    QTest.mouseClick(minimap, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    centre = widget.view.mapToScene(widget.view.viewport().rect().center())
    assert abs(centre.x() - target.x()) < 60


def test_labels_are_readable_at_100_percent() -> None:
    # About 12-13 px tall at 96 dpi: readable without zooming in.
    assert style.metrics("label").height() >= 12
    assert style.font("label").pointSizeF() >= 9


def test_grab_at_100_percent_paints_text(widget: CanvasWidget) -> None:
    image = widget.view.viewport().grab().toImage()
    dark = sum(
        1
        for x in range(0, image.width(), 2)
        for y in range(0, image.height(), 2)
        if image.pixelColor(x, y).lightness() < 90
    )
    assert dark > 200  # node titles and labels are really drawn, not just boxes on a background


def test_minimap_hides_when_the_whole_graph_is_in_view(widget: CanvasWidget) -> None:
    view = widget.view
    view.set_zoom(0.1)
    view.centerOn(widget.scene.itemsBoundingRect().center())
    view.minimap.refresh()
    assert not view.minimap.isVisible()
    view.set_zoom(1.0)
    assert view.minimap.isVisible()
