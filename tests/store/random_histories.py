"""Random but reproducible subject histories made through the real store: imports (some late, some with a
metric missing), evaluations applied in full or in part, and every kind of manual change (override, eject,
re-enroll, revert, undo of a batch, a move to another version). A fake clock orders everything."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from curriculum_gui.core.metrics_import import MetricsRow
from curriculum_gui.store import StoreError, Workspace, evaluation, metrics, positions, subject_migration
from curriculum_gui.store import subjects as subject_ops

START = date(2025, 3, 3)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

    def tick(self) -> datetime:
        self.now += timedelta(minutes=7)
        return self.now


def session_values(rng: random.Random, skill: float, missing: bool) -> dict:
    values = {
        "accuracy": round(min(0.99, max(0.3, 0.45 + 0.5 * skill + rng.gauss(0, 0.06))), 3),
        "trials": max(20, round(60 + 380 * skill + rng.gauss(0, 30))),
        "bias": round(min(1.0, max(0.0, 0.45 * (1 - skill) + rng.gauss(0, 0.08))), 3),
        "weight_fraction": round(min(1.0, max(0.7, 0.86 + rng.gauss(0, 0.04))), 3),
        "licks_per_reward": round(max(1.0, 11 - 8 * skill + rng.gauss(0, 0.8)), 2),
    }
    if missing:
        del values[rng.choice(["accuracy", "trials", "bias"])]
    return values


def make_history(
    ws: Workspace,
    version_ids: list[int],
    seed: int,
    subjects: int = 6,
    days: int = 30,
    manual: bool = True,
    late: bool = True,
    missing: bool = True,
) -> list[str]:
    """Fill ``ws`` (with the versions published) with a random cohort; returns the subject ids."""
    rng = random.Random(seed)
    clock = Clock()
    names = [f"S{seed}-{n}" for n in range(subjects)]
    start = {name: rng.randrange(0, 5) for name in names}
    speed = {name: rng.uniform(0.05, 0.2) for name in names}
    done = {name: 0 for name in names}
    taken: set[tuple[str, date]] = set()
    batches: list[str] = []
    for day in range(days):
        when = START + timedelta(days=day)
        for name in names:
            if start[name] == day:
                subject_ops.register(ws, [name], rng.choice(version_ids), None, "t", at=clock.tick())
        rows = []
        for name in names:
            if day < start[name] or rng.random() > 0.85:
                continue
            done[name] += 1
            skill = 1 - pow(2.718, -speed[name] * done[name])
            rows.append(
                MetricsRow(
                    0,
                    name,
                    f"{name}-{when}",
                    when,
                    session_values(rng, skill, missing and rng.random() < 0.1),
                )
            )
            taken.add((name, when))
        old_enough = [n for n in names if start[n] < day - 3]
        if late and old_enough and rng.random() < 0.15:
            name = rng.choice(old_enough)
            earlier = when - timedelta(days=rng.randrange(1, 4))
            if (name, earlier) not in taken:
                taken.add((name, earlier))
                rows.append(
                    MetricsRow(0, name, f"{name}-{earlier}-late", earlier, session_values(rng, 0.5, False))
                )
        if rows:
            metrics.import_rows(ws, rows, "random", at=clock.tick())
        if rng.random() < 0.8:
            suggestions = evaluation.evaluate(ws, None)
            if rng.random() < 0.3:
                suggestions = [s for s in suggestions if rng.random() < 0.5]
            result = evaluation.apply(ws, suggestions, "t", None, at=clock.tick())
            if result.batch:
                batches.append(result.batch)
        if manual:
            _manual(ws, rng, clock, names, start, day, version_ids, batches)
    return names


def _manual(
    ws: Workspace,
    rng: random.Random,
    clock: Clock,
    names: list[str],
    start: dict[str, int],
    day: int,
    version_ids: list[int],
    batches: list[str],
) -> None:
    present = [n for n in names if start[n] <= day]
    if not present or rng.random() > 0.35:
        return
    name = rng.choice(present)
    row = ws.subject(name)
    kind = rng.choice(["override", "override", "eject", "reenroll", "revert", "revert", "batch", "migrate"])
    try:
        if kind == "override":
            stage = rng.choice(ws.curriculum(row.curriculum_version_id).stages)
            params = None
            if rng.random() < 0.5 and stage.task.parameters:
                params = dict(stage.task.parameters)
                key = rng.choice(sorted(params))
                if isinstance(params[key], float):
                    params[key] = round(params[key] * 1.1, 3)
            positions.override(
                ws, name, stage.id, None, params, "random override", "t", None, at=clock.tick()
            )
        elif kind == "eject":
            positions.eject(ws, name, "random eject", "t", None, at=clock.tick())
        elif kind == "reenroll":
            positions.reenroll(ws, name, None, None, "random", "t", None, at=clock.tick())
        elif kind == "revert":
            positions.revert(ws, name, "random", "t", None, at=clock.tick())
        elif kind == "batch" and batches:
            positions.revert_batch(ws, rng.choice(batches), "random", "t", at=clock.tick())
        elif kind == "migrate" and len(version_ids) > 1:
            others = [v for v in version_ids if v != row.curriculum_version_id]
            plan = subject_migration.plan(ws, rng.choice(others), [name])
            subject_migration.apply(ws, plan, "t", "random move", at=clock.tick())
    except StoreError:
        pass  # refused (off curriculum, nothing to revert, changed since): as a person would see it
