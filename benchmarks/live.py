"""Live updates between two processes: how long from a write in one to the other's subjects model showing
it, and what the change check costs while nothing happens.

A viewer process opens the subjects screen (the real ``SubjectsView`` model) with the app's live updates
(:class:`curriculum_gui.gui.live.LiveUpdates`, wired as the main window wires it); this process then
overrides one subject at a time, at random moments, and takes the time from its commit to the viewer's
model showing the new stage (both clocks are this machine's ``time.time()``). Then the viewer sits idle
for a while and reports its own CPU time, and the cost of one change check.

Prints the delays (median, 90th percentile, max), ``idle_cpu_percent: C`` (the whole idle viewer:
event loop and change checks; goal <= 1), ``check_us: U`` (one change check) and, last,
``live_update_ms: M`` (the median delay; goal <= 1000).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/live.py [--subjects N] [--writes K] [--db URL]

Without ``--db`` a temporary SQLite file is used; ``--db postgresql://...`` measures LISTEN/NOTIFY
(the database must be empty).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

STAGES = ("Warm-up: one side", "Habituation")


def viewer(db: str, idle_seconds: float) -> int:
    """The other rig's window: prints ``ready``, then ``seen SUBJECT STAGE TIME`` for every change its
    model shows, and after ``idle`` on stdin, ``idle CPU_PERCENT CHECK_US``."""
    from PySide6.QtCore import QSocketNotifier, QTimer
    from PySide6.QtWidgets import QApplication

    from curriculum_gui.gui.live import LiveUpdates
    from curriculum_gui.gui.subjects.view import SubjectsView
    from curriculum_gui.store import Workspace

    app = QApplication([])
    ws = Workspace.open(db)
    view = SubjectsView(ws)
    live = LiveUpdates(ws)
    live.paused = lambda: view.busy
    live.changed.connect(view.refresh)
    shown = {r.subject: r.stage for r in view.rows}

    def compare() -> None:
        now = time.time()
        for row in view.rows:
            if shown.get(row.subject) != row.stage:
                shown[row.subject] = row.stage
                print(f"seen {row.subject} {row.stage!r} {now:.6f}", flush=True)

    view.refreshed.connect(compare)

    def command() -> None:
        line = sys.stdin.readline().strip()
        if line == "idle":
            start_cpu, start = time.process_time(), time.perf_counter()

            def report() -> None:
                cpu = (time.process_time() - start_cpu) / (time.perf_counter() - start) * 100
                watcher = ws.change_watcher()
                t = time.perf_counter()
                for _ in range(2000):
                    watcher.poll()
                check_us = (time.perf_counter() - t) / 2000 * 1e6
                watcher.close()
                print(f"idle {cpu:.3f} {check_us:.2f}", flush=True)
                app.quit()

            QTimer.singleShot(int(idle_seconds * 1000), report)
        elif line in ("", "quit"):
            app.quit()

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(command)
    print("ready", flush=True)
    app.exec()
    live.stop()
    ws.close()
    return 0


def build(db: str, n: int) -> None:
    from curriculum_gui.resources import example

    from curriculum_gui.core import native_format
    from curriculum_gui.store import Workspace

    with Workspace.open(db, create=True) as ws:
        version = ws.publish(native_format.loads(example().read_text(encoding="utf-8")), operator="bench")
        ws.register([f"B{i:04d}" for i in range(n)], version.id, operator="bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=200)
    parser.add_argument("--writes", type=int, default=25)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle for the CPU figure")
    parser.add_argument("--db", help="an empty database (default: a temporary SQLite file)")
    parser.add_argument("--viewer", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.viewer:
        sys.exit(viewer(args.viewer, args.idle))

    from curriculum_gui.store import Workspace

    folder = tempfile.mkdtemp(prefix="live-bench-")
    db = args.db or str(Path(folder) / "live.sqlite3")
    build(db, args.subjects)
    print(f"load average before: {os.getloadavg()[0]:.2f} (on {os.cpu_count()} CPUs)")
    child = subprocess.Popen(
        [sys.executable, __file__, "--viewer", db, "--idle", str(args.idle)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    rng = random.Random(14)
    delays = []
    with Workspace.open(db) as ws:
        for i in range(args.writes):
            time.sleep(rng.uniform(0.3, 0.7))  # a random phase against the viewer's checks
            subject = f"B{rng.randrange(args.subjects):04d}"
            stage = STAGES[0] if ws.subject(subject).stage != STAGES[0] else STAGES[1]
            ws.override(subject, stage, reason="benchmark", operator="bench")
            committed = time.time()
            while True:
                line = child.stdout.readline().split()
                if line[:2] == ["seen", subject]:
                    delays.append((float(line[-1]) - committed) * 1000)
                    break
            print(f"write {i + 1}: {delays[-1]:.0f} ms", flush=True)
    child.stdin.write("idle\n")
    child.stdin.flush()
    line = child.stdout.readline().split()
    child.stdin.close()
    child.wait(timeout=60)
    cpu, check_us = float(line[1]), float(line[2])
    ordered = sorted(delays)
    print(f"backend: {'sqlite' if not args.db else db.split(':', 1)[0]}, {args.subjects} subjects")
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    print(f"delay_ms: median {statistics.median(delays):.0f}, p90 {p90:.0f}, max {ordered[-1]:.0f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(f"idle_cpu_percent: {cpu:.2f}")
    print(f"check_us: {check_us:.1f}")
    print(f"live_update_ms: {statistics.median(delays):.0f}")


if __name__ == "__main__":
    main()
