"""QA fixes: a SQLite file deleted or replaced while open, sessions imported late, TSV metrics files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from curriculum_gui.core.metrics_import import parse_metrics, read_metrics
from curriculum_gui.core.model import Curriculum
from curriculum_gui.store import DatabaseUnavailable, Workspace, engine

from .conftest import session_csv

# --- a SQLite file deleted or replaced while open ----------------------------------------------------


@pytest.fixture
def opened(tmp_path: Path, curriculum: Curriculum) -> Iterator[tuple[Workspace, Path, int]]:
    """A SQLite workspace with subject A registered (and the published version's id)."""
    path = tmp_path / "lab.sqlite3"
    with Workspace.open(path, create=True) as ws:
        version = ws.publish(curriculum, operator="tester")
        ws.register(["A"], version.id)
        yield ws, path, version.id


def test_a_deleted_database_file_refuses_every_transaction(opened: tuple[Workspace, Path, int]) -> None:
    ws, path, version_id = opened
    with ws:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        with pytest.raises(
            DatabaseUnavailable, match=r"is gone \(deleted or moved\).*nothing was written"
        ) as info:
            ws.register(["B"], version_id)
        assert str(path) in str(info.value) and "\n" not in str(info.value)
        with pytest.raises(DatabaseUnavailable, match="is gone"):
            ws.subjects()
        assert not path.exists()  # no new, empty database quietly created in its place


def test_a_moved_database_file_works_again_once_put_back(opened: tuple[Workspace, Path, int]) -> None:
    ws, path, version_id = opened
    with ws:
        path.rename(path.with_suffix(".moved"))
        with pytest.raises(DatabaseUnavailable, match="is gone"):
            ws.register(["B"], version_id)
        path.with_suffix(".moved").rename(path)
        assert ws.register(["B"], version_id) == 1
    with Workspace.open(path) as again:
        assert [r.subject for r in again.subjects()] == ["A", "B"]


def test_a_replaced_database_file_is_not_written_through_the_old_one(
    opened: tuple[Workspace, Path, int], tmp_path: Path, curriculum: Curriculum
) -> None:
    ws, path, version_id = opened
    other = tmp_path / "other.sqlite3"
    with Workspace.open(other, create=True) as elsewhere:
        elsewhere.register(["Z"], elsewhere.publish(curriculum, operator="tester").id)
    with ws:
        # A restore puts another file at the path. Nothing of the old file is left beside it (every
        # commit is in the file itself): nothing of it can be applied to the new one.
        assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name)) == [path.name]
        os.replace(other, path)
        with pytest.raises(DatabaseUnavailable, match=r"replaced by another file.*nothing was written"):
            ws.register(["B"], version_id)
        with pytest.raises(DatabaseUnavailable, match="replaced"):
            ws.subjects()
    with Workspace.open(path) as again:  # opening it again uses the new file
        assert [r.subject for r in again.subjects()] == ["Z"]
        again.register(["B"], again.find_version(curriculum.name).id)
        assert [r.subject for r in again.subjects()] == ["B", "Z"]


def test_only_sqlite_files_are_checked() -> None:
    assert engine.sqlite_file_id(make_url("postgresql+psycopg://u@h/db")) is None
    engine.check_same_file(make_url("postgresql+psycopg://u@h/db"), None)  # nothing to check


# --- sessions imported late, sessions of one date ----------------------------------------------------


def _accuracy_seen(suggestion, session: str) -> list[float]:
    """The accuracy list the trainer read for ``session``."""
    return next(
        c["values"]["accuracy"]
        for c in suggestion.why
        if c["session"] == session and "accuracy" in c["values"]
    )


