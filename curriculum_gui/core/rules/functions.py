"""The functions a rule may call, with their one-line docs (shown by the editor's completion).

Every function checks its arguments and raises :class:`Fail` with a plain reason; the compiler turns that
into a :class:`~.errors.RuleError` with the column of the call. Nothing here touches anything but the
values it is given.
"""

from __future__ import annotations

import math
import numbers
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_SEQUENCE = 10_000  # longest list or string a rule may build
MAX_INT_BITS = 4_096  # largest integer a rule may build (about 1,200 digits)
MAX_VALUE_SIZE = 100_000  # list items plus text characters in one value a rule builds, counted as if copied
MAX_NESTING = 16  # lists inside lists in one value a rule builds


class Fail(Exception):
    """A rule-level failure with a reason for people."""


# --- value helpers ------------------------------------------------------------------------------


def is_number(value: Any) -> bool:
    t = type(value)
    if t is int or t is float:
        return True
    return t is not bool and isinstance(value, numbers.Real)


def is_list(value: Any) -> bool:
    return type(value) is list or type(value) is tuple


def type_word(value: Any) -> str:
    if value is None:
        return "nothing (None)"
    if type(value) is bool:
        return "true/false"
    if is_number(value):
        return "a number"
    if isinstance(value, str):
        return "text"
    if is_list(value):
        return "a list"
    if isinstance(value, dict):
        return "a group of parameters"
    return f"a {type(value).__name__}"


def short_repr(value: Any, limit: int = 60) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<{type_word(value)}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(value: Any) -> str:
    return f"{short_repr(value)} ({type_word(value)})"


def check_number(value: Any, what: str) -> None:
    if not is_number(value):
        raise Fail(f"{what} must be a number, got {describe(value)}")


def check_int_size(value: Any) -> Any:
    if type(value) is int and value.bit_length() > MAX_INT_BITS:
        raise Fail(f"number too large (more than {MAX_INT_BITS} bits)")
    if type(value) is float and not math.isfinite(value):
        raise Fail("the result is not a finite number")
    return value


def check_value_size(value: Any) -> Any:
    """``value`` if its size is bounded, else :class:`Fail`.

    A list may hold the same list several times (``xs = [xs, xs]``, line after line): cheap to build,
    but every copy, comparison or JSON text of it grows exponentially. So the size is counted as if
    copied: every list item, plus every character of text, wherever it sits, at most
    :data:`MAX_VALUE_SIZE` in all and :data:`MAX_NESTING` lists deep. The walk stops as soon as the
    budget is spent, so checking costs at most ``MAX_VALUE_SIZE`` steps whatever the value shares."""
    if type(value) is not list and type(value) is not tuple:
        return value
    budget = MAX_VALUE_SIZE
    stack: list[tuple[Any, int]] = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        items, depth = pop()
        budget -= len(items)
        if budget < 0:
            raise Fail(_too_large())
        for item in items:
            kind = type(item)
            if kind is str:
                budget -= len(item)
                if budget < 0:
                    raise Fail(_too_large())
            elif kind is list or kind is tuple:
                if depth >= MAX_NESTING:
                    raise Fail(f"the value is nested too deeply (more than {MAX_NESTING} lists inside lists)")
                push((item, depth + 1))
    return value


def _too_large() -> str:
    return (
        f"the value is too large (more than {MAX_VALUE_SIZE:,} list items and characters, "
        "counting a list held several times once per place)"
    )


def _numbers(values: Any, fname: str) -> list:
    """The numbers of a list, leaving out gaps (``None``: a session that did not measure the metric); a
    list with gaps and no number is an error (nothing was measured), never an empty list."""
    if not is_list(values):
        raise Fail(f"{fname}() needs a list of numbers, got {describe(values)}")
    gaps = 0
    for v in values:
        if not is_number(v):
            if v is not None:
                raise Fail(f"{fname}() needs a list of numbers; it contains {describe(v)}")
            gaps += 1
    if not gaps:
        return list(values)
    if gaps == len(values):
        raise Fail(f"{fname}() of a history with no value measured ({gaps} session(s) not measured)")
    return [v for v in values if v is not None]


