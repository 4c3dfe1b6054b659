"""The watched metrics folder: a file is imported once it is complete, then moved (imported/ or failed/
with its report); a file written slowly by another process is imported once, whole."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from curriculum_gui.store import SubjectInfo, Workspace
from curriculum_gui.store.folder_watch import FolderWatcher

HEADER = "subject,session,date,accuracy,trials,bias,weight_fraction,licks_per_reward"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _row(subject: str, session: str) -> str:
    return f"{subject},{session},2025-03-03,0.7,300,0.1,0.9,4"


def test_a_file_is_imported_when_it_stopped_changing_then_moved(
    ws: Workspace, version, tmp_path: Path
) -> None:
    ws.register(["M1", "M2"], version.id, operator="t")
    clock = Clock()
    watcher = FolderWatcher(ws, tmp_path, settle=2.0, clock=clock)
    path = tmp_path / "rig-1.csv"
    path.write_text(HEADER + "\n" + _row("M1", "s1") + "\n", encoding="utf-8")
    (tmp_path / ".partial.csv").write_text(HEADER + "\n", encoding="utf-8")  # hidden: never touched
    (tmp_path / "copying.csv.part").write_text(HEADER + "\n", encoding="utf-8")
    assert watcher.scan() == []  # just seen
    clock.now += 1.5
    with path.open("a", encoding="utf-8") as handle:  # still being written
        handle.write(_row("M2", "s1") + "\n")
    assert watcher.scan() == []
    clock.now += 1.9
    assert watcher.scan() == []  # unchanged for 1.9 s only
    clock.now += 0.2
    (outcome,) = watcher.scan()
    assert outcome.ok and outcome.report is not None and outcome.report.imported == 2
    assert outcome.moved_to == tmp_path / "imported" / "rig-1.csv" and outcome.moved_to.exists()
    assert (
        not path.exists()
        and (tmp_path / ".partial.csv").exists()
        and (tmp_path / "copying.csv.part").exists()
    )
    assert "2 new session(s)" in outcome.line() and "imported/rig-1.csv" in outcome.line()
    assert [len(ws.sessions(s)) for s in ("M1", "M2")] == [1, 1]

    # The same file again adds nothing, and is kept beside the first under a new name.
    path.write_text(HEADER + "\n" + _row("M1", "s1") + "\n", encoding="utf-8")
    watcher.scan()
    clock.now += 2.5
    (again,) = watcher.scan()
    assert (again.report.imported, again.report.already_there) == (0, 1)
    assert again.moved_to == tmp_path / "imported" / "rig-1-2.csv"


def test_a_bad_file_goes_to_failed_with_its_report(ws: Workspace, version, tmp_path: Path) -> None:
    ws.register(["M1"], version.id, operator="t")
    clock = Clock()
    tmp_path = tmp_path / "drop"  # the database lives in the test's folder
    tmp_path.mkdir()
    watcher = FolderWatcher(ws, tmp_path, settle=1.0, clock=clock)
    (tmp_path / "mixed.csv").write_text(
        HEADER + "\n" + _row("M1", "s1") + "\nNOBODY,s1,2025-03-03,0.7,300,0.1,0.9,4\n", encoding="utf-8"
    )
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    watcher.scan()
    clock.now += 1.0
    outcomes = {o.name: o for o in watcher.scan()}
    mixed, broken = outcomes["mixed.csv"], outcomes["broken.json"]
    assert mixed.report.imported == 1 and not mixed.ok  # the good row is in, as with a manual import
    assert mixed.moved_to == tmp_path / "failed" / "mixed.csv"
    report = (tmp_path / "failed" / "mixed.csv.report.txt").read_text(encoding="utf-8")
    assert "unknown subject 'NOBODY'" in report and "row 3" in report
    assert broken.report is None and broken.moved_to == tmp_path / "failed" / "broken.json"
    assert "broken.json" in (tmp_path / "failed" / "broken.json.report.txt").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["failed"]


def test_evaluate_applies_all_but_underweight_promotions(ws: Workspace, version, tmp_path: Path) -> None:
    for subject in ("THIN", "OK"):
        ws.register([SubjectInfo(subject, baseline_weight_g=25.0)], version.id, operator="t")
        ws.override(subject, "Warm-up: one side", reason="test", operator="t")
    ws.record_weight("THIN", 18.0, operator="t")
    clock = Clock()
    watcher = FolderWatcher(ws, tmp_path, settle=0.5, evaluate=True, operator="server", clock=clock)
    header = HEADER.replace(",weight_fraction", "") + ",weight_g"
    (tmp_path / "day.csv").write_text(
        f"{header}\nTHIN,s1,2025-03-03,0.9,300,0.1,4,18\nOK,s1,2025-03-03,0.9,300,0.1,4,24\n",
        encoding="utf-8",
    )
    watcher.scan()
    clock.now += 1
    (outcome,) = watcher.scan()
    assert outcome.applied is not None and outcome.applied.applied == 1
    assert set(outcome.held) == {"THIN"} and "held back for review: THIN" in outcome.line()
    assert ws.subject("OK").stage == "Two-choice, high contrast" and ws.history("OK")[-1].operator == "server"
    assert ws.subject("THIN").stage == "Warm-up: one side" and ws.subject("THIN").pending_sessions == 1


WRITER = textwrap.dedent(
    """
    import sys, time
    path, header, *rows = sys.argv[1:]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(header + "\\n")
        for row in rows:
            handle.flush()
            time.sleep(0.3)
            handle.write(row + "\\n")
    """
)


def test_a_file_written_slowly_by_another_process_is_imported_once_and_whole(
    ws: Workspace, version, tmp_path: Path
) -> None:
    subjects = [f"M{i}" for i in range(6)]
    ws.register(subjects, version.id, operator="t")
    folder = tmp_path / "drop"
    folder.mkdir()
    watcher = FolderWatcher(ws, folder, settle=2.0)
    rows = [_row(s, "s1") for s in subjects]
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(folder / "slow.csv"), HEADER, *rows])
    outcomes = []
    while writer.poll() is None:
        outcomes += watcher.scan()
        time.sleep(0.1)
    assert writer.returncode == 0
    assert outcomes == []  # nothing read while it was being written
    deadline = time.monotonic() + 30
    while not outcomes and time.monotonic() < deadline:
        outcomes += watcher.scan()
        time.sleep(0.1)
    (outcome,) = outcomes
    assert outcome.ok and outcome.report.imported == len(subjects)
    assert all(len(ws.sessions(s)) == 1 for s in subjects)
    assert watcher.scan() == [] and (folder / "imported" / "slow.csv").exists()
