"""Differential tests: our trainer against aind-behavior-curriculum's own Trainer on equivalent curricula.

aind's curricula (its example packages, with importable rule functions) are rebuilt fresh for every run,
because aind's Trainer changes stage objects in place. Policies are compared by name (sorted: aind keeps
active policies in a set), parameters by value, after every step.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curriculum_gui.core import native_format
from curriculum_gui.core.trainer import Trainer

aind = pytest.importorskip("aind_behavior_curriculum")
ep = pytest.importorskip("example_project.curriculum")
ep2 = pytest.importorskip("example_project_2.curriculum")

from tests.conftest import DATA  # noqa: E402

EQUIV = DATA / "aind_equivalents"

CASES = {
    "example_project": (ep.construct_curriculum, ep.ExampleMetrics, ("theta_1", "theta_2", "theta_3")),
    "track": (ep2.construct_track_curriculum, ep2.ExampleMetrics2, ("m1", "m2")),
    "tree": (ep2.construct_tree_curriculum, ep2.ExampleMetrics2, ("m1", "m2")),
    "policy_triangle": (ep2.construct_policy_triangle_curriculum, ep2.ExampleMetrics2, ("m1", "m2")),
    "stage_triangle": (ep2.construct_stage_triangle_curriculum, ep2.ExampleMetrics2, ("m1", "m2")),
}


def _aind_view(state) -> tuple[str, list[str], dict]:
    policies = sorted(p.name.rsplit(".", 1)[-1] for p in (state.active_policies or []))
    return state.stage.name, policies, state.stage.task.task_parameters.model_dump()


def _our_view(trainer: Trainer, state) -> tuple[str, list[str], dict]:
    return trainer.stage_name(state.stage_id), sorted(trainer.policy_names(state)), dict(state.parameters)


def run_both(case: str, steps: list[dict[str, int]]) -> int:
    construct, metrics_type, _ = CASES[case]
    theirs = aind.Trainer(construct())
    ours = Trainer(native_format.load(EQUIV / f"{case}.json"))
    a = theirs.create_enrollment()
    b = ours.enroll()
    assert _our_view(ours, b) == _aind_view(a), "enrollment"
    for i, metrics in enumerate(steps):
        a = theirs.evaluate(a, metrics_type(**metrics))
        evaluation = ours.evaluate(b, metrics)
        assert not evaluation.error, evaluation.message
        b = evaluation.state
        assert _our_view(ours, b) == _aind_view(a), f"step {i + 1}: metrics {metrics}"
    return len(steps)


def _values(case: str) -> list[dict[str, int]]:
    names = CASES[case][2]
    return [
        dict(zip(names, combo, strict=True)) for combo in itertools.product((0, 6, 11), repeat=len(names))
    ]


@pytest.mark.parametrize("case", list(CASES))
def test_every_single_step_from_enrollment(case):
    for metrics in _values(case):
        run_both(case, [metrics])


@pytest.mark.parametrize("case", list(CASES))
def test_every_pair_of_steps(case):
    values = _values(case)
    for first in values:
        for second in values[:: max(1, len(values) // 9)]:
            run_both(case, [first, second])


@pytest.mark.parametrize("case", list(CASES))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_sequences(case, data):
    names = CASES[case][2]
    step = st.fixed_dictionaries({n: st.sampled_from([0, 1, 5, 6, 10, 11, 20]) for n in names})
    run_both(case, data.draw(st.lists(step, min_size=1, max_size=12)))


def test_long_walk_through_example_project():
    steps = [
        {"theta_1": 6, "theta_2": 0, "theta_3": 0},
        {"theta_1": 6, "theta_2": 0, "theta_3": 0},
        {"theta_1": 11, "theta_2": 0, "theta_3": 0},
        {"theta_1": 0, "theta_2": 6, "theta_3": 0},
        {"theta_1": 0, "theta_2": 0, "theta_3": 6},
        {"theta_1": 0, "theta_2": 0, "theta_3": 11},
        {"theta_1": 0, "theta_2": 11, "theta_3": 0},
        {"theta_1": 0, "theta_2": 11, "theta_3": 0},
    ]
    assert run_both("example_project", steps) == 8
