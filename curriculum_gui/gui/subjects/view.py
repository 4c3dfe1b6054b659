"""The rig technician's screen: the subjects table, the trainer's review, a subject's page and the cohort.

Every change goes to the store (the truth), then the table is read again. Store work that writes (register,
import, evaluate, apply, undo, changes of many subjects) runs on the thread pool with progress, one job at
a time: another program holding the database never freezes the window. Store errors become one line in
the banner above the table, never a traceback; after a conflict (a subject changed since it was read,
elsewhere or in this window) or an unreachable database the view reloads, and nothing typed is lost (the
register dialog opens again with its ids; Undo apply stays until the batch is undone or cannot be).

Dialogs are opened window-modal with ``open()`` and act on ``accepted``, so code and tests can drive them
(``view.dialog``) without a nested event loop.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.errors import CurriculumGuiError
from ...store import (
    ConflictError,
    DatabaseMissing,
    DatabaseUnavailable,
    StoreError,
    Workspace,
)
from ...store.engine import mask_message
from ...store.export import ExportResult
from ...store.records import ApplyResult, ImportReport, SubjectInfo, SubjectRow, Suggestion
from .. import icons
from ..live import keep_scroll
from . import dialogs, export, worker
from .changes import ManualChanges
from .cohort import Cell, CohortView, page_cells
from .detail import SubjectDetail
from .insight import Insight
from .review import ReviewPanel, kind_of
from .table_model import (
    NEEDS_ATTENTION,
    STATUSES,
    UNCHANGED,
    Prepared,
    SubjectFilterProxy,
    SubjectTableModel,
    prepare,
    same_rows,
)

log = logging.getLogger(__name__)
PARTS = ("subjects", "review", "subject", "cohort", "progress", "compare")
METRICS_FILES = (".csv", ".json", ".jsonl", ".tsv")
BANNER_STYLES = {
    "info": "background:#e3f2fd; color:#0d47a1; border:1px solid #90caf9;",
    "ok": "background:#e8f5e9; color:#1b5e20; border:1px solid #a5d6a7;",
    "error": "background:#ffebee; color:#b71c1c; border:1px solid #ef9a9a;",
}


def suggested_changes(suggestions: Sequence[Suggestion]) -> set[str]:
    """The subjects the table marks "change suggested"."""
    return {s.subject for s in suggestions if kind_of(s) in (1, 2, 3)}


class Banner(QFrame):
    """One message at a time above the table (no modal box to dismiss at 8 am)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.level = ""
        self.hide()

    def show_message(self, level: str, text: str, rich: bool = False) -> None:
        """``text`` is shown as written (subject ids, stage names, reasons may hold ``<``); ``rich``:
        it is HTML whose user parts the caller escaped."""
        if level != self.level:  # restyling costs more than the text
            self.setStyleSheet(
                f"Banner {{{BANNER_STYLES[level]} border-radius:4px;}} QLabel {{border:none;}}"
            )
        self.level = level
        self.label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
        self.label.setText(text)
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""


PROGRESS_LABEL_PX = 320  # the widest the job's label beside the filters gets


SETTLE_SECONDS = 0.025
"""How long a job waits on its thread, as it starts, for the window to lay out and repaint what the
start changed before the job competes with it for the interpreter."""


