"""Attention and stage statistics of 1,000 subjects × 100 sessions, read from a SQLite file.

The cohort (the bundled example curriculum, with its attention rules) trains for 100 weekdays, one
session a day, each day imported, evaluated and applied through the store as a lab would (set-up, timed
apart, a few minutes). Then, timed: ``Workspace.overview()`` (every subject's alerts, the cohort's pace
included, and every stage's counts and Kaplan–Meier estimates, from one reading of the history) and the
survival curve to each stage. Prints the parts; the last line is ``stats_seconds: S`` (goal S <= 1.0;
scipy's first import, about a second, is printed apart: the app pays it once).

    .venv/bin/python benchmarks/stats.py [--subjects N] [--sessions N] [--db FILE]

``--db FILE``: keep (or reuse) the cohort there instead of a temporary file.
"""

from __future__ import annotations

import argparse
import math
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from curriculum_gui.resources import example

from curriculum_gui.core import native_format
from curriculum_gui.core.metrics_import import MetricsRow
from curriculum_gui.store import Workspace

FIRST_DAY = date(2025, 1, 6)  # a Monday


def weekdays(n: int) -> list[date]:
    days, day = [], FIRST_DAY
    while len(days) < n:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def build(ws: Workspace, subjects: int, sessions: int) -> None:
    rng = random.Random(13)
    version = ws.publish(native_format.loads(example().read_text(encoding="utf-8")), operator="bench")
    ids = [f"B{i:05d}" for i in range(subjects)]
    speed = {s: rng.uniform(0.05, 1.5) for s in ids}  # some never get far: attention has work
    ws.register(ids, version.id, operator="bench")
    started = time.perf_counter()
    for n, day in enumerate(weekdays(sessions), 1):
        rows = []
        for sid in ids:
            skill = 1 - math.exp(-speed[sid] * n / 14)
            values = {
                "accuracy": round(min(0.98, max(0.3, 0.5 + 0.42 * skill + rng.gauss(0, 0.04))), 3),
                "trials": max(20, round(60 + 360 * skill + rng.gauss(0, 25))),
                "bias": round(min(1.0, max(0.0, 0.4 * (1 - skill) + rng.gauss(0, 0.05))), 3),
                "weight_fraction": round(min(1.0, max(0.7, 0.88 + rng.gauss(0, 0.03))), 3),
                "licks_per_reward": round(max(1.0, 11 - 8 * skill + rng.gauss(0, 0.6)), 2),
            }
            rows.append(MetricsRow(0, sid, f"{day:%Y%m%d}-{sid}", day, values))
        from curriculum_gui.store import evaluation, metrics  # (the services the app's days go through)

        metrics.import_rows(ws, rows, "bench")
        evaluation.apply(ws, evaluation.evaluate(ws, None), "bench", None)
        if n % 10 == 0:
            print(f"  set-up: {n} days in {time.perf_counter() - started:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.db or Path(folder) / "stats.sqlite3"
        fresh = not path.exists()
        ws = Workspace.open(path, create=fresh)
        if fresh:
            t = time.perf_counter()
            build(ws, args.subjects, args.sessions)
            print(f"set-up (register, import, evaluate, apply day by day): {time.perf_counter() - t:.1f} s")
        today = weekdays(args.sessions)[-1] + timedelta(days=1)
        t = time.perf_counter()
        from scipy import stats  # noqa: F401

        print(f"scipy.stats first import: {time.perf_counter() - t:.2f} s (not counted)")
        best = math.inf
        for _ in range(3):
            t0, c0 = time.perf_counter(), time.process_time()
            overview = ws.overview(today=today)
            (statistics,) = overview.statistics.values()
            curves = [statistics.reach_curve(row.stage_id) for row in statistics.stages]
            t1, c1 = time.perf_counter(), time.process_time()
            best = min(best, t1 - t0)
            print(f"  attention and stage statistics: {t1 - t0:.3f} s (CPU {c1 - c0:.3f} s)")
        alerts = overview.attention
        flagged = len(alerts)
        print(
            f"{len(ws.subjects())} subjects, {statistics.enrolled} runs, {flagged} need attention, "
            f"{statistics.graduated} graduated, {len(curves)} curves"
        )
        for row in statistics.stages:
            print(
                f"  {row.name:28} entered {row.entered:5}  median {row.sessions.median} sessions "
                f"(IQR {row.sessions.q1}-{row.sessions.q3})"
            )
        ws.close()
        print(f"stats_seconds: {best:.3f}")


if __name__ == "__main__":
    main()
