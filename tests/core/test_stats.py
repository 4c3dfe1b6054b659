"""Stage statistics and comparisons against values computed by hand on small cohorts (censoring included)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from curriculum_gui.core.model import Curriculum, Stage, StageTransition
from curriculum_gui.core.progress import (
    APPLIED,
    EJECT,
    EJECTED,
    ENROLLED,
    FORWARD,
    MIGRATED,
    OVERRIDE,
    REENROLL,
    REGRESSED,
    REVERT,
    HistoryEvent,
    Run,
    Visit,
    effective,
    runs_of,
    session_cells,
    stage_order,
)
from curriculum_gui.core.stats import (
    DAYS,
    GRADUATION,
    SESSIONS,
    StageInfo,
    compare,
    curve,
    estimate,
    logrank_p,
    needed_per_arm,
    stage_statistics,
    verdict,
)

D0 = date(2026, 3, 2)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


# --- Kaplan–Meier by hand ------------------------------------------------------------------------------


def test_estimate_without_censoring_is_the_plain_empirical_quantiles() -> None:
    # S(t): 0.75 after 1, 0.5 after 2, 0.25 after 3, 0 after 4: the median is the first time S <= 0.5.
    e = estimate([(1, True), (2, True), (3, True), (4, True)])
    assert (e.n, e.events, e.q1, e.median, e.q3) == (4, 4, 1, 2, 3)


def test_estimate_with_censored_subjects_counts_them_as_at_risk_not_as_failures() -> None:
    # At 3: 4 at risk, 1 event -> S = 3/4. The one censored at 4 leaves. At 5: 2 at risk, 1 event ->
    # S = 3/4 * 1/2 = 3/8. So q1 = 3, median = 5, and S never reaches 1/4: q3 not reached.
    e = estimate([(3, True), (4, False), (5, True), (7, False)])
    assert (e.n, e.events, e.q1, e.median, e.q3) == (4, 2, 3, 5, None)
    # Had the censored ones been counted as events, the median would be 4; as successes it would be 3.
    assert estimate([(3, True), (4, True), (5, True), (7, True)]).median == 4


def test_a_median_not_reached_when_fewer_than_half_had_the_event() -> None:
    e = estimate([(2, True), (5, False), (6, False), (9, False)])
    assert e.median is None and e.q1 == 2
    assert estimate([(4, False), (8, False)]) == estimate([(1, False), (2, False)]).__class__(2, 0)


def test_median_confidence_interval_contains_the_median() -> None:
    e = estimate([(t, True) for t in (3, 4, 4, 5, 6, 6, 7, 8, 9, 12)])
    assert e.median == 6
    assert e.median_low is not None and e.median_low <= 6
    assert e.median_high is None or e.median_high >= 6


def test_curve_is_the_cumulative_fraction_with_censoring() -> None:
    c = curve([(3, True), (4, False), (5, True), (7, False)], ["a", "b", "c", "d"])
    assert c.times[0] == 0 and c.fraction[0] == 0
    assert c.at(2) == 0 and c.at(3) == pytest.approx(0.25) and c.at(5) == pytest.approx(0.625)
    assert c.at(100) == pytest.approx(0.625)  # the censored at 7 adds nothing
    assert all(lo <= f <= hi for lo, f, hi in zip(c.low, c.fraction, c.high, strict=True))
    assert c.points == (("a", 3, True), ("b", 4, False), ("c", 5, True), ("d", 7, False))


def test_logrank_p_value_computed_by_hand() -> None:
    # A: events at 2 and 4. B: an event at 3, censored at 5.
    # t=2: n=4 (2 A), d=1 from A: E_A=1/2, V=1/4. t=3: n=3 (1 A), d=1 from B: E_A=1/3, V=2/9.
    # t=4: n=2 (1 A), d=1 from A: E_A=1/2, V=1/4. O_A-E_A = 2-4/3 = 2/3; V = 13/18;
    # z = (2/3)/sqrt(13/18) = 0.7845, two-sided p = 0.4328.
    p = logrank_p([(2, True), (4, True)], [(3, True), (5, False)])
    assert p == pytest.approx(0.4328, abs=1e-3)
    assert logrank_p([], [(1, True)]) is None
    assert logrank_p([(1, False)], [(2, False)]) is None


def test_needed_per_arm_is_the_normal_approximation() -> None:
    # 2 * ((1.96 + 0.8416) * 4 / 3)^2 = 27.9 -> 28 per arm to see 3 sessions when the spread is 4.
    assert needed_per_arm(4.0, 3.0) == 28


def test_verdict_says_when_the_numbers_are_too_few() -> None:
    a = estimate([(t, True) for t in (5, 6, 7)] + [(4, False)])
    b = estimate([(6, True), (2, False)])
    pooled = [(t, True) for t in (5, 6, 7, 6)]
    text = verdict(a, b, 0.5, "v1", "v2", SESSIONS, pooled)
    assert text.startswith("4 vs 2 subjects (3 and 1 met the criterion): too few to tell")
    assert "per arm would be needed to detect a 2-session change" in text
    assert (
        verdict(a, estimate([]), None, "v1", "v2", SESSIONS, pooled)
        == "no subjects in v2: nothing to compare"
    )


def test_verdict_names_the_faster_arm_when_the_test_says_so() -> None:
    a = estimate([(t, True) for t in (2, 3, 3, 4, 4)])
    b = estimate([(t, True) for t in (8, 9, 10, 12, 13)])
    assert verdict(a, b, 0.01, "1.0.0", "2.0.0", SESSIONS, []) == (
        "1.0.0 is faster: median 3 vs 10 sessions (log-rank p = 0.010)"
    )
    same = verdict(a, a, 0.8, "x", "y", DAYS, [(t, True) for t in (2, 3, 3, 4, 4, 2, 3, 3, 4, 4)])
    assert same.startswith("5 vs 5 subjects: no detectable difference (p = 0.80); about ")
    assert same.endswith("per arm would be needed to detect a 1-day change")
    # Everyone took the same time (no variance: the test cannot run): said so, not "no difference".
    fixed = estimate([(5, True)] * 6)
    assert (
        verdict(fixed, fixed, None, "x", "y", SESSIONS, [])
        == "6 vs 6 subjects: the same in both (median 5 sessions)"
    )
    assert logrank_p([(5, True)] * 6, [(5, True)] * 6) is None


# --- runs and visits ----------------------------------------------------------------------------------

ORDER = {"A": 0, "B": 1, "C": 2, "G": 3}


def ev(id: int, kind: str, n: int, stage: str | None, sessions=(), reverts=None, on=True) -> HistoryEvent:
    return HistoryEvent(id, kind, day(n), 1, stage, on, tuple(sessions), reverts)


def test_runs_and_visits_from_events() -> None:
    sessions = {f"s{i}": day(i) for i in range(1, 10)}
    events = [
        ev(1, ENROLLED, 0, "A"),
        ev(2, APPLIED, 2, "B", [("s1", "A"), ("s2", "B")]),  # 2 sessions in A, forward on day 2
        ev(3, APPLIED, 4, "A", [("s3", "B"), ("s4", "A")]),  # 2 in B, back to A on day 4
        ev(4, OVERRIDE, 5, "C"),  # a person moves it on: forward, by hand, 0 sessions in A
        ev(5, APPLIED, 6, "C", [("s6", "C")]),
        ev(6, EJECT, 8, "C", on=False),
    ]
    (run,) = runs_of("M1", events, sessions, ORDER)
    assert (run.subject, run.enrolled, run.sessions, run.ended) == ("M1", day(0), 5, day(8))
    got = [(v.stage, v.entered, v.entered_after, v.sessions, v.left, v.exit, v.manual) for v in run.visits]
    assert got == [
        ("A", day(0), 0, 2, day(2), FORWARD, False),
        ("B", day(2), 2, 2, day(4), REGRESSED, False),
        ("A", day(4), 4, 0, day(5), FORWARD, True),
        ("C", day(5), 4, 1, day(8), EJECTED, True),
    ]
    assert run.current is None and run.first_visit("A") is run.visits[0]


def test_a_reverted_change_counts_as_if_it_never_happened() -> None:
    sessions = {"s1": day(1), "s2": day(2)}
    events = [
        ev(1, ENROLLED, 0, "A"),
        ev(2, APPLIED, 1, "B", [("s1", "B")]),
        ev(3, REVERT, 1, "A", reverts=2),  # undone: s1 is pending again
        ev(4, APPLIED, 2, "A", [("s1", "A"), ("s2", "A")]),
    ]
    assert [e.id for e in effective(events)] == [1, 4]
    (run,) = runs_of("M1", events, sessions, ORDER)
    assert [(v.stage, v.sessions, v.exit) for v in run.visits] == [("A", 2, None)]
    assert run.current is run.visits[0] and run.current.days(day(9)) == 9


def test_re_enrollment_starts_a_new_run() -> None:
    events = [
        ev(1, ENROLLED, 0, "A"),
        ev(2, EJECT, 3, "A", on=False),
        HistoryEvent(3, REENROLL, day(5), 2, "A"),
    ]
    first, second = runs_of("M1", events, {}, ORDER)
    assert (first.version, first.ended, first.visits[0].exit) == (1, day(3), EJECTED)
    assert (second.version, second.enrolled, second.current.stage) == (2, day(5), "A")


def test_stage_order_follows_the_graph_from_the_start() -> None:
    c = Curriculum(
        stages=[Stage(id=i, name=i) for i in ("grad", "two", "warm", "mixed", "hab")],
        stage_transitions=[
            StageTransition(id="t1", source="hab", destination="warm"),
            StageTransition(id="t2", source="warm", destination="mixed"),  # a skip, listed first
            StageTransition(id="t3", source="warm", destination="two"),
            StageTransition(id="t4", source="two", destination="mixed"),
            StageTransition(id="t5", source="mixed", destination="two"),  # a regression
            StageTransition(id="t6", source="mixed", destination="grad"),
        ],
        start_stage="hab",
    )
    order = stage_order(c)
    assert sorted(order, key=order.get) == ["hab", "warm", "two", "mixed", "grad"]


# --- per stage, by hand ---------------------------------------------------------------------------------


def run(subject: str, *visits: Visit, sessions: int = 0, ended: date | None = None) -> Run:
    return Run(subject, 1, day(0), list(visits), sessions, ended)


STAGES = [StageInfo("A", "Stage A"), StageInfo("B", "Stage B"), StageInfo("G", "Graduated", terminal=True)]


def cohort() -> list[Run]:
    """Four subjects: two graduate, one is still in B, one was ejected from A."""
    return [
        run("m1", Visit("A", 1, day(0), 0, 3, day(3), FORWARD), Visit("B", 1, day(3), 3, 2, day(5), FORWARD),
            Visit("G", 1, day(5), 5), sessions=5),
        run("m2", Visit("A", 1, day(0), 0, 5, day(6), FORWARD), Visit("B", 1, day(6), 5, 4, day(10), FORWARD),
            Visit("G", 1, day(10), 9), sessions=9),
        run("m3", Visit("A", 1, day(0), 0, 4, day(4), FORWARD), Visit("B", 1, day(4), 4, 6), sessions=10),
        run("m4", Visit("A", 1, day(0), 0, 2, day(2), EJECTED), sessions=2, ended=day(2)),
    ]  # fmt: skip


def test_stage_statistics_by_hand() -> None:
    s = stage_statistics(cohort(), STAGES, today=day(12), label="all")
    a, b, g = s.stages
    assert (a.entered, a.forward, a.regressed, a.still, a.ejected) == (4, 3, 0, 0, 1)
    # Sessions in A: 3, 5, 4 left; 2 ejected (censored). At 3: 3 at risk (2 gone), 1 -> 2/3; at 4: 2 at
    # risk -> 1/3; at 5: -> 0. Median: first S <= 1/2 -> 4; q1 (S <= 3/4): 3.
    assert (a.sessions.median, a.sessions.q1, a.sessions.events) == (4, 3, 3)
    assert a.reach_sessions is None  # everyone starts there
    # B: 2 and 4 sessions to leave; m3 still in it after 6 (censored).
    assert (b.entered, b.forward, b.still) == (3, 2, 1)
    assert (b.sessions.q1, b.sessions.median) == (2, 4)
    # Days in B: 2, 4, and m3's 8 so far (today - day 4), censored.
    assert (b.days.q1, b.days.median) == (2, 4)
    # Reaching B from enrollment: 3, 5, 4 sessions; m4 censored at its 2: median 4.
    assert (b.reach_sessions.median, b.reach_sessions.events, b.reach_sessions.n) == (4, 3, 4)
    # Reaching G: 5 and 9; m3 censored at 10, m4 at 2. At 5: 3 at risk -> 2/3; at 9: 2 at risk -> 1/3.
    assert (g.reach_sessions.median, g.reach_sessions.q1) == (9, 5)
    assert (s.graduated, s.enrolled, s.subjects) == (2, 4, 4)
    assert {p.subject: (p.sessions, p.exit) for p in b.points} == {"m1": (2, FORWARD), "m2": (4, FORWARD),
                                                                   "m3": (6, None)}  # fmt: skip
    reach = s.reach_curve("G")
    assert reach.at(5) == pytest.approx(1 / 3) and reach.at(9) == pytest.approx(2 / 3)


def test_compare_two_arms_per_stage_and_graduation() -> None:
    fast = [
        run(f"f{i}", Visit("A", 1, day(0), 0, n, day(n), FORWARD), Visit("G", 1, day(n), n), sessions=n)
        for i, n in enumerate((2, 2, 3, 3, 3, 4))
    ]
    slow = [
        run(f"s{i}", Visit("A", 2, day(0), 0, n, day(n), FORWARD), Visit("G", 2, day(n), n), sessions=n)
        for i, n in enumerate((7, 8, 8, 9, 10, 12))
    ]
    stages = [StageInfo("A", "Stage A"), StageInfo("G", "Graduated", terminal=True)]
    a = stage_statistics(fast, stages, day(20), "2.0.0")
    b = stage_statistics(slow, stages, day(20), "1.0.0")
    result = compare(a, b, stages)
    assert [r.stage_id for r in result.rows] == ["A", GRADUATION]
    row = result.rows[0]
    assert (row.a.n, row.a.median, row.b.n, row.b.median) == (6, 3, 6, 8)
    assert row.pvalue is not None and row.pvalue < 0.01
    assert row.verdict.startswith("2.0.0 is faster: median 3 vs 8 sessions")
    ca, cb = result.criterion_curves("A")
    assert ca.at(3) == pytest.approx(5 / 6) and cb.at(3) == 0
    assert result.to_json()["subjects"] == [6, 6]


def test_session_cells_for_the_cohort_grid() -> None:
    events = [
        ev(1, ENROLLED, 0, "A"),
        ev(2, APPLIED, 1, "B", [("s1", "A"), ("s2", "B")]),
        ev(3, OVERRIDE, 2, "C"),
        ev(4, APPLIED, 3, "C", [("s3", "C")]),
        ev(5, EJECT, 4, "C", on=False),
        ev(6, REVERT, 4, "C", reverts=5),  # the eject undone: no grey cell
        ev(7, EJECT, 5, "C", on=False),
    ]
    assert session_cells(events) == [("A", False), ("C", True), ("C", False), (None, True)]


def test_a_migration_to_another_version_moves_the_visit_by_hand() -> None:
    events = [
        ev(1, ENROLLED, 0, "A"),
        ev(2, APPLIED, 1, "A", [("s1", "A")]),
        HistoryEvent(3, MIGRATED, day(2), 2, "B"),  # the new version maps its stage to B
        HistoryEvent(4, MIGRATED, day(3), 3, "B"),  # and another one keeps it
    ]
    (run,) = runs_of("M1", events, {"s1": day(1)}, ORDER)
    assert run.version == 1  # the version it was enrolled on
    assert [(v.stage, v.version, v.exit, v.manual) for v in run.visits] == [
        ("A", 1, FORWARD, True),
        ("B", 2, None, False),
    ]
    assert session_cells(events) == [("B", True)]
