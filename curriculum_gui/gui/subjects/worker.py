"""Long store work (import, evaluate, apply) on the thread pool, so the window stays responsive.

The job gets a ``progress(done, total)`` callable and runs the store's own methods: the Workspace's
SQLAlchemy engine pools connections per checkout (``QueuePool``, ``check_same_thread`` off for SQLite
files), so a worker thread never shares a connection with the GUI thread. Results and errors come back
through queued signals to the GUI thread; an unexpected exception becomes a message, never a crash.

No cyclic garbage collection while a job runs (:class:`_GcGate`). Python's collector runs on whichever
thread crosses its threshold; on a worker thread it may free a Qt object caught in a reference cycle, and
Qt then destroys it from that thread while the GUI thread destroys another: each waits for the other's
lock and the application hangs (seen with PySide6 6.11). So the collector is switched off on the GUI
thread before a job starts, and back on when the last job has ended, with what exists then set aside
(``gc.freeze``): a collection over a job's hundreds of thousands of objects would hold the window. The
cycles among them are collected half a minute later, if no job started meanwhile (:data:`COLLECT_AFTER_MS`).
Reference counting, which frees almost everything, goes on meanwhile.

While jobs run, the interpreter switches threads every 0.1 ms (:data:`SWITCH_SECONDS`) instead of every
five. Every paint of the table calls the Python model thousands of times, and each call waits its turn
for the interpreter behind a job's Python: with the default, the window froze for 200-300 ms at a time
during an import of 10,000 rows, a fair share of the CPU that did not reach the screen. (Three runs of
``benchmarks/subjects.py`` each: the longest stall 157-184 ms at 1 ms, 127-191 ms at 0.2 ms, 121-124 ms
at 0.1 ms; the switch costs the job only while the window asks for the interpreter.) The interval does
not help against a job that lets go of the interpreter often and briefly (ten thousand small statements,
or Python work between a driver's row steps): it takes it back before the GUI thread wakes, and the GUI
thread can starve for tens of milliseconds. Store code run here fetches rows before working on them and
reads many subjects per statement (see ``store.histories._last_evaluated``).
"""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

Progress = Callable[[int, int], None]
Job = Callable[[Progress], Any]

SWITCH_SECONDS = 0.0001
"""The interpreter's switch interval while jobs run (its default, 5 ms, comes back after the last)."""

COLLECT_AFTER_MS = 30_000
"""How long after the last job ends the cycles set aside by the jobs are collected, if none started since."""


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
            _send(self.relay.failed, exc)
        else:
            _send(self.relay.done, result)
        finally:
            _send(_gc_gate().ended)


def _send(signal: Any, *args: Any) -> None:
    """Emit, unless what emits was destroyed meanwhile (the window closed while the job ran: nobody is
    left to tell, and a traceback on the console would be all that came of it)."""
    with contextlib.suppress(RuntimeError):
        signal.emit(*args)


class _GcGate(QObject):
    """Lives on the GUI thread: jobs hold the collector off and the switch interval short; the last one to
    end lets the collector run again there and gives the interval back."""

    ended = Signal()  # emitted by a worker; delivered (queued) on the GUI thread

    def __init__(self) -> None:
        super().__init__()
        self.jobs = 0
        self.was_enabled = True
        self.was_interval = sys.getswitchinterval()
        self.ended.connect(self._release)
        self.idle_collection = QTimer(self)
        self.idle_collection.setSingleShot(True)
        self.idle_collection.setInterval(COLLECT_AFTER_MS)
        self.idle_collection.timeout.connect(self._collect)

    def hold(self) -> None:
        if self.jobs == 0:
            self.idle_collection.stop()
            self.was_enabled = gc.isenabled()
            self.was_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(SWITCH_SECONDS, self.was_interval))
            gc.disable()
        self.jobs += 1

    def _release(self) -> None:
        self.jobs -= 1
        if self.jobs:
            return
        sys.setswitchinterval(self.was_interval)
        if self.was_enabled:
            # Here, on the GUI thread. Everything made while the collector was off (a job over 10,000
            # subjects makes hundreds of thousands of objects) is set aside rather than collected now,
            # which would hold the window for a good part of a second; so no thread starts out past the
            # threshold either. What is set aside is collected a while later, if no job started since.
            gc.freeze()
            gc.enable()
            self.idle_collection.start()

    def _collect(self) -> None:
        """The cycles the jobs left, set aside with everything else when the last one ended (else never
        collected: a day of jobs kept every one), collected while nothing runs: one pause, once."""
        if self.jobs or not gc.isenabled():
            return
        gc.unfreeze()
        gc.collect()


_gate: _GcGate | None = None


def running() -> int:
    """Jobs started here and not yet ended (their results delivered or about to be)."""
    return _gc_gate().jobs


def _gc_gate() -> _GcGate:
    global _gate
    if _gate is None:
        _gate = _GcGate()
    return _gate


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
    _gc_gate().hold()  # before the job can run: see the module docstring
    task = Task(job)
    receiver = Receiver(context, done, failed, progress)
    task.receiver = receiver  # type: ignore[attr-defined]  # without a context, the task keeps it
    task.relay.done.connect(receiver.on_done)
    task.relay.failed.connect(receiver.on_failed)
    task.relay.progress.connect(receiver.on_progress)
    (pool or QThreadPool.globalInstance()).start(task)
    return task
