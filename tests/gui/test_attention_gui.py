"""Attention in the subjects view, the Progress and Compare tabs, attention rules in the editor, and the
report from the File menu, on the demo cohort (made as of 2026-11-20: days are counted to that day)."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from curriculum_gui.core.model import AttentionSeverity
from curriculum_gui.core.problems import ItemRef
from curriculum_gui.gui.subjects.table_model import C_ATTENTION, C_SUBJECT, NEEDS_ATTENTION
from curriculum_gui.gui.subjects.view import SubjectsView
from tests.gui.conftest import wait_idle

TODAY = date(2026, 11, 20)
FLAGGED = {"M13", "M14", "M15", "M16", "M18", "M19"}


@pytest.fixture
def demo_view(view: SubjectsView) -> SubjectsView:
    view.insight.today = lambda: TODAY
    view.refresh()
    return view


def shown(view: SubjectsView, column: int = C_SUBJECT) -> list[str]:
    return [view.proxy.index(r, column).data() for r in range(view.proxy.rowCount())]


def test_attention_column_filter_and_count(qtbot, demo_view: SubjectsView) -> None:
    view = demo_view
    row = view.model.row_of("M13")
    index = view.model.index(row, C_ATTENTION)
    assert index.data() == "‼ over budget, slow in stage"
    assert index.data(Qt.ItemDataRole.ForegroundRole).color().name() == "#b71c1c"
    assert "29 sessions in Habituation (its budget is 10)" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert view.model.index(view.model.row_of("M01"), C_ATTENTION).data() == ""
    view.status.setCurrentIndex(view.status.findData(NEEDS_ATTENTION))
    assert set(shown(view)) == FLAGGED
    assert "6</b> need attention" in view.count.text()
    view.status.setCurrentIndex(0)
    view.filter.setText("losing weight")  # the reasons are searchable like any cell
    assert shown(view) == ["M14"]
    view.filter.clear()
    view.table.sortByColumn(C_ATTENTION, Qt.SortOrder.AscendingOrder)  # the most urgent first
    assert shown(view)[:2] == ["M13", "M14"]
    assert view.model.attention_count(AttentionSeverity.CRITICAL) == 2


def test_the_days_count_to_today(qtbot, demo_view: SubjectsView) -> None:
    """Opening the table a week later: every mouse on its curriculum has gone without a session."""
    demo_view.insight.today = lambda: date(2026, 11, 27)
    demo_view.refresh()
    on = {r.subject for r in demo_view.rows if r.on_curriculum}
    assert {
        s
        for s, alerts in demo_view.model.attention.items()
        if any(a.name == "No session for days" for a in alerts)
    } == on


def test_the_subject_page_says_why(qtbot, demo_view: SubjectsView) -> None:
    demo_view.select_subjects(["M14"])
    assert demo_view.detail.attention.isVisibleTo(demo_view.detail)
    text = demo_view.detail.attention.text()
    assert "Losing weight" in text and "weight_fraction = 0.76" in text and "check water restriction" in text
    demo_view.open_subject("M01")
    assert not demo_view.subject_page.attention.isVisibleTo(demo_view.subject_page)


def test_attention_in_the_background_for_a_large_cohort(qtbot, demo_view: SubjectsView, monkeypatch) -> None:
    from curriculum_gui.gui.subjects import insight

    monkeypatch.setattr(insight, "SYNCHRONOUS_UP_TO", 0)
    demo_view.model.set_attention({})
    with qtbot.waitSignal(demo_view.insight.attention_changed, timeout=30_000) as signal:
        demo_view.refresh()
    assert signal.args == [len(FLAGGED)] and set(demo_view.model.attention) == FLAGGED


def test_a_large_table_is_prepared_with_its_attention_off_the_gui_thread(
    qtbot, demo_view: SubjectsView, monkeypatch
) -> None:
    import threading

    from curriculum_gui.gui.subjects import insight, table_model

    threads: list[threading.Thread] = []

    def prepare(*args, **kwargs):
        threads.append(threading.current_thread())
        return table_model.prepare(*args, **kwargs)

    monkeypatch.setattr(insight, "SYNCHRONOUS_UP_TO", 0)
    monkeypatch.setattr(insight, "prepare", prepare)
    demo_view.model.set_attention({})
    with qtbot.waitSignal(demo_view.insight.attention_changed, timeout=30_000):
        demo_view.insight.refresh_attention()
    assert threads and all(t is not threading.main_thread() for t in threads)
    flagged = {demo_view.model.rows[r].subject for r, f in enumerate(demo_view.model.flagged()) if f}
    assert flagged == FLAGGED and set(demo_view.model.attention) == FLAGGED


def test_the_review_notes_who_needs_attention(qtbot, demo_view: SubjectsView) -> None:
    demo_view.evaluate(synchronous=True)
    review = demo_view.review
    assert [a.name for a in review.attention["M14"]] == ["Losing weight"]
    row = next(i for i, s in enumerate(review.suggestions) if s.subject == "M14")
    assert review.model.item(row, 5).text() == "needs attention: Losing weight"


def test_progress_tab_figures_and_clicks(qtbot, demo_view: SubjectsView) -> None:
    view = demo_view
    view.show_part("progress")
    progress = view.insight.progress
    assert progress.stats is not None and progress.stats.enrolled == 24
    table = progress.table
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == [
        "Habituation",
        "Warm-up: one side",
        "Two-choice, high contrast",
        "Mixed contrast",
        "Full task",
        "Graduated",
    ]
    assert table.item(0, 1).text() == "24"
    assert progress.target.currentText() == "Graduated"
    assert not progress.grab().isNull()
    # A point of the survival curve opens its subject.
    scatter = next(i for i in progress.survival.getPlotItem().items if hasattr(i, "points"))
    point = scatter.points()[0]
    scatter.sigClicked.emit(scatter, [point], None)
    assert view.tabs.currentWidget() is view.subject_page and view.subject_page.subject == point.data()
    # One version, worked out in the background as the app does.
    view.tabs.setCurrentWidget(progress)
    progress.version.setCurrentIndex(progress.version.findData("2.0.0"))
    progress.refresh()
    qtbot.waitUntil(lambda: progress.stats is not None and progress.stats.enrolled == 12, timeout=30_000)
    wait_idle(qtbot, view)


def test_progress_of_the_selected_subjects(qtbot, demo_view: SubjectsView) -> None:
    demo_view.insight.synchronous = True
    demo_view.select_subjects(["M01", "M02", "M03"])
    progress = demo_view.insight.progress
    progress.subjects.setCurrentIndex(1)
    progress.refresh()
    assert progress.stats is not None and {r.subject for r in progress.stats.runs} == {"M01", "M02", "M03"}


def test_compare_tab(qtbot, demo_view: SubjectsView) -> None:
    view = demo_view
    view.show_part("compare")
    compare = view.insight.compare
    result = compare.result
    assert result is not None and (result.a_label, result.b_label) == ("1.0.0", "2.0.0")
    verdicts = {
        compare.table.item(r, 0).text(): compare.table.item(r, 4).text()
        for r in range(compare.table.rowCount())
    }
    assert verdicts["Two-choice, high contrast"].startswith("2.0.0 is faster")
    assert compare.table.selectionModel().selectedRows()  # a stage whose curves are drawn
    # Groups of subjects instead of versions.
    view.insight.synchronous = True
    view.select_subjects(["M01", "M02", "M03", "M04"])
    compare.a.setCurrentIndex(compare.a.findText("Subjects selected in the table"))
    compare.b.setCurrentIndex(compare.b.findText("Subjects not selected"))
    compare.refresh()
    assert (compare.result.a.enrolled, compare.result.b.enrolled) == (4, 20)


def test_attention_rules_are_edited_in_the_inspector(qtbot, window) -> None:
    window.select_item(ItemRef("attention_rule", "attention_weight"))
    editor = window.inspector.pages["curriculum"].attention
    assert editor.rule_id == "attention_weight" and editor.name.text() == "Losing weight"
    before = len(window.document.curriculum.attention_rules)
    editor.add_rule()
    rules = window.document.curriculum.attention_rules
    assert len(rules) == before + 1 and editor.rule_id == rules[-1].id
    editor.condition.text_edit.setPlainText("days_in_stage > 30 and wieght_fraction < 0.9")
    issues = editor.condition.check_now()
    assert "unknown name 'wieght_fraction'" in issues[0].message and "✖" in editor.condition.message.text()
    editor.condition.text_edit.setPlainText("days_in_stage > 30")
    assert editor.condition.check_now() == []
    editor.condition.commit()
    assert rules[-1].rule.expression == "days_in_stage > 30"
    editor.severity.setCurrentIndex(editor.severity.findData(AttentionSeverity.CRITICAL))
    editor.severity.activated.emit(editor.severity.currentIndex())
    assert window.document.curriculum.attention_rules[-1].severity is AttentionSeverity.CRITICAL
    window.undo_action.trigger()
    assert window.document.curriculum.attention_rules[-1].severity is AttentionSeverity.WARNING
    # The stage's session budget: a spin box, 0 for none.
    window.select_item(ItemRef("stage", "two_choice"))
    budget = window.inspector.pages["stage"].budget
    assert budget.value() == 15
    budget.setValue(20)
    budget.editingFinished.emit()
    assert window.document.curriculum.stage("two_choice").max_sessions == 20
    budget.setValue(0)
    budget.editingFinished.emit()
    assert window.document.curriculum.stage("two_choice").max_sessions is None


def test_a_problem_of_an_attention_rule_selects_it(qtbot, window) -> None:
    from curriculum_gui.core import edits
    from curriculum_gui.core.model import ExpressionRule

    window.document.apply(
        edits.set_field(
            "attention_rule",
            "attention_slipping",
            "rule",
            ExpressionRule(expression="sessions_in_policy > 1"),
        )
    )
    problem = next(p for p in window.document.problems if p.ref.kind == "attention_rule")
    assert "not in attention rules" in problem.message
    window.select_item(problem.ref)
    assert window.inspector.pages["curriculum"].attention.rule_id == "attention_slipping"


class _Sections(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "section":
            self.ids.append(dict(attrs).get("id") or "")


def test_export_report_from_the_file_menu(qtbot, window, demo_file: Path, tmp_path: Path) -> None:
    window.db = str(demo_file)
    window.show_view("subjects")
    assert window.attention_label.isVisible() and "need attention" in window.attention_label.text()
    window.show_view("compare")
    path = tmp_path / "report.html"
    assert window.export_report(path)
    parser = _Sections()
    parser.feed(path.read_text(encoding="utf-8"))
    assert parser.ids[0] == "attention" and parser.ids[-1] == "comparison"
    window.modes.setCurrentWidget(window.tabs)
    assert not window.attention_label.isVisible()
    wait_idle(qtbot, window.subjects_view)


def test_the_rig_tab_marks_the_mice_that_need_attention(qtbot, demo_view: SubjectsView, ws) -> None:
    """The Rig tab's mark reads what the Subjects tab worked out (M13, stuck, runs on rig-6)."""
    from curriculum_gui.gui.rig import RigView
    from curriculum_gui.gui.rig.view import SUBJECT_ROLE

    rig = RigView(ws)
    qtbot.addWidget(rig)
    rig.alerts = lambda: demo_view.model.attention
    rig.set_day(TODAY)
    rig.set_rig("rig-6")
    mice = {m.subject: m for m in rig.mice}
    assert mice["M13"].attention == "over budget; slow in stage"
    assert not any(m.attention for s, m in mice.items() if s not in FLAGGED)
    row = next(
        i
        for i in range(rig.list.topLevelItemCount())
        if rig.list.topLevelItem(i).data(0, SUBJECT_ROLE) == "M13"
    )
    assert "needs attention: over budget; slow in stage" in rig.list.topLevelItem(row).toolTip(2) + " ".join(
        rig.list.topLevelItem(row).text(c) for c in range(rig.list.columnCount())
    )
    rig.select("M13")
    assert rig.info is not None and rig.info.attention == "over budget; slow in stage"
    rig.stop_watching()


