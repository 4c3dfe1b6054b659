"""How the database finds the rows of the day's hot statements, whatever its statistics say: plans, not
times (those are in benchmarks/)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from curriculum_gui.store import Workspace
from curriculum_gui.store.demo import create_demo
from curriculum_gui.store.schema import metrics_sessions as ms_t
from curriculum_gui.store.schema import pending_session


def test_a_session_is_consumed_by_its_id_even_when_the_statistics_say_none_is_pending(db_url: str) -> None:
    """Statistics gathered when every session had been evaluated, then a day's sessions imported: the
    update that marks one consumed must still find it by its id. (Written as ``consumed_by IS NULL``,
    PostgreSQL walked every pending entry of ix_sessions_consumed for each row: 6 s for 10,000.)"""
    with Workspace.open(db_url, create=True) as ws:
        create_demo(ws, today=date(2026, 11, 20))
        ws.apply(ws.evaluate())
        postgres = ws.engine.dialect.name == "postgresql"
        with ws.write() as conn:
            conn.exec_driver_sql("ANALYZE")
            assert conn.execute(sa.select(sa.func.count()).where(ms_t.c.consumed_by.is_(None))).scalar() == 0
        update = (
            sa.update(ms_t).where(pending_session("b_session")).values(consumed_by=sa.bindparam("b_event"))
        )
        with ws.read() as conn:
            compiled = update.compile(dialect=conn.dialect)
            sql = str(compiled)
            params = compiled.construct_params({"b_session": 1, "b_event": 1})
            if postgres:
                plan = " ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql, params))
                assert "metrics_sessions_pkey" in plan, plan
            else:
                args = tuple(params[name] for name in compiled.positiontup or ())
                plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, args))
                assert "INTEGER PRIMARY KEY" in plan, plan