class SubjectsView(ManualChanges, QWidget):
    """Subjects, review, subject and cohort tabs over one :class:`Workspace`.

    ``show_part(name)`` shows one of :data:`PARTS`; ``refresh()`` reloads from the store (``refreshed``
    is emitted after). ``workspace_changed`` is emitted when a person opens another database.
    """

    refreshed = Signal()
    busy_changed = Signal(bool)
    workspace_changed = Signal(object)

    def __init__(
        self,
        workspace: Workspace,
        parent: QWidget | None = None,
        pool: QThreadPool | None = None,
        background: bool = False,
    ) -> None:
        """``background``: read the subjects on the thread pool (the app: the window never waits for a
        large database); otherwise at once (tests, screenshots)."""
        super().__init__(parent)
        self.ws = workspace
        self.pool = pool
        self.rows: list[SubjectRow] = []
        self.dialog: QDialog | None = None
        self.report_dialog: dialogs.ImportReportDialog | None = None
        self.last_batch: list[str] = []  # subjects of the last batch made here (the Undo button)
        self.last_batch_id: str | None = None  # and its id (``ApplyResult.batch``, ``ChangeResult.batch``)
        self.last_batch_kind = (
            ""  # what it was: "applied", "migrated", "override", "eject", "re-enroll", "revert"
        )
        self.operators: Any = None  # this computer's operators (the window's), for dialogs that sign
        self.busy = False
        self._task: worker.Task | None = None
        self._following: worker.Task | None = None  # a read after another program's change (follow)
        self._jobs = 0  # jobs started: a read that follows changes is dropped if one started meanwhile
        self._insight_due = False  # rows shown while busy: attention read again once idle (_set_busy)
        self._cohort_stale = True
        self._chosen: tuple[str, ...] = ()  # the subjects selected in the table, as last seen
        self.setAcceptDrops(True)

        self.model = SubjectTableModel(self)
        self.model.terminal = self._is_terminal
        self.proxy = SubjectFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = self._make_table()
        self.empty = QLabel(self.table.viewport())  # what to do next, over an empty table
        self.empty.setObjectName("empty_state")
        self.empty.setWordWrap(True)
        self.empty.setTextFormat(Qt.TextFormat.RichText)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: #37474f; font-size: 11pt;")
        self.empty.hide()
        over = QVBoxLayout(self.table.viewport())  # follows the table's size
        over.setContentsMargins(30, 30, 30, 30)
        over.addWidget(self.empty)
        self._has_versions = True
        self.detail = SubjectDetail(wide=False)
        self.review = ReviewPanel()
        self.review.accept_requested.connect(self.apply)
        self.review.reject_requested.connect(self.reject_suggestions)
        self.subject_page = SubjectDetail(wide=True)
        for detail in (self.detail, self.subject_page):
            detail.undo_batch_requested.connect(self.undo_batch_dialog)
        self.cohort = CohortView()
        self.cohort.cell_clicked.connect(self.open_subject)
        self.insight = Insight(self)  # attention, and the Progress and Compare tabs
        for detail in (self.detail, self.subject_page):
            detail.attention_of = self.insight.alerts

        self.banner = Banner()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        self.progress.setTextVisible(True)
        self.progress_label = QLabel()
        self.progress_row = QWidget()
        row = QHBoxLayout(self.progress_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.progress_label)
        row.addWidget(self.progress)
        row.addStretch(1)
        self.progress_row.hide()

        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter: subject, stage, rig, genotype… (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMinimumWidth(260)
        self.filter.textChanged.connect(self._filter_changed)
        self.status = QComboBox()
        self.status.addItem("All statuses", None)
        self.status.addItem("Needs attention", NEEDS_ATTENTION)
        for status in STATUSES:
            self.status.addItem(status.capitalize(), status)
        self.status.currentIndexChanged.connect(self._filter_changed)
        self.count = QLabel()
        # wraps rather than widen the whole window: the editor's docks keep their usable widths beside this
        # page (a hidden tab still counts) on a 1280-pixel screen
        self.count.setWordWrap(True)

        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toolbar_fit = icons.FittingToolBar(self.toolbar)
        self._build_actions()
        icons.set_icons(
            {
                "register": self.register_action,
                "import": self.import_action,
                "import_folder": self.import_folder_action,
                "evaluate": self.evaluate_action,
                "override": self.override_action,
                "eject": self.eject_action,
                "reenroll": self.reenroll_action,
                "revert": self.revert_action,
                "move": self.move_action,
                "undo_apply": self.undo_apply_action,
                "export": self.export_action,
                "copy": self.copy_action,
                "database": self.database_action,
                "refresh": self.refresh_action,
            }
        )

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([960, 440])
        self.table_page = split
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(split, "Subjects")
        self.tabs.addTab(self.review, "Review suggestions")
        self.tabs.addTab(self.subject_page, "Subject")
        self.tabs.addTab(self.cohort, "Cohort")
        self.tabs.addTab(self.insight.progress, "Progress")
        self.tabs.addTab(self.insight.compare, "Compare versions")
        self.tabs.currentChanged.connect(self._tab_changed)

        filters = QHBoxLayout()
        filters.addWidget(QLabel("&Find:"))
        filters.itemAt(0).widget().setBuddy(self.filter)
        filters.addWidget(self.filter, 2)
        filters.addWidget(QLabel("&Status:"))
        filters.itemAt(2).widget().setBuddy(self.status)
        filters.addWidget(self.status)
        filters.addWidget(self.count, 3)
        # Beside the filters, not a row of its own: shown and hidden, it leaves the table where it is (a
        # table moved is a table repainted, thousands of calls into the model while the job runs).
        filters.addWidget(self.progress_row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 4)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.banner)
        layout.addLayout(filters)
        layout.addWidget(self.tabs, 1)
        self.loaded = False  # the subjects were read at least once
        if background:
            self.count.setText("Reading the subjects…")
            self.reload()
        else:
            self.refresh()

    # --- building ------------------------------------------------------------------------------

    def _make_table(self) -> QTableView:
        table = QTableView()
        table.setModel(self.proxy)
        table.setSortingEnabled(True)
        table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        vertical = table.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # never measures 10,000 rows
        vertical.setDefaultSectionSize(24)
        vertical.hide()
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        for column, width in enumerate((72, 170, 125, 190, 64, 95, 90, 170, 260, 200)):
            table.setColumnWidth(column, width)
        # The header gets a selection model of its own: with the table's, every change of a large
        # selection made it ask whether each column is selected, row by row (90,000 calls into Python
        # for Select All at 10,000 rows). Its sections do not show the selection anyway.
        header.setSelectionModel(QItemSelectionModel(self.proxy, header))
        table.selectionModel().selectionChanged.connect(self._selection_changed)
        table.doubleClicked.connect(self._open_row)
        # Enter opens the current row too. Not ``activated``: where a click activates (a platform
        # setting), clicking a row would leave the table instead of showing the subject beside it.
        enter = QAction("Open subject", table)
        enter.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        enter.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        enter.triggered.connect(lambda _checked=False: self._open_row(table.currentIndex()))
        table.addAction(enter)
        return table

    def _open_row(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_subject(self.proxy.subjects([index.row()])[0].subject)

    def _action(self, text: str, slot: Callable[[], Any], tip: str, shortcut: str | None = None) -> QAction:
        """Shortcuts only while the focus is in this view: the editor's window-wide keys stay theirs."""
        action = QAction(text, self)
        action.setStatusTip(tip)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            tip += f" ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        a = self._action
        # Keys of the daily work; the rarer actions (eject, re-enroll, undo apply, database) are in the
        # Subjects menu of the main window. None of the editor's window-wide keys (Ctrl+N/O/S/Z/Y/Q).
        self.register_action = a(
            "Register…", self.register_dialog, "Register new subjects on a curriculum", "Ctrl+R"
        )
        self.import_action = a(
            "Import metrics…",
            self.import_dialog,
            "Import session metrics (CSV/JSON); or drop files here",
            "Ctrl+I",
        )
        self.import_folder_action = a(
            "Import folder…",
            self.import_folder_dialog,
            "Import one session's data folder, read by its stage's metrics_provider (aind); or drop it here",
            "Ctrl+Shift+I",
        )
        self.evaluate_action = a(
            "Evaluate", self.evaluate, "Run the trainer on every subject with new metrics", "Ctrl+E"
        )
        self.override_action = a(
            "Override…", self.override_dialog, "Place the selected subjects on a stage", "Ctrl+Shift+O"
        )
        self.eject_action = a("Eject…", self.eject_dialog, "Take the selected subjects off their curriculum")
        self.reenroll_action = a(
            "Re-enroll…", self.reenroll_dialog, "Put ejected subjects back on the curriculum"
        )
        self.revert_action = a(
            "Revert…", self.revert_dialog, "Undo the last change of the selected subjects", "Ctrl+Shift+R"
        )
        self.move_action = a(
            "Move to version…",
            self.move_dialog,
            "Move the selected subjects to another published version of their curriculum",
        )
        self.undo_apply_action = a(
            "Undo apply",
            self.undo_last_apply,
            "Undo the last batch made here (an apply, a move to another version, or a change of many)",
        )
        self.export_action = a(
            "Export…",
            self.export_dialog,
            "Write next-session parameters (JSON; an aind TrainerState too where the curriculum's rules "
            "are Python references)",
            "Ctrl+Shift+E",
        )
        self.copy_action = a(
            "Copy summary",
            self.copy_summary,
            "Copy the selection as tab-separated text for a spreadsheet",
            "Ctrl+Shift+C",
        )
        self.database_action = a("Database…", self.database_dialog, "Open another subjects database")
        self.refresh_action = a("Refresh", self.reload, "Read the database again", "F5")
        # On no toolbar, and not hidden: a hidden action's shortcut does nothing.
        a("Find", lambda: self.filter.setFocus(), "Filter the table", "Ctrl+F")
        tb = self.toolbar
        for action in (
            self.register_action,
            self.import_action,
            self.import_folder_action,
            self.evaluate_action,
        ):
            tb.addAction(action)
        tb.addSeparator()
        for action in (self.override_action, self.eject_action, self.reenroll_action, self.revert_action):
            tb.addAction(action)
        tb.addAction(self.move_action)
        tb.addAction(self.undo_apply_action)
        tb.addSeparator()
        for action in (self.export_action, self.copy_action):
            tb.addAction(action)
        tb.addSeparator()
        tb.addAction(self.database_action)
        tb.addAction(self.refresh_action)
        self._update_actions()

    # --- reading -------------------------------------------------------------------------------

    def set_workspace(self, workspace: Workspace) -> None:
        self.ws = workspace
        self.remember_batch(None, [], "")
        self.review.set_suggestions([])
        self.detail.clear()
        self.subject_page.clear()
        self.refresh()
        self.workspace_changed.emit(workspace)

    def refresh(self) -> None:
        """Read the subjects again now (keeping the selection), and whatever page is open."""
        try:
            rows = self.ws.subjects()
        except StoreError as exc:
            self.show_message("error", f"Cannot read the subjects: {exc}")
            return
        self._show_rows(self.model.prepare(rows))

    def reload(self) -> bool:
        """:meth:`refresh` on the thread pool: the table is read and prepared there, then shown at once.
        False when another job runs (its end reloads anyway)."""
        return self._run("Reading the subjects…", lambda _progress: None, lambda _result: None, reload=True)

    def follow(self) -> None:
        """Another program changed the database (live updates): read the table again on the thread pool,
        without holding the window's actions meanwhile. A job started meanwhile reads it again at its end,
        so what this read brings is then dropped."""
        if self.busy or self._following is not None:
            return
        read = self._reader(None, shown=self.rows)
        jobs = self._jobs

        def done(rows: Any) -> None:
            self._following = None
            if self._jobs != jobs or self.busy or isinstance(rows, StoreError):
                return
            if rows is UNCHANGED:
                # Often this window's own job's commit, seen by the watcher's connection like any other:
                # the table and the attention stay (working them out again held the window at 10,000
                # subjects); an open subject's page and the versions lists are read again.
                self._refresh_pages()
                self.insight.refresh(attention=False)
            else:
                self._show_rows(rows)

        def failed(_exc: Exception) -> None:
            self._following = None

        self._following = worker.start(lambda _p: read(None), done, failed, None, self.pool, context=self)

    def _reader(
        self, suggested: Callable[[Any], Iterable[str]] | None, shown: Sequence[SubjectRow] | None = None
    ) -> Callable[[Any], Any]:
        """What a job runs after its work, on its thread: the subjects read and prepared for the table
        (``suggested(result)``: the subjects still marked as suggested), or the error reading them;
        :data:`UNCHANGED` when they are the rows ``shown``."""
        ws, model = self.ws, self.model
        marked, terminal, sort = set(model.suggested), model.terminal, model.sort_order

        def read(result: Any) -> Any:
            try:
                rows = ws.subjects()
            except StoreError as exc:
                return exc
            if shown is not None and same_rows(rows, shown):
                return UNCHANGED
            return prepare(rows, suggested(result) if suggested else marked, terminal, sort)

        return read

    def _show_rows(self, prepared: Prepared) -> None:
        """Show rows read and prepared (here or on a worker thread), keeping the selection."""
        same = prepared.ids == self.model.ids
        self.rows = prepared.rows
        if not prepared.rows:  # what the empty table says next depends on it (rare: read here)
            try:
                self._has_versions = bool(self.ws.versions())
            except StoreError:
                self._has_versions = True  # said in the banner already, if it matters
        if same:
            self.model.install(prepared)  # the same subjects: changed in place, selection and scroll stay
        else:
            selected = [r.subject for r in self.table_rows()]
            with keep_scroll([self.table]):
                self.model.install(prepared)
                self.select_subjects(selected)
        self.loaded = True
        if self.busy:  # at a job's end: its follow-up jobs start once the window has done its part
            self._insight_due = True
        else:
            self.insight.refresh()
        self._cohort_stale = True
        self._refresh_pages()
        self._update_count()
        self._update_actions()
        self.refreshed.emit()

    def _reload_now_or_later(self) -> None:
        """After an error: read the subjects again, on the thread pool (at once when a job still runs:
        rare, and its end would reload anyway)."""
        if self.busy:
            self.refresh()
        else:
            self.reload()

    def _refresh_pages(self) -> None:
        try:
            if self.detail.subject and self.model.row_of(self.detail.subject) is not None:
                self.detail.show_subject(self.ws, self.detail.subject)
            else:
                rows = self.table_rows()
                self.detail.show_selection(len(rows), self._actions_for(rows), [r.subject for r in rows])
            if self.subject_page.subject and self.model.row_of(self.subject_page.subject) is not None:
                self.subject_page.show_subject(self.ws, self.subject_page.subject)
            if self.tabs.currentWidget() is self.cohort:
                self.refresh_cohort()
        except StoreError as exc:
            self.show_message("error", f"Cannot read the subject: {exc}")

    def _show_selection_actions(self) -> None:
        """The side panel's summary of the selection, with the actions available now (no subject open)."""
        if not (self.detail.subject and self.model.row_of(self.detail.subject) is not None):
            rows = self.table_rows()
            self.detail.show_selection(len(rows), self._actions_for(rows), [r.subject for r in rows])

    def _is_terminal(self, row: SubjectRow) -> bool:
        stage = self.ws.curriculum(row.curriculum_version_id).stage(row.stage_id) if row.stage_id else None
        return stage is None or stage.terminal

    def refresh_cohort(self) -> None:
        """The mice the table shows (its filter and order), their histories read a page at a time."""
        shown = self.proxy.subjects(range(self.proxy.rowCount()))
        subjects = [r.subject for r in shown]
        off = [r.subject for r in shown if not r.on_curriculum]
        ws = self.ws
        stages: dict[str, None] = {}
        for version in ws.versions():
            stages.update(dict.fromkeys(s.name for s in ws.curriculum(version.id).stages))

        def load(page: list[str]) -> list[list[Cell]]:
            return page_cells(ws, page)

        self.cohort.model.failed = lambda exc: self.show_message("error", f"Cannot read the cohort: {exc}")
        self.cohort.set_source(subjects, load, list(stages), off)
        self._cohort_stale = False

    def _tab_changed(self, _index: int) -> None:
        self.insight.tab_shown(self.tabs.currentWidget())
        self._update_actions()  # on the Subject tab they work on the subject shown
        if self.tabs.currentWidget() is self.cohort and self._cohort_stale:
            try:
                self.refresh_cohort()
            except StoreError as exc:
                self.show_message("error", f"Cannot read the cohort: {exc}")

    # --- selection and filter ------------------------------------------------------------------

    def table_rows(self) -> list[SubjectRow]:
        """The rows selected in the table."""
        return self.proxy.subjects(self._selected_proxy_rows())

    def _selected_proxy_rows(self) -> list[int]:
        """From the selection's ranges (one for Select All), not an index per row: fast at 10,000 rows."""
        rows: set[int] = set()
        for block in self.table.selectionModel().selection():
            rows.update(range(block.top(), block.bottom() + 1))
        return sorted(rows)

    def selected_rows(self) -> list[SubjectRow]:
        """The subjects the actions work on: the one whose page is open on the Subject tab (however it
        was opened: from the table, a cohort cell), else the table's selection."""
        page = self.subject_page.subject if hasattr(self, "tabs") else None
        if page and self.tabs.currentWidget() is self.subject_page:
            index = self.model.row_of(page)
            return [self.model.subject_at(index)] if index is not None else []
        return self.table_rows()

    def select_subjects(self, subjects: Sequence[str]) -> None:
        """Select these subjects (those shown), as few ranges of consecutive rows as they make."""
        selection = QItemSelection()
        last = self.model.columnCount() - 1
        rows = self.proxy.rows_of(subjects)
        start = 0
        for i, row in enumerate(rows):
            if i + 1 == len(rows) or rows[i + 1] != row + 1:
                selection.select(self.proxy.index(rows[start], 0), self.proxy.index(row, last))
                start = i + 1
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().select(selection, flags)

    def _filter_changed(self, *_: object) -> None:
        self.proxy.set_filter(self.filter.text(), self.status.currentData())
        self._update_count()

    def _update_empty(self) -> None:
        """An empty table says what to do next."""
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        if shown:
            self.empty.hide()
            return
        if total:
            text = f"No subject matches the filter. Clear it (the ✕ in the Find field) to see all {total}."
        elif not self._has_versions:
            text = (
                "<b>This database has no curriculum yet.</b><p>Publish a curriculum from the editor (or "
                "<code>curriculum-gui publish FILE</code>), then register mice with <b>Register…</b> "
                "(Ctrl+R).</p>"
            )
        else:
            text = (
                "<b>No mice yet.</b><p><b>Register…</b> (Ctrl+R) puts new mice on a published curriculum; "
                "then <b>Import metrics…</b> (Ctrl+I) and <b>Evaluate</b> (Ctrl+E).</p>"
            )
        self.empty.setText(text)
        self.empty.show()

    def _update_count(self) -> None:
        self._update_empty()
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        selected = len(self._selected_proxy_rows())
        statuses = self.model.statuses()
        parts = [f"{statuses.count(s)} {s}" for s in STATUSES if s in statuses]
        flagged = sum(self.model.flagged())
        if flagged:
            parts.append(f"<span style='color:#b71c1c'><b>{flagged}</b> need attention</span>")
        self.count.setText(
            f"Showing <b>{shown}</b> of {total} subjects"
            + (f" · {selected} selected" if selected else "")
            + (f" &nbsp;<span style='color:#555'>({', '.join(parts)})</span>" if parts else "")
        )

    def _selection_changed(self, *_: object) -> None:
        rows = self.table_rows()
        self._update_actions()
        self._update_count()
        chosen = tuple(r.subject for r in rows)
        if chosen != self._chosen and self.banner.level in ("ok", "info"):
            self.banner.hide()  # it was about what was done before: the person has moved on
        self._chosen = chosen
        if len(rows) == 1:
            if rows[0].subject != self.detail.subject:
                try:
                    self.detail.show_subject(self.ws, rows[0].subject)
                except StoreError as exc:
                    self.show_message("error", str(exc))
        else:
            self.detail.show_selection(len(rows), self._actions_for(rows), chosen)

    def _actions_for(self, rows: Sequence[SubjectRow]) -> list[str]:
        """The names of the actions that work on these rows now (for the side panel)."""
        actions = (
            self.override_action,
            self.eject_action,
            self.reenroll_action,
            self.revert_action,
            self.move_action,
            self.export_action,
            self.copy_action,
        )
        return [a.text().replace("…", "").replace("&", "") for a in actions if a.isEnabled()]

    def _update_actions(self) -> None:
        idle = not self.busy
        rows = self.selected_rows() if idle and hasattr(self, "tabs") else []  # busy: all off anyway
        on = any(r.on_curriculum for r in rows)  # (any, not a list: every row may be selected)
        for action in (
            self.register_action,
            self.import_action,
            self.import_folder_action,
            self.database_action,
            self.refresh_action,
        ):
            action.setEnabled(idle)
        self.evaluate_action.setEnabled(idle and any(r.pending_suggestion for r in self.rows))
        self.override_action.setEnabled(idle and on)
        self.eject_action.setEnabled(idle and on)
        self.reenroll_action.setEnabled(idle and any(not r.on_curriculum for r in rows))
        self.revert_action.setEnabled(idle and bool(rows))
        self.move_action.setEnabled(idle and bool(rows))
        self.undo_apply_action.setEnabled(idle and bool(self.last_batch))
        self.undo_apply_action.setText(self.undo_text())
        self.export_action.setEnabled(idle and bool(rows))
        self.copy_action.setEnabled(bool(self.rows))

    # --- messages and jobs ---------------------------------------------------------------------

    def show_message(self, level: str, text: str, rich: bool = False) -> None:
        self.banner.show_message(level, text, rich)

    def _run(
        self,
        label: str,
        job: worker.Job,
        done: Callable[[Any], None],
        failed: Callable[[Exception], None] | None = None,
        reload: bool | Callable[[Any], Iterable[str]] = False,
    ) -> bool:
        """Run ``job`` off the GUI thread; ``done(result)`` on the GUI thread; errors to the banner (and the
        view reloaded), then ``failed(exc)``: what the caller keeps or gives up. False: another job runs.
        ``reload``: after the job, the subjects are read and prepared on its thread too, and shown before
        ``done`` runs (a callable gives the subjects still marked as suggested, from the job's result)."""
        if self.busy:
            self.show_message("info", "Still working on the previous step: try again in a moment.")
            return False
        self._set_busy(True, label)
        self._jobs += 1
        read = self._reader(reload if callable(reload) else None) if reload else None

        def work(progress: worker.Progress) -> Any:
            # The window first lays out and repaints what the start changed (the progress bar, the
            # actions): a repaint calls the table model hundreds of times, and once the job runs each
            # call waits its turn for the interpreter (benchmarks/subjects.py).
            time.sleep(SETTLE_SECONDS)
            result = job(progress)
            return (result, read(result)) if read is not None else result

        def finished(result: Any) -> None:
            if read is not None:
                result, rows = result
                if isinstance(rows, StoreError):
                    self.show_message("error", f"Cannot read the subjects: {rows}")
                else:
                    self._show_rows(rows)
            # The rest on later turns of the event loop (busy until the last): at 10,000 subjects, the rows
            # shown, the caller's follow-up and the actions made available again are each tens of
            # milliseconds, which in one go held the window past 100 ms (benchmarks/subjects.py).
            QTimer.singleShot(0, self, lambda: end(result))

        def end(result: Any) -> None:
            done(result)
            QTimer.singleShot(0, self, idle)

        def idle() -> None:
            self._set_busy(False)
            if read is not None:
                self._show_selection_actions()  # listed while busy: none were available then

        def on_error(exc: Exception) -> None:
            self._set_busy(False)
            self.handle_error(exc)
            if failed is not None:
                failed(exc)

        self._task = worker.start(work, finished, on_error, self._progress, self.pool, context=self)
        return True

    def _set_busy(self, busy: bool, label: str = "") -> None:
        self.busy = busy
        # Elided to a width of its own: beside the filters, a long file name must not widen the window.
        elided = self.progress_label.fontMetrics().elidedText(
            label, Qt.TextElideMode.ElideMiddle, PROGRESS_LABEL_PX
        )
        self.progress_label.setText(elided)
        self.progress_label.setToolTip(label)
        if busy:
            self.progress.setRange(0, 0)  # busy until the first progress report
        self.progress_row.setVisible(busy)
        if not busy:
            self._task = None
        self._update_actions()
        self.review.set_busy(busy)
        self.busy_changed.emit(busy)
        if not busy and self._insight_due:
            self._insight_due = False
            self.insight.refresh()

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done} / {total}")

    def handle_error(self, exc: BaseException) -> None:
        """One clear message; after a conflict or a lost database, read everything again."""
        if isinstance(exc, ConflictError):
            stale = set(exc.subjects)
            self.review.set_suggestions(
                [s for s in self.review.suggestions if s.subject not in stale] if stale else []
            )
            # Not "another rig": the change may have been made in this window (an override, then Undo apply).
            self.show_message("error", f"Not done — {exc}. The table was reloaded; nothing was lost.")
            self._reload_now_or_later()
        elif isinstance(exc, DatabaseUnavailable):
            text = str(exc)
            if exc.written:  # the change went into a file moved away meanwhile: the message says so
                self.show_message("error", f"Database moved — {text}.")
                return
            # "Try again" where waiting can help (a lock, a lost connection), once ("locked …; try again").
            passing = any(word in text for word in ("locked", "connection", "gone", "cannot be reached"))
            advice = "; try again" if passing and "try again" not in text else ""
            unchanged = "" if "nothing was" in text.lower() else " Nothing was changed"
            self.show_message(
                "error", f"Database unavailable — {text}.{unchanged}{advice}.".replace("..", ".")
            )
            self._reload_now_or_later()
        elif isinstance(exc, CurriculumGuiError):
            self.show_message("error", str(exc))
        else:
            log.exception("unexpected error in the subjects view", exc_info=exc)
            self.show_message("error", f"Unexpected error ({type(exc).__name__}): {exc}")

    def _open(self, dialog: QDialog, on_accept: Callable[[], None]) -> QDialog:
        """Window-modal, without a nested event loop: ``on_accept`` runs when OK is pressed."""
        self.dialog = dialog
        dialog.accepted.connect(on_accept)
        dialog.finished.connect(lambda _result: setattr(self, "dialog", None))
        dialog.open()
        return dialog

    # --- register ------------------------------------------------------------------------------

    def register_dialog(self) -> QDialog | None:
        try:
            versions = self.ws.versions()
        except StoreError as exc:
            self.handle_error(exc)
            return None
        if not versions:
            self.show_message(
                "info",
                "No curriculum is published in this database: publish one from the editor first "
                "(Curriculum → Publish…).",
            )
            return None
        dialog = dialogs.RegisterDialog(versions, self.ws.curriculum, {r.subject for r in self.rows}, self)
        return self._open(dialog, lambda: self.register(*dialog.values(), dialog=dialog))

    def register(
        self,
        subjects: Sequence[str],
        version_id: int,
        start_stage: str | None,
        dialog: dialogs.RegisterDialog | None = None,
    ) -> None:
        """In the background (another program may hold the database for seconds). If it fails, ``dialog``
        opens again with what was typed, its "already registered" check brought up to date."""
        ws = self.ws
        ids = list(subjects)
        baseline = dialog.baseline_grams() if dialog is not None else None
        infos = [SubjectInfo(i, baseline_weight_g=baseline) for i in ids]

        def job(_progress: worker.Progress) -> tuple[int, str]:
            return ws.register(infos, version_id, start_stage), ws.version(version_id).label

        def failed(_exc: Exception) -> None:
            if dialog is not None:
                self._reopen_register(dialog, ids)

        label = f"Registering {len(ids)} subject(s)…"
        started = self._run(label, job, lambda result: self._registered(ids, *result), failed, reload=True)
        if not started and dialog is not None:
            self._reopen_register(dialog, ids)

    def _reopen_register(self, dialog: dialogs.RegisterDialog, ids: Sequence[str] = ()) -> None:
        """The same dialog (still connected to :meth:`register`), with the subjects as read now (the
        typed ids looked up again: the table may still be reading)."""
        taken = {r.subject for r in self.rows}
        with contextlib.suppress(StoreError):  # the banner says why; checked against the table then
            taken |= {r.subject for r in self.ws.subjects(list(ids))} if ids else set()
        dialog.set_taken(taken)
        self.dialog = dialog
        dialog.open()

    def _registered(self, subjects: Sequence[str], count: int, label: str) -> None:
        self.select_subjects(subjects)
        self.show_message("ok", f"Registered {count} subject(s) on {label}.")

    # --- import and the trainer ----------------------------------------------------------------

    def import_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Import session metrics", "", "Metrics (*.csv *.json *.jsonl *.tsv);;All files (*)"
        )
        for path in paths[:1]:
            self.import_file(path)

    def import_folder_dialog(self, folder: str | Path | None = None) -> None:
        from .session_folder import import_folder

        import_folder(self, folder)

    def import_file(self, path: str | Path) -> None:
        ws = self.ws
        self._run(
            f"Importing {Path(path).name}…",
            lambda progress: ws.import_metrics(path, progress=progress),
            self._imported,
            reload=True,
        )

    def _imported(self, report: ImportReport) -> None:
        level = "ok" if report.ok and not report.warnings else "info"
        self.show_message(
            level, dialogs.summary_text(report) + " Evaluate runs the trainer on them.", rich=True
        )
        if self.report_dialog is not None:
            self.report_dialog.close()
        self.report_dialog = dialogs.ImportReportDialog(report, self)
        self.report_dialog.show()  # not modal: the table stays usable beside it

    def pending_subjects(self) -> list[str]:
        return [r.subject for r in self.rows if r.pending_suggestion]

    def evaluate(self, synchronous: bool = False) -> None:
        """The trainer on every subject with new metrics (with progress); then the review."""
        subjects = self.pending_subjects()
        if not subjects:
            self.show_message("info", "No new metrics to evaluate: import a metrics file first.")
            return
        ws = self.ws

        today = self.insight.today()

        def job(progress: worker.Progress) -> tuple[list[Suggestion], Any, Any]:
            suggestions = ws.evaluate(subjects, progress=progress)
            try:
                held: Any = ws.held_back(suggestions)
            except StoreError as exc:
                held = exc
            # Attention with the trainer: where each subject would go (the days counted to today).
            try:
                attention: Any = ws.attention(subjects, today, suggestions)
            except StoreError as exc:
                attention = exc
            return suggestions, held, attention

        if synchronous:
            try:
                self._evaluated(job(lambda _d, _t: None))
            except Exception as exc:  # shown, never raised into Qt
                self.handle_error(exc)
            return
        # The table's statuses (change suggested) are worked out on the job's thread too.
        self._run(
            f"Evaluating {len(subjects)} subject(s)…",
            job,
            lambda result: self._evaluated(result, marked=True),
            reload=lambda result: suggested_changes(result[0]),
        )

    def _evaluated(self, result: tuple[list[Suggestion], Any, Any], marked: bool = False) -> None:
        """``result``: the suggestions, the underweight promotions among them (or the error reading
        the weights) and why subjects need attention where they would go (or the error reading it);
        ``marked``: the table's statuses are already shown (worked out with the job)."""
        suggestions, held, attention = result
        if isinstance(held, StoreError):
            self.show_message("error", f"Cannot read the weights: {held}")
            held = {}
        if isinstance(attention, StoreError):
            self.show_message("error", f"Cannot work out who needs attention: {attention}")
            attention = {}
        self.review.set_suggestions(suggestions, held, attention)  # underweight promotions: not pre-selected
        if not marked:
            self.model.set_suggested(suggested_changes(suggestions))
        self._update_count()
        self.tabs.setCurrentWidget(self.review)

    def apply(
        self, suggestions: Sequence[Suggestion], confirmed: bool = False, reason: str | None = None
    ) -> QDialog | None:
        """One batch, one transaction (all or nothing); Undo apply reverts it. Underweight promotions
        among them are applied only after a confirmation, and the history keeps who accepted them."""
        todo = [s for s in suggestions if s.applicable]
        if not todo:
            self.show_message("info", "Nothing to apply: no applicable suggestion selected.")
            return None
        held = {s.subject: self.review.held[s.subject] for s in todo if s.subject in self.review.held}
        if held and not confirmed:
            dialog = dialogs.underweight_dialog(held, self)
            return self._open(dialog, lambda: self.apply(todo, True, dialog.reason_text() or None))
        notes = {s: {"underweight_accepted": {"why_held": why, "reason": reason}} for s, why in held.items()}
        ws = self.ws
        still = self.model.suggested - {s.subject for s in todo}
        self._run(
            f"Applying {len(todo)} suggestion(s)…",
            lambda progress: ws.apply(todo, progress=progress, notes=notes or None),
            lambda result: self._applied(result, todo),
            reload=lambda _result: still,
        )
        return None

    def _applied(self, result: ApplyResult, todo: Sequence[Suggestion]) -> None:
        applied = {s.subject for s in todo}
        self.remember_batch(result.batch, sorted(applied), "applied")
        self.review.set_suggestions([s for s in self.review.suggestions if s.subject not in applied])
        skipped = f"; {len(result.skipped)} skipped" if result.skipped else ""
        self.show_message(
            "ok",
            f"Applied {result.applied} suggestion(s) as one batch{skipped}. “Undo apply” reverts the batch.",
        )
        self.tabs.setCurrentWidget(self.table_page)

    def reject_suggestions(self) -> QDialog | None:
        """Turn the review down. The suggested changes are logged as rejected (with an optional reason)
        after a confirmation; the other suggestions (no change, or not applicable) are simply dismissed."""
        changes = [s for s in self.review.suggestions if kind_of(s) in (1, 2, 3)]
        dismissed = len(self.review.suggestions) - len(changes)
        if not changes:
            self._rejected(0, dismissed)
            return None
        dialog = dialogs.reject_dialog(changes, self)
        return self._open(dialog, lambda: self.reject(changes, dialog.reason_text(), dismissed))

    def reject(self, suggestions: Sequence[Suggestion], reason: str | None, dismissed: int = 0) -> None:
        under_review = {id(s) for s in self.review.suggestions}
        todo = [s for s in suggestions if id(s) in under_review]  # not applied or rejected meanwhile
        if not todo:
            self.show_message("info", "Nothing to reject: these suggestions are no longer under review.")
            return
        ws = self.ws
        self._run(
            "Rejecting…",
            lambda _progress: ws.reject(todo, reason=reason or None),
            lambda logged: self._rejected(logged, dismissed, reloaded=True),
            reload=lambda _logged: (),
        )

    def _rejected(self, logged: int, dismissed: int, reloaded: bool = False) -> None:
        self.review.set_suggestions([])
        if not reloaded:
            self.model.set_suggested([])
        self.tabs.setCurrentWidget(self.table_page)
        parts = [f"Turned down {logged} suggested change(s), kept in the subjects' history"] if logged else []
        if dismissed:
            parts.append(f"dismissed {dismissed} suggestion(s) without a change")
        text = "; ".join(parts) or "Nothing to reject"
        self.show_message("info", f"{text[0].upper()}{text[1:]}. Nothing changed; the sessions stay pending.")

    # --- moving to another version ------------------------------------------------------------

    def move_dialog(
        self,
        subjects: Sequence[str] | None = None,
        from_version: int | None = None,
        target: int | None = None,
    ) -> QDialog | None:
        """Move subjects (the selection, ``subjects``, or everyone on ``from_version``) to another
        published version: mapping, dry run and reason in the dialog; applied as one undoable batch."""
        from ..lifecycle.migrate_dialog import MigrateDialog

        if subjects is None and from_version is None:
            subjects = [r.subject for r in self.selected_rows()]
            if not subjects:
                return None
        try:
            versions = self.ws.versions()
        except StoreError as exc:
            self.handle_error(exc)
            return None
        if len(versions) < 2:
            self.show_message("info", "Only one curriculum version is published: publish another one first.")
            return None
        dialog = MigrateDialog(
            self.ws, versions, subjects, from_version, target, self.pool, self, self.operators
        )
        return self._open(dialog, lambda: self.migrate(dialog.plan, dialog.reason_text()))

    def migrate(self, plan: Any, reason: str) -> None:
        """Apply a migration plan as one batch; a subject changed since the dry run is a conflict (nothing
        moves, the table reloads)."""
        if plan is None:
            return
        ws = self.ws
        self._run(
            f"Moving {len(plan.moves)} subject(s) to {plan.target.label}…",
            lambda _progress: ws.migrate(plan, reason=reason),
            self._migrated,
        )

    def _migrated(self, result: Any) -> None:
        self.remember_batch(result.batch, list(result.moved), "migrated")
        self.refresh()
        self.select_subjects(result.moved)
        self.show_message(
            "ok",
            f"Moved {len(result.moved)} subject(s) to {result.target.label} as one batch; each one's history "
            "records both versions. “Undo move” (Subjects menu) moves them all back.",
        )

    # --- export --------------------------------------------------------------------------------

    def export_dialog(self) -> None:
        rows = self.selected_rows()
        folder = QFileDialog.getExistingDirectory(
            self, f"Export next-session parameters of {len(rows)} subject(s)"
        )
        if folder:
            self.export_to(folder, rows)

    def export_to(self, folder: str | Path, rows: Sequence[SubjectRow]) -> ExportResult | None:
        try:
            result = self.ws.export_next_sessions([r.subject for r in rows], folder)
        except (OSError, StoreError) as exc:
            self.show_message("error", f"Export failed: {exc}")
            return None
        text = f"Wrote {len(result.written)} file(s) to {folder}."
        if result.renamed:
            text += " " + result.renamed_text()
        if result.aind_note():
            text += f" {result.aind_note()}"
        if result.problems:
            text += f" No aind TrainerState for {len(result.problems)}: {result.problems[0]}"
        self.show_message("info" if result.problems or result.renamed else "ok", text)
        return result

    def summary_text(self, rows: Sequence[SubjectRow] | None = None) -> str:
        """Tab-separated: the selection, or every row shown when nothing is selected."""
        if rows is None:
            rows = self.selected_rows() or self.proxy.subjects(range(self.proxy.rowCount()))
        cells = [self.model.cells(self.model.row_of(r.subject) or 0) for r in rows]
        return export.summary_tsv(rows, cells)

    def copy_summary(self) -> None:
        text = self.summary_text()
        QGuiApplication.clipboard().setText(text)
        self.show_message(
            "ok", f"Copied {text.count(chr(10)) - 1} row(s) as tab-separated text: paste into a spreadsheet."
        )

    # --- database ------------------------------------------------------------------------------

    def database_dialog(self) -> QDialog:
        dialog = dialogs.DatabaseDialog(dialogs.editable_url(self.ws.url), self)
        return self._open(dialog, lambda: self.open_database(dialog.value()))

    def open_database(self, url: str, create: bool = False) -> bool:
        """Open another database (``create``: make it; a path that does not exist is otherwise an error
        naming it). A failure is one line in the banner and the current database stays open."""
        if self.busy:  # the running job belongs to the current database
            self.show_message("info", "Still working on the previous step: try again in a moment.")
            return False
        try:
            workspace = Workspace.open(url, create=create)
        except Exception as exc:  # StoreError, and whatever a malformed URL raises: a message, not a crash
            text = mask_message(str(exc))
            if not isinstance(exc, StoreError):
                text = f"not a usable database URL ({type(exc).__name__}: {text})"
            elif isinstance(exc, DatabaseMissing):
                text += " (check the path; File → New Database… makes a new one)"
            self.show_message("error", f"Could not open that database — {text}. The current one stays open.")
            return False
        self.set_workspace(workspace)
        self.show_opened(workspace)
        return True

    def show_opened(self, workspace: Workspace) -> None:
        """What opening did: a new empty database says what to do next; an older schema says where the
        copy of the file as it was is kept."""
        if workspace.upgrade is not None:
            self.show_message("info", workspace.upgrade.describe(f"Opened {workspace.where}") + ".")
        elif workspace.created and self.rows:
            self.show_message("ok", f"Created {workspace.where} with a demo cohort to explore.")
        elif workspace.created:
            self.show_message(
                "ok",
                f"Created {workspace.where}, empty. Publish a curriculum into it (curriculum-gui publish "
                "FILE --db PATH), then register mice here.",
            )
        else:
            self.show_message("ok", f"Opened {workspace.where}.")

    # --- pages ---------------------------------------------------------------------------------

    def open_subject(self, subject: str, session: int | None = None) -> None:
        try:
            self.subject_page.show_subject(self.ws, subject, session)
        except StoreError as exc:
            self.handle_error(exc)
            return
        self.tabs.setCurrentWidget(self.subject_page)
        self._update_actions()

    def show_part(self, name: str) -> None:
        """For ``--view``: ``subjects``, ``review`` (evaluates pending metrics first), ``subject`` (the
        first subject) or ``cohort``."""
        if name not in PARTS:
            raise CurriculumGuiError(f"unknown subjects view {name!r} (choose from: {', '.join(PARTS)})")
        if not self.loaded:  # still reading in the background: what is shown must be there now
            self.refresh()
        if name == "subjects":
            self.tabs.setCurrentWidget(self.table_page)
            if self.rows and not self.table_rows():
                self.select_subjects([self.proxy.subjects([0])[0].subject])
        elif name == "review":
            self.evaluate(synchronous=True)
            self.tabs.setCurrentWidget(self.review)
            if self.review.suggestions:
                first = next(
                    (s for s in self.review.suggestions if s.stage_changed), self.review.suggestions[0]
                )
                self.review.expand_subject(first.subject)
        elif name == "subject":
            if self.rows:
                self.open_subject(self.proxy.subjects([0])[0].subject)
            self.tabs.setCurrentWidget(self.subject_page)
        elif name in ("progress", "compare"):
            self.insight.synchronous = True  # (a screenshot: the figures before the picture)
            self.tabs.setCurrentWidget(self.insight.progress if name == "progress" else self.insight.compare)
            self.insight.synchronous = False
        else:
            self.tabs.setCurrentWidget(self.cohort)

    # --- drag and drop -------------------------------------------------------------------------

    @staticmethod
    def _metrics_paths(event: QDragEnterEvent | QDropEvent) -> list[str]:
        """Metrics files, or session folders (read by their stage's metrics_provider)."""
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        return [
            u.toLocalFile()
            for u in urls
            if u.isLocalFile()
            and (u.toLocalFile().lower().endswith(METRICS_FILES) or Path(u.toLocalFile()).is_dir())
        ]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._metrics_paths(event) and not self.busy:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = self._metrics_paths(event)
        if paths:
            event.acceptProposedAction()
            if Path(paths[0]).is_dir():
                self.import_folder_dialog(paths[0])
            else:
                self.import_file(paths[0])
