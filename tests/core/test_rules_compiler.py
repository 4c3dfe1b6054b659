"""The rule language: what it accepts, what it computes, and how it refuses."""

from __future__ import annotations

import pytest

from curriculum_gui.core.errors import CurriculumGuiError
from curriculum_gui.core.rules import RuleError, compile_condition, compile_update
from curriculum_gui.core.rules.compiler import Context


def cond(text: str, metrics: dict | None = None, **counters) -> bool:
    return compile_condition(text).evaluate(Context(metrics or {}, counters))


def update(text: str, params: dict, metrics: dict | None = None, **counters) -> dict:
    new, _ = compile_update(text).apply(Context(metrics or {}, counters), params)
    return new


def refused(text: str, mode: str = "condition") -> RuleError:
    with pytest.raises(RuleError) as info:
        (compile_condition if mode == "condition" else compile_update)(text)
    return info.value


# --- the example curriculum's rules ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "metrics", "counters", "expected"),
    [
        (
            "mean(last(accuracy, 2)) >= 0.85 and sessions_in_stage >= 2",
            {"accuracy": [0.1, 0.9, 0.8]},
            {"sessions_in_stage": 2},
            True,
        ),
        (
            "mean(last(accuracy, 2)) >= 0.85 and sessions_in_stage >= 2",
            {"accuracy": [0.9, 0.9]},
            {"sessions_in_stage": 1},
            False,
        ),
        ("last(trials, 1)[0] >= 200", {"trials": [100, 250]}, {}, True),
        ("min(last(trials, 5)) >= 300", {"trials": [100, 300, 301, 302, 303, 304]}, {}, True),
        (
            "sessions_in_policy >= 2 and licks_per_reward < 6",
            {"licks_per_reward": 5},
            {"sessions_in_policy": 2},
            True,
        ),
        ("bias > 0.3", {"bias": 0.2}, {}, False),
        ("theta_1 > 5", {"theta_1": 6}, {}, True),
        ("not (x == 1) or y", {"x": 1, "y": True}, {}, True),
        ("1 < x <= 3", {"x": 3}, {}, True),
        ("1 < x <= 3", {"x": 4}, {}, False),
        ("'a' in tags and 3 not in [1, 2]", {"tags": ["a", "b"]}, {}, True),
        ("median(xs) == 2 and sum(xs) == 6 and len(xs) == 3 and max(xs) == 3", {"xs": [1, 2, 3]}, {}, True),
        ("all(flags) and any([False, True])", {"flags": [True, True]}, {}, True),
        ("abs(-2) == 2 and round(2.567, 2) == 2.57 and round(2.5) == 2", {}, {}, True),
        ("xs[-2:] == [2, 3] and xs[0] == 1", {"xs": [1, 2, 3]}, {}, True),
        ("(10 if bias > 0.5 else 20) == 20", {"bias": 0.1}, {}, True),
        ("max(a, b) == 3 and min(a, b) == 1", {"a": 1, "b": 3}, {}, True),
        ("2 ** 10 == 1024 and 7 // 2 == 3 and 7 % 2 == 1 and 1 / 4 == 0.25", {}, {}, True),
        ("name == 'mouse-1'", {"name": "mouse-1"}, {}, True),
        ("  theta_1 > 5  ", {"theta_1": 6}, {}, True),
        ("(theta_1 > 5 and\n theta_2 > 5)", {"theta_1": 6, "theta_2": 6}, {}, True),
    ],
)
def test_conditions(text, metrics, counters, expected):
    assert cond(text, metrics, **counters) is expected


def test_values_read_are_recorded_in_order_and_short_circuit():
    ctx = Context({"a": 1, "b": [1, 2]}, {"sessions_in_stage": 3})
    assert compile_condition("a > 5 and mean(b) > 0").evaluate(ctx) is False
    assert ctx.reads == {"a": 1}  # 'b' was never read
    ctx = Context({"a": 9, "b": [1, 2]}, {"sessions_in_stage": 3})
    assert compile_condition("a > 5 and mean(b) > 0 and sessions_in_stage > 1").evaluate(ctx) is True
    assert list(ctx.reads) == ["a", "b", "sessions_in_stage"]


def test_ramp_is_linear_in_sessions_in_policy():
    u = "contrast = ramp(1.0, 0.25, over=10)"
    assert update(u, {"contrast": 1.0}, sessions_in_policy=0)["contrast"] == 1.0
    assert update(u, {"contrast": 1.0}, sessions_in_policy=4)["contrast"] == pytest.approx(0.7)
    assert update(u, {"contrast": 1.0}, sessions_in_policy=10)["contrast"] == 0.25
    assert update(u, {"contrast": 1.0}, sessions_in_policy=50)["contrast"] == 0.25
    assert update("c = ramp(0, 10, 5)", {"c": 0}, sessions_in_policy=1)["c"] == 2


# --- updates --------------------------------------------------------------------------------------


