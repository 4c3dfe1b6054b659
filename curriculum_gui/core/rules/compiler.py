"""Compile rule text into fast closures.

The text is parsed and checked against the whitelist by :mod:`.parser`. Whatever passes is turned, once,
into a tree of Python closures: the rule text is never given to ``eval``/``exec``, no attribute of any value
is ever looked up, and every operation that could blow up (powers, repetition, concatenation, big integers)
is guarded (:mod:`.operations`). Constant sub-expressions are evaluated at compile time, so ``9**9**9`` or
``'a' * 10**9`` are refused before anything runs.

Two kinds of rule:

* a **condition** (``mode="condition"``): one expression that must give true or false;
* an **update** (``mode="update"``): assignments to task parameters, one per line:
  ``name = expr``, ``name += expr`` (also ``-=``, ``*=``, ``/=``), ``group.field = expr``.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import RuleError
from .functions import (
    ATTENTION_COUNTERS,
    COUNTERS,
    FUNCTIONS,
    MAX_SEQUENCE,
    Fail,
    check_value_size,
    describe,
    is_list,
    is_number,
    short_repr,
)
from .operations import (
    _BINOP_IMPL,
    _CMP_IMPL,
    _FAST_ORDER,
    _NAME_CONSTANT_COMPARE,
    _PLAIN_NUMBERS,
    _as_reason,
)
from .parser import (
    Parsed,
    Source,
    _describe_node,
    _dotted,
    parse_condition,
    parse_update,
)

Evaluator = Callable[["Context"], Any]


# --- evaluation context -------------------------------------------------------------------------


class Context:
    """What a rule can read during one evaluation, and a record of what it did read.

    The counters are attributes (None when not available to this rule: ``sessions_in_policy`` exists only
    in policy rules, the ``days_*`` counters only in attention rules, and the trainer's hot path never sets
    them: they are read with a default); ``params`` is the current task parameters (updates only, else
    None); ``reads`` collects ``name -> value`` for the "why". ``counters`` may be given as a mapping.
    """

    __slots__ = (
        "days_in_stage",
        "days_since_last_session",
        "metrics",
        "params",
        "reads",
        "sessions_in_policy",
        "sessions_in_stage",
        "sessions_total",
    )

    def __init__(
        self,
        metrics: Mapping[str, Any],
        counters: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        self.metrics = metrics
        self.params = params
        self.reads: dict[str, Any] = {}
        counters = counters or {}
        self.sessions_in_stage = counters.get("sessions_in_stage")
        self.sessions_total = counters.get("sessions_total")
        self.sessions_in_policy = counters.get("sessions_in_policy")
        self.days_since_last_session = counters.get("days_since_last_session")
        self.days_in_stage = counters.get("days_in_stage")

    @property
    def counters(self) -> dict[str, Any]:
        """The counters available here."""
        return {name: getattr(self, name, None) for name in COUNTERS if getattr(self, name, None) is not None}

    def counter(self, name: str) -> Any:
        value = getattr(self, name, None)
        if value is None:
            raise Fail(self._missing(name))
        self.reads[name] = value
        return value

    def load(self, name: str) -> Any:
        if name in COUNTERS:
            return self.counter(name)
        if self.params is not None and name in self.params:
            value = self.params[name]
        elif name in self.metrics:
            value = self.metrics[name]
        else:
            raise Fail(self._missing(name))
        self.reads[name] = value
        return value

    def load_path(self, path: tuple[str, ...]) -> Any:
        dotted = ".".join(path)
        params = self.params
        if params is None:
            raise Fail(f"{dotted!r}: dotted names are task parameter paths, only available in policy updates")
        value: Any = params
        for i, part in enumerate(path):
            if not isinstance(value, dict) or part not in value:
                where = ".".join(path[:i]) or "the task"
                raise Fail(f"{dotted!r}: {where} has no parameter {part!r}")
            value = value[part]
        self.reads[dotted] = value
        return value

    def ramp_sessions(self) -> Any:
        if self.sessions_in_policy is None:
            raise Fail("ramp() uses sessions_in_policy, which is only available in policy rules")
        self.reads["sessions_in_policy"] = self.sessions_in_policy
        return self.sessions_in_policy

    def _missing(self, name: str) -> str:
        if name == "sessions_in_policy":
            return "sessions_in_policy is only available in policy rules (policy transitions and updates)"
        if name in ATTENTION_COUNTERS:
            return f"{name} is only available in attention rules"
        if name in COUNTERS:
            return f"{name} is not available here"
        if self.params is not None:
            return f"no task parameter or metric named {name!r} in this session's metrics"
        return f"metric {name!r} is missing from this session's metrics"


_new_context = object.__new__


def fast_context(metrics: Mapping[str, Any], sessions_in_stage: int, sessions_total: int) -> Context:
    """A Context for the trainer's hot path (no counters mapping to unpack); policy rules set
    ``sessions_in_policy``."""
    ctx = _new_context(Context)
    ctx.metrics = metrics
    ctx.params = None
    ctx.reads = {}
    ctx.sessions_in_stage = sessions_in_stage
    ctx.sessions_total = sessions_total
    ctx.sessions_in_policy = None
    return ctx


# --- building closures --------------------------------------------------------------------------


class _Builder:
    def __init__(self, source: Source, mode: str) -> None:
        self.source = source
        self.mode = mode

    def fail_at(self, node: ast.AST, exc: BaseException) -> RuleError:
        if isinstance(exc, RuleError):
            return exc
        return self.source.error(_as_reason(exc), node)

    def build(self, node: ast.AST) -> tuple[Evaluator, bool]:
        """(closure, is_constant). Constant sub-trees are evaluated now (errors become compile errors)."""
        fn, const = self._build(node)
        if const and not isinstance(node, ast.Constant):
            try:
                value = fn(None)  # type: ignore[arg-type]
            except RuleError:
                raise
            except Exception as exc:
                raise self.fail_at(node, exc) from None
            return (lambda ctx, v=value: v), True
        return fn, const

    def _build(self, node: ast.AST) -> tuple[Evaluator, bool]:
        method = getattr(self, "_b_" + type(node).__name__, None)
        if method is None:  # the whitelist keeps us from getting here
            raise self.source.error(f"{_describe_node(node)} is not allowed in a rule", node)
        return method(node)

    def _b_Constant(self, node: ast.Constant) -> tuple[Evaluator, bool]:
        value = node.value
        return (lambda ctx: value), True

    def _b_Name(self, node: ast.Name) -> tuple[Evaluator, bool]:
        name = node.id
        fail_at = self.fail_at

        if name in ATTENTION_COUNTERS:  # unset on the trainer's hot path (see Context)

            def load_day_counter(ctx: Context) -> Any:
                value = getattr(ctx, name, None)
                if value is None:
                    raise fail_at(node, Fail(ctx._missing(name)))
                ctx.reads[name] = value
                return value

            return load_day_counter, False

        if name in COUNTERS:
            get_counter = operator.attrgetter(name)

            def load_counter(ctx: Context) -> Any:
                value = get_counter(ctx)
                if value is None:
                    raise fail_at(node, Fail(ctx._missing(name)))
                ctx.reads[name] = value
                return value

            return load_counter, False

        def load(ctx: Context) -> Any:  # Context.load, inlined: this is the hottest path
            params = ctx.params
            if params is not None and name in params:
                value = params[name]
            else:
                metrics = ctx.metrics
                try:
                    value = metrics[name] if name in metrics else ctx.load(name)
                except Exception as exc:
                    raise fail_at(node, exc) from None
            ctx.reads[name] = value
            return value

        return load, False

    def _b_Attribute(self, node: ast.Attribute) -> tuple[Evaluator, bool]:
        path = _dotted(node)
        assert path is not None
        fail_at = self.fail_at

        def load(ctx: Context) -> Any:
            try:
                return ctx.load_path(path)
            except Exception as exc:
                raise fail_at(node, exc) from None

        return load, False

    def _b_List(self, node: ast.List | ast.Tuple) -> tuple[Evaluator, bool]:
        parts = [self.build(e) for e in node.elts]
        fns = [p[0] for p in parts]
        fail_at = self.fail_at

        def list_(ctx: Context) -> list:
            items = [f(ctx) for f in fns]
            try:
                return check_value_size(items)  # it may hold the same big list several times
            except Fail as exc:
                raise fail_at(node, exc) from None

        return list_, all(p[1] for p in parts)

    _b_Tuple = _b_List

    def _b_BinOp(self, node: ast.BinOp) -> tuple[Evaluator, bool]:
        (left, lc), (right, rc) = self.build(node.left), self.build(node.right)
        impl = _BINOP_IMPL[type(node.op)]
        fail_at = self.fail_at

        def binop(ctx: Context) -> Any:
            a = left(ctx)
            b = right(ctx)
            try:
                return impl(a, b)
            except Exception as exc:
                raise fail_at(node, exc) from None

        return binop, lc and rc

    def _b_UnaryOp(self, node: ast.UnaryOp) -> tuple[Evaluator, bool]:
        operand, const = self.build(node.operand)
        fail_at = self.fail_at
        if isinstance(node.op, ast.Not):

            def not_(ctx: Context) -> bool:
                v = operand(ctx)
                if type(v) is not bool:
                    raise fail_at(node, Fail(f"'not' needs true/false, got {describe(v)}"))
                return not v

            return not_, const
        negate = isinstance(node.op, ast.USub)

        def sign(ctx: Context) -> Any:
            v = operand(ctx)
            if not is_number(v):
                raise fail_at(node, Fail(f"'{'-' if negate else '+'}' needs a number, got {describe(v)}"))
            return -v if negate else +v

        return sign, const

    def _b_BoolOp(self, node: ast.BoolOp) -> tuple[Evaluator, bool]:
        parts = [(self.build(v), v) for v in node.values]
        items = [(fn, v) for (fn, _), v in parts]
        const = all(c for (_, c), _ in parts)
        fail_at = self.fail_at
        is_and = isinstance(node.op, ast.And)
        word = "'and'" if is_and else "'or'"

        def boolop(ctx: Context) -> bool:
            for fn, sub in items:
                v = fn(ctx)
                if type(v) is not bool:
                    raise fail_at(sub, Fail(f"{word} needs true/false on both sides, got {describe(v)}"))
                if v is not is_and:
                    return v
            return is_and

        return boolop, const

    def _b_IfExp(self, node: ast.IfExp) -> tuple[Evaluator, bool]:
        (test, tc), (body, bc), (orelse, oc) = (
            self.build(node.test),
            self.build(node.body),
            self.build(node.orelse),
        )
        fail_at = self.fail_at

        def ifexp(ctx: Context) -> Any:
            t = test(ctx)
            if type(t) is not bool:
                raise fail_at(node.test, Fail(f"'if' needs a true/false test, got {describe(t)}"))
            return body(ctx) if t else orelse(ctx)

        return ifexp, tc and bc and oc

    def _b_Compare(self, node: ast.Compare) -> tuple[Evaluator, bool]:
        first, const = self.build(node.left)
        rest = []
        for op, comp in zip(node.ops, node.comparators, strict=True):
            fn, c = self.build(comp)
            const = const and c
            rest.append((_CMP_IMPL[type(op)], fn))
        fail_at = self.fail_at
        name_vs_number = _name_vs_number(node)
        if name_vs_number is not None:
            # ``theta_2 > 5``, the most common rule, in one call: the name lookup of _b_Name, inlined.
            ((impl, _),) = rest
            name, op_type, constant = name_vs_number
            slow_load = first

            direct = self.mode == "condition" and name not in COUNTERS
            compare_name_constant = _NAME_CONSTANT_COMPARE[op_type](
                name, constant, direct, slow_load, impl, lambda exc: fail_at(node, exc)
            )
            return compare_name_constant, False
        if len(rest) == 1 and type(node.ops[0]) in _FAST_ORDER:
            # The common case (``theta_2 > 5``): numbers compare directly, anything else takes the guard.
            fast = _FAST_ORDER[type(node.ops[0])]
            ((impl, second),) = rest

            def compare1(ctx: Context) -> bool:
                a = first(ctx)
                b = second(ctx)
                if type(a) in _PLAIN_NUMBERS and type(b) in _PLAIN_NUMBERS:
                    return fast(a, b)
                try:
                    return impl(a, b)
                except Exception as exc:
                    raise fail_at(node, exc) from None

            return compare1, const

        def compare(ctx: Context) -> bool:
            a = first(ctx)
            for impl, fn in rest:
                b = fn(ctx)
                try:
                    ok = impl(a, b)
                except Exception as exc:
                    raise fail_at(node, exc) from None
                if not ok:
                    return False
                a = b
            return True

        return compare, const

    def _b_Subscript(self, node: ast.Subscript) -> tuple[Evaluator, bool]:
        value, vc = self.build(node.value)
        fail_at = self.fail_at
        if isinstance(node.slice, ast.Slice):
            bounds = [
                None if b is None else self.build(b)
                for b in (node.slice.lower, node.slice.upper, node.slice.step)
            ]
            const = vc and all(b is None or b[1] for b in bounds)
            fns = [None if b is None else b[0] for b in bounds]

            def slice_(ctx: Context) -> Any:
                v = value(ctx)
                parts = [None if f is None else f(ctx) for f in fns]
                try:
                    if not (is_list(v) or isinstance(v, str)):
                        raise Fail(f"only a list or text can be sliced, not {describe(v)}")
                    for p in parts:
                        if p is not None and type(p) is not int:
                            raise Fail(f"slice bounds must be whole numbers, got {describe(p)}")
                    if parts[2] == 0:
                        raise Fail("a slice step cannot be zero")
                    result = v[parts[0] : parts[1] : parts[2]]
                    return result if isinstance(v, str) else list(result)
                except Exception as exc:
                    raise fail_at(node, exc) from None

            return slice_, const
        index, ic = self.build(node.slice)
        names = _names_read(node.value)

        def subscript(ctx: Context) -> Any:
            v = value(ctx)
            i = index(ctx)
            try:
                if not (is_list(v) or isinstance(v, str)):
                    raise Fail(f"only a list or text can be indexed, not {describe(v)}")
                if type(i) is not int:
                    raise Fail(f"an index must be a whole number, got {describe(i)}")
                if not -len(v) <= i < len(v):
                    raise Fail(
                        f"index {i} is out of range ({len(v)} item{'s' * (len(v) != 1)})"
                        + _never_measured(ctx, names)
                    )
                return v[i]
            except Exception as exc:
                raise fail_at(node, exc) from None

        return subscript, vc and ic

    def _b_Call(self, node: ast.Call) -> tuple[Evaluator, bool]:
        assert isinstance(node.func, ast.Name)
        info = FUNCTIONS[node.func.id]
        built = [self.build(a) for a in node.args]
        for kw in node.keywords:
            built.append(self.build(kw.value))  # only ramp's 'over', which is its last argument
        fns = tuple(b[0] for b in built)
        impl = info.impl
        names = _names_read(node)

        def fail_at(node: ast.AST, exc: BaseException, ctx: Context | None = None) -> RuleError:
            """An empty list (``mean(last(accuracy, 3))`` before any session) says which metric it is."""
            if isinstance(exc, Fail) and "empty list" in str(exc):
                exc = Fail(str(exc) + _never_measured(ctx, names))
            return self.fail_at(node, exc)

        if info.needs_sessions_in_policy:

            def call_with_sessions(ctx: Context) -> Any:
                args = [f(ctx) for f in fns]
                try:
                    return impl(ctx.ramp_sessions(), *args)
                except Exception as exc:
                    raise fail_at(node, exc, ctx) from None

            return call_with_sessions, False
        const = all(b[1] for b in built)
        if len(fns) == 1:
            (only,) = fns

            def call1(ctx: Context) -> Any:
                arg = only(ctx)
                try:
                    return impl(arg)
                except Exception as exc:
                    raise fail_at(node, exc, ctx) from None

            return call1, const

        def call(ctx: Context) -> Any:
            args = [f(ctx) for f in fns]
            try:
                return impl(*args)
            except Exception as exc:
                raise fail_at(node, exc, ctx) from None

        return call, const


def _names_read(node: ast.AST) -> tuple[str, ...]:
    """The metric (or parameter) names a sub-expression reads: not functions, not counters."""
    found = (n.id for n in ast.walk(node) if isinstance(n, ast.Name))
    return tuple(dict.fromkeys(n for n in found if n not in FUNCTIONS and n not in COUNTERS))


def _never_measured(ctx: Context | None, names: tuple[str, ...]) -> str:
    """``": 'trials' was never measured …"`` when a list the rule read is empty (no session has a value
    yet), so that "index 0 is out of range (0 items)" names the metric; else ``""``."""
    if ctx is None:
        return ""
    empty = [n for n in names if isinstance(ctx.reads.get(n), list) and not ctx.reads[n]]
    if not empty:
        return ""
    listed = " and ".join(repr(n) for n in empty)
    return f": {listed} {'was' if len(empty) == 1 else 'were'} never measured (no session has a value yet)"


# --- compiled rules -----------------------------------------------------------------------------


def _wrap_unexpected(exc: BaseException) -> RuleError:
    return RuleError(f"the rule failed: {_as_reason(exc)}")


MetricComparison = tuple[str, Callable[[Any, Any], bool], "int | float"]


def _name_vs_number(node: ast.AST) -> tuple[str, type, int | float] | None:
    """``(name, operator type, number)`` when ``node`` is ``name <op> number`` with an ordering or
    equality operator, else None."""
    if (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and type(node.ops[0]) in _FAST_ORDER
        and isinstance(node.left, ast.Name)
        and isinstance(node.comparators[0], ast.Constant)
        and type(node.comparators[0].value) in _PLAIN_NUMBERS
    ):
        return node.left.id, type(node.ops[0]), node.comparators[0].value  # type: ignore[return-value]
    return None


def _metric_vs_number(node: ast.expr) -> MetricComparison | None:
    """``(metric, compare, number)`` for a condition of the form ``metric <op> number`` (the most common),
    so that the trainer's fast path can test it inline, without a :class:`Context` or a record of what it
    read: ``compare(value, number)`` when the value is a plain number (int or float, not bool); anything
    else (missing, another type) is for the full closure to decide and report."""
    found = _name_vs_number(node)
    if found is None or found[0] in COUNTERS:
        return None
    name, op, number = found
    return name, _FAST_ORDER[op], number


@dataclass(frozen=True, eq=False)
class CompiledCondition:
    """A condition, compiled once; :meth:`evaluate` gives True or False or raises :class:`RuleError`.

    ``comparison``: the condition as data when it has the form ``metric <op> number`` (see
    :func:`_metric_vs_number`), else None."""

    text: str
    parsed: Parsed
    _fn: Evaluator = field(repr=False)
    comparison: MetricComparison | None = field(default=None, repr=False)

    def evaluate(self, ctx: Context) -> bool:
        try:
            value = self._fn(ctx)
        except RuleError:
            raise
        except Exception as exc:
            raise _wrap_unexpected(exc) from None
        if type(value) is not bool:
            raise RuleError(
                f"a condition must give true or false; this one gave {describe(value)}",
                0,
                len(self.text.rstrip()) or 1,
            )
        return value


@dataclass(frozen=True)
class Assignment:
    path: tuple[str, ...]
    op: Callable[[Any, Any], Any] | None  # None for "="
    value: Evaluator = field(repr=False)
    stmt: ast.stmt = field(repr=False)
    simple_key: str | None = None  # the parameter of ``name = value`` (the fast path), else None
    constant: tuple[Any] | None = None  # ``(value,)`` when the value is a constant


def to_parameter_value(value: Any) -> Any:
    """A fresh JSON-compatible copy of a value about to be stored in the task parameters; its size is
    checked first (a value that holds one list in many places would copy exponentially)."""
    return _copy_value(check_value_size(value))


def _copy_value(value: Any) -> Any:
    t = type(value)
    if value is None or t is bool or t is int or t is str:
        return value
    if t is float:
        if not math.isfinite(value):
            raise Fail("cannot store a number that is not finite")
        return value
    if is_number(value):
        return float(value)
    if is_list(value):
        return [_copy_value(v) for v in value]
    raise Fail(f"cannot store {describe(value)} in a task parameter")


@dataclass(frozen=True, eq=False)
class CompiledUpdate:
    """A policy update, compiled once. :meth:`apply` returns new parameters; the input is never modified.

    ``constants``: when every assignment is ``name = constant`` (a plain value), the values to set, so the
    trainer's fast path can apply them without a :class:`Context`; else None."""

    text: str
    parsed: Parsed
    assignments: tuple[Assignment, ...]
    constants: Mapping[str, Any] | None = None

    def apply(self, ctx: Context, params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(new_parameters, changes)``; ``changes`` maps each assigned dotted path to its new value."""
        changes: dict[str, Any] = {}
        ctx.params = params
        own = False  # True once ``params`` is this call's own copy
        for a in self.assignments:
            if a.constant is not None:
                value = a.constant[0]
            else:
                try:
                    value = a.value(ctx)
                except RuleError:
                    raise
                except Exception as exc:
                    raise _wrap_unexpected(exc) from None
            key = a.simple_key
            if key is not None and key in params:
                kind = type(value)
                if kind is float and type(params[key]) is int:
                    try:
                        value = _whole(value, key)
                    except Fail as exc:
                        raise self.parsed.source.error(str(exc), a.stmt) from None
                    kind = int
                if (
                    kind in _SCALARS
                    and type(params[key]) in _SCALARS
                    and (kind is not float or math.isfinite(value))
                ):
                    if not own:  # copy on the first change only; later ones change our own copy
                        params = dict(params)
                        ctx.params = params
                        own = True
                    params[key] = value  # fast path: a plain value into a plain top-level parameter
                    changes[key] = value
                    continue
            try:
                current = _get_path(params, a.path)
                if isinstance(current, dict):
                    raise Fail(
                        f"{'.'.join(a.path)!r} is a group of parameters: assign its fields "
                        f"(e.g. {'.'.join(a.path)}.{next(iter(current), 'field')} = ...)"
                    )
                if a.op is not None:
                    value = a.op(current, value)
                value = to_parameter_value(value)
                if type(current) is int and type(value) is float:
                    value = _whole(value, ".".join(a.path))
            except RuleError:
                raise
            except Exception as exc:
                raise self.parsed.source.error(_as_reason(exc), a.stmt) from None
            params = _set_path(params, a.path, value)
            own = True
            ctx.params = params
            changes[".".join(a.path)] = value
        return params, changes


_SCALARS = frozenset((int, float, bool, str, type(None)))


def _whole(value: float, name: str) -> int:
    """A whole-number parameter stays whole (the rig reads an integer, and aind's task models refuse a
    fraction there): ``14.0`` is stored as ``14``; a fraction is an error."""
    if not math.isfinite(value) or not value.is_integer():
        raise Fail(f"{name!r} holds whole numbers; the update gave {short_repr(value)}: use // or round()")
    return int(value)


def _get_path(params: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = params
    for i, part in enumerate(path):
        if not isinstance(value, dict) or part not in value:
            where = "the task" if i == 0 else repr(".".join(path[:i]))
            raise Fail(f"{where} has no parameter {part!r}; an update can only change existing parameters")
        value = value[part]
    return value


def _set_path(params: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of ``params`` with ``path`` set: only the dicts along the path are copied."""
    new = dict(params)
    if len(path) == 1:
        new[path[0]] = value
    else:
        new[path[0]] = _set_path(params[path[0]], path[1:], value)
    return new


def compile_condition(text: str) -> CompiledCondition:
    """Parse, check and compile a condition; raises :class:`RuleError` (with the column) if not allowed."""
    return _condition(parse_condition(text))


def compile_update(text: str) -> CompiledUpdate:
    """Parse, check and compile a policy update (assignments); raises :class:`RuleError` if not allowed."""
    return _update(parse_update(text))


def compile_parsed(parsed: Parsed) -> CompiledCondition | CompiledUpdate:
    """Compile a rule already parsed (the checker's parse, not a second one). Constant parts are computed
    here, so what cannot be computed (``9**9**9``, ``1/0``) is a :class:`RuleError` now, not at run time."""
    return _condition(parsed) if parsed.mode == "condition" else _update(parsed)


def _condition(parsed: Parsed) -> CompiledCondition:
    body = parsed.tree.body  # type: ignore[union-attr]
    fn, _ = _Builder(parsed.source, parsed.mode).build(body)
    return CompiledCondition(parsed.source.text, parsed, fn, _metric_vs_number(body))


def _update(parsed: Parsed) -> CompiledUpdate:
    text = parsed.source.text
    builder = _Builder(parsed.source, parsed.mode)
    assignments = []
    for stmt in parsed.tree.body:  # type: ignore[union-attr]
        if isinstance(stmt, ast.Assign):
            target, op = stmt.targets[0], None
        else:
            assert isinstance(stmt, ast.AugAssign)
            target, op = stmt.target, _BINOP_IMPL[type(stmt.op)]
        path = _dotted(target)
        assert path is not None
        fn, is_constant = builder.build(stmt.value)
        simple = path[0] if op is None and len(path) == 1 else None
        constant = (fn(None),) if is_constant else None  # type: ignore[arg-type]
        assignments.append(Assignment(path, op, fn, stmt, simple, constant))
    constants = None
    if assignments and all(
        a.simple_key is not None and a.constant is not None and _is_plain_value(a.constant[0])
        for a in assignments
    ):
        constants = {a.simple_key: a.constant[0] for a in assignments}  # type: ignore[index]
    return CompiledUpdate(text, parsed, tuple(assignments), constants)


def _is_plain_value(value: Any) -> bool:
    """A value :meth:`CompiledUpdate.apply` stores as it is into a plain parameter (its fast path)."""
    return type(value) in _SCALARS and (type(value) is not float or math.isfinite(value))


def compile_rule(text: str, mode: str) -> CompiledCondition | CompiledUpdate:
    if mode == "condition":
        return compile_condition(text)
    if mode == "update":
        return compile_update(text)
    raise ValueError(f"unknown rule mode {mode!r}")


# exported for the trainer
PLAIN_NUMBERS = _PLAIN_NUMBERS
PLAIN_VALUES = _SCALARS
MAX_SEQUENCE_ITEMS = MAX_SEQUENCE
