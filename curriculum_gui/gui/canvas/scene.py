"""One graph scene for both levels (the stage graph, a stage's policy graph).

The scene never changes the curriculum itself: every gesture becomes a core edit given to
``Document.apply`` (one undo step), and the scene follows ``Document.changed`` with a keyed, incremental
sync (items are reused by id, so selection and zoom survive an edit). A drag of many nodes, a paste and an
auto-layout are each one step.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from PySide6.QtCore import QMimeData, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent, QPainterPath, QPen, QTransform
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSceneContextMenuEvent,
    QGraphicsSceneMouseEvent,
    QMenu,
)

from ...core import edits, layout
from ...core.errors import EditError
from ...core.model import Curriculum
from ...core.problems import ItemRef, Problem
from . import label_spots, layout_task, placement, style
from .geometry import segment_hits_rect
from .items import EdgeItem, NameEditor, NodeItem, node_size
from .levels import CLIPBOARD_MIME, PolicyLevel, StageLevel

MIN_RANK_GAP = 120.0  # an arrow and a short label between two ranks


class GraphScene(QGraphicsScene):
    """Nodes and edges of one level, kept in step with a :class:`~curriculum_gui.gui.document.Document`."""

    selection_changed = Signal(list)  # list[ItemRef]
    open_stage_requested = Signal(str)  # a stage was double-clicked: show its policy graph
    transition_created = Signal(object)  # ItemRef of a transition just drawn: open the rule editor
    item_activated = Signal(object)  # ItemRef of a double-clicked policy or transition
    notice = Signal(str)  # something the user should read (a refused edit, the layout fallback)
    layout_finished = Signal(str, str)  # engine ("dot" or "fallback"), notice ("" when dot worked)
    level_removed = Signal()  # the stage whose policy graph this is no longer exists

    dot_command = "dot"

    def __init__(self, document: Any = None, level: StageLevel | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.level = level or StageLevel()
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[str, EdgeItem] = {}
        self.snap_enabled = False
        self.connecting: NodeItem | None = None
        self._rubber: QGraphicsPathItem | None = None
        self._syncing = False
        self._editor: NameEditor | None = None
        self._closed_editor: NameEditor | None = None
        self._synced_pos: dict[str, QPointF] = {}
        self._highlight: tuple[str | None, frozenset[str]] = (None, frozenset())
        self._marks: dict[ItemRef, str] = {}
        self._layout_generation = 0
        self._layout_relays: dict[int, Any] = {}
        self._paste_count = 0
        self._curriculum: Curriculum | None = None
        self.document: Any = None
        self.selectionChanged.connect(self._emit_selection)
        if document is not None:
            self.set_document(document)

    # --- following the document ----------------------------------------------------------------------

    def set_document(self, document: Any) -> None:
        if self.document is not None:
            self.document.changed.disconnect(self.sync)
        self.document = document
        self.clear_items()
        document.changed.connect(self.sync)
        self.sync()

    def sync(self) -> None:
        """Bring the items in step with the document (cheap enough to run after every edit)."""
        if self.document is not None:
            self.rebuild(self.document.curriculum, self.document.problems)

    def clear_items(self) -> None:
        self.close_editor()
        self._closed_editor = None
        self.connecting = None
        self._rubber = None
        self.clear()
        self.nodes.clear()
        self.edges.clear()
        self._synced_pos.clear()

    def rebuild(self, curriculum: Curriculum, problems: list[Problem]) -> None:
        """Show this curriculum: reuse items by id, add new ones, drop the ones that are gone."""
        self._curriculum = curriculum
        if not self.level.exists(curriculum):
            self.clear_items()
            self.level_removed.emit()
            return
        self._syncing = True
        try:
            moved = self._sync_nodes(curriculum, problems)
            self._sync_edges(curriculum, problems, moved)
        finally:
            self._syncing = False
        self._apply_highlight()
        self._apply_marks()
        self.update_scene_rect()

    def _problem_index(
        self, problems: list[Problem]
    ) -> tuple[dict[tuple[str, str], list[Problem]], dict[str, int]]:
        own: dict[tuple[str, str], list[Problem]] = {}
        inner: dict[str, int] = {}
        scope = self.level.stage_id
        for p in problems:
            ref = p.ref
            if ref.id is None:
                continue
            if ref.stage_id == scope:
                own.setdefault((ref.kind, ref.id), []).append(p)
            if scope is None and ref.stage_id is not None:
                inner[ref.stage_id] = inner.get(ref.stage_id, 0) + 1
        return own, inner

    def _sync_nodes(self, curriculum: Curriculum, problems: list[Problem]) -> bool:
        """Returns whether any node moved, appeared or went (edges then re-check what they cross)."""
        own, inner = self._problem_index(problems)
        data = self.level.nodes(curriculum)
        unplaced = any(n.position is None for n in data)
        fallback = {}
        if unplaced:
            sizes = {n.id: node_size(n, self.level.size) for n in data}
            fallback = layout.layered_layout(self._layout_graph(curriculum, sizes), self.level.size)
        alive = set()
        moved = False
        for node in data:
            alive.add(node.id)
            item = self.nodes.get(node.id)
            if item is None:
                moved = True
                item = NodeItem(node, self.level.size)
                self.addItem(item)
                self.nodes[node.id] = item
            item.set_data(node, own.get((self.level.node_kind, node.id), []), inner.get(node.id, 0))
            x, y = node.position or fallback.get(node.id, (0.0, 0.0))
            item.model_pos = QPointF(*node.position) if node.position else None
            pos = QPointF(x, y)
            if item.pos() != pos:
                item.setPos(pos)
                moved = True
            self._synced_pos[node.id] = pos
            item.edges = []
        if self._editor is not None and self._editor.node_id not in alive:
            self.close_editor()
        for gone in [i for i in self.nodes if i not in alive]:
            self.removeItem(self.nodes.pop(gone))
            self._synced_pos.pop(gone, None)
            moved = True
        return moved

    def _sync_edges(self, curriculum: Curriculum, problems: list[Problem], moved: bool) -> None:
        own, _ = self._problem_index(problems)
        data = self.level.edges(curriculum)
        pairs = {(e.source, e.destination) for e in data}
        lanes: dict[tuple[str, str], int] = {}
        alive = set()
        for edge in data:
            source, target = self.nodes.get(edge.source), self.nodes.get(edge.destination)
            if source is None or target is None:
                continue
            alive.add(edge.id)
            item = self.edges.get(edge.id)
            if item is None:
                item = EdgeItem(edge, source, target)
                self.addItem(item)
                self.edges[edge.id] = item
            item.source, item.target = source, target
            item.set_data(edge, own.get((self.level.edge_kind, edge.id), []))
            key = (edge.source, edge.destination)
            item.lane = lanes.get(key, 0)
            lanes[key] = item.lane + 1
            item.two_way = (edge.destination, edge.source) in pairs and source is not target
            source.edges.append(item)
            if target is not source:
                target.edges.append(item)
        # Going back = towards the start by breadth-first depth (from the start stage, or the start
        # policies), ties in list order with ends last: what the graph says, however it is drawn.
        terminals = [n.id for n in self.level.nodes(curriculum) if n.terminal]
        back = layout.goes_back(self.level.graph(curriculum), terminals)
        for item in self.edges.values():
            item.backward = (item.data_.source, item.data_.destination) in back
        for gone in [i for i in self.edges if i not in alive]:
            self.removeItem(self.edges.pop(gone))
        for item in self.edges.values():
            if moved or item.geometry_key is None:
                item.obstructed = self._obstructed(item)
            item.refresh_geometry()
        label_spots.separate_labels(list(self.edges.values()), list(self.nodes.values()))

    def _obstructed(self, edge: EdgeItem) -> bool:
        """Would a straight line between the two nodes run through a third one?"""
        if edge.source is edge.target:
            return False
        a, b = edge.source.scene_rect().center(), edge.target.scene_rect().center()
        box = QRectF(a, b).normalized().adjusted(-1, -1, 1, 1)
        ends = (edge.source, edge.target)
        return any(
            isinstance(item, NodeItem)
            and item not in ends
            and segment_hits_rect(a, b, item.scene_rect().adjusted(-8, -8, 8, 8))
            for item in self.items(box, Qt.ItemSelectionMode.IntersectsItemBoundingRect)
        )

    def update_scene_rect(self) -> None:
        bounds = self.itemsBoundingRect()
        if bounds.isNull():
            bounds = QRectF(-200, -150, 400, 300)
        self.setSceneRect(bounds.adjusted(-400, -300, 400, 300))

    # --- selection -----------------------------------------------------------------------------------

    def selected_refs(self) -> list[ItemRef]:
        nodes = [self.level.node_ref(i.node_id) for i in self.selectedItems() if isinstance(i, NodeItem)]
        edges = [self.level.edge_ref(i.edge_id) for i in self.selectedItems() if isinstance(i, EdgeItem)]
        return sorted(nodes, key=lambda r: r.id or "") + sorted(edges, key=lambda r: r.id or "")

    def selected_node_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_edge_ids(self) -> list[str]:
        return [i.edge_id for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def select_ids(self, ids: list[str]) -> None:
        self.clearSelection()
        for i in ids:
            item = self.nodes.get(i) or self.edges.get(i)
            if item is not None:
                item.setSelected(True)

    def _emit_selection(self) -> None:
        if not self._syncing:
            self.selection_changed.emit(self.selected_refs())

    # --- editing (everything through Document.apply) --------------------------------------------------

    def _apply(self, edit: edits.Edit | None) -> bool:
        if edit is None or self.document is None:
            return False
        try:
            self.document.apply(edit)
        except EditError as exc:
            self.notice.emit(str(exc))
            self.sync()  # a refused move (a read-only document) puts the nodes back
            return False
        return True

    @property
    def curriculum(self) -> Curriculum:
        """The document's curriculum (or, without a document, the last one given to ``rebuild``)."""
        if self.document is not None:
            return self.document.curriculum
        return self._curriculum or Curriculum()

    def snapped(self, pos: QPointF) -> QPointF:
        if not self.snap_enabled or self._syncing:
            return pos
        g = style.GRID
        return QPointF(round(pos.x() / g) * g, round(pos.y() / g) * g)

    def _top_left(self, centre: QPointF) -> QPointF:
        """Where a new node centred on ``centre`` goes (snapped to the grid when snapping is on)."""
        w, h = self.level.size
        return self.snapped(centre - QPointF(w / 2, h / 2))

    def spot_for_new_node(self, fallback: QPointF) -> QPointF:
        """Where Ins puts a node: right of the selected node (or of the last one), free of nodes, edges
        and labels (see :mod:`.placement`); ``fallback`` (the view's centre) on an empty graph."""
        selected = self.selected_node_ids()
        ids = [n.id for n in self.level.nodes(self.curriculum)]
        anchor_id = selected[0] if len(selected) == 1 else (ids[-1] if ids else None)
        anchor = self.nodes.get(anchor_id or "")
        return placement.spot_for_new_node(self, anchor, self.level.size, fallback)

    def add_node(self, centre: QPointF | None = None, *, rename: bool = True) -> str | None:
        """Add a stage (or policy) centred on ``centre``; open the name editor on it."""
        if centre is None:
            bounds = self.itemsBoundingRect()
            centre = QPointF(bounds.right() + 160, bounds.center().y()) if not bounds.isNull() else QPointF()
        top_left = self._top_left(centre)
        edit = self.level.add_node(self.curriculum, (top_left.x(), top_left.y()))
        if not self._apply(edit):
            return None
        self.select_ids([edit.item.id])
        if rename:
            self.begin_rename(edit.item.id)
        return edit.item.id

    def connect_nodes(self, source: str, destination: str) -> ItemRef | None:
        """Add a transition (lowest priority of its source); the window opens the rule editor on it."""
        try:
            edit = self.level.connect(self.curriculum, source, destination)
        except EditError as exc:
            self.notice.emit(str(exc))
            return None
        if not self._apply(edit):
            return None
        ref = self.level.edge_ref(edit.item.id)
        self.select_ids([edit.item.id])
        self.transition_created.emit(ref)
        return ref

    def delete_selected(self) -> bool:
        nodes, edges_ = self.selected_node_ids(), self.selected_edge_ids()
        if not nodes and not edges_:
            return False
        try:
            edit = self.level.remove(self.curriculum, nodes, edges_)
        except EditError as exc:
            self.notice.emit(str(exc))
            return False
        return self._apply(edit)

    def rename_node(self, node_id: str, name: str) -> bool:
        item = self.nodes.get(node_id)
        if item is None or not name or name == item.data_.title:
            return False
        return self._apply(self.level.rename(self.curriculum, node_id, name))

    def begin_rename(self, node_id: str | None = None) -> NameEditor | None:
        """The F2 editor over the node's name (Enter commits, Escape cancels)."""
        if node_id is None:
            selected = self.selected_node_ids()
            node_id = selected[0] if len(selected) == 1 else None
        item = self.nodes.get(node_id or "")
        if item is None:
            return None
        self.close_editor()
        editor = NameEditor(item)
        self._editor = editor
        editor.setFocus(Qt.FocusReason.OtherFocusReason)
        return editor

    def rename_finished(self, editor: NameEditor, name: str | None) -> None:
        """The editor's Enter, Escape or focus out (``name`` None: cancelled)."""
        editor.hide()
        editor.setParentItem(None)
        self.removeItem(editor)
        if editor is self._editor:
            self._editor = None
        # Kept until the next editor opens or the items are cleared: dropped here, it would be deleted
        # inside its own key or focus handler.
        self._closed_editor = editor
        if name:
            self.rename_node(editor.node_id, name)

    def close_editor(self) -> None:
        """Cancel an open name editor, before its node can go (Qt would delete it with the node)."""
        if self._editor is not None:
            self._editor.finish(False)
        self._editor = None

    def move_nodes(self, positions: dict[str, tuple[float, float]]) -> bool:
        """Move nodes as ONE undo step (what a drag of a selection ends with)."""
        if not positions:
            return False
        batch = self.level.move(positions)
        count = len(positions)
        batch.text = f"Move {count} {self.level.node_word if count == 1 else self.level.node_word + 's'}"
        if self.level.node_word == "policy" and count != 1:
            batch.text = f"Move {count} policies"
        return self._apply(batch)

    def commit_moves(self) -> bool:
        moved = {
            node_id: (item.x(), item.y())
            for node_id, item in self.nodes.items()
            if item.pos() != self._synced_pos.get(node_id)
        }
        return self.move_nodes(moved)

    def toggle_start(self, node_id: str) -> bool:
        return self._apply(self.level.toggle_start(self.curriculum, node_id))

    def toggle_terminal(self, node_id: str) -> bool:
        return self._apply(self.level.toggle_terminal(self.curriculum, node_id))

    def shift_priority(self, edge_id: str, delta: int) -> bool:
        """Raise (delta < 0) or lower a transition among its source's outgoing ones; labels follow."""
        transitions = self.level.transitions(self.curriculum)
        edge = next((t for t in transitions if t.id == edge_id), None)
        if edge is None:
            return False
        order = [t.id for t in transitions if t.source == edge.source]
        index = order.index(edge_id)
        target = index + delta
        if not 0 <= target < len(order):
            return False
        order.insert(target, order.pop(index))
        kind = self.level.edge_kind
        return self._apply(edits.reorder(kind, edge.source, order, self.level.stage_id))  # type: ignore[arg-type]

    # --- clipboard -----------------------------------------------------------------------------------

    def copy_selected(self) -> bool:
        ids = self.selected_node_ids()
        if not ids:
            return False
        payload = self.level.copy(self.curriculum, ids)
        mime = QMimeData()
        raw = json.dumps(payload).encode("utf-8")
        mime.setData(CLIPBOARD_MIME, raw)
        mime.setText(raw.decode("utf-8"))
        QGuiApplication.clipboard().setMimeData(mime)
        self._paste_count = 0
        return True

    def paste(self) -> list[str]:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or not mime.hasFormat(CLIPBOARD_MIME):
            self.notice.emit("Nothing to paste: copy stages or policies first.")
            return []
        try:
            payload = json.loads(bytes(mime.data(CLIPBOARD_MIME).data()).decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError):  # another program's data, not ours
            self.notice.emit("The clipboard does not hold curriculum items.")
            return []
        self._paste_count += 1
        return self._paste(payload, 40.0 * self._paste_count)

    def duplicate_selected(self) -> list[str]:
        ids = self.selected_node_ids()
        if not ids:
            return []
        return self._paste(self.level.copy(self.curriculum, ids), 40.0)

    def _paste(self, payload: dict[str, Any], offset: float) -> list[str]:
        try:
            edit = self.level.paste(self.curriculum, payload, (offset, offset))
        except EditError as exc:
            self.notice.emit(str(exc))
            return []
        if not isinstance(edit, edits.Batch) or not self._apply(edit):
            return []
        new = [
            e.item.id for e in edit.edits if isinstance(e, edits.Insert) and e.kind == self.level.node_kind
        ]
        self.select_ids(new)
        return new

    # --- layout --------------------------------------------------------------------------------------

    def auto_layout(self) -> None:
        """Lay the graph out with dot on the thread pool; the result is applied as ONE undo step."""
        if self.document is None or not self.nodes:
            return
        self._layout_generation += 1
        sizes = {node_id: (item.width, item.height) for node_id, item in self.nodes.items()}
        graph = self._layout_graph(self.curriculum, sizes)
        task = layout_task.LayoutTask(self._layout_generation, graph, self.level.size, self.dot_command)
        task.relay.done.connect(self._layout_done)
        self._layout_relays[self._layout_generation] = task.relay
        layout_task.start(task)

    def _layout_graph(self, curriculum: Curriculum, sizes: dict[str, tuple[float, float]]) -> layout.Graph:
        """The graph to lay out, with each node's own size and a gap between ranks just wide enough for
        the longest edge label on one line (up to the wrap width): short labels, such as Python
        references shown by their function's name, make a compact graph that fits at a legible zoom."""
        labels = [f"({e.priority}) {e.label or e.rule}" for e in self.level.edges(curriculum)]
        longest = max((style.metrics("label").horizontalAdvance(text) for text in labels), default=0.0)
        gap = min(layout.RANK_GAP, max(MIN_RANK_GAP, longest + 40))
        return dataclasses.replace(self.level.graph(curriculum), sizes=sizes, rank_gap=gap)

    def _layout_done(self, generation: int, result: layout.LayoutResult) -> None:
        self._layout_relays.pop(generation, None)
        if generation != self._layout_generation or self.document is None:
            return  # a newer layout was asked for, or the document went away
        if self.level.exists(self.curriculum):
            positions = {k: v for k, v in result.positions.items() if k in self.nodes}
            self._apply(
                layout.layout_edit(layout.LayoutResult(positions, result.engine), self.level.stage_id)
            )
        if result.notice:
            self.notice.emit(result.notice)
        self.layout_finished.emit(result.engine, result.notice)

    # --- highlight (simulation) ----------------------------------------------------------------------

    def set_highlight(self, stage_id: str | None, policy_ids: list[str] | tuple[str, ...] = ()) -> None:
        """Mark the subject's current stage (stage graph) or its active policies (that stage's graph)."""
        self._highlight = (stage_id, frozenset(policy_ids))
        self._apply_highlight()

    def highlighted_ids(self) -> list[str]:
        return sorted(i for i, item in self.nodes.items() if item.highlighted)

    def _apply_highlight(self) -> None:
        stage_id, policies = self._highlight
        if self.level.stage_id is None:
            wanted = {stage_id} if stage_id else set()
        else:
            wanted = set(policies) if stage_id == self.level.stage_id else set()
        for node_id, item in self.nodes.items():
            on = node_id in wanted
            if item.highlighted != on:
                item.highlighted = on
                item.update()

    # --- marks (a comparison) --------------------------------------------------------------------------

    def set_marks(self, marks: dict[ItemRef, str]) -> None:
        """Mark items as ``"added"``, ``"changed"`` or ``"removed"`` (a diff); refs of the other level
        are kept for when it is shown. An empty dict clears every mark."""
        self._marks = dict(marks)
        self._apply_marks()

    def marked(self) -> dict[str, str]:
        """``{node or edge id: mark}`` of what this level shows marked."""
        items = {**self.nodes, **self.edges}
        return {i: item.mark for i, item in items.items() if item.mark}

    def _apply_marks(self) -> None:
        level = self.level
        nodes: dict[str, str] = {}
        edges: dict[str, str] = {}
        for ref, mark in self._marks.items():
            if ref.id is None or ref.stage_id != level.stage_id:
                continue
            if ref.kind == level.node_kind:
                nodes[ref.id] = mark
            elif ref.kind == level.edge_kind:
                edges[ref.id] = mark
        for found, items in ((nodes, self.nodes), (edges, self.edges)):
            for item_id, item in items.items():
                mark = found.get(item_id)
                if item.mark != mark:
                    item.mark = mark
                    item.update()

    # --- mouse gestures ------------------------------------------------------------------------------

    def begin_connection(self, node: NodeItem, pos: QPointF) -> None:
        self.connecting = node
        self._rubber = QGraphicsPathItem()
        self._rubber.setPen(QPen(style.SELECTED, 2, Qt.PenStyle.DashLine))
        self._rubber.setZValue(5)
        self.addItem(self._rubber)
        self.drag_connection(pos)

    def drag_connection(self, pos: QPointF) -> None:
        if self.connecting is None or self._rubber is None:
            return
        path = QPainterPath(self.connecting.mapToScene(self.connecting.handle_centre()))
        path.lineTo(pos)
        self._rubber.setPath(path)

    def node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                return item
        return None

    def end_connection(self, pos: QPointF) -> ItemRef | None:
        source, self.connecting = self.connecting, None
        if self._rubber is not None:
            self.removeItem(self._rubber)
            self._rubber = None
        target = self.node_at(pos)
        if source is None or target is None or target is source:
            return None
        return self.connect_nodes(source.node_id, target.node_id)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and self.connecting is None:
            self.commit_moves()

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        views = self.views()
        item = self.itemAt(event.scenePos(), views[0].transform() if views else QTransform())
        if item is None and event.button() == Qt.MouseButton.LeftButton:
            self.add_node(event.scenePos())
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter on the one selected node or transition does what a double-click does: the keyboard's way
        into a stage's policy graph. The name editor (F2), when open, has the key instead."""
        selected = self.selectedItems()
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and self.focusItem() is None and len(selected) == 1:
            item = selected[0]
            if isinstance(item, NodeItem):
                self.node_activated(item)
            elif isinstance(item, EdgeItem):
                self.edge_activated(item)
            event.accept()
            return
        super().keyPressEvent(event)

    def node_activated(self, node: NodeItem) -> None:
        if self.level.stage_id is None:
            self.open_stage_requested.emit(node.node_id)
        else:
            self.item_activated.emit(self.level.node_ref(node.node_id))

    def edge_activated(self, edge: EdgeItem) -> None:
        self.item_activated.emit(self.level.edge_ref(edge.edge_id))

    # --- context menu --------------------------------------------------------------------------------

    def context_menu(self, pos: QPointF) -> QMenu:
        """The menu for what is under ``pos`` (built separately from showing it, so it can be tested)."""
        item = next((i for i in self.items(pos) if isinstance(i, NodeItem | EdgeItem)), None)
        if item is not None and not item.isSelected():
            self.select_ids([item.node_id if isinstance(item, NodeItem) else item.edge_id])
        menu = QMenu()
        word = self.level.node_word

        def add(text: str, slot: Any, enabled: bool = True) -> QAction:
            action = menu.addAction(text)
            action.triggered.connect(slot)
            action.setEnabled(enabled)
            return action

        if isinstance(item, NodeItem):
            node_id = item.node_id
            if self.level.stage_id is None:
                add("Open policy graph\tEnter", lambda: self.open_stage_requested.emit(node_id))
            add("Rename…\tF2", lambda: self.begin_rename(node_id))
            add(
                ("Unset start " if item.data_.start else "Set as start ") + word,
                lambda: self.toggle_start(node_id),
            )
            if self.level.stage_id is None:
                add(
                    "Unmark terminal" if item.data_.terminal else "Mark terminal",
                    lambda: self.toggle_terminal(node_id),
                )
            menu.addSeparator()
            add("Copy\tCtrl+C", self.copy_selected)
            add("Duplicate\tCtrl+D", self.duplicate_selected)
            add("Delete\tDel", self.delete_selected)
        elif isinstance(item, EdgeItem):
            edge_id, data = item.edge_id, item.data_
            add("Edit rule…", lambda: self.item_activated.emit(self.level.edge_ref(edge_id)))
            add("Raise priority", lambda: self.shift_priority(edge_id, -1), data.priority > 1)
            add("Lower priority", lambda: self.shift_priority(edge_id, +1), data.priority < data.siblings)
            menu.addSeparator()
            add("Delete\tDel", self.delete_selected)
        else:
            add(f"Add {word} here", lambda: self.add_node(pos))
            mime = QGuiApplication.clipboard().mimeData()
            add("Paste\tCtrl+V", self.paste, mime is not None and mime.hasFormat(CLIPBOARD_MIME))
            menu.addSeparator()
            add("Auto-layout", self.auto_layout, bool(self.nodes))
        return menu

    def contextMenuEvent(self, event: QGraphicsSceneContextMenuEvent) -> None:
        menu = self.context_menu(event.scenePos())
        menu.exec(event.screenPos())
        event.accept()


class StageScene(GraphScene):
    """The stage graph (kept under its old name for existing callers)."""

    def __init__(self, document: Any = None, parent: Any = None) -> None:
        super().__init__(document, StageLevel(), parent)


class PolicyScene(GraphScene):
    """One stage's policy graph."""

    def __init__(self, document: Any, stage_id: str, parent: Any = None) -> None:
        super().__init__(document, PolicyLevel(stage_id), parent)
