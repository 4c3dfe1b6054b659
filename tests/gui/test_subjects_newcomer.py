"""The subjects screens as a newcomer reads them (issue 15, items 13-18): whole-number session ticks,
dates, a legend and no spike for an undone change in the plots; a timeline that says why; an eject that
is no session; a side panel that follows the selection; words instead of jargon; export that offers
aind only where it can work."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from PySide6.QtCore import Qt

from curriculum_gui.gui.subjects import SubjectsView
from curriculum_gui.gui.subjects.detail import event_why
from curriculum_gui.gui.subjects.plots import SessionAxis, stage_points
from curriculum_gui.store import Workspace
from curriculum_gui.store.records import APPLIED, ENROLLED, REVERT, Event, MetricsSession

from .conftest import wait_idle


def _event(id_: int, kind: str, after: str, **data) -> Event:
    return Event(
        id_, "M1", kind, datetime(2026, 1, id_, tzinfo=UTC), "me", None, None, {"after_stage": after, **data}
    )


# --- 13. plots ---------------------------------------------------------------------------------------


def test_the_session_axis_has_whole_sessions_only_and_can_show_dates(qapp) -> None:
    axis = SessionAxis()
    for low, high in ((0.0, 3.0), (0.5, 2.2), (0.0, 40.0)):
        values = [v for _, level in axis.tickValues(low, high, 400) for v in level]
        assert values and all(float(v).is_integer() for v in values), (low, high, values)
    axis.dates = [date(2026, 11, 2), date(2026, 11, 3)]
    assert axis.tickStrings([1.0, 2.0], 1, 1) == ["1", "2"]
    axis.show_dates = True
    assert axis.tickStrings([1.0, 2.0, 3.0], 1, 1) == ["02 Nov", "03 Nov", ""]


def test_an_apply_that_was_undone_is_no_spike() -> None:
    sessions = [MetricsSession(f"S{i}", date(2026, 1, i), {}, True) for i in (1, 2, 3)]
    stages = ["A", "B"]
    history = [
        _event(1, ENROLLED, "A"),
        _event(2, APPLIED, "A", sessions=["S1"]),
        _event(3, APPLIED, "B", sessions=["S2"]),  # undone below: the mouse never really was on B
        _event(4, REVERT, "A", reverts=3),
        _event(5, APPLIED, "A", sessions=["S2", "S3"]),
    ]
    _xs, ys, marks = stage_points(history, sessions, stages)
    assert 1.0 not in ys  # no step up to B and back
    assert [k for _, _, k in marks] == ["revert"]  # the revert is still marked where it happened


def test_plots_have_a_legend_for_the_markers_and_hover_tips(qtbot, view: SubjectsView, ws: Workspace) -> None:
    view.open_subject("M10")  # the demo overrides M10's rewards
    plots = view.subject_page.plots
    names = [label.text for _, label in plots.stage_legend.items]
    assert "override" in names
    spots = [i for i in plots.metric_plot.getPlotItem().items if getattr(i, "opts", {}).get("hoverable")]
    assert spots, "the metric's points say their session and date on hover"
    tip = spots[0].opts["tip"](1, 0.5, spots[0].data[0]["data"])
    assert "session 1 (" in tip and "2026" in tip
    plots.dates.setChecked(True)
    assert plots.stage_axis.show_dates and plots.metric_axis.show_dates


# --- 14. timeline ------------------------------------------------------------------------------------


def test_every_trainer_row_says_why_and_the_details_show_it_whole(qtbot, view: SubjectsView) -> None:
    view.open_subject("M01")
    timeline = view.subject_page.timeline
    rows = [timeline.topLevelItem(i) for i in range(timeline.topLevelItemCount())]
    trainer = [r for r in rows if r.text(2).startswith("Trainer")]
    assert trainer and all(r.text(3) for r in trainer)  # was empty for every trainer row
    moved = next(r for r in trainer if "→" in r.text(2))
    assert " was true (" in moved.text(3)
    timeline.setCurrentItem(moved)
    details = view.subject_page.event_details.toPlainText()
    assert moved.text(2).split(": ", 1)[1] in details and moved.text(3) in details
    assert "Rules checked" in details


def test_event_why_for_a_stay_names_the_way_out_not_yet_true() -> None:
    check = {"session": "S1", "kind": "stage_transition", "destination": "B", "rule": "x > 1", "fired": False}
    stay = _event(1, APPLIED, "A", why=[{**check, "values": {"x": 0.5}}])
    assert event_why(stay) == "not yet B: x > 1 was false (x=0.5)"
    move = _event(2, APPLIED, "B", why=[{**check, "fired": True, "values": {"x": 2}}])
    assert event_why(move) == "→ B: x > 1 was true (x=2)"


# --- 15. cohort --------------------------------------------------------------------------------------


def test_an_eject_is_no_extra_session_in_the_cohort(qtbot, view: SubjectsView, ws: Workspace) -> None:
    view.show_part("cohort")
    model = view.cohort.model
    row = model.subjects.index("M07")
    evaluated = sum(1 for s in ws.sessions("M07") if s.evaluated)
    assert len(model.rows[row]) == evaluated  # no grey cell for the eject
    assert model.rows[row][-1].ejected and all(c.stage for c in model.rows[row])
    assert model.headerData(row, Qt.Orientation.Vertical) == "M07 ⏏"


# --- 16. side panel ----------------------------------------------------------------------------------


def test_the_side_panel_follows_a_selection_of_several(qtbot, view: SubjectsView) -> None:
    view.select_subjects(["M01", "M02", "M05"])
    header = view.detail.header.text()
    assert "3 subjects selected" in header and "Override" in header and "Export" in header
    view.select_subjects([])
    assert "No subject selected" in view.detail.header.text()


def test_an_old_banner_goes_when_another_subject_is_selected(qtbot, view: SubjectsView) -> None:
    view.select_subjects(["M02"])
    view.show_message("ok", "Ejected 1 subject(s): M02.")
    view.refresh()  # reading again keeps the selection, and the message
    assert view.banner.isVisible()
    view.select_subjects(["M01"])
    assert not view.banner.isVisible()
    view.show_message("error", "Database unavailable")
    view.select_subjects(["M05"])
    assert view.banner.isVisible()  # an error stays until it is read and dismissed


def test_actions_work_on_a_subject_opened_from_a_cohort_cell(qtbot, view: SubjectsView) -> None:
    view.select_subjects([])
    view.show_part("cohort")
    view.cohort.cell_clicked.emit("M05", 3)
    assert view.tabs.currentWidget() is view.subject_page
    for action in (view.override_action, view.eject_action, view.revert_action, view.export_action):
        assert action.isEnabled(), action.text()
    assert [r.subject for r in view.selected_rows()] == ["M05"]
    view.tabs.setCurrentWidget(view.table_page)
    assert view.selected_rows() == [] and not view.override_action.isEnabled()


# --- 17. words -------------------------------------------------------------------------------------------


def test_the_review_row_and_its_expansion_use_the_same_words(qtbot) -> None:
    from curriculum_gui.gui.subjects.review import ReviewPanel, diff_text
    from tests.store.test_change_words import _suggestion

    s = _suggestion({"free_reward_interval_s": 15.0}, {"auto_reward": False})
    assert diff_text(s) == "auto_reward off (added), free_reward_interval_s 15 (removed)"
    panel = ReviewPanel()
    qtbot.addWidget(panel)
    panel.set_suggestions([s])
    index = panel.model.index(0, 0)
    panel.tree.expand(index)
    params = panel.model.itemFromIndex(index).child(0)
    lines = {params.child(r).text() for r in range(params.rowCount())}
    assert lines == {"auto_reward: off (added)", "free_reward_interval_s: 15 (removed)"}


# --- 18. export ------------------------------------------------------------------------------------------


def test_export_offers_aind_only_where_it_can_work(qtbot, view: SubjectsView, tmp_path: Path) -> None:
    view.select_subjects(["M05", "M10"])
    result = view.export_to(tmp_path / "out", view.selected_rows())
    wait_idle(qtbot, view)
    assert result is not None and not result.problems
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["M05.json", "M10.json"]
    text = view.banner.text()
    assert text.count("\n") == 0 and "No aind TrainerState for these subjects" in text
    assert "expressions" in text and "Python references" in text and len(result.aind_note()) < 160
    assert json.loads((tmp_path / "out" / "M05.json").read_text(encoding="utf-8"))["stage"]