def _nonempty(values: list, fname: str) -> list:
    if not values:
        raise Fail(f"{fname}() of an empty list")
    return values


def _numbers_or_args(args: tuple, fname: str) -> list:
    if len(args) == 1:
        return _nonempty(_numbers(args[0], fname), fname)
    for v in args:
        check_number(v, f"every argument of {fname}()")
    return list(args)


# --- the functions ------------------------------------------------------------------------------


def f_mean(xs: Any) -> float:
    values = _nonempty(_numbers(xs, "mean"), "mean")
    return check_int_size(math.fsum(values) / len(values))


def f_median(xs: Any) -> Any:
    return statistics.median(_nonempty(_numbers(xs, "median"), "median"))


def f_min(*args: Any) -> Any:
    return min(_numbers_or_args(args, "min"))


def f_max(*args: Any) -> Any:
    return max(_numbers_or_args(args, "max"))


def f_sum(xs: Any) -> Any:
    values = _numbers(xs, "sum")
    if any(type(v) is float for v in values):
        return check_int_size(math.fsum(values))
    return check_int_size(sum(values))


def f_len(xs: Any) -> int:
    if not (is_list(xs) or isinstance(xs, str)):
        raise Fail(f"len() needs a list or text, got {describe(xs)}")
    return len(xs)


def f_abs(x: Any) -> Any:
    check_number(x, "abs()'s argument")
    return abs(x)


def f_round(x: Any, ndigits: Any = None) -> Any:
    check_number(x, "round()'s argument")
    if ndigits is None:
        if isinstance(x, float) and not math.isfinite(x):
            raise Fail("cannot round a number that is not finite")
        return round(x)
    if type(ndigits) is not int or not -20 <= ndigits <= 20:
        raise Fail(f"round()'s digits must be a whole number between -20 and 20, got {describe(ndigits)}")
    return round(x, ndigits)


def _booleans(xs: Any, fname: str) -> list:
    if not is_list(xs):
        raise Fail(f"{fname}() needs a list of true/false values, got {describe(xs)}")
    for v in xs:
        if type(v) is not bool:
            raise Fail(f"{fname}() needs a list of true/false values; it contains {describe(v)}")
    return list(xs)


def f_all(xs: Any) -> bool:
    return all(_booleans(xs, "all"))


def f_any(xs: Any) -> bool:
    return any(_booleans(xs, "any"))


def f_clamp(x: Any, low: Any, high: Any) -> Any:
    check_number(x, "clamp()'s value")
    check_number(low, "clamp()'s lower bound")
    check_number(high, "clamp()'s upper bound")
    if low > high:
        raise Fail(f"clamp()'s lower bound {short_repr(low)} is above its upper bound {short_repr(high)}")
    return low if x < low else high if x > high else x


def f_last(xs: Any, n: Any) -> list:
    if not is_list(xs):
        raise Fail(f"last() needs a list (a history), got {describe(xs)}")
    if type(n) is not int or n < 0:
        raise Fail(f"last()'s count must be a whole number >= 0, got {describe(n)}")
    return list(xs[-n:]) if n else []


def f_ramp(sessions: int, start: Any, end: Any, over: Any) -> Any:
    check_number(start, "ramp()'s start")
    check_number(end, "ramp()'s end")
    check_number(over, "ramp()'s 'over'")
    if over <= 0:
        raise Fail(f"ramp()'s 'over' must be above 0, got {short_repr(over)}")
    if sessions >= over:
        return end
    return check_int_size(start + (end - start) * sessions / over)


# --- the table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionInfo:
    """One callable function. ``args`` are the types of the positional arguments (check.py's type tags:
    ``number``, ``boolean``, ``string``, ``list``, ``any``); ``numbers_or_list`` marks min/max, which take
    one list or several numbers."""

    name: str
    signature: str
    doc: str
    impl: Callable[..., Any]
    min_args: int
    max_args: int | None
    returns: str
    args: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    needs_sessions_in_policy: bool = False
    numbers_or_list: bool = False


