"""Attention and stage statistics read from the store, on both backends: the demo cohort shows every kind
of attention, and the figures agree with what the store says about each subject."""

from __future__ import annotations

from datetime import date

import pytest

from curriculum_gui.core.attention import OVER_BUDGET, RULE, SLOW_IN_STAGE
from curriculum_gui.core.model import AttentionSeverity
from curriculum_gui.core.progress import EJECTED, FORWARD
from curriculum_gui.store import NotFound, StoreError, Workspace
from curriculum_gui.store.demo import create_demo
from curriculum_gui.store.progress import Arm, version_arm
from tests.store.conftest import session_csv

TODAY = date(2026, 11, 20)
NAME = "Two-choice visual discrimination"


@pytest.fixture
def demo(ws: Workspace) -> Workspace:
    create_demo(ws, today=TODAY)
    return ws


def test_the_demo_shows_every_kind_of_attention(demo: Workspace) -> None:
    alerts = demo.attention(today=TODAY)
    kinds = {(a.kind, a.name) for found in alerts.values() for a in found}
    assert {(OVER_BUDGET, "over budget"), (SLOW_IN_STAGE, "slow in stage")} <= kinds
    assert {(RULE, "Losing weight"), (RULE, "No session for days"), (RULE, "Slipping")} <= kinds
    stuck = alerts["M13"]  # over its stage's budget and slower than the cohort: most urgent first
    assert [a.kind for a in stuck] == [OVER_BUDGET, SLOW_IN_STAGE]
    assert stuck[0].severity is AttentionSeverity.CRITICAL
    assert stuck[0].message == "29 sessions in Habituation (its budget is 10)"
    assert [a.name for a in alerts["M14"]] == ["Losing weight"]
    assert alerts["M14"][0].values == {"weight_fraction": 0.76}
    assert alerts["M15"][0].values == {"days_since_last_session": 8}
    assert [a.name for a in alerts["M16"]] == ["Slipping"]
    assert "M07" not in alerts  # off curriculum: nobody trains it, nothing to flag
    assert demo.attention(["M14", "M07"], today=TODAY).keys() == {"M14"}


def test_days_counters_follow_today(demo: Workspace) -> None:
    """A week later every mouse has gone without a session for days; the day of the demo, only M15."""
    later = demo.attention(today=date(2026, 11, 27))
    away = {s for s, found in later.items() if any(a.name == "No session for days" for a in found)}
    on = {r.subject for r in demo.subjects() if r.on_curriculum}
    assert away == on
    now = demo.attention(today=TODAY)
    assert {s for s, found in now.items() if any(a.name == "No session for days" for a in found)} == {"M15"}


def test_statistics_agree_with_each_subject(demo: Workspace) -> None:
    stats = demo.stage_statistics(today=TODAY)
    rows = {r.subject: r for r in demo.subjects()}
    assert stats.enrolled == stats.subjects == 24
    runs = {run.subject: run for run in stats.runs}
    for subject, row in rows.items():
        run = runs[subject]
        assert run.sessions == row.sessions_total
        if row.on_curriculum:
            assert run.current is not None and run.current.stage == row.stage_id
        else:
            assert run.current is None and run.visits[-1].exit == EJECTED
    habituation = stats.row("habituation")
    assert habituation.entered == 24 and habituation.forward + habituation.still == 24
    # M03 was moved on by hand after its first session: a manual forward exit.
    m03 = runs["M03"].visits[0]
    assert (m03.stage, m03.sessions, m03.exit, m03.manual) == ("habituation", 1, FORWARD, True)
    for row in stats.stages:
        assert row.entered == row.forward + row.regressed + row.still + row.ejected
    assert stats.graduated == stats.row("graduated").subjects


def test_versions_and_subjects_filter_the_statistics(demo: Workspace) -> None:
    v1 = demo.stage_statistics(NAME, versions=["1.0.0"], today=TODAY)
    v2 = demo.stage_statistics(NAME, versions=["2.0.0"], today=TODAY)
    assert v1.enrolled == v2.enrolled == 12
    assert {r.version for r in v1.runs} != {r.version for r in v2.runs}
    few = demo.stage_statistics(NAME, subjects=["M01", "M02"], today=TODAY)
    assert {r.subject for r in few.runs} == {"M01", "M02"}
    with pytest.raises(NotFound, match=r"no version 9\.9\.9"):
        demo.stage_statistics(NAME, versions=["9.9.9"])
    with pytest.raises(NotFound, match="no published curriculum 'Nope'"):
        demo.stage_statistics("Nope")


