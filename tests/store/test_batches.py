"""Undo of an applied batch as one step, stale callers seeing conflicts first, and progress reports
(real SQLite files and, with ``CURRICULUM_GUI_TEST_PG_URL``, PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from curriculum_gui.store import ConflictError, NotFound, StoreError, Workspace, evaluation, metrics

from .conftest import session_csv

GOOD = (0.9, 300, 0.05, 0.9, 2)  # accuracy, trials, bias, weight, licks: moves Habituation on


def applied_cohort(ws: Workspace, version_id: int, tmp_path: Path, subjects: str = "ABC") -> str:
    """Register ``subjects``, give each two sessions, apply them as one batch; the batch id."""
    ws.register(list(subjects), version_id)
    rows = [(s, f"{s}{n}", f"2025-03-0{n}", *GOOD) for s in subjects for n in (1, 2)]
    ws.import_metrics(session_csv(tmp_path / "m.csv", rows))
    result = ws.apply(ws.evaluate(), operator="ana")
    assert result.applied == len(subjects) and result.batch
    return result.batch


def test_revert_batch_puts_every_subject_back_in_one_step(ws: Workspace, version, tmp_path: Path) -> None:
    ws.register(["Z"], version.id)  # not in the batch: untouched
    before = {s: ws.subject(s) for s in ("Z",)}
    batch = applied_cohort(ws, version.id, tmp_path)
    moved = {s: ws.subject(s) for s in "ABC"}
    assert all(r.stage == "Warm-up: one side" and r.pending_sessions == 0 for r in moved.values())
    assert ws.batch_subjects(batch) == ["A", "B", "C"] and ws.batch_subjects("nope") == []

    result = ws.revert_batch(batch, reason="wrong metrics file", operator="bob")
    assert (result.batch, result.reverted) == (batch, ("A", "B", "C"))
    for s in "ABC":
        row = ws.subject(s)
        assert (row.stage, row.sessions_total, row.pending_sessions) == ("Habituation", 0, 2)
        assert row.row_version == moved[s].row_version + 1 and row.last_change == "manual"
        event = ws.history(s)[-1]
        assert (event.kind, event.reason, event.operator) == ("revert", "wrong metrics file", "bob")
        assert event.batch == result.revert_batch_id != batch
        assert event.data["reverted_kind"] == "applied" and event.data["reverts_batch"] == batch
        assert (event.data["before_stage"], event.data["after_stage"]) == ("Warm-up: one side", "Habituation")
    assert ws.subject("Z") == before["Z"]
    # The per-subject walk knows the apply is undone: only the enrollment is left.
    with pytest.raises(StoreError, match="no change to revert"):
        ws.revert("A")
    # The sessions can be evaluated and applied again.
    assert ws.apply(ws.evaluate()).applied == 3


def test_revert_batch_is_all_or_nothing_when_a_subject_changed_since(
    ws: Workspace, version, tmp_path: Path
) -> None:
    batch = applied_cohort(ws, version.id, tmp_path, "ABCD")
    ws.eject("B", reason="sick", operator="vet")  # another rig, after the apply
    ws.revert("D")  # its apply already undone on its own
    seen = {s: ws.subject(s) for s in "ABCD"}
    with pytest.raises(ConflictError, match=r"'B', 'D'.*nothing was reverted") as info:
        ws.revert_batch(batch)
    assert info.value.subjects == ("B", "D")
    assert {s: ws.subject(s) for s in "ABCD"} == seen  # nothing written
    assert [ws.history(s)[-1].kind for s in "AC"] == ["applied", "applied"]
    assert ws.subject("A").pending_sessions == 0


def test_revert_batch_twice_and_unknown_batches(ws: Workspace, version, tmp_path: Path) -> None:
    batch = applied_cohort(ws, version.id, tmp_path, "AB")
    ws.revert_batch(batch)
    with pytest.raises(ConflictError, match="already reverted") as info:
        ws.revert_batch(batch)
    assert info.value.subjects == ("A", "B")
    with pytest.raises(NotFound, match="no batch 'nope'"):
        ws.revert_batch("nope")
    applied_state = {s: ws.history(s)[-2].data["after"] for s in "AB"}
    revert_batch_id = ws.history("A")[-1].batch
    ws.revert_batch(revert_batch_id)  # the undo of the undo: the apply is back, its sessions used again
    for s in "AB":
        assert ws.state(s).to_json() == applied_state[s] and ws.subject(s).pending_sessions == 0
    ws.revert("A")  # and a plain revert then undoes the apply again
    assert ws.subject("A").pending_sessions > 0 and ws.subject("B").pending_sessions == 0


@pytest.mark.parametrize("change", ["override", "eject", "reenroll", "revert"])
def test_a_stale_version_is_a_conflict_before_any_other_check(ws: Workspace, version, change: str) -> None:
    ws.register(["M"], version.id)
    seen = ws.subject("M").row_version
    ws.eject("M", reason="rig A took it off")  # another rig, meanwhile
    calls = {
        "override": lambda: ws.override("M", "Mixed contrast", reason="rig B", expected_version=seen),
        "eject": lambda: ws.eject("M", reason="rig B", expected_version=seen),
        "reenroll": lambda: ws.reenroll("M", reason="rig B", expected_version=seen),
        "revert": lambda: ws.revert("M", expected_version=seen),
    }
    with pytest.raises(ConflictError, match="changed by someone else") as info:
        calls[change]()
    assert info.value.subjects == ("M",)
    assert not ws.subject("M").on_curriculum and ws.history("M")[-1].kind == "eject"


def test_with_the_current_version_the_ordinary_checks_still_apply(ws: Workspace, version) -> None:
    ws.register(["M"], version.id)
    current = ws.eject("M", reason="sick").row_version
    with pytest.raises(StoreError, match="re-enroll it first") as info:
        ws.override("M", "Mixed contrast", reason="x", expected_version=current)
    assert not isinstance(info.value, ConflictError)
    with pytest.raises(StoreError, match="already off"):
        ws.eject("M", reason="x", expected_version=current)


def test_import_and_evaluate_report_progress(
    ws: Workspace, version, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metrics, "PROGRESS_ROWS", 2)
    monkeypatch.setattr(evaluation, "PROGRESS_EVERY", 2)
    ws.register(list("ABCDE"), version.id)
    rows = [(s, f"{s}1", "2025-03-03", *GOOD) for s in "ABCDE"]
    rows.insert(3, ("A", "A1", "2025-03-03", *GOOD))  # a duplicate of row 2, in the next chunk
    calls: list[tuple[int, int]] = []
    report = ws.import_metrics(
        session_csv(tmp_path / "m.csv", rows), progress=lambda d, t: calls.append((d, t))
    )
    assert calls == [(2, 6), (4, 6), (6, 6)]
    assert report.imported == 5 and [b.row for b in report.bad] == [5]

    calls.clear()
    suggestions = ws.evaluate(progress=lambda d, t: calls.append((d, t)))
    assert calls == [(2, 5), (4, 5), (5, 5)] and len(suggestions) == 5
    calls.clear()
    assert len(ws.evaluate(["B", "D", "E"], progress=lambda d, t: calls.append((d, t)))) == 3
    assert calls == [(2, 3), (3, 3)]
