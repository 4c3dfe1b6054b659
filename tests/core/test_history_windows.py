"""How much of a history a rule can read (core/rules/windows.py, core/histories.history_windows): only
``last(name, n)`` with a whole number written out, and ``len(name)``, bound it; anything else is the
whole history."""

from __future__ import annotations

from pathlib import Path

import pytest

from curriculum_gui.core import native_format
from curriculum_gui.core.histories import history_windows
from curriculum_gui.core.model import Curriculum, PythonRule
from curriculum_gui.core.rules.parser import parse_condition, parse_update
from curriculum_gui.core.rules.windows import WHOLE, history_reads

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "two_choice_visual.json"
NAMES = {"accuracy", "trials"}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("mean(last(accuracy, 3)) > 0.8", {"accuracy": 3}),
        ("last(accuracy, 2)[0] > 0.5 and last(accuracy, 7)[0] > 0.5", {"accuracy": 7}),
        ("len(trials) >= 5 and bias < 0.2", {"trials": 0}),
        ("last(accuracy, 0) == [] and len(accuracy) > 1", {"accuracy": 0}),
        ("mean(accuracy) > 0.8", {"accuracy": WHOLE}),
        ("accuracy[-1] > 0.8", {"accuracy": WHOLE}),
        ("last(accuracy, sessions_in_stage)[0] > 0.8", {"accuracy": WHOLE}),
        ("last(accuracy, -1) == []", {"accuracy": WHOLE}),
        ("last(accuracy, True) == []", {"accuracy": WHOLE}),
        ("last(accuracy, 2.0) == []", {"accuracy": WHOLE}),
        ("last(last(accuracy, 3), 1)[0] > 0.5", {"accuracy": 3}),
        ("mean(last(accuracy, 3)) > 0.8 and max(trials) > 100", {"accuracy": 3, "trials": WHOLE}),
        ("last(accuracy, 3) == accuracy", {"accuracy": WHOLE}),
        ("sessions_in_stage > 3", {}),
    ],
)
def test_a_condition_reads_a_bounded_tail_only_through_last_with_a_number_or_len(rule, expected) -> None:
    assert history_reads(parse_condition(rule).tree, NAMES) == expected


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("contrast = last(accuracy, 4)[0]", {"accuracy": 4}),
        ("best = accuracy", {"accuracy": WHOLE}),  # stored: the whole list
        ("n = len(trials)\nm = last(trials, 2)", {"trials": 2}),
    ],
)
def test_an_update_reads_the_same_way(rule, expected) -> None:
    assert history_reads(parse_update(rule).tree, NAMES) == expected


def _example() -> Curriculum:
    return native_format.load(EXAMPLE)


def test_the_example_curriculum_reads_the_last_five_sessions_of_its_histories() -> None:
    assert history_windows(_example(), NAMES) == {"accuracy": 5, "trials": 5}


def test_one_rule_reading_a_history_whole_makes_it_whole_and_leaves_the_others_bounded() -> None:
    curriculum = _example()
    transition = curriculum.stage_transitions[0]
    transition.rule.expression += " and sum(trials) >= 0"
    assert history_windows(curriculum, NAMES) == {"accuracy": 5, "trials": None}


def test_a_python_rule_or_a_rule_that_does_not_parse_may_read_anything() -> None:
    curriculum = _example()
    curriculum.stages[0].policy_transitions[0].rule = PythonRule(python="lab.rules.ready")
    assert history_windows(curriculum, NAMES) == {"accuracy": None, "trials": None}
    curriculum = _example()
    curriculum.stage_transitions[0].rule.expression = "mean(last(accuracy, 2) >"
    assert history_windows(curriculum, NAMES) == {"accuracy": None, "trials": None}


def test_a_history_no_rule_reads_has_a_window_of_nothing() -> None:
    assert history_windows(_example(), {"reaction_time"}) == {"reaction_time": 0}
