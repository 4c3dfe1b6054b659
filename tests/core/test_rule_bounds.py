"""Every value a rule builds has a bounded size (items and characters counted as if copied, and nesting),
checked as it is built, in every path: the compiler, the trainer (simulate, the store, Try it) and the
exported aind package. Lone surrogates are refused when a rule is compiled."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from curriculum_gui.core import native_format
from curriculum_gui.core.model import Curriculum
from curriculum_gui.core.rules import Context, RuleError, compile_condition, compile_update
from curriculum_gui.core.rules.functions import MAX_NESTING, MAX_VALUE_SIZE, check_value_size
from curriculum_gui.core.trainer import Trainer

DOUBLING = "\n".join(["xs = [0] * 10000"] + ["xs = [xs, xs]"] * 20)
CONCAT = "\n".join(["xs = [0] * 10000"] + ["xs = [xs] + [xs]"] * 20)
NESTING = "\n".join(["xs = [0]"] + ["xs = [xs]"] * 40)
HOSTILE = {"doubling": DOUBLING, "concatenation": CONCAT, "nesting": NESTING}


def _apply(text: str, params: dict | None = None) -> dict:
    update = compile_update(text)
    new, _changes = update.apply(Context({}, {}, None), dict(params or {"xs": []}))
    return new


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_aliased_values_are_refused_as_they_are_built(name: str) -> None:
    with pytest.raises(RuleError) as caught:
        _apply(HOSTILE[name])
    message = str(caught.value)
    assert "line " in message  # the line of the update that went over
    assert f"{MAX_VALUE_SIZE:,}" in message or f"{MAX_NESTING} lists" in message


def test_the_doubling_stops_at_the_first_line_over_the_limit() -> None:
    with pytest.raises(RuleError) as caught:
        _apply(DOUBLING)
    # 10,000 -> 20,002 -> 40,006 -> 80,014 -> 160,030: the fifth line is the first over 100,000.
    assert caught.value.line == 5


def test_constant_values_are_refused_at_compile_time() -> None:
    with pytest.raises(RuleError, match="too large"):
        compile_update("xs = ['a' * 10000] * 10000")  # 10,000 references to one 10,000-character text
    with pytest.raises(RuleError, match="too large"):
        compile_condition("len([" + ", ".join(["[0] * 10000"] * 11) + "]) > 0")  # 110,011 items


def test_a_condition_over_metrics_is_bounded_too() -> None:
    history = list(range(60_000))
    condition = compile_condition("len([accuracy, accuracy]) == 2")
    with pytest.raises(RuleError, match="too large"):
        condition.evaluate(Context({"accuracy": history}, {"sessions_in_stage": 1, "sessions_total": 1}))


def test_the_largest_legitimate_values_pass() -> None:
    # A 10,000-item parameter updated every session; a 9 x 10,000 table; a 16-deep nesting.
    params = {"xs": list(range(10_000)), "table": [], "deep": []}
    new = _apply(
        "xs = xs[1:] + [len(xs)]\ntable = [xs, xs, xs, xs, xs, xs, xs, xs, xs]\n"
        "deep = " + "[" * (MAX_NESTING - 1) + "1" + "]" * (MAX_NESTING - 1),
        params,
    )
    assert len(new["xs"]) == 10_000 and new["xs"][-1] == 10_000
    assert len(new["table"]) == 9 and new["table"][0] is not new["table"][1]  # stored as copies
    json.dumps(new)  # what the store writes
    assert check_value_size(["a" * 10_000] * 9) is not None


def test_the_trainer_reports_the_rule_and_the_limit(example: Curriculum) -> None:
    curriculum = _with_update(example, DOUBLING)
    trainer = Trainer(curriculum)
    state = trainer.enroll()
    evaluation = trainer.evaluate(state, _metrics())
    assert evaluation.error is not None
    assert "Free rewards" in evaluation.message and f"{MAX_VALUE_SIZE:,}" in evaluation.message
    assert evaluation.state == state  # nothing changed


def test_simulate_prints_one_line_and_no_traceback(tmp_path: Path, example: Curriculum) -> None:
    path = tmp_path / "c.json"
    native_format.save(_with_update(example, DOUBLING), path)
    metrics = tmp_path / "m.jsonl"
    metrics.write_text(json.dumps(_metrics()) + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "curriculum_gui", "simulate", str(path), "--metrics", str(metrics)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "policy update 'Free rewards': line 5" in done.stderr


def test_the_aind_package_has_the_same_bounds(example: Curriculum) -> None:
    pytest.importorskip("aind_behavior_curriculum")
    from tests.core.test_aind_package import imported

    with imported(_with_update(example, DOUBLING)) as package:
        compiler = importlib.import_module(package.__name__ + "._cg.compiler")
        errors = importlib.import_module(package.__name__ + "._cg.errors")
        update = compiler.compile_update(DOUBLING)
        with pytest.raises(errors.RuleError, match="too large"):
            update.apply(compiler.Context({}, {}, None), {"xs": []})
        with pytest.raises(errors.RuleError, match="surrogate"):
            compiler.compile_update("label = '\\ud800'")


# --- lone surrogates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column"),
    [("label = '\\ud800'", 9), ("label = '\\udfff' * 10", 9), ("label = 'ok'\nname = 'a\\udc80b'", 8)],
)
def test_escaped_surrogates_are_refused_with_their_column(text: str, column: int) -> None:
    with pytest.raises(RuleError, match="surrogate") as caught:
        compile_update(text)
    assert caught.value.col is not None and caught.value.col + 1 == column


def test_raw_surrogates_in_the_text_are_refused_with_their_column() -> None:
    with pytest.raises(RuleError, match="surrogate") as caught:
        compile_condition("accuracy\ud800 > 1")
    assert caught.value.col == 8
    with pytest.raises(RuleError, match="surrogate") as caught:
        compile_update("a = 1\nb\udfff = 2")
    assert (caught.value.line, caught.value.col) == (2, 1)


# --- helpers ------------------------------------------------------------------------------------


def _with_update(example: Curriculum, text: str) -> Curriculum:
    data = native_format.to_data(example)
    stage = data["stages"][0]
    stage["task"]["parameters"]["xs"] = []
    stage["policies"][0]["updates"]["expression"] = text
    return native_format.document_from_data(data, "test")


def _metrics() -> dict:
    return {"accuracy": [0.5], "trials": [100], "bias": 0.1, "weight_fraction": 0.9, "licks_per_reward": 3}
