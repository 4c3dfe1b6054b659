"""A manual change of many subjects is one batch: one transaction (all or nothing, whatever happens half-way),
every event carrying the batch id, undone as one step by ``revert_batch`` (itself undoable). Both backends."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from curriculum_gui.gui.subjects.cohort import cells_of
from curriculum_gui.store import ConflictError, DatabaseUnavailable, StoreError, Workspace
from curriculum_gui.store import engine as engines

from .conftest import session_csv
from .test_batches import GOOD, applied_cohort


def batches(ws: Workspace, subjects: str) -> set[str | None]:
    return {ws.history(s)[-1].batch for s in subjects}


def test_override_of_many_is_one_batch_undone_in_one_step(ws: Workspace, version) -> None:
    ws.register(list("ABCD"), version.id)
    seen = [(r.subject, r.row_version) for r in ws.subjects(list("ABC"))]
    result = ws.override_many(seen, "Mixed contrast", reason="pilot", operator="ana")
    assert result.kind == "override" and result.subjects == ("A", "B", "C") and result.batch
    assert batches(ws, "ABC") == {result.batch} and ws.batch_subjects(result.batch) == ["A", "B", "C"]
    assert all(ws.subject(s).stage == "Mixed contrast" for s in "ABC")
    assert ws.subject("D").stage == "Habituation"

    undo = ws.revert_batch(result.batch, reason="wrong cohort")
    assert undo.reverted == ("A", "B", "C")
    assert all(ws.subject(s).stage == "Habituation" for s in "ABC")
    assert {ws.history(s)[-1].data["reverted_kind"] for s in "ABC"} == {"override"}


def test_eject_and_reenroll_of_many(ws: Workspace, version, tmp_path: Path) -> None:
    ws.register(list("AB"), version.id)
    ejected = ws.eject_many(["A", "B"], reason="rig maintenance")
    assert not ws.subject("A").on_curriculum and batches(ws, "AB") == {ejected.batch}
    ws.import_metrics(session_csv(tmp_path / "m.csv", [(s, "x1", "2025-03-03", *GOOD) for s in "AB"]))
    back = ws.reenroll_many(["A", "B"], reason="rig fixed")
    assert batches(ws, "AB") == {back.batch}
    assert all(ws.subject(s).on_curriculum and ws.subject(s).pending_sessions == 0 for s in "AB")
    ws.revert_batch(back.batch)  # off again, the sessions set aside wait again
    assert all(not ws.subject(s).on_curriculum and ws.subject(s).pending_sessions == 1 for s in "AB")


def test_revert_of_many_and_its_undo(ws: Workspace, version, tmp_path: Path) -> None:
    batch = applied_cohort(ws, version.id, tmp_path, "ABC")
    ws.override("C", "Mixed contrast", reason="pilot")  # C's last change is not the apply
    applied = {s: ws.state(s).to_json() for s in "AB"}
    reverted = ws.revert_many(["A", "B", "C"], reason="bad day")
    assert batches(ws, "ABC") == {reverted.batch} and reverted.batch != batch
    assert ws.subject("A").stage == "Habituation" and ws.subject("A").pending_sessions == 2
    assert ws.subject("C").stage == "Warm-up: one side"  # its override undone, not its apply

    ws.revert_batch(reverted.batch)  # the reverts undone: every subject as before them
    for s in "AB":
        assert ws.state(s).to_json() == applied[s] and ws.subject(s).pending_sessions == 0
    assert ws.subject("C").stage == "Mixed contrast"
    ws.revert("C")  # and each one's next revert undoes the same change again
    assert ws.subject("C").stage == "Warm-up: one side"


def test_a_stale_subject_changes_nothing_and_is_named(ws: Workspace, version) -> None:
    ws.register(list("ABC"), version.id)
    seen = [(r.subject, r.row_version) for r in ws.subjects()]
    ws.eject("B", reason="another rig")
    events = {s: len(ws.history(s)) for s in "ABC"}
    with pytest.raises(ConflictError, match=r"'B'.*nothing was changed") as info:
        ws.override_many(seen, "Mixed contrast", reason="pilot")
    assert info.value.subjects == ("B",)
    assert {s: len(ws.history(s)) for s in "ABC"} == events


def test_a_subject_that_cannot_change_changes_nothing(ws: Workspace, version) -> None:
    ws.register(list("ABC"), version.id)
    ws.eject("B", reason="sick")
    with pytest.raises(StoreError, match=r"cannot eject 1 of the 3 subjects: subject 'B' is already off"):
        ws.eject_many(list("ABC"), reason="pause")
    assert ws.subject("A").on_curriculum and ws.subject("C").on_curriculum
    with pytest.raises(StoreError, match="listed twice"):
        ws.eject_many(["A", "A"], reason="pause")


def test_a_lock_taken_by_another_program_changes_nothing(
    tmp_path: Path, curriculum, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's story: 2,000 selected subjects while another program holds the write lock. Nothing is
    written; once the lock is gone, trying again reverts each subject once."""
    path = tmp_path / "lab.sqlite3"
    with Workspace.open(path, create=True) as ws:
        version = ws.publish(curriculum)
        ids = [f"S{i:04d}" for i in range(2000)]
        ws.register(ids, version.id)
        ws.override_many(ids, "Mixed contrast", reason="pilot")
        events = ws.history("S0000")
        monkeypatch.setattr(engines, "SQLITE_BUSY_MS", 200)
        holder = sqlite3.connect(path, isolation_level=None, timeout=0)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(DatabaseUnavailable, match="locked by another program"):
                ws.revert_many(ids, reason="undo the pilot")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert ws.history("S0000") == events and ws.subject("S1999").stage == "Mixed contrast"
        ws.revert_many(ids, reason="undo the pilot")  # try again: each reverted once
        assert {r.stage for r in ws.subjects()} == {"Habituation"}
        assert all(r.last_change == "manual" for r in ws.subjects())
        assert ws.history("S0000")[-1].data["reverted_kind"] == "override"


def test_the_cohort_grid_follows_a_revert_undone(ws: Workspace, version, tmp_path: Path) -> None:
    applied_cohort(ws, version.id, tmp_path, "A")
    before = cells_of(ws.position_events(["A"])["A"])
    reverted = ws.revert_many(["A"])
    assert cells_of(ws.position_events(["A"])["A"]) == []
    ws.revert_batch(reverted.batch)
    assert cells_of(ws.position_events(["A"])["A"]) == before
    ws.override("A", "Mixed contrast", reason="pilot")
    outlined = cells_of(ws.position_events(["A"])["A"])
    assert outlined[-1].suggested is not None and outlined != before
    reverted = ws.revert_many(["A"])
    assert cells_of(ws.position_events(["A"])["A"]) == before
    ws.revert_batch(reverted.batch)
    assert cells_of(ws.position_events(["A"])["A"]) == outlined
