"""The subjects table: a Qt model over the store's plain ``SubjectRow``s, fast with 10,000 rows.

Every display string and sort key is computed once when the rows arrive (``data()`` is a tuple lookup),
sorting is a Python sort of those keys in the source model (not 10,000·log comparisons through Qt), and
the filter proxy tests a precomputed lower-case text per row against a set of accepted subjects.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtGui import Qt as GuiQt

from ...core.attention import Alert, highest
from ...core.model import SEVERITY_ORDER, AttentionSeverity
from ...store.records import SubjectRow

# Statuses, in the order of the status filter.
ON = "on curriculum"
OFF = "off curriculum"
NEW_METRICS = "new metrics"
SUGGESTED = "change suggested"
STUCK = "stuck"
STATUSES = (ON, NEW_METRICS, SUGGESTED, STUCK, OFF)
STUCK_AFTER = 10  # sessions in one (non-terminal) stage without a change
NEEDS_ATTENTION = "needs attention"  # a status filter of its own: any alert, whatever the status
NOT_FLAGGED = (1, 0)  # the attention column's sort key of a subject that needs nothing

# The columns a technician scans first come first; the curriculum (mostly one per lab) last.
COLUMNS = (
    "Subject",
    "Stage",
    "Status",
    "Attention",
    "In stage",
    "Last session",
    "Last change",
    "Policies",
    "Key parameters",
    "Curriculum",
)
(
    C_SUBJECT,
    C_STAGE,
    C_STATUS,
    C_ATTENTION,
    C_IN_STAGE,
    C_LAST,
    C_CHANGE,
    C_POLICIES,
    C_PARAMS,
    C_CURRICULUM,
) = range(len(COLUMNS))
SUBJECT_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_COLOURS = {
    OFF: QColor("#9e9e9e"),
    SUGGESTED: QColor("#1565c0"),
    NEW_METRICS: QColor("#6a1b9a"),
    STUCK: QColor("#c62828"),
    ON: QColor("#2e7d32"),
}
_BRUSHES = {status: QBrush(colour) for status, colour in STATUS_COLOURS.items()}
SEVERITY_BRUSHES = {
    AttentionSeverity.CRITICAL: QBrush(QColor("#b71c1c")),
    AttentionSeverity.WARNING: QBrush(QColor("#e65100")),
    AttentionSeverity.INFO: QBrush(QColor("#455a64")),
}
SEVERITY_MARKS = {
    AttentionSeverity.CRITICAL: "‼",
    AttentionSeverity.WARNING: "!",
    AttentionSeverity.INFO: "·",
}


def attention_text(alerts: Sequence[Alert]) -> str:
    """The attention cell: the most urgent mark, then the reasons by name (``‼ over budget, slow in
    stage``)."""
    worst = highest(alerts)
    if worst is None:
        return ""
    return f"{SEVERITY_MARKS[worst]} " + ", ".join(dict.fromkeys(a.name for a in alerts))


def attention_tooltip(alerts: Sequence[Alert]) -> str:
    return "\n".join(f"{a.severity.value}: {a.name}: {a.message}" for a in alerts)


_FILTER_CHANGE_API = hasattr(QSortFilterProxyModel, "beginFilterChange")
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_FLAGS = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemNeverHasChildren


def short(value: Any, limit: int = 24) -> str:
    """A parameter value as a technician reads it: ``3.0`` → ``3``, lists and dicts as compact JSON."""
    if isinstance(value, bool):
        text = "on" if value else "off"
    elif isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tooltip(text: str) -> str:
    """User text (rules, reasons, ids) for a tooltip, shown as written: Qt takes a tooltip that looks
    like HTML (``<b>``, ``a<b and c>d``) for rich text, so such text is escaped inside a paragraph."""
    if not GuiQt.mightBeRichText(text):
        return text
    return "<p style='white-space:pre-wrap'>" + html.escape(text, quote=False) + "</p>"


def params_text(parameters: dict[str, Any], limit: int = 6) -> str:
    items = [f"{k}={short(v, 12)}" for k, v in list(parameters.items())[:limit]]
    more = len(parameters) - limit
    return ", ".join(items) + (f" (+{more})" if more > 0 else "")


@dataclass(frozen=True, slots=True)
class Prepared:
    """The table's rows with every display string, sort key, status and filter text worked out, in the
    table's sort order: pure data, made off the GUI thread (:func:`prepare`), installed in a moment."""

    rows: list[SubjectRow]
    display: list[tuple[str, ...]]
    keys: list[tuple[Any, ...]]
    statuses: list[str]
    texts: list[str]
    suggested: frozenset[str]
    ids: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    flagged: list[bool] = field(default_factory=list)  # per row: the subject needs attention
    attention: Mapping[str, Sequence[Alert]] = field(default_factory=dict)  # by subject

    def __post_init__(self) -> None:
        if len(self.ids) != len(self.rows):
            self.ids[:] = [row.subject for row in self.rows]
            self.index.update((sid, i) for i, sid in enumerate(self.ids))


