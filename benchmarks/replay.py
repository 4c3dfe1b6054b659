"""What-if replay and migration dry run at lab scale.

1. 1,000 subjects x 100 sessions, made through the store day by day (import, evaluate, apply: set-up,
   not timed; kept in ``--db`` between runs), then an edited curriculum replayed over every history, read
   from the SQLite file. Last line ``replay_seconds: S`` (goal S <= 2.0).
2. 10,000 subjects spread over the stages of version 1, moved to version 2 in a dry run:
   ``migrate_dry_run_10k_s: S`` (goal <= 1.0).

    .venv/bin/python benchmarks/replay.py [--subjects N] [--sessions N] [--db PATH]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from curriculum_gui.resources import example

from curriculum_gui.core import native_format
from curriculum_gui.core.metrics_import import MetricsRow
from curriculum_gui.core.model import Curriculum
from curriculum_gui.store import Workspace, evaluation, metrics

START = date(2025, 1, 6)


def _curriculum() -> Curriculum:
    return native_format.loads(example().read_text(encoding="utf-8"))


def _edit(curriculum: Curriculum) -> Curriculum:
    edit = curriculum.model_copy(deep=True)
    edit.version = "1.1.0"
    for t in edit.stage_transitions:
        if t.id == "t4":
            t.rule.expression = "mean(last(accuracy, 3)) >= 0.85 and bias < 0.2"
    edit.stage("two_choice").task.parameters["iti_s"] = 2.5
    return edit


def build(db: Path, subjects: int, sessions: int) -> None:
    """Every subject, every day: a session imported, evaluated and applied (as a lab's days go)."""
    rng = random.Random(7)
    speed = [rng.uniform(0.02, 0.15) for _ in range(subjects)]
    ids = [f"R{i:05d}" for i in range(subjects)]
    t0 = time.perf_counter()
    with Workspace.open(db, create=True) as ws:
        version = ws.publish(_curriculum(), operator="bench")
        at = datetime(2025, 1, 1, 9, tzinfo=UTC)
        ws.register(ids, version.id, operator="bench")
        for day in range(sessions):
            when = START + timedelta(days=day)
            rows = []
            for i, sid in enumerate(ids):
                skill = 1 - 2.718 ** (-speed[i] * (day + 1))
                values = {
                    "accuracy": round(min(0.99, 0.45 + 0.5 * skill + rng.gauss(0, 0.05)), 3),
                    "trials": max(20, round(60 + 380 * skill + rng.gauss(0, 30))),
                    "bias": round(min(1.0, max(0.0, 0.45 * (1 - skill) + rng.gauss(0, 0.08))), 3),
                    "weight_fraction": round(min(1.0, max(0.7, 0.86 + rng.gauss(0, 0.04))), 3),
                    "licks_per_reward": round(max(1.0, 11 - 8 * skill + rng.gauss(0, 0.8)), 2),
                }
                rows.append(MetricsRow(0, sid, f"{sid}-{day}", when, values))
            at += timedelta(days=1)
            metrics.import_rows(ws, rows, "bench", at=at)
            evaluation.apply(ws, evaluation.evaluate(ws, None), "bench", None, at=at + timedelta(hours=1))
            if day % 10 == 9:
                print(
                    f"  set-up: {day + 1} of {sessions} days ({time.perf_counter() - t0:.0f} s)", flush=True
                )


def replay_figure(db: Path) -> float:
    with Workspace.open(db) as ws:
        edit = _edit(ws.curriculum(ws.versions()[0].id))
        t0 = time.perf_counter()
        result = ws.replay(edit)
        elapsed = time.perf_counter() - t0
        steps = sum(len(s.steps) for s in result.subjects)
        same = ws.replay(ws.curriculum(ws.versions()[0].id))
    s = result.summary
    print(
        f"  replayed {s.replayed} subjects, {steps} sessions: {s.changed} would move differently, "
        f"{s.parameters_changed} more get other parameters; the published version itself: "
        f"{same.summary.changed} differences"
    )
    return elapsed


def migrate_figure(folder: Path, n: int = 10_000) -> float:
    curriculum = _curriculum()
    v2 = _edit(curriculum)
    with Workspace.open(folder / "migrate.sqlite3", create=True) as ws:
        v1_id = ws.publish(curriculum).id
        v2_id = ws.publish(v2).id
        stages = [s.id for s in curriculum.stages]
        per = n // len(stages)
        for k, stage in enumerate(stages):
            ws.register([f"M{k}-{i:05d}" for i in range(per)], v1_id, start_stage=stage)
        t0 = time.perf_counter()
        plan = ws.plan_migration(v2_id, from_version_id=v1_id)
        elapsed = time.perf_counter() - t0
        assert plan.ready and len(plan.moves) == per * len(stages)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1_000)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--db", type=Path, help="keep the replay database here (built once)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = args.db or folder / "replay.sqlite3"
        if not db.exists():
            print(f"building {args.subjects} subjects x {args.sessions} sessions in {db} (set-up, not timed)")
            build(db, args.subjects, args.sessions)
        migrate = migrate_figure(folder)
        print(f"migrate_dry_run_10k_s: {migrate:.3f}")
        replay = min(replay_figure(db) for _ in range(3))
        print(f"replay_seconds: {replay:.3f}")


if __name__ == "__main__":
    main()
