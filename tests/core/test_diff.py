"""The structural diff by stable id, and the version it suggests."""

from __future__ import annotations

import pytest

from curriculum_gui.core.diff import Bump, content_key, diff, suggest_version
from curriculum_gui.core.model import (
    Curriculum,
    ExpressionRule,
    Metric,
    MetricType,
    Point,
    Policy,
    PolicyTransition,
    StageTransition,
)


def _edited(curriculum: Curriculum) -> Curriculum:
    return curriculum.model_copy(deep=True)


def test_the_same_curriculum_has_no_changes_whatever_its_layout_and_version(example: Curriculum) -> None:
    moved = _edited(example)
    moved.version = "9.9.9"
    for stage in moved.stages:
        stage.position = Point(x=1234, y=-5)
        for policy in stage.policies:
            policy.position = Point(x=3, y=4)
    result = diff(example, moved)
    assert result.equal and result.bump is Bump.NONE and result.changes == ()
    assert content_key(example) == content_key(moved)
    assert result.describe() == ["old and new are the same curriculum"]


def test_parameter_defaults_and_descriptions_are_a_patch(example: Curriculum) -> None:
    new = _edited(example)
    stage = new.stage("two_choice")
    stage.task.parameters["iti_s"] = 2.5
    stage.description = "now with a longer pause"
    new.stage("contrast").task.parameters["contrast_set"]["lowest"] = 0.4  # nested, path by path
    result = diff(example, new)
    fields = {(c.ref.id, c.field): (c.before, c.after) for c in result.changes}
    assert fields[("two_choice", "parameter iti_s")] == (2.0, 2.5)
    assert fields[("contrast", "parameter contrast_set.lowest")] == (0.5, 0.4)
    assert ("two_choice", "description") in fields
    assert result.bump is Bump.PATCH
    assert suggest_version("1.2.3", result.bump) == "1.2.4"


def test_rules_priorities_and_policies_are_minor(example: Curriculum) -> None:
    new = _edited(example)
    new.stage_transitions[3].rule = ExpressionRule(
        expression="mean(last(accuracy, 3)) >= 0.85 and bias < 0.2"
    )
    # the two transitions out of the warm-up swap priority
    t2 = next(i for i, t in enumerate(new.stage_transitions) if t.id == "t2")
    t3 = next(i for i, t in enumerate(new.stage_transitions) if t.id == "t3")
    new.stage_transitions[t2], new.stage_transitions[t3] = (
        new.stage_transitions[t3],
        new.stage_transitions[t2],
    )
    stage = new.stage("final")
    stage.policies.append(Policy(id="ft_new", name="New", updates=ExpressionRule(expression="iti_s = 3")))
    stage.policy_transitions.append(
        PolicyTransition(
            id="ftp1", source="ft_hold", destination="ft_new", rule=ExpressionRule(expression="True")
        )
    )
    result = diff(example, new)
    texts = [c.describe() for c in result.changes]
    assert (
        "stage transition 'Two-choice, high contrast' → 'Mixed contrast': rule changed: "
        "mean(last(accuracy, 3)) >= 0.8 and bias < 0.2 → mean(last(accuracy, 3)) >= 0.85 and bias < 0.2"
    ) in texts
    reorder = next(c for c in result.changes if c.field == "priority order")
    assert (reorder.ref.kind, reorder.ref.id) == ("stage", "warmup")  # selecting it selects the source
    assert reorder.before == ["Mixed contrast", "Two-choice, high contrast"]
    assert reorder.after == ["Two-choice, high contrast", "Mixed contrast"]
    assert any(
        c.action == "added" and c.kind == "policy" and c.ref.stage_id == "final" for c in result.changes
    )
    assert any(c.action == "added" and c.kind == "policy_transition" for c in result.changes)
    assert result.bump is Bump.MINOR
    assert suggest_version("1.2.3", result.bump) == "1.3.0"


