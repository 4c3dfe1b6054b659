"""The guarded operations of compiled rules: arithmetic, comparisons and ``in`` that refuse wrong types and
results too large to hold (powers, repetition, concatenation, big integers), with a message for people."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .functions import (
    MAX_INT_BITS,
    MAX_SEQUENCE,
    Fail,
    check_int_size,
    check_value_size,
    describe,
    is_list,
    is_number,
    short_repr,
)

if TYPE_CHECKING:
    from .compiler import Context, Evaluator

# --- guarded operations -------------------------------------------------------------------------


def _numeric(a: Any, b: Any, verb: str) -> None:
    if not (is_number(a) and is_number(b)):
        raise Fail(f"cannot {verb} {describe(a)} and {describe(b)}")


def _seq_pair(a: Any, b: Any) -> bool:
    return (isinstance(a, str) and isinstance(b, str)) or (is_list(a) and is_list(b))


def op_add(a: Any, b: Any) -> Any:
    if is_number(a) and is_number(b):
        return check_int_size(a + b)
    if _seq_pair(a, b):
        if len(a) + len(b) > MAX_SEQUENCE:
            raise Fail(f"the result would be too long (more than {MAX_SEQUENCE} items)")
        return a + b if isinstance(a, str) else check_value_size([*a, *b])
    raise Fail(f"cannot add {describe(a)} and {describe(b)}")


def op_sub(a: Any, b: Any) -> Any:
    _numeric(a, b, "subtract")
    return check_int_size(a - b)


def op_mul(a: Any, b: Any) -> Any:
    if is_number(a) and is_number(b):
        if type(a) is int and type(b) is int and a.bit_length() + b.bit_length() > MAX_INT_BITS + 1:
            raise Fail(f"number too large (more than {MAX_INT_BITS} bits)")
        return check_int_size(a * b)
    if (isinstance(a, str) or is_list(a)) and type(b) is int:
        seq, n = a, b
    elif (isinstance(b, str) or is_list(b)) and type(a) is int:
        seq, n = b, a
    else:
        raise Fail(f"cannot multiply {describe(a)} and {describe(b)}")
    if not isinstance(seq, str) and any(is_list(item) for item in seq):
        raise Fail("cannot repeat a list of lists")  # nested repetition would make comparisons explode
    if len(seq) * max(n, 0) > MAX_SEQUENCE:
        raise Fail(f"repetition too long (more than {MAX_SEQUENCE} items)")
    return seq * n if isinstance(seq, str) else check_value_size(list(seq) * n)


def op_div(a: Any, b: Any) -> Any:
    _numeric(a, b, "divide")
    if b == 0:
        raise Fail("division by zero")
    return check_int_size(a / b)


def op_floordiv(a: Any, b: Any) -> Any:
    _numeric(a, b, "divide")
    if b == 0:
        raise Fail("division by zero")
    return check_int_size(a // b)


def op_mod(a: Any, b: Any) -> Any:
    _numeric(a, b, "take the remainder of")  # never text formatting
    if b == 0:
        raise Fail("division by zero (in %)")
    return check_int_size(a % b)


def op_pow(a: Any, b: Any) -> Any:
    _numeric(a, b, "raise")
    if type(a) is int and type(b) is int and b > 0 and abs(a) > 1:
        if (abs(a).bit_length() - 1) * b > MAX_INT_BITS:
            raise Fail(f"power too large (more than {MAX_INT_BITS} bits)")
    elif abs(b) > 100_000:
        raise Fail("exponent too large")
    if a == 0 and b < 0:
        raise Fail("division by zero (0 to a negative power)")
    try:
        result = a**b
    except OverflowError:
        raise Fail("power too large") from None
    if isinstance(result, complex):
        raise Fail("the result is not a real number (a negative number to a fractional power)")
    return check_int_size(result)


_BINOP_IMPL: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: op_add,
    ast.Sub: op_sub,
    ast.Mult: op_mul,
    ast.Div: op_div,
    ast.FloorDiv: op_floordiv,
    ast.Mod: op_mod,
    ast.Pow: op_pow,
}


def _orderable(a: Any, b: Any, op: str) -> None:
    if not ((is_number(a) and is_number(b)) or _seq_pair(a, b)):
        raise Fail(f"cannot compare {describe(a)} {op} {describe(b)}")


def _cmp(fn: Callable[[Any, Any], Any], op: str) -> Callable[[Any, Any], bool]:
    def compare(a: Any, b: Any) -> bool:
        _orderable(a, b, op)
        return bool(fn(a, b))

    return compare


def _contains(a: Any, b: Any) -> bool:
    if isinstance(b, str):
        if not isinstance(a, str):
            raise Fail(f"'in' text needs text on the left, got {describe(a)}")
        return a in b
    if is_list(b):
        return bool(a in b)
    raise Fail(f"'in' needs a list or text on the right, got {describe(b)}")


_CMP_IMPL: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: lambda a, b: bool(a == b),
    ast.NotEq: lambda a, b: bool(a != b),
    ast.Lt: _cmp(operator.lt, "<"),
    ast.LtE: _cmp(operator.le, "<="),
    ast.Gt: _cmp(operator.gt, ">"),
    ast.GtE: _cmp(operator.ge, ">="),
    ast.In: _contains,
    ast.NotIn: lambda a, b: not _contains(a, b),
}


_PLAIN_NUMBERS = frozenset((int, float))
_FAST_ORDER: dict[type, Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


def _name_constant_factory(op: str) -> Callable[..., Evaluator]:
    """A closure for ``name <op> number`` with the comparison written out (the most common rule).

    In a condition a name that is not a counter can only be a metric, so it is read directly; anything
    unusual (a missing metric, a value that is not a plain number) takes the general, guarded path.
    Built from a fixed template per operator, never from rule text."""
    fast_op = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}.get(
        op, operator.eq if op == "==" else operator.ne
    )

    def factory(
        name: str,
        constant: Any,
        direct: bool,
        slow_load: Evaluator,
        impl: Callable,
        fail: Callable,
    ) -> Evaluator:
        def slow(ctx: Context) -> bool:
            a = slow_load(ctx)
            if type(a) in _PLAIN_NUMBERS:
                return fast_op(a, constant)
            try:
                return impl(a, constant)
            except Exception as exc:
                raise fail(exc) from None

        if not direct:
            return slow
        plain = _PLAIN_NUMBERS
        if op == ">":

            def compare(ctx: Context) -> bool:
                try:
                    a = ctx.metrics[name]
                except Exception:
                    return slow(ctx)
                ctx.reads[name] = a
                return a > constant if type(a) in plain else slow(ctx)

        elif op == ">=":

            def compare(ctx: Context) -> bool:
                try:
                    a = ctx.metrics[name]
                except Exception:
                    return slow(ctx)
                ctx.reads[name] = a
                return a >= constant if type(a) in plain else slow(ctx)

        elif op == "<":

            def compare(ctx: Context) -> bool:
                try:
                    a = ctx.metrics[name]
                except Exception:
                    return slow(ctx)
                ctx.reads[name] = a
                return a < constant if type(a) in plain else slow(ctx)

        elif op == "<=":

            def compare(ctx: Context) -> bool:
                try:
                    a = ctx.metrics[name]
                except Exception:
                    return slow(ctx)
                ctx.reads[name] = a
                return a <= constant if type(a) in plain else slow(ctx)

        elif op == "==":

            def compare(ctx: Context) -> bool:
                try:
                    a = ctx.metrics[name]
                except Exception:
                    return slow(ctx)
                ctx.reads[name] = a
                return a == constant if type(a) in plain else slow(ctx)

        else:

            def compare(ctx: Context) -> bool:
                try:
                    a = ctx.metrics[name]
                except Exception:
                    return slow(ctx)
                ctx.reads[name] = a
                return a != constant if type(a) in plain else slow(ctx)

        return compare

    return factory


_NAME_CONSTANT_COMPARE: dict[type, Callable[..., Evaluator]] = {
    ast.Gt: _name_constant_factory(">"),
    ast.GtE: _name_constant_factory(">="),
    ast.Lt: _name_constant_factory("<"),
    ast.LtE: _name_constant_factory("<="),
    ast.Eq: _name_constant_factory("=="),
    ast.NotEq: _name_constant_factory("!="),
}


def _as_reason(exc: BaseException) -> str:
    if isinstance(exc, Fail):
        return str(exc)
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, IndexError):
        return "index out of range"
    if isinstance(exc, OverflowError):
        return "number too large"
    text = str(exc)
    return f"{type(exc).__name__}: {short_repr(text, 120)}" if text else type(exc).__name__


def need_bool(value: Any, what: str) -> bool:
    if type(value) is not bool:
        raise Fail(f"{what} needs true/false, got {describe(value)}")
    return value
