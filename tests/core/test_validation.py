"""Validation finds each kind of problem, pointing at the item, and stays quiet on a good curriculum."""

from __future__ import annotations

from curriculum_gui.core import edits as E
from curriculum_gui.core.model import Curriculum, ExpressionRule, Policy, Stage, StageTransition
from curriculum_gui.core.problems import ItemRef, Severity
from curriculum_gui.core.validation import is_always_true, validate


def _messages(c: Curriculum) -> list[str]:
    return [str(p) for p in validate(c)]


def test_bundled_example_is_clean(example: Curriculum) -> None:
    assert validate(example) == []


def test_no_start_stage(example: Curriculum) -> None:
    example.start_stage = None
    problems = validate(example)
    assert any(p.severity is Severity.ERROR and "no start stage" in p.message for p in problems)


def test_duplicates_and_dangling_references() -> None:
    c = Curriculum(
        stages=[Stage(id="a", name="A"), Stage(id="a", name="A"), Stage(id="b", name="B", terminal=True)],
        stage_transitions=[StageTransition(id="t", source="a", destination="zz")],
        start_stage="a",
    )
    text = "\n".join(_messages(c))
    assert "stage id 'a': error: is used twice" in text
    assert "stage name 'A': error: is used twice" in text
    assert "its destination 'zz' is not a stage of this curriculum" in text


def test_unreachable_and_dead_end(example: Curriculum) -> None:
    E.add_stage(example, "Orphan").apply(example)
    problems = [p for p in validate(example) if "'Orphan'" in p.location]
    assert {p.message for p in problems} == {
        "unreachable from the start stage",
        "has no way out and is not marked terminal (e.g. Graduated)",
    }
    assert all(p.severity is Severity.WARNING for p in problems)
    assert problems[0].ref.kind == "stage"


def test_terminal_stage_needs_no_way_out(example: Curriculum) -> None:
    assert example.stage("graduated").terminal
    assert not [p for p in validate(example) if "Graduated" in p.location]


def test_shadowed_transition_is_a_warning(example: Curriculum) -> None:
    E.set_rule("stage_transition", "t2", ExpressionRule(expression="True")).apply(example)
    problems = [p for p in validate(example) if "can never fire" in p.message]
    assert len(problems) == 1
    assert problems[0].ref == ItemRef("stage_transition", "t3")
    assert "'Warm-up: one side' → 'Two-choice, high contrast'" in problems[0].location


def test_always_true_is_conservative() -> None:
    def rule(text: str) -> ExpressionRule:
        return ExpressionRule(expression=text)

    assert is_always_true(rule("True"))
    assert is_always_true(rule("1 < 2 and not False"))
    assert not is_always_true(rule("accuracy > 0.5"))
    assert not is_always_true(rule("'a' == 'a'"))  # strings are not folded
    assert not is_always_true(rule("9**9**9 > 1"))  # no arithmetic is evaluated at all
    assert not is_always_true(rule(""))


def test_policy_graph_problems(example: Curriculum) -> None:
    stage = example.stage("two_choice")
    stage.start_policies = ["nope"]
    stage.policies.append(Policy(id="tc_hold2", name="Hold"))
    text = "\n".join(_messages(example))
    assert (
        "stage 'Two-choice, high contrast': error: start policy 'nope' does not exist in this stage" in text
    )
    assert "policy name 'Hold': error: is used twice" in text


def test_bad_version_and_metric_name(example: Curriculum) -> None:
    example.version = "one"
    example.metrics[0].name = "not valid"
    text = "\n".join(_messages(example))
    assert "'one' is not a semantic version" in text
    assert "a metric name must be a valid identifier" in text
