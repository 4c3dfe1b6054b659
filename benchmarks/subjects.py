"""The subjects table with 10,000 subjects: load from the store into the Qt model, and filter per keystroke.

Prints ``table_load_10k_s: S`` (``Workspace.subjects()`` + the table model + the proxy, goal S <= 0.3),
its parts, ``filter_keystroke_ms: M`` (the slowest keystroke while typing a filter, goal <= 50 ms; the
mean too), the status filter and a sort. The cohort is registered on a temporary SQLite file (set-up,
not timed); a tenth of it has a pending session so the statuses vary.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/subjects.py [--subjects N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from curriculum_gui.resources import example
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTableView

from curriculum_gui.core import native_format
from curriculum_gui.gui.subjects.table_model import NEW_METRICS, SubjectFilterProxy, SubjectTableModel
from curriculum_gui.store import Workspace

HEADER = "subject,session,date,accuracy,trials,bias,weight_fraction,licks_per_reward\n"


def build(db: Path, n: int) -> Workspace:
    ws = Workspace.open(db)
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


if __name__ == "__main__":
    main()
