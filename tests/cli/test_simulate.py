"""`curriculum-gui simulate FILE --metrics METRICS.jsonl [--start-stage NAME]`."""

from __future__ import annotations

import json

import pytest

from curriculum_gui.cli import main
from tests.conftest import DATA, EXAMPLES

EXAMPLE = str(EXAMPLES / "two_choice_visual.json")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def write(tmp_path, lines):
    path = tmp_path / "metrics.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_enrolls_then_one_line_per_session(tmp_path, capsys):
    session = {"licks_per_reward": 5, "accuracy": [0.5], "trials": [100], "bias": 0.1, "weight_fraction": 0.9}
    metrics = write(tmp_path, [json.dumps(session), "", json.dumps(session), json.dumps(session)])
    code, lines, err = run(capsys, "simulate", EXAMPLE, "--metrics", metrics)
    assert code == 0 and err == ""
    assert len(lines) == 4
    first = lines[0]
    assert first == {
        "stage": "Habituation",
        "active_policies": ["Free rewards"],
        "task_parameters": {"reward_volume_ul": 4.0, "free_reward_interval_s": 15.0, "session_minutes": 20},
        "is_on_curriculum": True,
        "why": [],
    }
    assert lines[1]["stage"] == "Habituation"
    assert [c["kind"] for c in lines[1]["why"]] == ["stage_transition", "policy_transition"]
    assert lines[2]["stage"] == "Warm-up: one side" and lines[2]["why"][0]["fired"] is True
    assert lines[2]["task_parameters"]["auto_reward"] is True
    assert set(lines[3]) == {"stage", "active_policies", "task_parameters", "is_on_curriculum", "why"}


def test_start_stage_by_name_and_sorted_policy_names(tmp_path, capsys):
    metrics = write(tmp_path, [json.dumps({"m1": 0, "m2": 0})])
    code, lines, _ = run(
        capsys, "simulate", str(DATA / "aind_equivalents" / "tree.json"), "--metrics", metrics
    )
    assert code == 0 and lines[0]["active_policies"] == ["policy_1_rule", "policy_2_rule", "policy_3_rule"]
    metrics = write(tmp_path, [json.dumps({"theta_1": 0, "theta_2": 0, "theta_3": 6})])
    code, lines, _ = run(
        capsys,
        "simulate",
        str(DATA / "aind_equivalents" / "example_project.json"),
        "--metrics",
        metrics,
        "--start-stage",
        "StageB",
    )
    assert code == 0 and lines[0]["stage"] == "StageB" and lines[0]["task_parameters"] == {"field_b": 0.0}
    assert lines[1]["active_policies"] == ["stageB_policyA_rule"] and lines[1]["task_parameters"] == {
        "field_b": 8
    }


def test_a_rule_error_keeps_the_subject_and_exits_1(tmp_path, capsys):
    metrics2 = write(
        tmp_path, [json.dumps({"licks_per_reward": 5}), json.dumps({"licks_per_reward": 5}), json.dumps({})]
    )
    code, lines, err = run(capsys, "simulate", EXAMPLE, "--metrics", metrics2, "--start-stage", "warmup")
    assert code == 1
    assert all(line["stage"] == "Warm-up: one side" for line in lines)
    assert lines[1]["why"][-1]["error"] and "missing" in lines[1]["why"][-1]["error"]
    assert "line 1" in err and err.count("\n") == 1


def test_bad_input_is_one_line_on_stderr_exit_2(tmp_path, capsys):
    cases = [
        (['{"a": 1}', "{not json"], "line 2"),
        (["[1, 2]"], "line 1: expected a JSON object"),
        (['{"a": NaN}'], "line 1"),
    ]
    for content, fragment in cases:
        code, _, err = run_raw(capsys, "simulate", EXAMPLE, "--metrics", write(tmp_path, content))
        assert code == 2 and fragment in err and err.count("\n") == 1, err
    code, _, err = run_raw(capsys, "simulate", EXAMPLE, "--metrics", str(tmp_path / "none.jsonl"))
    assert code == 2 and "none.jsonl" in err and err.count("\n") == 1
    code, _, err = run_raw(
        capsys, "simulate", EXAMPLE, "--metrics", write(tmp_path, ["{}"]), "--start-stage", "Nope"
    )
    assert code == 2 and "no stage named 'Nope'" in err
    code, _, err = run_raw(
        capsys, "simulate", str(tmp_path / "missing.json"), "--metrics", write(tmp_path, ["{}"])
    )
    assert code == 2 and err.count("\n") == 1


def run_raw(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- differential through the command line: `simulate --trust-python-rules` on exported aind JSON ------


def _simulate_steps(capsys, tmp_path, aind_curriculum, sessions) -> list[tuple]:
    """What `simulate` prints for the JSON aind itself exported, as (stage, policies, parameters)."""
    curriculum_file = tmp_path / "exported.json"
    curriculum_file.write_text(aind_curriculum.model_dump_json(indent=3), encoding="utf-8")
    metrics = write(tmp_path, [json.dumps(s) for s in sessions] or [""])
    code, lines, err = run(
        capsys, "simulate", str(curriculum_file), "--metrics", metrics, "--trust-python-rules"
    )
    assert code == 0, err
    return [(line["stage"], tuple(line["active_policies"]), line["task_parameters"]) for line in lines]


def _aind_steps(aind_curriculum, sessions) -> list[tuple]:
    from tests.core.test_aind_differential import aind_steps

    # A policy opened from aind JSON is named by its function (aind's Policy.name is the whole reference).
    return [
        (s.stage, tuple(sorted(p.rpartition(".")[2] for p in s.policies)), s.parameters)
        for s in aind_steps(aind_curriculum, sessions)
    ]


def test_simulate_matches_aind_on_every_example_curriculum(tmp_path, capsys):
    pytest.importorskip("aind_behavior_curriculum")
    from tests.core.test_aind_differential import EXAMPLES as AIND_EXAMPLES
    from tests.core.test_aind_differential import SCRIPTED

    for name, construct in AIND_EXAMPLES.items():
        for sessions in (SCRIPTED, SCRIPTED[::-1], SCRIPTED[3:7] * 2):
            ours = _simulate_steps(capsys, tmp_path, construct(), sessions)
            assert ours == _aind_steps(construct(), sessions), name


def test_simulate_matches_aind_on_random_curricula(tmp_path, capsys):
    pytest.importorskip("aind_behavior_curriculum")
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.core.test_aind_differential import metrics_st, random_curricula

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(curriculum=random_curricula(), sessions=st.lists(metrics_st, max_size=8))
    def check(curriculum, sessions):
        ours = _simulate_steps(capsys, tmp_path, curriculum, sessions)  # exported before aind runs it
        assert ours == _aind_steps(curriculum, sessions)

    check()


def test_a_huge_number_in_the_metrics_is_one_line(tmp_path, capsys):
    for line, fragment in [
        ('{"accuracy": ' + "9" * 5_000 + "}", "line 1: a whole number of 5,000 digits is too large"),
        ('{"accuracy": 1e999}', "line 1: 1e999 is too large"),
        ('{"accuracy": ' + "[" * 50_000 + "]" * 50_000 + "}", "line 1: is nested more than 64 levels"),
        ('{"label": "\\ud800"}', "line 1: holds text that is not valid Unicode"),
    ]:
        code, out, err = run_raw(capsys, "simulate", EXAMPLE, "--metrics", write(tmp_path, [line]))
        assert code == 2 and out == "" and fragment in err and err.count("\n") == 1, err
