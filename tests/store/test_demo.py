"""The demo cohort: every feature visible at once, made through the real services."""

from __future__ import annotations

from datetime import date

import pytest

from curriculum_gui.store import NotFound, StoreError, Workspace
from curriculum_gui.store.demo import create_demo


def test_demo_cohort(ws: Workspace) -> None:
    assert ws.is_empty()
    assert create_demo(ws, today=date(2025, 6, 20)) == 24
    rows = ws.subjects()
    assert len(rows) == 24 and not ws.is_empty()
    assert {r.curriculum_version for r in rows} == {"1.0.0", "2.0.0"}
    assert len({r.stage for r in rows}) >= 4
    assert [r.subject for r in rows if not r.on_curriculum] == ["M07"]
    assert sum(r.pending_suggestion for r in rows) >= 16
    assert all(r.last_session_date is not None for r in rows)
    kinds = {e.kind for r in rows for e in ws.history(r.subject)}
    assert {"enrolled", "applied", "override", "eject"} <= kinds
    overrides = [e for r in rows for e in ws.history(r.subject) if e.kind == "override"]
    assert len(overrides) >= 2 and all(e.reason for e in overrides)
    m01 = ws.history("M01")
    assert (m01[-1].at.date() - m01[0].at.date()).days >= 21  # weeks of history
    suggestions = ws.evaluate()
    assert ws.apply(suggestions).applied == len([s for s in suggestions if s.applicable]) > 0
    with pytest.raises(StoreError, match="already holds data"):
        create_demo(ws)


def test_the_first_dozen_alone_is_the_same_cohort(ws: Workspace, tmp_path) -> None:
    """Without the second version, the first dozen: the same mice where the full demo has them."""
    assert create_demo(ws, today=date(2025, 6, 20), second_version=False) == 12
    assert [(v.name, v.version) for v in ws.versions()].count(
        ("Two-choice visual discrimination", "2.0.0")
    ) == 0
    with Workspace.open(tmp_path / "full.sqlite3", create=True) as full:
        create_demo(full, today=date(2025, 6, 20))
        first = {r.subject: (r.stage, r.sessions_in_stage) for r in full.subjects() if r.subject <= "M12"}
    assert {r.subject: (r.stage, r.sessions_in_stage) for r in ws.subjects()} == first


@pytest.mark.parametrize("today", [date(2026, 11, 30), date(2026, 11, 29), date(2026, 12, 1)])
def test_the_latest_session_day_waits_for_review_whatever_the_weekday(ws: Workspace, today: date) -> None:
    """On a Monday (or Sunday) the latest sessions are Friday's: they, not nothing, wait for review."""
    create_demo(ws, today=today)
    pending = [r for r in ws.subjects() if r.pending_suggestion]
    assert len(pending) >= 16
    latest = max(s.date for r in pending for s in ws.sessions(r.subject))
    assert latest.weekday() < 5 and (today - latest).days <= 3
    assert all(not s.evaluated for r in pending for s in ws.sessions(r.subject) if s.date == latest)


def test_sessions_and_position_events_of_the_demo(ws: Workspace) -> None:
    create_demo(ws, today=date(2025, 6, 20))
    rows = {r.subject: r for r in ws.subjects()}
    events = ws.position_events()
    assert set(events) == set(rows)
    for subject, row in rows.items():
        sessions = ws.sessions(subject)
        assert [(s.date, s.session) for s in sessions] == sorted((s.date, s.session) for s in sessions)
        assert sum(not s.evaluated for s in sessions) == row.pending_sessions
        assert all("accuracy" in s.values for s in sessions)
        steps = events[subject]
        history = [e for e in ws.history(subject) if e.kind != "evaluated"]
        assert [(p.kind, p.event_id, p.batch) for p in steps] == [(e.kind, e.id, e.batch) for e in history]
        assert steps[0].kind == "enrolled" and steps[-1].stage == row.stage
        assert (steps[-1].sessions, steps[-1].on_curriculum) == (row.sessions_total, row.on_curriculum)
        applied = sum(p.count for p in steps if p.kind == "applied")
        assert applied == sum(s.evaluated for s in sessions) == row.sessions_total
    m07 = events["M07"]
    assert [p.on_curriculum for p in m07 if p.kind == "eject"] == [False]
    overrides = [p for r in rows for p in events[r] if p.kind == "override"]
    assert overrides and all(p.before_stage is not None for p in overrides)

    assert set(ws.position_events(["M01", "M07"])) == {"M01", "M07"}
    assert ws.position_events(["M01"])["M01"] == events["M01"]
    many = [f"X{i}" for i in range(1000)] + ["M03"]  # past the IN-list limit: filtered after reading
    assert ws.position_events(many) == {"M03": events["M03"]}
    assert ws.position_events([]) == {}
    with pytest.raises(NotFound, match="no subject 'X'"):
        ws.sessions("X")
