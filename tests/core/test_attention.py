"""Attention rules through the trainer, stage budgets, the cohort's "slow in stage", and how they are edited,
checked and stored."""

from __future__ import annotations

import json

import pytest

from curriculum_gui.core import edits, native_format
from curriculum_gui.core.attention import (
    OVER_BUDGET,
    RULE,
    SLOW_IN_STAGE,
    attention_metrics,
    highest,
    slow_in_stage,
    slow_threshold,
    sort_alerts,
)
from curriculum_gui.core.errors import EditError
from curriculum_gui.core.histories import replay
from curriculum_gui.core.model import (
    AttentionRule,
    AttentionSeverity,
    Curriculum,
    ExpressionRule,
    Metric,
    MetricType,
    Stage,
    StageTransition,
)
from curriculum_gui.core.problems import ItemRef, Severity
from curriculum_gui.core.rules.check import available_names, check_condition
from curriculum_gui.core.trainer import Trainer
from curriculum_gui.core.validation import validate

ISSUE_EXAMPLES = {
    "stage budget": "sessions_in_stage > 15",
    "losing weight": "weight_fraction < 0.8",
    "not trained": "days_since_last_session >= 3",
    "slipping": "mean(last(accuracy, 3)) < mean(last(accuracy, 10)) - 0.1",
}


def curriculum(**attention: str) -> Curriculum:
    rules = attention or ISSUE_EXAMPLES
    return Curriculum(
        name="C",
        version="1.0.0",
        metrics=[
            Metric(name="accuracy", type=MetricType.NUMBER_LIST),
            Metric(name="weight_fraction"),
        ],
        stages=[
            Stage(id="a", name="A", max_sessions=20),
            Stage(id="g", name="Graduated", terminal=True),
        ],
        stage_transitions=[
            StageTransition(id="t", source="a", destination="g", rule=ExpressionRule(expression="False"))
        ],
        start_stage="a",
        attention_rules=[
            AttentionRule(id=f"r{i}", name=name, rule=ExpressionRule(expression=text))
            for i, (name, text) in enumerate(rules.items())
        ],
    )


def alerts(trainer: Trainer, in_stage: int, metrics: dict, **days: int):
    state = trainer.enroll()._replace(sessions_in_stage=in_stage, sessions_total=in_stage)
    return trainer.attention(state, metrics, **days)


def test_the_issue_examples_flag_through_the_trainer() -> None:
    trainer = Trainer(curriculum())
    assert not [p for p in validate(trainer.curriculum) if p.severity is Severity.ERROR]
    good = {"accuracy": [0.8] * 10, "weight_fraction": 0.9}
    assert alerts(trainer, 3, good, days_since_last_session=1, days_in_stage=3) == []
    slipping = {"accuracy": [0.85] * 7 + [0.6, 0.6, 0.6], "weight_fraction": 0.75}
    found = alerts(trainer, 16, slipping, days_since_last_session=4, days_in_stage=20)
    assert [a.name for a in found] == list(ISSUE_EXAMPLES)
    assert all(a.kind == RULE and a.severity is AttentionSeverity.WARNING for a in found)
    weight = found[1]
    assert weight.values == {"weight_fraction": 0.75}
    assert weight.message == "weight_fraction < 0.8 (weight_fraction = 0.75)"
    assert found[2].values == {"days_since_last_session": 4}
    # mean of the last 3 (0.6) < mean of the last 10 (0.775) - 0.1
    assert found[3].values["accuracy"][-1] == 0.6
    assert found[3].message.endswith("(accuracy = […, 0.85, 0.85, 0.6, 0.6, 0.6])")


def test_attention_never_moves_the_subject_and_skips_an_off_curriculum_one() -> None:
    trainer = Trainer(curriculum())
    state = trainer.enroll()._replace(sessions_in_stage=30)
    before = state.to_json()
    assert trainer.attention(state, {"weight_fraction": 0.5}, days_since_last_session=9)
    assert state.to_json() == before
    assert trainer.attention(state.off_curriculum(), {"weight_fraction": 0.5}) == []


