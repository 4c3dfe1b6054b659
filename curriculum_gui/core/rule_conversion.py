"""Convert a Python reference's function into an expression of the rule language, when it is a simple
condition over metrics; accepted only once both agree on random metrics.

The translation reads the function's source as text (:mod:`.python_source`; nothing imported) and accepts
this shape: a docstring, local names assigned once from an expression, ``if <condition>: return <value>``
guards, and a final ``return <condition>``. Inside, ``metrics.name`` (whatever the argument is called)
becomes the metric ``name``; comparisons (``is None`` becomes ``== None``), ``and``/``or``/``not``,
arithmetic, ``x if c else y``, ``len``/``min``/``max``/``abs``/``round``/``sum``, indexing and slicing of
lists and module constants (``N = 5``, also imported from another module of the package) are kept. Anything
else (a method call such as ``dict.get``, a loop, an attribute of a value) is refused, saying what and
where.

The check runs the real function (its module must be trusted) and the expression on random metrics built
from the package's ``Metrics`` class, near the numbers the source compares with, with nulls where a field
may be null; a single difference refuses the conversion and shows the metrics that differ.
"""

from __future__ import annotations

import ast
import copy
import json
import random
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import CurriculumGuiError
from .python_source import FunctionSource, SourceUnavailable, function_source, module_constant
from .rules.errors import RuleError

FUNCTIONS = {"len", "min", "max", "abs", "round", "sum"}
SAMPLES = 400
MIN_ACCEPTED = 100


