"""The lifecycle dialogs one by one, on a copy of the demo's first dozen (one published version): publish
(validation errors, a taken version, the same content, keys), the published versions (sort, filter, open
read-only or as a draft, compare, move), the diff view's marks, moving subjects (mapping, reset, conflict,
undo) and the replay (cancel, manual changes, mapping, the filter)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRunnable, Qt, QThreadPool
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from curriculum_gui.core import edits
from curriculum_gui.core.diff import REMOVED
from curriculum_gui.core.errors import EditError
from curriculum_gui.core.migration import DROP
from curriculum_gui.core.model import Curriculum, Policy, Stage
from curriculum_gui.core.problems import ItemRef
from curriculum_gui.gui.document import Document
from curriculum_gui.gui.lifecycle.diff_window import NEW, OLD, DiffWindow, marks
from curriculum_gui.gui.lifecycle.migrate_dialog import MigrateDialog
from curriculum_gui.gui.lifecycle.publish_dialog import PublishDialog
from curriculum_gui.gui.lifecycle.replay_window import ReplayWindow
from curriculum_gui.gui.lifecycle.versions_dialog import VersionsDialog
from curriculum_gui.gui.main_window import MainWindow
from curriculum_gui.store import Workspace

from .conftest import shown_window, wait_idle

NAME = "Two-choice visual discrimination"


def edit_of(
    curriculum: Curriculum, version: str, threshold: float = 0.85, drop_shaping: bool = False
) -> Curriculum:
    """An edit of the example: a stricter two-choice → mixed contrast rule; optionally without the
    'Reward shaping' policy of Mixed contrast (a major change: subjects on it need a mapping)."""
    edit = curriculum.model_copy(deep=True)
    edit.version = version
    rule = next(t for t in edit.stage_transitions if t.id == "t4").rule
    rule.expression = f"mean(last(accuracy, 3)) >= {threshold} and bias < 0.2"
    if drop_shaping:
        stage = edit.stage("contrast")
        stage.policies = [p for p in stage.policies if p.id != "mc_reward"]
        stage.policy_transitions = [
            t for t in stage.policy_transitions if "mc_reward" not in (t.source, t.destination)
        ]
        stage.start_policies = ["mc_ramp"]
    return edit


@pytest.fixture
def db(demo_v1_file: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "lab.sqlite3"
    shutil.copy(demo_v1_file, copy)
    return copy


@pytest.fixture
def app(qtbot, db: Path, example_path: Path) -> Iterator[MainWindow]:
    """The main window on the bundled example (published in the demo as 1.0.0) and the demo database;
    "ana" is at the computer (every change is signed)."""
    for window in shown_window(qtbot, Document.open(example_path), db=str(db)):
        window.rig_tab.operators.add("ana")
        yield window


def workspace(window: MainWindow) -> Workspace:
    assert window.ensure_workspace()
    return window.workspace


def publish_dialog(window: MainWindow) -> PublishDialog:
    window.lifecycle.publish_action.trigger()
    dialog = window.lifecycle.dialog
    assert isinstance(dialog, PublishDialog) and dialog.isVisible()
    return dialog


def type_version(dialog: PublishDialog, text: str) -> str:
    dialog.version.setText(text)
    dialog.check()  # what the 150 ms timer does after typing
    return dialog.status.text()


# --- publish -----------------------------------------------------------------------------------------


def test_publish_is_refused_with_the_errors_listed_and_one_leads_to_its_item(qtbot, db: Path) -> None:
    curriculum = Curriculum(name="Broken")
    curriculum.stages.append(Stage(id="s1", name="Only"))
    curriculum.start_stage = "nowhere"
    for window in shown_window(qtbot, Document(curriculum), db=str(db)):
        dialog = publish_dialog(window)
        assert dialog.errors.isVisible() and dialog.errors.count() >= 1
        assert "Cannot publish" in dialog.errors_label.text()
        assert not dialog.publish_button.isEnabled() and "validation error" in dialog.status.text()
        dialog.accept()  # Enter: refused as well
        assert dialog.isVisible() and workspace(window).find_version(NAME)  # nothing new published
        assert [v.name for v in workspace(window).versions()] == [NAME]
        item = dialog.errors.item(0)
        dialog.errors.itemActivated.emit(item)  # Enter or double-click on an error
        assert not dialog.isVisible()
        assert window.inspector.ref == item.data(Qt.ItemDataRole.UserRole + 1)


def test_nobody_chosen_to_sign_is_said_and_chosen_in_the_dialog(qtbot, app: MainWindow) -> None:
    ws = workspace(app)
    app.rig_tab.operators.choose("")
    app.document.curriculum.stage_transitions[
        3
    ].rule.expression = "mean(last(accuracy, 3)) >= 0.9 and bias < 0.2"
    dialog = publish_dialog(app)
    assert not dialog.publish_button.isEnabled() and "choose who you are first" in dialog.status.text()
    assert dialog.signed.label.text() == "Signed by: nobody chosen yet"
    chooser = dialog.signed.choose()
    chooser.new_name.setText("bea")
    chooser.accept()
    assert dialog.signed.label.text() == "Signed by: bea" and dialog.publish_button.isEnabled()
    dialog.publish_button.click()
    assert ws.find_version(NAME).published_by == "bea"


def test_the_version_is_checked_as_typed(qtbot, app: MainWindow) -> None:
    ws = workspace(app)
    # The same content as the published 1.0.0: nothing to do.
    dialog = publish_dialog(app)
    assert dialog.version.text() == "1.0.0" and not dialog.publish_button.isEnabled()
    assert "is already published with this content" in dialog.status.text()
    assert "nothing to do" in dialog.status.text() and "No change since" in dialog.changes_label.text()
    dialog.reject()

    # An edit: 1.1.0 suggested; 1.0.0 is taken by other content; not a version; lower than the latest.
    app.document.curriculum.stage_transitions[
        3
    ].rule.expression = "mean(last(accuracy, 3)) >= 0.9 and bias < 0.2"
    app.document.changed.emit()
    dialog = publish_dialog(app)
    assert dialog.version.text() == "1.1.0" and "a minor change since 1.0.0" in dialog.suggestion.text()
    assert dialog.changes.topLevelItemCount() == 1 and dialog.changes.topLevelItem(0).text(1) == "minor"
    assert dialog.publish_button.isEnabled() and "Ready to publish" in dialog.status.text()
    text = type_version(dialog, "1.0.0")
    assert "already published with other content" in text and "suggested: 1.1.0" in text
    assert not dialog.publish_button.isEnabled()
    assert "not a semantic version" in type_version(dialog, "1.2")
    assert "Type the version" in type_version(dialog, "")
    dialog.use_suggested.click()
    dialog.check()
    assert dialog.version.text() == "1.1.0" and dialog.publish_button.isEnabled()
    assert "lower than the latest published version (1.0.0)" in type_version(dialog, "0.9.0")
    assert dialog.publish_button.isEnabled()  # a warning, not a refusal
    dialog.reject()
    assert [v.version for v in ws.versions()] == ["1.0.0"]


def test_publish_from_the_keyboard_updates_the_document_and_offers_to_move(qtbot, app: MainWindow) -> None:
    ws = workspace(app)
    label = next(w for w in publish_dialog(app).findChildren(QLabel) if w.text() == "&Version:")
    assert label.buddy() is app.lifecycle.dialog.version
    app.lifecycle.dialog.reject()
    qtbot.keyClick(app, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = app.lifecycle.dialog
    assert isinstance(dialog, PublishDialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Esc: nothing published
    assert not dialog.isVisible() and len(ws.versions()) == 1

    app.document.curriculum.stage_transitions[
        3
    ].rule.expression = "mean(last(accuracy, 3)) >= 0.9 and bias < 0.2"
    app.document.changed.emit()
    dialog = publish_dialog(app)
    qtbot.keyClick(dialog.version, Qt.Key.Key_Return)  # Enter in the field: the default button, Publish
    assert not dialog.isVisible()
    assert [v.version for v in ws.versions()] == ["1.0.0", "1.1.0"]
    assert app.document.curriculum.version == "1.1.0"
    box = app.lifecycle.message
    assert isinstance(box, QMessageBox) and "12 subject(s) are on older versions" in box.text()
    box.button(QMessageBox.StandardButton.No).click()
    assert app.subjects_view.dialog is None  # not moved
    assert {r.curriculum_version for r in ws.subjects()} == {"1.0.0"}
    app.undo_action.trigger()  # the version change is one step of undo
    assert app.document.curriculum.version == "1.0.0"


def test_a_version_published_meanwhile_by_someone_else_keeps_the_dialog_open(qtbot, app: MainWindow) -> None:
    ws = workspace(app)
    app.document.curriculum.stage_transitions[
        3
    ].rule.expression = "mean(last(accuracy, 3)) >= 0.9 and bias < 0.2"
    dialog = publish_dialog(app)
    assert dialog.version.text() == "1.1.0" and dialog.publish_button.isEnabled()
    ws.publish(edit_of(ws.curriculum(ws.versions()[0].id), "1.1.0", 0.95))  # another rig, meanwhile
    dialog.accept()
    assert dialog.isVisible() and "already published with other content" in dialog.status.text()
    assert "suggested: 1.2.0" in dialog.status.text()


# --- published versions --------------------------------------------------------------------------------


def test_versions_sort_by_number_filter_and_open_read_only(qtbot, app: MainWindow) -> None:
    ws = workspace(app)
    base = ws.curriculum(ws.versions()[0].id)
    for i, version in enumerate(("1.10.0", "1.9.0")):
        ws.publish(edit_of(base, version, 0.81 + i / 100))
    dialog = app.lifecycle.show_versions()
    assert isinstance(dialog, VersionsDialog) and dialog.isVisible()
    assert dialog.count.text() == "3 of 3 versions"
    dialog.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    assert [dialog.proxy.index(r, 1).data() for r in range(3)] == ["1.0.0", "1.9.0", "1.10.0"]
    dialog.table.sortByColumn(5, Qt.SortOrder.DescendingOrder)  # subjects now, as numbers
    assert dialog.proxy.index(0, 5).data() == "12"
    dialog.filter.setText("1.9")
    assert dialog.count.text() == "1 of 3 versions"
    dialog.filter.setText("")

    v1 = ws.find_version(NAME, "1.0.0")
    dialog.select_ids([v1.id])
    assert dialog.move_button.isEnabled() and dialog.open_button.isEnabled()
    dialog.table.setFocus()
    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)  # Enter: open read-only
    assert not dialog.isVisible() and app.lifecycle.versions_dialog is None
    document = app.document
    assert document.read_only and "(read-only)" in app.windowTitle()
    stages = len(document.curriculum.stages)
    app.canvas.add_action.trigger()  # refused, said on the canvas
    assert (
        len(document.curriculum.stages) == stages
        and "published and never changes" in app.canvas.banner.text()
    )
    with pytest.raises(EditError, match="never changes"):
        document.apply(edits.set_info(document.curriculum, name="x"))
    # A refused drag puts the node back where the document has it.
    scene = app.canvas.stage_scene
    node = next(iter(scene.nodes.values()))
    where = node.pos()
    node.setPos(where.x() + 200, where.y())
    assert not scene.commit_moves() and node.pos() == where


def test_a_version_opens_as_a_draft_compares_and_moves_its_subjects(qtbot, app: MainWindow) -> None:
    ws = workspace(app)
    base = ws.curriculum(ws.versions()[0].id)
    v2 = ws.publish(edit_of(base, "2.0.0", drop_shaping=True))
    v1 = ws.find_version(NAME, "1.0.0")

    dialog = app.lifecycle.show_versions()
    dialog.select_ids([v1.id, v2.id])
    assert dialog.compare_button.isEnabled() and not dialog.open_button.isEnabled()
    dialog.compare_button.click()
    diff = app.lifecycle.windows[-1]
    assert isinstance(diff, DiffWindow) and diff.labels == {OLD: v1.label, NEW: v2.label}
    assert diff.diff.bump.label == "major"

    dialog.select_ids([v2.id])
    dialog.compare_with.setCurrentIndex(0)  # the open document (the example: 1.0.0's content)
    dialog.compare_button.click()
    against = app.lifecycle.windows[-1]
    assert against is not diff and against.labels[NEW].startswith("the open document")
    assert {c.action for c in against.diff.changes} >= {"added", "changed"}  # the policy comes back

    dialog.select_ids([v2.id])
    assert not dialog.move_button.isEnabled()  # nobody on 2.0.0
    dialog.draft_button.click()
    assert not app.document.read_only and app.document.path is None
    assert app.document.curriculum.version == "2.0.0" and "(unsaved)" in app.windowTitle()
    app.canvas.add_action.trigger()
    assert len(app.document.curriculum.stages) == len(base.stages) + 1

    app.document.undo_stack.clear()  # the next open must not stop at the unsaved-changes question
    dialog = app.lifecycle.show_versions()
    dialog.select_ids([v1.id])
    dialog.move_button.click()
    move = app.subjects_view.dialog
    assert isinstance(move, MigrateDialog) and move.from_version == v1.id and move.target_id() == v2.id
    assert not dialog.isVisible() and app.modes.currentWidget() is app.subjects_view
    move.reject()


def test_versions_dialog_closes_with_esc(qtbot, app: MainWindow) -> None:
    dialog = app.lifecycle.show_versions()
    assert app.lifecycle.show_versions() is dialog  # one at a time
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and app.lifecycle.versions_dialog is None


# --- the diff view ------------------------------------------------------------------------------------


def test_the_diff_view_marks_items_and_selecting_a_change_selects_it(qtbot, example: Curriculum) -> None:
    new = edit_of(example, "2.0.0", drop_shaping=True)
    new.stages.append(
        Stage(id="rest", name="Rest", policies=[Policy(id="r1", name="Nap")], start_policies=["r1"])
    )
    new.stage("final").task.parameters["reward_volume_ul"] = 2.5
    window = DiffWindow(example, new, "1.0.0", "2.0.0")
    qtbot.addWidget(window)
    window.show()
    assert "+ ADDED" in window.legend.text() and "REMOVED" in window.legend.text()

    scene = window.canvas.stage_scene
    assert scene.marked() == {
        "rest": "added",
        "t4": "changed",
        "final": "changed",
        "contrast": "changed",
    }
    assert marks(window.diff.changes, OLD) == {
        ItemRef("policy", "mc_reward", "contrast"): "removed",
        ItemRef("policy_transition", "mc_pt1", "contrast"): "removed",
        ItemRef("stage", "contrast"): "changed",
    }

    # A changed transition: selected on the newer graph.
    index = next(i for i, c in enumerate(window.diff.changes) if c.ref == ItemRef("stage_transition", "t4"))
    window.select_change(index)
    assert window.side == NEW and window.selected_refs() == [ItemRef("stage_transition", "t4")]
    # A removed policy: the older graph, its policy graph open, the item selected (dashed red), said so.
    index = next(i for i, c in enumerate(window.diff.changes) if c.action == REMOVED and c.kind == "policy")
    window.select_change(index)
    assert window.side == OLD and window.show_old.isChecked()
    assert window.selected_refs() == [ItemRef("policy", "mc_reward", "contrast")]
    assert window.canvas.policy_scene.marked() == {"mc_reward": "removed", "mc_pt1": "removed"}
    assert "was removed" in window.note.text() and "2.0.0" in window.note.text()
    # The filter narrows the list; Esc closes.
    window.filter.setText("Rest")
    shown = [window.changes.topLevelItem(i) for i in range(window.changes.topLevelItemCount())]
    assert [i.text(0) for i in shown if not i.isHidden()] == ["stage 'Rest': added"]
    window.activateWindow()  # shortcuts need the active window (offscreen too)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(window.changes, Qt.Key.Key_Escape)
    assert not window.isVisible()


def test_the_same_curriculum_has_nothing_marked(qtbot, example: Curriculum) -> None:
    window = DiffWindow(example, example.model_copy(deep=True), "a", "b")
    qtbot.addWidget(window)
    assert window.canvas.stage_scene.marked() == {} and "are the same curriculum" in window.note.text()
    assert window.changes.topLevelItemCount() == 0


def test_a_read_only_document_refuses_every_edit(example: Curriculum) -> None:
    document = Document(example, read_only="published: read-only")
    with pytest.raises(EditError, match="published: read-only"):
        document.apply(edits.set_info(example, version="9.9.9"))
    assert document.undo_stack.count() == 0 and example.version == "1.0.0"
    assert document.display_name == f"{NAME} 1.0.0 (read-only)"


# --- moving subjects ----------------------------------------------------------------------------------


@pytest.fixture
def two_versions(app: MainWindow) -> tuple[Workspace, int, int]:
    ws = workspace(app)
    v1 = ws.versions()[0]
    v2 = ws.publish(edit_of(ws.curriculum(v1.id), "2.0.0", drop_shaping=True))
    return ws, v1.id, v2.id


def subjects_tab(window: MainWindow):
    workspace(window)
    window.modes.setCurrentWidget(window.subjects_view)
    return window.subjects_view


def planned(qtbot, dialog: MigrateDialog) -> None:
    qtbot.waitUntil(lambda: dialog.plan is not None or dialog._error is not None, timeout=30_000)


def test_moving_needs_a_mapping_a_reason_and_undoes_as_one_step(qtbot, app: MainWindow, two_versions) -> None:
    ws, _v1, v2 = two_versions
    view = subjects_tab(app)
    view.select_subjects([r.subject for r in ws.subjects()])
    assert view.move_action.isEnabled()
    dialog = view.move_dialog()
    assert isinstance(dialog, MigrateDialog) and dialog.target_id() == v2  # the latest of the same name
    planned(qtbot, dialog)
    assert [n.label for n in dialog.plan.needed] == ["policy 'Reward shaping' of stage 'Mixed contrast'"]
    assert dialog.mapping.isVisible() and "1 item(s) have no counterpart" in dialog.mapping_note.text()
    assert not dialog.ok_button.isEnabled() and "Choose where policy 'Reward shaping'" in dialog.hint.text()
    notes = {dialog.proxy.key(r): dialog.proxy.index(r, 5).data() for r in range(dialog.proxy.rowCount())}
    assert (
        notes["M06"].startswith("waits: map policy 'Reward shaping'")
        and notes["M07"] == "off curriculum: stays off"
    )

    # Drop it: the dry run is worked out again; everyone can move.
    combo = next(iter(dialog.mapping.combos.values()))
    assert combo.currentData() is None  # never guessed
    combo.setCurrentIndex(combo.findData(DROP))
    planned(qtbot, dialog)
    assert dialog.plan.ready and len(dialog.plan.moves) == 12
    m06 = next(m.moved for m in dialog.plan.moves if m.moved.subject == "M06")
    assert m06.after_policies == ("Contrast ramp",)
    assert dialog.plan.mapping == ("contrast/mc_reward=-",)
    assert "reason" in dialog.hint.text() and not dialog.ok_button.isEnabled()
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)  # Enter without a reason: nothing happens
    assert dialog.isVisible()
    dialog.reason.setText("Reward shaping retired")
    assert dialog.ok_button.isEnabled() and dialog.ok_button.text() == "&Move 12 subject(s)"
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    wait_idle(qtbot, view)
    assert {r.curriculum_version for r in ws.subjects()} == {"2.0.0"}
    assert {ws.history(s)[-1].operator for s in ("M01", "M06")} == {"ana"}
    assert ws.state("M06").active_policies == ("mc_ramp",)
    assert "Moved 12 subject(s)" in view.banner.text() and view.undo_apply_action.text() == "Undo move (12)"

    view.undo_apply_action.trigger()
    wait_idle(qtbot, view)
    assert {r.curriculum_version for r in ws.subjects()} == {"1.0.0"}
    assert ws.state("M06").active_policies == ("mc_ramp", "mc_reward")
    assert "Undid the move" in view.banner.text() and not view.undo_apply_action.isEnabled()


def test_reset_parameters_and_a_conflict(qtbot, app: MainWindow, two_versions) -> None:
    ws, _v1, v2 = two_versions
    view = subjects_tab(app)
    dialog = view.move_dialog(["M05", "M08"], target=v2)
    planned(qtbot, dialog)
    kept = {m.moved.subject: m.moved.after.parameters for m in dialog.plan.moves}
    ws.override(
        "M05", "Two-choice, high contrast", parameters={**kept["M05"], "block_length": 33}, reason="x"
    )
    dialog.reset.setChecked(True)
    planned(qtbot, dialog)
    defaults = ws.curriculum(v2).stage("two_choice").task.parameters
    assert all(m.moved.after.parameters == defaults for m in dialog.plan.moves)
    assert "get the target stage's defaults" in dialog.summary.text()
    ws.eject("M08", reason="another rig")  # after the dry run
    dialog.reason.setText("new version")
    dialog.accept()
    wait_idle(qtbot, view)
    assert "Not done" in view.banner.text() and "M08" in view.banner.text()
    assert {ws.subject(s).curriculum_version for s in ("M05", "M08")} == {"1.0.0"}  # nothing moved


def test_moving_with_one_version_published_is_explained(qtbot, app: MainWindow) -> None:
    view = subjects_tab(app)
    assert view.move_dialog(["M01"]) is None  # one version only
    assert "publish another one first" in view.banner.text()


# --- replay -------------------------------------------------------------------------------------------


class _Blocker(QRunnable):
    def __init__(self, gate: threading.Event) -> None:
        super().__init__()
        self.gate = gate

    def run(self) -> None:
        self.gate.wait(30)


def test_a_replay_can_be_cancelled_and_run_again(qtbot, app: MainWindow, example: Curriculum) -> None:
    ws = workspace(app)
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    gate = threading.Event()
    pool.start(_Blocker(gate))  # the replay waits behind it: cancelled before it starts
    window = ReplayWindow(ws, edit_of(example, "1.1.0"), "a test", pool=pool)
    qtbot.addWidget(window)
    window.show()
    assert window.run() and window.running and not window.run()  # one at a time
    assert window.progress.isVisible() and window.progress.cancel_button.isEnabled()
    window.progress.cancel_button.click()
    gate.set()
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)
    assert window.result is not None and window.result.subjects == ()
    assert "Cancelled" in window.summary.text() and not window.progress.isVisible()
    assert window.run()
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)
    assert window.result.summary.replayed == 12 and "Cancelled" not in window.summary.text()
    pool.waitForDone()


def test_replay_results_filter_manual_changes_and_mapping(
    qtbot, app: MainWindow, example: Curriculum
) -> None:
    ws = workspace(app)
    window = app.lifecycle.replay(edit_of(example, "2.0.0", drop_shaping=True), "a test")
    qtbot.waitUntil(lambda: window.result is not None and not window.running, timeout=30_000)
    result = window.result
    skipped = {s.subject: s.skipped for s in result.subjects if s.skipped}
    # M06 and M09 are on 'Reward shaping', M01-M04 went through it: no counterpart, so not replayed.
    assert set(skipped) == {"M01", "M02", "M03", "M04", "M06", "M09"} and "not in the edit" in skipped["M06"]
    assert (
        window.mapping.isVisible()
        and "not replayed unless you say where it goes" in window.mapping_note.text()
    )
    rows = {window.proxy.key(r): window.proxy.index(r, 1).data() for r in range(window.proxy.rowCount())}
    assert rows["M06"] == "not replayed" and all(v != "the same" for v in rows.values())
    window.only_differ.setChecked(False)
    assert window.proxy.rowCount() == 12 and window.count.text() == "12 of 12 subjects"
    window.select_subject("M06")
    assert "not replayed" in window.detail.title.text()

    # Say where 'Reward shaping' goes: everyone is replayed.
    combo = window.mapping.combos[("policy", "contrast", "mc_reward")]
    combo.setCurrentIndex(combo.findData(DROP))
    qtbot.waitUntil(lambda: not window.running and window.result is not result, timeout=30_000)
    assert window.result.summary.skipped == 0 and window.result.summary.replayed == 12

    # Without the manual changes: reality moves, the what-if does not (the demo has overrides).
    with_manual = window.result
    window.include_manual.setChecked(False)
    qtbot.waitUntil(lambda: not window.running and window.result is not with_manual, timeout=30_000)
    assert window.result.summary.changed > with_manual.summary.changed
    window.reject()
    assert not window.isVisible()
    assert {r.curriculum_version for r in ws.subjects()} == {"1.0.0"}  # a replay changes nothing


def test_a_move_is_undone_from_the_timeline_too(qtbot, app: MainWindow, two_versions) -> None:
    from curriculum_gui.gui.subjects.detail import BATCH_ROLE

    ws, _v1, v2 = two_versions
    view = subjects_tab(app)
    dialog = view.move_dialog(["M05", "M08"], target=v2)
    planned(qtbot, dialog)
    dialog.reason.setText("new version")
    dialog.accept()
    wait_idle(qtbot, view)
    view.last_batch, view.last_batch_id = [], None  # as after a restart: only the timeline knows the batch
    view.select_subjects(["M05"])
    newest = view.detail.timeline.topLevelItem(0)
    assert "Moved to another version" in newest.text(2) and "1.0.0 → " in newest.text(2)
    (undo,) = view.detail.timeline_actions(newest)
    assert undo.text() == "&Undo this move (the whole batch)…" and undo.isEnabled()
    undo.trigger()
    confirm = view.dialog
    assert (
        confirm is not None and "go back to the version and place" in confirm.findChildren(QLabel)[0].text()
    )
    assert newest.data(0, BATCH_ROLE)[1].startswith("moved")
    confirm.accept()
    wait_idle(qtbot, view)
    assert {ws.subject(s).curriculum_version for s in ("M05", "M08")} == {"1.0.0"}
    assert "Undid the move: 2 subject(s)" in view.banner.text()
    assert ws.history("M08")[-1].reason == "undo of a move to another version"


def test_the_publish_dialog_replays_the_edit_before_publishing(qtbot, app: MainWindow) -> None:
    app.document.curriculum.stage_transitions[
        3
    ].rule.expression = "mean(last(accuracy, 3)) >= 0.9 and bias < 0.2"
    dialog = publish_dialog(app)
    dialog.replay_button.click()
    replay = next(w for w in dialog.findChildren(ReplayWindow))
    assert replay.isModal() and replay.curriculum.version == "1.1.0"  # as it would be published
    qtbot.waitUntil(lambda: replay.result is not None and not replay.running, timeout=30_000)
    assert replay.result.summary.changed >= 1 and replay.proxy.rowCount() >= 1
    differing = {s.subject for s in replay.result.subjects if s.changed}
    assert replay.detail.subject in differing  # the table starts with those that move differently
    replay.reject()
    assert dialog.isVisible() and dialog.publish_button.isEnabled()  # back to publishing
