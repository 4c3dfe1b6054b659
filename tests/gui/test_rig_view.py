"""The Rig tab on a real demo workspace: scan a mouse, weigh it, fix a parameter with a reason, eject and
re-enroll, send it to the rig, accept an underweight promotion only on purpose, undo, the watched folder,
the schedule and the run sheet. Every step is checked against the store."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from curriculum_gui.core.metrics_import import MetricsRow
from curriculum_gui.core.runsheet import exact
from curriculum_gui.gui.operators import OperatorDialog, Operators
from curriculum_gui.gui.rig import RigView
from curriculum_gui.gui.rig.dialogs import ParametersDialog
from curriculum_gui.gui.rig.view import SUBJECT_ROLE, UNDERWEIGHT
from curriculum_gui.store import Workspace, metrics

from .conftest import wait_idle

DAY = date(2026, 11, 20)  # the demo's "today" (a Friday): rig-1 and rig-2 were weighed this morning


@pytest.fixture
def operators(qtbot) -> Operators:
    """This computer's operator list, empty at the start of each test, then "alice" chosen."""
    settings = QSettings()
    for key in ("operators/names", "operators/current", "rig/name"):
        settings.remove(key)
    ops = Operators()
    ops.add("alice")
    return ops


@pytest.fixture
def rig(qtbot, ws: Workspace, operators: Operators) -> RigView:
    view = RigView(ws, operators)
    qtbot.addWidget(view)
    view.resize(1400, 860)
    view.show()
    view.set_day(DAY)
    view.set_rig("rig-2")
    yield view
    wait_idle(qtbot, view)
    view.stop_watching()


def listed(view: RigView) -> list[str]:
    return [view.list.topLevelItem(i).data(0, SUBJECT_ROLE) for i in range(view.list.topLevelItemCount())]


def test_scanning_an_id_shows_the_mouse_in_full(qtbot, rig: RigView, ws: Workspace) -> None:
    assert listed(rig) == ["M01", "M05", "M09"]  # rig-2's schedule, in slot order
    item = rig.list.topLevelItem(1)
    assert item.foreground(1) == UNDERWEIGHT and "77%" in item.text(2)  # M05 weighed 77% this morning
    rig.scan.setText("M09")
    qtbot.keyClick(rig.scan, Qt.Key.Key_Return)
    assert rig.info is not None and rig.info.row.subject == "M09" and rig.scan.text() == ""
    assert rig.list.currentItem().data(0, SUBJECT_ROLE) == "M09"
    shown = rig.panel.parameters.text()
    for name, value in ws.subject("M09").parameters.items():
        if not isinstance(value, dict):
            assert f">{name}<" in shown and f">{exact(value)}" in shown  # every value, in full
    assert "contrast_set.lowest" in shown
    assert "Mixed contrast" in rig.panel.stage.text()
    assert rig.panel.suggestion.text() and rig.info.suggestion is not None  # its pending session, evaluated
    assert len(rig.info.sessions) == 5 and "weight_fraction" in rig.panel.sessions.text()

    rig.find("M02")  # a mouse of another rig: shown, and said so
    assert rig.info.row.subject == "M02" and "not on rig-2's list" in rig.banner.text()
    rig.find("NOPE")
    assert rig.banner.level == "error" and "No mouse 'NOPE'" in rig.banner.text()
    assert rig.info.row.subject == "M02"


def test_without_an_operator_nothing_is_written_and_one_is_asked_for(
    qtbot, rig: RigView, ws: Workspace, operators: Operators
) -> None:
    operators.choose("")
    rig.select("M09")
    before, weights = len(ws.history("M09")), len(ws.weights("M09"))
    rig.panel.weight_input.setText("21.5")
    rig.panel.record_button.click()
    assert isinstance(rig.dialog, OperatorDialog) and "Choose who you are" in rig.banner.text()
    assert len(ws.weights("M09")) == weights and len(ws.history("M09")) == before
    rig.dialog.new_name.setText("bob")
    rig.dialog.accept()
    assert operators.current() == "bob"
    rig.panel.record_button.click()
    wait_idle(qtbot, rig)
    assert ws.weights("M09")[-1].operator == "bob" and ws.weights("M09")[-1].grams == 21.5


def test_weigh_then_undo(qtbot, rig: RigView, ws: Workspace) -> None:
    rig.select("M09")
    count = len(ws.weights("M09"))
    rig.panel.weight_input.setText("15.0")
    qtbot.keyClick(rig.panel.weight_input, Qt.Key.Key_Return)
    wait_idle(qtbot, rig)
    assert len(ws.weights("M09")) == count + 1 and ws.weight_status(["M09"])["M09"].underweight
    assert "UNDERWEIGHT" in rig.banner.text() and "UNDERWEIGHT" in rig.panel.weight_text.text()
    assert "weight of M09" in rig.undo_button.text()
    rig.undo()
    wait_idle(qtbot, rig)
    assert len(ws.weights("M09")) == count and not ws.weight_status(["M09"])["M09"].underweight
    rig.panel.weight_input.setText("heavy")
    rig.panel.record_button.click()
    assert rig.banner.level == "error" and "grams" in rig.banner.text()


