"""Publishing with checks, the published versions with their subjects, and moving subjects to another
version as one undoable batch (real SQLite files and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from curriculum_gui.core.model import Curriculum
from curriculum_gui.store import ConflictError, NotFound, StoreError, Workspace

from .conftest import session_csv


def _v2(curriculum: Curriculum) -> Curriculum:
    """A minor edit: a stricter rule and a new parameter in the two-choice stage."""
    edit = curriculum.model_copy(deep=True)
    edit.version = "1.1.0"
    next(
        t for t in edit.stage_transitions if t.id == "t4"
    ).rule.expression = "mean(last(accuracy, 3)) >= 0.85 and bias < 0.2"
    edit.stage("two_choice").task.parameters["lapse_rate"] = 0.05
    return edit


def test_publish_preview_says_what_changed_and_suggests_the_version(
    ws: Workspace, curriculum: Curriculum
) -> None:
    first = ws.publish_preview(curriculum)
    assert first.previous is None and first.diff is None and first.suggested == "1.0.0"
    assert first.refused is None and first.existing is None
    ws.publish(curriculum, operator="ana")

    again = ws.publish_preview(curriculum)
    assert again.existing is not None and again.same and again.refused is None
    assert again.diff is not None and again.diff.equal

    edit = _v2(curriculum)
    edit.version = "1.0.0"  # forgot to change the version
    clash = ws.publish_preview(edit)
    assert clash.existing is not None and not clash.same
    assert clash.suggested == "1.1.0" and clash.diff is not None and clash.diff.bump.label == "minor"
    assert "already published with other content" in clash.refused and "suggested: 1.1.0" in clash.refused
    with pytest.raises(
        StoreError, match=r"cannot publish .* 1\.0\.0: version 1\.0\.0 .* \(suggested: 1\.1\.0\)"
    ):
        ws.publish(edit)

    broken = curriculum.model_copy(deep=True)
    broken.version = "1.2.0"
    broken.start_stage = "nope"
    with pytest.raises(StoreError, match="validation errors"):
        ws.publish(broken)
    assert [v.version for v in ws.versions()] == ["1.0.0"]


def test_the_same_content_with_another_layout_is_already_published(
    ws: Workspace, curriculum: Curriculum
) -> None:
    from curriculum_gui.core.model import Point

    version = ws.publish(curriculum)
    moved = curriculum.model_copy(deep=True)
    moved.stages[0].position = Point(x=999, y=999)
    assert ws.publish(moved) == version and len(ws.versions()) == 1


def test_version_summaries_count_subjects_now_and_ever(ws: Workspace, curriculum: Curriculum) -> None:
    v1 = ws.publish(curriculum)
    v2 = ws.publish(_v2(curriculum))
    ws.register(["A", "B", "C"], v1.id)
    plan = ws.plan_migration(v2.id, ["A", "B"])
    ws.migrate(plan, operator="ana", reason="new rule")
    counts = {s.record.version: (s.subjects_now, s.subjects_ever) for s in ws.version_summaries()}
    assert counts == {"1.0.0": (1, 3), "1.1.0": (2, 2)}
    assert ws.find_ref("Two-choice visual discrimination@1.0.0") == v1
    assert ws.find_ref("Two-choice visual discrimination") == v2  # the latest
    with pytest.raises(NotFound):
        ws.find_ref("Two-choice visual discrimination@9.9.9")
    with pytest.raises(StoreError, match="write NAME@VERSION"):
        ws.find_ref("x@")


def test_migration_keeps_parameters_counters_and_is_one_undoable_batch(
    ws: Workspace, curriculum: Curriculum, tmp_path: Path
) -> None:
    v1 = ws.publish(curriculum)
    v2 = ws.publish(_v2(curriculum))
    ws.register(["A", "B", "Z"], v1.id)
    ws.override(
        "A",
        "Two-choice, high contrast",
        parameters={**curriculum.stage("two_choice").task.parameters, "block_length": 30},
        reason="pilot",
    )
    ws.import_metrics(session_csv(tmp_path / "m.csv", [("B", "B1", "2025-03-03", 0.9, 300, 0.05, 0.9, 2)]))
    before = {s: ws.subject(s) for s in "ABZ"}

    plan = ws.plan_migration(v2.id, from_version_id=v1.id)
    assert plan.ready and [m.moved.subject for m in plan.moves] == ["A", "B", "Z"]
    a = next(m for m in plan.moves if m.moved.subject == "A").moved
    assert a.after.parameters["block_length"] == 30 and a.after.parameters["lapse_rate"] == 0.05
    assert a.parameter_changes == {"lapse_rate": (None, 0.05)}
    assert {s: ws.subject(s) for s in "ABZ"} == before  # a dry run writes nothing

    result = ws.migrate(plan, operator="ana", reason="stricter two-choice rule")
    assert result.moved == ("A", "B", "Z") and result.target == v2
    row = ws.subject("A")
    assert (row.curriculum_version, row.stage, row.parameters["block_length"]) == (
        "1.1.0",
        before["A"].stage,
        30,
    )
    assert row.sessions_total == before["A"].sessions_total and row.last_change == "manual"
    assert ws.subject("B").pending_sessions == 1  # pending sessions wait for the new version's trainer
    event = ws.history("A")[-1]
    assert (event.kind, event.reason, event.operator, event.batch) == (
        "migrated",
        "stricter two-choice rule",
        "ana",
        result.batch,
    )
    assert event.data["from_curriculum"].endswith("1.0.0") and event.data["to_curriculum"].endswith("1.1.0")
    assert "moved from Two-choice visual discrimination 1.0.0 to Two-choice visual discrimination 1.1.0" in (
        event.describe()
    )
    assert ws.batch_subjects(result.batch) == ["A", "B", "Z"]

    undone = ws.revert_batch(result.batch, reason="too early", operator="bob")
    assert undone.reverted == ("A", "B", "Z")
    for s in "ABZ":
        row = ws.subject(s)
        assert (row.curriculum_version, row.stage, row.parameters) == (
            "1.0.0",
            before[s].stage,
            before[s].parameters,
        )
        assert ws.history(s)[-1].data["reverted_kind"] == "migrated"


def test_one_subject_of_a_migration_reverts_alone(ws: Workspace, curriculum: Curriculum) -> None:
    v1 = ws.publish(curriculum)
    v2 = ws.publish(_v2(curriculum))
    ws.register(["A", "B"], v1.id)
    ws.migrate(ws.plan_migration(v2.id, ["A", "B"]))
    ws.revert("A")
    assert ws.subject("A").curriculum_version == "1.0.0" and ws.subject("B").curriculum_version == "1.1.0"


def test_a_subject_changed_since_the_preview_is_a_conflict_and_nothing_moves(
    ws: Workspace, curriculum: Curriculum
) -> None:
    v1 = ws.publish(curriculum)
    v2 = ws.publish(_v2(curriculum))
    ws.register(["A", "B", "C"], v1.id)
    plan = ws.plan_migration(v2.id, from_version_id=v1.id)
    ws.eject("B", reason="sick")  # another rig, meanwhile
    with pytest.raises(ConflictError, match=r"'B'.*nothing was moved") as caught:
        ws.migrate(plan)
    assert caught.value.subjects == ("B",)
    assert {ws.subject(s).curriculum_version for s in "ABC"} == {"1.0.0"}
    assert all(e.kind != "migrated" for s in "ABC" for e in ws.history(s))


def test_what_the_target_lacks_must_be_mapped(ws: Workspace, curriculum: Curriculum) -> None:
    v1 = ws.publish(curriculum)
    v3 = curriculum.model_copy(deep=True)
    v3.version = "2.0.0"
    stage = v3.stage("contrast")
    stage.id = "mixed"
    stage.policies = [p for p in stage.policies if p.id != "mc_reward"]
    stage.start_policies = ["mc_ramp"]
    stage.policy_transitions = []
    for t in v3.stage_transitions:
        t.source = "mixed" if t.source == "contrast" else t.source
        t.destination = "mixed" if t.destination == "contrast" else t.destination
    v3_id = ws.publish(v3).id
    ws.register(["A", "B"], v1.id)
    ws.override("A", "Mixed contrast", reason="pilot")

    plan = ws.plan_migration(v3_id, ["A", "B"])
    assert not plan.ready and [m.moved.subject for m in plan.moves] == ["B"]
    (needed,) = plan.needed
    assert (needed.kind, needed.label, needed.subjects) == ("stage", "stage 'Mixed contrast'", ("A",))
    with pytest.raises(StoreError, match=r"stage 'Mixed contrast' has no counterpart .* map it first"):
        ws.migrate(plan)

    still = ws.plan_migration(v3_id, ["A", "B"], mapping=["Mixed contrast=mixed"])
    assert [n.label for n in still.needed] == ["policy 'Reward shaping' of stage 'Mixed contrast'"]
    ready = ws.plan_migration(v3_id, ["A", "B"], mapping=["Mixed contrast=mixed", "Reward shaping=-"])
    assert ready.ready
    ws.migrate(ready)
    assert ws.subject("A").stage == "Mixed contrast" and ws.state("A").active_policies == ("mc_ramp",)
    with pytest.raises(StoreError, match="--map 'Nothing=mixed': names nothing"):
        ws.plan_migration(v3_id, ["B"], mapping=["Nothing=mixed"])
    with pytest.raises(NotFound, match="'nobody'"):
        ws.plan_migration(v3_id, ["nobody"])
    already = ws.plan_migration(v3_id, ["A"])
    assert already.moves == () and already.skipped == (
        ("A", "already on Two-choice visual discrimination 2.0.0"),
    )
