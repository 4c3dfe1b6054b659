"""Live across rigs: a change written by another process shows in this window's model without a refresh,
keeping the selection and the scroll position; nothing is reloaded while nothing changes; a stale action
is still a conflict. On a SQLite file and on PostgreSQL (LISTEN/NOTIFY)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from curriculum_gui.core import native_format
from curriculum_gui.core.model import Curriculum
from curriculum_gui.gui.document import Document
from curriculum_gui.gui.main_window import MainWindow
from curriculum_gui.store import ConflictError, Workspace
from tests.store.conftest import pg_url  # noqa: F401  (the PostgreSQL fixture)

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "resources" / "examples" / "two_choice_visual.json"
SUBJECTS = [f"S{i:03d}" for i in range(80)]


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    url = str(tmp_path / "lab.sqlite3") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    with Workspace.open(url, create=True) as ws:
        version = ws.publish(native_format.load(EXAMPLE), operator="setup")
        ws.register(SUBJECTS, version.id, operator="setup")
    return url


def test_another_process_change_shows_here_keeping_selection_and_scroll(qtbot, db: str) -> None:
    win = MainWindow(Document(Curriculum()), db=db)
    qtbot.addWidget(win)
    win.resize(1400, 700)
    win.show()
    assert win.ensure_workspace()
    view = win.subjects_view
    win.modes.setCurrentWidget(view)
    live = win.rig_tab.live
    assert live is not None
    reloads = []
    live.changed.connect(lambda: reloads.append(1))

    view.select_subjects(["S070"])
    stale = view.selected_rows()[0]
    qtbot.wait(1000)  # idle: the change check runs, nothing is reloaded
    assert reloads == []
    bar = view.table.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    scroll = bar.value()
    assert scroll > 0

    writer = subprocess.run(
        [sys.executable, "-m", "tests.gui.live_writer", db, "S070"],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert writer.stdout.strip() == "committed", writer.stderr

    def shown() -> bool:
        row = view.model.row_of("S070")
        return row is not None and view.model.cells(row)[1] == "Warm-up: one side"

    qtbot.waitUntil(shown, timeout=10_000)  # no refresh asked for: the live update brought it
    assert reloads  # and it came from the change notification
    assert [r.subject for r in view.selected_rows()] == ["S070"]
    assert bar.value() == scroll
    assert win.rig_tab.view.info is None or win.rig_tab.view.info.row.stage == "Warm-up: one side"
    with pytest.raises(ConflictError):  # what this window read before is stale: refused, as before
        win.workspace.eject("S070", reason="x", operator="t", expected_version=stale.row_version)
    win.rig_tab.close()
    win.workspace.close()
    win.workspace = None