UNCHANGED = object()
"""What a read gives instead of prepared rows when the subjects are the ones already shown."""


def same_rows(rows: Sequence[SubjectRow], shown: Sequence[SubjectRow]) -> bool:
    """The same subjects with the same values, in any order (the table keeps its own)."""
    if len(rows) != len(shown):
        return False
    by_id = {row.subject: row for row in shown}
    return all(by_id.get(row.subject) == row for row in rows)


def prepare(
    rows: Sequence[SubjectRow],
    suggested: Iterable[str] = (),
    terminal: Callable[[SubjectRow], bool] = lambda _row: False,
    sort: tuple[int, Qt.SortOrder] | None = None,
    attention: Mapping[str, Sequence[Alert]] | None = None,
) -> Prepared:
    """The rows as the table shows them (no Qt object is touched: safe on a worker thread).
    ``attention``: alerts by subject (the Attention column and the "needs attention" filter)."""
    chosen = frozenset(suggested)
    attention = attention or {}
    display, keys, statuses, texts, flagged = [], [], [], [], []
    param_cache: dict[int, str] = {}  # many subjects share one parameters dict shape: format once
    for row in rows:
        status = _status_of(row, chosen, terminal)
        params = row.parameters
        ptext = param_cache.get(id(params))
        if ptext is None:
            ptext = param_cache[id(params)] = params_text(params)
        last = row.last_session_date.isoformat() if row.last_session_date else ""
        stage = row.stage or ""
        if not row.on_curriculum:
            stage = f"({stage})" if stage else ""
        alerts = attention.get(row.subject) if attention else None
        if alerts:
            alert_text, alert_key = attention_text(alerts), (-max(a.rank for a in alerts), -len(alerts))
        else:
            alert_text, alert_key = "", NOT_FLAGGED
        cells = (
            row.subject,
            stage,
            status,
            alert_text,
            str(row.sessions_in_stage),
            last,
            row.last_change,
            ", ".join(row.policies),
            ptext,
            f"{row.curriculum} {row.curriculum_version}",
        )
        display.append(cells)
        keys.append(
            (
                row.subject,
                stage,
                STATUSES.index(status),
                alert_key,  # the most urgent first
                row.sessions_in_stage,
                last,
                row.last_change,
                cells[C_POLICIES],
                ptext,
                cells[C_CURRICULUM],
            )
        )
        statuses.append(status)
        texts.append(" ".join(cells).lower())
        flagged.append(bool(alerts))
    prepared = Prepared(
        list(rows), display, keys, statuses, texts, chosen, flagged=flagged, attention=attention
    )
    return _sorted(prepared, *sort) if sort is not None else prepared


def _status_of(row: SubjectRow, suggested: frozenset[str], terminal: Callable[[SubjectRow], bool]) -> str:
    if not row.on_curriculum:
        return OFF
    if row.subject in suggested:
        return SUGGESTED
    if row.pending_sessions:
        return NEW_METRICS
    if row.sessions_in_stage >= STUCK_AFTER and not terminal(row):
        return STUCK
    return ON


def _sorted(p: Prepared, column: int, order: Qt.SortOrder) -> Prepared:
    """By the precomputed keys (ties by subject id)."""
    if not 0 <= column < len(COLUMNS):
        return p
    keys = p.keys
    order_ = sorted(
        range(len(p.rows)),
        key=lambda i: (keys[i][column], keys[i][0]),
        reverse=order == Qt.SortOrder.DescendingOrder,
    )
    return Prepared(
        [p.rows[i] for i in order_],
        [p.display[i] for i in order_],
        [keys[i] for i in order_],
        [p.statuses[i] for i in order_],
        [p.texts[i] for i in order_],
        p.suggested,
        flagged=[p.flagged[i] for i in order_] if p.flagged else [],
        attention=p.attention,
    )


