"""Edit-time checks: against declared metrics and parameters, with columns and did-you-mean."""

from __future__ import annotations

from curriculum_gui.core import native_format
from curriculum_gui.core.model import (
    Curriculum,
    ExpressionRule,
    Metric,
    Policy,
    PolicyTransition,
    Stage,
    StageTransition,
    Task,
)
from curriculum_gui.core.problems import Severity
from curriculum_gui.core.rules import (
    FUNCTIONS,
    available_names,
    check_condition,
    check_update,
    function_docs,
    rule_problems,
)
from curriculum_gui.core.validation import validate
from tests.conftest import DATA, EXAMPLES

METRICS = {
    "accuracy": "number_list",
    "bias": "number",
    "trials": "number_list",
    "ok": "boolean",
    "mouse": "string",
}


def messages(issues):
    return [i.message for i in issues]


def test_clean_conditions():
    for text in [
        "mean(last(accuracy, 2)) >= 0.85 and sessions_in_stage >= 2",
        "last(trials, 1)[0] >= 200",
        "min(last(trials, 5)) >= 300",
        "ok and mouse == 'm1'",
        "bias > 0.3 or sessions_total > 10",
    ]:
        assert check_condition(text, METRICS) == [], text
    assert check_condition("sessions_in_policy >= 2", METRICS, policy_rule=True) == []


def test_unknown_name_with_did_you_mean_and_span():
    (issue,) = check_condition("mean(last(acuracy, 2)) > 0.8", METRICS)
    assert "unknown name 'acuracy'" in issue.message
    assert "did you mean 'accuracy'?" in issue.message
    assert (issue.line, issue.col, issue.end_col) == (1, 10, 17)


def test_condition_must_be_boolean():
    (issue,) = check_condition("mean(accuracy)", METRICS)
    assert "must be true or false" in issue.message and "a number" in issue.message
    assert check_condition("mouse", METRICS)[0].message.endswith("this gives text")


def test_type_errors_are_reported():
    assert any("cannot compare" in m for m in messages(check_condition("mouse > 3", METRICS)))
    assert any("'and' needs true/false" in m for m in messages(check_condition("bias and ok", METRICS)))
    assert any("needs a list" in m for m in messages(check_condition("mean(bias) > 1", METRICS)))
    assert any("cannot combine" in m for m in messages(check_condition("mouse + 1 > 2", METRICS)))
    assert any(
        "only a list or text can be indexed" in m for m in messages(check_condition("bias[0] > 1", METRICS))
    )


def test_policy_only_names_in_stage_transitions():
    assert "only available in policy rules" in check_condition("sessions_in_policy > 1", METRICS)[0].message
    assert "only available in policy rules" in check_condition("ramp(0, 1, over=3) > 0.5", METRICS)[0].message


def test_syntax_and_whitelist_errors_become_issues():
    (issue,) = check_condition("bias > 0.3 and open('x')", METRICS)
    assert issue.col == 15 and "not a rule function" in issue.message
    (issue,) = check_condition("", METRICS)
    assert "empty" in issue.message


def test_names_may_be_a_plain_list():
    assert check_condition("a > 1 and b", ["a", "b"]) == []
    assert "did you mean 'alpha'" in check_condition("alpah > 1", ["alpha"])[0].message


PARAMS = {
    "reward_volume": 3.0,
    "auto_reward": True,
    "contrast_set": {"lowest": 0.5, "levels": 4},
    "label": "x",
}


def test_updates():
    assert check_update("reward_volume = clamp(reward_volume - 0.1, 1.5, 3.0)", METRICS, PARAMS) == []
    assert check_update("contrast_set.lowest -= 0.1\ncontrast_set.levels = 5", METRICS, PARAMS) == []
    assert check_update("reward_volume = ramp(3.0, 2.0, over=5)\nauto_reward = False", METRICS, PARAMS) == []
    assert check_update("", METRICS, PARAMS) == []
    issues = check_update(
        "reward_volum = 1\ncontrast_set.lowset = 1\ncontrast_set = 1\nauto_reward = 'no'", METRICS, PARAMS
    )
    assert [i.line for i in issues] == [1, 2, 3, 4]
    assert "did you mean 'reward_volume'" in issues[0].message
    assert "did you mean 'lowest'" in issues[1].message
    assert "group of parameters" in issues[2].message
    assert "true/false" in issues[3].message
    assert "cannot combine" in check_update("label += 1", METRICS, PARAMS)[0].message
    assert (
        "attribute access on values" in check_update("reward_volume = bias.real", METRICS, PARAMS)[0].message
    )


def test_update_reads_parameters_and_metrics_with_a_warning_for_both():
    (issue,) = check_update(
        "reward_volume = reward_volume + bias", {**METRICS, "reward_volume": "number"}, PARAMS
    )
    assert issue.severity == "warning"


