"""Which subjects need attention and how long each stage takes, for the subjects view: the attention of the
whole cohort after every read of the subjects table (days-based rules count to today), and the Progress
and Compare tabs. Read-only store work runs on the thread pool beside the view's own jobs (it never holds
the view busy); a result that arrives after a newer request is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from ...core.attention import Alert
from ...store.progress import Arm, version_ids
from . import worker
from .compare import NOT_SELECTED, CompareView
from .progress import ProgressView
from .table_model import Prepared, prepare

if TYPE_CHECKING:
    from .view import SubjectsView

log = logging.getLogger(__name__)
SYNCHRONOUS_UP_TO = 300  # subjects: attention is worked out at once below this, else in the background


class Insight(QObject):
    """``attention_changed(count)``: the subjects that need attention were worked out again."""

    attention_changed = Signal(int)

    def __init__(self, view: SubjectsView) -> None:
        super().__init__(view)
        self.view = view
        self.today: Callable[[], date] = date.today
        self.synchronous = False  # figures at once (``--view``/screenshots), not on the thread pool
        self._tasks: set[worker.Task] = set()
        self._attention_asked = 0
        self._attention_running = False  # an attention job is on the thread pool
        self._attention_again = False  # asked for again meanwhile: another starts when it ends
        self.progress = ProgressView()
        self.compare = CompareView()
        self._stale: dict[QObject, bool] = {self.progress: True, self.compare: True}
        for figures in (self.progress, self.compare):
            figures.run = self.run
            figures.selected = lambda: [r.subject for r in view.selected_rows()]
            figures.subject_clicked.connect(view.open_subject)
        self.progress.compute = lambda name, versions, subjects: view.ws.stage_statistics(
            name, versions, subjects, today=self.today()
        )
        self.compare.compute = self._compare

    # --- running read-only jobs ---------------------------------------------------------------------

    @property
    def idle(self) -> bool:
        """No figures or attention being worked out in the background."""
        return not self._tasks

    def run(
        self, job: Callable[[], Any], done: Callable[[Any], None], failed: Callable[[], None] | None = None
    ) -> None:
        """``job()`` on the thread pool (at once when ``synchronous``); ``done(result)`` back here; a
        failure is one line in the view's banner, then ``failed()``."""
        if self.synchronous:
            try:
                result = job()
            except Exception as exc:
                self.view.handle_error(exc)
                return
            done(result)
            return
        task: worker.Task | None = None

        def finished(result: Any) -> None:
            self._tasks.discard(task)  # type: ignore[arg-type]
            done(result)

        def on_error(exc: Exception) -> None:
            self._tasks.discard(task)  # type: ignore[arg-type]
            self.view.handle_error(exc)
            if failed is not None:
                failed()

        task = worker.start(
            lambda _progress: job(), finished, on_error, None, self.view.pool, context=self.view
        )
        self._tasks.add(task)

    # --- attention ------------------------------------------------------------------------------------

    def refresh(self, attention: bool = True) -> None:
        """After the view read the subjects: attention again (unless ``attention`` is False: the same
        subjects as before); the figures when next shown."""
        self._stale = dict.fromkeys(self._stale, True)
        if attention:
            self.refresh_attention()
        versions: dict[str, list[str]] = {}
        try:
            for v in self.view.ws.versions():
                versions.setdefault(v.name, []).append(v.version)
        except Exception as exc:  # (the view has said the database is unavailable)
            log.debug("no versions: %s", exc)
            return
        self.progress.set_curricula(versions)
        self.compare.set_curricula(versions)
        if self.view.tabs.currentWidget() in (self.progress, self.compare):
            self.tab_shown(self.view.tabs.currentWidget())

    def refresh_attention(self, synchronous: bool | None = None) -> None:
        ws, today = self.view.ws, self.today()
        self._attention_asked += 1
        asked = self._attention_asked
        at_once = synchronous if synchronous is not None else len(self.view.rows) <= SYNCHRONOUS_UP_TO
        if not (at_once or self.synchronous) and self._attention_running:
            # One at a time: at 10,000 subjects a run takes a second or more of the interpreter, and two
            # at once held the window. The newest request starts when the running one ends (its result,
            # older than the request, is dropped).
            self._attention_again = True
            return
        model = self.view.model
        rows, suggested, terminal, sort = model.rows, set(model.suggested), model.terminal, model.sort_order

        def job() -> tuple[dict[str, list[Alert]], Prepared]:
            # The rows prepared again with their attention here too: off the GUI thread for a large table
            # (10,000 rows take a few hundred milliseconds).
            alerts = ws.attention(today=today)
            return alerts, prepare(rows, suggested, terminal, sort, attention=alerts)

        if at_once or self.synchronous:
            try:
                self._attention_arrived(asked, *job(), rows)
            except Exception as exc:
                self.view.handle_error(exc)
            return

        def done(result: tuple[dict[str, list[Alert]], Prepared] | None) -> None:
            self._attention_running = False
            if self._attention_again:
                self._attention_again = False
                self.refresh_attention()
            elif result is not None:
                self._attention_arrived(asked, *result, rows)

        self._attention_running = True
        self.run(job, done, lambda: done(None))

    def _attention_arrived(
        self, asked: int, alerts: dict[str, list[Alert]], prepared: Prepared, rows: object
    ) -> None:
        if asked != self._attention_asked:
            return
        view = self.view
        model = view.model
        if model.rows is rows and model.suggested == prepared.suggested:
            model.install(prepared)
        else:  # the table changed meanwhile: its rows as they are now
            model.set_attention(alerts)
        for detail in (view.detail, view.subject_page):
            if detail.subject is not None:
                detail.show_attention(alerts.get(detail.subject, ()))
        view._update_count()
        self.attention_changed.emit(len(alerts))

    def alerts(self, subject: str) -> list[Alert]:
        return self.view.model.attention.get(subject, [])

    # --- figures --------------------------------------------------------------------------------------

    def tab_shown(self, widget: object) -> None:
        """The Progress or Compare tab was shown: its figures again if the subjects were read since."""
        if self._stale.get(widget):  # type: ignore[index]
            self._stale[widget] = False  # type: ignore[index]
            widget.refresh()  # type: ignore[attr-defined]

    def _compare(self, name: str, a: tuple[str, Any], b: tuple[str, Any], unit: str) -> Any:
        ws = self.view.ws
        everyone = {r.subject for r in self.view.rows}

        def arm(spec: tuple[str, Any]) -> Arm:
            kind, value = spec
            if kind == "version":
                return Arm(value, version_ids(ws, name, [value]))
            chosen, invert = value
            return (
                Arm("not selected", subjects=frozenset(everyone - chosen))
                if invert
                else Arm("selected", subjects=frozenset(chosen))
            )

        return ws.compare(name, arm(a), arm(b), unit, self.today())


__all__ = ["NOT_SELECTED", "Insight"]