def test_over_budget_is_built_in_from_the_stage_budget() -> None:
    trainer = Trainer(curriculum(quiet="False"))
    assert alerts(trainer, 20, {}) == []  # at the budget: not over it
    (alert,) = alerts(trainer, 21, {})
    assert (alert.kind, alert.severity, alert.name) == (
        OVER_BUDGET,
        AttentionSeverity.CRITICAL,
        "over budget",
    )
    assert alert.message == "21 sessions in A (its budget is 20)"


def test_a_rule_that_reads_an_unmeasured_metric_is_skipped_and_a_failing_one_reported() -> None:
    trainer = Trainer(curriculum(weight="weight_fraction < 0.8", days="days_in_stage > 2"))
    assert alerts(trainer, 1, {}, days_in_stage=1) == []  # no weight yet: nothing to say
    (failed,) = alerts(trainer, 1, {"weight_fraction": "heavy"}, days_in_stage=1)
    assert failed.severity is AttentionSeverity.INFO and failed.error
    assert failed.message.startswith("could not be checked: ")
    (no_days,) = alerts(trainer, 1, {})  # the caller did not give the days: said, not guessed
    assert "days_in_stage" in no_days.error


def test_a_rule_that_does_not_compile_is_reported_not_raised() -> None:
    trainer = Trainer(curriculum(broken="weight_fraction <", empty=""))
    found = alerts(trainer, 1, {"weight_fraction": 1.0})
    assert [a.name for a in found] == ["broken", "empty"]
    assert all(a.severity is AttentionSeverity.INFO for a in found)


def test_days_counters_only_in_attention_rules() -> None:
    metrics = {"accuracy": MetricType.NUMBER_LIST}
    (issue,) = check_condition("days_in_stage > 3", metrics)
    assert "only available in attention rules" in issue.message
    assert (
        check_condition("days_in_stage > 3 and days_since_last_session < 9", metrics, attention_rule=True)
        == []
    )
    (issue,) = check_condition("sessions_in_policy > 1", metrics, attention_rule=True)
    assert "not in attention rules" in issue.message
    names = available_names(metrics, attention_rule=True)
    assert "days_in_stage" in names and "sessions_in_policy" not in names
    assert "days_in_stage" not in available_names(metrics)
    # At run time a transition cannot read them either: a rule error, not a crash.
    c = curriculum(quiet="False")
    c.stage_transitions[0].rule = ExpressionRule(expression="days_in_stage > 1")
    evaluation = Trainer(c).evaluate(Trainer(c).enroll(), {})
    assert evaluation.error and "only available in attention rules" in evaluation.message


def test_validation_of_attention_rules() -> None:
    c = curriculum(ok="weight_fraction < 0.8", typo="wieght < 1", empty="")
    c.attention_rules.append(AttentionRule(id="dup", name="ok", rule=ExpressionRule(expression="True")))
    c.attention_rules.append(AttentionRule(id="noname", name=" ", rule=ExpressionRule(expression="True")))
    problems = [p for p in validate(c) if p.ref.kind == "attention_rule"]
    text = [str(p) for p in problems]
    assert any("unknown name 'wieght'" in t for t in text)
    assert any(p.ref == ItemRef("attention_rule", "r2") and "has no condition" in p.message for p in problems)
    assert any(p.severity is Severity.WARNING and "'ok'" in p.location for p in problems)
    assert any(p.ref.id == "noname" and p.message == "has no name" for p in problems)