def test_updates_one_per_line_sequential_and_copy_on_write():
    params = {"auto_reward": True, "response_window_s": 2.0, "group": {"lowest": 0.5, "levels": 4}, "n": 1}
    text = (
        "auto_reward = False\n"
        "response_window_s = clamp(response_window_s - 0.25, 1.0, 2.0)\n"
        "group.lowest -= 0.1\n"
        "n += 1\n"
        "n *= 3\n"
        "group.levels = n + group.levels"
    )
    new, changes = compile_update(text).apply(Context({}, {}), params)
    assert new == {
        "auto_reward": False,
        "response_window_s": 1.75,
        "group": {"lowest": 0.4, "levels": 10},
        "n": 6,
    }
    assert params == {
        "auto_reward": True,
        "response_window_s": 2.0,
        "group": {"lowest": 0.5, "levels": 4},
        "n": 1,
    }
    assert changes == {
        "auto_reward": False,
        "response_window_s": 1.75,
        "group.lowest": 0.4,
        "n": 6,
        "group.levels": 10,
    }


def test_update_examples():
    assert update(
        "free_reward_interval_s = clamp(free_reward_interval_s + 5, 15, 40)", {"free_reward_interval_s": 38.0}
    ) == {"free_reward_interval_s": 40}
    assert update("field_a = 8", {"field_a": 0}) == {"field_a": 8}
    assert update("field_1 += 5", {"field_1": 5}) == {"field_1": 10}
    assert update("", {"x": 1}) == {"x": 1}
    assert update("# nothing\n\n", {"x": 1}) == {"x": 1}
    assert update("x = level * 2  # comment", {"x": 1}, {"level": 4}) == {"x": 8}
    assert update("   x = 2\n  y = x", {"x": 1, "y": 0}) == {"x": 2, "y": 2}


def test_assigned_lists_are_copies():
    compiled = compile_update("xs = [1, 2]")
    a, _ = compiled.apply(Context({}, {}), {"xs": []})
    a["xs"].append(3)
    b, _ = compiled.apply(Context({}, {}), {"xs": []})
    assert b["xs"] == [1, 2]


@pytest.mark.parametrize(
    ("text", "params", "fragment"),
    [
        ("nope = 1", {"x": 1}, "no parameter 'nope'"),
        ("g.nope = 1", {"g": {"a": 1}}, "no parameter 'nope'"),
        ("g = 1", {"g": {"a": 1}}, "group of parameters"),
        ("x += 'a'", {"x": 1}, "cannot add"),
        ("x = 1 / 0", {"x": 1}, "division by zero"),
        ("x = missing", {"x": 1}, "missing"),
    ],
)
def test_update_runtime_errors(text, params, fragment):
    with pytest.raises(RuleError) as info:
        update(text, params)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("x > 1", "assignments"),
        ("a = b = 1", "one assignment"),
        ("a, b = 1, 2", "unpacking"),
        ("import os", "imports"),
        ("from os import path", "imports"),
        ("x: int = 1", "annotations"),
        ("for i in [1]:\n    x = i", ""),
        ("def f(): pass", "only assignments"),
        ("x //= 2", "only =, +=, -=, *= and /="),
        ("sessions_total = 1", "counter"),
        ("x.__class__ = 1", "dunder"),
        ("xs[0] = 1", "only a task parameter"),
        ("(x) = f()", "not a rule function"),
        ("x = y.__dict__", "dunder"),
    ],
)
def test_update_refusals(text, fragment):
    assert fragment in refused(text, "update").reason


# --- refusals, with the column --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "().__class__.__bases__[0].__subclasses__()",
        "__import__('os')",
        "(lambda: 1)()",
        "[x for x in 'a']",
        "9**9**9",
        "'a'*10**9",
        "open('f')",
        "getattr(1,'real')",
        "eval('1')",
        "exec('x=1')",
        "compile('1', 'f', 'eval')",
        "x.real",
        "''.join(['a'])",
        "{'a': 1}",
        "{1, 2}",
        "f'{x}'",
        "(x := 1)",
        "[*xs]",
        "mean(**kw)",
        "__builtins__",
        "x.__class__",
        "type(x)",
        "globals()",
        "1 if x else (lambda: 2)",
        "~x",
        "x @ y",
        "x << 2",
        "x is None",
        "b'bytes'",
        "1j",
        "1e999 > 0",
        "(yield 1)",
        "'a' * 100001",
        "[0] * 100000",
        "10 ** 100000",
        "[[0] * 10000] * 10000 == [[0] * 10000] * 10000",
        "2 ** 5000",
        "1" + "0" * 60 + " > 0",
        "'" + "a" * 2000 + "' == x",
        "-" * 100 + "1 > 0",
        "(" * 300 + "1" + ")" * 300 + " > 0",
        "x" * 20_000,
        "x > 1\x00",
        "",
        "   ",
        "x = 1",
        "acc >",
        "mean()",
        "clamp(1, 2)",
        "ramp(1, 2, over=3, foo=4)",
        "round(1, 2, 3)",
        "mean",
        "sessions_in_policy.x > 1",
    ],
)
def test_refused(text):
    error = refused(text)
    assert isinstance(error, CurriculumGuiError)
    assert error.reason
    assert error.col is None or 0 <= error.col <= len(text)


