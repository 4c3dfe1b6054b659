"""``execute_many``: on SQLite the driver's executemany with the statement compiled once. What it writes
must be what SQLAlchemy's own executemany writes, value for value (dates, times, true/false, gaps, the
statement's own values), with the same row counts and the same errors."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from curriculum_gui.store.context import execute_many

META = sa.MetaData()
THINGS = sa.Table(
    "things",
    META,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50), nullable=False, unique=True),
    sa.Column("day", sa.Date),
    sa.Column("at", sa.DateTime),
    sa.Column("flag", sa.Boolean),
    sa.Column("score", sa.Float),
    sa.Column("version", sa.Integer, nullable=False),
)
ROWS = [
    {
        "name": f"n{i}",
        "day": date(2026, 1, 1 + i % 28),
        "at": datetime(2026, 2, 3, 4, 5, i % 60, 123456, tzinfo=UTC if i % 2 else None),
        "flag": [True, False, None][i % 3],
        "score": None if i % 5 == 0 else i / 7,
        "version": 1,
    }
    for i in range(120)
]


def _read(conn: sa.Connection) -> list[tuple]:
    return [tuple(r) for r in conn.execute(sa.select(THINGS).order_by(THINGS.c.name))]


@pytest.fixture
def engine(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    META.create_all(engine)
    yield engine
    engine.dispose()


def _both(engine: sa.Engine, write) -> tuple[list[tuple], list[tuple]]:
    """What ``write(conn, run)`` leaves with ``run`` = execute_many, then with SQLAlchemy's executemany."""
    found = []
    for run in (execute_many, lambda conn, statement, rows: conn.execute(statement, rows).rowcount):
        with engine.begin() as conn:
            conn.execute(sa.delete(THINGS))
            write(conn, run)
            found.append(_read(conn))
    return found[0], found[1]


def test_an_insert_writes_what_sqlalchemy_writes(engine) -> None:
    ours, theirs = _both(engine, lambda conn, run: run(conn, sa.insert(THINGS), ROWS))
    assert len(ours) == len(ROWS)
    assert ours == theirs
    assert {r[4] for r in ours} == {True, False, None}  # true/false and gaps survive


def test_a_guarded_update_counts_only_the_rows_it_changed_and_sets_the_statements_own_values(engine) -> None:
    at = datetime(2026, 12, 5, 6, 7, 8)
    update = (
        sa.update(THINGS)
        .where(THINGS.c.name == sa.bindparam("b_name"), THINGS.c.version == sa.bindparam("b_version"))
        .values(score=sa.bindparam("b_score"), at=at, flag=True, version=THINGS.c.version + 1)
    )
    counts = []

    def write(conn, run):
        run(conn, sa.insert(THINGS), ROWS)
        # every other row names a version it does not have: not changed, not counted
        rows = [{"b_name": f"n{i}", "b_version": 1 + i % 2, "b_score": float(i)} for i in range(len(ROWS))]
        counts.append(run(conn, update, rows))

    ours, theirs = _both(engine, write)
    assert counts == [len(ROWS) // 2, len(ROWS) // 2]
    assert ours == theirs
    changed = [r for r in ours if r[6] == 2]
    assert len(changed) == len(ROWS) // 2 and all(r[3] == at and r[4] is True for r in changed)


def test_a_duplicate_raises_the_integrity_error_sqlalchemy_raises_and_the_transaction_writes_nothing(
    engine,
) -> None:
    with (
        pytest.raises(sa.exc.IntegrityError, match=r"UNIQUE constraint failed: things\.name"),
        engine.begin() as conn,
    ):
        execute_many(conn, sa.insert(THINGS), [*ROWS, ROWS[3]])
    with engine.connect() as conn:
        assert _read(conn) == []