def test_removing_a_stage_or_policy_or_changing_the_start_is_major(example: Curriculum) -> None:
    new = _edited(example)
    new.stages = [s for s in new.stages if s.id != "final"]
    new.stage_transitions = [t for t in new.stage_transitions if "final" not in (t.source, t.destination)]
    result = diff(example, new)
    removed = {(c.kind, c.ref.id) for c in result.changes if c.action == "removed"}
    assert ("stage", "final") in removed and ("stage_transition", "t6") in removed
    assert result.bump is Bump.MAJOR and suggest_version("1.2.3", result.bump) == "2.0.0"

    policy_gone = _edited(example)
    stage = policy_gone.stage("two_choice")
    stage.policies = [p for p in stage.policies if p.id != "tc_bias"]
    stage.policy_transitions = [
        t for t in stage.policy_transitions if "tc_bias" not in (t.source, t.destination)
    ]
    assert diff(example, policy_gone).bump is Bump.MAJOR

    restart = _edited(example)
    restart.start_stage = "warmup"
    change = diff(example, restart).changes[0]
    assert (change.field, change.before, change.after, change.bump) == (
        "start stage",
        "Habituation",
        "Warm-up: one side",
        Bump.MAJOR,
    )


def test_renames_metrics_terminal_flags_and_start_policies(example: Curriculum) -> None:
    new = _edited(example)
    new.stage("warmup").name = "Warm-up"
    new.stage("final").terminal = True
    new.stage("contrast").start_policies = ["mc_ramp"]
    new.metrics.append(Metric(name="rewards", type=MetricType.INTEGER))
    new.metrics = [m for m in new.metrics if m.name != "licks_per_reward"] + [
        Metric(name="licks_per_reward", type=MetricType.NUMBER, unit="licks per reward")
    ]
    result = diff(example, new)
    by_field = {(c.kind, c.action, c.field): c for c in result.changes}
    rename = by_field[("stage", "renamed", "name")]
    assert (rename.before, rename.after) == ("Warm-up: one side", "Warm-up")
    assert rename.describe() == "stage 'Warm-up': renamed 'Warm-up: one side' → 'Warm-up'"
    assert by_field[("stage", "changed", "terminal")].after is True
    start = by_field[("stage", "changed", "start policies")]
    assert (start.before, start.after) == (["Contrast ramp", "Reward shaping"], ["Contrast ramp"])
    assert by_field[("metric", "added", None)].ref.id == "rewards"
    assert by_field[("metric", "changed", "unit")].after == "licks per reward"
    assert result.bump is Bump.MINOR  # a metric removed or retyped would be major
    retyped = _edited(example)
    retyped.metrics[2] = Metric(name=retyped.metrics[2].name, type=MetricType.STRING)
    assert diff(example, retyped).bump is Bump.MAJOR


def test_a_transition_moved_to_another_destination_is_named(example: Curriculum) -> None:
    new = _edited(example)
    new.stage_transitions = [
        StageTransition(
            id=t.id, source=t.source, destination="final" if t.id == "t5" else t.destination, rule=t.rule
        )
        for t in new.stage_transitions
    ]
    (change,) = diff(example, new).changes
    assert change.field == "connects"
    assert (change.before, change.after) == (
        "Mixed contrast → Two-choice, high contrast",
        "Mixed contrast → Full task",
    )


def test_a_field_the_diff_does_not_itemize_still_counts(example: Curriculum) -> None:
    new = _edited(example)
    new.stage("warmup").task.parameters["reward_volume_ul"] = 3.0  # unchanged
    new.metrics = list(reversed(new.metrics))  # order only: not an itemized change
    result = diff(example, new)
    assert not result.equal and result.changes[0].describe() == "curriculum: other fields changed"


def test_json_lists_every_change_with_its_text(example: Curriculum) -> None:
    new = _edited(example)
    new.stage("two_choice").task.parameters["iti_s"] = 2.5
    data = diff(example, new, "A", "B").to_json()
    assert data["old"] == "A" and data["equal"] is False and data["bump"] == "patch"
    assert (
        data["changes"][0]["text"] == "stage 'Two-choice, high contrast': parameter iti_s changed: 2.0 → 2.5"
    )


@pytest.mark.parametrize(
    ("latest", "bump", "expected"),
    [(None, Bump.MINOR, "0.1.0"), ("1.0.0", Bump.NONE, "1.0.0"), ("not-semver", Bump.MAJOR, "not-semver")],
)
def test_suggested_versions(latest: str | None, bump: Bump, expected: str) -> None:
    assert suggest_version(latest, bump) == expected
