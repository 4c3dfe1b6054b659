"""A folder the rigs drop metrics files into: each file is imported once it is complete, then moved to
``imported/`` (or to ``failed/``, with its report beside it as ``NAME.report.txt``).

Complete means: its size and modification time have not changed for ``settle`` seconds (a rig that writes
slowly, or copies over the network, is never read half-way). Temporary and hidden names (``.x``,
``*.tmp``, ``*.part``, ``~x``) are left alone until they are renamed. The import is one transaction
(:func:`.metrics.import_rows`); the file moves only after it committed. If the process stops in between,
the next scan imports the file again, which adds nothing (sessions already imported are recognised), and
moves it. A database that cannot be reached leaves the file where it is, to be tried again.

Polling, not file-system events: rigs often write to network shares, where events do not arrive; a poll
of one folder every second costs nothing measurable. No Qt here (``curriculum-gui watch`` and the Rig tab
share it).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import CurriculumGuiError
from ..core.metrics_import import FORMATS, read_metrics
from .context import StoreContext
from .errors import DatabaseUnavailable
from .evaluation import apply, evaluate
from .metrics import import_rows
from .records import ApplyResult, ImportReport
from .weights import held_back

IMPORTED = "imported"
FAILED = "failed"
SETTLE_SECONDS = 2.0
_TEMPORARY = (".tmp", ".part", ".partial", ".crdownload", ".swp", "~")


@dataclass
class Outcome:
    """What happened to one file."""

    name: str
    moved_to: Path | None = None
    report: ImportReport | None = None
    error: str | None = None
    subjects: tuple[str, ...] = ()
    applied: ApplyResult | None = None
    held: dict[str, str] = field(default_factory=dict)  # subject -> why its suggestion was not applied
    retry: bool = False  # left in place, to be tried again (database unavailable)

    @property
    def ok(self) -> bool:
        return self.error is None and self.report is not None and self.report.ok

    def line(self) -> str:
        """One line for a log."""
        if self.retry:
            return f"{self.name}: not imported yet ({self.error}); will try again"
        if self.report is None:
            return f"{self.name}: failed: {self.error} -> {self.moved_to}"
        r = self.report
        text = (
            f"{self.name}: {r.imported} new session(s), {r.already_there} already there, "
            f"{len(r.bad)} problem(s)"
        )
        if self.applied is not None:
            text += f"; applied {self.applied.applied} suggestion(s)"
        if self.held:
            text += f"; held back for review: {', '.join(sorted(self.held))}"
        if self.error:
            text += f"; {self.error}"
        return f"{text} -> {self.moved_to}"


def report_text(outcome: Outcome) -> str:
    """The report written beside a failed file (what a manual import shows)."""
    lines = [outcome.line()]
    if outcome.report is not None:
        lines += [str(bad) for bad in outcome.report.bad]
    return "\n".join(lines) + "\n"


def is_candidate(path: Path) -> bool:
    name = path.name
    if name.startswith((".", "~")) or name.lower().endswith(_TEMPORARY):
        return False
    return path.suffix.lower() in FORMATS and path.is_file()


class FolderWatcher:
    """Call :meth:`scan` now and then (every second or so): it imports the files that became complete."""

    def __init__(
        self,
        ws: StoreContext,
        folder: str | Path,
        settle: float = SETTLE_SECONDS,
        evaluate: bool = False,
        operator: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ws = ws
        self.folder = Path(folder).expanduser()
        self.settle = settle
        self.evaluate = evaluate
        self.operator = operator
        self.clock = clock
        self._seen: dict[Path, tuple[tuple[int, int], float]] = {}  # (size, mtime) and since when

    def check_folder(self) -> None:
        if not self.folder.is_dir():
            raise CurriculumGuiError(f"{self.folder} is not a folder: nothing to watch")

    def ready(self) -> list[Path]:
        """The files unchanged for ``settle`` seconds (oldest first)."""
        now = self.clock()
        try:
            entries = [p for p in self.folder.iterdir() if is_candidate(p)]
        except OSError:
            return []
        found: dict[Path, tuple[tuple[int, int], float]] = {}
        ready = []
        for path in entries:
            try:
                info = path.stat()
            except OSError:
                continue
            mark = (info.st_size, info.st_mtime_ns)
            before = self._seen.get(path)
            since = before[1] if before is not None and before[0] == mark else now
            found[path] = (mark, since)
            if info.st_size > 0 and now - since >= self.settle:
                ready.append((info.st_mtime_ns, path))
        self._seen = found
        return [path for _, path in sorted(ready)]

    def scan(self, stop: Callable[[], bool] = lambda: False) -> list[Outcome]:
        """Import every file that is ready; ``stop()`` is asked between files (never during one)."""
        outcomes = []
        for path in self.ready():
            if stop():
                break
            outcome = self.process(path)
            if outcome is not None:
                outcomes.append(outcome)
                if not outcome.retry:
                    self._seen.pop(path, None)
        return outcomes

    def process(self, path: Path) -> Outcome | None:
        """Import one file and move it; None if it vanished (another watcher took it)."""
        outcome = Outcome(path.name)
        try:
            parsed = read_metrics(path)
        except FileNotFoundError:
            return None
        except CurriculumGuiError as exc:
            outcome.error = str(exc)
            return self._finish(path, outcome, failed=True)
        try:
            outcome.report = import_rows(self.ws, parsed.rows, str(path), parsed.bad)
        except DatabaseUnavailable as exc:
            outcome.error, outcome.retry = str(exc), True
            return outcome
        except CurriculumGuiError as exc:
            outcome.error = str(exc)
            return self._finish(path, outcome, failed=True)
        outcome.subjects = tuple(sorted({r.subject for r in parsed.rows}))
        if self.evaluate and outcome.subjects and outcome.report.imported:
            self._evaluate(outcome)
        return self._finish(path, outcome, failed=not outcome.report.ok)

    def _evaluate(self, outcome: Outcome) -> None:
        """Evaluate the file's subjects and apply, as one batch, all but underweight promotions (those
        wait for a person in the review)."""
        try:
            suggestions = [s for s in evaluate(self.ws, list(outcome.subjects)) if s.applicable]
            outcome.held = held_back(self.ws, suggestions)
            todo = [s for s in suggestions if s.subject not in outcome.held]
            outcome.applied = apply(self.ws, todo, self.ws.who(self.operator), None)
        except CurriculumGuiError as exc:
            outcome.error = f"imported, but not evaluated: {exc}"

    def _finish(self, path: Path, outcome: Outcome, failed: bool) -> Outcome | None:
        target = self.folder / (FAILED if failed else IMPORTED)
        try:
            target.mkdir(exist_ok=True)
            dest = _free_name(target / path.name)
            os.replace(path, dest)
        except FileNotFoundError:
            return None if outcome.report is None else outcome
        except OSError as exc:
            outcome.error = f"could not move it to {target}: {exc.strerror or exc}"
            outcome.retry = outcome.report is None
            return outcome
        outcome.moved_to = dest
        if failed:
            report = dest.with_name(dest.name + ".report.txt")
            try:
                report.write_text(report_text(outcome), encoding="utf-8")
            except OSError as exc:
                outcome.error = (outcome.error or "") + f" (report not written: {exc.strerror or exc})"
        return outcome


def _free_name(path: Path) -> Path:
    """``path``, or ``stem-2.ext``, ``stem-3.ext``... if a file of that name was moved there before."""
    if not path.exists():
        return path
    n = 2
    while True:
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        if not candidate.exists():
            return candidate
        n += 1
