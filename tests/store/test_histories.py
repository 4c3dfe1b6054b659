"""Running histories: kept valid by every change of position, rebuilt when they cannot be, migrated in;
and gaps in list metrics (a session that did not measure one) said at import, in the why and in rules."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from curriculum_gui.core import histories as core_histories
from curriculum_gui.store import Workspace, histories, migrate
from curriculum_gui.store.engine import create_engine, resolve_url
from curriculum_gui.store.records import read_summary

from .conftest import session_csv


def _running(ws: Workspace, subject: str) -> histories.Running | None:
    """The subject's running history if it is valid (its row version is the subject's), else None."""
    row = ws.subject(subject)
    with ws.read() as conn:
        pk = conn.execute(
            sa.text("SELECT id FROM subjects WHERE subject_id = :s"), {"s": subject}
        ).scalar_one()
        found = histories.load(conn, [pk]).get(pk)
    return found if found is not None and found.row_version == row.row_version else None


def _day(tmp_path: Path, subject: str, day: int, accuracy: object = 0.9, trials: object = 400) -> Path:
    return session_csv(
        tmp_path / f"{subject}-{day}.csv",
        [(subject, f"d{day}", f"2026-03-{day:02d}", accuracy, trials, 0.05, 0.9, 3)],
    )


def test_each_change_of_position_keeps_the_running_history_valid(ws: Workspace, version, tmp_path) -> None:
    ws.register(["A"], version.id, start_stage="Mixed contrast")
    empty = _running(ws, "A")  # registered with an empty one: the first evaluation carries it on
    assert (
        empty is not None and empty.sessions == 0 and empty.packed.lists() == {"accuracy": [], "trials": []}
    )
    for day in (2, 3):
        ws.import_metrics(_day(tmp_path, "A", day, round(0.8 + day / 100, 2)))
        ws.apply(ws.evaluate(["A"]))
    running = _running(ws, "A")
    assert running is not None and running.sessions == 2
    assert running.packed.lists() == {"accuracy": [0.82, 0.83], "trials": [400.0, 400.0]}
    ws.override("A", "Mixed contrast", reason="policies")
    ws.eject("A", reason="weight")
    assert _running(ws, "A") == histories.Running(
        ws.subject("A").row_version, 2, running.last, running.packed
    )  # carried on: no session evaluated or made pending
    ws.revert("A")  # the eject
    ws.revert("A")  # the override
    ws.revert("A")  # the last apply: its session is cut off the end
    after = _running(ws, "A")
    assert after is not None and after.sessions == 1
    assert after.packed.lists() == {"accuracy": [0.82], "trials": [400.0]}
    assert ws.subject("A").pending_sessions == 1


def test_undoing_a_batch_cuts_its_sessions_off_every_history(ws: Workspace, version, tmp_path) -> None:
    ws.register(["A", "B"], version.id, start_stage="Mixed contrast")
    for day in (2, 3):
        for subject in ("A", "B"):
            ws.import_metrics(_day(tmp_path, subject, day))
        batch = ws.apply(ws.evaluate()).batch
    ws.revert_batch(batch)
    for subject in ("A", "B"):
        running = _running(ws, subject)
        assert running is not None and running.sessions == 1 and running.packed.lists()["accuracy"] == [0.9]


def test_the_last_session_left_after_an_undo_is_found_for_many_subjects_at_once(
    ws: Workspace, version, tmp_path, monkeypatch
) -> None:
    """What a batch undo cuts a history back to: each subject's last evaluated session that the undone
    events did not evaluate, by (date, id), read a chunk of subjects per statement."""
    monkeypatch.setattr(histories, "CHUNK", 2)  # several chunks, one of them short
    ws.register(["A", "B", "C", "D", "E"], version.id, start_stage="Mixed contrast")
    for day in (2, 3):  # A and B: two sessions evaluated one at a time
        for subject in ("A", "B"):
            ws.import_metrics(_day(tmp_path, subject, day))
        ws.apply(ws.evaluate(["A", "B"]))
    for day in (4, 5):  # C: two sessions evaluated together; D and E: none before the last batch
        ws.import_metrics(_day(tmp_path, "C", day))
    ws.apply(ws.evaluate(["C"]))
    for subject in ("A", "B", "C", "D", "E"):
        ws.import_metrics(_day(tmp_path, subject, 9))
    ws.apply(ws.evaluate())
    with ws.read() as conn:
        sessions = conn.execute(
            sa.text(
                "SELECT s.subject_id, m.subject_pk, m.session_date, m.id, m.consumed_by "
                "FROM metrics_sessions m JOIN subjects s ON s.id = m.subject_pk "
                "WHERE m.consumed_by IS NOT NULL"
            )
        ).all()
        last_event = {pk: max(e for _, p, _, _, e in sessions if p == pk) for _, pk, _, _, _ in sessions}
        undone = {pk: [event] for pk, event in last_event.items()}
        found = histories._last_evaluated(conn, undone)
    expected = {}
    for _, pk, day, sid, event in sessions:
        if event not in undone[pk]:
            expected[pk] = max(expected.get(pk, (date.min, 0)), (histories._date(day), sid))
    names = {pk: name for name, pk, _, _, _ in sessions}
    assert {names[pk] for pk in found} == {"A", "B", "C"}  # D and E: nothing evaluated before
    assert found == expected
    assert {names[pk]: day for pk, (day, _) in found.items()} == {
        "A": date(2026, 3, 3),
        "B": date(2026, 3, 3),
        "C": date(2026, 3, 5),
    }


def test_full_chunks_left_unread_are_read_before_an_apply_writes_them_again(
    ws: Workspace, version, tmp_path, monkeypatch
) -> None:
    """A running history loaded without its full chunks (an evaluation that reads only the last items)
    whose apply fills the last chunk: the full ones are read in the apply's transaction and written
    again joined with it, whole."""
    monkeypatch.setattr(histories, "CHUNK_ITEMS", 2)
    ws.register(["A"], version.id, start_stage="Mixed contrast")
    for day in (2, 3, 4):
        ws.import_metrics(_day(tmp_path, "A", day, round(0.8 + day / 100, 2)))
        ws.apply(ws.evaluate(["A"]))
    with ws.read() as conn:
        pk = conn.execute(sa.text("SELECT id FROM subjects WHERE subject_id = 'A'")).scalar_one()
        whole = histories.load(conn, [pk])[pk]
        partial = histories.load(conn, [pk], stored=False)[pk]
    assert whole.packed.lists() == {"accuracy": [0.82, 0.83, 0.84], "trials": [400.0, 400.0, 400.0]}
    assert histories.unread(partial) and not histories.unread(whole)
    assert partial.packed.counts() == {"accuracy": 3, "trials": 3}
    grown = partial.packed.extended(
        {"accuracy": [None, None, 0.84, 0.85, 0.86], "trials": [None] * 2 + [400.0] * 3}, set()
    )
    after = histories.Running(partial.row_version, 5, partial.last, grown)
    assert after.rewrites_full_chunks(everything=False)
    with ws.write() as conn:
        histories.save(conn, {pk: after}, grown=True)
    with ws.read() as conn:
        saved = histories.load(conn, [pk])[pk]
    assert saved.packed.lists() == {
        "accuracy": [0.82, 0.83, 0.84, 0.85, 0.86],
        "trials": [400.0] * 5,
    }


def test_a_re_enrollment_or_a_late_session_rebuilds_from_the_sessions(
    ws: Workspace, version, tmp_path
) -> None:
    ws.register(["A"], version.id, start_stage="Mixed contrast")
    for day in (5, 6):
        ws.import_metrics(_day(tmp_path, "A", day, 0.7))
        ws.apply(ws.evaluate(["A"]))
    ws.import_metrics(_day(tmp_path, "A", 3, 0.5))  # dated before the evaluated ones
    suggestion = ws.evaluate(["A"])[0]
    read = next(c["values"]["accuracy"] for c in suggestion.why if "accuracy" in c["values"])
    assert read == [0.5, 0.7, 0.7]  # the whole history, in date order
    ws.apply([suggestion])
    assert _running(ws, "A").packed.lists()["accuracy"] == [0.5, 0.7, 0.7]
    ws.eject("A", reason="r")
    ws.import_metrics(_day(tmp_path, "A", 7, 0.6))
    ws.reenroll("A", start_stage="Mixed contrast")  # sets the new session aside: history from now on
    assert _running(ws, "A") is None
    ws.import_metrics(_day(tmp_path, "A", 8, 0.95))
    suggestion = ws.evaluate(["A"])[0]
    read = next(c["values"]["accuracy"] for c in suggestion.why if "accuracy" in c["values"])
    assert read == [0.5, 0.7, 0.7, 0.6, 0.95]
    ws.apply([suggestion])
    assert _running(ws, "A").sessions == 5


# --- gaps: a list metric a session did not measure -------------------------------------------------


def test_a_gap_is_said_at_import_and_in_the_why_and_never_reads_another_session(
    ws: Workspace, version, tmp_path
) -> None:
    ws.register(["A"], version.id, start_stage="Warm-up: one side")
    ws.import_metrics(_day(tmp_path, "A", 2, 0.6, 250))
    ws.apply(ws.evaluate(["A"]))
    report = ws.import_metrics(_day(tmp_path, "A", 3, 0.8, ""))  # trials: a blank cell
    assert report.ok and report.imported == 1
    assert [(w.row, w.column) for w in report.warnings] == [(2, "trials")]
    assert "not measured in session d3" in report.warnings[0].problem
    suggestion = ws.evaluate(["A"])[0]
    assert suggestion.notes == (("d3", "trials: not measured in session d3"),)
    assert suggestion.to_json()["notes"] == ["trials: not measured in session d3"]
    # 'mean(last(accuracy, 2)) >= 0.65 and last(trials, 1)[0] >= 200' reads this session's trials: not
    # yesterday's 250; an error instead.
    assert suggestion.error and "None" in suggestion.error and not suggestion.applicable
    read = [c["values"]["trials"] for c in suggestion.why if "trials" in c["values"]]
    assert read and all(v == [250.0, None] for v in read)


def test_rules_leave_gaps_out_of_aggregates(ws: Workspace, version, tmp_path) -> None:
    ws.register(["A"], version.id, start_stage="Two-choice, high contrast")
    for day, accuracy in ((2, 0.7), (3, ""), (4, 0.95)):
        ws.import_metrics(_day(tmp_path, "A", day, accuracy))
    suggestion = ws.evaluate(["A"])[0]
    # 'mean(last(accuracy, 3)) >= 0.8' over [0.9, gap, 0.9]: the mean of what was measured.
    assert suggestion.suggested_stage == "Mixed contrast" and suggestion.error is None
    fired = next(c for c in suggestion.why if c["fired"])
    assert fired["session"] == "d4" and fired["values"]["accuracy"] == [0.7, None, 0.95]
    ws.apply([suggestion])
    event = ws.history("A")[-1]
    assert event.data["notes"] == ["accuracy: not measured in session d3"]


def test_a_long_history_is_kept_short_in_the_why(ws: Workspace, version, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(core_histories, "MAX_SESSIONS", 30)
    ws.register(["A"], version.id, start_stage="Full task")
    first = date(2026, 1, 1)
    rows = [("A", f"s{i}", first + timedelta(days=i), 0.5, 100, 0.05, 0.9, 3) for i in range(40)]
    ws.import_metrics(session_csv(tmp_path / "many.csv", rows))
    suggestion = ws.evaluate(["A"])[0]
    assert len(suggestion.sessions) == 30 and suggestion.waiting == 10
    read = next(c["values"]["accuracy"] for c in reversed(suggestion.why) if "accuracy" in c["values"])
    assert read[0] == "… 21 earlier" and len(read) == 10  # 30 sessions: the last 9 and how many before
    ws.apply([suggestion])
    assert ws.subject("A").pending_sessions == 10 and _running(ws, "A").sessions == 30
    assert ws.evaluate(["A"])[0].sessions == tuple(f"s{i}" for i in range(30, 40))


# --- the migration ------------------------------------------------------------------------------------


def test_the_migration_replays_existing_databases_once(db_url: str, curriculum, tmp_path) -> None:
    engine = create_engine(resolve_url(db_url))
    try:
        migrate.upgrade(engine, "0003")
    finally:
        engine.dispose()
    with Workspace.open(db_url) as ws:  # at head: for the set-up, then taken back to 0003 below
        version = ws.publish(curriculum)
        ws.register(["A", "B"], version.id, start_stage="Mixed contrast")
        for day, accuracy in ((2, 0.8), (3, ""), (4, 0.85)):
            ws.import_metrics(_day(tmp_path, "A", day, accuracy))
        ws.apply(ws.evaluate())
        ws.import_metrics(_day(tmp_path, "A", 5, 0.6))  # pending: not part of the history
        with ws.write() as conn:
            histories.drop(conn, [1, 2])
        expected = json.loads(json.dumps(ws.evaluate(["A"])[0].to_json()))
    engine = create_engine(resolve_url(db_url))
    try:
        migrate.downgrade(engine, "0003")
        with engine.connect() as conn:
            assert "subject_histories" not in sa.inspect(conn).get_table_names()
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    with Workspace.open(db_url) as ws:
        running = _running(ws, "A")
        assert running is not None and running.sessions == 3
        assert running.packed.lists() == {"accuracy": [0.8, None, 0.85], "trials": [400.0] * 3}
        assert _running(ws, "B").sessions == 0
        assert json.loads(json.dumps(ws.evaluate(["A"])[0].to_json())) == expected
        assert all(summary is not None for kind, _, summary in _summaries(ws) if kind != "published")


@pytest.mark.parametrize(
    "series",
    [
        {"accuracy": [0.5, None, 0.75] * 100, "trials": [1, None, 2**40] * 100},
        {"mixed": [1, 2.5, None], "whole": [], "big": [2**70]},
    ],
)
def test_packed_histories_give_back_exactly_what_went_in(ws: Workspace, version, series: dict) -> None:
    ws.register(["A"], version.id)
    with ws.write() as conn:
        histories.save(conn, {1: histories.Running(1, 300, None, histories.Packed.of(series))})
        again = histories.load(conn, [1])[1].packed
    assert again.lists() == series
    assert {n: [type(v) for v in values] for n, values in again.lists().items()} == {
        n: [type(v) for v in values] for n, values in series.items()
    }
    longer = {name: [*values, 3, 4.5] for name, values in series.items()}
    grown = again.extended(longer, set())
    assert grown.lists() == longer
    assert grown.grown and grown.stored == len(again.chunks) - 1  # the full chunks are kept as stored
    with ws.write() as conn:
        histories.save(conn, {1: histories.Running(2, 301, None, grown)})
        assert histories.load(conn, [1])[1].packed.lists() == longer


def test_histories_stored_in_chunks_of_another_size_still_grow_right(monkeypatch) -> None:
    monkeypatch.setattr(histories, "CHUNK_ITEMS", 4)
    packed = histories.Packed.of({"a": [0.5] * 10, "b": [1] * 6})
    assert [c.columns["a"][1] for c in packed.chunks] == [4, 4, 2]
    monkeypatch.setattr(histories, "CHUNK_ITEMS", 8)  # a later version chunks otherwise
    for grown in ({"a": [0.5] * 10 + [0.25], "b": [1] * 6 + [2]}, {"a": [0.5] * 20, "b": [1] * 16}):
        assert packed.extended(grown, set()).lists() == grown


@pytest.mark.parametrize("chunk_items", [4, 64])
def test_the_tails_of_stored_histories_are_their_last_items_at_full_length(
    ws: Workspace, version, monkeypatch, chunk_items: int
) -> None:
    """What the trainer gets when its rules read only the last items: the same length, the same last
    items (at least the whole last chunk, gaps as gaps), None before; whole when nothing would be left
    out, for a name read whole, and for a part stored as JSON. Growing it afterwards stores only the new
    items, never the None placeholders."""
    monkeypatch.setattr(histories, "CHUNK_ITEMS", chunk_items)
    series = {
        "accuracy": [round(0.01 * i, 2) if i % 7 else None for i in range(150)],
        "trials": list(range(150)),
        "mixed": [1, 2.5] * 75,  # JSON: not fixed-width
    }
    ws.register(["A"], version.id)
    with ws.write() as conn:
        histories.save(conn, {1: histories.Running(1, 150, None, histories.Packed.of(series))})
        packed = histories.load(conn, [1])[1].packed
    last_chunk = packed.chunks[-1].columns["accuracy"][1]
    tails = packed.tails({"accuracy": 5, "trials": None, "mixed": 3})
    keep = max(5, last_chunk)
    assert len(tails["accuracy"]) == 150
    assert tails["accuracy"][-keep:] == series["accuracy"][-keep:]
    assert tails["accuracy"][:-keep] == [None] * (150 - keep)
    assert tails["trials"] == series["trials"] and tails["mixed"] == series["mixed"]
    assert packed.tails({"accuracy": 149})["accuracy"][1:] == series["accuracy"][1:]
    assert packed.tails({"accuracy": 150})["accuracy"] == series["accuracy"]
    for more in (0.5, 1):  # 1 in a column of floats: the last chunk is packed again from these lists
        added = {name: [*values, more] for name, values in tails.items()}
        grown = packed.extended(added, set())
        assert grown.lists() == {name: [*values, more] for name, values in series.items()}


# --- position summaries of events (the cohort grid of a large archive) --------------------------------


def _summaries(ws: Workspace) -> list[tuple[str, object, object]]:
    with ws.read() as conn:
        rows = conn.execute(sa.text("SELECT kind, data_json, position_summary FROM events ORDER BY id")).all()
    return [(kind, json.loads(data), summary and read_summary(summary)) for kind, data, summary in rows]


def test_every_writer_keeps_the_position_summary_of_its_events(ws: Workspace, version, tmp_path) -> None:
    from curriculum_gui.store.demo import create_demo
    from curriculum_gui.store.records import POSITION_KINDS, position_summary

    with Workspace.open(tmp_path / "demo.sqlite3", create=True) as demo:
        create_demo(demo)
        batch = demo.apply(demo.evaluate()).batch
        demo.revert_batch(batch)
        demo.revert("M03")
        rows = _summaries(demo)
    assert {kind for kind, _, _ in rows} >= {"enrolled", "applied", "override", "eject", "revert"}
    for kind, data, summary in rows:
        assert summary == (position_summary(kind, data) if kind in POSITION_KINDS else None), kind


def test_an_event_without_a_summary_is_read_from_its_data(ws: Workspace, version, tmp_path) -> None:
    from curriculum_gui.store.context import add_event, now
    from curriculum_gui.store.schema import events as ev_t

    ws.register(["A"], version.id, start_stage="Mixed contrast")
    ws.import_metrics(_day(tmp_path, "A", 2))
    ws.apply(ws.evaluate())
    ws.eject("A", reason="r")
    expected = ws.position_events(["A"])["A"]
    assert [e.kind for e in expected] == ["enrolled", "applied", "eject"]
    assert expected[1].session_stages == ("Mixed contrast",)
    with ws.write() as conn:  # as if their writers had kept no summary
        conn.execute(sa.text("UPDATE event_positions SET summary = NULL"))
    assert ws.position_events(["A"])["A"] == expected
    # Another program's writer: a plain insert into the event log, without a summary. The trigger copies
    # it all the same, and it is read from its data.
    data = {"before_stage": "Mixed contrast", "after_stage": None, "after": {"is_on_curriculum": True}}
    with ws.write() as conn:
        row = conn.execute(sa.text("SELECT id FROM subjects WHERE subject_id = 'A'")).scalar_one()
        conn.execute(
            sa.insert(ev_t).values(
                subject_pk=row, kind="reenroll", at=now(), operator="x", data_json=json.dumps(data)
            )
        )
        add_event(conn, row, "override", "x", "r", {"after_stage": "Full task", "before_stage": None}, now())
    steps = ws.position_events(["A"])["A"]
    assert [(e.kind, e.stage) for e in steps[3:]] == [("reenroll", None), ("override", "Full task")]


def test_a_history_started_again_empty_is_read_from_its_last_chunk_alone(
    ws: Workspace, version, monkeypatch
) -> None:
    """One list metric spans full chunks; a session gives the other as an empty list, so the full chunk
    holds none of its items. Evaluations that leave the full chunk unread must still read it (every
    day, for the whole cohort: it once failed as "the file may be damaged")."""
    from curriculum_gui.core.metrics_import import MetricsRow
    from curriculum_gui.store import metrics

    monkeypatch.setattr(histories, "CHUNK_ITEMS", 16)
    ws.register(["A"], version.id, start_stage="Mixed contrast")
    base = {"accuracy": 0.6, "trials": 300, "bias": 0.1, "weight_fraction": 0.9, "licks_per_reward": 3.0}
    start = date(2026, 1, 5)
    for day in range(1, 33):
        values = {**base, "trials": "[]"} if day == 20 else dict(base)
        metrics.import_rows(ws, [MetricsRow(2, "A", f"s{day}", start + timedelta(days=day), values)])
        suggestions = ws.evaluate()  # the whole cohort, as the Subjects tab does
        assert [s.error for s in suggestions] == [None]
        ws.apply(suggestions)
    running = _running(ws, "A")
    assert running is not None
    assert running.packed.counts() == {"accuracy": 32, "trials": 12}
