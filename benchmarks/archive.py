"""Build a large archive quickly, for benchmarks: many subjects with a long history of evaluated sessions.

Not day by day through the store (that would take hours at 10,000 x 500): a few learning *profiles* are
run through the real trainer once (``core.histories.run``, as an evaluation does, and the event text the
store writes for an apply), then every subject takes one profile and its rows are written in bulk (SQLite:
``executemany`` on the driver; PostgreSQL: ``COPY``): the sessions (evaluated), one ``applied`` event per
session (one batch per day), the subject's state after its last session and its running history. The
result is what the store would hold had it applied every day.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from curriculum_gui.resources import example

from curriculum_gui.core import histories as core_histories
from curriculum_gui.core import native_format
from curriculum_gui.core.metrics_import import MetricsRow, check_row
from curriculum_gui.core.model import Curriculum
from curriculum_gui.core.trainer import SubjectState, Trainer
from curriculum_gui.store import Suggestion, Workspace, evaluation, histories
from curriculum_gui.store.records import position_summary, summary_text
from curriculum_gui.store.schema import events as ev_t
from curriculum_gui.store.schema import metrics_sessions as ms_t
from curriculum_gui.store.schema import subjects as sub_t

START = date(2024, 1, 1)
EV_COLUMNS = ("id", "subject_pk", "curriculum_version_id", "kind", "at", "operator", "reason", "batch")
MS_COLUMNS = ("id", "subject_pk", "session_id", "session_date", "values_json", "imported_at")
HEADER = "subject,session,date,accuracy,trials,bias,weight_fraction,licks_per_reward\n"
CHUNK = 20_000


def curriculum() -> Curriculum:
    return native_format.loads(example().read_text(encoding="utf-8"))


def session_values(rng: random.Random, speed: float, n: int, ceiling: float = 0.6) -> dict[str, Any]:
    """The demo's learning curve (accuracy and trials rise, bias and licks per reward fall, with noise),
    up to a ``ceiling``: below 0.66 a mouse never graduates (its trials stay under 300), so it stays in
    stages whose rules read its histories, the costly case."""
    skill = ceiling * (1 - math.exp(-speed * n / 14))
    return {
        "accuracy": round(min(0.98, max(0.3, 0.5 + 0.42 * skill + rng.gauss(0, 0.04))), 3),
        "trials": max(20, round(60 + 360 * skill + rng.gauss(0, 25))),
        "bias": round(min(1.0, max(0.0, 0.4 * (1 - skill) + rng.gauss(0, 0.05))), 3),
        "weight_fraction": round(min(1.0, max(0.7, 0.88 + rng.gauss(0, 0.03))), 3),
        "licks_per_reward": round(max(1.0, 11 - 8 * skill + rng.gauss(0, 0.6)), 2),
    }


def csv_row(subject: str, session: str, day: date, values: dict[str, Any]) -> str:
    v = values
    return (
        f"{subject},{session},{day.isoformat()},{v['accuracy']},{v['trials']},{v['bias']},"
        f"{v['weight_fraction']},{v['licks_per_reward']}\n"
    )


@dataclass
class Profile:
    """One mouse's ``sessions`` run through the trainer: per session its values (as imported), the
    ``applied`` event text, and the state after it; ``series``: the list metrics' histories."""

    values: list[dict[str, Any]]
    values_json: list[str]
    events: list[str]
    summaries: list[str]
    states: list[SubjectState]
    series: dict[str, list[Any]]


STAGE = "Two-choice, high contrast"
"""Where the mice start: from there on every stage's rules read the histories (the costly case), so the
first day and the 500th do the same rule work and only the history differs."""


def profiles(version_id: int, count: int, sessions: int, seed: int = 1) -> list[Profile]:
    cur = curriculum()
    trainer = Trainer(cur)
    names = sorted(m.name for m in cur.metrics if m.type.value == "number_list")
    out = []
    for p in range(count):
        rng = random.Random(seed + p)
        speed = 0.3 + 1.1 * p / max(count - 1, 1)
        state = trainer.enroll(trainer.stage_id_for(STAGE))
        series: dict[str, list[Any]] = {name: [] for name in names}
        profile = Profile([], [], [], [], [], series)
        for i in range(sessions):
            values = session_values(rng, speed, i + 1, 0.45 + 0.2 * p / max(count - 1, 1))
            row = MetricsRow(0, "", "", START, {k: str(v) for k, v in values.items()})  # as from a CSV file
            assert not check_row(row, cur.metrics)
            text = json.dumps(row.values, sort_keys=True, separators=(",", ":"), allow_nan=False)
            sid = f"d{i + 1:04d}"
            run = core_histories.run(
                trainer, state, series, [core_histories.Session(sid, i, json.loads(text))]
            )
            assert run.error is None, run.error
            suggestion = Suggestion(
                subject="",
                subject_pk=0,
                row_version=0,
                curriculum_version_id=version_id,
                current=state,
                suggested=run.state,
                current_stage=trainer.stage_name(state.stage_id),
                suggested_stage=trainer.stage_name(run.state.stage_id),
                current_policies=tuple(trainer.policy_names(state)),
                suggested_policies=tuple(trainer.policy_names(run.state)),
                parameter_changes={
                    k: (state.parameters.get(k), run.state.parameters.get(k))
                    for k in sorted({**state.parameters, **run.state.parameters})
                    if state.parameters.get(k) != run.state.parameters.get(k)
                },
                sessions=(sid,),
                session_pks=(i,),
                evaluations=tuple(run.evaluations),
            )
            profile.values.append(values)
            profile.values_json.append(text)
            profile.events.append(evaluation._event_text(suggestion))
            profile.summaries.append(
                summary_text(position_summary("applied", json.loads(profile.events[-1])))
            )
            profile.states.append(run.state)
            state = run.state
        out.append(profile)
    return out


