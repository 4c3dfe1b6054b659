"""``insert_many`` and ``upsert_many``: on PostgreSQL by COPY (into the table, or into a temporary table
merged in one statement). What they leave must be what SQLAlchemy's own executemany leaves, value for
value (text that COPY has to escape, bytes, dates, times, true/false, gaps), and a failure must write
nothing and raise the error SQLAlchemy raises."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from curriculum_gui.store.context import _upsert, execute_many, insert_many, update_many, upsert_many

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


def test_an_update_many_changes_and_counts_what_one_update_per_row_would(engine) -> None:
    """Guarded like an apply: a row names the version it read; one whose version moved is left alone and
    not counted. Twice in one transaction (the temporary table is emptied in between)."""
    types = {"b_id": sa.Integer(), "b_part": sa.Integer(), "b_text": sa.Text(), "b_score": sa.Float()}

    def build(value):
        return (
            sa.update(ROWS_T)
            .where(ROWS_T.c.id == value("b_id"), ROWS_T.c.part == value("b_part"))
            .values(text=value("b_text"), score=ROWS_T.c.score + value("b_score"), flag=True)
        )

    def rows(tag: str, ids: range) -> list[dict]:
        # every third row names a part the row does not have: not changed, not counted
        return [
            {
                "b_id": i,
                "b_part": i % 3 + (1 if i % 3 == 2 and i % 2 else 0),
                "b_text": f"{tag}\t{i}",
                "b_score": 1.5,
            }
            for i in ids
        ]

    found = []
    for run in (
        lambda conn, r: update_many(conn, build, types, r),
        lambda conn, r: execute_many(conn, build(sa.bindparam), r),
    ):
        with engine.begin() as conn:
            conn.execute(sa.delete(ROWS_T))
            insert_many(conn, ROWS_T, _rows(1))
            counts = [run(conn, rows("a", range(0, 40))), run(conn, rows("b", range(30, 60)))]
            found.append((counts, _read(conn)))
    assert found[0] == found[1]
    counts, table = found[0]
    assert 0 < counts[0] < 40 and 0 < counts[1] < 30  # some rows were guarded off
    assert {r[2].split("\t")[0] for r in table[30:] if r[6] is True} == {"b"}
