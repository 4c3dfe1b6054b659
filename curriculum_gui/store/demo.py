"""A demo cohort, so a newcomer sees every feature at once (``curriculum-gui demo``, the app's first start).

The bundled example curricula are published, and a version 2.0.0 of the two-choice one with easier
criteria for leaving warm-up and two-choice (what a lab would try to speed training up). A dozen mice on
1.0.0 (most enrolled in the first two weeks, three late) and a dozen on 2.0.0 (enrolled alongside, on
rig-5 and rig-6) learn at different speeds over six weeks of weekday sessions, enough for the version
comparison to say something. Their synthetic metrics (accuracy and trials rise, bias and licks per reward
fall, with noise) go through the real import → evaluate → apply cycle day by day, so the stages,
parameters and the "why" of every step are the trainer's own; the last day's sessions are left for review
(pending suggestions). A few overrides and one eject, with reasons and operators, fill the history. Every
mouse has a baseline weight and is weighed with each session (a ``weight_g`` column, as a rig would write
it), runs Monday to Friday on its rig (the schedule), and the mice of rig-1 and rig-2 were weighed this
morning, one of them under the lab's threshold. Four mice of the second dozen show every kind of
attention: M13 is stuck (over its stage's budget and slower than the cohort), M14 is losing weight, M15 has
not trained for a week and M16 is slipping. Seeded: the same cohort every time (the first dozen as before
the second was added: the second draws from generators of its own).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from ..core import native_format
from ..core.metrics_import import MetricsRow
from ..core.model import Curriculum, ExpressionRule
from ..core.schedule import ScheduleEntry
from ..resources import examples
from . import evaluation, metrics, positions, rigs, subjects, weights
from .errors import StoreError
from .records import SubjectInfo
from .workspace import Workspace

COHORT = 12  # on 1.0.0; as many again on 2.0.0
WEEKS = 6
V2 = "2.0.0"
# 2.0.0 eases the way out of warm-up and out of two-choice (same stages, same ids).
V2_RULES = {
    ("warmup", "two_choice"): "mean(last(accuracy, 2)) >= 0.6 and last(trials, 1)[0] >= 150",
    ("two_choice", "contrast"): "mean(last(accuracy, 2)) >= 0.72 and bias < 0.25",
}
STUCK, LOSING_WEIGHT, AWAY, SLIPPING = "M13", "M14", "M15", "M16"
OPERATORS = ("alice", "bob", "chen")
GENOTYPES = ("C57BL/6J", "VGAT-Cre", "PV-Cre;Ai32")


@dataclass
class _Mouse:
    info: SubjectInfo
    start: int  # day index of its first session
    speed: float  # how fast it learns
    sessions: int = 0
    active: bool = True
    version: int = 0  # the curriculum version it is enrolled on
    rng: random.Random | None = None  # its own generator (the second dozen), else the cohort's
    last_day: int | None = None  # no sessions after this day index (not trained for days)
    end_sessions: int = 0  # the sessions it will have had by the end


def create_demo(ws: Workspace, today: date | None = None, seed: int = 5, second_version: bool = True) -> int:
    """Fill an empty database with the demo cohort; returns the number of subjects. Refuses a database
    that already holds data (nothing there is touched). ``second_version=False``: only the first dozen,
    on 1.0.0 (a lab before it published a second version; the same mice, days and events)."""
    if not ws.is_empty():
        raise StoreError(f"{ws.where} already holds data: the demo needs an empty database")
    rng = random.Random(seed)
    today = today or date.today()
    first_day = today - timedelta(weeks=WEEKS)
    version_id = None
    for resource in examples():
        curriculum = native_format.loads(resource.read_text(encoding="utf-8"), resource.name)
        version = ws.publish(curriculum, operator=OPERATORS[0])
        version_id = version_id or version.id
    assert version_id is not None
    v2_id = (
        ws.publish(_version_2(ws.curriculum(version_id)), operator=OPERATORS[1]).id
        if second_version
        else None
    )
    mice = [
        _Mouse(
            SubjectInfo(
                f"M{n:02d}",
                sex="F" if n % 2 else "M",
                date_of_birth=first_day - timedelta(days=70 + rng.randrange(30)),
                genotype=GENOTYPES[n % len(GENOTYPES)],
                rig=f"rig-{1 + n % 4}",
                notes="demo subject",
            ),
            start=rng.randrange(0, 12) if n <= COHORT - 3 else 7 * WEEKS - 12 + 4 * (n - COHORT + 2),
            speed=rng.uniform(0.25, 1.4),
            version=version_id,
        )
        for n in range(1, COHORT + 1)
    ]
    weigh = random.Random(seed + 1)  # weights: their own stream, so the cohort's story stays the same
    baselines = {m.info.subject: round(weigh.uniform(20.0, 27.0), 1) for m in mice}
    mice = [replace(m, info=replace(m.info, baseline_weight_g=baselines[m.info.subject])) for m in mice]
    days = (today - first_day).days
    latest = max(d for d in range(days) if (first_day + timedelta(days=d)).weekday() < 5)
    if v2_id is not None:
        mice += _second_dozen(first_day, v2_id, latest, seed, baselines)
    for m in mice:
        end = latest if m.last_day is None else min(latest, m.last_day)
        m.end_sessions = sum((first_day + timedelta(days=d)).weekday() < 5 for d in range(m.start, end + 1))
    for day in range(days):
        when = first_day + timedelta(days=day)
        at = datetime.combine(when, time(17, 0), UTC)
        operator = OPERATORS[day % len(OPERATORS)]
        for version in (version_id, v2_id) if v2_id is not None else (version_id,):
            starting = [m.info for m in mice if m.start == day and m.version == version]
            if starting:
                subjects.register(ws, starting, version, None, operator, at=at)
        if when.weekday() >= 5:
            continue  # no sessions at weekends
        rows = [
            _session(m, when, m.rng or rng)
            for m in mice
            if m.active and day >= m.start and (m.last_day is None or day <= m.last_day)
        ]
        for row in rows:
            row.values["weight_g"] = round(baselines[row.subject] * row.values["weight_fraction"], 1)
        if not rows:
            continue
        metrics.import_rows(ws, rows, "demo", at=at)
        if day == latest:
            continue  # the latest sessions (Friday's, on a Monday) wait for review: pending suggestions
        evaluation.apply(ws, evaluation.evaluate(ws, None), operator, None, at=at)
        _events_of_the_day(ws, mice, at)
    _the_rigs(ws, mice, today, baselines, weigh)
    return len(mice)


def _the_rigs(
    ws: Workspace, mice: list[_Mouse], today: date, baselines: dict[str, float], weigh: random.Random
) -> None:
    """Monday to Friday on each mouse's own rig, in id order; this morning's weigh-in on rig-1 and rig-2
    (M05 at 77% of its baseline)."""
    by_rig: dict[str, list[str]] = {}
    for m in mice:
        by_rig.setdefault(m.info.rig or "rig-1", []).append(m.info.subject)
    entries = [
        ScheduleEntry(subject, rig, "1111100", slot)
        for rig, subjects in by_rig.items()
        for slot, subject in enumerate(sorted(subjects), 1)
    ]
    rigs.set_schedule(ws, entries, OPERATORS[0])
    for subject in by_rig.get("rig-1", []) + by_rig.get("rig-2", []):
        fraction = 0.77 if subject == "M05" else weigh.uniform(0.84, 0.95)
        weights.record_weight(
            ws, subject, round(baselines[subject] * fraction, 1), today, None, "rig", OPERATORS[1]
        )


def _version_2(v1: Curriculum) -> Curriculum:
    """2.0.0: the same stages with easier ways out of warm-up and two-choice."""
    v2 = v1.model_copy(deep=True)
    v2.version = V2
    v2.description += " Version 2.0.0 eases the criteria for leaving warm-up and two-choice."
    for t in v2.stage_transitions:
        text = V2_RULES.get((t.source, t.destination))
        if text is not None:
            t.rule = ExpressionRule(expression=text)
    return v2


def _second_dozen(
    first_day: date, version: int, latest: int, seed: int, baselines: dict[str, float]
) -> list[_Mouse]:
    """The mice on 2.0.0, enrolled alongside the first dozen on rigs of their own (rig-5, rig-6: the
    first dozen's rigs and schedules stay as they were); four of them need attention at the end.
    ``baselines`` gets their baseline weights."""
    rng = random.Random(seed * 1000 + 2)
    weigh = random.Random(seed * 1000 + 3)
    mice = []
    for n in range(COHORT + 1, 2 * COHORT + 1):
        subject = f"M{n:02d}"
        baselines[subject] = round(weigh.uniform(20.0, 27.0), 1)
        mouse = _Mouse(
            SubjectInfo(
                subject,
                sex="F" if n % 2 else "M",
                date_of_birth=first_day - timedelta(days=70 + rng.randrange(30)),
                genotype=GENOTYPES[n % len(GENOTYPES)],
                rig=f"rig-{5 + n % 2}",
                baseline_weight_g=baselines[subject],
                notes="demo subject",
            ),
            start=rng.randrange(0, 10),
            speed=0.12 if subject == STUCK else rng.uniform(0.25, 1.4),
            version=version,
            rng=random.Random(seed * 1000 + n),
        )
        if subject == STUCK:
            mouse.start = 0
        if subject == AWAY:
            mouse.last_day = latest - 7  # off the rig for a week (it is still on its curriculum)
        mice.append(mouse)
    return mice


def _session(mouse: _Mouse, when: date, rng: random.Random) -> MetricsRow:
    mouse.sessions += 1
    skill = 1 - math.exp(-mouse.speed * mouse.sessions / 14)
    accuracy = min(0.98, max(0.3, 0.5 + 0.42 * skill + rng.gauss(0, 0.04)))
    trials = max(20, round(60 + 360 * skill + rng.gauss(0, 25)))
    values = {
        "accuracy": round(accuracy, 3),
        "trials": trials,
        "bias": round(min(1.0, max(0.0, 0.4 * (1 - skill) + rng.gauss(0, 0.05))), 3),
        "weight_fraction": round(min(1.0, max(0.7, 0.88 + rng.gauss(0, 0.03))), 3),
        "licks_per_reward": round(max(1.0, 11 - 8 * skill + rng.gauss(0, 0.6)), 2),
    }
    _trouble(mouse, values)
    return MetricsRow(0, mouse.info.subject, f"{when:%Y%m%d}-{mouse.info.subject}", when, values)


def _trouble(mouse: _Mouse, values: dict) -> None:
    """The last sessions of the mice that need attention: weight falling, accuracy dropping."""
    remaining = mouse.end_sessions - mouse.sessions if mouse.end_sessions else None
    if remaining is None or remaining >= 4:
        return
    if mouse.info.subject == LOSING_WEIGHT:  # 0.84, 0.81, 0.78, 0.76 over the last four sessions
        values["weight_fraction"] = (0.84, 0.81, 0.78, 0.76)[3 - remaining]
    if mouse.info.subject == SLIPPING and remaining < 3:  # the last three sessions fall apart
        values["accuracy"] = round(values["accuracy"] - 0.22, 3)


def _events_of_the_day(ws: Workspace, mice: list[_Mouse], at: datetime) -> None:
    """The manual changes of the story, at set points of a mouse's training (every kind of event)."""
    later = at + timedelta(minutes=30)
    by_id = {m.info.subject: m for m in mice}
    if by_id["M03"].sessions == 1 and ws.subject("M03").stage == "Habituation":
        positions.override(
            ws, "M03", "Warm-up: one side", None, None,
            "already trained on the spout in a pilot; skipping habituation (approved by PI)", "bob", None,
            at=later,
        )  # fmt: skip
    if by_id["M07"].active and by_id["M07"].sessions == 12:
        by_id["M07"].active = False
        positions.eject(
            ws, "M07", "weight below 80% of baseline for two days: off water restriction, vet informed",
            "chen", None, at=later,
        )  # fmt: skip
    m10 = ws.subject("M10") if by_id["M10"].sessions == 3 else None
    if m10 is not None and m10.last_change == "automatic" and m10.stage_id:
        params = dict(m10.parameters)
        if "reward_volume_ul" in params:
            params["reward_volume_ul"] = round(float(params["reward_volume_ul"]) + 0.5, 2)
        positions.override(
            ws, "M10", m10.stage_id, None, params,
            "disengaged after rig-2 maintenance: larger rewards for a few days", "alice", None, at=later,
        )  # fmt: skip
