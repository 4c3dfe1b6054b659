"""The open curriculum as Qt sees it: the core model, its file, its undo stack, and a `changed` signal.

The model is only ever changed through :meth:`Document.apply`, which pushes an undoable command, so every
view can simply redraw on `changed` (views observe, as in napari).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from ..core import edits, native_format
from ..core.errors import EditError
from ..core.files import open_curriculum
from ..core.model import Curriculum
from ..core.problems import Problem
from ..core.validation import validate

OPEN_STEP = 1  # QUndoCommand.id() of a step that the next "continues" edit joins


class EditCommand(QUndoCommand):
    """Wraps a core edit; Qt's undo stack calls redo() when pushed, so the first apply happens there.

    A step pushed ``open`` is joined by the next edit pushed as its continuation (Qt's command merging):
    adding a metric and then typing its name is one step, named after the result."""

    def __init__(self, document: Document, edit: edits.Edit, merge_id: int = -1) -> None:
        super().__init__(edit.text)
        self._document = document
        self._edit = edit
        self._inverse: edits.Edit | None = None
        self._merge_id = merge_id
        self._continuation = False

    def id(self) -> int:
        return self._merge_id

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, EditCommand) or not other._continuation or self._continuation:
            return False
        if self._inverse is None:
            return False
        assert other._inverse is not None
        self._edit = edits.Batch([self._edit, other._edit], text=other.text())
        self._inverse = edits.Batch([other._inverse, self._inverse], text=other.text())
        self.setText(other.text())
        self._merge_id = -1  # joined once: later edits are steps of their own
        return True

    def redo(self) -> None:
        self._inverse = self._edit.apply(self._document.curriculum)
        self._document.changed.emit()

    def undo(self) -> None:
        assert self._inverse is not None
        self._edit = self._inverse.apply(self._document.curriculum)
        self._document.changed.emit()


class Document(QObject):
    changed = Signal()
    path_changed = Signal()
    saved = Signal()

    def __init__(
        self,
        curriculum: Curriculum,
        path: Path | None = None,
        source_format: str = "native",
        read_only: str | None = None,
    ) -> None:
        super().__init__()
        self.curriculum = curriculum
        self.path = path
        self.source_format = source_format
        self.read_only = read_only  # why every edit is refused (a published version), or None
        self.undo_stack = QUndoStack(self)
        self._problems: list[Problem] | None = None
        self.changed.connect(self._forget_problems)

    @classmethod
    def open(cls, path: str | Path) -> Document:
        opened = open_curriculum(path)
        # An aind file is edited as a native document; saving asks where (it is a conversion).
        keep_path = Path(path) if opened.format == "native" else None
        return cls(opened.curriculum, keep_path, opened.format)

    def apply(self, edit: edits.Edit, *, open_step: bool = False, continues: bool = False) -> None:
        """Apply an edit as one undoable step; a refused edit raises EditError and changes nothing.

        ``open_step``: the next edit applied with ``continues=True`` joins this step (if nothing else
        was done in between) instead of making a step of its own."""
        if self.read_only:
            raise EditError(self.read_only)
        probe = edit.apply(self.curriculum)  # validate by applying once...
        probe.apply(self.curriculum)  # ...and restoring, so a refusal never reaches the stack
        command = EditCommand(self, edit, OPEN_STEP if open_step or continues else -1)
        command._continuation = continues
        self.undo_stack.push(command)

    @property
    def problems(self) -> list[Problem]:
        if self._problems is None:
            self._problems = validate(self.curriculum)
        return self._problems

    def _forget_problems(self) -> None:
        self._problems = None

    @property
    def is_modified(self) -> bool:
        return not self.undo_stack.isClean() or (self.path is None and self.undo_stack.count() > 0)

    @property
    def display_name(self) -> str:
        if self.read_only:
            where = self.path.name if self.path else f"{self.curriculum.name} {self.curriculum.version}"
            return f"{where} (read-only)"
        return self.path.name if self.path else f"{self.curriculum.name} (unsaved)"

    def save(self, path: str | Path | None = None) -> None:
        target = Path(path) if path else self.path
        if target is None:
            raise ValueError("no file name: use save(path)")
        native_format.save(self.curriculum, target)
        self.undo_stack.setClean()
        self.saved.emit()
        if target != self.path:
            self.path = target
            self.path_changed.emit()
