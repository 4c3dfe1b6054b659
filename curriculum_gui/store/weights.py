"""Body weights: entered at the rig or imported with a session (``weight_g``), a baseline per subject (set
at registration, changed with a reason), the lab's threshold, and the ``weight_fraction`` the rules read.

A session's ``weight_fraction`` is computed when the trainer reads the session (never stored, so a
corrected baseline or weight counts from then on): the weight recorded for that session, else the latest
weight of that day, over the subject's baseline. A value the metrics file gave itself is kept as given.
A weight entered by mistake is voided (kept, with who voided it), never deleted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..core.metrics_import import BadRow
from ..core.weights import (
    DEFAULT_THRESHOLD,
    WEIGHT_COLUMN,
    WEIGHT_FRACTION,
    check_grams,
    check_threshold,
    is_promotion,
    weight_fraction,
)
from .context import StoreContext, add_event, dumps, now, require_reason, subject_row, utc
from .errors import NotFound, StoreError
from .records import BASELINE, SubjectRow, Suggestion, WeightRecord, WeightStatus
from .schema import lab_settings as set_t
from .schema import subjects as sub_t
from .schema import weights as w_t
from .subjects import check_version, list_subjects, stale

THRESHOLD_KEY = "weight_threshold"
SOURCES = ("rig", "import", "cli")


def _grams(value: Any, what: str = "a weight") -> float:
    try:
        return check_grams(value, what)
    except ValueError as exc:
        raise StoreError(str(exc)) from None


def record_weight(
    ws: StoreContext,
    subject: str,
    grams: Any,
    day: date | None = None,
    session: str | None = None,
    source: str = "rig",
    operator: str | None = None,
) -> WeightRecord:
    """Record a weighing (default: today). The latest weighing of a day counts for that day."""
    value = _grams(grams, f"the weight of {subject!r}")
    day = day or date.today()
    at = now()
    who = ws.who(operator)
    with ws.write() as conn:
        pk = subject_row(conn, subject, ws.where).id
        weight_id = conn.execute(
            sa.insert(w_t)
            .values(
                subject_pk=pk,
                weighed_on=day,
                grams=value,
                session_id=session,
                source=source,
                recorded_at=at,
                operator=who,
            )
            .returning(w_t.c.id)
        ).scalar_one()
    return WeightRecord(weight_id, subject, day, value, session, source, at, who)


def void_weight(ws: StoreContext, weight_id: int, operator: str | None = None) -> None:
    """Withdraw a weighing entered by mistake (it stays in the table, marked with who voided it)."""
    who = ws.who(operator)
    with ws.write() as conn:
        done = conn.execute(
            sa.update(w_t)
            .where(w_t.c.id == weight_id, w_t.c.voided_at.is_(None))
            .values(voided_at=now(), voided_by=who)
        )
        if done.rowcount != 1:
            raise NotFound(f"no weight #{weight_id} to withdraw in {ws.where} (or it was withdrawn already)")


def weights(ws: StoreContext, subject: str, include_voided: bool = False) -> list[WeightRecord]:
    """The subject's weighings, oldest first."""
    query = sa.select(w_t).where(w_t.c.subject_pk == sa.bindparam("pk")).order_by(w_t.c.weighed_on, w_t.c.id)
    if not include_voided:
        query = query.where(w_t.c.voided_at.is_(None))
    with ws.read() as conn:
        pk = subject_row(conn, subject, ws.where).id
        rows = conn.execute(query, {"pk": pk}).all()
    return [
        WeightRecord(
            r.id,
            subject,
            _day(r.weighed_on),
            r.grams,
            r.session_id,
            r.source,
            utc(r.recorded_at),
            r.operator,
            r.voided_at is not None,
        )
        for r in rows
    ]


