"""How long each stage takes, and whether one curriculum version (or group of subjects) is faster.

Pure, over :class:`~.progress.Run` s. Time is counted in sessions or in calendar days. The estimates are
Kaplan–Meier (scipy's censored empirical CDF): a subject still in a stage, or ejected from it, counts as
*censored* (we know it took at least that long), never as a failure, and never as a success. Quantiles are
the smallest time by which that fraction is estimated to have happened (None when it has not happened
yet, e.g. fewer than half have left a stage: the median is then "not reached").

* per stage: visits that entered it, left forward, regressed, are still in it, were ejected; time in the
  stage (event: leaving it, forward or back); time from enrollment to first reaching it;
* :func:`compare`: per stage, the time to meet its criterion (event: leaving forward; each subject's first
  visit, since the test needs one observation per subject) in two arms, with the median's 95 % confidence
  interval (Brookmeyer–Crowley, from the log-log band of the survival function), the log-rank test's
  p-value and a sentence that says when the numbers are too few to tell.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .progress import EJECTED, FORWARD, REGRESSED, Run, Visit

SESSIONS, DAYS = "sessions", "days"
UNITS = (SESSIONS, DAYS)
ALPHA = 0.05
POWER = 0.8
MIN_EVENTS = 5  # fewer subjects than this met a criterion in an arm: too few to tell


def _stats() -> Any:
    from scipy import stats  # a second to import: only when figures are asked for

    return stats


Observation = tuple[float, bool]  # (time, observed: True for the event, False for censored)


@dataclass(frozen=True, slots=True)
class Estimate:
    """Kaplan–Meier summary of ``n`` times (``events`` of them observed, the rest censored)."""

    n: int
    events: int
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    median_low: float | None = None  # 95 % confidence interval of the median (None: not bounded)
    median_high: float | None = None

    def iqr_text(self) -> str:
        """``7 (6–9)``: median (quartiles); ``—`` when nothing happened, ``>12`` not reached yet."""
        if self.events == 0:
            return "—"
        if self.median is None:
            return "not reached"
        return f"{_number(self.median)} ({_number(self.q1)}–{_number(self.q3)})"

    def ci_text(self) -> str:
        """``7 [5–9]``: median [95 % confidence interval] (``…`` for an open end)."""
        if self.events == 0:
            return "—"
        if self.median is None:
            return "not reached"
        return f"{_number(self.median)} [{_number(self.median_low)}–{_number(self.median_high)}]"

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "events": self.events,
            "median": self.median,
            "q1": self.q1,
            "q3": self.q3,
            "median_ci": [self.median_low, self.median_high],
        }


@dataclass(frozen=True, slots=True)
class Curve:
    """A cumulative curve: the fraction for whom the event happened by each time (step function, from 0),
    with its pointwise 95 % band; ``points``: each subject's (subject, time, observed) for the markers."""

    times: tuple[float, ...]
    fraction: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    points: tuple[tuple[str, float, bool], ...] = ()

    def at(self, t: float) -> float:
        """The fraction by time ``t``."""
        value = 0.0
        for time, fraction in zip(self.times, self.fraction, strict=True):
            if time > t:
                break
            value = fraction
        return value


def _ecdf(observations: Sequence[Observation]) -> Any:
    stats = _stats()
    done = [t for t, seen in observations if seen]
    censored = [t for t, seen in observations if not seen]
    return stats.ecdf(stats.CensoredData(uncensored=done, right=censored))


def _quantile(times: Sequence[float], survival: Sequence[float], p: float) -> float | None:
    """The smallest time at which the survival function has fallen to ``1 - p`` or below."""
    target = 1.0 - p + 1e-12
    for t, s in zip(times, survival, strict=True):
        if s <= target:
            return float(t)
    return None


def estimate(observations: Sequence[Observation]) -> Estimate:
    """Median, quartiles and the median's 95 % interval of censored times (Kaplan–Meier)."""
    n = len(observations)
    events = sum(1 for _, seen in observations if seen)
    if events == 0:
        return Estimate(n, 0)
    result = _ecdf(observations)
    sf = result.sf
    times, survival = list(sf.quantiles), list(sf.probabilities)
    band = _band(sf)
    low, high = list(band.low.probabilities), list(band.high.probabilities)
    return Estimate(
        n,
        events,
        _quantile(times, survival, 0.5),
        _quantile(times, survival, 0.25),
        _quantile(times, survival, 0.75),
        _quantile(times, _filled(low, survival), 0.5),
        _quantile(times, _filled(high, survival), 0.5),
    )