@pytest.mark.parametrize(
    ("text", "col", "fragment"),
    [
        ("theta_1 > 5 and open('f')", 16, "not a rule function"),
        ("x > 1 and y.__class__", 10, "dunder"),
        ("mean(last(xs, 2)) > (lambda: 1)", 21, "lambdas"),
        ("a > 1 and [y for y in xs]", 10, "comprehensions"),
        ("maen(xs) > 1", 0, "did you mean 'mean'"),
        ("x = 5", 2, "use =="),
        ("x >", 2, "incomplete: something is missing at the end"),  # Python gives no column here
        ("é > 1 and open(1)", 10, "not a rule function"),  # columns count characters, not bytes
    ],
)
def test_error_column_and_reason(text, col, fragment):
    error = refused(text)
    assert error.col == col, str(error)
    assert fragment in error.reason
    assert str(error).startswith(f"column {col + 1}: ")


def test_multiline_errors_give_the_line():
    error = refused("x = 1\ny = open('f')", "update")
    assert error.line == 2 and error.col == 4
    assert str(error).startswith("line 2, column 5: ")
    error = refused("x = 1\n    y = open('f')", "update")  # indentation is ignored; columns stay true
    assert error.line == 2 and error.col == 8


# --- runtime failures -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "metrics", "fragment"),
    [
        ("x / y > 1", {"x": 1, "y": 0}, "division by zero"),
        ("x % y > 1", {"x": 1, "y": 0}, "division by zero"),
        ("missing > 1", {}, "missing"),
        ("x > 1", {"x": "a"}, "cannot compare"),
        ("x + 1 > 1", {"x": "a"}, "cannot add"),
        ("x and True", {"x": 1}, "needs true/false"),
        ("not x", {"x": 1}, "needs true/false"),
        ("mean(xs) > 1", {"xs": []}, "empty"),
        ("mean(xs) > 1", {"xs": 3}, "list of numbers"),
        ("xs[5] > 1", {"xs": [1]}, "out of range"),
        ("xs[0.5] > 1", {"xs": [1]}, "whole number"),
        ("x", {"x": 3}, "must give true or false"),
        ("x ** y > 0", {"x": -8, "y": 0.5}, "not a real number"),
        ("x ** y > 0", {"x": 10, "y": 10_000}, "too large"),
        ("x * y == ''", {"x": "ab", "y": 10**6}, "too long"),
        ("x * 1.0 > 0", {"x": 10**300 * 10**10}, "too large"),
        ("x * 10.0 > 0", {"x": 1e308}, "finite"),
        ("x % y == ''", {"x": "%s", "y": "a"}, "cannot take the remainder"),
        ("last(xs, -1) == []", {"xs": [1]}, ">= 0"),
        ("clamp(x, 3, 1) > 0", {"x": 1}, "above its upper bound"),
        ("ramp(0, 1, over=2) > 0", {}, "only available in policy rules"),
        ("sessions_in_policy > 0", {}, "only available in policy rules"),
        ("ramp(0, 1, over=0) > 0", {}, "above 0"),
    ],
)
def test_runtime_errors_are_rule_errors_with_a_column(text, metrics, fragment):
    compiled = compile_condition(text)
    with pytest.raises(RuleError) as info:
        compiled.evaluate(
            Context(metrics, {} if "ramp(0, 1, over=0)" not in text else {"sessions_in_policy": 1})
        )
    assert fragment in str(info.value)
    assert info.value.col is not None


def test_bool_is_not_a_number():
    with pytest.raises(RuleError):
        cond("x + 1 > 1", {"x": True})


def test_misbehaving_metric_objects_become_rule_errors():
    class Weird:
        def __gt__(self, other):
            raise RuntimeError("boom")

        def __eq__(self, other):
            raise RuntimeError("boom")

        __hash__ = object.__hash__

    with pytest.raises(RuleError):
        cond("x == 1", {"x": Weird()})
    with pytest.raises(RuleError):
        cond("x > 1", {"x": Weird()})


def test_compiled_once_evaluated_many_times():
    compiled = compile_condition("theta_2 > 5")
    assert [compiled.evaluate(Context({"theta_2": v}, {})) for v in (4, 5, 6)] == [False, False, True]


def test_an_empty_history_names_the_metric_that_was_never_measured() -> None:
    """Issue 15, item 17: "index 0 is out of range (0 items)" said nothing a technician could act on."""
    with pytest.raises(RuleError, match=r"index 0 is out of range \(0 items\): 'trials' was never measured"):
        cond("last(trials, 1)[0] >= 200", {"trials": []})
    with pytest.raises(RuleError, match=r"mean\(\) of an empty list: 'accuracy' was never measured"):
        cond("mean(last(accuracy, 3)) >= 0.8", {"accuracy": []})
    with pytest.raises(RuleError, match=r"index 5 is out of range \(2 items\)$"):  # measured: no note
        cond("trials[5] > 1", {"trials": [1, 2]})
