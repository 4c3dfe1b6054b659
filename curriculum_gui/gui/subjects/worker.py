"""Long store work (import, evaluate, apply) on the thread pool, so the window stays responsive.

The job gets a ``progress(done, total)`` callable and runs the store's own methods: the Workspace's
SQLAlchemy engine pools connections per checkout (``QueuePool``, ``check_same_thread`` off for SQLite
files), so a worker thread never shares a connection with the GUI thread. Results and errors come back
through queued signals to the GUI thread; an unexpected exception becomes a message, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

Progress = Callable[[int, int], None]
Job = Callable[[Progress], Any]


class Relay(QObject):
    """Lives on the GUI thread; the worker emits through it (queued to the receivers)."""

    progress = Signal(int, int)
    done = Signal(object)
    failed = Signal(object)  # the exception


class Task(QRunnable):
    def __init__(self, job: Job) -> None:
        super().__init__()
        self.relay = Relay()
        self._job = job
        self.setAutoDelete(False)  # the caller keeps it until `done`/`failed` (the relay must outlive run)

    def run(self) -> None:
        try:
            result = self._job(self.relay.progress.emit)
        except Exception as exc:  # reported to the GUI thread, shown as a message there
            self.relay.failed.emit(exc)
        else:
            self.relay.done.emit(result)


class Receiver(QObject):
    """The callbacks' end of the connections, a child of ``context``: when the view that started a job
    is destroyed first, Qt drops the connections (and any queued result) instead of calling into
    deleted widgets."""

    def __init__(
        self,
        context: QObject | None,
        done: Callable[[Any], None],
        failed: Callable[[Exception], None],
        progress: Callable[[int, int], None] | None,
    ) -> None:
        super().__init__(context)
        self._done, self._failed, self._progress = done, failed, progress

    def on_done(self, result: object) -> None:
        self.deleteLater()
        self._done(result)

    def on_failed(self, exc: object) -> None:
        self.deleteLater()
        self._failed(exc)  # type: ignore[arg-type]

    def on_progress(self, done: int, total: int) -> None:
        if self._progress is not None:
            self._progress(done, total)


def start(
    job: Job,
    done: Callable[[Any], None],
    failed: Callable[[Exception], None],
    progress: Callable[[int, int], None] | None = None,
    pool: QThreadPool | None = None,
    context: QObject | None = None,
) -> Task:
    """Run ``job`` on ``pool`` (default: the global pool); the callbacks run on the GUI thread, and
    never after ``context`` (the widget that started the job) is destroyed. Keep the returned task
    until ``done`` or ``failed`` has run."""
    task = Task(job)
    receiver = Receiver(context, done, failed, progress)
    task.receiver = receiver  # type: ignore[attr-defined]  # without a context, the task keeps it
    task.relay.done.connect(receiver.on_done)
    task.relay.failed.connect(receiver.on_failed)
    task.relay.progress.connect(receiver.on_progress)
    (pool or QThreadPool.globalInstance()).start(task)
    return task
