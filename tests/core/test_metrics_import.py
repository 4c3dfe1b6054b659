"""Reading and checking metrics files (CSV, JSON, JSON Lines): no database involved."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from curriculum_gui.core.errors import LoadError
from curriculum_gui.core.metrics_import import check_rows, parse_metrics, read_metrics
from curriculum_gui.core.model import Metric, MetricType

METRICS = [
    Metric(name="accuracy", type=MetricType.NUMBER_LIST),
    Metric(name="trials", type=MetricType.INTEGER),
    Metric(name="bias", type=MetricType.NUMBER),
    Metric(name="rewarded", type=MetricType.BOOLEAN),
    Metric(name="rig", type=MetricType.STRING),
]


def test_csv_rows_are_read_and_converted(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(
        "\ufeffsubject,session,date,accuracy,trials,bias,rewarded,rig\n"
        "M1,s1,2025-03-03,0.8,250,0.1,yes,r1\n"
        'M1,s2,2025-03-04T10:30:00,"[0.7, 0.9]",,0.2,FALSE,r2\n'
    )
    parsed = read_metrics(path)
    assert parsed.format == "csv" and parsed.bad == []
    good, bad = check_rows(parsed.rows, METRICS)
    assert bad == []
    assert [(r.row, r.subject, r.session, r.date) for r in good] == [
        (2, "M1", "s1", date(2025, 3, 3)),
        (3, "M1", "s2", date(2025, 3, 4)),
    ]
    assert good[0].values == {"accuracy": 0.8, "trials": 250, "bias": 0.1, "rewarded": True, "rig": "r1"}
    assert good[1].values == {"accuracy": [0.7, 0.9], "bias": 0.2, "rewarded": False, "rig": "r2"}


def test_bad_cells_are_reported_with_row_and_column(tmp_path: Path) -> None:
    text = (
        "subject,session,date,trials,bias,rewarded,acuracy\n"
        "M1,s1,2025-03-03,2.5,0.1,true,\n"
        "M1,s2,2025-03-03,3,nan,maybe,\n"
        ",s3,2025-13-01,3,0.1,true,\n"
        "M1,s4,2025-03-03,3\n"
        "M1,s5,2025-03-03,3,0.1,true,0.9\n"
    )
    parsed = parse_metrics(text.encode(), "m.csv", "csv")
    good, bad = check_rows(parsed.rows, METRICS, "'Two-choice'")
    problems = [(b.row, b.column) for b in sorted(parsed.bad + bad, key=lambda b: (b.row, b.column or ""))]
    assert problems == [  # an undeclared column (a typo?) is wrong even where empty
        (2, "acuracy"),
        (2, "trials"),
        (3, "acuracy"),
        (3, "bias"),
        (3, "rewarded"),
        (4, "date"),
        (4, "subject"),
        (5, None),
        (6, "acuracy"),
    ]
    assert good == []
    assert "not a metric of 'Two-choice' (declared: accuracy, bias" in str(bad[-1])
    assert "has 4 cells, the header has 7" in str(parsed.bad[-1])
    assert str(bad[0]) == "row 2, column 'trials': expected a whole number, found '2.5'"
    assert "expected a finite number, found 'nan'" in str(bad[2])


def test_the_csv_header_is_required() -> None:
    with pytest.raises(
        LoadError, match=r"must name the columns subject, session, date .missing: subject, session, date"
    ):
        parse_metrics(b"M1,s1,2025-03-03,0.5\n", "m.csv", "csv")
    with pytest.raises(LoadError, match="appears twice"):
        parse_metrics(b"subject,session,date,bias,bias\n", "m.csv", "csv")
    with pytest.raises(LoadError, match="is empty"):
        parse_metrics(b"  \n", "m.csv")


def test_json_and_jsonl(tmp_path: Path) -> None:
    items = [
        {"subject": "M1", "session": "s1", "date": "2025-03-03", "metrics": {"bias": 0.1, "trials": 3}},
        {"subject": "M1", "session": 2, "date": "2025-03-04", "bias": 0.2},
        ["not", "an", "object"],
        {"subject": "M1", "session": "s3", "date": "2025-03-05", "bias": True},
    ]
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"sessions": items}, indent=2))
    parsed = read_metrics(path)
    good, bad = check_rows(parsed.rows, METRICS)
    assert [r.session for r in good] == ["s1", "2"]
    assert [(b.row, b.column) for b in parsed.bad + bad] == [(3, None), (4, "bias")]

    lines = tmp_path / "m.jsonl"
    lines.write_text(json.dumps(items[0]) + "\n{oops\n\n" + json.dumps(items[1]) + "\n")
    parsed = read_metrics(lines)
    assert parsed.format == "jsonl" and [r.row for r in parsed.rows] == [1, 4]
    assert parsed.bad[0].row == 2 and "JSON" in parsed.bad[0].problem
    # detected from the content, whatever the name
    assert parse_metrics(lines.read_bytes(), "m.txt").format == "jsonl"
    assert parse_metrics(path.read_bytes(), "m.txt").format == "json"


def test_unreadable_files() -> None:
    with pytest.raises(LoadError, match="no such file"):
        read_metrics("/nonexistent/m.csv")
    with pytest.raises(LoadError, match="binary"):
        parse_metrics(b"\x00\x01", "m.csv")
    with pytest.raises(LoadError, match="expected a list of session objects"):
        parse_metrics(b'{"a": 1}', "m.json", "json")
