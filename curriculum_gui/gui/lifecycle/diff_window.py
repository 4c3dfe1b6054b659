"""Compare two curricula: the newer one's graph with what was added and changed marked (a legend above),
the list of changes beside it; selecting a change selects its item. A removed item is not in the newer
curriculum: selecting it shows the older one, where it is drawn dashed in red, and says so.

The canvas is the editor's own (:class:`CanvasWidget`) on read-only documents; the marks go through its
narrow ``set_marks`` API. A change inside a stage's policy graph also marks that stage as changed on the
stage graph, and its policy graph opens on selection.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QBrush, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QRadioButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.diff import ADDED, REMOVED, Change, CurriculumDiff, diff
from ...core.model import Curriculum
from ...core.problems import ItemRef
from ..canvas import CanvasWidget
from ..canvas import style as canvas_style
from ..document import Document
from .common import find_row
from .publish_dialog import BUMP_COLOURS

NEW, OLD = "new", "old"
CANVAS_KINDS = ("stage", "stage_transition", "policy", "policy_transition")
INDEX_ROLE = Qt.ItemDataRole.UserRole + 1
READ_ONLY = "a comparison is read-only: open the curriculum in the editor to change it"


def marks(changes: tuple[Change, ...], side: str) -> dict[ItemRef, str]:
    """``{ItemRef: mark}`` for one side: the newer shows ``added`` and ``changed``, the older ``removed``.
    A stage whose policy graph holds a change is ``changed`` on that side (unless added itself)."""
    out: dict[ItemRef, str] = {}
    inner: set[str] = set()
    for change in changes:
        ref = change.ref
        if ref.kind not in CANVAS_KINDS:
            continue
        removed = change.action == REMOVED
        if (side == OLD) != removed:
            if side == NEW and removed and ref.stage_id:
                inner.add(ref.stage_id)  # a policy removed inside a stage that is still there
            continue
        mark = "removed" if removed else "added" if change.action == ADDED else "changed"
        if out.get(ref) != "added":
            out[ref] = mark
        if ref.stage_id:
            inner.add(ref.stage_id)
    for stage_id in inner:
        ref = ItemRef("stage", stage_id)
        if ref not in out:
            out[ref] = "changed"
    return out


def legend_html() -> str:
    """``+ ADDED  ~ CHANGED  − REMOVED (on the older side)`` in the marks' colours."""
    style = canvas_style
    chips = [
        f"<span style='color:{style.MARKS[m].name()}; font-weight:bold'>{style.MARK_BADGES[m]}</span>"
        for m in ("added", "changed", "removed")
    ]
    return "Legend: " + "&nbsp;&nbsp;&nbsp;".join(chips) + " (on the older side)"