def test_the_demo_comparison_finds_version_2_faster_somewhere(demo: Workspace) -> None:
    name, a = version_arm(demo, f"{NAME}@1.0.0")
    _, b = version_arm(demo, f"{NAME}@2.0.0")
    result = demo.compare(name, a, b, today=TODAY)
    assert (result.a.enrolled, result.b.enrolled) == (12, 12)
    verdicts = {r.stage_id: r.verdict for r in result.rows}
    assert verdicts["two_choice"].startswith("2.0.0 is faster")
    assert any("too few to tell" in v or "no detectable difference" in v for v in verdicts.values())
    with pytest.raises(StoreError, match="expected NAME@VERSION"):
        version_arm(demo, "1.0.0")
    subjects = demo.compare(NAME, Arm("odd", subjects=frozenset({"M01", "M03"})), Arm("rest"), today=TODAY)
    assert subjects.a.enrolled == 2 and subjects.b.enrolled == 24


def test_a_reverted_batch_leaves_the_statistics(ws: Workspace, version, tmp_path) -> None:
    ws.register(["A1"], version.id, operator="t")
    rows = [("A1", f"s{d}", f"2026-03-0{d}", 0.9, 300, 0.1, 0.9, 3) for d in (2, 3)]
    ws.import_metrics(session_csv(tmp_path / "m.csv", rows))
    before = ws.stage_statistics(today=date(2026, 3, 4)).runs[0]
    result = ws.apply(ws.evaluate())
    after = ws.stage_statistics(today=date(2026, 3, 4)).runs[0]
    assert (before.sessions, after.sessions) == (0, 2)
    assert after.visits[0].exit == FORWARD and after.visits[0].left == date(2026, 3, 3)
    ws.revert_batch(result.batch, reason="wrong files")
    undone = ws.stage_statistics(today=date(2026, 3, 4)).runs[0]
    assert undone.sessions == 0 and [v.stage for v in undone.visits] == ["habituation"]


def test_attention_of_a_suggestion_is_checked_where_it_would_go(demo: Workspace, tmp_path) -> None:
    """M13, stuck in Habituation, finally licks well: where the trainer would take it, it is not over
    any budget (its new stage has just begun)."""
    good = ("M13", "x1", "2026-11-20", 0.7, 200, 0.2, 0.9, 3)
    demo.import_metrics(session_csv(tmp_path / "m.csv", [good]))
    suggestions = demo.evaluate()
    (moving,) = [s for s in suggestions if s.subject == "M13"]
    assert moving.suggested_stage == "Warm-up: one side"
    assert OVER_BUDGET in {a.kind for a in demo.attention(["M13"], today=TODAY)["M13"]}
    suggested = demo.attention(["M13"], today=TODAY, suggestions=suggestions)
    assert suggested == {}


def test_attention_reads_the_running_histories_as_a_rebuild_does(demo: Workspace, monkeypatch) -> None:
    """Attention takes each subject's list-metric histories from its running history plus its pending
    sessions (the demo's latest day is pending), read once for the cohort; they are every session's
    histories as the trainer reads them; with the running histories gone (stale), each is rebuilt from its
    sessions: the same histories, the same alerts."""
    import json

    import sqlalchemy as sa

    from curriculum_gui.core.histories import replay
    from curriculum_gui.store import histories, history
    from curriculum_gui.store.history import read_histories
    from curriculum_gui.store.schema import metrics_sessions as ms_t
    from curriculum_gui.store.schema import subjects as sub_t

    loads, rebuilt = [], []
    load, rebuild = history.histories.load, history.replay
    monkeypatch.setattr(history.histories, "load", lambda conn, pks: loads.append(pks) or load(conn, pks))
    monkeypatch.setattr(
        history, "replay", lambda names, values: rebuilt.append(names) or rebuild(names, values)
    )
    carried = {h.subject: h.series for h in read_histories(demo)}
    alerts = demo.attention(today=TODAY)
    assert carried["M16"]["accuracy"] and alerts["M16"][0].name == "Slipping"
    # One read of the running histories for the cohort (not one per subject), nothing rebuilt.
    assert len(loads) == 2 and len(loads[0]) == len([h for h in carried.values() if h]) and not rebuilt
    with demo.read() as conn:  # every session's values, by date: what a rebuild reads
        pks = dict(conn.execute(sa.select(sub_t.c.subject_id, sub_t.c.id)).all())
        rows = conn.execute(
            sa.select(ms_t.c.subject_pk, ms_t.c.values_json).order_by(
                ms_t.c.subject_pk, ms_t.c.session_date, ms_t.c.id
            )
        ).all()
    by_pk: dict[int, list] = {}
    for pk, text in rows:
        by_pk.setdefault(pk, []).append(json.loads(text))
    for subject, series in carried.items():
        if series:
            assert series == replay(series, by_pk[pks[subject]]), subject
    with demo.write() as conn:
        histories.drop(conn, list(pks.values()))
    assert {h.subject: h.series for h in read_histories(demo)} == carried
    assert len(rebuilt) == len(loads[0])  # each rebuilt from its sessions: the same histories
    assert demo.attention(today=TODAY) == alerts
