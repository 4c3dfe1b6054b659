"""Importing session metrics into the store: checked per subject against its curriculum's metrics.

Good rows are imported and bad rows reported (row, column, problem) in one transaction. A session is
identified by subject and session id (looked up in the unique index, so the cost follows the file, not
the archive): importing the same file again adds nothing; the same session with other values is a bad
row (the first import stands, nothing is overwritten). A row that leaves a ``number_list`` metric blank
is imported with a warning: that session is a gap in the metric's history.

A session's data folder is imported through the subject's stage's ``metrics_provider`` (an aind package's
function, called as aind's ``curriculum run`` calls it, only when its module is trusted): its metrics,
already validated by the package's own ``Metrics`` class, become one row, stored as the class gave them
(nulls included), through the same path as a file's rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..core.metrics_import import MAX_ID, BadRow, MetricsRow, check_row, read_metrics
from . import weights
from .context import Progress, StoreContext, insert_many, now, subject_row
from .errors import StoreError
from .records import ImportReport
from .schema import metrics_sessions as ms_t
from .schema import subjects as sub_t

CHUNK = 5000
LOOKUP = 500  # (subject, session) pairs looked up per query
PROGRESS_ROWS = 1000


def import_file(
    ws: StoreContext, source: str | Path, format: str | None = None, progress: Progress | None = None
) -> ImportReport:
    parsed = read_metrics(source, format)
    return import_rows(ws, parsed.rows, str(source), parsed.bad, progress=progress)


def import_rows(
    ws: StoreContext,
    rows: Sequence[MetricsRow],
    source: str = "<rows>",
    bad: Iterable[BadRow] = (),
    at: datetime | None = None,
    progress: Progress | None = None,
    validated: bool = False,
) -> ImportReport:
    """Check and import rows already read (see :mod:`curriculum_gui.core.metrics_import`), written
    ``PROGRESS_ROWS`` at a time so ``progress(rows done, rows)`` moves while the transaction runs.
    ``validated``: the values come from a package's ``Metrics`` class (a metrics_provider) and are stored
    as they are, not checked against the declared metrics."""
    problems = list(bad)
    at = at or now()
    imported = 0
    already = 0
    warnings: list[BadRow] = []
    with ws.write() as conn:
        subjects: dict[str, tuple[int, int]] = {}
        names = sorted({r.subject for r in rows})
        for start in range(0, len(names), CHUNK):
            query = sa.select(sub_t.c.subject_id, sub_t.c.id, sub_t.c.curriculum_version_id).where(
                sub_t.c.subject_id.in_(names[start : start + CHUNK])
            )
            subjects.update((sid, (pk, vid)) for sid, pk, vid in conn.execute(query))
        existing = _already_imported(conn, rows, subjects)
        first_row: dict[tuple[str, str], int] = {}
        weighed: list[tuple[int, MetricsRow, float]] = []  # the sessions' weights (``weight_g``)
        for start in range(0, len(rows), PROGRESS_ROWS):
            inserts = []
            for row in rows[start : start + PROGRESS_ROWS]:
                key = (row.subject, row.session)
                if key in first_row:
                    problems.append(BadRow(row.row, "session", f"duplicate of row {first_row[key]}"))
                    continue
                first_row[key] = row.row
                found = subjects.get(row.subject)
                if found is None:
                    problems.append(
                        BadRow(row.row, "subject", f"unknown subject {row.subject!r} (register it first)")
                    )
                    continue
                pk, version_id = found
                loaded = ws.loaded(version_id)
                if validated:  # a package's Metrics class checked them: stored as they are
                    grams, row_problems = None, []
                else:
                    grams = weights.take_weight(row, (m.name for m in loaded.curriculum.metrics))
                    row_problems = check_row(row, loaded.curriculum.metrics, loaded.record.label)
                if isinstance(grams, BadRow):
                    row_problems.append(grams)
                if row_problems:
                    problems.extend(row_problems)
                    continue
                gaps = [
                    BadRow(row.row, name, f"not measured in session {row.session}: a gap in its history")
                    for name in sorted(loaded.list_metrics)
                    if row.values.get(name) is None
                ]
                values = json.dumps(row.values, sort_keys=True, separators=(",", ":"), allow_nan=False)
                before = existing.get((pk, row.session))
                same = before is not None and before[0] == row.date and json.loads(before[1]) == row.values
                if grams is not None and (before is None or same):
                    weighed.append((pk, row, grams))
                if before is not None:
                    day = before[0]
                    if day != row.date:  # a changed date is a changed value like any other
                        problems.append(
                            BadRow(
                                row.row,
                                "date",
                                f"session already imported dated {day.isoformat()}, not "
                                f"{row.date.isoformat()} (kept as it was)",
                            )
                        )
                    elif same:
                        already += 1
                    else:
                        problems.append(
                            BadRow(row.row, "session", "already imported with other values (kept as it was)")
                        )
                    continue
                warnings.extend(gaps)
                inserts.append(
                    {
                        "subject_pk": pk,
                        "session_id": row.session,
                        "session_date": row.date,
                        "values_json": values,
                        "imported_at": at,
                    }
                )
            if inserts:
                insert_many(conn, ms_t, inserts)
                imported += len(inserts)
            if progress is not None:
                progress(min(start + PROGRESS_ROWS, len(rows)), len(rows))
        problems.extend(weights.import_weights(conn, weighed, at, ws.operator or "import"))
    problems.sort(key=lambda p: p.row)
    return ImportReport(source, imported, already, tuple(problems), tuple(warnings))


def import_session_folder(
    ws: StoreContext,
    subject: str,
    folder: str | Path,
    runner: Any,
    session: str | None = None,
    on: date | None = None,
) -> ImportReport:
    """One session of ``subject`` from its data folder, through its current stage's ``metrics_provider``
    (run by ``runner``, which must trust its module); the session id defaults to the folder's name and the
    date to today. Raises :class:`StoreError` (or the runner's error) in one line when it cannot."""
    from ..core import aind_metrics
    from ..core.python_rules import AindRuleRunner

    folder = Path(folder)
    with ws.read() as conn:
        found = subject_row(conn, subject, ws.where)
    loaded = ws.loaded(found.curriculum_version_id)
    state = json.loads(found.state_json)
    stage = loaded.curriculum.stage(state.get("stage_id") or "")
    if stage is None:
        raise StoreError(f"subject {subject!r} is on no stage (off curriculum): no metrics_provider to call")
    provider = stage.metrics_provider
    if not provider:
        raise StoreError(
            f"stage {stage.name!r} of {loaded.record.label} names no metrics_provider: import a metrics "
            "file (CSV, JSON) instead"
        )
    if not isinstance(runner, AindRuleRunner) or not runner.trust.allows(provider.rpartition(".")[0]):
        raise StoreError(aind_metrics.untrusted_provider_message(provider))
    values = aind_metrics.metrics_from_provider(runner, provider, folder)
    session_id = (session or folder.resolve().name).strip()
    if not session_id or len(session_id) > MAX_ID:
        raise StoreError(f"a session id of 1 to {MAX_ID} characters is needed (--session)")
    row = MetricsRow(1, subject, session_id, on or date.today(), values)
    return import_rows(ws, [row], str(folder), validated=True)


def _day(value: Any) -> date:
    """A session date as the driver gives it (SQLite: ISO text; PostgreSQL: a date)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _already_imported(
    conn: sa.Connection, rows: Sequence[MetricsRow], subjects: dict[str, tuple[int, int]]
) -> dict[tuple[int, str], tuple[date, str]]:
    """The dates and values of the sessions of ``rows`` already in the database, looked up by (subject,
    session id) in the unique index: the cost follows the file, not the subjects' histories."""
    keys = sorted({(subjects[r.subject][0], r.session) for r in rows if r.subject in subjects})
    found: dict[tuple[int, str], tuple[date, str]] = {}
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    for start in range(0, len(keys), LOOKUP):
        chunk = keys[start : start + LOOKUP]
        # A join with the keys as rows (a row-value IN is a full scan on SQLite), written out: compiling
        # the same with SQLAlchemy's VALUES construct costs more than the lookups.
        wanted = ", ".join([f"({mark}, {mark})"] * len(chunk))
        sql = (
            f"WITH wanted(pk, sid) AS (VALUES {wanted}) "
            f"SELECT m.subject_pk, m.session_id, m.session_date, m.values_json FROM wanted "
            f"JOIN {ms_t.name} m ON m.subject_pk = wanted.pk AND m.session_id = wanted.sid"
        )
        params = tuple(value for key in chunk for value in key)
        found.update(
            ((pk, sid), (_day(day), values)) for pk, sid, day, values in conn.exec_driver_sql(sql, params)
        )
    return found