class NotConvertible(CurriculumGuiError):
    """The function cannot become an expression (or the two could differ): ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Conversion:
    reference: str
    expression: str
    samples: int = 0  # random metrics both were checked on
    true_count: int = 0

    def summary(self) -> str:
        return (
            f"checked on {self.samples} random sets of metrics: the same result every time "
            f"({self.true_count} true, {self.samples - self.true_count} false)"
        )


# --- translation (static, imports nothing) ------------------------------------------------------


class _Translator:
    def __init__(self, source: FunctionSource, search_path: Any = None) -> None:
        self.source = source
        self.search_path = search_path
        args = source.node.args
        if len(args.args) != 1 or args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            raise NotConvertible("a condition takes exactly one argument, the metrics")
        self.param = args.args[0].arg
        self.constants: dict[str, Any] = {}

    def fail(self, node: ast.AST, what: str) -> NotConvertible:
        line = self.source.line + getattr(node, "lineno", self.source.node.lineno) - self.source.node.lineno
        return NotConvertible(f"line {line} of {self.source.path.name}: {what}")

    # statements

    def body(self, statements: list[ast.stmt], names: dict[str, ast.expr]) -> ast.expr:
        names = dict(names)
        for index, stmt in enumerate(statements):
            if isinstance(stmt, ast.Return):
                if stmt.value is None:
                    raise self.fail(stmt, "'return' without a value")
                return self.expr(stmt.value, names)
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # a docstring or a stray literal
            if isinstance(stmt, ast.Pass):
                continue
            if isinstance(stmt, ast.Assign | ast.AnnAssign):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                if len(targets) != 1 or not isinstance(targets[0], ast.Name) or stmt.value is None:
                    raise self.fail(stmt, "only 'name = value' assignments can be converted")
                names[targets[0].id] = self.expr(stmt.value, names)
                continue
            if isinstance(stmt, ast.If):
                test = self.expr(stmt.test, names)
                then = self.body(stmt.body, names)
                rest = self.body(stmt.orelse or statements[index + 1 :], names)
                return _combine(test, then, rest)
            raise self.fail(stmt, f"a '{_statement_word(stmt)}' statement is not a simple condition")
        raise NotConvertible("the function can end without returning true or false")

    # expressions

    def expr(self, node: ast.expr, names: dict[str, ast.expr]) -> ast.expr:
        if isinstance(node, ast.Constant):
            if node.value is None or isinstance(node.value, bool | int | float | str):
                return ast.Constant(node.value)
            raise self.fail(node, f"the constant {node.value!r} has no equivalent")
        if isinstance(node, ast.Name):
            return self.name(node, names)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == self.param:
                return ast.Name(node.attr, ast.Load())
            raise self.fail(node, f"'.{node.attr}' reads an attribute of a value, which expressions cannot")
        if isinstance(node, ast.BoolOp):
            return ast.BoolOp(node.op, [self.expr(v, names) for v in node.values])
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Invert):
                raise self.fail(node, "'~' (bitwise not) has no equivalent")
            return ast.UnaryOp(node.op, self.expr(node.operand, names))
        if isinstance(node, ast.BinOp):
            if isinstance(
                node.op, ast.BitAnd | ast.BitOr | ast.BitXor | ast.LShift | ast.RShift | ast.MatMult
            ):
                raise self.fail(node, "bitwise operators have no equivalent")
            return ast.BinOp(self.expr(node.left, names), node.op, self.expr(node.right, names))
        if isinstance(node, ast.Compare):
            ops = []
            for op, right in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, ast.Is | ast.IsNot):
                    if not (isinstance(right, ast.Constant) and right.value is None):
                        raise self.fail(node, "'is' can be converted only as 'is None' / 'is not None'")
                    op = ast.Eq() if isinstance(op, ast.Is) else ast.NotEq()
                ops.append(op)
            return ast.Compare(
                self.expr(node.left, names), ops, [self.expr(c, names) for c in node.comparators]
            )
        if isinstance(node, ast.IfExp):
            return ast.IfExp(
                self.expr(node.test, names), self.expr(node.body, names), self.expr(node.orelse, names)
            )
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.func.id in names:
                called = ast.unparse(node.func)
                raise self.fail(
                    node,
                    f"calls {called}(), which has no equivalent "
                    f"(only {', '.join(sorted(FUNCTIONS))} convert)",
                )
            if node.keywords:
                raise self.fail(node, f"{node.func.id}() with keyword arguments has no equivalent")
            return ast.Call(ast.Name(node.func.id, ast.Load()), [self.expr(a, names) for a in node.args], [])
        if isinstance(node, ast.Subscript):
            return ast.Subscript(self.expr(node.value, names), self.index(node.slice, names), ast.Load())
        if isinstance(node, ast.List | ast.Tuple):
            return ast.List([self.expr(e, names) for e in node.elts], ast.Load())
        raise self.fail(node, f"{_expression_word(node)} has no equivalent in the rule language")

    def index(self, node: ast.expr, names: dict[str, ast.expr]) -> ast.expr:
        if isinstance(node, ast.Slice):
            parts = (node.lower, node.upper, node.step)
            return ast.Slice(*(self.expr(p, names) if p is not None else None for p in parts))
        return self.expr(node, names)

    def name(self, node: ast.Name, names: dict[str, ast.expr]) -> ast.expr:
        if node.id in names:
            return copy.deepcopy(names[node.id])
        if node.id == self.param:
            raise self.fail(node, f"uses the metrics object '{self.param}' itself, not one of its metrics")
        if node.id in ("True", "False", "None"):
            return ast.Constant({"True": True, "False": False, "None": None}[node.id])
        if node.id not in self.constants:
            try:
                self.constants[node.id] = module_constant(
                    self.source.tree,
                    self.source.module,
                    node.id,
                    self.source.path.name == "__init__.py",
                    self.search_path,
                )
            except SourceUnavailable as exc:
                raise self.fail(node, f"the name {node.id!r}: {exc}") from None
        return ast.Constant(self.constants[node.id])


def _combine(test: ast.expr, then: ast.expr, rest: ast.expr) -> ast.expr:
    """``if test: return then`` followed by ``rest``, as one expression."""
    if isinstance(then, ast.Constant) and then.value is False:
        return _and(ast.UnaryOp(ast.Not(), test), rest)
    if isinstance(then, ast.Constant) and then.value is True:
        return ast.BoolOp(ast.Or(), [test, rest])
    if isinstance(rest, ast.Constant) and rest.value is False:
        return _and(test, then)
    return ast.IfExp(test, then, rest)


def _and(left: ast.expr, right: ast.expr) -> ast.expr:
    values = [left]
    values += right.values if isinstance(right, ast.BoolOp) and isinstance(right.op, ast.And) else [right]
    return ast.BoolOp(ast.And(), values)


_NEGATED = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
}


def _text(node: ast.expr) -> str:
    """Readable source: ``a and b and c`` without the parentheses ``ast.unparse`` puts around later
    operands, and ``not x == None`` as ``x != None``."""
    if isinstance(node, ast.BoolOp):
        word = " and " if isinstance(node.op, ast.And) else " or "
        return word.join(_operand(v, node) for v in node.values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = node.operand
        if (
            isinstance(inner, ast.Compare)
            and len(inner.ops) == 1
            and type(inner.ops[0]) in (ast.Eq, ast.NotEq)
        ):
            flipped = ast.Compare(inner.left, [_NEGATED[type(inner.ops[0])]()], inner.comparators)
            return ast.unparse(flipped)
        text = _text(inner)
        return f"not ({text})" if isinstance(inner, ast.BoolOp | ast.IfExp | ast.Compare) else f"not {text}"
    return ast.unparse(node)


def _operand(value: ast.expr, parent: ast.BoolOp) -> str:
    text = _text(value)
    if isinstance(value, ast.IfExp) or (
        isinstance(value, ast.BoolOp) and type(value.op) is not type(parent.op)
    ):
        return f"({text})"
    return text


def _statement_word(stmt: ast.stmt) -> str:
    return {
        ast.For: "for",
        ast.While: "while",
        ast.With: "with",
        ast.Try: "try",
        ast.Raise: "raise",
        ast.Assert: "assert",
        ast.AugAssign: "+=",
        ast.Import: "import",
        ast.ImportFrom: "import",
        ast.FunctionDef: "def",
        ast.Expr: "call",
    }.get(type(stmt), type(stmt).__name__)


def _expression_word(node: ast.expr) -> str:
    return {
        ast.Lambda: "a lambda",
        ast.ListComp: "a list comprehension",
        ast.GeneratorExp: "a generator",
        ast.Dict: "a dict",
        ast.Set: "a set",
        ast.JoinedStr: "an f-string",
        ast.NamedExpr: "':='",
        ast.Await: "'await'",
    }.get(type(node), f"'{ast.unparse(node)}'")


def translate(reference: str, search_path: Any = None) -> str:
    """The expression equivalent to a reference's function, from its source; raises
    :class:`NotConvertible` (or :class:`SourceUnavailable`) saying why not. Imports nothing."""
    from .rules.compiler import compile_condition

    source = function_source(reference, search_path)
    translator = _Translator(source, search_path)
    expression = _text(ast.fix_missing_locations(translator.body(source.node.body, {})))
    try:
        compile_condition(expression)
    except RuleError as exc:
        raise NotConvertible(f"the result {expression!r} is not a rule here: {exc}") from None
    return expression


# --- the check (runs the trusted function) -------------------------------------------------------


def numbers_in(source: FunctionSource) -> list[float]:
    """The numbers a function compares with (and 0, 1): where random metrics are worth drawing."""
    found = {0.0, 1.0}
    for node in ast.walk(source.node):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, int | float)
            and not isinstance(node.value, bool)
        ):
            found.add(float(node.value))
    return sorted(found)


class MetricsSampler:
    """Random JSON values for a pydantic annotation, near the numbers the rule compares with.

    ``high``: the share of numbers drawn above all of them (so that conjunctions of thresholds come true
    often enough, e.g. to walk a curriculum's stages)."""

    def __init__(self, rng: random.Random, numbers: list[float], high: float = 0.0) -> None:
        self.rng = rng
        self.numbers = numbers
        self.high = high

    def number(self, whole: bool) -> float | int:
        rng = self.rng
        pick = rng.random()
        base = rng.choice(self.numbers)
        if rng.random() < self.high:
            top = max(self.numbers)
            value = rng.uniform(top, 2 * top + 1)
        elif pick < 0.6:
            value = base + rng.choice((-1, 0, 1)) * (1 if whole or base > 2 else 0.01)
        elif pick < 0.8:
            value = rng.uniform(0, 2 * max(self.numbers) + 1)
        else:
            value = base * rng.uniform(0.5, 1.5)
        return round(value) if whole else float(value)

    def metrics(self, cls: Any) -> dict[str, Any]:
        """Values for every field of a ``Metrics`` class (the class may still refuse some)."""
        return {name: self.value(f.annotation) for name, f in cls.model_fields.items()}

    def value(self, annotation: Any, optional: bool = False) -> Any:
        rng = self.rng
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is typing.Annotated:
            return self.value(args[0], optional)
        if origin is typing.Union or isinstance(annotation, types.UnionType):
            rest = [a for a in args if a is not type(None)]
            if len(rest) < len(args) and rng.random() < 0.25:
                return None
            return self.value(rng.choice(rest))
        if annotation is bool:
            return rng.random() < 0.5
        if annotation is int:
            return self.number(True)
        if annotation is float:
            return self.number(False)
        if annotation is str:
            return rng.choice(["", "a", "b", "text"])
        if origin is typing.Literal:
            return rng.choice(args)
        if origin in (list, tuple) or annotation in (list, tuple):
            inner = args[0] if args else float
            return [self.value(inner) for _ in range(rng.randint(0, 5))]
        if origin is dict or annotation is dict:
            key, item = args if len(args) == 2 else (str, float)
            return {
                json.dumps(self.value(key)).strip('"'): self.value(item) for _ in range(rng.randint(0, 4))
            }
        return self.number(False)


def _run_theirs(fn: Any, instance: Any) -> Any:
    try:
        value = fn(instance)
    except Exception as exc:
        return ("error", type(exc).__name__)
    return bool(value)  # aind: `if rule.invoke(metrics):`


def _run_ours(compiled: Any, values: Mapping[str, Any]) -> Any:
    from .rules.compiler import fast_context

    try:
        return compiled.evaluate(fast_context(values, 1, 1))
    except RuleError as exc:
        return ("error", str(exc))


def check(
    reference: str, expression: str, runner: Any, samples: int = SAMPLES, search_path: Any = None
) -> Conversion:
    """Run the (trusted) function and the expression on random metrics from its ``Metrics`` class;
    :class:`NotConvertible` on the first difference, naming the metrics."""
    from .aind_metrics import MetricsRejected, annotation_of, is_metrics_class, validate_metrics
    from .rules.compiler import compile_condition

    fn = runner.resolve(reference)
    cls = annotation_of(fn, 0)
    if not is_metrics_class(cls):
        raise NotConvertible(
            "its argument is not annotated with a Metrics class, so random metrics cannot be made to check it"
        )
    compiled = compile_condition(expression)
    sampler = MetricsSampler(random.Random(reference), numbers_in(function_source(reference, search_path)))
    accepted = true_count = 0
    for _ in range(samples * 5):
        if accepted >= samples:
            break
        raw = sampler.metrics(cls)
        try:
            instance = validate_metrics(cls, raw)
        except MetricsRejected:
            continue  # e.g. a negative count: the class never lets it through
        values = json.loads(instance.model_dump_json())
        theirs, ours = _run_theirs(fn, instance), _run_ours(compiled, values)
        both_failed = isinstance(theirs, tuple) and isinstance(ours, tuple)
        if theirs != ours and not both_failed:
            shown = json.dumps(values)
            shown = shown if len(shown) <= 300 else shown[:297] + "..."
            raise NotConvertible(
                f"they could differ: with the metrics {shown} the function gives {_word(theirs)} and "
                f"the expression gives {_word(ours)}"
            )
        accepted += 1
        true_count += ours is True
    if accepted < min(MIN_ACCEPTED, samples):
        raise NotConvertible(
            f"only {accepted} random sets of metrics fit {cls.__name__}: not enough to check"
        )
    return Conversion(reference, expression, accepted, true_count)


def _word(outcome: Any) -> str:
    if isinstance(outcome, tuple):
        return f"an error ({outcome[1]})"
    return "true" if outcome else "false"


def convert(reference: str, runner: Any, samples: int = SAMPLES, search_path: Any = None) -> Conversion:
    """Translate, then check; the expression only if both agree everywhere they were tried."""
    expression = translate(reference, search_path)
    return check(reference, expression, runner, samples, search_path)


__all__ = ["Conversion", "MetricsSampler", "NotConvertible", "check", "convert", "numbers_in", "translate"]