def test_on_a_1280_screen_the_inspector_can_be_widened_for_the_attention_rules(
    qtbot, demo_file: Path, tmp_path: Path, example_path: Path
) -> None:
    """The hidden Subjects and Rig tabs (wider than the editor's canvas needs) do not squeeze the
    inspector: at 1280 pixels it takes the 400 a person drags it to, and the subjects header wraps."""
    import shutil

    from curriculum_gui.gui.document import Document

    from .conftest import shown_window

    db = tmp_path / "lab.sqlite3"
    shutil.copy(demo_file, db)
    for win in shown_window(qtbot, Document.open(example_path), db=str(db)):
        win.resize(1280, 720)
        win.show_view("rig")
        win.show_view("review")
        assert win.minimumSizeHint().width() <= 1280
        win.show_view("inspector")
        win.inspector.show_item(ItemRef("attention_rule", win.document.curriculum.attention_rules[0].id))
        win.resizeDocks([win.inspector_dock], [400], Qt.Orientation.Horizontal)
        qtbot.waitUntil(lambda: win.inspector_dock.width() >= 390, timeout=5000)  # noqa: B023
        assert win.width() == 1280 and win.minimumSizeHint().width() < 1280 - 400


def test_attention_asked_for_again_while_it_runs_runs_once_more_after_it(
    qtbot, demo_view: SubjectsView, monkeypatch
) -> None:
    """One attention job at a time: asked three times while one runs, it runs once more after it, on the
    table as it is then, and only that last result is shown."""
    import threading

    from curriculum_gui.gui.subjects import insight

    monkeypatch.setattr(insight, "SYNCHRONOUS_UP_TO", 0)
    ws = demo_view.ws
    started: list[int] = []
    running = [0]
    overlap = [0]
    gate = threading.Event()
    original = ws.attention

    def attention(**kwargs):
        started.append(1)
        running[0] += 1
        overlap[0] = max(overlap[0], running[0])
        if len(started) == 1:
            gate.wait(10)  # the first one is still running while the others are asked for
        try:
            return original(**kwargs)
        finally:
            running[0] -= 1

    monkeypatch.setattr(ws, "attention", attention)
    arrived: list[int] = []
    demo_view.insight.attention_changed.connect(arrived.append)
    demo_view.model.set_attention({})
    for _ in range(3):
        demo_view.insight.refresh_attention()
    qtbot.wait(50)
    assert len(started) == 1
    gate.set()
    qtbot.waitUntil(lambda: demo_view.insight.idle and len(arrived) == 1, timeout=30_000)
    qtbot.wait(100)
    assert len(started) == 2 and overlap[0] == 1
    assert arrived == [len(FLAGGED)] and set(demo_view.model.attention) == FLAGGED


