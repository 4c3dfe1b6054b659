"""What leaves the subjects view: a summary that pastes into a spreadsheet as text, never as formulas, and
next-session files named one per subject (the message says which ids were renamed)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from curriculum_gui.core.spreadsheet import tsv_cell, unguard
from curriculum_gui.gui.subjects.export import summary_tsv
from curriculum_gui.store import Workspace

from .conftest import wait_idle


@pytest.mark.parametrize(
    ("value", "pasted"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "' =1"),
        ("\r=1", "' =1"),
        (" =1", "' =1"),
        ("＝1+1", "'＝1+1"),  # full width
        ("-0.5", "-0.5"),  # a plain number stays a number
        (-0.5, "-0.5"),
        (3, "3"),
        ("M01", "M01"),
        ("a\tb\nc", "a b c"),
    ],
)
def test_cells_are_never_formulas(value: object, pasted: str) -> None:
    assert tsv_cell(value) == pasted
    if isinstance(value, str) and "\t" not in value and "\r" not in value and "\n" not in value:
        assert unguard(pasted) == value  # what a reader of this project's CSV takes back


def test_the_summary_prefixes_ids_names_and_parameters(ws: Workspace) -> None:
    row = dataclasses.replace(
        ws.subjects()[0], subject="=1+1", parameters={"@key": "=cmd|' /C calc'!A0", "n": -1}
    )
    text = summary_tsv([row], [("=1+1", "+stage", "-status", "@x")])
    header, line = text.splitlines()
    assert header.split("\t")[-2:] == ["'@key", "n"]
    cells = line.split("\t")
    assert cells[:4] == ["'=1+1", "'+stage", "'-status", "'@x"]
    assert cells[-2:] == ["'=cmd|' /C calc'!A0", "-1"]
    assert not any(c.startswith(("=", "+", "@")) for c in text.replace("\n", "\t").split("\t"))


def test_export_names_files_per_subject_and_says_so(qtbot, view, ws: Workspace, tmp_path: Path) -> None:
    ids = ["=1+1", "+1+1", "M 1", "M_1", "a/b", "a_b"]
    ws.register(ids, ws.versions()[0].id)
    view.refresh()
    wait_idle(qtbot, view)
    result = view.export_to(tmp_path / "out", ws.subjects(ids))
    assert result is not None
    files = list((tmp_path / "out").glob("*.json"))
    subjects = [
        json.loads(f.read_text(encoding="utf-8"))["subject"] for f in files if "trainer_state" not in f.name
    ]
    assert sorted(subjects) == sorted(ids)
    assert "cannot be file names as they are" in view.banner.text() and "'M 1' → M_1-" in view.banner.text()


def test_the_run_sheet_and_schedule_csv_hold_no_formulas() -> None:
    import csv
    import io
    from datetime import date

    from curriculum_gui.core import runsheet, schedule

    entry = runsheet.RunSheetEntry(
        rig="=rig",
        slot=1,
        subject="+M1",
        curriculum="@c",
        stage="-s",
        policies=("=p",),
        parameters={"=k": '=HYPERLINK("x")', "n": -1.5},
        on_curriculum=True,
    )
    rows = list(csv.reader(io.StringIO(runsheet.to_csv(date(2026, 11, 20), [entry]))))
    cells = [c for row in rows for c in row]
    assert not any(c.startswith(("=", "+", "@")) or (c.startswith("-") and c != "-1.5") for c in cells)
    assert '\'=HYPERLINK("x")' in cells and "'=k" in cells and "-1.5" in cells
    entries = [schedule.ScheduleEntry("=1+1", "@rig", "1111100", 1)]
    text = schedule.to_csv(entries)
    assert "'=1+1" in text and "'@rig" in text
    assert schedule.read_csv(text) == entries  # read back as it was