def set_baseline(
    ws: StoreContext,
    subject: str,
    grams: Any,
    reason: str | None,
    operator: str | None = None,
    expected_version: int | None = None,
) -> SubjectRow:
    """Set or change the baseline weight: a ``baseline`` event (before, after, why) and a new row version
    (a suggestion made with the old baseline is stale)."""
    value = _grams(grams, f"the baseline weight of {subject!r}")
    who = ws.who(operator)
    at = now()
    with ws.write() as conn:
        row = subject_row(conn, subject, ws.where)
        check_version(row, expected_version, ws.where)
        before = row.baseline_weight_g
        if before is not None:
            why = require_reason(reason, "changing a baseline weight")
        else:
            why = (reason or "").strip() or None
        done = conn.execute(
            sa.update(sub_t)
            .where(sub_t.c.id == row.id, sub_t.c.row_version == row.row_version)
            .values(baseline_weight_g=value, row_version=sub_t.c.row_version + 1, updated_at=at)
        )
        if done.rowcount != 1:
            raise stale(subject, row.row_version, row.row_version + 1, ws.where)
        data = {"before_g": before, "after_g": value}
        add_event(conn, row.id, BASELINE, who, why, data, at, version_id=row.curriculum_version_id)
    return list_subjects(ws, [subject])[0]


# --- the lab's threshold -------------------------------------------------------------------------


def threshold(ws: StoreContext, conn: Connection | None = None) -> float:
    """The lab's weight threshold (fraction of baseline; default 0.8)."""
    query = sa.select(set_t.c.value_json).where(set_t.c.key == THRESHOLD_KEY)
    if conn is None:
        with ws.read() as c:
            text = c.execute(query).scalar_one_or_none()
    else:
        text = conn.execute(query).scalar_one_or_none()
    return float(json.loads(text)) if text is not None else DEFAULT_THRESHOLD


def set_threshold(ws: StoreContext, value: Any, operator: str | None = None) -> float:
    try:
        value = check_threshold(value)
    except ValueError as exc:
        raise StoreError(str(exc)) from None
    who = ws.who(operator)
    at = now()
    with ws.write() as conn:
        values = {"value_json": dumps(value), "updated_at": at, "updated_by": who}
        done = conn.execute(sa.update(set_t).where(set_t.c.key == THRESHOLD_KEY).values(**values))
        if done.rowcount == 0:
            conn.execute(sa.insert(set_t).values(key=THRESHOLD_KEY, **values))
    return value


# --- what the trainer and the screens read -------------------------------------------------------


def weight_status(ws: StoreContext, subjects: Sequence[str] | None = None) -> dict[str, WeightStatus]:
    """Each subject's latest weight (any day) against its baseline and the threshold, in one query."""
    latest = (
        sa.select(
            w_t.c.subject_pk,
            w_t.c.grams,
            w_t.c.weighed_on,
            sa.func.row_number()
            .over(partition_by=w_t.c.subject_pk, order_by=(w_t.c.weighed_on.desc(), w_t.c.id.desc()))
            .label("n"),
        )
        .where(w_t.c.voided_at.is_(None))
        .subquery()
    )
    query = sa.select(
        sub_t.c.subject_id, sub_t.c.baseline_weight_g, latest.c.grams, latest.c.weighed_on
    ).outerjoin(latest, sa.and_(latest.c.subject_pk == sub_t.c.id, latest.c.n == 1))
    if subjects is not None:
        query = query.where(sub_t.c.subject_id.in_(list(subjects)))
    with ws.read() as conn:
        limit = threshold(ws, conn)
        rows = conn.execute(query).all()
    return {
        sid: WeightStatus(sid, base, grams, _day(day) if day else None, weight_fraction(grams, base), limit)
        for sid, base, grams, day in rows
    }


def session_fractions(conn: Connection, sessions: Iterable[Any]) -> dict[int, float]:
    """``weight_fraction`` by session row id, for session rows (``id``, ``subject_pk``, ``session_id``
    and ``session_date``): the weight recorded for that session, else the day's latest, over the baseline."""
    rows = list(sessions)
    pks = sorted({r.subject_pk for r in rows})
    if not pks:
        return {}
    base: dict[int, float | None] = {}
    by_session: dict[tuple[int, str], float] = {}
    by_day: dict[tuple[int, date], float] = {}
    for start in range(0, len(pks), 5000):
        chunk = pks[start : start + 5000]
        base.update(
            conn.execute(sa.select(sub_t.c.id, sub_t.c.baseline_weight_g).where(sub_t.c.id.in_(chunk))).all()
        )
        query = (
            sa.select(w_t.c.subject_pk, w_t.c.session_id, w_t.c.weighed_on, w_t.c.grams)
            .where(w_t.c.subject_pk.in_(chunk), w_t.c.voided_at.is_(None))
            .order_by(w_t.c.id)
        )
        for pk, session, day, grams in conn.execute(query):
            if session is not None:
                by_session[(pk, session)] = grams
            by_day[(pk, _day(day))] = grams  # in id order: the latest of the day stays
    out: dict[int, float] = {}
    weighed = {pk for pk, _ in by_day}  # every weight has a day: the other subjects have no fraction
    for r in rows:
        if r.subject_pk not in weighed:
            continue
        baseline = base.get(r.subject_pk)
        grams = by_session.get((r.subject_pk, r.session_id), by_day.get((r.subject_pk, _day(r.session_date))))
        fraction = weight_fraction(grams, baseline)
        if fraction is not None:
            out[r.id] = fraction
    return out


