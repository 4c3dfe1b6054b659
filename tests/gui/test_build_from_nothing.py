"""A curriculum built from an empty window with the window's own actions, then undone step by step."""

import pytest

from curriculum_gui.core.model import MetricType
from curriculum_gui.core.problems import ItemRef, Severity
from curriculum_gui.gui.main_window import MainWindow


@pytest.fixture
def window(empty_window: MainWindow) -> MainWindow:
    return empty_window


def _commit_line(page_field, text: str) -> None:
    page_field.setText(text)
    page_field.editingFinished.emit()


def test_build_a_curriculum_through_the_window_then_undo_everything(window: MainWindow, qtbot) -> None:
    document = window.document
    empty = document.curriculum.model_copy(deep=True)
    inspector = window.inspector

    # Declared metric, from the curriculum page.
    window.select_item(ItemRef("curriculum"))
    curriculum_page = inspector.pages["curriculum"]
    curriculum_page.add_metric()
    curriculum_page.metrics.item(0, 0).setText("accuracy")
    curriculum_page.metrics.cellWidget(0, 1).setCurrentText(MetricType.NUMBER.value)

    # Three stages from the toolbar action, named in the inspector.
    ids = []
    for name in ("Warm-up", "Training", "Graduated"):
        window.canvas.add_action.trigger()
        new_id = document.curriculum.stages[-1].id
        ids.append(new_id)
        window.select_item(ItemRef("stage", new_id))
        _commit_line(inspector.pages["stage"].name, name)
    warmup, training, graduated = ids
    window.select_item(ItemRef("stage", warmup))
    inspector.pages["stage"].start.setChecked(True)
    window.select_item(ItemRef("stage", graduated))
    inspector.pages["stage"].terminal.setChecked(True)

    # Connect: the rule editor opens on the new transition; type its rule.
    for destination, rule in ((training, "accuracy > 0.6"), (graduated, "accuracy > 0.9")):
        ref = window.canvas.stage_scene.connect_nodes(warmup, destination)
        assert inspector.ref == ref
        editor = inspector.pages["transition"].rule
        editor.text_edit.setPlainText(rule)
        assert editor.check_now() == []
        editor.commit()
    ref = window.canvas.stage_scene.connect_nodes(training, graduated)
    inspector.pages["transition"].rule.text_edit.setPlainText("accuracy > 0.8 and sessions_in_stage >= 3")
    inspector.pages["transition"].rule.commit()

    # The better outcome first: raise warm-up → graduated to priority 1.
    window.select_item(ItemRef("stage", warmup))
    priorities = inspector.pages["stage"].priorities
    priorities.list.setCurrentRow(1)
    priorities.up.click()

    # A parameter and two policies inside Training, connected, with an update.
    window.select_item(ItemRef("stage", training))
    inspector.pages["stage"].parameters.parameter_set.emit(["reward"], 3.0)  # the form's own signal
    window.canvas.open_stage(training)
    window.canvas.add_action.trigger()
    window.canvas.add_action.trigger()
    first, second = (p.id for p in document.curriculum.stage(training).policies)
    window.canvas.scene.connect_nodes(first, second)
    inspector.pages["transition"].rule.text_edit.setPlainText("sessions_in_policy >= 2")
    inspector.pages["transition"].rule.commit()
    window.select_item(ItemRef("policy", second, training))
    policy_page = inspector.pages["policy"]
    policy_page.start.setChecked(False)
    policy_page.updates.text_edit.setPlainText("reward = clamp(reward - 0.5, 1.5, 3.0)")
    assert policy_page.updates.check_now() == []
    policy_page.updates.commit()
    window.select_item(ItemRef("policy", first, training))
    inspector.pages["policy"].start.setChecked(True)

    c = document.curriculum
    assert [m.name for m in c.metrics] == ["accuracy"]
    assert [s.name for s in c.stages] == ["Warm-up", "Training", "Graduated"]
    assert c.start_stage == warmup and c.stage(graduated).terminal
    assert [(t.destination, t.rule.text) for t in c.outgoing_stage_transitions(warmup)] == [
        (graduated, "accuracy > 0.9"),
        (training, "accuracy > 0.6"),
    ]
    stage = c.stage(training)
    assert stage.task.parameters == {"reward": 3.0}
    assert c.stage(warmup).task.parameters == {}
    assert stage.start_policies == [first]
    assert [(t.source, t.destination, t.rule.text) for t in stage.policy_transitions] == [
        (first, second, "sessions_in_policy >= 2")
    ]
    assert stage.policy(second).updates.text == "reward = clamp(reward - 0.5, 1.5, 3.0)"
    assert [p for p in document.problems if p.severity is Severity.ERROR] == []
    assert "3 stages" in window.summary.text()
    built = c.model_copy(deep=True)

    # Every step undoes; all of them return to the empty curriculum.
    steps = document.undo_stack.count()
    assert steps >= 15
    for _ in range(steps):
        window.undo_action.trigger()
    assert document.curriculum == empty
    for _ in range(steps):
        window.redo_action.trigger()
    assert document.curriculum == built
