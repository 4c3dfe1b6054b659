"""The demo cohort: every feature visible at once, made through the real services."""

from __future__ import annotations

from datetime import date

import pytest

from curriculum_gui.store import StoreError, Workspace
from curriculum_gui.store.demo import create_demo


def test_demo_cohort(ws: Workspace) -> None:
    assert ws.is_empty()
    assert create_demo(ws, today=date(2025, 6, 20)) == 12
    rows = ws.subjects()
    assert len(rows) == 12 and not ws.is_empty()
    assert len({r.stage for r in rows}) >= 4
    assert [r.subject for r in rows if not r.on_curriculum] == ["M07"]
    assert sum(r.pending_suggestion for r in rows) >= 8
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
