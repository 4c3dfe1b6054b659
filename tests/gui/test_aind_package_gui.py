"""AIND's real curricula in the editor: opened from the package, rules labelled by their function, the
inspector showing a rule's source read as text, "Convert to expression", declared metrics from the package."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from curriculum_gui.cli import main
from curriculum_gui.core.model import ExpressionRule, MetricSource, MetricType, PythonRule
from curriculum_gui.core.problems import ItemRef
from curriculum_gui.core.python_rules import runner_for
from curriculum_gui.gui import aind_package
from curriculum_gui.gui.document import Document
from curriculum_gui.gui.main_window import MainWindow
from tests.gui.conftest import shown_window
from tests.vr_foraging import PACKAGE, aind_json

DEPLETION = f"{PACKAGE}.depletion"


@pytest.fixture
def aind_file(tmp_path: Path) -> Path:
    path = tmp_path / "depletion.json"
    path.write_text(json.dumps(aind_json("depletion")))
    return path


@pytest.fixture
def depletion_window(qtbot, aind_file: Path) -> Iterator[MainWindow]:
    yield from shown_window(qtbot, Document.open(aind_file))


def test_opening_the_package_gives_its_curriculum_trusted_with_its_metrics(empty_window: MainWindow) -> None:
    aind_package.open_in_window(empty_window, DEPLETION, synchronous=True)
    curriculum = empty_window.document.curriculum
    assert curriculum.name == "Depletion" and len(curriculum.stages) == 4
    assert curriculum.pkg_location == DEPLETION
    metrics = {m.name: m for m in curriculum.metrics}
    assert len(metrics) == 8 and all(m.source is MetricSource.PACKAGE for m in metrics.values())
    assert metrics["n_choices"].type is MetricType.INTEGER
    assert metrics["n_patches_visited_per_patch"].type is MetricType.JSON
    assert metrics["last_reward_site_length"].optional
    assert empty_window.simulate.python_rules.trust.allows(f"{DEPLETION}.curriculum")
    table = empty_window.inspector.pages["curriculum"].metrics_editor
    assert not table.table.isColumnHidden(2) and "8 of 8" in table.caption.text()


def test_a_module_without_a_curriculum_says_which_ones_it_holds(
    empty_window: MainWindow, monkeypatch
) -> None:
    shown = []
    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.warning", lambda *args: shown.append(args[2]))
    aind_package.open_in_window(empty_window, PACKAGE, synchronous=True)
    assert len(shown) == 1 and "depletion, depletion_stops_offset" in shown[0]
    assert empty_window.document.curriculum.stages == []


def test_the_dialog_lists_the_package_curricula_without_importing(qtbot, monkeypatch) -> None:
    import sys

    dialog = aind_package.OpenAindPackageDialog(module=PACKAGE)
    qtbot.addWidget(dialog)
    dialog.list_curricula()
    assert dialog.found.count() == 9
    dialog.found.setCurrentRow(0)
    assert dialog.chosen() == DEPLETION
    dialog.module.setText("no_such_package_cg")
    dialog.list_curricula()
    assert "not installed" in dialog.message.text() and dialog.found.count() == 0
    assert "no_such_package_cg" not in sys.modules


def test_canvas_labels_rules_by_their_function(depletion_window: MainWindow) -> None:
    scene = depletion_window.canvas.stage_scene
    first = depletion_window.document.curriculum.stage_transitions[0]
    label = scene.edges[first.id]._full_label
    assert label.startswith("(1) st_s_stage_one_odor_no_depletion") and PACKAGE not in label
    policies = depletion_window.document.curriculum.stages[0].policies
    assert [p.name for p in policies] == ["p_learn_to_run", "p_learn_to_stop", "p_stochastic_reward"]


def test_the_inspector_shows_the_source_without_running_anything(depletion_window: MainWindow) -> None:
    import sys

    before = {m for m in sys.modules if m.startswith(PACKAGE)}
    transition = depletion_window.document.curriculum.stage_transitions[0]
    depletion_window.select_item(ItemRef("stage_transition", transition.id))
    panel = depletion_window.inspector.pages["transition"].python
    assert panel.isVisible()
    assert panel.source.toPlainText().startswith(
        "def st_s_stage_one_odor_no_depletion_s_stage_one_odor_w_depletion_day_0("
    )
    assert "metrics.n_choices > 150" in panel.source.toPlainText()
    assert "curriculum.py, line" in panel.where.text().replace("\u200b", "")
    assert {m for m in sys.modules if m.startswith(PACKAGE)} == before
    stage = depletion_window.document.curriculum.stages[0]
    depletion_window.select_item(ItemRef("policy", stage.policies[0].id, stage.id))
    policy_panel = depletion_window.inspector.pages["policy"].python
    assert "def p_learn_to_run(" in policy_panel.source.toPlainText()
    assert not policy_panel.convert_button.isVisible()


def test_convert_to_expression_is_one_undoable_step(depletion_window: MainWindow) -> None:
    window = depletion_window
    window.simulate.python_rules = runner_for(modules=[PACKAGE])  # as after Trust Python Rules
    transition = window.document.curriculum.stage_transitions[1]
    window.select_item(ItemRef("stage_transition", transition.id))
    window.inspector.pages["transition"].python.convert(synchronous=True)
    rule = window.document.curriculum.stage_transitions[1].rule
    assert rule == ExpressionRule(expression="n_patches_visited > 20")
    assert window.document.curriculum.metric("n_patches_visited") is not None  # declared with it
    assert not [p for p in window.document.problems if "n_patches_visited" in str(p)]
    assert "Converted to an expression" in window.statusBar().currentMessage()
    window.document.undo_stack.undo()
    assert window.document.curriculum.stage_transitions[1].rule == PythonRule(python=transition.rule.python)
    assert window.document.curriculum.metrics == []


def test_convert_refusals_say_why(depletion_window: MainWindow) -> None:
    window = depletion_window
    panel = window.inspector.pages["transition"].python
    graduation = window.document.curriculum.stage_transitions[2]
    window.select_item(ItemRef("stage_transition", graduation.id))
    panel.convert(synchronous=True)
    assert "calls patches.get()" in panel.status.text()
    assert isinstance(window.document.curriculum.stage_transitions[2].rule, PythonRule)
    simple = window.document.curriculum.stage_transitions[1]
    window.select_item(ItemRef("stage_transition", simple.id))
    window.inspector.trusted_runner = lambda: None  # the person said no to trusting the module
    panel.convert(synchronous=True)
    assert "not trusted" in panel.status.text()
    assert isinstance(window.document.curriculum.stage_transitions[1].rule, PythonRule)


def test_trusting_the_rules_declares_the_package_metrics(qtbot, depletion_window: MainWindow) -> None:
    window = depletion_window
    assert window.document.curriculum.metrics == []
    assert window.trust_python_rules(ask=False)
    qtbot.waitUntil(lambda: len(window.document.curriculum.metrics) == 8, timeout=60_000)
    assert window.document.undo_stack.undoText() == "Declare the package's metrics"
    assert not window.document.problems


def test_open_command_renders_the_package_curriculum(qapp, tmp_path: Path, capsys) -> None:
    names = qapp.organizationName(), qapp.applicationName()
    png = tmp_path / "depletion.png"
    try:
        assert (
            main(["open", "--aind-module", DEPLETION, "--screenshot", str(png), "--view", "inspector"]) == 0
        )
        assert png.stat().st_size > 10_000
        assert main(["open", "--aind-module", PACKAGE, "--screenshot", str(png)]) == 2
    finally:  # the app names choose the settings file: later tests keep theirs
        qapp.setOrganizationName(names[0])
        qapp.setApplicationName(names[1])
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"e.g. {DEPLETION}" in err


def test_a_session_folder_is_imported_from_the_subjects_view(qtbot, ws, tmp_path: Path) -> None:
    from curriculum_gui.core import aind_format
    from curriculum_gui.gui.subjects.session_folder import SessionFolderDialog
    from curriculum_gui.gui.subjects.view import SubjectsView
    from tests.gui.conftest import wait_idle
    from tests.vr_foraging import write_session

    version = ws.publish(aind_format.curriculum_from_data(aind_json("depletion"), "depletion"), operator="t")
    ws.register(["V1"], version.id, operator="t")
    view = SubjectsView(ws)
    qtbot.addWidget(view)
    view.show()
    view.select_subjects(["V1"])
    folder = write_session(tmp_path / "2026-05-01", sites=250, choices_per_patch=160, site_length=55.0)
    view.import_folder_dialog(folder)
    dialog = view.dialog
    assert isinstance(dialog, SessionFolderDialog)
    assert dialog.subject.currentText() == "V1" and dialog.package == PACKAGE
    assert "metrics_from_dataset()" in dialog.reader.text() and PACKAGE in dialog.trust.text()
    assert not dialog.ok_button.isEnabled()
    assert "trust" in dialog.hint.text()
    dialog.session.setText("S1")
    dialog.trust.setChecked(True)
    assert dialog.ok_button.isEnabled()
    dialog.accept()
    wait_idle(qtbot, view)
    assert [s.session for s in ws.sessions("V1")] == ["S1"]
    assert "1</b> new session(s) accepted" in view.banner.label.text()
    view.report_dialog.close()  # a top-level window left open would change where later windows go
    # a subject whose stage has no metrics_provider (the demo's own curriculum) is told so
    view.import_folder_dialog(folder)
    view.dialog.subject.setCurrentText("M01")
    assert "metrics_provider" in view.dialog.hint.text() and not view.dialog.ok_button.isEnabled()
    view.dialog.reject()
