"""A whole-number task parameter stays whole: the rig reads an integer (and aind's task models refuse a
fraction there). Checked when the rule is written, and again when it runs."""

from __future__ import annotations

import pytest

from curriculum_gui.core.model import Curriculum, ExpressionRule, Policy, Stage, Task
from curriculum_gui.core.rules import RuleError, check_update
from curriculum_gui.core.rules.compiler import Context, compile_update
from curriculum_gui.core.trainer import Trainer

PARAMS = {"block_length": 40, "volume": 3.0, "group": {"trials": 10}, "flag": True}


def apply(text: str, params: dict | None = None) -> dict:
    new, _ = compile_update(text).apply(Context({}, {"sessions_in_policy": 1}), dict(params or PARAMS))
    return new


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("block_length = block_length / 2", 20),
        ("block_length *= 1.5", 60),
        ("block_length = 12.0", 12),
        ("group.trials = group.trials / 5", {"trials": 2}),
        ("block_length = round(block_length / 3)", 13),
        ("block_length = block_length // 3", 13),
    ],
)
def test_a_whole_result_is_stored_as_a_whole_number(text: str, expected) -> None:
    new = apply(text)
    key = "group" if text.startswith("group") else "block_length"
    assert new[key] == expected and type(new[key]) is type(expected)


@pytest.mark.parametrize(
    "text",
    [
        "block_length = block_length / 3",
        "block_length = 2.5",
        "block_length *= 1.01",
        "group.trials = group.trials / 3",
        "block_length = block_length / 0.7",
    ],
)
def test_a_fraction_for_a_whole_number_is_a_rule_error(text: str) -> None:
    with pytest.raises(RuleError, match="holds whole numbers"):
        apply(text)


def test_a_number_parameter_takes_fractions_as_before() -> None:
    assert apply("volume = volume / 3")["volume"] == pytest.approx(1.0)
    assert apply("volume = 2")["volume"] == 2


def test_the_editor_refuses_what_can_give_a_fraction() -> None:
    problems = {
        text: [issue.message for issue in check_update(text, {}, PARAMS)]
        for text in (
            "block_length = block_length / 3",
            "block_length /= 2",
            "block_length = 2.5",
            "group.trials = 7.5",
            "block_length = block_length // 3",
            "block_length = round(block_length / 3)",
            "block_length = 12.0",
            "volume = volume / 3",
        )
    }
    assert "'/' can give a fraction: use '//' or round()" in problems["block_length = block_length / 3"][0]
    assert "'/='" in problems["block_length /= 2"][0]
    assert "gives a fraction (2.5)" in problems["block_length = 2.5"][0]
    assert "group.trials holds whole numbers" in problems["group.trials = 7.5"][0]
    for fine in (
        "block_length = block_length // 3",
        "block_length = round(block_length / 3)",
        "block_length = 12.0",
        "volume = volume / 3",
    ):
        assert problems[fine] == [], fine


def test_the_trainer_reports_it_and_leaves_the_subject_where_it_was() -> None:
    stage = Stage(
        id="s",
        name="S",
        task=Task(name="t", parameters={"block_length": 40}),
        policies=[
            Policy(id="p", name="shorter", updates=ExpressionRule(expression="block_length = 2.5")),
            Policy(id="q", name="halve", updates=ExpressionRule(expression="block_length = 20.0")),
        ],
        start_policies=["p"],
    )
    trainer = Trainer(Curriculum(name="c", stages=[stage], start_stage="s"))
    state = trainer.enroll()
    e = trainer.evaluate(state, {})
    assert e.error and e.state is state and "holds whole numbers" in e.message
    assert e.why[-1].error and "2.5" in e.why[-1].error
    halved = trainer.evaluate(state._replace(active_policies=("q",), sessions_in_policy={"q": 0}), {})
    assert not halved.error and halved.state.parameters == {"block_length": 20}
    assert type(halved.state.parameters["block_length"]) is int