def take_weight(row: Any, declared: Iterable[str]) -> float | BadRow | None:
    """Take a metrics row's ``weight_g`` cell out of its values (unless the curriculum declares a metric
    of that name): the grams, None when absent or empty, or the problem as a bad row."""
    if WEIGHT_COLUMN not in row.values or WEIGHT_COLUMN in declared:
        return None
    raw = row.values.pop(WEIGHT_COLUMN)
    if raw is None or raw == "":
        return None
    try:
        return check_grams(raw, "the weight")
    except ValueError as exc:
        return BadRow(row.row, WEIGHT_COLUMN, str(exc))


def import_weights(
    conn: Connection, weighed: Sequence[tuple[int, Any, float]], at: datetime, operator: str
) -> list[BadRow]:
    """Record the weights that came with imported sessions: ``(subject pk, metrics row, grams)``. A session
    whose weight was imported before is left alone when the grams are the same, reported otherwise."""
    if not weighed:
        return []
    known: dict[tuple[int, str], float] = {}
    pks = sorted({pk for pk, _, _ in weighed})
    for start in range(0, len(pks), 5000):
        query = sa.select(w_t.c.subject_pk, w_t.c.session_id, w_t.c.grams).where(
            w_t.c.subject_pk.in_(pks[start : start + 5000]),
            w_t.c.source == "import",
            w_t.c.voided_at.is_(None),
        )
        known.update(((pk, session), grams) for pk, session, grams in conn.execute(query))
    problems, inserts = [], []
    for pk, row, grams in weighed:
        before = known.get((pk, row.session))
        if before is not None:
            if before != grams:
                problems.append(
                    BadRow(row.row, WEIGHT_COLUMN, f"already imported as {before:g} g (kept as it was)")
                )
            continue
        known[(pk, row.session)] = grams
        inserts.append(
            {
                "subject_pk": pk,
                "weighed_on": row.date,
                "grams": grams,
                "session_id": row.session,
                "source": "import",
                "recorded_at": at,
                "operator": operator,
            }
        )
    if inserts:
        conn.execute(sa.insert(w_t), inserts)
    return problems


def with_fraction(values: dict[str, Any], fraction: float | None) -> dict[str, Any]:
    """A session's values with the computed ``weight_fraction`` (unless the session gave its own)."""
    if fraction is None or WEIGHT_FRACTION in values:
        return values
    return {**values, WEIGHT_FRACTION: fraction}


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def held_back(ws: StoreContext, suggestions: Sequence[Suggestion]) -> dict[str, str]:
    """The suggested promotions of underweight subjects (latest weight under the lab's threshold), by
    subject, with why: they are not applied unless a person accepts them anyway."""
    promotions = [
        s
        for s in suggestions
        if s.applicable
        and s.stage_changed
        and is_promotion(ws.curriculum(s.curriculum_version_id), s.current.stage_id, s.suggested.stage_id)
    ]
    if not promotions:
        return {}
    status = weight_status(ws, [s.subject for s in promotions])
    out = {}
    for s in promotions:
        w = status.get(s.subject)
        if w is not None and w.underweight and w.fraction is not None:
            out[s.subject] = (
                f"underweight: {w.fraction:.0%} of baseline (threshold {w.threshold:.0%}); promotion "
                f"{s.current_stage} → {s.suggested_stage} left for a person to accept"
            )
    return out