def test_override_a_single_parameter_with_the_typed_editor_then_undo(
    qtbot, rig: RigView, ws: Workspace
) -> None:
    rig.select("M09")
    before = ws.subject("M09")
    dialog = rig.parameters_dialog()
    assert isinstance(dialog, ParametersDialog) and not dialog.ok_button.isEnabled()
    assert not dialog.editor.add_button.isVisible() and not dialog.editor.remove_button.isVisible()
    items = {item.text(0): item for item in dialog.editor._all_items()}
    items["block_length"].setText(1, "32.5")  # a whole number stays whole: refused by the editor
    assert "not a whole number" in dialog.editor.message.text() and dialog.changes == {}
    items["block_length"].setText(1, "30")
    items["lowest"].setText(1, "0.4")  # inside the contrast_set group
    assert dialog.changes == {"block_length": 30, "contrast_set.lowest": 0.4}
    assert "block_length: 40 → 30" in dialog.changed.text()
    assert not dialog.ok_button.isEnabled()  # no reason yet
    dialog.reason.setText("disengaged: shorter blocks today")
    dialog.accept()
    wait_idle(qtbot, rig)
    after = ws.subject("M09")
    assert after.parameters["block_length"] == 30 and after.parameters["contrast_set"]["lowest"] == 0.4
    assert (after.stage, after.policies) == (before.stage, before.policies)
    event = ws.history("M09")[-1]
    assert (event.kind, event.operator, event.reason) == (
        "override",
        "alice",
        "disengaged: shorter blocks today",
    )
    assert "30" in rig.panel.parameters.text()
    rig.undo()
    wait_idle(qtbot, rig)
    assert ws.subject("M09").parameters == before.parameters and ws.history("M09")[-1].kind == "revert"


def test_eject_and_re_enroll_from_the_rig(qtbot, rig: RigView, ws: Workspace) -> None:
    rig.select("M01")
    dialog = rig.eject_dialog()
    dialog.reason.setText("weight below 80% for two days")
    dialog.accept()
    wait_idle(qtbot, rig)
    assert not ws.subject("M01").on_curriculum and "⊘" in rig.list.topLevelItem(0).text(2)
    assert not rig.eject_button.isEnabled() and rig.reenroll_button.isEnabled()
    dialog = rig.reenroll_dialog()
    dialog.reason.setText("vet cleared")
    dialog.accept()
    wait_idle(qtbot, rig)
    row = ws.subject("M01")
    assert row.on_curriculum and row.stage == "Habituation" and ws.history("M01")[-1].operator == "alice"


def test_send_to_rig_writes_into_the_rigs_folder(qtbot, rig: RigView, ws: Workspace, tmp_path: Path) -> None:
    rig.select("M05")
    rig.send_to_rig()
    assert rig.banner.level == "error" and "no folder" in rig.banner.text()
    dialog = rig.rig_settings_dialog()
    assert dialog.threshold.value() == 0.8
    dialog.export.setText(str(tmp_path))
    dialog.threshold.setValue(0.75)
    dialog.accept()
    wait_idle(qtbot, rig)
    assert ws.rig("rig-2").export_folder == str(tmp_path) and ws.weight_threshold() == 0.75
    assert "threshold 75%" in rig.status.text() and "77%" not in rig.list.topLevelItem(1).text(2)
    rig.send_to_rig()
    wait_idle(qtbot, rig)
    sent = json.loads((tmp_path / "M05.json").read_text(encoding="utf-8"))
    assert sent["task_parameters"] == ws.subject("M05").parameters and sent["sent_by"] == "alice"
    assert rig.banner.level == "ok" and "Sent M05" in rig.banner.text()
    assert ws.history("M05")[-1].kind == "sent" and "Sent to rig-2" in rig.panel.notes.text()


def _promotion_today(ws: Workspace) -> None:
    """M09's session of the day (77% of its baseline on the scale): the trainer would promote it."""
    row = MetricsRow(1, "M09", "today-M09", DAY, {"accuracy": 0.93, "trials": 420, "bias": 0.05})
    row.values.update(licks_per_reward=3.1, weight_g=17.5)
    assert metrics.import_rows(ws, [row], "rig-2").ok


def test_an_underweight_promotion_is_accepted_only_on_purpose(qtbot, rig: RigView, ws: Workspace) -> None:
    _promotion_today(ws)
    rig.refresh()
    rig.select("M09")
    info = rig.info
    assert info.suggestion.suggested_stage == "Full task" and info.held and "77%" in info.held
    assert "Not pre-selected" in rig.panel.suggestion.text() and "✓" in rig.list.topLevelItem(2).text(2)
    dialog = rig.accept_suggestion()
    assert dialog is not None and ws.subject("M09").stage == "Mixed contrast"  # asked first
    dialog.reason.setText("vet approved")
    dialog.accept()
    wait_idle(qtbot, rig)
    event = ws.history("M09")[-1]
    assert ws.subject("M09").stage == "Full task"
    assert event.kind == "applied" and event.operator == "alice"
    assert event.data["underweight_accepted"]["reason"] == "vet approved"
    assert event.data["underweight_accepted"]["weight_fraction"] == pytest.approx(0.7743, abs=1e-4)
    rig.undo()
    wait_idle(qtbot, rig)
    assert ws.subject("M09").stage == "Mixed contrast"


