"""The rig's watched metrics folder, in the app: a scan every second, off the GUI thread, one at a time;
``imported`` carries what each scan did (see :mod:`curriculum_gui.store.folder_watch`)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from ...store.folder_watch import FolderWatcher
from ..subjects import worker

SCAN_MS = 1_000


class RigFolder(QObject):
    imported = Signal(list)  # list[Outcome], never empty
    failed = Signal(str)

    def __init__(self, workspace, folder: str | Path, pool: QThreadPool | None = None, parent=None) -> None:
        super().__init__(parent)
        self.watcher = FolderWatcher(workspace, folder)
        self.pool = pool
        self._task: worker.Task | None = None
        self._stopped = False
        self.timer = QTimer(self)
        self.timer.setInterval(SCAN_MS)
        self.timer.timeout.connect(self.scan)
        self.timer.start()

    @property
    def folder(self) -> Path:
        return self.watcher.folder

    @property
    def busy(self) -> bool:
        return self._task is not None

    def scan(self) -> None:
        if self._task is not None or self._stopped:
            return
        watcher = self.watcher
        self._task = worker.start(
            lambda _progress: watcher.scan(stop=lambda: self._stopped),
            self._done,
            self._error,
            pool=self.pool,
            context=self,
        )

    def _done(self, outcomes: list) -> None:
        self._task = None
        if outcomes and not self._stopped:
            self.imported.emit(outcomes)

    def _error(self, exc: Exception) -> None:
        self._task = None
        self.failed.emit(str(exc))

    def stop(self) -> None:
        """No new scan; one under way finishes its file (then its result is dropped)."""
        self._stopped = True
        self.timer.stop()
