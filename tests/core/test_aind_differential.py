"""Differential tests: our trainer on exported aind JSON vs aind-behavior-curriculum's own ``Trainer``.

At every step (the enrollment state included) the stage, the sorted active policies and the task parameters
must be equal. Curricula: every one in aind's ``example_project`` and ``example_project_2`` packages, and
random stage/policy graphs built from those packages' rule functions (hypothesis), under random metric
sequences.

Policies used in random graphs commute (``+= 5`` on a field, or the identity), because aind applies the active
policies in the order of a Python ``set`` (it depends on the hash seed), while we keep first-occurrence order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

aind = pytest.importorskip("aind_behavior_curriculum")
trainer_mod = pytest.importorskip(
    "curriculum_gui.core.trainer", reason="the trainer (core/trainer.py) is not there yet"
)

import example_project.curriculum as ep  # noqa: E402
import example_project_2.curriculum as ep2  # noqa: E402
from aind_behavior_curriculum import Metrics, Policy, PolicyTransition, Stage, StageTransition  # noqa: E402
from aind_behavior_curriculum import Trainer as AindTrainer  # noqa: E402

from curriculum_gui.core import aind_format  # noqa: E402
from curriculum_gui.core.model import Curriculum  # noqa: E402
from curriculum_gui.core.python_rules import runner_for  # noqa: E402

METRIC_NAMES = ("theta_1", "theta_2", "theta_3", "m1", "m2")


@dataclass(frozen=True)
class Step:
    stage: str
    policies: tuple[str, ...]
    parameters: dict[str, Any]


def aind_steps(curriculum: Any, metrics_seq: Sequence[dict[str, int]]) -> list[Step]:
    trainer = AindTrainer(curriculum)
    state = trainer.create_enrollment()
    steps = [_aind_step(state)]
    for values in metrics_seq:
        state = trainer.evaluate(state, Metrics(**values))
        steps.append(_aind_step(state))
    return steps


def _aind_step(state: Any) -> Step:
    return Step(
        stage=state.stage.name,
        policies=tuple(sorted(p.name for p in (state.active_policies or []))),
        parameters=state.stage.task.task_parameters.model_dump(mode="json"),
    )


def our_steps(curriculum: Curriculum, metrics_seq: Sequence[dict[str, int]]) -> list[Step]:
    trainer = trainer_mod.Trainer(curriculum, python_rules=runner_for(trust_all=True))
    state = trainer.enroll()
    steps = [_our_step(curriculum, state)]
    for values in metrics_seq:
        evaluation = trainer.evaluate(state, values)
        assert not evaluation.error, evaluation.message
        state = evaluation.state
        steps.append(_our_step(curriculum, state))
    return steps


def _our_step(curriculum: Curriculum, state: Any) -> Step:
    stage = curriculum.stage(state.stage_id)
    assert stage is not None, f"unknown stage {state.stage_id!r}"
    refs = [stage.policy(pid).updates.text for pid in state.active_policies]
    return Step(stage=stage.name, policies=tuple(sorted(refs)), parameters=dict(state.parameters))


def exported(curriculum: Any) -> Curriculum:
    """What a user has: the JSON aind wrote, opened by us (no code imported on the way)."""
    return aind_format.loads(curriculum.model_dump_json(indent=3), "exported.json")


def assert_same(aind_curriculum: Any, metrics_seq: Sequence[dict[str, int]]) -> None:
    theirs = aind_steps(aind_curriculum, metrics_seq)
    ours = our_steps(exported(aind_curriculum), metrics_seq)
    for i, (a, o) in enumerate(zip(theirs, ours, strict=True)):
        assert o == a, f"step {i} ({'enrollment' if i == 0 else metrics_seq[i - 1]}): aind {a} != ours {o}"


def full(**values: int) -> dict[str, int]:
    return {name: values.get(name, 0) for name in METRIC_NAMES}


metrics_st = st.fixed_dictionaries(
    {
        "theta_1": st.integers(0, 12),
        "theta_2": st.integers(0, 12),
        "theta_3": st.integers(0, 12),
        "m1": st.integers(0, 1),
        "m2": st.integers(0, 1),
    }
)
EXAMPLES: dict[str, Callable[[], Any]] = {
    "example_project": ep.construct_curriculum,
    "track": ep2.construct_track_curriculum,
    "tree": ep2.construct_tree_curriculum,
    "policy_triangle": ep2.construct_policy_triangle_curriculum,
    "stage_triangle": ep2.construct_stage_triangle_curriculum,
}
SCRIPTED = [
    full(),
    full(theta_1=6),
    full(theta_1=11),
    full(theta_2=6),
    full(theta_3=6, m1=1),
    full(theta_3=11, m2=1),
    full(m1=1),
    full(m1=1, m2=1),
    full(m2=1),
    full(theta_2=11),
    full(m1=1),
]


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_curricula_scripted(name: str) -> None:
    assert_same(EXAMPLES[name](), SCRIPTED)


@pytest.mark.parametrize("name", list(EXAMPLES))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seq=st.lists(metrics_st, max_size=8))
def test_example_curricula_random_metrics(name: str, seq: list[dict[str, int]]) -> None:
    assert_same(EXAMPLES[name](), seq)


# --- random curricula built from the example packages' functions -------------------------------

CONDITIONS = [
    ep2.m1_rule,
    ep2.m2_rule,
    ep.t1_5_rule,
    ep.t1_10_rule,
    ep.t2_5_rule,
    ep.t2_10_rule,
    ep.t3_5_rule,
]
POLICIES = [
    ep.init_stage_rule,
    ep2.policy_1_rule,
    ep2.policy_2_rule,
    ep2.policy_3_rule,
    ep2.policy_4_rule,
    ep2.policy_5_rule,
    ep2.policy_6_rule,
]


@st.composite
def random_curricula(draw: st.DrawFn) -> Any:
    n_stages = draw(st.integers(1, 4))
    stages = []
    for i in range(n_stages):
        task = ep2.DummyTask(
            task_parameters=ep2.DummyParameters(
                field_1=draw(st.integers(0, 20)), field_2=draw(st.integers(0, 20))
            )
        )
        stage = Stage(name=f"S{i}", task=task)
        chosen = draw(st.lists(st.sampled_from(POLICIES), unique=True, max_size=5))
        for fn in chosen:
            stage.add_policy(Policy(fn))
        if chosen:
            for _ in range(draw(st.integers(0, 6))):
                src, dst = draw(st.sampled_from(chosen)), draw(st.sampled_from(chosen))
                stage.add_policy_transition(
                    Policy(src), Policy(dst), PolicyTransition(draw(st.sampled_from(CONDITIONS)))
                )
            start = draw(st.lists(st.sampled_from(chosen), unique=True, min_size=1, max_size=len(chosen)))
            stage.set_start_policies([Policy(fn) for fn in start])
        stages.append(stage)
    curriculum = ep2.MyCurriculum(name="My Curriculum")
    for stage in stages:
        curriculum.add_stage(stage)
    for _ in range(draw(st.integers(0, 3 * n_stages))):
        src, dst = draw(st.sampled_from(stages)), draw(st.sampled_from(stages))
        curriculum.add_stage_transition(src, dst, StageTransition(draw(st.sampled_from(CONDITIONS))))
    return curriculum


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(curriculum=random_curricula(), seq=st.lists(metrics_st, max_size=10))
def test_random_curricula(curriculum: Any, seq: list[dict[str, int]]) -> None:
    assert_same(curriculum, seq)
