"""The issue's story, end to end, from an empty database and an empty window, with no command line: draw a
curriculum, publish it, register mice, import their sessions and apply the trainer's suggestions, edit the
curriculum, replay the edit on those mice (and see who would move differently), publish the new version
and move the mice to it. Each step is checked in the store; the replay's difference is checked against an
independent run of the trainer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from curriculum_gui.core.model import Curriculum, MetricType
from curriculum_gui.core.problems import ItemRef, Severity
from curriculum_gui.core.trainer import Trainer
from curriculum_gui.gui.document import Document
from curriculum_gui.gui.lifecycle.migrate_dialog import MigrateDialog
from curriculum_gui.gui.lifecycle.publish_dialog import PublishDialog
from curriculum_gui.gui.lifecycle.replay_window import ReplayWindow
from curriculum_gui.gui.main_window import MainWindow
from curriculum_gui.gui.subjects import dialogs as dlg

from .conftest import shown_window, wait_idle

SESSIONS = {  # accuracy per session; A1 passes 0.6 but not 0.75 on its first session
    "A1": [0.7, 0.9, 0.9],
    "A2": [0.9, 0.9, 0.9],
    "A3": [0.5, 0.5, 0.5],
}


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[MainWindow]:
    """An empty curriculum, on a new (empty) SQLite database: no demo mice; "ana" signs the changes."""
    from curriculum_gui.store import Workspace

    with Workspace.open(tmp_path / "lab.sqlite3", create=True):  # only an explicit create makes one
        pass
    for win in shown_window(qtbot, Document(Curriculum()), db=str(tmp_path / "lab.sqlite3")):
        win.rig_tab.operators.add("ana")
        yield win


def commit_line(field, text: str) -> None:
    field.setText(text)
    field.editingFinished.emit()


def set_rule(window: MainWindow, ref: ItemRef, text: str) -> None:
    window.select_item(ref)
    editor = window.inspector.pages["transition"].rule
    editor.text_edit.setPlainText(text)
    assert editor.check_now() == []
    editor.commit()


def draw(window: MainWindow) -> dict[str, str]:
    """Name, version, a metric, three stages (start, terminal), two rules, a task parameter."""
    inspector, document = window.inspector, window.document
    window.select_item(ItemRef("curriculum"))
    page = inspector.pages["curriculum"]
    commit_line(page.name, "Lick training")
    commit_line(page.version, "1.0.0")
    page.add_metric()
    page.metrics.item(0, 0).setText("accuracy")
    page.metrics.cellWidget(0, 1).setCurrentText(MetricType.NUMBER.value)
    ids = {}
    for name in ("Warm-up", "Training", "Graduated"):
        window.canvas.add_action.trigger()
        ids[name] = document.curriculum.stages[-1].id
        window.select_item(ItemRef("stage", ids[name]))
        commit_line(inspector.pages["stage"].name, name)
    window.select_item(ItemRef("stage", ids["Warm-up"]))
    inspector.pages["stage"].start.setChecked(True)
    window.select_item(ItemRef("stage", ids["Graduated"]))
    inspector.pages["stage"].terminal.setChecked(True)
    window.select_item(ItemRef("stage", ids["Training"]))
    inspector.pages["stage"].parameters.parameter_set.emit(["reward"], 3.0)
    scene = window.canvas.stage_scene
    ids["promote"] = scene.connect_nodes(ids["Warm-up"], ids["Training"]).id
    set_rule(window, ItemRef("stage_transition", ids["promote"]), "accuracy > 0.6")
    ids["graduate"] = scene.connect_nodes(ids["Training"], ids["Graduated"]).id
    set_rule(
        window, ItemRef("stage_transition", ids["graduate"]), "accuracy > 0.8 and sessions_in_stage >= 2"
    )
    assert [p for p in document.problems if p.severity is Severity.ERROR] == []
    return ids


def publish(qtbot, window: MainWindow, expected_version: str) -> PublishDialog:
    window.lifecycle.publish_action.trigger()
    dialog = window.lifecycle.dialog
    assert isinstance(dialog, PublishDialog) and dialog.isVisible()
    assert dialog.version.text() == expected_version
    assert dialog.problem() is None and dialog.publish_button.isEnabled()
    dialog.publish_button.click()
    assert not dialog.isVisible() and dialog.result_version is not None
    return dialog


def test_draw_publish_register_train_edit_replay_publish_and_move(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    ids = draw(window)

    # Publish it from the app (the Subjects tab used to say "publish one from the editor first").
    first = publish(qtbot, window, "1.0.0")
    assert "No version of 'Lick training' is published" in first.changes_label.text()
    ws = window.workspace
    (v1,) = ws.versions()
    assert (v1.name, v1.version) == ("Lick training", "1.0.0")
    assert ws.curriculum(v1.id).stage(ids["Training"]).task.parameters == {"reward": 3.0}
    assert window.lifecycle.message is None  # nobody to move yet

    # Register three mice from the Subjects tab.
    view = window.subjects_view
    window.modes.setCurrentWidget(view)
    dialog = view.register_dialog()
    assert isinstance(dialog, dlg.RegisterDialog) and dialog.version.currentText() == "Lick training 1.0.0"
    dialog.ids.setPlainText("A1\nA2\nA3")
    dialog.accept()
    wait_idle(qtbot, view)
    assert [(r.subject, r.stage) for r in ws.subjects()] == [(s, "Warm-up") for s in ("A1", "A2", "A3")]

    # Import their sessions, evaluate, accept every suggestion as one batch.
    csv = tmp_path / "sessions.csv"
    lines = ["subject,session,date,accuracy"]
    for subject, values in SESSIONS.items():
        lines += [f"{subject},{subject}-{i},2026-03-0{i},{v}" for i, v in enumerate(values, 1)]
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    view.import_file(csv)
    wait_idle(qtbot, view)
    view.report_dialog.close()
    view.evaluate()
    wait_idle(qtbot, view)
    view.review.accept_all.click()
    wait_idle(qtbot, view)
    assert {r.subject: r.stage for r in ws.subjects()} == {
        "A1": "Graduated",
        "A2": "Graduated",
        "A3": "Warm-up",
    }

    # Edit the curriculum in the editor: promotion out of warm-up is stricter.
    window.modes.setCurrentWidget(window.tabs)
    set_rule(window, ItemRef("stage_transition", ids["promote"]), "accuracy > 0.75")
    edit = window.document.curriculum.model_copy(deep=True)

    # Replay the edit on those mice, from Try it: A1 would move differently, the others the same.
    window.simulate.replay_button.click()
    replay = window.lifecycle.windows[-1]
    assert isinstance(replay, ReplayWindow) and replay.isVisible()
    qtbot.waitUntil(lambda: replay.result is not None and not replay.running, timeout=30_000)
    result = replay.result
    assert result.summary.replayed == 3 and result.summary.changed == 1
    a1 = next(s for s in result.subjects if s.subject == "A1")
    assert a1.changed and a1.first_difference == 0
    assert "1 would move differently" in replay.summary.text()
    assert replay.proxy.rowCount() == 1 and replay.proxy.key(0) == "A1"  # "only subjects that differ"
    assert replay.detail.subject == "A1"
    assert len(replay.detail.plot.getPlotItem().listDataItems()) == 2  # really and under the edit
    # Independently: the trainer on the edited curriculum takes A1 to Training, not to Graduated.
    trainer = Trainer(edit)
    state = trainer.enroll()
    for value in SESSIONS["A1"]:
        state = trainer.evaluate(state, {"accuracy": value}).state
    assert state.stage_id == ids["Training"] == a1.what_if_end[0]
    assert a1.real_end[0] == ids["Graduated"]
    replay.close()

    # Publish the new version: a rule changed, so 1.1.0 is suggested; the document follows (one undo step).
    second = publish(qtbot, window, "1.1.0")
    assert [c.bump.label for c in second.first_preview.diff.changes] == ["minor"]
    assert window.document.curriculum.version == "1.1.0"
    assert window.document.undo_stack.undoText() == "Set the version to 1.1.0 (published)"
    v2 = ws.find_version("Lick training")
    assert v2.version == "1.1.0"

    # The app offers to move the mice on 1.0.0 to it: yes; the dry run shows where each lands.
    box = window.lifecycle.message
    assert isinstance(box, QMessageBox) and "3 subject(s) are on older versions" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    move = view.dialog
    assert isinstance(move, MigrateDialog) and window.modes.currentWidget() is view
    assert move.target_id() == v2.id
    qtbot.waitUntil(lambda: move.plan is not None, timeout=30_000)
    assert move.plan.ready and [m.moved.subject for m in move.plan.moves] == ["A1", "A2", "A3"]
    assert not move.ok_button.isEnabled()  # a reason first
    move.reason.setText("stricter promotion out of warm-up")
    assert move.ok_button.isEnabled() and move.ok_button.text() == "&Move 3 subject(s)"
    move.accept()
    wait_idle(qtbot, view)

    # The store: every mouse on 1.1.0, where it was, its history saying so, as one undoable batch.
    rows = {r.subject: r for r in ws.subjects()}
    assert {s: (r.curriculum_version, r.stage) for s, r in rows.items()} == {
        "A1": ("1.1.0", "Graduated"),
        "A2": ("1.1.0", "Graduated"),
        "A3": ("1.1.0", "Warm-up"),
    }
    events = [ws.history(s)[-1] for s in rows]
    assert {(e.kind, e.reason, e.operator) for e in events} == {
        ("migrated", "stricter promotion out of warm-up", "ana")
    }
    assert len({e.batch for e in events}) == 1 and view.last_batch_id == events[0].batch
    assert view.undo_apply_action.text() == "Undo move (3)"
    counts = {s.record.version: (s.subjects_now, s.subjects_ever) for s in ws.version_summaries()}
    assert counts == {"1.0.0": (0, 3), "1.1.0": (3, 3)}