def _band(function: Any) -> Any:
    """The pointwise 95 % band (log-log). At 0 and 1 it is undefined (NaN, with a warning scipy gives for
    that very reason): callers take 0 or 1 there."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return function.confidence_interval(confidence_level=0.95, method="log-log")


def _filled(band: Sequence[float], estimate: Sequence[float]) -> list[float]:
    """A band with its undefined points (where the estimate is exactly 0 or 1) set to the estimate."""
    return [e if b is None or math.isnan(b) else float(b) for b, e in zip(band, estimate, strict=True)]


def curve(observations: Sequence[Observation], subjects: Sequence[str] = ()) -> Curve:
    """The cumulative fraction for whom the event happened, by time, with its 95 % band (log-log)."""
    points = tuple(
        (subject, float(t), bool(seen)) for subject, (t, seen) in zip(subjects, observations, strict=False)
    )
    if not any(seen for _, seen in observations):
        return Curve((0.0,), (0.0,), (0.0,), (0.0,), points)
    result = _ecdf(observations)
    cdf = result.cdf
    band = _band(cdf)
    times = (0.0, *(float(t) for t in cdf.quantiles))
    return Curve(
        times,
        (0.0, *(float(p) for p in cdf.probabilities)),
        (0.0, *_filled(band.low.probabilities, cdf.probabilities)),
        (0.0, *_filled(band.high.probabilities, cdf.probabilities)),
        points,
    )


# --- per stage --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DwellPoint:
    """One visit, for the dwell-time plot: who, how long (sessions, days), how it ended (None: still in)."""

    subject: str
    sessions: int
    days: int
    exit: str | None


@dataclass(frozen=True, slots=True)
class StageRow:
    stage_id: str
    name: str
    terminal: bool
    entered: int  # visits (a subject that came back counts again)
    subjects: int  # distinct subjects that entered
    forward: int
    regressed: int
    still: int
    ejected: int
    sessions: Estimate  # time in the stage (event: left it)
    days: Estimate
    reach_sessions: Estimate | None  # from enrollment to first reaching it (None: the start stage)
    reach_days: Estimate | None
    points: tuple[DwellPoint, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "stage_id": self.stage_id,
            "stage": self.name,
            "terminal": self.terminal,
            "entered": self.entered,
            "subjects": self.subjects,
            "left_forward": self.forward,
            "regressed": self.regressed,
            "still_in": self.still,
            "ejected": self.ejected,
            "sessions_in_stage": self.sessions.to_json(),
            "days_in_stage": self.days.to_json(),
            "sessions_to_reach": self.reach_sessions.to_json() if self.reach_sessions else None,
            "days_to_reach": self.reach_days.to_json() if self.reach_days else None,
        }


@dataclass(frozen=True, slots=True)
class StageInfo:
    id: str
    name: str
    terminal: bool = False


@dataclass(frozen=True)
class StageStatistics:
    """Figures of one group of runs: ``stages`` in curriculum order; ``graduated``: runs that reached a
    terminal stage."""

    label: str
    today: date
    runs: tuple[Run, ...]
    stages: tuple[StageRow, ...]
    graduated: int
    subjects: int
    terminal: frozenset[str] = field(default_factory=frozenset)

    @property
    def enrolled(self) -> int:
        return len(self.runs)

    def row(self, stage_id: str) -> StageRow | None:
        return next((r for r in self.stages if r.stage_id == stage_id), None)

    def reach_curve(self, stage_id: str, unit: str = SESSIONS) -> Curve:
        """The fraction that reached ``stage_id`` by each time since enrollment (Kaplan–Meier)."""
        observations, subjects = _reach(self.runs, stage_id, unit, self.today)
        return curve(observations, subjects)

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "today": self.today.isoformat(),
            "enrolled": self.enrolled,
            "subjects": self.subjects,
            "graduated": self.graduated,
            "stages": [r.to_json() for r in self.stages],
        }


def _time(visit: Visit, unit: str, today: date) -> int:
    return visit.sessions if unit == SESSIONS else visit.days(today)


def _reach(runs: Sequence[Run], stage_id: str, unit: str, today: date) -> tuple[list[Observation], list[str]]:
    """From enrollment to first reaching ``stage_id``; runs that have not reached it are censored at the
    time they have had (until today, or their end)."""
    observations: list[Observation] = []
    subjects: list[str] = []
    for run in runs:
        visit = run.first_visit(stage_id)
        if visit is not None:
            t = visit.entered_after if unit == SESSIONS else (visit.entered - run.enrolled).days
            observations.append((float(t), True))
        else:
            end = run.ended or today
            t = run.sessions if unit == SESSIONS else (end - run.enrolled).days
            observations.append((float(t), False))
        subjects.append(run.subject)
    return observations, subjects


def stage_statistics(
    runs: Sequence[Run], stages: Sequence[StageInfo], today: date, label: str = ""
) -> StageStatistics:
    """The per-stage figures of ``runs`` (``stages`` in curriculum order; see the module docstring)."""
    terminal = frozenset(s.id for s in stages if s.terminal)
    start = {run.visits[0].stage for run in runs if run.visits}
    rows = []
    for stage in stages:
        visits = [(run.subject, v) for run in runs for v in run.visits if v.stage == stage.id]
        exits = [v.exit for _, v in visits]

        def dwell(unit: str, visits: list[tuple[str, Visit]] = visits) -> Estimate:
            return estimate(
                [(float(_time(v, unit, today)), v.exit in (FORWARD, REGRESSED)) for _, v in visits]
            )

        reached = stage.id not in start or len(start) > 1
        rows.append(
            StageRow(
                stage.id,
                stage.name,
                stage.terminal,
                len(visits),
                len({s for s, _ in visits}),
                exits.count(FORWARD),
                exits.count(REGRESSED),
                exits.count(None),
                exits.count(EJECTED),
                dwell(SESSIONS),
                dwell(DAYS),
                estimate(_reach(runs, stage.id, SESSIONS, today)[0]) if reached else None,
                estimate(_reach(runs, stage.id, DAYS, today)[0]) if reached else None,
                tuple(DwellPoint(s, v.sessions, v.days(today), v.exit) for s, v in visits),
            )
        )
    graduated = sum(1 for run in runs if any(v.stage in terminal for v in run.visits))
    return StageStatistics(
        label, today, tuple(runs), tuple(rows), graduated, len({r.subject for r in runs}), terminal
    )


# --- comparing two arms -------------------------------------------------------------------------------


GRADUATION = "__graduation__"


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    """One stage (or graduation from enrollment, ``stage_id == GRADUATION``) in both arms."""

    stage_id: str
    name: str
    a: Estimate
    b: Estimate
    pvalue: float | None
    verdict: str

    def to_json(self) -> dict[str, Any]:
        return {
            "stage_id": None if self.stage_id == GRADUATION else self.stage_id,
            "stage": self.name,
            "a": self.a.to_json(),
            "b": self.b.to_json(),
            "logrank_p": self.pvalue,
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class Comparison:
    a_label: str
    b_label: str
    a: StageStatistics
    b: StageStatistics
    unit: str
    rows: tuple[ComparisonRow, ...]

    def criterion_curves(self, stage_id: str) -> tuple[Curve, Curve]:
        """Each arm's fraction that met ``stage_id`` 's criterion (or graduated) by each time."""
        return (
            curve(*_criterion(self.a.runs, stage_id, self.unit, self.a.today, self.a.terminal)),
            curve(*_criterion(self.b.runs, stage_id, self.unit, self.b.today, self.b.terminal)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a_label,
            "b": self.b_label,
            "unit": self.unit,
            "subjects": [self.a.enrolled, self.b.enrolled],
            "stages": [r.to_json() for r in self.rows],
        }


def _criterion(
    runs: Sequence[Run], stage_id: str, unit: str, today: date, terminal: frozenset[str]
) -> tuple[list[Observation], list[str]]:
    """Time to meet a stage's criterion: each run's first visit, observed when it left forward; or, for
    :data:`GRADUATION`, from enrollment to reaching a terminal stage."""
    if stage_id == GRADUATION:
        observations: list[Observation] = []
        for run in runs:
            first = next((v for v in run.visits if v.stage in terminal), None)
            if first is not None:
                t = first.entered_after if unit == SESSIONS else (first.entered - run.enrolled).days
                observations.append((float(t), True))
            else:
                t = run.sessions if unit == SESSIONS else ((run.ended or today) - run.enrolled).days
                observations.append((float(t), False))
        return observations, [r.subject for r in runs]
    observations, subjects = [], []
    for run in runs:
        visit = run.first_visit(stage_id)
        if visit is not None:
            observations.append((float(_time(visit, unit, today)), visit.exit == FORWARD))
            subjects.append(run.subject)
    return observations, subjects


def logrank_p(a: Sequence[Observation], b: Sequence[Observation]) -> float | None:
    """The log-rank test's two-sided p-value (None when an arm is empty or nothing happened)."""
    if not a or not b or not any(seen for _, seen in [*a, *b]):
        return None
    stats = _stats()

    def data(obs: Sequence[Observation]) -> Any:
        return stats.CensoredData(
            uncensored=[t for t, seen in obs if seen], right=[t for t, seen in obs if not seen]
        )

    with warnings.catch_warnings():  # every time the same in both arms: no variance, no test (NaN)
        warnings.simplefilter("ignore", RuntimeWarning)
        p = float(stats.logrank(data(a), data(b)).pvalue)
    return None if math.isnan(p) else p


