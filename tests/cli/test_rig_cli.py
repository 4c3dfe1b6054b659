"""The rig's commands: schedule, runsheet, weights, rig; ``watch`` as a real process stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from curriculum_gui.store import Workspace

from .test_store_cli import EXAMPLE, run

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def lab(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    db = str(tmp_path / "lab.sqlite3")
    assert run(capsys, "publish", str(EXAMPLE / "two_choice_visual.json"), "--db", db, "--create")[0] == 0
    code, _, err = run(
        capsys, "subjects", "register", "M1", "M2", "M3", "--curriculum", "Two-choice visual discrimination",
        "--rig", "rig-1", "--baseline-weight", "25", "--db", db, "--operator", "t",
    )  # fmt: skip
    assert code == 0, err
    return db


def test_schedule_runsheet_weights_and_rigs(
    lab: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = lab
    csv_in = tmp_path / "schedule.csv"
    csv_in.write_text("subject,rig,weekdays,slot\nM1,rig-2,Mon-Fri,1\nM2,rig-2,Mon,2\n", encoding="utf-8")
    code, out, _ = run(capsys, "schedule", "import", str(csv_in), "--db", db, "--operator", "t")
    assert code == 0 and "2 entries" in out
    code, out, _ = run(capsys, "schedule", "export", "--db", db)
    assert out.splitlines() == ["subject,rig,weekdays,slot", "M1,rig-2,Mon-Fri,1", "M2,rig-2,Mon,2"]
    bad = tmp_path / "bad.csv"
    bad.write_text("subject,rig,weekdays\nM1,rig-1,Someday\n", encoding="utf-8")
    code, _, err = run(capsys, "schedule", "import", str(bad), "--db", db)
    assert code == 2 and "line 2" in err and "Someday" in err
    code, out, _ = run(capsys, "schedule", "show", "--db", db)
    assert "rig-2  #1 M1  Mon–Fri" in out

    code, out, _ = run(
        capsys, "weights", "add", "M1", "19", "--date", "2025-03-03", "--db", db, "--operator", "t"
    )
    assert code == 0 and "76% of baseline 25 g, UNDERWEIGHT" in out
    code, out, _ = run(capsys, "weights", "list", "M1", "--db", db)
    assert "2025-03-03  19 g  76%  UNDERWEIGHT  (cli, t)" in out
    code, _, err = run(capsys, "weights", "baseline", "M1", "24", "--db", db)
    assert code == 2 and "needs a reason" in err
    code, out, _ = run(capsys, "weights", "threshold", "0.75", "--db", db, "--operator", "pi")
    assert code == 0 and "0.75" in out

    html_out = tmp_path / "sheet.html"
    code, out, _ = run(capsys, "runsheet", "--date", "2025-03-03", "-o", str(html_out), "--db", db)
    assert code == 0 and "3 mice on 2 rig(s) on Mon 2025-03-03" in out
    page = html_out.read_text(encoding="utf-8")
    assert page.count('<section class="rig">') == 2 and "reward_volume_ul = 4.0" in page
    csv_out = tmp_path / "sheet.csv"
    code, out, _ = run(
        capsys, "runsheet", "--date", "2025-03-04", "--rig", "rig-2", "-o", str(csv_out), "--db", db
    )
    assert code == 0 and [line.split(",")[3] for line in csv_out.read_text().splitlines()[1:]] == ["M1"]
    code, _, err = run(capsys, "runsheet", "--date", "tomorrow", "-o", str(csv_out), "--db", db)
    assert code == 2 and "not a date" in err

    rig_dir = tmp_path / "rig-1-in"
    rig_dir.mkdir()
    code, _, _ = run(
        capsys, "rig", "set", "rig-1", "--export-folder", str(rig_dir), "--db", db, "--operator", "t"
    )
    code, out, _ = run(capsys, "rig", "list", "--db", db)
    assert code == 0 and f"rig-1  export: {rig_dir}" in out and "rig-2  export: -" in out
    code, out, _ = run(capsys, "rig", "send", "M3", "--db", db, "--operator", "t")
    assert code == 0 and (rig_dir / "M3.json").exists() and "no aind TrainerState" in out
    with Workspace.open(db) as ws:
        assert ws.history("M3")[-1].kind == "sent"


def test_watch_imports_a_dropped_file_and_stops_cleanly_on_sigterm(lab: str, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "curriculum_gui", "watch", str(folder), "--db", lab, "--settle", "0.3",
         "--interval", "0.1", "--operator", "server"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        assert "watching" in proc.stdout.readline()
        (folder / "today.csv").write_text(
            "subject,session,date,accuracy,trials,bias,weight_fraction,licks_per_reward,weight_g\n"
            "M1,s1,2025-03-03,0.7,300,0.1,0.9,4,22.5\n",
            encoding="utf-8",
        )
        line = proc.stdout.readline()
        assert "today.csv: 1 new session(s)" in line and "imported/today.csv" in line
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert out.strip().endswith("stopped") and "Traceback" not in err
    assert (folder / "imported" / "today.csv").exists()
    with Workspace.open(lab) as ws:
        assert len(ws.sessions("M1")) == 1 and ws.weights("M1")[0].grams == 22.5


def test_watch_refuses_a_missing_folder(lab: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "watch", str(tmp_path / "nowhere"), "--db", lab)
    assert code == 2 and "is not a folder" in err