def test_completion_helpers():
    names = available_names(METRICS, policy_rule=True, parameters=PARAMS)
    assert (
        "accuracy" in names
        and "contrast_set.lowest" in names
        and "ramp" in names
        and "sessions_in_policy" in names
    )
    assert "sessions_in_policy" not in available_names(METRICS)
    assert (
        set(function_docs())
        == set(FUNCTIONS)
        == {
            "mean",
            "median",
            "min",
            "max",
            "sum",
            "len",
            "abs",
            "round",
            "all",
            "any",
            "clamp",
            "last",
            "ramp",
        }
    )


def test_the_example_curriculum_is_clean():
    curriculum = native_format.load(EXAMPLES / "two_choice_visual.json")
    assert rule_problems(curriculum) == []
    assert [p for p in validate(curriculum) if p.severity is Severity.ERROR] == []


def test_the_aind_equivalents_are_clean():
    for path in sorted((DATA / "aind_equivalents").glob("*.json")):
        assert rule_problems(native_format.load(path)) == [], path.name


def test_rule_problems_join_validate_with_locations_and_refs():
    curriculum = Curriculum(
        name="c",
        metrics=[Metric(name="accuracy", type="number_list"), Metric(name="sessions_total")],
        stages=[
            Stage(
                id="a",
                name="A",
                task=Task(parameters={"volume": 3.0}),
                policies=[
                    Policy(id="p1", name="P1", updates=ExpressionRule(expression="volme = 2")),
                    Policy(id="p2", name="P2"),
                ],
                policy_transitions=[
                    PolicyTransition(
                        id="pt", source="p1", destination="p2", rule=ExpressionRule(expression="acuracy")
                    )
                ],
                start_policies=["p1"],
            ),
            Stage(id="b", name="B", terminal=True),
        ],
        stage_transitions=[
            StageTransition(
                id="t", source="a", destination="b", rule=ExpressionRule(expression="mean(accuracy)")
            )
        ],
        start_stage="a",
    )
    problems = [p for p in validate(curriculum) if p.severity is Severity.ERROR]
    by_kind = {p.ref.kind: p for p in problems}
    assert "must be true or false" in by_kind["stage_transition"].message
    assert by_kind["stage_transition"].location == "stage transition 'A' → 'B'"
    assert by_kind["policy_transition"].ref.stage_id == "a"
    assert "did you mean 'accuracy'" in by_kind["policy_transition"].message
    assert "did you mean 'volume'" in by_kind["policy"].message
    assert "counter" in by_kind["metric"].message


def test_what_cannot_be_computed_is_refused_when_checked():
    """Constant parts are computed when the rule is compiled: validate refuses what could never run."""
    params = {"reward_volume_ul": 3.0, "label": "a"}
    for text, fragment in [
        ("reward_volume_ul = 9**9**9", "power too large"),
        ("reward_volume_ul = 1 / 0", "division by zero"),
        ("label = 'a' * 10**9", "repetition too long"),
    ]:
        issues = check_update(text, METRICS, params)
        assert len(issues) == 1 and fragment in issues[0].message, (text, messages(issues))
        assert issues[0].col == text.index("=") + 2  # the right-hand side
    assert "power too large" in messages(check_condition("bias > 9**9**9", METRICS))[0]
    assert check_update("reward_volume_ul = 2**10", METRICS, params) == []


def test_validate_refuses_a_rule_that_cannot_compile():
    curriculum = native_format.load(EXAMPLES / "two_choice_visual.json")
    curriculum.stages[0].policies[1].updates = ExpressionRule(expression="reward_volume_ul = 9**9**9")
    errors = [p for p in validate(curriculum) if p.severity is Severity.ERROR]
    assert len(errors) == 1 and "power too large (more than 4096 bits)" in str(errors[0])


def test_did_you_mean_searches_are_bounded_per_curriculum():
    """20,000 metrics and rules naming hundreds of unknown names took 66 s: the searches are now few."""
    metrics = [Metric(name=f"metric_{i}") for i in range(1_000)]
    rule = " and ".join(f"metrik_{i} > 0" for i in range(200))
    stage = Stage(id="s", name="S")
    curriculum = Curriculum(
        metrics=metrics,
        stages=[stage, Stage(id="t", name="T", terminal=True)],
        stage_transitions=[
            StageTransition(id=f"x{i}", source="s", destination="t", rule=ExpressionRule(expression=rule))
            for i in range(20)
        ],
        start_stage="s",
    )
    problems = rule_problems(curriculum)
    unknown = [p for p in problems if "unknown name" in str(p)]
    assert len(unknown) == 20 * 200  # every unknown name is still reported
    suggested = [p for p in unknown if "did you mean" in str(p)]
    assert 0 < len(suggested) <= 30
    assert "did you mean 'metric_0'?" in str(unknown[0])