class DiffWindow(QMainWindow):
    """``old`` → ``new``: the newer graph (or, to see a removed item, the older one), marks and the list."""

    def __init__(
        self,
        old: Curriculum,
        new: Curriculum,
        old_label: str,
        new_label: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"Compare {old_label} → {new_label}")
        self.diff: CurriculumDiff = diff(old, new, old_label, new_label)
        self.labels = {OLD: old_label, NEW: new_label}
        self.documents = {
            OLD: Document(old.model_copy(deep=True), read_only=READ_ONLY),
            NEW: Document(new.model_copy(deep=True), read_only=READ_ONLY),
        }
        self.side_marks = {side: marks(self.diff.changes, side) for side in (OLD, NEW)}
        self.side = ""

        self.canvas = CanvasWidget()
        self.legend = QLabel(legend_html())
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.show_new = QRadioButton(f"&Newer: {new_label}")
        self.show_old = QRadioButton(f"&Older: {old_label}")
        self.sides = QButtonGroup(self)
        for button in (self.show_new, self.show_old):
            self.sides.addButton(button)
        self.show_new.toggled.connect(lambda on: on and self.show_side(NEW))
        self.show_old.toggled.connect(lambda on: on and self.show_side(OLD))
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #444")
        top = QHBoxLayout()
        top.addWidget(QLabel("Show:"))
        top.addWidget(self.show_new)
        top.addWidget(self.show_old)
        top.addStretch(1)
        self.canvas_area = QWidget()
        layout = QVBoxLayout(self.canvas_area)
        layout.setContentsMargins(6, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.legend)
        layout.addWidget(self.note)
        layout.addWidget(self.canvas, 1)

        self.summary = QLabel(self.diff.describe()[0])
        self.summary.setWordWrap(True)
        self.filter, row = find_row(self, "Filter the changes", "&Filter:")
        self.filter.textChanged.connect(self._filter)
        self.changes = QTreeWidget()
        self.changes.setHeaderLabels(["Change", "Size"])
        self.changes.setRootIsDecorated(False)
        self.changes.setAlternatingRowColors(True)
        header = self.changes.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.changes.setSortingEnabled(False)
        for index, change in enumerate(self.diff.changes):
            item = QTreeWidgetItem([change.describe(), change.bump.label])
            item.setData(0, INDEX_ROLE, index)
            item.setToolTip(0, change.describe())
            colour = canvas_style.MARKS.get(_mark_word(change))
            if colour is not None:
                item.setForeground(0, QBrush(colour.darker(115)))
            item.setForeground(1, QBrush(BUMP_COLOURS[change.bump]))
            self.changes.addTopLevelItem(item)
        self.changes.currentItemChanged.connect(lambda item, _old: self._selected(item))
        panel = QWidget()
        panel_layout = QVBoxLayout(panel)
        panel_layout.setContentsMargins(4, 0, 0, 0)
        title = QLabel("<b>Changes</b>")
        panel_layout.addWidget(title)
        panel_layout.addWidget(self.summary)
        panel_layout.addLayout(row)
        panel_layout.addWidget(self.changes, 1)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.canvas_area)
        self.split.addWidget(panel)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        self.split.setSizes([840, 520])
        self.setCentralWidget(self.split)
        close = QAction("Close", self)
        close.setShortcuts([QKeySequence(Qt.Key.Key_Escape), QKeySequence.StandardKey.Close])
        close.triggered.connect(self.close)
        self.addAction(close)
        self.resize(1400, 820)
        self.show_new.setChecked(True)
        self._fitted = False
        if self.diff.equal:
            self.note.setText(f"{old_label} and {new_label} are the same curriculum.")
        else:
            self.note.setText("Select a change in the list to select its item on the graph.")
        self.changes.setFocus()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._fitted:  # once laid out at its size: the whole graph in view
            self._fitted = True
            QTimer.singleShot(0, self.canvas.view.fit)

    # --- showing -----------------------------------------------------------------------------------

    def show_side(self, side: str) -> None:
        if side == self.side:
            return
        self.side = side
        button = self.show_new if side == NEW else self.show_old
        if not button.isChecked():
            button.setChecked(True)
        self.canvas.set_document(self.documents[side])
        self.canvas.set_marks(self.side_marks[side])

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        for i in range(self.changes.topLevelItemCount()):
            item = self.changes.topLevelItem(i)
            item.setHidden(not all(w in item.text(0).lower() for w in words))

    def select_change(self, index: int) -> None:
        """Select the change ``index`` of the diff in the list (and so on the canvas)."""
        self.changes.setCurrentItem(self.changes.topLevelItem(index))

    def _selected(self, item: QTreeWidgetItem | None) -> None:
        if item is None:
            return
        change = self.diff.changes[item.data(0, INDEX_ROLE)]
        ref = change.ref
        if ref.kind not in CANVAS_KINDS:
            self.note.setText(
                f"{change.describe()} — about the curriculum as a whole: nothing to show on the graph."
            )
            return
        if change.action == REMOVED:
            self.show_side(OLD)
            self.note.setText(
                f"{change.label} was removed: it is not in {self.labels[NEW]}; shown here on "
                f"{self.labels[OLD]}, dashed in red."
            )
        else:
            self.show_side(NEW)
            self.note.setText(change.describe())
        self.canvas.show_item(ref)

    def selected_refs(self) -> list[ItemRef]:
        return self.canvas.scene.selected_refs()


def _mark_word(change: Change) -> str:
    return "removed" if change.action == REMOVED else "added" if change.action == ADDED else "changed"