def _at(day: int) -> datetime:
    return datetime.combine(START + timedelta(days=day), time(17, 0), UTC)


def build(
    ws: Workspace, subjects: int, days: int, count: int = 10, extra_days: int = 0
) -> tuple[list[str], list[Profile], int]:
    """Publish the example, register ``subjects`` mice and give each ``days`` evaluated sessions (a
    profile each, ``extra_days`` more of it generated for later imports). Returns the ids, the profiles
    and the version id."""
    version = ws.publish(curriculum(), operator="bench")
    ids = [f"B{i:05d}" for i in range(subjects)]
    for start in range(0, subjects, 5000):
        ws.register(ids[start : start + 5000], version.id, start_stage=STAGE, operator="bench")
    made = profiles(version.id, count, days + extra_days)
    if not days:
        return ids, made, version.id
    postgres = ws.engine.dialect.name == "postgresql"
    with ws.read() as conn:
        pks = [pk for (pk,) in conn.execute(sa.select(sub_t.c.id).order_by(sub_t.c.subject_id))]
        ev_base = (conn.execute(sa.select(sa.func.max(ev_t.c.id))).scalar() or 0) + 1
        ms_base = (conn.execute(sa.select(sa.func.max(ms_t.c.id))).scalar() or 0) + 1
    at = [_at(d) for d in range(days)]
    dates = [START + timedelta(days=d) for d in range(days)]
    sids = [f"d{d + 1:04d}" for d in range(days)]
    batches = [f"day{d + 1:04d}" for d in range(days)]
    # Day by day, as a lab's archive grows: one subject's rows are spread over the whole table. A few
    # days per transaction (a single one would hold the whole archive in SQLite's write-ahead log).
    step = max(1, 200_000 // max(len(pks), 1))
    for first in range(0, days, step):
        span = range(first, min(first + step, days))

        def sessions(span: range = span) -> Any:
            for d in span:
                for j, pk in enumerate(pks):
                    p = made[j % count]
                    n = d * len(pks) + j
                    yield (ms_base + n, pk, sids[d], dates[d], p.values_json[d], at[d], ev_base + n)

        def events(span: range = span) -> Any:
            for d in span:
                for j, pk in enumerate(pks):
                    p = made[j % count]
                    n = d * len(pks) + j
                    event = (ev_base + n, pk, version.id, "applied", at[d], "bench", None, batches[d])
                    yield (*event, p.events[d], p.summaries[d])

        with ws.write() as conn:
            _bulk(conn, "events", (*EV_COLUMNS, "data_json", "position_summary"), events(), postgres)
            _bulk(conn, "metrics_sessions", (*MS_COLUMNS, "consumed_by"), sessions(), postgres)
    with ws.write() as conn:
        if postgres:
            for table in ("events", "metrics_sessions"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
        conn.execute(
            sa.update(sub_t)
            .where(sub_t.c.id == sa.bindparam("b_pk"))
            .values(
                state_json=sa.bindparam("b_state"),
                stage_id=sa.bindparam("b_stage"),
                last_change="automatic",
                row_version=1 + days,
            ),
            [
                {
                    "b_pk": pk,
                    "b_state": evaluation.state_text(made[j % count].states[days - 1]),
                    "b_stage": made[j % count].states[days - 1].stage_id,
                }
                for j, pk in enumerate(pks)
            ],
        )
        packed = [histories.Packed.of({name: h[:days] for name, h in p.series.items()}) for p in made]
        running = {
            pk: histories.Running(
                1 + days, days, (dates[-1], ms_base + (days - 1) * len(pks) + j), packed[j % count]
            )
            for j, pk in enumerate(pks)
        }
        histories.save(conn, running)
    with ws.engine.connect() as conn:  # statistics, as a database in use has them (autovacuum, or
        conn.exec_driver_sql("ANALYZE")  # SQLite's optimize): a fresh bulk load has none
        conn.commit()
    return ids, made, version.id


def _bulk(conn: sa.Connection, table: str, columns: tuple[str, ...], rows: Any, postgres: bool) -> None:
    raw = conn.connection.dbapi_connection
    if postgres:
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    cursor = raw.cursor()
    chunk = []
    for row in rows:
        chunk.append(tuple(_sqlite(v) for v in row))
        if len(chunk) >= CHUNK:
            cursor.executemany(sql, chunk)
            chunk = []
    if chunk:
        cursor.executemany(sql, chunk)


def _sqlite(value: Any) -> Any:
    """What SQLAlchemy writes on SQLite: dates as ISO text, datetimes as naive UTC text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def day_file(path: Any, ids: list[str], made: list[Profile], day: int, count: int = 10) -> None:
    """The metrics file of day ``day`` (0-based): one session per subject, from its profile."""
    when = START + timedelta(days=day)
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEADER)
        for j, subject in enumerate(ids):
            f.write(csv_row(subject, f"d{day + 1:04d}", when, made[j % count].values[day]))