FUNCTIONS: dict[str, FunctionInfo] = {
    f.name: f
    for f in (
        FunctionInfo(
            "mean",
            "mean(xs)",
            "Arithmetic mean of a list of numbers (gaps left out).",
            f_mean,
            1,
            1,
            "number",
            ("list",),
        ),
        FunctionInfo(
            "median",
            "median(xs)",
            "Median of a list of numbers (gaps left out).",
            f_median,
            1,
            1,
            "number",
            ("list",),
        ),
        FunctionInfo(
            "min",
            "min(xs) or min(a, b, ...)",
            "Smallest of a list (gaps left out), or of the numbers given.",
            f_min,
            1,
            None,
            "number",
            numbers_or_list=True,
        ),
        FunctionInfo(
            "max",
            "max(xs) or max(a, b, ...)",
            "Largest of a list (gaps left out), or of the numbers given.",
            f_max,
            1,
            None,
            "number",
            numbers_or_list=True,
        ),
        FunctionInfo(
            "sum",
            "sum(xs)",
            "Sum of a list of numbers (0 for an empty list; gaps left out).",
            f_sum,
            1,
            1,
            "number",
            ("list",),
        ),
        FunctionInfo(
            "len",
            "len(xs)",
            "Number of items in a list, gaps included (or characters in a text).",
            f_len,
            1,
            1,
            "number",
            ("any",),
        ),
        FunctionInfo("abs", "abs(x)", "Absolute value.", f_abs, 1, 1, "number", ("number",)),
        FunctionInfo(
            "round",
            "round(x, digits=0)",
            "Round to the nearest whole number, or to a number of digits.",
            f_round,
            1,
            2,
            "number",
            ("number", "number"),
        ),
        FunctionInfo(
            "all",
            "all(xs)",
            "True when every item of a list of true/false values is true.",
            f_all,
            1,
            1,
            "boolean",
            ("list",),
        ),
        FunctionInfo(
            "any",
            "any(xs)",
            "True when at least one item of a list of true/false values is true.",
            f_any,
            1,
            1,
            "boolean",
            ("list",),
        ),
        FunctionInfo(
            "clamp",
            "clamp(x, low, high)",
            "x limited to the range [low, high].",
            f_clamp,
            3,
            3,
            "number",
            ("number", "number", "number"),
        ),
        FunctionInfo(
            "last",
            "last(xs, n)",
            "The last n items of a history (fewer if there are fewer), oldest first, gaps included.",
            f_last,
            2,
            2,
            "list",
            ("list", "number"),
        ),
        FunctionInfo(
            "ramp",
            "ramp(start, end, over=N)",
            "Linear schedule: start + (end - start) * min(sessions_in_policy, N) / N (policy rules only).",
            f_ramp,
            3,
            3,
            "number",
            ("number", "number", "number"),
            keywords=("over",),
            needs_sessions_in_policy=True,
        ),
    )
}

COUNTERS: dict[str, str] = {
    "sessions_in_stage": "Sessions completed in the current stage, counting the one being evaluated.",
    "sessions_total": "Sessions completed since enrollment, counting the one being evaluated.",
    "sessions_in_policy": "Sessions completed while the policy being evaluated was active (policy rules).",
    "days_since_last_session": "Days since the subject's latest session (attention rules).",
    "days_in_stage": "Days since the subject entered its current stage (attention rules).",
}
ATTENTION_COUNTERS = frozenset(("days_since_last_session", "days_in_stage"))
"""Counters only attention rules read (they depend on today's date, which the trainer never reads)."""

CONSTANTS: dict[str, str] = {"True": "true", "False": "false", "None": "no value"}


def function_docs() -> dict[str, str]:
    """``{name: "signature: doc"}`` for completion and help."""
    return {f.name: f"{f.signature}: {f.doc}" for f in FUNCTIONS.values()}