class SubjectTableModel(QAbstractTableModel):
    """Rows of the subjects table. ``set_rows`` replaces them (or ``install`` rows prepared elsewhere);
    ``set_suggested`` marks suggestions."""

    statuses_changed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[SubjectRow] = []
        self._display: list[tuple[str, ...]] = []
        self._keys: list[tuple[Any, ...]] = []
        self._status: list[str] = []
        self._text: list[str] = []
        self._index: dict[str, int] = {}
        self.ids: list[str] = []
        self.suggested: set[str] = set()  # subjects with a suggested change (after an evaluation)
        self.attention: dict[str, list[Alert]] = {}  # alerts by subject (set_attention, after a load)
        self._flagged: list[bool] = []
        self.terminal: Callable[[SubjectRow], bool] = lambda _row: False
        self.sort_order: tuple[int, Qt.SortOrder] | None = None  # the last sort asked for

    # --- loading -------------------------------------------------------------------------------

    def prepare(self, rows: Sequence[SubjectRow], suggested: Iterable[str] | None = None) -> Prepared:
        """:func:`prepare` with this table's statuses and sort (the work of :meth:`set_rows`, for a
        worker thread)."""
        return prepare(
            rows,
            self.suggested if suggested is None else suggested,
            self.terminal,
            self.sort_order,
            self.attention,
        )

    def set_rows(self, rows: Sequence[SubjectRow], suggested: Iterable[str] = ()) -> None:
        self.install(self.prepare(rows, suggested))

    def install(self, prepared: Prepared) -> None:
        """Show prepared rows. The same subjects in the same order (after a change of some of them): the
        cells change in place and the selection stays; otherwise the model is reset."""
        same = prepared.ids == self.ids
        if not same:
            self.beginResetModel()
        self.suggested = set(prepared.suggested)
        self.attention = dict(prepared.attention)
        self._flagged = prepared.flagged
        self.rows = prepared.rows
        self._display, self._keys = prepared.display, prepared.keys
        self._status, self._text = prepared.statuses, prepared.texts
        self.ids, self._index = prepared.ids, prepared.index
        if not same:
            self.endResetModel()
            return
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(COLUMNS) - 1))
        self.statuses_changed.emit()

    def set_attention(self, alerts: dict[str, list[Alert]]) -> None:
        """Show which subjects need attention and why (computed off the GUI thread, after a load)."""
        self.install(prepare(self.rows, self.suggested, self.terminal, attention=alerts))

    def flagged(self) -> list[bool]:
        """Per row: the subject needs attention."""
        return self._flagged

    def attention_count(self, floor: AttentionSeverity = AttentionSeverity.INFO) -> int:
        rank = SEVERITY_ORDER.index(floor)
        return sum(1 for alerts in self.attention.values() if any(a.rank >= rank for a in alerts))

    def set_suggested(self, subjects: Iterable[str]) -> None:
        """Mark the subjects with a suggested change (the status column) without reloading."""
        self.install(prepare(self.rows, subjects, self.terminal, attention=self.attention))

    # --- lookups -------------------------------------------------------------------------------

    def row_of(self, subject: str) -> int | None:
        return self._index.get(subject)

    def status(self, row: int) -> str:
        return self._status[row]

    def text(self, row: int) -> str:
        return self._text[row]

    def cells(self, row: int) -> tuple[str, ...]:
        return self._display[row]

    def subject_at(self, row: int) -> SubjectRow:
        return self.rows[row]

    def statuses(self) -> list[str]:
        return self._status

    def texts(self) -> list[str]:
        return self._text

    # --- Qt model ------------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return self.value(index.row(), index.column(), role)

    def value(self, row: int, column: int, role: int) -> Any:
        """What cell (``row``, ``column``) shows for ``role`` (None: nothing)."""
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display[row][column]
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == C_STATUS or (column == C_STAGE and not self.rows[row].on_curriculum):
                return _BRUSHES[self._status[row]]
            if column == C_ATTENTION and self._flagged[row]:
                return SEVERITY_BRUSHES[highest(self.attention[self.rows[row].subject])]
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == C_IN_STAGE:
            return _RIGHT
        if role == SUBJECT_ROLE:
            return self.rows[row].subject
        if role == Qt.ItemDataRole.ToolTipRole and column == C_ATTENTION:
            alerts = self.attention.get(self.rows[row].subject)
            return tooltip(attention_tooltip(alerts)) if alerts else None
        if role == Qt.ItemDataRole.ToolTipRole and column == C_PARAMS:
            params = self.rows[row].parameters
            return tooltip("\n".join(f"{k} = {short(v, 60)}" for k, v in params.items()) or "no parameters")
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by the precomputed keys (ties by subject id); selections follow their rows. Rows loaded
        later come in this order too."""
        if not 0 <= column < len(COLUMNS):
            return
        self.sort_order = (column, order)
        if not self.rows:
            return
        self.layoutAboutToBeChanged.emit()
        before = {sid: i for i, sid in enumerate(self.ids)}
        current = Prepared(
            self.rows, self._display, self._keys, self._status, self._text, frozenset(), flagged=self._flagged
        )
        done = _sorted(current, column, order)
        self.rows, self._display, self._keys = done.rows, done.display, done.keys
        self._status, self._text, self._flagged = done.statuses, done.texts, done.flagged
        self.ids, self._index = done.ids, done.index
        persistent = self.persistentIndexList()
        if persistent:
            new_of = [0] * len(self.ids)
            for new, sid in enumerate(self.ids):
                new_of[before[sid]] = new
            self.changePersistentIndexList(
                persistent, [self.index(new_of[p.row()], p.column()) for p in persistent]
            )
        self.layoutChanged.emit()


class SubjectFilterProxy(QSortFilterProxyModel):
    """Filters by text (every word must appear somewhere in the row) and status; sorting is the source's,
    so the rows shown are the accepted source rows in the source's order: :meth:`source_rows` maps them
    without a call into Qt per row (a selection of 10,000 rows is read in milliseconds)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._accepted: set[str] | None = None  # subject ids, or None: all (row numbers move on sort)
        self._model: SubjectTableModel | None = None
        self._words: list[str] = []
        self._status: str | None = None
        self._source_rows: list[int] | None = None  # proxy row -> source row (None: not worked out)
        self.setDynamicSortFilter(False)

    def source(self) -> SubjectTableModel:
        model = self.sourceModel()
        assert isinstance(model, SubjectTableModel)
        return model

    def set_filter(self, text: str | None = None, status: str | bool | None = False) -> None:
        """``text``: words to find (None: keep); ``status``: one of STATUSES or NEEDS_ATTENTION, None for all
        (False: keep)."""
        if text is not None:
            self._words = text.lower().split()
        if status is not False:
            self._status = status or None
        self._recompute()

    def _recompute(self) -> None:
        model = self.source()
        accepted: set[str] | None = None
        if self._words or self._status is not None:
            words, wanted = self._words, self._status
            statuses, texts, ids = model.statuses(), model.texts(), model.ids
            if wanted == NEEDS_ATTENTION:  # any alert, whatever the status
                statuses, wanted = [NEEDS_ATTENTION if f else "" for f in model.flagged()], NEEDS_ATTENTION
            accepted = {
                ids[i]
                for i, text in enumerate(texts)
                if (wanted is None or statuses[i] == wanted) and all(w in text for w in words)
            }
        self._source_rows = None
        if accepted is None and self._accepted is None:
            return  # no filter before or after: every row stays (a model reset has already shown them)
        if _FILTER_CHANGE_API:  # Qt >= 6.9; invalidateRowsFilter is deprecated there
            self.beginFilterChange()
            self._accepted = accepted
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._accepted = accepted
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        accepted = self._accepted
        return accepted is None or self._model.ids[source_row] in accepted

    # Painting a cell asks for seven roles and the cell's flags. Answered here in one call each, from the
    # rows worked out above, rather than by Qt through the source model (index, rowCount, columnCount and
    # a data call per role: nine calls into Python per cell). Each such call waits its turn for the
    # interpreter while a job runs on another thread, so a repaint of 10,000 rows' table during an
    # import held the window for 100-300 ms (see worker.py).

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def multiData(self, index: QModelIndex | QPersistentModelIndex, roles: QModelRoleDataSpan) -> None:
        rows = self.source_rows()
        if not index.isValid() or index.row() >= len(rows):
            return
        row, source = rows[index.row()], self.source()
        if row >= len(source.rows):  # asked in the middle of a reset: the next paint has it right
            return
        column, value = index.column(), source.value
        for slot in roles:
            slot.setData(value(row, column, slot.role()))

    def setSourceModel(self, model) -> None:  # type: ignore[override]
        self._model = model
        super().setSourceModel(model)
        # After the proxy's own handling: the same filter over the new rows and statuses.
        model.modelReset.connect(self._recompute)
        model.statuses_changed.connect(self._recompute)
        model.layoutChanged.connect(self._forget_rows)

    def _forget_rows(self, *_: object) -> None:
        self._source_rows = None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.source().sort(column, order)

    def source_rows(self) -> list[int]:
        """The source row of each row shown, in order."""
        if self._source_rows is None:
            accepted, ids = self._accepted, self.source().ids
            self._source_rows = (
                list(range(len(ids)))
                if accepted is None
                else [i for i, sid in enumerate(ids) if sid in accepted]
            )
        return self._source_rows

    def subjects(self, rows: Iterable[int]) -> list[SubjectRow]:
        """The subjects on these rows of the proxy."""
        source, model = self.source_rows(), self.source()
        # (rows past the end: a selection handler called while a filter change removes rows)
        return [model.rows[source[r]] for r in rows if r < len(source)]

    def rows_of(self, subjects: Iterable[str]) -> list[int]:
        """The proxy rows showing these subjects (those shown), in order."""
        model = self.source()
        where = {s: r for r, s in enumerate(self.source_rows())}
        found = (where.get(model.row_of(s)) for s in subjects if model.row_of(s) is not None)
        return sorted(r for r in found if r is not None)
