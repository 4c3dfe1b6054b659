"""Trainer speed: ours against aind-behavior-curriculum's Trainer, and cost against curriculum size.

Run: ``.venv/bin/python benchmarks/trainer.py [N]``. Prints rates; the last line is ``speedup_vs_aind: X``.

1. aind's ``example_project`` curriculum (StageA -> StageB -> GRADUATED, its policies, rules ``theta_1 > 5``
   etc.) in the native format (``tests/data/aind_equivalents/example_project.json``) and aind's own
   construction of it: N evaluations of the same metric sequence (a walk through every policy and stage,
   re-enrolling at the end) with each trainer, in the same run.
2. Synthetic curricula of 3 and 1,000 stages (same shape: a chain, every stage with two outgoing stage
   transitions and two policies): evaluations per second do not depend on the number of stages.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from curriculum_gui.core import native_format  # noqa: E402
from curriculum_gui.core.model import (  # noqa: E402
    Curriculum,
    ExpressionRule,
    Metric,
    Policy,
    PolicyTransition,
    Stage,
    StageTransition,
    Task,
)
from curriculum_gui.core.trainer import Trainer  # noqa: E402

SEQUENCE = [
    {"theta_1": 0, "theta_2": 0, "theta_3": 0},
    {"theta_1": 6, "theta_2": 0, "theta_3": 0},
    {"theta_1": 11, "theta_2": 0, "theta_3": 0},
    {"theta_1": 0, "theta_2": 6, "theta_3": 0},
    {"theta_1": 0, "theta_2": 0, "theta_3": 6},
    {"theta_1": 0, "theta_2": 0, "theta_3": 11},
    {"theta_1": 0, "theta_2": 11, "theta_3": 0},
]


def bench_ours(n: int, read_why: bool = False) -> float:
    """N evaluations with our trainer; ``read_why``: also read each evaluation's "why" (every check with
    the values it read, which aind's trainer does not give): the cost of the explanation, paid only when
    it is looked at."""
    trainer = Trainer(native_format.load(REPO / "tests/data/aind_equivalents/example_project.json"))
    state = trainer.enroll()
    seq = SEQUENCE
    start = time.perf_counter()
    for i in range(n):
        step = i % len(seq)
        if step == 0:
            state = trainer.enroll()
        evaluation = trainer.evaluate(state, seq[step])
        if read_why and not evaluation.why:
            raise AssertionError("an evaluation without a why")
        state = evaluation.state
    elapsed = time.perf_counter() - start
    assert trainer.stage_name(state.stage_id) in ("StageA", "StageB", "GRADUATED")
    return n / elapsed


def bench_aind(n: int) -> float:
    from aind_behavior_curriculum import Trainer as AindTrainer
    from example_project.curriculum import ExampleMetrics, construct_curriculum

    metrics = [ExampleMetrics(**m) for m in SEQUENCE]
    trainer = AindTrainer(construct_curriculum())
    state = None
    start = time.perf_counter()
    for i in range(n):
        step = i % len(metrics)
        if step == 0:
            state = trainer.create_enrollment()
        state = trainer.evaluate(state, metrics[step])
    elapsed = time.perf_counter() - start
    return n / elapsed


def synthetic(stages: int) -> Curriculum:
    """A chain of stages; each has two outgoing stage transitions (next, and back to the first) and a
    policy pair with one transition and an update."""
    out = []
    transitions = []
    for i in range(stages):
        sid = f"s{i}"
        out.append(
            Stage(
                id=sid,
                name=f"Stage {i}",
                task=Task(name="t", parameters={"level": 0, "volume": 3.0}),
                policies=[
                    Policy(id=f"{sid}_p1", name="hold", updates=ExpressionRule(expression="level += 1")),
                    Policy(
                        id=f"{sid}_p2",
                        name="shape",
                        updates=ExpressionRule(expression="volume = clamp(volume - 0.1, 1.0, 3.0)"),
                    ),
                ],
                policy_transitions=[
                    PolicyTransition(
                        id=f"{sid}_pt",
                        source=f"{sid}_p1",
                        destination=f"{sid}_p2",
                        rule=ExpressionRule(
                            expression="mean(last(accuracy, 3)) > 0.95 and sessions_in_policy >= 3"
                        ),
                    )
                ],
                start_policies=[f"{sid}_p1"],
                terminal=i == stages - 1,
            )
        )
        if i + 1 < stages:
            transitions.append(
                StageTransition(
                    id=f"{sid}_next",
                    source=sid,
                    destination=f"s{i + 1}",
                    rule=ExpressionRule(expression="x > 5 and sessions_in_stage >= 2"),
                )
            )
            transitions.append(
                StageTransition(
                    id=f"{sid}_back", source=sid, destination="s0", rule=ExpressionRule(expression="x < -5")
                )
            )
    return Curriculum(
        name=f"synthetic {stages}",
        metrics=[Metric(name="x", type="number"), Metric(name="accuracy", type="number_list")],
        stages=out,
        stage_transitions=transitions,
        start_stage="s0",
    )


def bench_size(stages: int, n: int) -> tuple[float, float]:
    t0 = time.perf_counter()
    trainer = Trainer(synthetic(stages))
    build = time.perf_counter() - t0
    state = trainer.enroll(f"s{stages // 2}")
    metrics = {"x": 0, "accuracy": [0.7, 0.8, 0.75, 0.8]}
    start = time.perf_counter()
    for _ in range(n):
        state = trainer.evaluate(state, metrics).state  # stays in its stage, every rule checked
    return n / (time.perf_counter() - start), build


def best_of(repeats: int, bench, n: int) -> float:
    """The best rate of a few runs: the least disturbed by whatever else the machine is doing."""
    return max(bench(n) for _ in range(repeats))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
    bench_ours(min(n, 500))  # warm up
    bench_aind(min(n, 100))
    ours = best_of(3, bench_ours, n)
    aind = best_of(3, bench_aind, n)
    print(
        f"example_project, {n} evaluations each "
        f"({len(SEQUENCE)}-step metric sequence, re-enrolling; best of 3)"
    )
    print(f"  curriculum-gui trainer: {ours:12,.0f} evaluations/s  ({1e6 / ours:8.1f} us each)")
    print(f"  aind Trainer:           {aind:12,.0f} evaluations/s  ({1e6 / aind:8.1f} us each)")
    explained = max(bench_ours(n, read_why=True) for _ in range(3))
    print(
        f"  ours, reading the why:  {explained:12,.0f} evaluations/s  ({1e6 / explained:8.1f} us each; "
        f"{explained / aind:.1f} x aind)"
    )
    small, small_build = max(bench_size(3, n * 4) for _ in range(3))
    large, large_build = max(bench_size(1_000, n * 4) for _ in range(3))
    print(
        f"synthetic curricula, {n * 4} evaluations each "
        "(subject mid-chain, 3 rules checked, 2 updates; best of 3)"
    )
    print(
        f"  3 stages:     {small:12,.0f} evaluations/s  ({1e6 / small:6.1f} us each; "
        f"trainer built in {small_build * 1e3:.1f} ms)"
    )
    print(
        f"  1,000 stages: {large:12,.0f} evaluations/s  ({1e6 / large:6.1f} us each; "
        f"trainer built in {large_build * 1e3:.1f} ms)"
    )
    print(f"  per-step cost ratio 1,000 / 3 stages: {small / large:.2f}")
    print(f"speedup_vs_aind: {ours / aind:.1f}")


if __name__ == "__main__":
    main()
