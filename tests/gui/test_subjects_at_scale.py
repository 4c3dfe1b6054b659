"""The subjects screens with many subjects: what keeps the window responsive must still show the right rows.
(How long things take is measured by benchmarks/subjects.py, not here.)"""

from __future__ import annotations

import gc
from datetime import date

import pytest
from PySide6.QtCore import Qt

from curriculum_gui.gui.subjects import review as review_module
from curriculum_gui.gui.subjects.cohort import PAGE, Cell, CohortModel
from curriculum_gui.gui.subjects.plots import metric_points
from curriculum_gui.gui.subjects.review import ReviewPanel
from curriculum_gui.gui.subjects.table_model import (
    C_IN_STAGE,
    C_LAST,
    C_STATUS,
    SubjectFilterProxy,
    SubjectTableModel,
)
from curriculum_gui.gui.subjects.view import SubjectsView
from curriculum_gui.store.records import MetricsSession, SubjectRow

from .conftest import wait_idle


def _row(i: int, on: bool = True, pending: int = 0) -> SubjectRow:
    stage = ("Habituation", "Two-choice", "Final")[i % 3]
    return SubjectRow(
        f"S{i:04d}", "C", "1", 1, stage.lower(), stage, (), {"a": i % 7}, date(2025, 1, 1 + i % 28),
        i % 13, i, on, pending, "automatic", 1, None, None, None, f"rig-{i % 4}", None,
    )  # fmt: skip


@pytest.fixture
def proxy(qtbot) -> SubjectFilterProxy:
    model = SubjectTableModel()
    proxy = SubjectFilterProxy()
    proxy.setSourceModel(model)
    model.set_rows([_row(i, on=i % 10 != 0, pending=i % 4 == 0) for i in range(1200)])
    return proxy


def _qt_mapping(proxy: SubjectFilterProxy) -> list[int]:
    return [proxy.mapToSource(proxy.index(r, 0)).row() for r in range(proxy.rowCount())]


def test_the_proxy_maps_rows_as_qt_does_through_filters_and_sorts(proxy: SubjectFilterProxy) -> None:
    for words, status, sort in [
        ("", None, None),
        ("rig-2", None, (C_STATUS, Qt.SortOrder.AscendingOrder)),
        ("two-choice", "new metrics", (C_IN_STAGE, Qt.SortOrder.DescendingOrder)),
        ("", "off curriculum", (0, Qt.SortOrder.DescendingOrder)),
        ("", None, (C_LAST, Qt.SortOrder.AscendingOrder)),
    ]:
        if sort is not None:
            proxy.sort(*sort)
        proxy.set_filter(words, status)
        assert proxy.source_rows() == _qt_mapping(proxy)
        shown = proxy.subjects(range(proxy.rowCount()))
        assert proxy.rows_of([r.subject for r in shown[::3]]) == list(range(0, len(shown), 3))


def test_rows_read_again_keep_the_sort_and_changed_rows_keep_their_place(proxy: SubjectFilterProxy) -> None:
    model = proxy.source()
    proxy.sort(C_IN_STAGE, Qt.SortOrder.DescendingOrder)
    order = list(model.ids)
    again = [_row(i, on=True) for i in range(1200)]  # the same subjects, read again
    reset = []
    model.modelReset.connect(lambda: reset.append(True))
    model.install(model.prepare(again))
    assert model.ids == order and not reset  # changed in place: no reset, so no lost selection
    model.set_rows([_row(i) for i in range(1201)])  # one more subject: a reset, still in the sort
    assert reset and model.ids[0] == order[0] and len(model.ids) == 1201


@pytest.fixture
def big_view(qtbot, ws) -> SubjectsView:
    ids = [f"X{i:04d}" for i in range(1500)]
    ws.register(ids, ws.versions()[0].id)
    view = SubjectsView(ws, background=True)
    qtbot.addWidget(view)
    view.resize(1400, 860)
    view.show()
    assert not view.loaded and view.busy  # read on the thread pool
    qtbot.waitUntil(lambda: view.loaded, timeout=30_000)
    wait_idle(qtbot, view)
    return view


def test_select_all_and_a_reload_keep_every_row_selected(qtbot, big_view: SubjectsView) -> None:
    view = big_view
    header = view.table.horizontalHeader()
    assert header.selectionModel() is not view.table.selectionModel()
    view.table.selectAll()
    total = view.proxy.rowCount()
    assert len(view.selected_rows()) == total and f"{total} selected" in view.count.text()
    assert view.reload()
    wait_idle(qtbot, view)
    assert len(view.selected_rows()) == total
    chosen = [r.subject for r in view.rows[10:20]] + [view.rows[500].subject]
    view.select_subjects(chosen)
    assert sorted(r.subject for r in view.selected_rows()) == sorted(chosen)
    assert len(view.table.selectionModel().selection()) == 2  # two ranges, not a range per row


