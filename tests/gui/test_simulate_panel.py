"""The "Try it" panel: sessions typed or loaded, stepped through the embedded trainer, with the why shown."""

import json
from pathlib import Path

import pytest

from curriculum_gui.core import edits
from curriculum_gui.gui.document import Document
from curriculum_gui.gui.main_window import MainWindow
from curriculum_gui.gui.simulate_panel import SimulatePanel


def _session(accuracy: float, licks: float = 5, trials: int = 250, bias: float = 0.1) -> dict:
    return {"accuracy": accuracy, "trials": trials, "bias": bias, "licks_per_reward": licks}


def test_stepping_moves_through_the_stages_and_highlights_them(window: MainWindow, qtbot) -> None:
    panel: SimulatePanel = window.simulate
    highlights: list = []
    panel.highlight.connect(lambda stage, policies: highlights.append((stage, policies)))
    for values in (_session(0.5), _session(0.5), _session(0.7), _session(0.9)):
        panel.add_session(values)
    assert panel.table.rowCount() == 4
    assert panel.step()  # habituation, 1 session in stage
    assert panel.trainer.stage_name(panel.state.stage_id) == "Habituation"
    assert panel.step()  # 2 sessions and few licks per reward → warm-up
    assert panel.state.stage_id == "warmup"
    assert highlights[-1][0] == "warmup"
    assert set(highlights[-1][1]) == set(window.document.curriculum.stage("warmup").start_policies)
    fired = [
        panel.why.topLevelItem(i).text(1)
        for i in range(panel.why.topLevelItemCount())
        if "fired" in panel.why.topLevelItem(i).text(1)
    ]
    assert fired == ["✓ true  (fired)"]
    assert "Warm-up" in panel.status.text()
    panel.run_all()
    assert panel.position == 4
    assert not panel.step()  # no more sessions
    assert "No more sessions" in panel.status.text()


def test_list_metrics_build_up_their_history(window: MainWindow) -> None:
    panel = window.simulate
    panel.add_session(_session(0.5))
    panel.add_session(_session(0.75))
    assert panel.step() and panel.step()
    assert panel.history["accuracy"] == [0.5, 0.75]


def test_a_bad_cell_is_reported_and_the_step_is_not_taken(window: MainWindow) -> None:
    panel = window.simulate
    panel.add_session(_session(0.5))
    panel.table.item(0, 0).setText("lots")
    assert not panel.step()
    assert panel.position == 0
    assert "session 1, accuracy" in panel.status.text() and "lots" in panel.status.text()


def test_an_edit_restarts_the_simulation_from_enrollment(window: MainWindow) -> None:
    panel = window.simulate
    for _ in range(3):
        panel.add_session(_session(0.5))
    panel.step()
    panel.step()
    assert panel.state.stage_id == "warmup"
    window.document.apply(edits.set_start_stage("warmup"))
    assert "changed" in panel.status.text()
    panel.step()
    assert panel.position == 1 and panel.state.sessions_total == 1


def test_sessions_load_from_json_lines(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "sessions.jsonl"
    path.write_text("\n".join(json.dumps(_session(a)) for a in (0.5, 0.6, 0.7)) + "\n")
    assert window.simulate.load_file(path) == 3
    assert window.simulate.table.rowCount() == 3
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"accuracy": 0.5}\n{oops\n')
    with pytest.raises(Exception, match="line 2"):
        window.simulate.load_file(bad)
    assert window.simulate.table.rowCount() == 3  # nothing lost


def test_python_rules_run_only_after_the_person_trusts_their_module(qtbot, tmp_path: Path) -> None:
    import sys

    from curriculum_gui.core.model import Metric

    aind_file = Path(__file__).resolve().parents[1] / "data" / "aind" / "example_project_curriculum.json"
    sys.modules.pop("example_project.curriculum", None)
    win = MainWindow(Document.open(aind_file))
    try:
        win.document.apply(edits.add_metric(Metric(name="theta_2")))
        panel = win.simulate
        panel.add_session({"theta_2": 50})
        assert not panel.step()
        assert "not trusted" in panel.status.text()
        assert "example_project.curriculum" not in sys.modules  # nothing imported before trust
        assert win.trust_python_rules(ask=False)
        panel.reset()
        assert panel.step()
        assert panel.trainer.stage_name(panel.state.stage_id) == "GRADUATED"
        # Trust belongs to that document: a new one starts untrusted.
        win.document.undo_stack.clear()
        win.new_document()
        assert panel.python_rules is None
    finally:
        win.document.undo_stack.clear()
        win.close()
        win.deleteLater()
