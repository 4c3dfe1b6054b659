"""The subjects table model and filter proxy with 10,000 subjects from a real store; pure helpers."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from curriculum_gui.resources import example
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QTableView

from curriculum_gui.core import native_format
from curriculum_gui.gui.subjects.cohort import Cell, cells_of
from curriculum_gui.gui.subjects.table_model import (
    C_IN_STAGE,
    C_STATUS,
    C_SUBJECT,
    NEW_METRICS,
    OFF,
    ON,
    SubjectFilterProxy,
    SubjectTableModel,
)
from curriculum_gui.gui.subjects.why_not_yet import thresholds
from curriculum_gui.store import Workspace
from curriculum_gui.store.records import PositionEvent

N = 10_000
HEADER = "subject,session,date,accuracy,trials,bias,weight_fraction,licks_per_reward\n"


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """10,000 subjects; every tenth has a new session, B00003 is ejected."""
    folder = tmp_path_factory.mktemp("big")
    ws = Workspace.open(folder / "big.sqlite3", create=True)
    version = ws.publish(native_format.loads(example().read_text(encoding="utf-8")), operator="t")
    ids = [f"B{i:05d}" for i in range(N)]
    ws.register(ids, version.id, operator="t")
    metrics = folder / "m.csv"
    metrics.write_text(HEADER + "".join(f"{s},d1,2025-03-03,0.7,200,0.1,0.9,4\n" for s in ids[::10]))
    ws.import_metrics(metrics)
    ws.eject("B00003", reason="test")
    yield ws
    ws.close()


@pytest.fixture
def table(qtbot, big: Workspace) -> tuple[SubjectTableModel, SubjectFilterProxy, QTableView]:
    model = SubjectTableModel()
    proxy = SubjectFilterProxy()
    proxy.setSourceModel(model)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    model.set_rows(big.subjects())
    return model, proxy, view


def shown(proxy: SubjectFilterProxy, column: int = C_SUBJECT) -> list[str]:
    return [proxy.index(r, column).data() for r in range(proxy.rowCount())]


def test_ten_thousand_rows(table) -> None:
    model, proxy, _view = table
    assert model.rowCount() == proxy.rowCount() == N
    assert proxy.index(0, C_SUBJECT).data() == "B00000"
    assert proxy.index(0, C_STATUS).data() == NEW_METRICS
    assert proxy.index(1, C_STATUS).data() == ON
    assert proxy.index(3, C_STATUS).data() == OFF


def test_sort_by_any_column(table) -> None:
    _model, proxy, view = table
    view.sortByColumn(C_SUBJECT, Qt.SortOrder.DescendingOrder)
    assert shown(proxy)[:2] == ["B09999", "B09998"]
    view.sortByColumn(C_STATUS, Qt.SortOrder.AscendingOrder)  # status order: on, new metrics, ..., off
    statuses = shown(proxy, C_STATUS)
    assert statuses[0] == ON and statuses[-1] == OFF
    assert statuses.count(NEW_METRICS) == N // 10
    assert statuses == sorted(statuses, key=[ON, NEW_METRICS, "change suggested", "stuck", OFF].index)


def test_filter_by_text_and_status(table) -> None:
    _model, proxy, _view = table
    proxy.set_filter("b0001")
    assert shown(proxy) == [f"B{i:05d}" for i in range(10, 20)]
    proxy.set_filter("habituation b0001")  # every word must match
    assert len(shown(proxy)) == 10
    proxy.set_filter("", NEW_METRICS)
    assert proxy.rowCount() == N // 10 and all(s.endswith("0") for s in shown(proxy))
    proxy.set_filter("b000", NEW_METRICS)
    assert shown(proxy) == [f"B000{i}0" for i in range(10)]
    proxy.set_filter("", None)
    assert proxy.rowCount() == N


def test_filter_survives_sort_and_selection_follows_rows(table) -> None:
    _model, proxy, view = table
    proxy.set_filter("b0001")
    view.selectionModel().select(
        proxy.index(0, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    view.sortByColumn(C_SUBJECT, Qt.SortOrder.DescendingOrder)
    assert shown(proxy) == [f"B{i:05d}" for i in range(19, 9, -1)]
    selected = [proxy.index(i.row(), 0).data() for i in view.selectionModel().selectedRows()]
    assert selected == ["B00010"]


def test_suggested_status_without_reload(table) -> None:
    model, proxy, _view = table
    proxy.set_filter("", "change suggested")
    assert proxy.rowCount() == 0
    model.set_suggested(["B00010", "B00020"])
    assert shown(proxy) == ["B00010", "B00020"]


def test_stuck_after_many_sessions_in_a_non_terminal_stage() -> None:
    from dataclasses import replace

    from curriculum_gui.gui.subjects.table_model import STUCK, STUCK_AFTER
    from curriculum_gui.store.records import SubjectRow

    row = SubjectRow(
        "S", "c", "1", 1, "x", "X", (), {}, None, STUCK_AFTER, 30, True, 0, "automatic", 1, *[None] * 5
    )
    model = SubjectTableModel()
    model.set_rows([row, replace(row, subject="T", sessions_in_stage=1)])
    assert model.status(0) == STUCK and model.status(1) == ON
    model.terminal = lambda r: True
    model.set_rows(model.rows)
    assert model.status(0) == ON


def test_data_does_not_leak_none_references(table) -> None:
    """The PySide 6.12 guard (ENVIRONMENT.md): empty QVariants must not drop references to None."""
    model, _proxy, _view = table
    index = model.index(5, C_IN_STAGE)
    before = sys.getrefcount(None)
    for _ in range(200):
        model.data(index, Qt.ItemDataRole.DecorationRole)
        model.headerData(0, Qt.Orientation.Vertical)
    assert sys.getrefcount(None) >= before - 5


# --- pure helpers ---------------------------------------------------------------------------------


def test_thresholds_from_the_rules_leaving_a_stage() -> None:
    curriculum = native_format.loads(example().read_text(encoding="utf-8"))
    found = thresholds(curriculum, "warmup")
    assert any(t.metric == "accuracy" and t.op == ">=" and t.value == 0.65 for t in found)
    assert all(t.metric in {m.name for m in curriculum.metrics} for t in found)
    assert thresholds(curriculum, None) == []


def test_cohort_cells_mark_where_a_person_chose_otherwise() -> None:
    steps = [
        PositionEvent("enrolled", 0, "A", None, True, 0),
        PositionEvent("applied", 1, "A", "A", True, 1),
        PositionEvent("override", 1, "B", "A", True, 0),
        PositionEvent("applied", 3, "C", "B", True, 2),
        PositionEvent("eject", 3, "C", "C", False, 0),
    ]
    # the eject marks the session it came after: no extra grey "session" (issue 15, item 15)
    assert cells_of(steps) == [Cell("B", "A"), Cell("C", None), Cell("C", None, ejected=True)]


def test_cohort_cells_follow_a_batch_through_its_stages_and_reverts_take_back_their_cells() -> None:
    enrolled = PositionEvent("enrolled", 0, "A", None, True, 0, event_id=1)
    week = PositionEvent("applied", 3, "C", "A", True, 3, event_id=2, session_stages=("A", "B", "C"))
    assert cells_of([enrolled, week]) == [Cell("A", None), Cell("B", None), Cell("C", None)]
    undo_week = PositionEvent("revert", 0, "A", "C", True, 0, event_id=3, reverts=2)
    assert cells_of([enrolled, week, undo_week]) == []  # its sessions wait for the trainer again
    eject = PositionEvent("eject", 3, "C", "C", False, 0, event_id=4)
    undo_eject = PositionEvent("revert", 3, "C", "C", True, 0, event_id=5, reverts=4)
    assert cells_of([enrolled, week, eject, undo_eject]) == cells_of([enrolled, week])
    override = PositionEvent("override", 3, "A", "C", True, 0, event_id=6)
    undo_override = PositionEvent("revert", 3, "C", "A", True, 0, event_id=7, reverts=6)
    assert cells_of([enrolled, week, override])[-1] == Cell("A", "C")
    assert cells_of([enrolled, week, override, undo_override]) == cells_of([enrolled, week])


def test_stage_after_each_session_of_a_batch() -> None:
    from curriculum_gui.store.records import stages_after_sessions

    data = {
        "before_stage": "A",
        "sessions": ["s1", "s2", "s3"],
        "why": [
            {"session": "s1", "kind": "stage_transition", "fired": False, "destination": "B"},
            {"session": "s2", "kind": "stage_transition", "fired": True, "destination": "B"},
            {"session": "s3", "kind": "policy_transition", "fired": True, "destination": "p"},
        ],
    }
    assert stages_after_sessions(data) == [("s1", "A"), ("s2", "B"), ("s3", "B")]


def test_a_paint_asks_the_proxy_once_per_cell_and_it_answers_as_the_model_does(table, qtbot) -> None:
    """Painting goes through the proxy's one call per cell (flags, multiData), never the source's data per
    role: each call into Python waits for the interpreter while a job runs. The answers are the model's."""
    from PySide6.QtCore import QModelRoleData, QModelRoleDataSpan

    from curriculum_gui.gui.subjects.table_model import C_ATTENTION, C_PARAMS, C_STAGE, SUBJECT_ROLE

    model, proxy, _view = table
    proxy.set_filter("b0", None)
    proxy.sort(C_IN_STAGE, Qt.SortOrder.DescendingOrder)
    roles = (
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.ToolTipRole,
        SUBJECT_ROLE,
    )
    for row in (0, 1, proxy.rowCount() // 2, proxy.rowCount() - 1):
        for column in (C_SUBJECT, C_STAGE, C_STATUS, C_ATTENTION, C_IN_STAGE, C_PARAMS):
            index = proxy.index(row, column)
            source = proxy.mapToSource(index)
            assert proxy.flags(index) == model.flags(source)
            for role in roles:
                slot = QModelRoleData(int(role))
                proxy.multiData(index, QModelRoleDataSpan(slot))
                assert slot.data() == model.data(source, role), (row, column, role)

    calls = {"data": 0}

    class Counting(SubjectTableModel):
        def data(self, index, role=Qt.ItemDataRole.DisplayRole):  # type: ignore[override]
            calls["data"] += 1
            return super().data(index, role)

    counting, shown = Counting(), SubjectFilterProxy()
    shown.setSourceModel(counting)
    counting.install(model.prepare(model.rows))
    painted = QTableView()
    qtbot.addWidget(painted)
    painted.setModel(shown)
    painted.resize(900, 600)
    painted.show()
    qtbot.waitExposed(painted)
    calls["data"] = 0
    qtbot.wait(50)  # laid out
    calls["data"] = 0
    assert not painted.grab().isNull()  # painted, every visible cell
    assert calls["data"] == 0
    assert painted.model().index(0, C_SUBJECT).data() == counting.rows[0].subject
    assert calls["data"] == 1  # (the count does see the source's calls)
