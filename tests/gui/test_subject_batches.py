"""A change of the selected subjects from the Subjects view is one batch: all or nothing whatever happens
half-way, and the banner never claims more or less than what was written; the batch is undone as one step."""

from __future__ import annotations

import sqlite3

import pytest

from curriculum_gui.gui.subjects import SubjectsView
from curriculum_gui.store import Workspace
from curriculum_gui.store import engine as engines

from .conftest import wait_idle

ON = ("M05", "M06", "M08", "M09")


def history_lengths(ws: Workspace) -> dict[str, int]:
    return {s: len(ws.history(s)) for s in ON}


@pytest.fixture
def short_locks(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines, "SQLITE_BUSY_MS", 200)
    ws.engine.dispose()  # new connections wait 0.2 s for a lock, not 10 s


def test_a_change_while_another_program_holds_the_lock_writes_nothing_and_says_so(
    qtbot, view: SubjectsView, ws: Workspace, short_locks: None
) -> None:
    view.select_subjects(ON)
    rows = view.selected_rows()
    before = history_lengths(ws)
    stages = {s: ws.subject(s).stage for s in ON}
    holder = sqlite3.connect(ws.url.database, isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")  # another program takes the write lock
    try:
        view.override(rows, "Mixed contrast", [], "pilot")
        wait_idle(qtbot, view)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    text = view.banner.text()
    assert (
        view.banner.level == "error" and "locked by another program" in text and "Nothing was changed" in text
    )
    assert history_lengths(ws) == before and {s: ws.subject(s).stage for s in ON} == stages

    view.override(view.selected_rows(), "Mixed contrast", [], "pilot")  # try again: all of them, once
    wait_idle(qtbot, view)
    assert view.banner.level == "ok" and "Overrode 4 subject(s) as one batch" in view.banner.text()
    assert {ws.subject(s).stage for s in ON} == {"Mixed contrast"}
    assert {ws.history(s)[-1].batch for s in ON} == {view.last_batch_id} != {None}
    assert {s: n + 1 for s, n in before.items()} == history_lengths(ws)

    assert view.undo_apply_action.text() == "Undo override (4)"
    view.undo_apply_action.trigger()
    wait_idle(qtbot, view)
    assert "Undid the override: 4 subject(s)" in view.banner.text()
    assert {s: ws.subject(s).stage for s in ON} == stages


def test_revert_of_many_reverts_each_once(
    qtbot, view: SubjectsView, ws: Workspace, short_locks: None
) -> None:
    view.select_subjects(ON)
    view.eject(view.selected_rows(), "rig maintenance")
    wait_idle(qtbot, view)
    assert not any(ws.subject(s).on_curriculum for s in ON)
    view.select_subjects(ON)
    holder = sqlite3.connect(ws.url.database, isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    try:
        view.revert(view.selected_rows(), "back on")
        wait_idle(qtbot, view)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "Nothing was changed" in view.banner.text() and not any(ws.subject(s).on_curriculum for s in ON)
    view.select_subjects(ON)
    view.revert(view.selected_rows(), "back on")  # "try again" reverts each one once: the eject only
    wait_idle(qtbot, view)
    assert all(ws.subject(s).on_curriculum for s in ON)
    assert {ws.history(s)[-1].data["reverted_kind"] for s in ON} == {"eject"}
    assert "Reverted the last change of 4 subject(s) as one batch" in view.banner.text()


def test_a_subject_that_cannot_change_is_named_and_nothing_is_written(
    qtbot, view: SubjectsView, ws: Workspace
) -> None:
    view.select_subjects(ON)
    rows = view.selected_rows()
    ws.eject("M08", reason="another rig")  # meanwhile
    before = history_lengths(ws)
    view.eject(rows, "pause")
    wait_idle(qtbot, view)
    text = view.banner.text()
    assert view.banner.level == "error" and "M08" in text and "nothing was lost" in text
    assert history_lengths(ws) == before and ws.subject("M05").on_curriculum


def test_the_timeline_offers_to_undo_a_manual_batch(qtbot, view: SubjectsView, ws: Workspace) -> None:
    view.select_subjects(("M05", "M06"))
    view.eject(view.selected_rows(), "pause")
    wait_idle(qtbot, view)
    view.select_subjects(["M05"])
    view.detail.show_subject(ws, "M05")
    newest = view.detail.timeline.topLevelItem(0)
    (undo,) = view.detail.timeline_actions(newest)
    assert undo.text() == "&Undo this batch…" and undo.isEnabled()
    with qtbot.waitSignal(view.detail.undo_batch_requested):
        undo.trigger()
    dialog = view.dialog
    assert dialog is not None and "2 subject(s)" in dialog.findChild(type(view.banner.label)).text()
    dialog.accept()
    wait_idle(qtbot, view)
    assert ws.subject("M05").on_curriculum and ws.subject("M06").on_curriculum
