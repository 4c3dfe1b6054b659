"""Two rigs on one database, as real processes on both backends: the later writer gets a conflict."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from curriculum_gui.store import Workspace
from curriculum_gui.store.engine import create_engine, resolve_url

from .conftest import session_csv

REPO = Path(__file__).resolve().parents[2]


def _worker(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store.workers", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _cohort(ws: Workspace, version_id: int, tmp_path: Path, n: int) -> list[str]:
    ids = [f"S{i:05d}" for i in range(n)]
    ws.register(ids, version_id, operator="setup")
    rows = [(s, "day1", "2025-03-03", 0.7, 250, 0.1, 0.9, 5) for s in ids]
    report = ws.import_metrics(session_csv(tmp_path / "m.csv", rows))
    assert report.imported == n and report.ok
    return ids


@pytest.mark.parametrize("mode", ["apply", "override"])
def test_two_writers_one_wins_the_other_gets_a_conflict(
    ws: Workspace, version, db_url: str, tmp_path: Path, mode: str
) -> None:
    _cohort(ws, version.id, tmp_path, 1)
    sync = tmp_path / "sync"
    sync.mkdir()
    procs = [_worker("race", db_url, "S00000", str(sync), name, mode) for name in ("rig-a", "rig-b")]
    results = [p.communicate(timeout=90) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 3], results
    loser = next(out for (out, _), p in zip(results, procs, strict=True) if p.returncode == 3)
    assert "changed by someone else" in loser
    winner = next(name for name, p in zip(("rig-a", "rig-b"), procs, strict=True) if p.returncode == 0)

    history = ws.history("S00000")
    kind = "applied" if mode == "apply" else "override"
    written = [e for e in history if e.kind == kind]
    assert len(written) == 1 and written[0].operator == winner
    row = ws.subject("S00000")
    assert row.row_version == 2  # enrolled (1), then exactly one write
    if mode == "apply":
        assert row.sessions_total == 1 and row.pending_sessions == 0
    else:
        assert row.stage == "Warm-up: one side" and written[0].reason == f"moved by {winner}"


@pytest.mark.parametrize("when", ["mid-batch", "any-time"])
def test_sigkill_while_applying_leaves_all_or_nothing(
    ws: Workspace, version, db_url: str, tmp_path: Path, when: str
) -> None:
    n = 2500  # three chunks: the stalled worker has written one of them, uncommitted
    ids = _cohort(ws, version.id, tmp_path, n)
    before = {r.subject: r.row_version for r in ws.subjects()}
    proc = _worker("apply", db_url, *(["--stall"] if when == "mid-batch" else []))
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith("evaluated"), first + proc.stderr.read()
    if when == "mid-batch":
        line = proc.stdout.readline()
        assert line.split()[:2] == ["progress", "1000"], line
    else:
        time.sleep(0.05 + (os.getpid() % 7) / 20)
    os.kill(proc.pid, signal.SIGKILL)
    rest, _ = proc.communicate(timeout=30)
    # "any-time" may land after the commit, even after the worker exited: then it said so.
    assert proc.returncode == -signal.SIGKILL or (when == "any-time" and "committed" in rest)

    engine = create_engine(resolve_url(db_url))
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            applied = conn.execute(sa.text("SELECT count(*) FROM events WHERE kind = 'applied'")).scalar_one()
            consumed = conn.execute(
                sa.text("SELECT count(*) FROM metrics_sessions WHERE consumed_by IS NOT NULL")
            ).scalar_one()
    finally:
        engine.dispose()
    rows = ws.subjects()
    moved = sum(1 for r in rows if r.row_version != before[r.subject])
    if when == "mid-batch":
        assert (applied, consumed, moved) == (0, 0, 0)
    else:
        assert (applied, consumed, moved) in {(0, 0, 0), (n, n, n)}
    # The database still works: the batch can be applied now, once.
    result = ws.apply(ws.evaluate())
    assert result.applied == (n if applied == 0 else 0)
    assert all(r.sessions_total == 1 for r in rows if r.subject in set(ids)) or applied == 0
    assert json.dumps(ws.next_session(ids[0]))
