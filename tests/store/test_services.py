"""The services the CLI and the GUI share, on SQLite and PostgreSQL (real databases, no mocks)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from curriculum_gui.core.aind_format import AindExportError
from curriculum_gui.core.files import open_curriculum
from curriculum_gui.core.model import Curriculum
from curriculum_gui.store import ConflictError, NotFound, StoreError, SubjectInfo, Workspace, evaluation
from curriculum_gui.store.records import Event

from .conftest import session_csv

AIND = Path(__file__).resolve().parents[1] / "data" / "aind" / "example_project_curriculum.json"


def test_publish_is_idempotent_and_immutable(ws: Workspace, curriculum: Curriculum) -> None:
    first = ws.publish(curriculum, operator="ana")
    assert ws.publish(curriculum) == first
    changed = curriculum.model_copy(update={"description": "edited after publishing"})
    with pytest.raises(StoreError, match="already published with other content"):
        ws.publish(changed)
    second = ws.publish(changed.model_copy(update={"version": "1.1.0"}))
    assert [v.version for v in ws.versions()] == ["1.0.0", "1.1.0"]
    assert ws.find_version(curriculum.name).id == second.id
    assert ws.curriculum(first.id) == curriculum
    with pytest.raises(NotFound, match="no published curriculum 'Nope'"):
        ws.find_version("Nope")


def test_an_invalid_curriculum_is_not_published(ws: Workspace, curriculum: Curriculum) -> None:
    with pytest.raises(StoreError, match="cannot publish"):
        ws.publish(curriculum.model_copy(update={"start_stage": None}))
    assert ws.versions() == []


def test_register_lists_subjects_and_refuses_duplicates_all_or_nothing(ws: Workspace, version) -> None:
    info = SubjectInfo("M1", sex="F", date_of_birth=date(2025, 1, 2), genotype="VGAT-Cre", rig="r1")
    assert ws.register([info, "M2"], version.id, operator="ana") == 2
    with pytest.raises(ConflictError, match=r"already registered.*'M2'"):
        ws.register(["M3", "M2"], version.id)
    rows = ws.subjects()
    assert [r.subject for r in rows] == ["M1", "M2"]
    m1 = rows[0]
    assert (m1.stage, m1.policies, m1.status, m1.last_change) == (
        "Habituation",
        ("Free rewards",),
        "on curriculum",
        "enrolled",
    )
    assert (m1.sex, m1.date_of_birth, m1.genotype, m1.rig, m1.row_version) == (
        "F",
        date(2025, 1, 2),
        "VGAT-Cre",
        "r1",
        1,
    )
    assert m1.parameters["reward_volume_ul"] == 4.0 and m1.last_session_date is None
    assert ws.register(["M4"], version.id, start_stage="Mixed contrast") == 1
    assert ws.subject("M4").stage == "Mixed contrast"
    with pytest.raises(StoreError, match="no stage named 'Nowhere'"):
        ws.register(["M5"], version.id, start_stage="Nowhere")
    assert [e.kind for e in ws.history("M1")] == ["enrolled"]


def test_evaluate_changes_nothing_and_apply_moves_subjects(ws: Workspace, version, tmp_path: Path) -> None:
    ws.register(["A", "B"], version.id)
    rows = [
        ("A", "a1", "2025-03-03", 0.5, 100, 0.3, 0.9, 7),
        ("A", "a2", "2025-03-04", 0.55, 120, 0.3, 0.9, 7),
        ("B", "b1", "2025-03-03", 0.5, 100, 0.3, 0.9, 12),
    ]
    ws.import_metrics(session_csv(tmp_path / "m.csv", rows))
    assert ws.subject("A").status == "new metrics" and ws.subject("A").pending_sessions == 2
    suggestions = {s.subject: s for s in ws.evaluate()}
    assert ws.evaluate() and ws.subject("A").row_version == 1  # nothing changed
    a = suggestions["A"]
    assert a.sessions == ("a1", "a2") and a.stage_changed
    assert (a.current_stage, a.suggested_stage) == ("Habituation", "Warm-up: one side")
    assert a.parameter_changes["reward_volume_ul"] == (4.0, 3.0)
    fired = [c for c in a.why if c["fired"]]
    assert fired[0]["session"] == "a2" and fired[0]["destination"] == "Warm-up: one side"
    assert not suggestions["B"].stage_changed and suggestions["B"].suggested.sessions_total == 1

    result = ws.apply(list(suggestions.values()), operator="ana")
    assert result.applied == 2
    row = ws.subject("A")
    assert (row.stage, row.last_change, row.pending_sessions, row.row_version) == (
        "Warm-up: one side",
        "automatic",
        0,
        2,
    )
    assert row.last_session_date == date(2025, 3, 4)
    event = ws.history("A")[-1]
    assert event.kind == "applied" and event.operator == "ana" and event.batch == result.batch
    assert event.data["sessions"] == ["a1", "a2"] and event.data["why"]
    assert ws.evaluate() == []  # sessions are consumed once
    assert ws.evaluate(["A"]) == []


def test_reject_logs_what_was_suggested_and_changes_nothing(ws: Workspace, version, tmp_path: Path) -> None:
    ws.register(["A"], version.id)
    rows = [
        ("A", "a1", "2025-03-03", 0.5, 100, 0.3, 0.9, 7),
        ("A", "a2", "2025-03-04", 0.55, 120, 0.3, 0.9, 7),
    ]
    ws.import_metrics(session_csv(tmp_path / "m.csv", rows))
    suggestions = ws.evaluate()
    assert ws.reject(suggestions, reason="bias still high", operator="ana") == 1
    row = ws.subject("A")
    assert (row.stage, row.row_version, row.pending_sessions) == ("Habituation", 1, 2)
    event = ws.history("A")[-1]
    assert event.kind == "evaluated" and event.rejected and event.operator == "ana"
    assert event.reason == "bias still high" and event.data["after_stage"] == "Warm-up: one side"
    assert event.data["why"] == suggestions[0].why
    assert "rejected suggestion: Habituation → Warm-up: one side" in event.describe()
    assert [s.suggested for s in ws.evaluate()] == [suggestions[0].suggested]  # still pending
    ws.reject(ws.evaluate())  # no reason: none stored
    assert ws.history("A")[-1].reason is None and ws.history("A")[-1].rejected
    evaluation.record(ws, ws.evaluate())  # a plain record is not a rejection
    assert not ws.history("A")[-1].rejected
    stale = ws.evaluate()
    ws.override("A", "Mixed contrast", reason="by hand", operator="vet")  # another rig, meanwhile
    events = len(ws.history("A"))
    with pytest.raises(ConflictError, match=r"'A'.*nothing was rejected"):
        ws.reject(stale, reason="  ")
    assert len(ws.history("A")) == events
    ws.reject(ws.evaluate(), reason="   ")  # a blank reason is no reason
    assert ws.history("A")[-1].reason is None


def test_a_suggested_change_in_words() -> None:
    def event(kind: str, **data) -> Event:
        return Event(1, "A", kind, datetime(2026, 1, 5, tzinfo=UTC), "ana", None, None, data)

    before = {"active_policies": ["p"]}
    moved = event("evaluated", before_stage="A", after_stage="B: one side", rejected=True)
    assert moved.rejected and moved.suggested_change() == "A → B: one side"
    assert "rejected suggestion: A → B: one side" in moved.describe()
    tuned = event(
        "evaluated",
        before_stage="A",
        after_stage="A",
        before=before,
        after={"active_policies": ["q"]},
        parameter_changes={"x": [1, 2], "y": [0, 1]},
    )
    assert tuned.suggested_change() == "policy change and 2 parameter change(s) in A" and not tuned.rejected
    same = event("applied", before_stage="A", after_stage="A", before=before, after=before, rejected=True)
    assert same.suggested_change() == "stays in A" and not same.rejected  # only an evaluation is rejected


def test_a_stale_suggestion_fails_the_whole_batch(ws: Workspace, version, tmp_path: Path) -> None:
    ws.register(["A", "B", "C"], version.id)
    rows = [(s, "s1", "2025-03-03", 0.5, 100, 0.1, 0.9, 5) for s in "ABC"]
    ws.import_metrics(session_csv(tmp_path / "m.csv", rows))
    suggestions = ws.evaluate()
    ws.eject("B", reason="sick", operator="vet")  # another rig, meanwhile
    with pytest.raises(ConflictError, match="'B'") as info:
        ws.apply(suggestions)
    assert info.value.subjects == ("B",)
    assert [ws.subject(s).row_version for s in "AC"] == [1, 1]
    assert all(e.kind != "applied" for s in "ABC" for e in ws.history(s))
    assert ws.subject("A").pending_sessions == 1


def test_override_eject_reenroll_revert(ws: Workspace, version) -> None:
    ws.register(["M"], version.id)
    with pytest.raises(StoreError, match="needs a reason"):
        ws.override("M", "Mixed contrast", reason="  ")
    row = ws.override(
        "M", "Mixed contrast", ["Reward floor"], {"reward_volume_ul": 2.5}, reason="pilot", operator="ana"
    )
    assert (row.stage, row.policies, row.parameters, row.last_change) == (
        "Mixed contrast",
        ("Reward floor",),
        {"reward_volume_ul": 2.5},
        "manual",
    )
    with pytest.raises(StoreError, match="has no policy 'Nope'"):
        ws.override("M", "Mixed contrast", ["Nope"], reason="x")
    same_stage = ws.override("M", "contrast", reason="same stage, by id")
    assert same_stage.parameters == {"reward_volume_ul": 2.5}  # same stage: parameters kept
    with pytest.raises(StoreError, match="needs a reason"):
        ws.eject("M", reason="")
    assert ws.eject("M", reason="sick").status == "off curriculum"
    with pytest.raises(StoreError, match="already off"):
        ws.eject("M", reason="again")
    with pytest.raises(StoreError, match="re-enroll it first"):
        ws.override("M", "Habituation", reason="x")
    assert ws.reenroll("M", reason="healthy").stage == "Habituation"

    # revert walks back: re-enroll, eject, the second override, the first override; then stops.
    assert ws.revert("M").status == "off curriculum"
    assert ws.revert("M").status == "on curriculum"
    ws.revert("M")
    back = ws.revert("M", reason="wrong mouse")
    assert (back.stage, back.parameters["reward_volume_ul"]) == ("Habituation", 4.0)
    with pytest.raises(StoreError, match="no change to revert"):
        ws.revert("M")
    kinds = [e.kind for e in ws.history("M")]
    assert kinds == ["enrolled", "override", "override", "eject", "reenroll"] + ["revert"] * 4
    assert ws.history("M")[-1].reason == "wrong mouse"


def test_revert_of_an_apply_gives_the_sessions_back(ws: Workspace, version, tmp_path: Path) -> None:
    ws.register(["A"], version.id)
    ws.import_metrics(session_csv(tmp_path / "m.csv", [("A", "s1", "2025-03-03", 0.5, 100, 0.1, 0.9, 5)]))
    ws.apply(ws.evaluate())
    assert ws.subject("A").sessions_total == 1
    row = ws.revert("A")
    assert (row.sessions_total, row.pending_sessions, row.status) == (0, 1, "new metrics")
    assert ws.apply(ws.evaluate()).applied == 1


def test_expected_version_guards_manual_changes(ws: Workspace, version) -> None:
    ws.register(["M"], version.id)
    seen = ws.subject("M").row_version
    ws.override("M", "Warm-up: one side", reason="rig A")
    with pytest.raises(ConflictError, match="changed by someone else"):
        ws.eject("M", reason="rig B", expected_version=seen)
    assert ws.subject("M").on_curriculum


def test_unknown_subject(ws: Workspace, version) -> None:
    for call in (lambda: ws.history("X"), lambda: ws.next_session("X"), lambda: ws.revert("X")):
        with pytest.raises(NotFound, match="no subject 'X'"):
            call()


def test_next_session_and_aind_trainer_state(ws: Workspace, version) -> None:
    ws.register(["M"], version.id)
    ws.override("M", "Mixed contrast", ["Reward shaping"], reason="test")
    plan = ws.next_session("M")
    assert (plan["stage"], plan["task"], plan["active_policies"]) == (
        "Mixed contrast",
        "two_choice",
        ["Reward shaping"],
    )
    assert plan["task_parameters"]["contrast"] == 1.0
    with pytest.raises(
        AindExportError, match=r"^M: no aind TrainerState: its curriculum's rules are expressions"
    ):
        ws.trainer_state("M")
    assert ws.aind_blocker("M") is not None and "\n" not in ws.aind_blocker("M")

    from aind_behavior_curriculum import TrainerState

    aind = ws.publish(open_curriculum(AIND).curriculum)
    ws.register(["P"], aind.id)
    assert ws.aind_blocker("P") is None
    data = ws.trainer_state("P")
    assert data["stage"]["name"] == ws.subject("P").stage and data["is_on_curriculum"] is True
    state = TrainerState.model_validate_json(json.dumps(data))
    assert state.stage is not None and state.stage.name == data["stage"]["name"]
