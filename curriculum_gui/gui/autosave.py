"""Autosave and crash recovery: unsaved work is copied to the app's data folder every little while.

The copy is written atomically (the native format's own save) beside a small note of where the document came
from; a clean save or a deliberate discard removes it. On the next start, copies left behind by a crash are
offered back.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer

from ..core import native_format
from ..core.errors import CurriculumGuiError
from ..core.model import Curriculum
from .document import Document

INTERVAL_MS = 30_000


def recovery_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".curriculum-gui") / "recovery"


@dataclass(frozen=True)
class Recovery:
    file: Path
    original: str | None  # the document's own file, if it had one
    curriculum: Curriculum

    @property
    def label(self) -> str:
        return self.original or f"{self.curriculum.name} (never saved)"

    def discard(self) -> None:
        self.file.unlink(missing_ok=True)
        self.file.with_suffix(".meta").unlink(missing_ok=True)


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def find_recoveries() -> list[Recovery]:
    """Copies left by a session that did not end cleanly; unreadable ones are skipped, not deleted."""
    folder = recovery_dir()
    found: list[Recovery] = []
    if not folder.is_dir():
        return found
    for file in sorted(folder.glob("*.json")):
        try:
            meta = json.loads(file.with_suffix(".meta").read_text(encoding="utf-8"))
            if _alive(meta.get("pid")):
                continue  # this or another running window still owns it
            found.append(Recovery(file, meta.get("original"), native_format.load(file)))
        except (OSError, ValueError, CurriculumGuiError):
            continue
    return found


class Autosave(QObject):
    """Watches one document; writes its recovery copy while it has unsaved changes."""

    def __init__(self, document: Document, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(document)
        self.document = document
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.write)
        self._written: Path | None = None
        # Not the undo stack's cleanChanged: the stack emits it while it is being destroyed.
        document.changed.connect(self._changed)
        document.saved.connect(self.discard)

    @property
    def file(self) -> Path:
        key = str(self.document.path) if self.document.path else f"unsaved-{id(self.document)}"
        digest = hashlib.sha1(f"{os.getpid()}:{key}".encode()).hexdigest()[:16]
        return recovery_dir() / f"{digest}.json"

    def _changed(self) -> None:
        if not self.document.is_modified:
            self.discard()  # undone back to what is saved: nothing to recover
        elif not self._timer.isActive():
            self._timer.start()

    def write(self) -> Path | None:
        """Write the recovery copy now (nothing when there is nothing unsaved). Failures stay quiet: the
        person's real file is untouched and the next attempt may succeed."""
        if not self.document.is_modified:
            return None
        target = self.file
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            native_format.save(self.document.curriculum, target)
            meta = {"original": str(self.document.path) if self.document.path else None, "pid": os.getpid()}
            target.with_suffix(".meta").write_text(json.dumps(meta), encoding="utf-8")
        except (OSError, CurriculumGuiError):
            return None
        if self._written is not None and self._written != target:
            _remove(self._written)  # the document got a file name since: one copy only
        self._written = target
        return target

    def discard(self) -> None:
        """Remove this document's recovery copy (whatever name it was written under)."""
        self._timer.stop()
        for file in {self.file, self._written} - {None}:
            _remove(file)
        self._written = None


def _remove(file: Path) -> None:
    file.unlink(missing_ok=True)
    file.with_suffix(".meta").unlink(missing_ok=True)
