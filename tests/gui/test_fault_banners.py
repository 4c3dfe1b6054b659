"""Each fault of the machine shows in the Subjects tab (one line saying what and where, nothing changed) and
leaves the window usable. Real faults, in a separate process: file permissions (as root, with the
capabilities that override them dropped), a full disk (``RLIMIT_FSIZE``), a file that is not SQLite, a newer
schema, a server that cannot be reached."""

from __future__ import annotations

import json
import resource
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.store.test_faults import DROP_OVERRIDES, counts

REPO = Path(__file__).resolve().parents[2]


def app(fault: str, db: str, *, drop: bool = False, file_size_limit: int | None = None) -> dict:
    import os

    prefix: list[str] = []
    if drop and os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: file permissions cannot be made to bind")
        prefix = DROP_OVERRIDES

    def limit() -> None:
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    done = subprocess.run(
        [*prefix, sys.executable, "-m", "tests.gui.fault_banner", fault, db],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        preexec_fn=limit,
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["editor"]  # the window stays usable
    return report


@pytest.fixture
def lab(demo_file: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "lab" / "lab.sqlite3"
    copy.parent.mkdir()
    shutil.copy(demo_file, copy)
    return copy


def assert_written_nothing(report: dict, *phrases: str) -> None:
    text = report["banner"]
    assert report["level"] == "error" and "\n" not in text and "Nothing was changed" in text, text
    assert report["rows"] == 24 and report["actions"]
    for phrase in phrases:
        assert phrase in text, text


def test_a_read_only_file(lab: Path) -> None:
    before = counts(lab)
    lab.chmod(0o444)
    try:
        assert_written_nothing(app("write", str(lab), drop=True), "read-only")
    finally:
        lab.chmod(0o644)
    assert counts(lab) == before


def test_a_read_only_folder(lab: Path) -> None:
    before = counts(lab)
    lab.parent.chmod(0o555)
    try:
        assert_written_nothing(app("write", str(lab), drop=True), "folder is read-only")
    finally:
        lab.parent.chmod(0o755)
    assert counts(lab) == before


def test_a_full_disk(lab: Path) -> None:
    before = counts(lab)
    assert_written_nothing(app("apply", str(lab), file_size_limit=lab.stat().st_size + 1000), "disk")
    assert counts(lab) == before


@pytest.mark.parametrize("fault", ["not sqlite", "newer schema", "unreachable server"])
def test_a_database_that_cannot_be_opened(lab: Path, fault: str) -> None:
    db = str(lab)
    if fault == "not sqlite":
        lab.write_text("my notes\n")
        expected = "is not a SQLite database"
    elif fault == "newer schema":
        raw = sqlite3.connect(lab)
        raw.execute("UPDATE alembic_version SET version_num = '0099'")
        raw.commit()
        raw.close()
        expected = "schema revision 0099"
    else:
        db = "postgresql://lab:s3cret-pw@127.0.0.1:1/rigs"
        expected = "connection refused"
    report = app("open", db)
    assert not report["opened"] and report["database_button"]
    assert "could not be opened" in report["message"] and expected in report["message"]
    assert "s3cret-pw" not in report["message"]
