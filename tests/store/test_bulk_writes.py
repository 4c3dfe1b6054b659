"""``insert_many`` and ``upsert_many``: on PostgreSQL by COPY (into the table, or into a temporary table
merged in one statement). What they leave must be what SQLAlchemy's own executemany leaves, value for
value (text that COPY has to escape, bytes, dates, times, true/false, gaps), and a failure must write
nothing and raise the error SQLAlchemy raises."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from curriculum_gui.store.context import _upsert, insert_many, upsert_many

META = sa.MetaData()
ROWS_T = sa.Table(
    "bulk_rows",
    META,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("part", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("text", sa.Text),
    sa.Column("blob", sa.LargeBinary),
    sa.Column("day", sa.Date),
    sa.Column("at", sa.DateTime(timezone=True)),
    sa.Column("flag", sa.Boolean),
    sa.Column("score", sa.Float),
)
AWKWARD = ["tab\there", "line\nbreak\r\n", "back\\slash \\N \\.", '{"a": "\\u2028 é ✓"}', "", None, "'quote'"]


def _rows(version: int) -> list[dict]:
    return [
        {
            "id": i,
            "part": i % 3,
            "text": AWKWARD[i % len(AWKWARD)] if version == 1 else f"v{version} {AWKWARD[i % len(AWKWARD)]}",
            "blob": bytes(range(256))[i % 256 :] + bytes([0, 92, 9, 10]) if i % 4 else None,
            "day": date(2026, 1, 1 + i % 28),
            "at": datetime(2026, 2, 3, 4, 5, i % 60, 123456, tzinfo=UTC),
            "flag": [True, False, None][i % 3],
            "score": None if i % 5 == 0 else i / 7 + version,
        }
        for i in range(60)
    ]


@pytest.fixture
def engine(db_url: str):
    url = (
        db_url.replace("postgresql://", "postgresql+psycopg://", 1)
        if "://" in db_url
        else f"sqlite:///{db_url}"
    )
    engine = sa.create_engine(url)
    META.create_all(engine)
    yield engine
    engine.dispose()


def _read(conn: sa.Connection) -> list[tuple]:
    return [tuple(r) for r in conn.execute(sa.select(ROWS_T).order_by(ROWS_T.c.id, ROWS_T.c.part))]


def test_an_insert_many_leaves_what_sqlalchemy_leaves(engine) -> None:
    with engine.begin() as conn:
        assert insert_many(conn, ROWS_T, _rows(1)) == 60
        ours = _read(conn)
        conn.execute(sa.delete(ROWS_T))
        conn.execute(sa.insert(ROWS_T), _rows(1))
        theirs = _read(conn)
    assert ours == theirs
    assert [r[2] for r in ours[: len(AWKWARD)]] == AWKWARD  # escapes, gaps and empty text survive
    assert ours[1][3] == bytes(range(1, 256)) + bytes([0, 92, 9, 10])


def test_an_upsert_many_replaces_the_rows_there_and_adds_the_others(engine) -> None:
    keys = ("id", "part")
    with engine.begin() as conn:
        insert_many(conn, ROWS_T, _rows(1)[:40])
        upsert_many(conn, ROWS_T, keys, _rows(2)[20:])  # 20 replaced, 20 added
        upsert_many(conn, ROWS_T, keys, _rows(3)[50:])  # twice in one transaction: the same again
        ours = _read(conn)
        conn.execute(sa.delete(ROWS_T))
        conn.execute(sa.insert(ROWS_T), _rows(1)[:40])
        conn.execute(_upsert(conn, ROWS_T, keys), _rows(2)[20:])
        conn.execute(_upsert(conn, ROWS_T, keys), _rows(3)[50:])
        theirs = _read(conn)
    assert ours == theirs
    assert [r[2].split(" ")[0] for r in ours if r[2]][:3] == ["tab\there", "line\nbreak\r\n", "back\\slash"]
    assert {r[2].split(" ")[0] for r in ours[20:50] if r[2]} == {"v2"}
    assert {r[2].split(" ")[0] for r in ours[50:] if r[2]} == {"v3"}


def test_a_duplicate_raises_the_integrity_error_and_nothing_is_written(engine) -> None:
    with engine.begin() as conn:
        insert_many(conn, ROWS_T, _rows(1)[:5])
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        insert_many(conn, ROWS_T, _rows(1)[3:10])  # 3 and 4 are there
    with engine.begin() as conn:
        assert [r[0] for r in _read(conn)] == [0, 1, 2, 3, 4]