def test_the_cohort_grid_reads_a_page_at_a_time(qtbot) -> None:
    read: list[list[str]] = []

    def load(page: list[str]) -> list[list[Cell]]:
        read.append(page)
        return [[Cell("A", None)] * (1 + int(s[1:]) % 5) for s in page]

    model = CohortModel()
    subjects = [f"S{i:04d}" for i in range(PAGE * 2 + 7)]
    model.set_source(subjects, load, ["A"])
    assert model.rowCount() == PAGE and read == [subjects[:PAGE]] and model.canFetchMore(model.index(-1, -1))
    model.fetchMore(model.index(-1, -1))
    model.fetchMore(model.index(-1, -1))
    assert model.subjects == subjects and not model.canFetchMore(model.index(-1, -1))
    assert model.columns == 5 and len(read) == 3


def test_the_review_fills_its_rows_between_events(qtbot, ws, monkeypatch) -> None:
    monkeypatch.setattr(review_module, "ROWS_AT_ONCE", 4)
    suggestions = ws.evaluate()  # the demo has pending sessions: suggestions for several subjects
    panel = ReviewPanel()
    qtbot.addWidget(panel)
    panel.set_suggestions(suggestions)
    assert panel.model.rowCount() == 4 < len(suggestions)
    qtbot.waitUntil(lambda: panel.model.rowCount() == len(suggestions))
    panel.tree.selectAll()
    assert panel.selected() == panel.suggestions
    panel.set_suggestions(suggestions[:2])  # the old rows go with the old model, a few at a time
    assert panel.model.rowCount() == 2 and panel.selected() == []


def test_the_subject_page_makes_its_plots_when_a_subject_is_first_shown(qtbot, ws) -> None:
    view = SubjectsView(ws)
    qtbot.addWidget(view)
    assert view.subject_page.plots is None
    view.open_subject("M01")
    assert view.subject_page.plots is not None and view.subject_page.plots.isVisibleTo(view.subject_page)


def test_a_gap_breaks_the_metric_line() -> None:
    sessions = [
        MetricsSession(f"s{i}", date(2025, 1, i + 1), values, True)
        for i, values in enumerate([{"accuracy": 0.5}, {}, {"accuracy": [0.6, 0.7]}, {"accuracy": None}])
    ]
    xs, ys, gaps = metric_points(sessions, "accuracy")
    assert xs == [1.0, 2.0, 3.0, 4.0] and ys[0] == 0.5 and ys[2] == 0.7
    assert ys[1] != ys[1] and ys[3] != ys[3] and gaps == [2.0, 4.0]  # NaN: the line breaks there


def test_the_collector_sets_a_jobs_objects_aside_and_runs_again(qtbot, view: SubjectsView) -> None:
    assert gc.isenabled()
    view.reload()
    assert not gc.isenabled()  # off while the job runs (see worker.py)
    wait_idle(qtbot, view)
    qtbot.waitUntil(gc.isenabled)
    assert gc.get_freeze_count() > 0


def test_a_jobs_end_comes_in_turns_and_the_side_panel_then_lists_what_can_be_done(
    qtbot, big_view: SubjectsView
) -> None:
    """The rows shown, the caller's follow-up and the actions made available again run on separate turns
    of the event loop (each is tens of milliseconds at 10,000 subjects). The view stays busy until the
    last, and the side panel, filled while every action was off, then names the actions again."""
    view = big_view
    view.table.selectAll()
    assert "Override" in view.detail.header.text()
    steps: list[tuple[str, bool, bool]] = []  # (what, busy, an action available)

    def note(what: str) -> None:
        steps.append((what, view.busy, view.override_action.isEnabled()))

    view.refreshed.connect(lambda: note("rows shown"))
    assert view._run("Reading…", lambda _p: None, lambda _r: note("follow-up"), reload=True)
    wait_idle(qtbot, view)
    assert steps == [("rows shown", True, False), ("follow-up", True, False)]
    assert view.override_action.isEnabled()
    header = view.detail.header.text()
    assert f"{view.proxy.rowCount()} subjects selected" in header
    assert "Override" in header and "nothing now" not in header
