"""Metrics import into the store: per-subject checks, idempotence, and the history the trainer reads."""

from __future__ import annotations

import json
from pathlib import Path

from curriculum_gui.store import Workspace

from .conftest import session_csv


def test_good_rows_go_in_bad_rows_are_reported_and_twice_adds_nothing(
    ws: Workspace, version, tmp_path: Path
) -> None:
    ws.register(["A", "B"], version.id)
    path = session_csv(
        tmp_path / "m.csv",
        [
            ("A", "s1", "2025-03-03", 0.5, 100, 0.1, 0.9, 5),
            ("B", "s1", "2025-03-03", 0.6, "lots", 0.1, 0.9, 5),
            ("Z", "s1", "2025-03-03", 0.6, 100, 0.1, 0.9, 5),
            ("A", "s1", "2025-03-03", 0.5, 100, 0.1, 0.9, 5),
            ("B", "s2", "03/04/2025", 0.6, 100, 0.1, 0.9, 5),
        ],
    )
    report = ws.import_metrics(path)
    assert report.imported == 1 and not report.ok
    assert [(b.row, b.column) for b in report.bad] == [
        (3, "trials"),
        (4, "subject"),
        (5, "session"),
        (6, "date"),
    ]
    assert "unknown subject 'Z'" in str(report.bad[1]) and "duplicate of row 2" in str(report.bad[2])
    again = ws.import_metrics(path)
    assert (again.imported, again.already_there) == (0, 1)
    assert ws.subject("A").pending_sessions == 1 and ws.subject("B").pending_sessions == 0


def test_a_session_imported_again_with_other_values_is_refused(
    ws: Workspace, version, tmp_path: Path
) -> None:
    ws.register(["A"], version.id)
    ws.import_metrics(session_csv(tmp_path / "a.csv", [("A", "s1", "2025-03-03", 0.5, 100, 0.1, 0.9, 5)]))
    report = ws.import_metrics(
        session_csv(tmp_path / "b.csv", [("A", "s1", "2025-03-03", 0.9, 100, 0.1, 0.9, 5)])
    )
    assert report.imported == 0 and "already imported with other values" in str(report.bad[0])
    assert ws.evaluate()[0].evaluations[0][1].why  # the first values stand


def test_number_lists_are_built_from_the_sessions(ws: Workspace, version, tmp_path: Path) -> None:
    ws.register(["A"], version.id, start_stage="Two-choice, high contrast")
    sessions = [
        {
            "subject": "A",
            "session": f"s{i}",
            "date": f"2025-03-0{i}",
            "metrics": {"accuracy": acc, "bias": 0.1},
        }
        for i, acc in enumerate([0.7, 0.85, 0.9], start=1)
    ]
    path = tmp_path / "m.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in sessions) + "\n")
    assert ws.import_metrics(path).imported == 3
    suggestion = ws.evaluate()[0]
    assert suggestion.suggested_stage == "Mixed contrast"
    fired = next(c for c in suggestion.why if c["fired"])
    assert fired["session"] == "s3" and fired["values"]["accuracy"] == [0.7, 0.85, 0.9]


def test_a_failing_rule_gives_an_error_suggestion_that_is_not_applied(
    ws: Workspace, version, tmp_path: Path
) -> None:
    ws.register(["A"], version.id, start_stage="Two-choice, high contrast")
    path = tmp_path / "m.json"
    path.write_text(json.dumps([{"subject": "A", "session": "s1", "date": "2025-03-01", "accuracy": 0.7}]))
    assert ws.import_metrics(path).imported == 1
    suggestion = ws.evaluate()[0]
    assert suggestion.error and "s1" in suggestion.error and not suggestion.applicable
    result = ws.apply([suggestion])
    assert result.applied == 0 and result.skipped[0][0] == "A"
    assert ws.subject("A").row_version == 1 and ws.subject("A").pending_sessions == 1