def test_a_change_check_that_finds_the_same_subjects_keeps_the_table_and_its_attention(
    qtbot, demo_view: SubjectsView, monkeypatch
) -> None:
    """After this window's own writes the change watcher sees a commit like any other: the table is read
    again on the thread pool and, being the same, neither reinstalled nor its attention worked out again.
    A real change from elsewhere is shown, with its attention."""
    from curriculum_gui.gui.subjects import insight
    from curriculum_gui.store import Workspace

    monkeypatch.setattr(insight, "SYNCHRONOUS_UP_TO", 0)
    view = demo_view
    wait_idle(qtbot, view)
    installs: list[int] = []
    attention_runs: list[int] = []
    original_install, original_attention = view.model.install, view.ws.attention
    monkeypatch.setattr(view.model, "install", lambda p: (installs.append(1), original_install(p))[1])
    monkeypatch.setattr(
        view.ws, "attention", lambda **kw: (attention_runs.append(1), original_attention(**kw))[1]
    )
    view.open_subject("M01")
    pages: list[str] = []
    monkeypatch.setattr(view.subject_page, "show_subject", lambda ws, s, *a, **k: pages.append(s))
    view.follow()
    qtbot.waitUntil(lambda: view._following is None, timeout=30_000)
    wait_idle(qtbot, view)
    assert installs == [] and attention_runs == []
    assert pages == ["M01"]  # what only its page shows (a note, a turned-down suggestion) is read again

    with Workspace.open(view.ws.url.database) as other:  # another program moves a mouse
        other.eject("M01", reason="health", operator="vet")
    view.follow()
    qtbot.waitUntil(lambda: view._following is None and bool(installs), timeout=30_000)
    wait_idle(qtbot, view)
    assert attention_runs == [1]
    row = view.model.row_of("M01")
    assert row is not None and not view.model.rows[row].on_curriculum
