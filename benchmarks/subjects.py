"""The subjects table with 10,000 subjects: load from the store into the Qt model, filter per keystroke, and
how long the window freezes for the day's actions.

Prints ``table_load_10k_s: S`` (``Workspace.subjects()`` + the table model + the proxy, goal S <= 0.3),
its parts, ``filter_keystroke_ms: M`` (the slowest keystroke while typing a filter, goal <= 50 ms; the
mean too), the status filter and a sort. The cohort is registered on a temporary SQLite file (set-up,
not timed); a tenth of it has a pending session so the statuses vary.

Then, in the main window, a heartbeat timer on the GUI thread (every 5 ms) measures the longest stall of
the GUI thread while: the Subjects tab opens, a file of one session per subject is imported, the cohort
is evaluated (shown, not in the goal), every row is selected and the batch applied, the apply is
undone, and every subject is overridden and that reverted (each as one batch). Last line:
``gui_stall_ms: M``, the longest of those (goal <= 100).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/subjects.py [--subjects N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from curriculum_gui.resources import example
from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication, QTableView

from curriculum_gui.core import native_format
from curriculum_gui.gui.subjects.table_model import NEW_METRICS, SubjectFilterProxy, SubjectTableModel
from curriculum_gui.store import Workspace

HEADER = "subject,session,date,accuracy,trials,bias,weight_fraction,licks_per_reward\n"


def build(db: Path, n: int) -> Workspace:
    ws = Workspace.open(db, create=True)
    version = ws.publish(native_format.loads(example().read_text(encoding="utf-8")), operator="bench")
    ids = [f"B{i:05d}" for i in range(n)]
    ws.register(ids, version.id, operator="bench")
    metrics = db.parent / "metrics.csv"
    metrics.write_text(HEADER + "".join(f"{s},d1,2025-03-03,0.7,200,0.1,0.9,4\n" for s in ids[::10]))
    ws.import_metrics(metrics)
    return ws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=10_000)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as folder:
        ws = build(Path(folder) / "bench.sqlite3", args.subjects)
        model = SubjectTableModel()
        proxy = SubjectFilterProxy()
        proxy.setSourceModel(model)
        table = QTableView()
        table.setModel(proxy)
        table.resize(1200, 800)
        table.show()
        app.processEvents()

        t0 = time.perf_counter()
        rows = ws.subjects()
        t1 = time.perf_counter()
        model.set_rows(rows)
        app.processEvents()
        t2 = time.perf_counter()
        assert proxy.rowCount() == args.subjects
        print(f"table_load_10k_s: {t2 - t0:.3f}")
        print(f"  store_subjects_s: {t1 - t0:.3f}")
        print(f"  model_and_view_s: {t2 - t1:.3f}")

        times = []
        typed = ""
        for char in "b0123":
            typed += char
            t0 = time.perf_counter()
            proxy.set_filter(typed)
            proxy.rowCount()
            app.processEvents()
            times.append((time.perf_counter() - t0) * 1000)
        print(f"filter_keystroke_ms: {max(times):.1f}")
        print(
            f"  filter_keystroke_mean_ms: {statistics.mean(times):.1f} "
            f"(typing 'b0123': {proxy.rowCount()} rows)"
        )
        proxy.set_filter("")
        t0 = time.perf_counter()
        proxy.set_filter(status=NEW_METRICS)
        app.processEvents()
        print(f"  status_filter_ms: {(time.perf_counter() - t0) * 1000:.1f} ({proxy.rowCount()} rows)")
        proxy.set_filter(status=None)
        t0 = time.perf_counter()
        table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        app.processEvents()
        print(f"  sort_ms: {(time.perf_counter() - t0) * 1000:.1f}")
        ws.close()
        table.close()
        stalls(app, Path(folder), args.subjects)


class Heartbeat:
    """A timer on the GUI thread: the longest gap between its ticks, less its interval, is the longest
    time the GUI thread did not get to its events (a Python slot, as the table's own are)."""

    def __init__(self, interval_ms: int = 5) -> None:
        self.interval = interval_ms / 1000
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.longest = 0.0
        self.last_cpu = 0.0
        self.busy = 0.0  # the GUI thread's own CPU time within the longest gap (the rest: waiting)

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        if now - self.last > self.longest:
            self.longest, self.busy = now - self.last, cpu - self.last_cpu
        self.last, self.last_cpu = now, cpu

    def measure(self, app: QApplication, start: Callable[[], object], done: Callable[[], bool]) -> float:
        """Run ``start`` from an event, then process events until ``done()``: the longest stall, in ms."""
        self.longest = self.busy = 0.0
        self.last, self.last_cpu = time.perf_counter(), time.thread_time()
        self.timer.start()
        QTimer.singleShot(0, start)
        deadline = time.perf_counter() + 600
        app.processEvents()
        while not done() and time.perf_counter() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            time.sleep(0.001)
        for _ in range(5):  # what the end of the action posted (installing the rows, the banner)
            app.processEvents()
            time.sleep(0.005)
        self.timer.stop()
        self._tick()
        self.busy_ms = self.busy * 1000
        return max(self.longest - self.interval, 0.0) * 1000


def stalls(app: QApplication, folder: Path, n: int) -> None:
    from PySide6.QtCore import QSettings, QStandardPaths

    from curriculum_gui.gui.document import Document
    from curriculum_gui.gui.main_window import MainWindow
    from curriculum_gui.gui.subjects import worker

    # The person's own settings, recovery copies and database stay untouched.
    QStandardPaths.setTestModeEnabled(True)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder / "settings"))
    from curriculum_gui.gui.operators import Operators

    Operators().add("bench")  # every change is signed: someone is at the rig

    db = folder / "stalls.sqlite3"
    with Workspace.open(db, create=True) as ws:
        version = ws.publish(native_format.loads(example().read_text(encoding="utf-8")), operator="bench")
        ids = [f"S{i:05d}" for i in range(n)]
        ws.register(ids, version.id, start_stage="Two-choice, high contrast", operator="bench")
    day = folder / "day.csv"
    day.write_text(HEADER + "".join(f"{s},d1,2025-03-03,0.7,200,0.1,0.9,4\n" for s in ids))
    window = MainWindow(Document.open(example()), db=str(db))
    window.resize(1400, 860)
    window.show()
    app.processEvents()
    beat = Heartbeat()
    figures: dict[str, float] = {}
    busy: dict[str, float] = {}

    def measure(name: str, start: Callable[[], object], done: Callable[[], bool]) -> None:
        figures[name] = beat.measure(app, start, done)
        busy[name] = beat.busy_ms

    measure(
        "open the Subjects tab",
        lambda: window.modes.setCurrentIndex(1),
        lambda: window.subjects_view is not None and window.subjects_view.loaded and worker.running() == 0,
    )
    view = window.subjects_view
    assert view is not None and view.model.rowCount() == n

    def idle() -> bool:  # the action and what it set off (attention, the subject's page) have ended
        return not view.busy and worker.running() == 0

    measure(f"import {n} rows", lambda: view.import_file(day), idle)
    assert sum(r.pending_sessions for r in view.rows) == n
    if view.report_dialog is not None:
        view.report_dialog.close()
    evaluate = beat.measure(app, view.evaluate, lambda: idle() and bool(view.review.suggestions))
    evaluate_busy = beat.busy_ms
    view.review.finish_filling()
    applicable = view.review.applicable(view.review.suggestions)
    assert len(applicable) == n
    view.tabs.setCurrentWidget(view.table_page)
    measure("select every row", view.table.selectAll, lambda: True)
    assert len(view.selected_rows()) == n
    measure(
        f"apply {n} (every row selected)",
        lambda: view.apply(applicable),
        lambda: idle() and view.last_batch_id is not None,
    )
    assert all(r.pending_sessions == 0 for r in view.rows)
    measure("undo the apply", view.undo_last_apply, lambda: idle() and view.last_batch_id is None)
    assert sum(r.pending_sessions for r in view.rows) == n
    everyone = list(view.rows)
    measure(
        f"override {n} (every row selected)",
        lambda: view.override(everyone, "Mixed contrast", [], "bench"),
        lambda: idle() and view.last_batch_kind == "override",
    )
    assert all(r.stage == "Mixed contrast" for r in view.rows)
    everyone = list(view.rows)
    measure(
        f"revert {n} (every row selected)",
        lambda: view.revert(everyone, "bench"),
        lambda: idle() and view.last_batch_kind == "revert",
    )
    assert all(r.stage == "Two-choice, high contrast" for r in view.rows)
    for name, ms in figures.items():
        print(f"  stall_ms {name}: {ms:.0f} (the GUI thread's own work in it: {busy[name]:.0f} ms)")
    print(f"  stall_ms evaluate {n} (not in the goal): {evaluate:.0f} (own work: {evaluate_busy:.0f} ms)")
    window.document.undo_stack.clear()
    window.close()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"gui_stall_ms: {max(figures.values()):.0f}")


if __name__ == "__main__":
    main()