def test_edits_of_attention_rules_undo() -> None:
    c = curriculum(quiet="False")
    before = c.model_dump()
    undo_add = edits.add_attention_rule(
        c, "Weight", "weight_fraction < 0.8", AttentionSeverity.CRITICAL
    ).apply(c)
    new = c.attention_rules[-1]
    assert (new.name, new.severity, new.rule.expression) == ("Weight", "critical", "weight_fraction < 0.8")
    with pytest.raises(EditError, match="already used"):
        edits.add_attention_rule(c, "Weight").apply(c)
    undo_sev = edits.set_field("attention_rule", new.id, "severity", "info").apply(c)
    assert c.attention_rules[-1].severity is AttentionSeverity.INFO
    with pytest.raises(EditError, match="invalid severity"):
        edits.set_field("attention_rule", new.id, "severity", "panic").apply(c)
    undo_budget = edits.set_field("stage", "a", "max_sessions", 40).apply(c)
    with pytest.raises(EditError, match="invalid max_sessions"):
        edits.set_field("stage", "a", "max_sessions", 0).apply(c)
    for undo in (undo_budget, undo_sev, undo_add):
        undo.apply(c)
    assert c.model_dump() == before
    undo_remove = edits.remove_attention_rule(c, "r0").apply(c)
    assert c.attention_rules == []
    undo_remove.apply(c)
    assert c.model_dump() == before


def test_native_file_keeps_attention_rules_and_budgets_and_format_1_still_opens(tmp_path) -> None:
    c = curriculum()
    path = tmp_path / "c.json"
    native_format.save(c, path)
    data = json.loads(path.read_text())
    assert data["format_version"] == 2 and data["attention_rules"][0]["rule"]["expression"]
    assert native_format.load(path) == c
    # A format 1 file has neither: it opens, upgraded in memory, with none.
    data["format_version"] = 1
    del data["attention_rules"]
    for stage in data["stages"]:
        del stage["max_sessions"]
    old = native_format.loads(json.dumps(data))
    assert old.attention_rules == [] and all(s.max_sessions is None for s in old.stages)


def test_attention_metrics_read_histories_like_the_trainer() -> None:
    """The histories as the trainer keeps them (gaps included); one with nothing measured is left out,
    so the rules reading it are skipped, unless the latest session gives the metric."""
    latest = {"accuracy": 0.7, "w": 0.9}
    series = replay(
        ["accuracy", "trials"], [{"accuracy": 0.5}, {"accuracy": [0.1, 0.2]}, {}, {"accuracy": 0.7}]
    )
    assert series == {"accuracy": [0.1, 0.2, None, 0.7], "trials": [None, None, None, None]}
    assert attention_metrics(latest, series) == {"accuracy": [0.1, 0.2, None, 0.7], "w": 0.9}
    assert attention_metrics({}, {"accuracy": []}) == {}
    assert attention_metrics({"trials": [3]}, {"trials": [3]}) == {"trials": [3]}


def test_slow_in_stage_by_hand() -> None:
    left = [2, 3, 3, 4, 4, 5, 5, 6, 7, 12]  # 9 of 10 left within 7: the 90th percentile is 7
    assert slow_threshold(left) == 7
    assert slow_in_stage(7, "Warm-up", left) is None
    alert = slow_in_stage(8, "Warm-up", left)
    assert alert.kind == SLOW_IN_STAGE and alert.values == {"sessions_in_stage": 8, "percentile_90": 7}
    assert alert.message == "8 sessions in Warm-up; 90% of the 10 that left it took at most 7"
    assert slow_in_stage(50, "Warm-up", [1, 2, 3, 4]) is None  # too few have left it to know its pace


def test_alerts_sort_most_urgent_first() -> None:
    trainer = Trainer(curriculum(weight="weight_fraction < 0.8"))
    trainer.curriculum.attention_rules[0].severity = AttentionSeverity.INFO
    found = alerts(Trainer(trainer.curriculum), 25, {"weight_fraction": 0.7})
    ordered = sort_alerts(found)
    assert [a.kind for a in ordered] == [OVER_BUDGET, RULE]
    assert highest(ordered) is AttentionSeverity.CRITICAL and highest([]) is None
