"""The trainer's fast path (nothing recorded, ``why`` worked out when read) against its recorded path.

``Trainer.evaluate`` takes the fast path for the usual case and falls back to the recorded path for
anything unusual; both must give exactly the same evaluation: state, error, message and every check of
the "why" with the values it read.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curriculum_gui.core import native_format
from curriculum_gui.core.trainer import Evaluation, SubjectState, Trainer
from tests.conftest import EXAMPLES
from tests.core.test_trainer_semantics import curriculum, stage

# Conditions of every kind: metrics-only comparisons (the quick form), counters, functions, lists, and
# rules that fail or give something other than true/false for some inputs.
CONDITIONS = [
    "x > 5",
    "x <= 2",
    "y == 1",
    "z != 0",
    "x > 5 and sessions_in_stage >= 2",
    "sessions_in_policy >= 2",
    "sessions_total > 3 or y < 0",
    "mean(last(h, 2)) > 0.5",
    "1 / x > 0.1",
    "x + 1",
    "missing > 1",
    "len(h) >= 3",
]
UPDATES = [
    "",
    "v += 1",
    "v = clamp(v - 0.5, 0, 3)",
    "g.a = x",
    "w = ramp(1, 0, over=3)",
    "v = v / (x - 1)",
    "w = 'text'",
]
NUMBERS = st.one_of(st.integers(-3, 12), st.floats(-2, 12, allow_nan=False))
ODD_VALUES = st.one_of(st.booleans(), st.just("s"), st.just(None), st.just(float("nan")), st.just([1, "a"]))


@st.composite
def curricula(draw):
    """Two or three stages, each with up to three policies and transitions between them."""
    n = draw(st.integers(2, 3))
    ids = [f"s{i}" for i in range(n)]
    stages = []
    for sid in ids:
        pids = [f"{sid}p{i}" for i in range(draw(st.integers(0, 3)))]
        policies = {pid: draw(st.sampled_from(UPDATES)) for pid in pids}
        transitions = [
            (draw(st.sampled_from(pids)), draw(st.sampled_from(pids)), draw(st.sampled_from(CONDITIONS)))
            for _ in range(draw(st.integers(0, 3) if pids else st.just(0)))
        ]
        start = draw(st.lists(st.sampled_from(pids), max_size=2, unique=True)) if pids else []
        stages.append(
            stage(sid, {"v": 1.0, "w": 2, "g": {"a": 0}}, policies, transitions, start=start),
        )
    transitions = [
        (draw(st.sampled_from(ids)), draw(st.sampled_from(ids)), draw(st.sampled_from(CONDITIONS)))
        for _ in range(draw(st.integers(0, 4)))
    ]
    return curriculum(stages, transitions)


@st.composite
def session_metrics(draw):
    """Mostly well-formed metrics (so that transitions fire on the fast path), sometimes one value odd or
    missing (so that the fallback is exercised too)."""
    metrics = {
        "x": draw(NUMBERS),
        "y": draw(st.integers(-1, 2)),
        "z": draw(NUMBERS),
        "h": draw(st.lists(st.floats(0, 1), min_size=1, max_size=4)),
    }
    if draw(st.integers(0, 3)) == 0:
        key = draw(st.sampled_from(sorted(metrics)))
        if draw(st.booleans()):
            del metrics[key]
        else:
            metrics[key] = draw(ODD_VALUES)
    return metrics


metrics_sequences = st.lists(session_metrics(), min_size=1, max_size=8)


def recorded(trainer: Trainer, state: SubjectState, metrics: dict) -> Evaluation:
    return trainer._evaluate_recorded(state, metrics)


@settings(max_examples=300, deadline=None)
@given(curricula(), metrics_sequences)
def test_fast_path_gives_exactly_what_the_recorded_path_gives(c, sessions):
    trainer = Trainer(c)
    state = trainer.enroll()
    for metrics in sessions:
        fast = trainer.evaluate(state, metrics)
        slow = recorded(trainer, state, metrics)
        assert fast == slow
        assert json.dumps(fast.to_json()) == json.dumps(slow.to_json())
        assert fast.fired == slow.fired
        if fast.error:
            break
        state = fast.state


def test_the_example_takes_the_fast_path_and_its_why_is_worked_out_when_read():
    trainer = Trainer(native_format.load(EXAMPLES / "two_choice_visual.json"))
    state = trainer.enroll("contrast")
    metrics = {"accuracy": [0.7, 0.7], "weight_fraction": 0.7, "trials": [1]}
    e = trainer.evaluate(state, metrics)
    assert e[5] is not None and e[3] is None  # nothing recorded: the fast path ran
    expected = recorded(trainer, state, dict(metrics)).why
    metrics["weight_fraction"] = 0.95  # the caller changes its metrics afterwards ...
    metrics["accuracy"] = [0.1]
    assert e.why == expected  # ... the why is of the metrics evaluated
    assert [c.values for c in e.why][2] == {"weight_fraction": 0.7}


def test_an_unusual_input_falls_back_to_the_recorded_path():
    trainer = Trainer(curriculum([stage("a"), stage("b")], [("a", "b", "x > 5")]))
    state = trainer.enroll()
    e = trainer.evaluate(state, {"x": "seven"})
    assert e[3] is not None and e.error  # recorded: the error is reported where it happened
    assert e.state is state and "x" in e.why[0].values


def test_metrics_of_another_mapping_type_are_read_as_that_type_reads_them():
    class Scaled(dict):
        def __getitem__(self, key):
            return super().__getitem__(key) * 100

    trainer = Trainer(curriculum([stage("a"), stage("b")], [("a", "b", "y > 5")]))
    for metrics in (Counter({"y": 7}), Scaled(y=0.07)):  # y reads as 7 (Scaled: 0.07 * 100)
        e = trainer.evaluate(trainer.enroll(), metrics)
        assert e == recorded(trainer, trainer.enroll(), metrics)
        assert e.state.stage_id == "b" and [c.fired for c in e.why] == [True]
        assert e.why[0].values["y"] == pytest.approx(7)


def test_python_references_never_take_the_fast_path():
    calls = []

    class Runner:
        def condition(self, reference, metrics):
            calls.append(reference)
            return False

        def update(self, reference, metrics, task_name, parameters):
            return parameters

    c = curriculum([stage("a"), stage("b")], [("a", "b", "py:pkg.mod.fn"), ("a", "b", "x > 5")])
    trainer = Trainer(c, python_rules=Runner())
    e = trainer.evaluate(trainer.enroll(), {"x": 1})
    assert [ch.python for ch in e.why] == [True, False] and len(e.why) == 2
    assert e[5] is None  # recorded as it ran: reading the why runs nothing again
    assert calls == ["pkg.mod.fn"]


def test_subject_state_is_an_immutable_value():
    a = SubjectState("s", ("p",), {"v": 1}, True, 2, 1, {"p": 1})
    assert a == SubjectState("s", ("p",), {"v": 1}, True, 2, 1, {"p": 1})
    assert a != ("s", ("p",), {"v": 1}, True, 2, 1, {"p": 1})  # not equal to a bare tuple
    assert hash(a) == hash(SubjectState("s", ("p",), {"v": 2}, True, 2, 1, {"p": 1}))
    assert a.off_curriculum().is_on_curriculum is False and a.is_on_curriculum is True
    empty = SubjectState("s")
    assert empty.parameters == {} and empty.parameters is not SubjectState("s").parameters
    try:
        a.stage_id = "t"  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("a state can be changed in place")
