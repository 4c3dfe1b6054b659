"""The editor area: the stage graph, drill-down into a stage's policy graph (with a breadcrumb back),
and the canvas actions (with shortcuts) the window can put in its menus and toolbar.

Shortcuts are scoped to this widget (``WidgetWithChildrenShortcut``), so Del or F never reach the canvas
while someone types in the inspector.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core import diagram
from ...core.problems import ItemRef
from .scene import GraphScene, PolicyScene, StageScene
from .view import CanvasView

_SCOPE = Qt.ShortcutContext.WidgetWithChildrenShortcut


class CanvasWidget(QWidget):
    """Stage graph + policy graph drill-down; forwards the scenes' signals from whichever is shown."""

    selection_changed = Signal(list)  # list[ItemRef]
    transition_created = Signal(object)  # ItemRef: open the rule editor on it
    item_activated = Signal(object)  # ItemRef: a policy or a transition was double-clicked
    open_stage_requested = Signal(str)  # emitted after drilling down into that stage
    level_changed = Signal(object)  # the stage id whose policy graph is shown, or None
    notice = Signal(str)  # for the status bar
    layout_finished = Signal(str, str)

    def __init__(self, document: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Any = None
        # The scenes are the widget's children: Qt deletes them with it. Left to Python, a scene outlived
        # the deleted widget in a reference cycle, and its collection later crashed (stop 23's note).
        self.stage_scene = StageScene(parent=self)
        self.stage_view = CanvasView(self.stage_scene)
        self.policy_scene: PolicyScene | None = None
        self.policy_view: CanvasView | None = None
        self._highlight: tuple[str | None, tuple[str, ...]] = (None, ())
        self._marks: dict[ItemRef, str] = {}
        self._connect_scene(self.stage_scene)

        self.back_button = QToolButton()
        self.back_button.setText("Curriculum")
        self.back_button.setAutoRaise(True)
        self.back_button.setToolTip("Back to the stage graph (Alt+Up)")
        self.back_button.clicked.connect(self.show_stages)
        self.crumb = QLabel()
        self.banner = QLabel()
        self.banner.setStyleSheet("QLabel { background: #fff3cd; color: #5d4200; padding: 2px 8px; }")
        self.banner.hide()
        self._banner_timer = QTimer(self)
        self._banner_timer.setSingleShot(True)
        self._banner_timer.timeout.connect(self.banner.hide)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 6, 2)
        bar.addWidget(self.back_button)
        bar.addWidget(self.crumb)
        bar.addStretch(1)
        bar.addWidget(self.banner)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.stage_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        self._build_actions()
        if document is not None:
            self.set_document(document)
        self._update_crumb()

    # --- document and levels -------------------------------------------------------------------------

    def set_document(self, document: Any) -> None:
        self.show_stages()
        if self.document is not None:
            self.document.changed.disconnect(self._update_crumb)
        self.document = document
        self.stage_scene.set_document(document)
        document.changed.connect(self._update_crumb)
        self.stage_view.home()

    @property
    def scene(self) -> GraphScene:
        return (
            self.policy_scene
            if self.stack.currentWidget() is self.policy_view and self.policy_scene
            else self.stage_scene
        )

    @property
    def view(self) -> CanvasView:
        return self.policy_view if self.scene is self.policy_scene and self.policy_view else self.stage_view

    def open_stage(self, stage_id: str) -> None:
        """Drill down into a stage's policy graph."""
        if self.document is None or self.document.curriculum.stage(stage_id) is None:
            return
        self._drop_policy_level()
        self.policy_scene = PolicyScene(self.document, stage_id, parent=self)
        self.policy_scene.snap_enabled = self.snap_action.isChecked()
        self._connect_scene(self.policy_scene)
        self.policy_scene.level_removed.connect(self.show_stages)
        self.policy_view = CanvasView(self.policy_scene)
        self.policy_view.legend.setVisible(self.legend_action.isChecked())
        self.stack.addWidget(self.policy_view)
        self.stack.setCurrentWidget(self.policy_view)
        self.policy_scene.set_highlight(*self._highlight)
        self.policy_scene.set_marks(self._marks)
        self.policy_view.home()
        self.policy_view.setFocus()
        self._update_crumb()
        self.level_changed.emit(stage_id)
        self.selection_changed.emit(self.policy_scene.selected_refs())

    def show_stages(self) -> None:
        """Back to the stage graph (the breadcrumb)."""
        if self.policy_scene is None:
            return
        self._drop_policy_level()
        self.stack.setCurrentWidget(self.stage_view)
        self.stage_view.setFocus()
        self._update_crumb()
        self.level_changed.emit(None)
        self.selection_changed.emit(self.stage_scene.selected_refs())

    def _drop_policy_level(self) -> None:
        if self.policy_view is not None:
            self.stack.removeWidget(self.policy_view)
            self.policy_view.deleteLater()
        if self.policy_scene is not None:
            if self.document is not None:
                self.document.changed.disconnect(self.policy_scene.sync)
            self.policy_scene.deleteLater()
        self.policy_scene = self.policy_view = None

    def _connect_scene(self, scene: GraphScene) -> None:
        scene.selection_changed.connect(self._forward_selection)
        scene.transition_created.connect(self.transition_created)
        scene.item_activated.connect(self.item_activated)
        scene.notice.connect(self.show_notice)
        scene.layout_finished.connect(self.layout_finished)
        if isinstance(scene, StageScene):
            scene.open_stage_requested.connect(self._open_requested)

    def _open_requested(self, stage_id: str) -> None:
        self.open_stage(stage_id)
        self.open_stage_requested.emit(stage_id)

    def _forward_selection(self, refs: list[ItemRef]) -> None:
        if self.sender() is self.scene:
            self.selection_changed.emit(refs)

    def _update_crumb(self) -> None:
        inside = self.policy_scene is not None and self.document is not None
        self.back_button.setEnabled(inside)
        self.back_action.setEnabled(inside)
        self.back_button.setText("◀ Curriculum" if inside else "Curriculum")
        title = self.policy_scene.level.title(self.document.curriculum) if inside else ""
        self.crumb.setText(f"›  <b>{_html(title)}</b> — policies" if inside else "stages")
        word = "Policy" if inside else "Stage"
        self.add_action.setText(f"Add {word}")
        self.add_action.setStatusTip(f"Add a {word.lower()} (or double-click an empty spot)")

    def show_notice(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.setToolTip(text)
        self.banner.show()
        self._banner_timer.start(10_000)
        self.notice.emit(text)

    # --- what the window needs ------------------------------------------------------------------------

    def set_highlight(self, stage_id: str | None, policy_ids: list[str] | tuple[str, ...] = ()) -> None:
        """Simulation: mark the current stage and, in its policy graph, the active policies."""
        self._highlight = (stage_id, tuple(policy_ids))
        for scene in (self.stage_scene, self.policy_scene):
            if scene is not None:
                scene.set_highlight(stage_id, policy_ids)

    def set_marks(self, marks: dict[ItemRef, str]) -> None:
        """A comparison: ``{ItemRef: "added" | "changed" | "removed"}`` on both levels (see
        :meth:`GraphScene.set_marks`)."""
        self._marks = dict(marks)
        for scene in (self.stage_scene, self.policy_scene):
            if scene is not None:
                scene.set_marks(self._marks)

    def show_item(self, ref: ItemRef) -> None:
        """Select an item (e.g. from the problems panel or the outline) and bring it into view."""
        if ref.kind in ("policy", "policy_transition") and ref.stage_id:
            if self.policy_scene is None or self.policy_scene.level.stage_id != ref.stage_id:
                self.open_stage(ref.stage_id)
        elif ref.kind in ("stage", "stage_transition"):
            self.show_stages()
        scene = self.scene
        item = scene.nodes.get(ref.id or "") or scene.edges.get(ref.id or "")
        if item is not None:
            scene.select_ids([ref.id or ""])
            self.view.ensureVisible(item, 60, 60)

    # --- actions -------------------------------------------------------------------------------------

    def _action(
        self, text: str, slot: Callable[[], Any], keys: list[QKeySequence | str] | None = None, tip: str = ""
    ) -> QAction:
        action = QAction(text, self)
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(_SCOPE)
        action.setStatusTip(tip)
        action.setToolTip(f"{text} ({action.shortcut().toString()})" if keys else text)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        k = QKeySequence.StandardKey
        self.add_action = self._action("Add Stage", self.add_node, ["Ins"])
        self.delete_action = self._action(
            "Delete", lambda: self.scene.delete_selected(), [QKeySequence(k.Delete)], "Delete the selection"
        )
        self.rename_action = self._action(
            "Rename", lambda: self.scene.begin_rename(), ["F2"], "Rename in place"
        )
        self.copy_action = self._action("Copy", lambda: self.scene.copy_selected(), [QKeySequence(k.Copy)])
        self.paste_action = self._action("Paste", lambda: self.scene.paste(), [QKeySequence(k.Paste)])
        self.duplicate_action = self._action("Duplicate", lambda: self.scene.duplicate_selected(), ["Ctrl+D"])
        self.fit_action = self._action("Fit to View", lambda: self.view.fit(), ["F"])
        self.zoom_in_action = self._action(
            "Zoom In", lambda: self.view.zoom_in(), ["+", "=", QKeySequence(k.ZoomIn)]
        )
        self.zoom_out_action = self._action(
            "Zoom Out", lambda: self.view.zoom_out(), ["-", QKeySequence(k.ZoomOut)]
        )
        self.zoom_reset_action = self._action(
            "Actual Size (100 %)", lambda: self.view.reset_zoom(), ["Ctrl+0"]
        )
        self.layout_action = self._action(
            "Auto-Layout", lambda: self.scene.auto_layout(), ["Ctrl+L"], "Lay the graph out left to right"
        )
        self.snap_action = self._action("Snap to Grid", self._toggle_snap, ["Ctrl+G"])
        self.snap_action.setCheckable(True)
        self.back_action = self._action("Back to Stages", self.show_stages, ["Alt+Up"])
        self.legend_action = self._action(
            "Legend", self._toggle_legend, None, "What the colours and badges on the canvas mean"
        )
        self.legend_action.setCheckable(True)
        self.legend_action.setChecked(QSettings().value("canvas/legend", True, type=bool))
        self.stage_view.legend.setVisible(self.legend_action.isChecked())
        self.export_action = self._action("Export Diagram…", self.export_dialog, None, "SVG, PNG or PDF")

    @property
    def canvas_actions(self) -> list[QAction]:
        """In toolbar order (None-free); the window may also pick them one by one."""
        return [
            self.add_action,
            self.delete_action,
            self.rename_action,
            self.copy_action,
            self.paste_action,
            self.duplicate_action,
            self.layout_action,
            self.snap_action,
            self.fit_action,
            self.zoom_in_action,
            self.zoom_out_action,
            self.zoom_reset_action,
            self.back_action,
            self.export_action,
        ]

    def add_node(self) -> str | None:
        """Add Stage / Ins: right of the selected (or last) node, where it touches no node, edge or label;
        the new node is selected and the view follows it."""
        view, scene = self.view, self.scene
        centre = scene.spot_for_new_node(view.mapToScene(view.viewport().rect().center()))
        node_id = scene.add_node(centre)
        if node_id is not None:
            view.ensureVisible(scene.nodes[node_id], 60, 60)
        return node_id

    def _toggle_legend(self) -> None:
        on = self.legend_action.isChecked()
        QSettings().setValue("canvas/legend", on)
        for view in (self.stage_view, self.policy_view):
            if view is not None:
                view.legend.setVisible(on)

    def _toggle_snap(self) -> None:
        on = self.snap_action.isChecked()
        for scene, view in ((self.stage_scene, self.stage_view), (self.policy_scene, self.policy_view)):
            if scene is not None and view is not None:
                scene.snap_enabled = on
                view.viewport().update()

    def export_dialog(self) -> None:
        if self.document is None:
            return
        stage_id = (
            self.policy_scene.level.stage_id
            if self.scene is self.policy_scene and self.policy_scene
            else None
        )
        path, _ = QFileDialog.getSaveFileName(
            self, "Export diagram", "diagram.svg", "SVG (*.svg);;PNG (*.png);;PDF (*.pdf)"
        )
        if not path:
            return
        problem = None
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # Graphviz: < 1 s for 200 stages
        try:
            diagram.export_diagram(self.document.curriculum, path, stage_id=stage_id)
        except diagram.DiagramError as exc:
            problem = str(exc)
        finally:
            QGuiApplication.restoreOverrideCursor()
        if problem is not None:
            QMessageBox.warning(self, "Cannot export the diagram", problem)
            return
        self.notice.emit(f"Exported {path}")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
