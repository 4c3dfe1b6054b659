"""Review findings on the subjects screen: user text shown as written, no password on screen, no crash
when a job outlives its view, malformed URLs as a message."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QThreadPool
from PySide6.QtGui import QKeySequence, QTextDocument
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QLabel
from sqlalchemy.engine import make_url

from curriculum_gui.gui.subjects import SubjectsView
from curriculum_gui.gui.subjects.cohort import Cell
from curriculum_gui.store import Workspace

from .conftest import wait_idle

ODD = ("<b>bold</b>", "a<i>b")


def rendered(text: str, rich: bool | None = None) -> str:
    """What a person reads: Qt renders text that looks like HTML (AutoText) as HTML."""
    if rich is None:
        rich = GuiQt.mightBeRichText(text)
    if not rich:
        return text
    doc = QTextDocument()
    doc.setHtml(text)
    return doc.toPlainText()


def label_reads(label: QLabel) -> str:
    fmt = label.textFormat()
    rich = None if fmt == GuiQt.TextFormat.AutoText else fmt == GuiQt.TextFormat.RichText
    return rendered(label.text(), rich)


def register_odd(view: SubjectsView, ws: Workspace) -> None:
    ws.register(list(ODD), ws.versions()[-1].id, None)
    view.refresh()


def test_subject_ids_and_reasons_show_as_written(qtbot, view: SubjectsView, ws: Workspace) -> None:
    register_odd(view, ws)
    view.select_subjects([ODD[0]])
    assert ODD[0] in label_reads(view.detail.header)

    dialog = view.override_dialog()
    assert dialog is not None
    try:
        texts = [label_reads(w) for w in dialog.findChildren(QLabel)]
        assert any(ODD[0] in t for t in texts), texts
    finally:
        dialog.reject()

    view.select_subjects(list(ODD))
    dialog = view.eject_dialog()
    assert dialog is not None
    reason = "<b>vet</b> said so"
    dialog.reason.setText(reason)
    dialog.accept()
    wait_idle(qtbot, view)
    assert view.banner.level == "ok"
    assert ODD[0] in label_reads(view.banner.label) and ODD[1] in label_reads(view.banner.label)

    view.select_subjects([ODD[0]])
    top = view.detail.timeline.topLevelItem(0)
    assert top.text(3) == reason
    assert rendered(top.toolTip(3)) == reason


def test_banner_shows_error_text_as_written(view: SubjectsView) -> None:
    view.show_message("error", "stage <b>Final</b> not found")
    assert label_reads(view.banner.label) == "stage <b>Final</b> not found"


def test_cohort_legend_and_tooltips_show_stage_names_as_written(view: SubjectsView) -> None:
    stage = "<i>Shaping</i>"
    view.cohort.set_cohort([ODD[0]], [[Cell(stage, None)]], [stage])
    chips = [label_reads(w) for w in view.cohort.findChildren(QLabel)]
    assert any(stage in t for t in chips), chips
    tip = view.cohort.model.index(0, 0).data(GuiQt.ItemDataRole.ToolTipRole)
    assert ODD[0] in rendered(tip) and stage in rendered(tip)


def test_database_dialog_never_shows_a_password(view: SubjectsView) -> None:
    real = view.ws.url
    view.ws.url = make_url("postgresql://tech:hunter2@db.lab/mice?sslmode=require&password=qhunter")
    try:
        dialog = view.database_dialog()
        try:
            shown = dialog.url.text()
        finally:
            dialog.reject()
    finally:
        view.ws.url = real
    assert "hunter2" not in shown and "qhunter" not in shown
    assert shown.startswith("postgresql://tech@db.lab/mice")


def test_malformed_database_url_is_a_message_not_a_traceback(view: SubjectsView) -> None:
    before = view.ws
    assert view.open_database("postgresql://tech:hunter2@db.lab:notaport/mice") is False
    assert view.ws is before
    assert view.banner.level == "error" and "Could not open" in view.banner.text()
    assert "hunter2" not in view.banner.text()


def test_a_job_finishing_after_the_view_is_gone_touches_nothing(qtbot, ws: Workspace) -> None:
    pool = QThreadPool()
    view = SubjectsView(ws, pool=pool)
    release = threading.Event()
    called: list[object] = []
    view._run("slow", lambda _progress: release.wait(10), called.append)
    assert view.busy
    view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not shiboken6.isValid(view)
    release.set()
    assert pool.waitForDone(10_000)
    for _ in range(3):  # deliver any queued result: pytest-qt fails the test on an exception in a slot
        QCoreApplication.processEvents()
    assert called == []


def test_review_mnemonics_do_not_clash_with_the_status_filter(view: SubjectsView) -> None:
    def mnemonic(text: str) -> str:
        return QKeySequence.mnemonic(text).toString()

    ours = [
        mnemonic(b.text()) for b in (view.review.accept_all, view.review.accept_selected, view.review.reject)
    ]
    assert mnemonic("&Status:") not in ours and mnemonic("&Find:") not in ours
