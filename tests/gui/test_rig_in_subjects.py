"""What the rig brings to the Subjects tab: underweight promotions left out of Accept all (and accepted only
on purpose, with who), the weight plot with its threshold line on the subject page, the rig's events in
the timeline, a baseline weight at registration."""

from __future__ import annotations

from datetime import date

from curriculum_gui.core.metrics_import import MetricsRow
from curriculum_gui.gui.subjects import SubjectsView
from curriculum_gui.gui.subjects import dialogs as dlg
from curriculum_gui.store import Workspace, metrics

from .conftest import wait_idle

DAY = date(2026, 11, 20)


def _promotion_today(ws: Workspace) -> None:
    row = MetricsRow(1, "M09", "today-M09", DAY, {"accuracy": 0.93, "trials": 420, "bias": 0.05})
    row.values.update(licks_per_reward=3.1, weight_g=17.5)  # 77% of M09's baseline
    assert metrics.import_rows(ws, [row], "rig-2").ok


def test_accept_all_leaves_underweight_promotions_out_and_says_so(
    qtbot, view: SubjectsView, ws: Workspace
) -> None:
    _promotion_today(ws)
    view.refresh()
    view.evaluate()
    wait_idle(qtbot, view)
    review = view.review
    assert set(review.held) == {"M09"} and "77%" in review.held["M09"]
    assert "M09" in {s.subject for s in review.applicable(review.suggestions)}
    assert "M09" not in {s.subject for s in review.accept_all_list()}
    assert "1</b> promotion(s) of underweight mice left out of Accept all" in review.summary.text()
    row = next(i for i, s in enumerate(review.suggestions) if s.subject == "M09")
    assert "underweight" in review.model.item(row, 5).text()
    others = [s.subject for s in review.accept_all_list()]
    review.accept_all.click()
    wait_idle(qtbot, view)
    assert ws.subject("M09").stage == "Mixed contrast" and ws.subject("M09").pending_sessions == 2
    assert all(ws.subject(s).pending_sessions == 0 for s in others)

    # Accepted on purpose: a confirmation, then the history keeps who and why.
    view.evaluate()
    wait_idle(qtbot, view)
    m09 = [s for s in view.review.suggestions if s.subject == "M09"]
    dialog = view.apply(m09)
    assert isinstance(dialog, dlg.ReasonDialog) and ws.subject("M09").stage == "Mixed contrast"
    ws.operator = "carol"
    dialog.reason.setText("vet approved")
    dialog.accept()
    wait_idle(qtbot, view)
    event = ws.history("M09")[-1]
    assert ws.subject("M09").stage == "Full task" and event.operator == "carol"
    assert event.data["underweight_accepted"]["reason"] == "vet approved"
    assert "underweight" in event.data["underweight_accepted"]["why_held"]


def test_the_subject_page_plots_weight_with_the_threshold_line(
    qtbot, view: SubjectsView, ws: Workspace
) -> None:
    ws.add_note("M05", "drank little", operator="bob")
    ws.set_baseline("M05", 21.0, reason="re-weighed", operator="bob")
    view.open_subject("M05")
    plot = view.subject_page.weight_plot
    days = {w.day for w in ws.weights("M05")}
    assert len(plot.points) == len(days) > 20
    assert plot.threshold_g == 21.0 * 0.8
    assert plot.points[-1][1] == 15.4  # this morning's weighing, under the line
    timeline = view.subject_page.timeline
    top = [timeline.topLevelItem(i).text(2) for i in range(2)]
    assert top == ["Baseline weight: 20 g → 21 g", "Note: drank little"]


def test_a_baseline_weight_at_registration(qtbot, view: SubjectsView, ws: Workspace) -> None:
    dialog = view.register_dialog()
    dialog.ids.setPlainText("N1\nN2")
    dialog.baseline.setText("abc")
    assert not dialog.ok_button.isEnabled() and "grams" in dialog.hint.text()
    dialog.baseline.setText("23.5")
    assert dialog.ok_button.isEnabled()
    dialog.accept()
    wait_idle(qtbot, view)
    assert [ws.subject(s).baseline_weight_g for s in ("N1", "N2")] == [23.5, 23.5]
