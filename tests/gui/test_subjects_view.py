"""The subjects screen on a real demo workspace (a SQLite file): each step is checked against the store.

Dialogs are driven the way a person would finish them (fill the fields, press OK = ``accept()``), never
left open; store work runs on the thread pool, so tests wait for the view to be idle.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel

from curriculum_gui.gui.subjects import SubjectsView
from curriculum_gui.gui.subjects import dialogs as dlg
from curriculum_gui.gui.subjects.review import kind_of as review_kind
from curriculum_gui.gui.subjects.table_model import NEW_METRICS, OFF, SUGGESTED
from curriculum_gui.store import Workspace, evaluation, metrics

from .conftest import wait_idle

HEADER = "subject,session,date,accuracy,trials,bias,weight_fraction,licks_per_reward\n"


def select(view: SubjectsView, *subjects: str) -> None:
    view.select_subjects(subjects)
    assert [r.subject for r in view.selected_rows()] == sorted(subjects)


def metrics_file(path: Path) -> Path:
    """A new session for M05 and M06 (good learners' numbers) and one row for an unknown mouse."""
    path.write_text(
        HEADER
        + "M05,extra-1-M05,2099-01-01,0.95,400,0.02,0.9,2.0\n"
        + "M06,extra-1-M06,2099-01-01,0.95,400,0.02,0.9,2.0\n"
        + "NOBODY,extra-1,2099-01-01,0.9,300,0.1,0.9,3.0\n",
        encoding="utf-8",
    )
    return path


def last_event(ws: Workspace, subject: str):
    return ws.history(subject)[-1]


# --- the morning's work, step by step ----------------------------------------------------------


def test_import_evaluate_review_apply_override_eject_revert_reenroll(
    qtbot, view: SubjectsView, ws: Workspace, tmp_path: Path
) -> None:
    # Import: accepted and rejected rows, with reasons.
    before = ws.subject("M05").pending_sessions
    view.import_file(metrics_file(tmp_path / "today.csv"))
    wait_idle(qtbot, view)
    report = view.report_dialog
    assert report is not None and report.isVisible()
    assert report.rejected.topLevelItemCount() == 1
    assert "unknown subject 'NOBODY'" in report.rejected.topLevelItem(0).text(2)
    report.close()
    assert ws.subject("M05").pending_sessions == before + 1
    assert "2" in view.banner.text() and "rejected" in view.banner.text()

    # Evaluate off the GUI thread; the review lists every subject with new metrics.
    pending = {r.subject for r in ws.subjects() if r.pending_suggestion}
    view.evaluate()
    wait_idle(qtbot, view)
    assert view.tabs.currentWidget() is view.review
    assert {s.subject for s in view.review.suggestions} == pending
    assert view.model.status(view.model.row_of("M05")) in (SUGGESTED, NEW_METRICS)

    # Review: a row expands to its parameters and the why (every rule checked, with values).
    view.review.expand_subject("M05")
    first = view.review.model.item(
        next(i for i, s in enumerate(view.review.suggestions) if s.subject == "M05")
    )
    assert first.rowCount() == 2
    why = first.child(1)
    assert why.text().startswith("Why:") and why.rowCount() >= 1
    assert "stage transition" in why.child(0).text()

    # Accept all: one batch, every suggestion applied in the store.
    view.review.accept_all.click()
    wait_idle(qtbot, view)
    batches = {last_event(ws, s).batch for s in pending}
    assert len(batches) == 1 and None not in batches
    assert all(ws.subject(s).pending_sessions == 0 for s in pending)
    assert sorted(view.last_batch) == sorted(pending)
    assert view.review.suggestions == []

    # Override one subject: a reason is required; the preview shows the stage's parameters.
    select(view, "M05")
    dialog = view.override_dialog()
    assert isinstance(dialog, dlg.OverrideDialog) and view.dialog is dialog
    assert not dialog.ok_button.isEnabled()
    dialog.stage.setCurrentIndex(dialog.stage.findText("Mixed contrast"))
    assert dialog.preview.topLevelItemCount() > 0
    dialog.reason.setText("ran the mixed-contrast pilot on this mouse")
    assert dialog.ok_button.isEnabled()
    dialog.accept()
    wait_idle(qtbot, view)
    assert view.dialog is None
    assert ws.subject("M05").stage == "Mixed contrast"
    event = last_event(ws, "M05")
    assert (event.kind, event.reason) == ("override", "ran the mixed-contrast pilot on this mouse")
    assert ws.subject("M05").last_change == "manual"

    # Eject another.
    select(view, "M06")
    dialog = view.eject_dialog()
    dialog.reason.setText("weight below 80%")
    dialog.accept()
    wait_idle(qtbot, view)
    assert not ws.subject("M06").on_curriculum
    assert view.model.status(view.model.row_of("M06")) == OFF

    # Revert the override: M05 is back where the trainer had it.
    select(view, "M05")
    dialog = view.revert_dialog()
    assert dialog.ok_button.isEnabled()  # a revert's reason is optional
    dialog.accept()
    wait_idle(qtbot, view)
    assert ws.subject("M05").stage != "Mixed contrast"
    assert last_event(ws, "M05").kind == "revert"

    # Re-enroll the ejected one, from the start stage.
    select(view, "M06")
    assert view.reenroll_action.isEnabled()
    dialog = view.reenroll_dialog()
    assert dialog.stage is not None and dialog.stage.currentData() == "habituation"
    dialog.reason.setText("weight back to 90%, vet cleared")
    dialog.accept()
    wait_idle(qtbot, view)
    row = ws.subject("M06")
    assert row.on_curriculum and row.stage == "Habituation"
    assert last_event(ws, "M06").reason == "weight back to 90%, vet cleared"


def test_undo_apply_reverts_the_whole_batch(qtbot, view: SubjectsView, ws: Workspace) -> None:
    pending = sorted(r.subject for r in ws.subjects() if r.pending_suggestion)
    before = {s: ws.subject(s) for s in pending}
    view.evaluate()
    wait_idle(qtbot, view)
    view.apply(view.review.suggestions)
    wait_idle(qtbot, view)
    applied = {last_event(ws, s).batch for s in pending}
    assert view.undo_apply_action.isEnabled() and applied == {view.last_batch_id}
    view.undo_apply_action.trigger()
    wait_idle(qtbot, view)
    reverts = [last_event(ws, s) for s in pending]
    for subject in pending:
        now = ws.subject(subject)
        assert (now.stage, now.pending_sessions) == (before[subject].stage, before[subject].pending_sessions)
    assert all(e.kind == "revert" and e.data["reverts_batch"] in applied for e in reverts)
    assert len({e.batch for e in reverts}) == 1  # one step: the reverts were written together
    assert view.banner.level == "ok" and f"{len(pending)} subject(s) back" in view.banner.text()
    assert not view.undo_apply_action.isEnabled()


def test_an_older_batch_is_undone_from_the_timeline(qtbot, view: SubjectsView, ws: Workspace) -> None:
    """A batch applied elsewhere (another rig, an earlier session of the app): the context menu of one of
    its applied events undoes all of it, after a confirmation naming the subjects."""
    from curriculum_gui.gui.subjects.detail import BATCH_ROLE, EVENT_ROLE

    batch = ws.apply(ws.evaluate(), operator="rig-3").batch
    subjects = ws.batch_subjects(batch)
    assert len(subjects) > 1 and not view.undo_apply_action.isEnabled()
    view.refresh()
    select(view, subjects[0])
    timeline = view.detail.timeline
    newest, oldest = timeline.topLevelItem(0), timeline.topLevelItem(timeline.topLevelItemCount() - 1)
    assert newest.data(0, BATCH_ROLE)[0] == batch and "rig-3" in newest.data(0, BATCH_ROLE)[1]
    assert (
        not oldest.text(2).startswith("Trainer") and not view.detail.timeline_actions(oldest)[0].isEnabled()
    )
    # An event's rows (the rules checked) are made when it is first expanded, once.
    rows = [timeline.topLevelItem(i) for i in range(timeline.topLevelItemCount())]
    checked = next(r for r in rows if r.data(0, EVENT_ROLE).data.get("why") and r.data(0, BATCH_ROLE))
    assert checked.childCount() == 0
    checked.setExpanded(True)
    count = checked.childCount()
    assert count == len(checked.data(0, EVENT_ROLE).data["why"]) + len(
        checked.data(0, EVENT_ROLE).data.get("parameter_changes") or {}
    )
    assert "transition" in checked.child(0).text(2)
    checked.setExpanded(False)
    checked.setExpanded(True)
    assert checked.childCount() == count
    assert view.detail.timeline_actions(checked.child(0))[0].isEnabled()  # a row under a batch's event
    action = view.detail.timeline_actions(newest)[0]
    assert action.isEnabled()
    action.trigger()
    dialog = view.dialog
    shown = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert f"{len(subjects)} subject(s)" in shown and all(s in shown for s in subjects[:8])
    dialog.reason.setText("metrics of the wrong day")
    dialog.accept()
    wait_idle(qtbot, view)
    assert view.banner.level == "ok" and f"{len(subjects)} subject(s) back" in view.banner.text()
    for subject in subjects:
        event = last_event(ws, subject)
        assert event.kind == "revert" and event.reason == "metrics of the wrong day"
        assert ws.subject(subject).pending_sessions > 0


def test_undo_apply_reverts_nothing_when_another_rig_changed_a_subject(
    qtbot, view: SubjectsView, ws: Workspace
) -> None:
    view.evaluate()
    wait_idle(qtbot, view)
    view.apply(view.review.suggestions)
    wait_idle(qtbot, view)
    pending = sorted(view.last_batch)
    assert "M09" in pending
    with Workspace.open(ws.url.database) as other_rig:
        other_rig.override("M09", "Full task", reason="other rig", operator="rig-2")
    view.undo_apply_action.trigger()
    wait_idle(qtbot, view)
    assert view.banner.level == "error" and "M09" in view.banner.text()
    assert "nothing was reverted" in view.banner.text()
    assert ws.subject("M09").stage == "Full task"
    assert [last_event(ws, s).kind for s in pending if s != "M09"] == ["applied"] * (len(pending) - 1)
    assert not view.undo_apply_action.isEnabled()


def test_import_and_evaluate_show_real_progress(
    qtbot, view: SubjectsView, ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metrics, "PROGRESS_ROWS", 1)  # a report per row, as a big file gives per chunk
    monkeypatch.setattr(evaluation, "PROGRESS_EVERY", 2)
    seen: list[tuple[int, int]] = []
    bar: list[tuple[int, int]] = []
    show = view._progress

    def record(done: int, total: int) -> None:
        seen.append((done, total))
        show(done, total)
        bar.append((view.progress.value(), view.progress.maximum()))

    view._progress = record  # what the jobs report to, on the GUI thread
    view.import_file(metrics_file(tmp_path / "today.csv"))
    wait_idle(qtbot, view)
    assert seen == bar == [(1, 3), (2, 3), (3, 3)]  # rows read, checked and written
    view.report_dialog.close()

    seen.clear()
    pending = [r.subject for r in ws.subjects() if r.pending_suggestion]
    view.evaluate()
    wait_idle(qtbot, view)
    n = len(pending)
    assert seen == [(d, n) for d in range(2, n, 2)] + [(n, n)]


def test_accept_selected_applies_only_those(qtbot, view: SubjectsView, ws: Workspace) -> None:
    view.evaluate()
    wait_idle(qtbot, view)
    row = next(i for i, s in enumerate(view.review.suggestions) if s.subject == "M09")
    view.review.tree.selectionModel().select(
        view.review.model.index(row, 0), view.review.tree.selectionModel().SelectionFlag.ClearAndSelect
    )
    view.review.accept_selected.click()
    wait_idle(qtbot, view)
    assert ws.subject("M09").pending_sessions == 0
    assert ws.subject("M10").pending_sessions == 1
    assert "M09" not in {s.subject for s in view.review.suggestions}


def test_reject_changes_nothing_and_keeps_the_rejection_in_history(
    qtbot, view: SubjectsView, ws: Workspace
) -> None:
    before = [(r.subject, r.row_version) for r in ws.subjects()]
    view.evaluate()
    wait_idle(qtbot, view)
    suggestions = view.review.suggestions
    changed = {
        s.subject
        for s in suggestions
        if not s.error
        and (s.stage_changed or s.current_policies != s.suggested_policies or s.parameter_changes)
    }
    unchanged = {s.subject for s in suggestions} - changed
    assert changed and unchanged
    view.review.reject.click()
    dialog = view.dialog
    assert isinstance(dialog, dlg.ReasonDialog) and dialog.ok_button.isEnabled()  # the reason is optional
    shown = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert all(subject in shown for subject in changed)
    dialog.reason.setText("not ready: bias still high")
    dialog.accept()
    wait_idle(qtbot, view)
    assert view.review.suggestions == []
    assert [(r.subject, r.row_version) for r in ws.subjects()] == before
    assert SUGGESTED not in view.model.statuses()
    for subject in changed:
        last = ws.history(subject)[-1]
        assert last.rejected and last.reason == "not ready: bias still high"
        assert "rejected suggestion" in last.describe()
    assert not any(e.rejected for subject in unchanged for e in ws.history(subject))
    banner = view.banner.text()
    assert f"Turned down {len(changed)} suggested change(s)" in banner and "history" in banner
    assert f"dismissed {len(unchanged)} suggestion(s)" in banner


def test_cancelling_a_reject_keeps_the_review(qtbot, view: SubjectsView, ws: Workspace) -> None:
    view.evaluate()
    wait_idle(qtbot, view)
    count = len(view.review.suggestions)
    dialog = view.reject_suggestions()
    assert dialog is not None
    dialog.reject()
    wait_idle(qtbot, view)
    assert not view.busy and len(view.review.suggestions) == count
    assert not any(e.rejected for r in ws.subjects() for e in ws.history(r.subject))


def test_reject_buttons_wait_for_a_running_job_and_act_only_on_what_is_under_review(
    qtbot, view: SubjectsView, ws: Workspace
) -> None:
    view.evaluate()
    wait_idle(qtbot, view)
    assert view.review.reject.isEnabled()
    view._set_busy(True, "Applying…")  # as while an apply runs
    assert not view.review.reject.isEnabled() and not view.review.accept_all.isEnabled()
    view._set_busy(False)
    assert view.review.reject.isEnabled()
    dialog = view.reject_suggestions()
    changes = [s for s in view.review.suggestions if s.stage_changed or s.parameter_changes]
    assert len(changes) >= 2
    view.review.set_suggestions([s for s in view.review.suggestions if s is not changes[0]])  # applied
    dialog.accept()
    wait_idle(qtbot, view)
    assert not any(e.rejected for e in ws.history(changes[0].subject))
    assert all(ws.history(s.subject)[-1].rejected for s in changes[1:])


def test_rejecting_only_unchanged_suggestions_asks_nothing(qtbot, view: SubjectsView, ws: Workspace) -> None:
    view.evaluate()
    wait_idle(qtbot, view)
    unchanged = [s for s in view.review.suggestions if not s.error and review_kind(s) == 4]
    assert unchanged
    view.review.set_suggestions(unchanged)
    assert view.reject_suggestions() is None and view.dialog is None
    assert view.review.suggestions == [] and f"Dismissed {len(unchanged)}" in view.banner.text()
    assert not any(e.rejected for s in unchanged for e in ws.history(s.subject))


def test_a_failed_rejection_keeps_the_review(
    qtbot, view: SubjectsView, ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from curriculum_gui.store import DatabaseUnavailable

    view.evaluate()
    wait_idle(qtbot, view)
    count = len(view.review.suggestions)

    def gone(*_args, **_kwargs):
        raise DatabaseUnavailable("the database server is not answering")

    monkeypatch.setattr(ws, "reject", gone)
    view.reject_suggestions().accept()
    wait_idle(qtbot, view)
    assert len(view.review.suggestions) == count
    assert "Database unavailable" in view.banner.text() and "not answering" in view.banner.text()


def test_register_one_and_a_pasted_list(qtbot, view: SubjectsView, ws: Workspace) -> None:
    dialog = view.register_dialog()
    assert isinstance(dialog, dlg.RegisterDialog)
    assert not dialog.ok_button.isEnabled()
    dialog.ids.setPlainText("M01")
    assert not dialog.ok_button.isEnabled() and "Already registered" in dialog.hint.text()
    dialog.ids.setPlainText("N1\nN2, N3\tN3")
    assert dialog.ok_button.isEnabled()
    dialog.stage.setCurrentIndex(dialog.stage.findData("warmup"))
    dialog.accept()
    wait_idle(qtbot, view)  # registering runs off the GUI thread
    for subject in ("N1", "N2", "N3"):
        assert ws.subject(subject).stage == "Warm-up: one side"
    assert view.model.row_of("N3") is not None
    assert [r.subject for r in view.selected_rows()] == ["N1", "N2", "N3"]


def test_multi_selection_eject(qtbot, view: SubjectsView, ws: Workspace) -> None:
    select(view, "M11", "M12")
    dialog = view.eject_dialog()
    dialog.reason.setText("cohort paused: rig maintenance")
    dialog.accept()
    wait_idle(qtbot, view)
    assert not ws.subject("M11").on_curriculum and not ws.subject("M12").on_curriculum


# --- dialogs refuse an empty reason ------------------------------------------------------------


def test_dialogs_refuse_an_empty_reason(qtbot, view: SubjectsView) -> None:
    select(view, "M05")
    for make in (view.override_dialog, view.eject_dialog):
        dialog = make()
        assert not dialog.ok_button.isEnabled()
        dialog.reason.setText("   ")
        assert not dialog.ok_button.isEnabled()
        dialog.accept()  # Enter in a field: refused, the dialog stays
        assert dialog.result() != QDialog.DialogCode.Accepted and view.dialog is dialog
        assert "reason" in dialog.hint.text()
        dialog.reject()
        assert view.dialog is None
    select(view, "M07")
    dialog = view.reenroll_dialog()
    assert not dialog.ok_button.isEnabled()
    dialog.reject()


def test_parse_ids_from_a_spreadsheet_paste() -> None:
    assert dlg.parse_ids("M1\tM2\r\nM3, M4;M5  M1\n") == ["M1", "M2", "M3", "M4", "M5"]
    assert dlg.parse_ids("  \n ") == []


# --- errors: conflict, unreachable database, bad file --------------------------------------------


def test_conflict_with_another_rig_is_one_message_and_a_reload(
    qtbot, view: SubjectsView, ws: Workspace
) -> None:
    select(view, "M05")
    stale = view.selected_rows()
    with Workspace.open(ws.url.database) as other_rig:
        other_rig.override("M05", "Full task", reason="other rig", operator="rig-2")
    view.override(stale, "Mixed contrast", [], "moving it on")
    wait_idle(qtbot, view)
    assert "changed by someone else" in view.banner.text() and "reloaded" in view.banner.text()
    assert view.banner.level == "error"
    assert ws.subject("M05").stage == "Full task"  # the other rig's change stands; ours was not written
    assert view.model.subject_at(view.model.row_of("M05")).stage == "Full task"  # the table was reloaded


def test_apply_after_another_rig_changed_a_subject_writes_nothing(
    qtbot, view: SubjectsView, ws: Workspace
) -> None:
    view.evaluate()
    wait_idle(qtbot, view)
    with Workspace.open(ws.url.database) as other_rig:
        other_rig.override("M09", "Full task", reason="other rig", operator="rig-2")
    view.review.accept_all.click()
    wait_idle(qtbot, view)
    assert "Not done" in view.banner.text() and "M09" in view.banner.text()
    assert ws.subject("M10").pending_sessions == 1  # all or nothing: nothing was applied
    assert "M09" not in {s.subject for s in view.review.suggestions}  # the stale one is dropped
    assert "M10" in {s.subject for s in view.review.suggestions}  # the others can be applied again
    view.review.accept_all.click()
    wait_idle(qtbot, view)
    assert ws.subject("M10").pending_sessions == 0


def test_unreachable_database_keeps_the_current_one(
    qtbot, view: SubjectsView, ws: Workspace, tmp_path: Path
) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    dialog = view.database_dialog()
    dialog.url.setText(str(folder))
    dialog.accept()
    assert "Could not open" in view.banner.text() and "folder" in view.banner.text()
    assert view.ws is ws and view.model.rowCount() == 24


def test_open_another_database(qtbot, view: SubjectsView, tmp_path: Path) -> None:
    opened: list = []
    view.workspace_changed.connect(opened.append)
    typo = tmp_path / "empty.sqlite3"
    assert not view.open_database(str(typo))  # a path that is not there is not made into a database
    assert "no database file at" in view.banner.text() and str(typo) in view.banner.text()
    assert "New Database" in view.banner.text() and not typo.exists() and view.model.rowCount() == 24
    assert view.open_database(str(typo), create=True)
    assert len(opened) == 1 and view.model.rowCount() == 0 and typo.exists()
    assert "Created" in view.banner.text() and "register mice" in view.banner.text()
    opened[0].close()


def test_import_of_a_missing_file_is_a_message(qtbot, view: SubjectsView, tmp_path: Path) -> None:
    view.import_file(tmp_path / "nope.csv")
    wait_idle(qtbot, view)
    assert "no such file" in view.banner.text()


# --- export, summary, pages --------------------------------------------------------------------


def test_export_next_session_and_summary(qtbot, view: SubjectsView, ws: Workspace, tmp_path: Path) -> None:
    select(view, "M05", "M10")
    result = view.export_to(tmp_path / "out", view.selected_rows())
    assert result is not None
    import json

    data = json.loads((tmp_path / "out" / "M05.json").read_text(encoding="utf-8"))
    assert data["task_parameters"] == ws.subject("M05").parameters
    assert data["stage"] == ws.subject("M05").stage
    text = view.summary_text()
    lines = text.splitlines()
    assert lines[0].split("\t")[:3] == ["Subject", "Stage", "Status"]
    assert [line.split("\t")[0] for line in lines[1:]] == ["M05", "M10"]
    assert "reward_volume_ul" in lines[0]


def test_filter_by_text_and_status(qtbot, view: SubjectsView) -> None:
    view.filter.setText("habituation")
    assert {view.proxy.subjects([r])[0].subject for r in range(view.proxy.rowCount())} == {
        "M11",
        "M12",
        "M13",
    }
    view.filter.clear()
    view.status.setCurrentIndex(view.status.findData(OFF))
    assert [view.proxy.subjects([r])[0].subject for r in range(view.proxy.rowCount())] == ["M07"]


def test_parts_render_and_the_cohort_opens_a_subject(qtbot, view: SubjectsView) -> None:
    for part in ("subjects", "subject", "cohort", "review"):
        view.show_part(part)
        assert not view.grab().isNull()
    assert view.subject_page.subject == "M01"
    assert view.subject_page.plots is not None
    assert view.subject_page.timeline.topLevelItemCount() > 1
    assert len(view.review.suggestions) == 22
    view.show_part("cohort")
    model = view.cohort.model
    assert model.rowCount() == 24
    m03 = model.subjects.index("M03")
    assert model.cell(m03, 0).suggested == "Habituation"  # M03's override after its first session
    index = model.index(m03, 2)
    view.cohort.table.clicked.emit(index)
    assert view.tabs.currentWidget() is view.subject_page and view.subject_page.subject == "M03"
    with pytest.raises(Exception, match="unknown subjects view"):
        view.show_part("nope")


def test_why_not_yet_lists_outgoing_transitions(qtbot, view: SubjectsView) -> None:
    select(view, "M05")
    why = view.detail.why
    assert why.topLevelItemCount() >= 1
    labels = [why.topLevelItem(i).text(0) for i in range(why.topLevelItemCount())]
    assert any(label.startswith("Stage →") for label in labels)
    assert view.detail.timeline.topLevelItem(0) is not None
    assert view.detail.header.text().count("M05")


def test_drop_of_a_metrics_file_imports_it(qtbot, view: SubjectsView, ws: Workspace, tmp_path: Path) -> None:
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    path = metrics_file(tmp_path / "dropped.csv")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    view.dropEvent(event)
    wait_idle(qtbot, view)
    assert ws.subject("M06").pending_sessions == 2
    view.report_dialog.close()


def test_why_not_yet_shows_the_latest_session_of_an_evaluation(ws: Workspace) -> None:
    """An event's checks go session by session: the last session's result is the one to show."""
    from datetime import UTC, datetime

    from curriculum_gui.gui.subjects.why_not_yet import why_not_yet
    from curriculum_gui.store.records import EVALUATED, Event

    row = ws.subject("M05")
    curriculum = ws.curriculum(row.curriculum_version_id)
    transition = curriculum.outgoing_stage_transitions(row.stage_id)[0]
    checks = [
        {"id": transition.id, "session": session, "result": result, "values": {"x": n}}
        for n, (session, result) in enumerate([("s1", False), ("s2", True)])
    ]
    data = {"before_stage": row.stage, "after_stage": row.stage, "why": checks}
    event = Event(0, "M05", EVALUATED, datetime.now(UTC), "t", None, None, data)
    shown = why_not_yet(curriculum, row, [*ws.history("M05"), event])
    first = next(p for p in shown if p.kind == "stage")
    assert (first.session, first.result, first.values) == ("s2", True, {"x": 1})


def test_a_long_job_label_beside_the_filters_does_not_widen_the_window(qtbot, view) -> None:
    from curriculum_gui.gui.subjects.view import PROGRESS_LABEL_PX

    idle = view.minimumSizeHint().width()
    label = "Importing " + "a-very-long-folder-name/" * 8 + "day_2026-12-04_rig-5.csv…"
    view._set_busy(True, label)
    try:
        shown = view.progress_label.text()
        assert shown != label and "…" in shown and shown.endswith("rig-5.csv…")
        assert view.progress_label.toolTip() == label  # the whole of it, on hover
        assert view.progress_label.fontMetrics().horizontalAdvance(shown) <= PROGRESS_LABEL_PX
        assert view.minimumSizeHint().width() <= idle + PROGRESS_LABEL_PX + 300  # (the bar and spacing)
    finally:
        view._set_busy(False)
