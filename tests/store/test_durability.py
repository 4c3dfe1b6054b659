"""Every committed change is in the SQLite file itself before it is reported done, and nothing of one file
is ever applied to another file put at its path: a file moved away keeps every change, a file put in
its place (a backup restored) is left intact, a move during a write is reported as what it is."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from curriculum_gui.core.model import Curriculum
from curriculum_gui.store import DatabaseUnavailable, Workspace
from curriculum_gui.store.errors import DatabaseMoved

from .conftest import session_csv

N = 200


def applied_events(path: Path) -> int:
    """Applied events in ``path`` read alone: a copy of the file without anything that sits beside it."""
    alone = path.parent / "alone" / "copy.sqlite3"
    alone.parent.mkdir(exist_ok=True)
    shutil.copy(path, alone)
    raw = sqlite3.connect(alone)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return raw.execute("SELECT count(*) FROM events WHERE kind = 'applied'").fetchone()[0]
    finally:
        raw.close()
        shutil.rmtree(alone.parent)


def cohort(ws: Workspace, curriculum: Curriculum, tmp_path: Path, n: int = N) -> None:
    version = ws.publish(curriculum, operator="t")
    ids = [f"S{i:03d}" for i in range(n)]
    ws.register(ids, version.id, operator="t")
    ws.import_metrics(
        session_csv(tmp_path / "m.csv", [(s, "d1", "2025-03-03", 0.7, 250, 0.1, 0.9, 5) for s in ids])
    )


def test_a_commit_is_in_the_file_itself(tmp_path: Path, curriculum: Curriculum) -> None:
    path = tmp_path / "lab.sqlite3"
    with Workspace.open(path, create=True) as ws:
        cohort(ws, curriculum, tmp_path)
        ws.apply(ws.evaluate(), operator="t")
        assert applied_events(path) == N  # while still open: nothing waits beside the file
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("lab")) == ["lab.sqlite3"]


def test_a_file_moved_away_while_open_keeps_every_change(tmp_path: Path, curriculum: Curriculum) -> None:
    path = tmp_path / "lab.sqlite3"
    moved = tmp_path / "moved.sqlite3"
    other = tmp_path / "other.sqlite3"
    with Workspace.open(other, create=True) as elsewhere:
        elsewhere.register(["Z"], elsewhere.publish(curriculum, operator="t").id)
    with Workspace.open(path, create=True) as ws:
        cohort(ws, curriculum, tmp_path)
        ws.apply(ws.evaluate(), operator="t")
        path.rename(moved)
        assert applied_events(moved) == N
        shutil.copy(other, path)  # another database put at the old path
        with pytest.raises(DatabaseUnavailable, match="replaced"):
            ws.revert("S000", reason="r")
    # The other database is intact, with its own data only, and so is the one moved away.
    with Workspace.open(path) as again:
        assert [r.subject for r in again.subjects()] == ["Z"]
        with again.read() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    assert applied_events(moved) == N


def test_a_move_during_a_write_is_reported_as_what_it_is(tmp_path: Path, curriculum: Curriculum) -> None:
    path = tmp_path / "lab.sqlite3"
    moved = tmp_path / "moved.sqlite3"
    with Workspace.open(path, create=True) as ws:
        cohort(ws, curriculum, tmp_path)
        suggestions = ws.evaluate()

        def progress(done: int, total: int) -> None:
            if path.exists():
                path.rename(moved)  # `mv` in the middle of `evaluate --apply`, inside its transaction

        with pytest.raises(DatabaseMoved) as info:
            ws.apply(suggestions, operator="t", progress=progress)
    message = str(info.value)
    assert info.value.written and "was saved into the file that was open" in message and str(path) in message
    assert applied_events(moved) == N  # the batch is whole, in the file that was moved


def test_a_file_another_program_keeps_in_wal_mode_is_checkpointed(
    tmp_path: Path, curriculum: Curriculum
) -> None:
    path = tmp_path / "lab.sqlite3"
    with Workspace.open(path, create=True) as ws:
        cohort(ws, curriculum, tmp_path, n=20)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode = WAL")  # an older curriculum-gui, still open
    try:
        with Workspace.open(path) as ws:
            ws.apply(ws.evaluate(), operator="t")
            wal = Path(f"{path}-wal")
            assert not wal.exists() or wal.stat().st_size == 0
            assert applied_events(path) == 20
    finally:
        holder.close()
