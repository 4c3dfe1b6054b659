"""Trust and the aind-backed runner for Python references."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from curriculum_gui.core.files import open_curriculum
from curriculum_gui.core.python_rules import (
    AindRuleRunner,
    PythonRuleFailed,
    PythonRuleUnavailable,
    Trust,
    modules_referenced,
    references,
    runner_for,
    split_reference,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "aind"
EP = "example_project.curriculum"
EP2 = "example_project_2.curriculum"


def test_split_reference_as_aind() -> None:
    assert split_reference("a.b.c.fn") == ("a.b.c", "fn")
    assert split_reference("__main__.fn") == ("__main__", "fn")
    assert split_reference("fn") == ("", "fn")


def test_modules_referenced_and_references() -> None:
    c = open_curriculum(DATA / "example_project_curriculum.json").curriculum
    assert modules_referenced(c) == [EP]
    refs = references(c)
    assert f"{EP}.t2_10_rule" in refs and f"{EP}.stageB_policyA_rule" in refs
    assert len(refs) == len(set(refs))
    main = open_curriculum(DATA / "example_project_curriculum_as_script_main_refs.json").curriculum
    assert modules_referenced(main) == ["__main__"]


def test_trust_is_explicit_and_covers_submodules() -> None:
    assert not Trust().allows(EP)
    assert Trust.everything().allows("anything.at.all")
    t = Trust.of(["example_project"])
    assert t.allows(EP) and t.allows("example_project")
    assert not t.allows("example_project_2.curriculum")
    assert not t.allows("example")
    c = open_curriculum(DATA / "example_project_curriculum.json").curriculum
    assert Trust().untrusted(c) == [EP]
    assert t.untrusted(c) == []


def test_untrusted_module_is_not_imported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "untrusted_cg_mod.py").write_text(
        f"open({str(marker)!r}, 'w')\ndef go(m):\n    return True\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    runner = AindRuleRunner(trust=Trust.of(["other"]))
    with pytest.raises(PythonRuleUnavailable, match="not trusted") as info:
        runner.condition("untrusted_cg_mod.go", {})
    assert "--trust-module untrusted_cg_mod" in str(info.value)
    assert not marker.exists()
    assert "untrusted_cg_mod" not in sys.modules


def test_conditions_run_as_aind_with_metrics_object() -> None:
    runner = AindRuleRunner(trust=Trust.of(["example_project"]))
    assert runner.condition(f"{EP}.t2_10_rule", {"theta_2": 11}) is True
    assert runner.condition(f"{EP}.t2_10_rule", {"theta_2": 10}) is False
    # The annotated Metrics subclass gives its defaults, as aind's own metrics objects do.
    assert runner.condition(f"{EP}.t2_5_rule", {}) is False
    assert runner.condition(f"{EP}.t1_5_rule", {"theta_1": 6}) is True


@pytest.mark.parametrize(
    ("value", "why"),
    [(6.0, "valid integer (got 6.0)"), ("6", 'valid integer (got "6")'), (None, "valid integer (got null)")],
)
def test_metrics_the_class_refuses_are_refused_in_one_line(value, why) -> None:
    """As aind reads metrics (strict): no silent fallback to a plain Metrics object."""
    from curriculum_gui.core.aind_metrics import MetricsRejected

    runner = AindRuleRunner(trust=Trust.of(["example_project"]))
    with pytest.raises(MetricsRejected) as info:
        runner.condition(f"{EP}.t1_5_rule", {"theta_1": value})
    message = str(info.value)
    assert "\n" not in message and "ExampleMetrics" in message and "theta_1" in message and why in message


def test_policies_get_the_task_and_return_plain_parameters() -> None:
    runner = AindRuleRunner(trust=Trust.of(["example_project", "example_project_2"]))
    params = {"field_a": 0}
    out = runner.update(f"{EP}.stageA_policyA_rule", {}, "Task A", params)
    assert out == {"field_a": 8}
    assert params == {"field_a": 0}  # the input is not modified
    out2 = runner.update(f"{EP2}.policy_1_rule", {"m1": 1}, "DummyTask", {"field_1": 5, "field_2": 0})
    assert out2 == {"field_1": 10, "field_2": 0}
    assert isinstance(out2, dict) and type(out2["field_1"]) is int


def test_policy_with_unknown_task_name_uses_plain_aind_task() -> None:
    runner = AindRuleRunner(trust=Trust.everything())
    # The function is annotated with TaskA (name "Task A"); another name falls back to aind's plain Task.
    out = runner.update(f"{EP}.stageA_policyB_rule", {}, "Something else", {"field_a": 1, "extra": "kept"})
    assert out == {"field_a": 16, "extra": "kept"}


def test_unimportable_and_missing_references() -> None:
    runner = AindRuleRunner(trust=Trust.everything())
    with pytest.raises(PythonRuleUnavailable, match="cannot be imported"):
        runner.condition("no_such_pkg_cg.mod.fn", {})
    with pytest.raises(PythonRuleUnavailable, match="has no 'nope'"):
        runner.condition(f"{EP}.nope", {})
    with pytest.raises(PythonRuleUnavailable, match="not a function"):
        runner.condition(f"{EP}.GRADUATED", {})  # a Stage instance, not callable
    with pytest.raises(PythonRuleUnavailable, match=r"module\.function"):
        runner.condition("fn", {})


def test_import_failure_inside_module_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "broken_cg_mod.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    runner = AindRuleRunner(trust=Trust.everything())
    with pytest.raises(PythonRuleUnavailable, match="importing 'broken_cg_mod' failed: RuntimeError: boom"):
        runner.condition("broken_cg_mod.go", {})


def test_errors_in_user_functions_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "faulty_cg_mod.py").write_text(
        "def bad(metrics):\n    return metrics.missing_metric > 1\n"
        "def nottask(metrics, task):\n    return 3\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    runner = AindRuleRunner(trust=Trust.everything())
    with pytest.raises(PythonRuleFailed, match="AttributeError"):
        runner.condition("faulty_cg_mod.bad", {"x": 1})
    with pytest.raises(PythonRuleFailed, match="must return a Task"):
        runner.update("faulty_cg_mod.nottask", {}, "T", {})


def test_main_references_unavailable_without_a_stand_in() -> None:
    runner = runner_for(trust_all=True)
    with pytest.raises(PythonRuleUnavailable, match="__main__") as info:
        runner.condition("__main__.t2_10_rule", {"theta_2": 20})
    assert "--python-main" in str(info.value)


def test_main_references_resolve_to_a_given_module() -> None:
    runner = runner_for(main=EP)  # naming the stand-in trusts it
    assert runner.condition("__main__.t2_10_rule", {"theta_2": 20}) is True
    assert runner.update("__main__.stageB_policyB_rule", {}, "Task B", {"field_b": 0.0}) == {"field_b": 16.0}


def test_main_references_resolve_to_a_given_file(tmp_path: Path) -> None:
    script = tmp_path / "build_curriculum.py"
    script.write_text(
        "from aind_behavior_curriculum import Metrics, Task\n"
        "def rule(metrics: Metrics) -> bool:\n    return metrics.a > 1\n"
        "def pol(metrics: Metrics, task: Task) -> Task:\n"
        "    task = task.model_copy(deep=True)\n    task.task_parameters.k = metrics.a * 2\n    return task\n"
        "if __name__ == '__main__':\n    raise SystemExit('must not run as a script here')\n"
    )
    runner = runner_for(main=script)
    assert runner.condition("__main__.rule", {"a": 2}) is True
    assert runner.update("__main__.pol", {"a": 3}, "T", {"k": 0}) == {"k": 6}
    with pytest.raises(PythonRuleUnavailable, match="does not exist"):
        runner_for(main=tmp_path / "nope.py").condition("__main__.rule", {})


def test_check_lists_unavailable_references() -> None:
    c = open_curriculum(DATA / "example_project_curriculum_as_script_main_refs.json").curriculum
    missing = runner_for(trust_all=True).check(c)
    assert set(missing) == set(references(c))
    assert runner_for(main=EP).check(c) == {}
    assert (
        runner_for(modules=["example_project"]).check(
            open_curriculum(DATA / "example_project_curriculum.json").curriculum
        )
        == {}
    )


def test_without_aind_installed_running_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aind_behavior_curriculum", None)  # import now raises ImportError
    runner = AindRuleRunner(trust=Trust.everything())
    with pytest.raises(PythonRuleUnavailable, match=r"pip install 'curriculum-gui\[aind\]'"):
        runner.condition(f"{EP}.t2_10_rule", {})
    # ... while opening, validating and exporting still work
    from curriculum_gui.core import aind_format
    from curriculum_gui.core.validation import validate

    c = open_curriculum(DATA / "example_project_curriculum.json").curriculum
    validate(c)
    aind_format.curriculum_to_aind_data(c)
