"""Faults of the machine, each a one-line message, exit 2 and nothing changed: a read-only database file, a
read-only folder, a full disk during apply and during import (a file size limit), a newer schema, a file
that is not SQLite, a PostgreSQL server that cannot be reached.

The commands run as real processes. As root, file permissions do not bind, so they run with the
capabilities that override them dropped (``setpriv``, from util-linux); the full disk is
``RLIMIT_FSIZE`` (writing past it fails with EFBIG; Python ignores SIGXFSZ).
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from curriculum_gui.store import Workspace

REPO = Path(__file__).resolve().parents[2]
DROP_OVERRIDES = [
    "setpriv",
    "--bounding-set=-dac_override,-dac_read_search",
    "--inh-caps=-dac_override,-dac_read_search",
]


def cli(*args: str, file_size_limit: int | None = None) -> subprocess.CompletedProcess[str]:
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: file permissions cannot be made to bind")
        prefix = DROP_OVERRIDES

    def limit() -> None:
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    return subprocess.run(
        [*prefix, sys.executable, "-m", "curriculum_gui", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "lab.sqlite3"
    from datetime import date

    from curriculum_gui.store.demo import create_demo

    with Workspace.open(path, create=True) as ws:
        create_demo(ws, today=date(2026, 11, 20))
    return path


@pytest.fixture
def lab(demo: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "lab" / "lab.sqlite3"
    copy.parent.mkdir()
    shutil.copy(demo, copy)
    return copy


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def counts(path: Path) -> tuple[int, int, str]:
    raw = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        events = raw.execute("SELECT count(*) FROM events").fetchone()[0]
        sessions = raw.execute("SELECT count(*) FROM metrics_sessions").fetchone()[0]
        return events, sessions, raw.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        raw.close()


def one_error_line(done: subprocess.CompletedProcess[str], *phrases: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    for phrase in phrases:
        assert phrase in done.stderr, done.stderr


def test_a_read_only_file(lab: Path) -> None:
    before = digest(lab)
    lab.chmod(0o444)
    try:
        one_error_line(cli("evaluate", "--apply", "--db", str(lab)), "read-only", "nothing was changed")
        assert cli("subjects", "list", "--db", str(lab)).returncode == 0  # reading still works
    finally:
        lab.chmod(0o644)
    assert digest(lab) == before


def test_a_read_only_folder(lab: Path) -> None:
    before = digest(lab)
    lab.parent.chmod(0o555)
    try:
        done = cli("evaluate", "--apply", "--db", str(lab))
        one_error_line(done, "folder is read-only", "journal", "nothing was changed")
        assert cli("subjects", "list", "--db", str(lab)).returncode == 0
    finally:
        lab.parent.chmod(0o755)
    assert digest(lab) == before and sorted(p.name for p in lab.parent.iterdir()) == ["lab.sqlite3"]


def test_a_full_disk_during_apply(lab: Path) -> None:
    before = counts(lab)
    done = cli("evaluate", "--apply", "--db", str(lab), file_size_limit=lab.stat().st_size + 1000)
    one_error_line(done, "disk", "nothing was changed")
    assert counts(lab) == before and before[2] == "ok"
    assert cli("evaluate", "--apply", "--db", str(lab)).returncode == 0  # with room, it goes through
    assert counts(lab)[0] > before[0]


def test_a_full_disk_during_import(lab: Path, tmp_path: Path) -> None:
    metrics = tmp_path / "m.csv"
    rows = [f"M01,extra{i},2026-11-21,0.5,100,0.1,0.9,3" for i in range(3000)]
    metrics.write_text(
        "subject,session,date,accuracy,trials,bias,weight_fraction,licks_per_reward\n"
        + "\n".join(rows)
        + "\n"
    )
    before = counts(lab)
    done = cli(
        "metrics", "import", str(metrics), "--db", str(lab), file_size_limit=lab.stat().st_size + 20_000
    )
    one_error_line(done, "disk", "nothing was changed")
    assert counts(lab) == before and before[2] == "ok"


def test_a_newer_schema(lab: Path) -> None:
    raw = sqlite3.connect(lab)
    raw.execute("UPDATE alembic_version SET version_num = '0099'")
    raw.commit()
    raw.close()
    before = digest(lab)
    one_error_line(cli("subjects", "list", "--db", str(lab)), "schema revision 0099", "up to revision")
    assert digest(lab) == before


def test_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_text("my notes\n")
    one_error_line(cli("evaluate", "--apply", "--db", str(path)), "is not a SQLite database")
    assert path.read_text() == "my notes\n"


def test_an_unreachable_postgresql_server() -> None:
    done = cli("subjects", "list", "--db", "postgresql://lab:s3cret-pw@127.0.0.1:1/rigs")
    one_error_line(done, "127.0.0.1:1/rigs", "***")
    assert "s3cret-pw" not in done.stderr + done.stdout
