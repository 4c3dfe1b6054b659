"""Live updates: every open window follows the changes other rigs make, without a manual refresh.

:class:`LiveUpdates` drives the store's :class:`~curriculum_gui.store.changes.ChangeWatcher`: on SQLite a
timer asks ``PRAGMA data_version`` (a few microseconds, no table read) every :data:`SQLITE_POLL_MS`; on
PostgreSQL a socket notifier wakes it when a notification arrives (nothing runs while nothing changes), and
a slow timer reconnects after a lost connection. ``changed`` is emitted once per burst of changes (after
:data:`SETTLE_MS`), and never while ``paused()`` says a job of this window is running: the job's own
refresh comes first, and the change is reported after it.

:func:`keep_scroll` lets a view reload while keeping its scroll positions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal
from PySide6.QtWidgets import QAbstractScrollArea

SQLITE_POLL_MS = 200
PG_CHECK_MS = 2_000
SETTLE_MS = 50


class LiveUpdates(QObject):
    changed = Signal()

    def __init__(self, workspace, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.paused: Callable[[], bool] = lambda: False
        self._watcher = workspace.change_watcher()
        self._pending = False
        self._notifier: QSocketNotifier | None = None
        self._fileno: int | None = None
        self._emit = QTimer(self)
        self._emit.setSingleShot(True)
        self._emit.setInterval(SETTLE_MS)
        self._emit.timeout.connect(self._deliver)
        self._timer = QTimer(self)
        polling = workspace.url.get_backend_name() == "sqlite"  # PostgreSQL: woken by its socket
        self._timer.setInterval(SQLITE_POLL_MS if polling else PG_CHECK_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._watch_socket()

    def _watch_socket(self) -> None:
        fileno = self._watcher.fileno()
        if fileno == self._fileno:
            return
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None
        self._fileno = fileno
        if fileno is not None:
            self._notifier = QSocketNotifier(fileno, QSocketNotifier.Type.Read, self)
            self._notifier.activated.connect(self.check)

    def _tick(self) -> None:
        # Not while a job of this window runs: what it reports waits for the job anyway, and the GUI
        # thread then has better things to do than wait for the database and the interpreter.
        if not self.paused():
            self.check()

    def check(self, *_: object) -> bool:
        """Ask the database now; True if something changed (``changed`` follows)."""
        changed = self._watcher.poll()
        self._watch_socket()  # a reconnection gives a new socket
        if changed or self._pending:
            self._pending = True
            if not self._emit.isActive():
                self._emit.start()
        return changed

    def _deliver(self) -> None:
        if self.paused():
            self._emit.start(200)  # after the job: its own refresh, then this one
            return
        self._pending = False
        self._emit.setInterval(SETTLE_MS)
        self.changed.emit()

    def stop(self) -> None:
        self._timer.stop()
        self._emit.stop()
        if self._notifier is not None:
            self._notifier.setEnabled(False)
        self._watcher.close()


@contextmanager
def keep_scroll(views: Sequence[QAbstractScrollArea]) -> Iterator[None]:
    """Reload inside this block: each view comes back to where it was scrolled (as far as it can)."""
    where = [(v, v.verticalScrollBar().value(), v.horizontalScrollBar().value()) for v in views]
    try:
        yield
    finally:
        for view, vertical, horizontal in where:
            view.verticalScrollBar().setValue(vertical)
            view.horizontalScrollBar().setValue(horizontal)
