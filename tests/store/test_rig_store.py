"""The store at the rig, on both backends: weights and the weight fraction the rules read, the threshold
and held-back promotions, rigs and the schedule, the run sheet, notes, single parameters, send to rig."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from curriculum_gui.core.schedule import ScheduleEntry
from curriculum_gui.store import ConflictError, NotFound, StoreError, SubjectInfo, Workspace

DAY = date(2025, 3, 3)  # a Monday
HEADER = "subject,session,date,accuracy,trials,bias,licks_per_reward"


def _csv(path: Path, lines: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def _on_mixed_contrast(ws: Workspace, version, subject: str, baseline: float | None = 25.0) -> None:
    ws.register([SubjectInfo(subject, rig="rig-1", baseline_weight_g=baseline)], version.id, operator="t")
    ws.override(subject, "Mixed contrast", ["Contrast ramp", "Reward shaping"], reason="test", operator="t")


def test_weight_fraction_is_computed_for_the_rules_from_the_weight_and_the_baseline(
    ws: Workspace, version, tmp_path: Path
) -> None:
    _on_mixed_contrast(ws, version, "LIGHT")
    _on_mixed_contrast(ws, version, "FINE")
    ws.record_weight("LIGHT", 19.0, DAY, operator="tech")  # 0.76 of 25 g
    ws.record_weight("FINE", 23.0, DAY, operator="tech")  # 0.92
    rows = ["LIGHT,s1,2025-03-03,0.7,300,0.1,4", "FINE,s1,2025-03-03,0.7,300,0.1,4"]
    assert ws.import_metrics(_csv(tmp_path / "m.csv", rows)).ok
    by = {s.subject: s for s in ws.evaluate()}
    light, fine = by["LIGHT"], by["FINE"]
    assert light.error is None and fine.error is None
    assert "Reward floor" in light.suggested_policies and "Reward floor" not in fine.suggested_policies
    check = next(c for c in light.why if c["rule"] == "weight_fraction < 0.8")
    assert check["values"] == {"weight_fraction": 0.76} and check["fired"] is True
    # The plots read the same computed value.
    assert ws.sessions("LIGHT")[0].values["weight_fraction"] == 0.76
    # A corrected baseline counts from then on (nothing was stored): 19 g of 20 g is 0.95.
    ws.set_baseline("LIGHT", 20.0, reason="baseline re-measured", operator="vet")
    light = next(s for s in ws.evaluate(["LIGHT"]))
    assert "Reward floor" not in light.suggested_policies
    event = ws.history("LIGHT")[-1]
    assert (event.kind, event.operator, event.reason) == ("baseline", "vet", "baseline re-measured")
    assert event.data == {"before_g": 25.0, "after_g": 20.0}


def test_a_session_that_gives_its_own_weight_fraction_keeps_it(
    ws: Workspace, version, tmp_path: Path
) -> None:
    _on_mixed_contrast(ws, version, "M1")
    ws.record_weight("M1", 19.0, DAY, operator="tech")
    path = _csv(
        tmp_path / "m.csv",
        ["M1,s1,2025-03-03,0.7,300,0.1,0.95,4"],
        HEADER.replace("bias", "bias,weight_fraction"),
    )
    assert ws.import_metrics(path).ok
    (s,) = ws.evaluate()
    assert "Reward floor" not in s.suggested_policies


def test_weights_come_in_with_the_metrics_file_once(ws: Workspace, version, tmp_path: Path) -> None:
    _on_mixed_contrast(ws, version, "M1")
    header = HEADER + ",weight_g"
    path = _csv(tmp_path / "m.csv", ["M1,s1,2025-03-03,0.7,300,0.1,4,19.5"], header)
    report = ws.import_metrics(path)
    assert report.ok and report.imported == 1
    assert [(w.grams, w.session, w.source) for w in ws.weights("M1")] == [(19.5, "s1", "import")]
    again = ws.import_metrics(path)
    assert (again.imported, again.already_there, again.ok) == (0, 1, True)
    assert len(ws.weights("M1")) == 1
    other = _csv(tmp_path / "o.csv", ["M1,s1,2025-03-03,0.7,300,0.1,4,21"], header)
    report = ws.import_metrics(other)
    assert [str(b) for b in report.bad] == [
        "row 2, column 'weight_g': already imported as 19.5 g (kept as it was)"
    ]
    bad = _csv(tmp_path / "b.csv", ["M1,s2,2025-03-04,0.7,300,0.1,4,heavy"], header)
    report = ws.import_metrics(bad)
    assert report.imported == 0 and "weight_g" in str(report.bad[0]) and "grams" in str(report.bad[0])
    assert len(ws.sessions("M1")) == 1  # the bad row's session is not half-imported


def test_weights_status_threshold_and_voiding(ws: Workspace, version) -> None:
    ws.register([SubjectInfo("M1", baseline_weight_g=25.0), "M2"], version.id, operator="t")
    assert ws.weight_threshold() == 0.8
    first = ws.record_weight("M1", 22.0, date(2025, 3, 1), operator="a")
    ws.record_weight("M1", 19.0, date(2025, 3, 2), operator="b")
    status = ws.weight_status()
    assert (status["M1"].last_g, status["M1"].fraction, status["M1"].underweight) == (19.0, 0.76, True)
    assert status["M2"].baseline_g is None and not status["M2"].underweight
    ws.set_weight_threshold(0.75, operator="pi")
    assert ws.weight_threshold() == 0.75 and not ws.weight_status(["M1"])["M1"].underweight
    with pytest.raises(StoreError, match="fraction of baseline"):
        ws.set_weight_threshold(80)
    last = ws.weights("M1")[-1]
    ws.void_weight(last.id, operator="b")
    assert [w.grams for w in ws.weights("M1")] == [22.0]
    assert [w.voided for w in ws.weights("M1", include_voided=True)] == [False, True]
    with pytest.raises(NotFound):
        ws.void_weight(last.id)
    with pytest.raises(sa.exc.DatabaseError, match="never deleted"), ws.engine.begin() as conn:
        conn.execute(sa.text(f"DELETE FROM weights WHERE id = {first.id}"))
    with pytest.raises(StoreError, match="between 0 and"):
        ws.record_weight("M1", -3)
    with pytest.raises(StoreError, match="needs a reason"):
        ws.set_baseline("M1", 24.0)  # changing a baseline
    assert ws.set_baseline("M2", "23.5 g", operator="t").baseline_weight_g == 23.5  # the first: no reason


def test_an_underweight_promotion_is_held_back_and_an_accepted_one_is_recorded(
    ws: Workspace, version, tmp_path: Path
) -> None:
    for subject in ("THIN", "OK"):
        ws.register([SubjectInfo(subject, baseline_weight_g=25.0)], version.id, operator="t")
        ws.override(subject, "Warm-up: one side", reason="test", operator="t")
    ws.record_weight("THIN", 18.0, DAY, operator="t")
    ws.record_weight("OK", 24.0, DAY, operator="t")
    lines = [f"{s},s1,2025-03-03,0.9,300,0.1,4" for s in ("THIN", "OK")]
    ws.import_metrics(_csv(tmp_path / "m.csv", lines))
    suggestions = ws.evaluate()
    assert all(s.stage_changed for s in suggestions)
    held = ws.held_back(suggestions)
    assert set(held) == {"THIN"} and "72% of baseline" in held["THIN"]
    thin = [s for s in suggestions if s.subject == "THIN"]
    note = {"THIN": {"underweight_accepted": {"weight_fraction": 0.72, "threshold": 0.8}}}
    ws.apply(thin, operator="alice", notes=note)
    event = ws.history("THIN")[-1]
    assert event.kind == "applied" and event.operator == "alice"
    assert event.data["underweight_accepted"] == {"weight_fraction": 0.72, "threshold": 0.8}


def test_rigs_and_the_schedule(ws: Workspace, version) -> None:
    ws.register([SubjectInfo(s, rig="rig-1") for s in ("A", "B", "C")] + ["D"], version.id, operator="t")
    assert [r.name for r in ws.rigs()] == ["rig-1"]
    ws.set_rig("rig-2", export_folder="/data/rig-2/in", watch_folder="/data/rig-2/out", operator="t")
    assert ws.rig("rig-2").watch_folder == "/data/rig-2/out" and ws.rig("rig-9").export_folder is None
    ws.set_schedule(
        [ScheduleEntry("A", "rig-2", "1010100", 2), ScheduleEntry("B", "rig-2", "1111100", 1)], operator="t"
    )
    assert {(e.subject, e.slot) for e in ws.schedule()} == {("A", 2), ("B", 1)}
    monday = [(rig, row.subject) for rig, _slot, row in ws.day_plan(DAY)]
    assert monday == [("rig-1", "C"), ("rig-2", "B"), ("rig-2", "A")]  # C: no schedule, its own rig
    tuesday = [(rig, row.subject) for rig, _slot, row in ws.day_plan(date(2025, 3, 4), "rig-2")]
    assert tuesday == [("rig-2", "B")]
    with pytest.raises(NotFound, match="unknown subject"):
        ws.set_schedule([ScheduleEntry("NOBODY", "rig-1", "1111100")])
    with pytest.raises(StoreError, match="'A' is on 'rig-1' and 'rig-2' on Mon"):
        ws.set_schedule([ScheduleEntry("A", "rig-1", "1000000"), ScheduleEntry("A", "rig-2", "1100000")])
    assert len(ws.schedule()) == 2  # nothing of a refused schedule was written


def test_the_run_sheet_lists_every_mouse_with_its_parameters_and_weight(ws: Workspace, version) -> None:
    ws.register(
        [SubjectInfo("A", rig="rig-1", baseline_weight_g=25.0), SubjectInfo("B", rig="rig-1")], version.id
    )
    ws.record_weight("A", 19.0, DAY, operator="t")
    ws.eject("B", reason="sick", operator="t")
    sheet = ws.run_sheet(DAY)
    a, b = sheet
    assert (a.subject, a.stage, a.underweight, a.last_weight_g) == ("A", "Habituation", True, 19.0)
    assert a.parameters == ws.subject("A").parameters and a.policies == ("Free rewards",)
    assert not b.on_curriculum
    assert ws.run_sheet(DAY, "rig-2") == []


def test_single_parameters_are_checked_against_the_stage_and_reverted_like_an_override(
    ws: Workspace, version
) -> None:
    ws.register(["M1"], version.id, operator="t")
    ws.override("M1", "Mixed contrast", reason="test", operator="t")
    row = ws.subject("M1")
    after = ws.set_parameters(
        "M1",
        {"block_length": 30.0, "reward_volume_ul": 2, "contrast_set.lowest": 0.4},
        reason="mouse disengaged",
        operator="alice",
        expected_version=row.row_version,
    )
    assert after.parameters["block_length"] == 30 and isinstance(after.parameters["block_length"], int)
    assert after.parameters["reward_volume_ul"] == 2.0 and isinstance(
        after.parameters["reward_volume_ul"], float
    )
    assert after.parameters["contrast_set"] == {"lowest": 0.4, "levels": 4}
    assert after.stage == row.stage and after.policies == row.policies
    event = ws.history("M1")[-1]
    assert (event.kind, event.operator, event.reason) == ("override", "alice", "mouse disengaged")
    assert event.data["parameters_set"]["block_length"] == [40, 30]
    for changes, message in [
        ({"block_length": 30.5}, "whole number"),
        ({"auto_reward": "no"}, "true/false"),
        ({"licks": 3}, "no parameter 'licks'"),
        ({"contrast_set": {}}, "group"),
        ({"block_length": 30}, "already have these values"),
    ]:
        with pytest.raises(StoreError, match=message):
            ws.set_parameters("M1", changes, reason="x")
    with pytest.raises(StoreError, match="needs a reason"):
        ws.set_parameters("M1", {"block_length": 20}, reason=" ")
    with pytest.raises(ConflictError):
        ws.set_parameters("M1", {"block_length": 20}, reason="x", expected_version=row.row_version)
    assert ws.revert("M1", operator="alice").parameters == row.parameters


def test_notes_are_kept_and_withdrawn_in_the_history(ws: Workspace, version) -> None:
    ws.register(["M1"], version.id, operator="t")
    note = ws.add_note("M1", "  licked the spout dry  ", operator="bob")
    event = ws.history("M1")[-1]
    assert (event.id, event.kind, event.reason, event.operator) == (
        note,
        "note",
        "licked the spout dry",
        "bob",
    )
    ws.withdraw_note(note, operator="bob")
    assert ws.history("M1")[-1].data == {"withdraws": note, "note": "licked the spout dry"}
    with pytest.raises(StoreError, match="withdrawn already"):
        ws.withdraw_note(note)
    with pytest.raises(StoreError, match="needs some text"):
        ws.add_note("M1", "   ")
    assert ws.subject("M1").row_version == 1  # a note moves nothing


def test_send_to_rig_writes_the_next_session_atomically_and_records_it(
    ws: Workspace, version, tmp_path: Path
) -> None:
    ws.register(["M/1"], version.id, operator="t")
    folder = tmp_path / "rig-1"
    folder.mkdir()
    result = ws.send_to_rig("M/1", folder, rig="rig-1", operator="carol")
    written = json.loads((folder / "M_1.json").read_text(encoding="utf-8"))
    assert written["task_parameters"] == ws.subject("M/1").parameters
    assert (written["stage"], written["sent_by"], written["rig"]) == ("Habituation", "carol", "rig-1")
    assert result.files == (str(folder / "M_1.json"),)  # expression rules: no aind TrainerState
    assert result.aind_problem and "aind" in result.aind_problem.lower()
    assert sorted(p.name for p in folder.iterdir()) == ["M_1.json"]  # no temporary file left behind
    event = ws.history("M/1")[-1]
    assert (event.kind, event.operator, event.data["rig"]) == ("sent", "carol", "rig-1")
    assert event.data["next_session"]["task_parameters"] == written["task_parameters"]
    with pytest.raises(StoreError, match="does not exist"):
        ws.send_to_rig("M/1", tmp_path / "nowhere")
    ws.eject("M/1", reason="x", operator="t")
    with pytest.raises(StoreError, match="off curriculum"):
        ws.send_to_rig("M/1", folder)


def test_a_workspace_that_asks_for_an_operator_never_signs_with_the_login_name(
    ws: Workspace, version
) -> None:
    ws.register(["M1"], version.id, operator="t")
    ws.ask_operator = True
    with pytest.raises(StoreError, match="choose who you are"):
        ws.eject("M1", reason="x")
    assert ws.subject("M1").on_curriculum
    ws.operator = "dana"
    ws.eject("M1", reason="x")
    assert ws.history("M1")[-1].operator == "dana"


def test_the_change_watcher_sees_another_connection_commit(ws: Workspace, version, db_url: str) -> None:
    with ws.change_watcher() as watcher:
        assert watcher.poll() is False
        with Workspace.open(db_url) as other:
            other.register(["M1"], version.id, operator="t")
        import time

        deadline = time.monotonic() + 5
        while not watcher.poll():
            assert time.monotonic() < deadline, "no change seen"
            time.sleep(0.02)
        assert watcher.poll() is False  # seen once


def test_the_postgresql_listener_comes_back_after_losing_its_connection(
    pg_url: str, curriculum, monkeypatch
) -> None:
    import time

    from curriculum_gui.store import changes

    monkeypatch.setattr(changes, "RECONNECT_SECONDS", 0.0)
    with Workspace.open(pg_url) as ws, ws.change_watcher() as watcher:
        pid = watcher._conn.info.backend_pid
        with ws.engine.begin() as conn:
            conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
        deadline = time.monotonic() + 20
        while not watcher.poll():  # the loss is noticed, the connection opened again (off this thread)
            assert time.monotonic() < deadline, "the listener did not come back"
            time.sleep(0.05)
        assert watcher._conn.info.backend_pid != pid
        ws.publish(curriculum, operator="t")
        while not watcher.poll():
            assert time.monotonic() < deadline, "no change seen after the reconnection"
            time.sleep(0.05)


def test_parameters_set_by_hand_are_held_to_a_tasks_limits(ws: Workspace, curriculum) -> None:
    """The rig tab's parameter override and an override with parameters: a list parameter given a value
    nested 40 deep or 60,000 items long is one line, and nothing is written (issue 18.1)."""
    stage = next(s for s in curriculum.stages if s.name == "Mixed contrast")
    stage.task.parameters["positions"] = [1.0, 2.0]
    version = ws.publish(curriculum, operator="t")
    ws.register(["M1"], version.id, operator="t", start_stage="Mixed contrast")
    before = ws.subject("M1")
    deep: list = [1.0]
    for _ in range(40):
        deep = [deep]
    for value, words in [(deep, "nested more than 32 levels deep"), ([0.5] * 60_000, "parameter values")]:
        with pytest.raises(StoreError, match=words) as caught:
            ws.set_parameters("M1", {"positions": value}, reason="typed at the rig", operator="t")
        assert "\n" not in str(caught.value) and "nothing was changed" in str(caught.value)
        with pytest.raises(StoreError, match=words):
            ws.override("M1", "Mixed contrast", parameters={"positions": value}, reason="r", operator="t")
    assert ws.subject("M1").row_version == before.row_version
    assert (
        ws.set_parameters("M1", {"positions": [0.5] * 1_000}, reason="ok", operator="t").parameters[
            "positions"
        ]
        == [0.5] * 1_000
    )


def test_an_operator_name_that_cannot_be_stored_is_refused_on_every_write(ws: Workspace, version) -> None:
    """Who signs is text a person gave: a NUL or a lone surrogate in it is one line and nothing is written,
    whichever write it signs (all sign through ``who``): given with the change, or chosen on this computer."""
    for bad in ("ana\x00", "ana\udc80"):
        with pytest.raises(StoreError, match="the operator name") as caught:
            ws.register(["M9"], version.id, operator=bad)
        assert "nothing was changed" in str(caught.value)
        ws.operator = bad  # the name chosen on this computer is checked the same way
        with pytest.raises(StoreError, match="the operator name"):
            ws.register(["M9"], version.id)
        ws.operator = None
    assert [r.subject for r in ws.subjects()] == []