def test_a_stale_action_is_refused_as_a_conflict(qtbot, rig: RigView, ws: Workspace) -> None:
    rig.select("M09")
    dialog = rig.eject_dialog()
    ws.add_note("M09", "seen", operator="other rig")  # a note moves nothing: no conflict
    ws.override("M09", "Full task", reason="another rig", operator="bob")
    dialog.reason.setText("too late")
    dialog.accept()
    wait_idle(qtbot, rig)
    assert ws.subject("M09").on_curriculum and "changed by someone else" in rig.banner.text()
    assert rig.info.row.stage == "Full task"  # reloaded


def test_the_watched_folder_brings_the_session_in(qtbot, rig: RigView, ws: Workspace, tmp_path: Path) -> None:
    ws.set_rig("rig-2", watch_folder=str(tmp_path), operator="t")
    rig.refresh()
    assert rig.folder is not None and "watching" in rig.status.text()
    rig.folder.watcher.settle = 0.2
    (tmp_path / "rig-2.csv").write_text(
        "subject,session,date,accuracy,trials,bias,licks_per_reward,weight_g\n"
        "M09,today-M09,2026-11-20,0.93,420,0.05,3.1,21.0\n",
        encoding="utf-8",
    )
    qtbot.waitUntil(lambda: (tmp_path / "imported" / "rig-2.csv").exists(), timeout=20_000)
    qtbot.waitUntil(lambda: "Imported from the rig" in rig.banner.text(), timeout=5_000)
    assert rig.info.row.subject == "M09" and rig.info.suggestion.suggested_stage == "Full task"
    assert rig.info.done and not rig.info.held


def test_the_schedule_dialog_saves_all_or_nothing(qtbot, rig: RigView, ws: Workspace, tmp_path: Path) -> None:
    dialog = rig.schedule_dialog()
    assert dialog.table.rowCount() == 24  # the demo's two dozen mice
    dialog.add_row(type(ws.schedule()[0])("NOBODY", "rig-2", "1111100", 4))
    dialog.accept()
    assert dialog.isVisible() and "unknown subject" in dialog.hint.text()
    dialog.table.removeRow(dialog.table.rowCount() - 1)
    first = next(r for r in range(24) if dialog.table.item(r, 0).text() == "M05")
    dialog.table.item(first, 1).setText("rig-1")
    path = tmp_path / "s.csv"
    assert dialog.export_csv(str(path)) and "M05,rig-1,Mon-Fri" in path.read_text()
    dialog.accept()
    wait_idle(qtbot, rig)
    assert not dialog.isVisible() and listed(rig) == ["M01", "M09"]
    assert next(e for e in ws.schedule() if e.subject == "M05").rig == "rig-1"


def test_the_run_sheet_dialog(qtbot, rig: RigView, tmp_path: Path) -> None:
    dialog = rig.runsheet_dialog()
    assert dialog.rig.currentText() == "rig-2" and [e.subject for e in dialog.entries] == [
        "M01",
        "M05",
        "M09",
    ]
    assert "M05" in dialog.preview.toPlainText() and "UNDERWEIGHT" in dialog.preview.toPlainText()
    dialog.rig.setCurrentText("All rigs")
    assert len(dialog.entries) == 24
    assert dialog.save("csv", str(tmp_path / "day.csv"))
    assert (tmp_path / "day.csv").read_text().count("\n") == 25
    dialog.close()


def test_the_window_with_every_tab_fits_a_1280_pixel_screen(qtbot, tmp_path) -> None:
    """The Rig tab's toolbar and actions wrap instead of widening the window past a small screen."""
    from curriculum_gui.gui.main_window import MainWindow
    from curriculum_gui.store import Workspace

    window = MainWindow(db=str(tmp_path / "fit.sqlite3"))
    qtbot.addWidget(window)
    with Workspace.open(tmp_path / "fit.sqlite3", create=True):  # an empty database of this application
        pass
    assert window.ensure_workspace()
    assert window.minimumSizeHint().width() <= 1280


def test_the_operator_button_shows_who_is_chosen_whole(qtbot, rig: RigView, operators: Operators) -> None:
    button = rig.operator_button
    operators.choose("")
    assert button.text() == "Operator: choose…" and button.font().bold()
    bold_width = button.fontMetrics().horizontalAdvance(button.text())
    assert button.sizeHint().width() > bold_width  # the whole text, and room for the menu arrow
    assert button.styleSheet() == ""  # a style sheet would draw the arrow over the text
    operators.choose("bob")
    assert button.text() == "Operator: bob" and not button.font().bold()