def test_a_session_imported_late_sees_the_whole_history(ws: Workspace, version, tmp_path: Path) -> None:
    ws.register(["A"], version.id, start_stage="Mixed contrast")
    good = [("A", f"d{d}", f"2026-11-{d}", 0.9, 400, 0.05, 0.9, 3) for d in (25, 26, 27, 28)]
    ws.import_metrics(session_csv(tmp_path / "good.csv", good))
    assert ws.apply(ws.evaluate(["A"])).applied == 1
    late = [
        ("A", "d24", "2026-11-24", 0.5, 400, 0.05, 0.9, 3),
        ("A", "d29", "2026-11-29", 0.8, 400, 0.05, 0.9, 3),
    ]
    ws.import_metrics(session_csv(tmp_path / "late.csv", late))
    suggestion = ws.evaluate(["A"])[0]
    assert [s for s, _ in suggestion.evaluations] == ["d24", "d29"]
    # Every session already evaluated, plus the pending ones up to this one, by date.
    assert _accuracy_seen(suggestion, "d24") == [0.5, 0.9, 0.9, 0.9, 0.9]
    assert _accuracy_seen(suggestion, "d29") == [0.5, 0.9, 0.9, 0.9, 0.9, 0.8]
    assert suggestion.suggested_stage != "Two-choice, high contrast"  # one old poor day demotes nobody


def test_a_session_giving_its_whole_list_is_evaluated_on_it(ws: Workspace, version, tmp_path: Path) -> None:
    ws.register(["A"], version.id, start_stage="Mixed contrast")
    good = [("A", f"d{d}", f"2026-11-{d}", 0.9, 400, 0.05, 0.9, 3) for d in (25, 26)]
    ws.import_metrics(session_csv(tmp_path / "good.csv", good))
    ws.apply(ws.evaluate(["A"]))
    late = [("A", "d24", "2026-11-24", '"[0.4, 0.5]"', 400, 0.05, 0.9, 3)]
    ws.import_metrics(session_csv(tmp_path / "late.csv", late))
    assert _accuracy_seen(ws.evaluate(["A"])[0], "d24") == [0.4, 0.5]


def test_sessions_of_one_date_go_in_import_order(ws: Workspace, version, tmp_path: Path) -> None:
    ws.register(["A"], version.id, start_stage="Mixed contrast")
    ws.import_metrics(session_csv(tmp_path / "a.csv", [("A", "s9", "2026-11-24", 0.7, 400, 0.05, 0.9, 3)]))
    ws.import_metrics(session_csv(tmp_path / "b.csv", [("A", "s10", "2026-11-24", 0.8, 400, 0.05, 0.9, 3)]))
    suggestion = ws.evaluate(["A"])[0]
    assert [s for s, _ in suggestion.evaluations] == ["s9", "s10"]  # not "s10" < "s9" as text
    assert _accuracy_seen(suggestion, "s10") == [0.7, 0.8]


# --- TSV -----------------------------------------------------------------------------------------------

TSV = (
    "subject\tsession\tdate\taccuracy\ttrials\n"
    "M1\ts1\t2025-03-03\t0.8\t250\n"
    "M1\ts2\t2025-03-04\t[0.7, 0.9]\t300\n"
)


def test_tsv_files_are_read_with_tabs(tmp_path: Path) -> None:
    path = tmp_path / "m.tsv"
    path.write_text(TSV)
    parsed = read_metrics(path)
    assert parsed.format == "tsv" and parsed.bad == []
    assert [(r.row, r.session, r.values) for r in parsed.rows] == [
        (2, "s1", {"accuracy": "0.8", "trials": "250"}),
        (3, "s2", {"accuracy": "[0.7, 0.9]", "trials": "300"}),
    ]


def test_a_csv_file_with_a_tab_separated_header_is_read_as_tsv() -> None:
    assert parse_metrics(TSV.encode(), "m.csv", "csv").format == "tsv"
    assert parse_metrics(TSV.encode(), "m.txt").format == "tsv"
    comma = "subject,session,date,rig\nM1,s1,2025-03-03,a\tb\n"  # a tab inside a cell stays a character
    parsed = parse_metrics(comma.encode(), "m.csv", "csv")
    assert parsed.format == "csv" and parsed.rows[0].values == {"rig": "a\tb"}


def test_a_tsv_file_imports_into_the_store(ws: Workspace, version, tmp_path: Path) -> None:
    ws.register(["A"], version.id)
    path = tmp_path / "day.tsv"
    path.write_text(
        "subject\tsession\tdate\taccuracy\ttrials\tbias\tweight_fraction\tlicks_per_reward\n"
        "A\ts1\t2026-11-23\t0.8\t300\t0.1\t0.9\t3\n"
    )
    report = ws.import_metrics(path)
    assert report.ok and report.imported == 1
    assert ws.sessions("A")[0].values["accuracy"] == 0.8
