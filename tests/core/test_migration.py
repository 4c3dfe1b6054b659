"""Moving a subject's state to another curriculum version: by id, by hand, never guessed."""

from __future__ import annotations

import pytest

from curriculum_gui.core.migration import (
    DROP,
    Mapping,
    Migration,
    MigrationError,
    carry_parameters,
    parameter_changes,
    parse_mapping,
)
from curriculum_gui.core.model import Curriculum
from curriculum_gui.core.trainer import SubjectState, Trainer


def _v2(example: Curriculum) -> Curriculum:
    """Version 2: 'Two-choice' becomes 'tc2' (a new id), its 'Bias correction' policy is gone, and the
    mixed-contrast stage gets a new parameter and a whole-number block length default."""
    new = example.model_copy(deep=True)
    new.version = "2.0.0"
    stage = new.stage("two_choice")
    stage.id = "tc2"
    stage.policies = [p for p in stage.policies if p.id != "tc_bias"]
    stage.policy_transitions = []
    for t in new.stage_transitions:
        t.source = "tc2" if t.source == "two_choice" else t.source
        t.destination = "tc2" if t.destination == "two_choice" else t.destination
    contrast = new.stage("contrast")
    contrast.task.parameters["lapse_rate"] = 0.1
    contrast.task.parameters["iti_s"] = "long"  # another type: current values cannot stay
    return new


def test_carry_keeps_compatible_values_and_takes_new_defaults() -> None:
    defaults = {"a": 1, "b": 2.0, "c": True, "d": "x", "e": [1], "g": {"h": 1, "i": 2}, "n": None, "new": 5}
    current = {"a": 3.0, "b": 4, "c": False, "d": "y", "e": [2, 3], "g": {"h": 9}, "n": "set", "gone": 1}
    assert carry_parameters(current, defaults) == {
        "a": 3,  # whole stays whole
        "b": 4,
        "c": False,
        "d": "y",
        "e": [2, 3],
        "g": {"h": 9, "i": 2},  # groups merge key by key
        "n": "set",
        "new": 5,
    }
    incompatible = {"a": 2.5, "b": True, "c": 1, "d": 3, "e": "no", "g": 1}
    assert carry_parameters(incompatible, defaults) == {**defaults}
    assert parameter_changes({"a": 1, "g": {"h": 1}}, {"a": 1.0, "g": {"h": 2}, "z": 0}) == {
        "a": (1, 1.0),
        "g.h": (1, 2),
        "z": (None, 0),
    }


def test_stages_and_policies_with_the_same_id_move_without_a_mapping(example: Curriculum) -> None:
    new = _v2(example)
    trainer = Trainer(example)
    state = trainer.enroll("contrast")._replace(
        parameters={**example.stage("contrast").task.parameters, "reward_volume_ul": 2.4, "iti_s": 3.0},
        sessions_total=30,
        sessions_in_stage=4,
        sessions_in_policy={"mc_ramp": 4, "mc_reward": 2},
    )
    migration = Migration(example, new)
    assert migration.needed({"M1": state}) == []
    moved = migration.move("M1", state)
    after = moved.after
    assert (after.stage_id, after.active_policies) == ("contrast", ("mc_ramp", "mc_reward"))
    assert after.parameters["reward_volume_ul"] == 2.4  # kept
    assert after.parameters["lapse_rate"] == 0.1 and after.parameters["iti_s"] == "long"  # new defaults
    assert (after.sessions_total, after.sessions_in_stage, dict(after.sessions_in_policy)) == (
        30,
        4,
        {"mc_ramp": 4, "mc_reward": 2},
    )
    assert moved.parameter_changes == {"iti_s": (3.0, "long"), "lapse_rate": (None, 0.1)}
    reset = Migration(example, new, reset_parameters=True).move("M1", state).after
    assert reset.parameters == new.stage("contrast").task.parameters


def test_what_has_no_counterpart_must_be_mapped_by_hand(example: Curriculum) -> None:
    new = _v2(example)
    on_tc = SubjectState("two_choice", ("tc_bias",), {"block_length": 30}, True, 12, 3, {"tc_bias": 2})
    migration = Migration(example, new)
    needed = migration.needed({"M1": on_tc, "M2": on_tc})
    assert [(n.kind, n.stage_id, n.subjects) for n in needed] == [("stage", "two_choice", ("M1", "M2"))]
    with pytest.raises(MigrationError, match=r"on stage 'Two-choice, high contrast', which .* does not have"):
        migration.move("M1", on_tc)

    staged = Migration(example, new, Mapping({"two_choice": "tc2"}))
    (policy,) = staged.needed({"M1": on_tc})
    assert (policy.kind, policy.policy_id, policy.label) == (
        "policy",
        "tc_bias",
        "policy 'Bias correction' of stage 'Two-choice, high contrast'",
    )
    dropped = Migration(example, new, Mapping({"two_choice": "tc2"}, {("two_choice", "tc_bias"): DROP}))
    after = dropped.move("M1", on_tc).after
    assert (after.stage_id, after.active_policies, after.parameters["block_length"]) == ("tc2", (), 30)
    held = Migration(example, new, Mapping({"two_choice": "tc2"}, {("two_choice", "tc_bias"): "tc_hold"}))
    after = held.move("M1", on_tc).after
    assert (after.active_policies, dict(after.sessions_in_policy)) == (("tc_hold",), {"tc_hold": 2})


def test_mappings_from_the_command_line(example: Curriculum) -> None:
    new = _v2(example)
    mapping = parse_mapping(
        ["Two-choice, high contrast=tc2", "two_choice/Bias correction=Hold", "tc_unbias=-"], example, new
    )
    assert dict(mapping.stages) == {"two_choice": "tc2"}
    assert dict(mapping.policies) == {("two_choice", "tc_bias"): "tc_hold", ("two_choice", "tc_unbias"): DROP}
    with pytest.raises(MigrationError, match="has no stage or policy 'Nope'"):
        parse_mapping(["Nope=tc2"], example, new)
    with pytest.raises(MigrationError, match="write OLD=NEW"):
        parse_mapping(["two_choice"], example, new)
    with pytest.raises(MigrationError, match="a stage must be mapped to a stage"):
        parse_mapping(["two_choice=-"], example, new)
    with pytest.raises(MigrationError, match="names a policy in several stages"):
        parse_mapping(["Hold=Hold"], example, new)  # 'Hold' is in two stages of the example
    with pytest.raises(MigrationError, match="has no stage 'tc_hold'"):
        parse_mapping(["two_choice=tc_hold"], example, new)
    with pytest.raises(MigrationError, match="has no stage with id 'zz'"):
        Migration(example, new, Mapping({"two_choice": "zz"}))