def needed_per_arm(spread: float, change: float) -> int:
    """Subjects per arm to detect a difference of ``change`` in time with 80 % power at the 5 % level,
    for times whose standard deviation is about ``spread`` (normal approximation)."""
    stats = _stats()
    z = stats.norm.ppf(1 - ALPHA / 2) + stats.norm.ppf(POWER)
    return max(2, math.ceil(2 * (z * spread / change) ** 2))


def _spread(observations: Sequence[Observation]) -> tuple[float | None, float | None]:
    """(median, standard deviation from the interquartile range) of pooled times, when both are known."""
    pooled = estimate(observations)
    if pooled.median is None or pooled.q1 is None or pooled.q3 is None:
        return pooled.median, None
    iqr = pooled.q3 - pooled.q1
    return pooled.median, (iqr / 1.349 if iqr > 0 else None)


def _number(value: float | None) -> str:
    if value is None:
        return "…"
    return f"{value:g}"


def verdict(
    a: Estimate,
    b: Estimate,
    p: float | None,
    a_label: str,
    b_label: str,
    unit: str,
    pooled: Sequence[Observation],
) -> str:
    """The comparison of one stage in plain words, saying when the numbers are too few to tell."""
    if a.n == 0 or b.n == 0:
        return f"no subjects in {a_label if a.n == 0 else b_label}: nothing to compare"
    counts = f"{a.n} vs {b.n} subjects"
    median, spread = _spread(pooled)
    need = ""
    if median is not None and spread is not None:
        change = max(1, round(0.25 * median))
        need = (
            f"; about {needed_per_arm(spread, change)} per arm would be needed to detect a "
            f"{change}-{unit[:-1]} change"
        )
    if a.events < MIN_EVENTS or b.events < MIN_EVENTS:
        return f"{counts} ({a.events} and {b.events} met the criterion): too few to tell{need}"
    if p is not None and p < ALPHA:
        if a.median is not None and b.median is not None and a.median != b.median:
            fast = a_label if a.median < b.median else b_label
            low, high = sorted((a.median, b.median))
            return f"{fast} is faster: median {_number(low)} vs {_number(high)} {unit} (log-rank p = {p:.3f})"
        faster = a_label if a.events / a.n > b.events / b.n else b_label
        return f"{counts}: the arms differ (log-rank p = {p:.3f}); more of {faster} met the criterion"
    if p is None:
        if a.median == b.median and a.q1 == b.q1 and a.q3 == b.q3:
            return f"{counts}: the same in both (median {_number(a.median)} {unit})"
        return f"{counts}: no test possible{need}"
    return f"{counts}: no detectable difference (p = {p:.2f}){need}"


def compare(
    a: StageStatistics,
    b: StageStatistics,
    stages: Sequence[StageInfo],
    unit: str = SESSIONS,
) -> Comparison:
    """Per stage (not the terminal ones) and for graduation: the two arms side by side."""
    rows = []
    terminal = a.terminal | b.terminal
    targets = [(s.id, s.name) for s in stages if not s.terminal]
    if terminal:
        targets.append((GRADUATION, "Graduation (from enrollment)"))
    for stage_id, name in targets:
        obs_a, _ = _criterion(a.runs, stage_id, unit, a.today, terminal)
        obs_b, _ = _criterion(b.runs, stage_id, unit, b.today, terminal)
        ea, eb = estimate(obs_a), estimate(obs_b)
        p = logrank_p(obs_a, obs_b)
        rows.append(
            ComparisonRow(
                stage_id, name, ea, eb, p, verdict(ea, eb, p, a.label, b.label, unit, obs_a + obs_b)
            )
        )
    return Comparison(a.label, b.label, a, b, unit, tuple(rows))
