"""Imports that would lose or hide rows: control characters in ids are a row problem on both back-ends (the
rest is imported, exit 1), and a session re-imported with another date is reported like any changed value."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from curriculum_gui.cli import main
from curriculum_gui.core.metrics_import import MetricsRow, check_row
from curriculum_gui.core.model import Metric, MetricType
from curriculum_gui.store import Workspace

from .conftest import session_csv

HEADER = "subject,session,date,accuracy,trials,bias,weight_fraction,licks_per_reward\n"


def test_a_nul_in_an_id_after_4_kib_is_a_row_problem(ws: Workspace, version, tmp_path: Path) -> None:
    ws.register(["M1", "M2"], version.id)
    good = "".join(f"M1,s{i:04d},2025-03-03,0.7,250,0.1,0.9,5\n" for i in range(150))  # more than 4 KiB
    assert len(good) > 4096
    path = tmp_path / "m.csv"
    path.write_text(
        HEADER + good + "M2,bad\x00id,2025-03-04,0.7,250,0.1,0.9,5\nM2,ok,2025-03-04,0.7,250,0.1,0.9,5\n"
    )
    report = ws.import_metrics(path)
    assert report.imported == 151 and len(report.bad) == 1
    (bad,) = report.bad
    assert (bad.row, bad.column) == (152, "session") and "\\x00" in bad.problem
    assert [s.session for s in ws.sessions("M2")] == ["ok"]


def test_escape_sequences_in_ids_are_row_problems(ws: Workspace, version, tmp_path: Path) -> None:
    ws.register(["M1"], version.id)
    path = tmp_path / "m.csv"
    path.write_text(
        HEADER
        + "M1\x1b]0;x\x07,s1,2025-03-03,0.7,250,0.1,0.9,5\n"
        + "M1,s\x1b[2J,2025-03-03,0.7,250,0.1,0.9,5\n"
        + "M1,s3,2025-03-03,0.7,250,0.1,0.9,5\n"
    )
    report = ws.import_metrics(path)
    assert report.imported == 1 and [b.column for b in report.bad] == ["subject", "session"]
    assert all("control character" in b.problem for b in report.bad)


def test_the_command_line_exits_1_and_imports_the_rest(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    db = str(tmp_path / "lab.sqlite3")
    assert main(["demo", "--db", db]) == 0
    path = tmp_path / "m.csv"
    good = "".join(f"M01,y{i:03d},2099-01-01,0.7,250,0.1,0.9,5\n" for i in range(150))  # past 4 KiB
    path.write_text(HEADER + good + "M01,x\x00,2099-01-01,0.7,250,0.1,0.9,5\n")
    capsys.readouterr()
    assert main(["metrics", "import", str(path), "--db", db]) == 1
    out, err = capsys.readouterr()
    assert "imported 150 session(s), 0 already there, 1 problem(s)" in out and "row 152" in err


def test_a_changed_date_is_reported_not_counted_as_already_there(
    ws: Workspace, version, tmp_path: Path
) -> None:
    ws.register(["M1"], version.id)
    first = ws.import_metrics(
        session_csv(tmp_path / "a.csv", [("M1", "s1", "2025-03-03", 0.7, 250, 0.1, 0.9, 5)])
    )
    assert first.imported == 1
    again = ws.import_metrics(
        session_csv(tmp_path / "b.csv", [("M1", "s1", "2025-03-03", 0.7, 250, 0.1, 0.9, 5)])
    )
    assert (again.imported, again.already_there, again.bad) == (0, 1, ())
    moved = ws.import_metrics(
        session_csv(tmp_path / "c.csv", [("M1", "s1", "2025-03-04", 0.7, 250, 0.1, 0.9, 5)])
    )
    assert (moved.imported, moved.already_there) == (0, 0)
    (bad,) = moved.bad
    assert bad.column == "date" and "2025-03-03" in bad.problem and "2025-03-04" in bad.problem
    assert [s.date for s in ws.sessions("M1")] == [date(2025, 3, 3)]  # kept as it was


def test_text_metrics_refuse_what_cannot_be_stored() -> None:
    metrics = [Metric(name="note", type=MetricType.STRING)]
    for text in ("a\x00b", "a\ud800"):
        row = MetricsRow(2, "M1", "s1", date(2025, 3, 3), {"note": text})
        (problem,) = check_row(row, metrics)
        assert problem.column == "note"
    fine = MetricsRow(3, "M1", "s2", date(2025, 3, 3), {"note": "tab\tand\nnewline are fine"})
    assert check_row(fine, metrics) == []
