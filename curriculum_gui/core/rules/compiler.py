"""Parse, whitelist-check and compile rule text into fast closures.

The text is parsed by Python's own :mod:`ast`; every node is then checked against a whitelist (names,
constants, arithmetic, comparisons, ``and``/``or``/``not``, ``x if c else y``, indexing and slicing, list
literals and calls to the functions of :mod:`.functions`; in policy updates also dotted parameter paths and
assignments). Whatever passes is turned, once, into a tree of Python closures: the rule text is never given
to ``eval``/``exec``, no attribute of any value is ever looked up, and every operation that could blow up
(powers, repetition, concatenation, big integers) is guarded. Constant sub-expressions are evaluated at
compile time, so ``9**9**9`` or ``'a' * 10**9`` are refused before anything runs.

Two kinds of rule:

* a **condition** (``mode="condition"``): one expression that must give true or false;
* an **update** (``mode="update"``): assignments to task parameters, one per line:
  ``name = expr``, ``name += expr`` (also ``-=``, ``*=``, ``/=``), ``group.field = expr``.
"""

from __future__ import annotations

import ast
import difflib
import math
import operator
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import RuleError
from .functions import (
    COUNTERS,
    FUNCTIONS,
    MAX_INT_BITS,
    MAX_SEQUENCE,
    Fail,
    check_int_size,
    describe,
    is_list,
    is_number,
    short_repr,
)

MAX_TEXT = 10_000  # characters in one rule
MAX_NODES = 2_000  # syntax-tree nodes in one rule
MAX_DEPTH = 40  # nesting depth of the syntax tree
MAX_STRING_CONSTANT = 1_000  # characters in one text constant
MAX_INT_CONSTANT_BITS = 128  # integer literals up to about 3.4e38
MAX_LIST_LITERAL = 1_000  # items in one [ ... ] literal
MAX_STATEMENTS = 200  # assignments in one update

Evaluator = Callable[["Context"], Any]


# --- evaluation context -------------------------------------------------------------------------


class Context:
    """What a rule can read during one evaluation, and a record of what it did read.

    The counters are attributes (None when not available to this rule: ``sessions_in_policy`` exists only
    in policy rules); ``params`` is the current task parameters (updates only, else None); ``reads``
    collects ``name -> value`` for the "why". ``counters`` may be given as a mapping.
    """

    __slots__ = ("metrics", "params", "reads", "sessions_in_policy", "sessions_in_stage", "sessions_total")

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

    @property
    def counters(self) -> dict[str, Any]:
        """The counters available here."""
        return {name: getattr(self, name) for name in COUNTERS if getattr(self, name) is not None}

    def counter(self, name: str) -> Any:
        value = getattr(self, name)
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


# --- source positions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """The text as parsed (each line's leading blanks removed) and how to map positions back to it."""

    text: str
    lines: tuple[str, ...]  # parsed lines (stripped)
    indents: tuple[int, ...]  # characters removed at the start of each line
    multiline: bool

    @classmethod
    def of(cls, text: str) -> Source:
        raw = text.split("\n")
        lines = tuple(line.lstrip(" \t") for line in raw)
        indents = tuple(len(a) - len(b) for a, b in zip(raw, lines, strict=True))
        multiline = sum(1 for line in lines if line.strip()) > 1
        return cls(text, lines, indents, multiline)

    @property
    def parsed(self) -> str:
        return "\n".join(self.lines)

    def _char_col(self, line: int, byte_col: int) -> int:
        if not 1 <= line <= len(self.lines):
            return byte_col
        raw = self.lines[line - 1].encode("utf-8")
        return len(raw[:byte_col].decode("utf-8", errors="replace")) + self.indents[line - 1]

    def span(self, node: ast.AST) -> tuple[int, int, int]:
        """(line, col, end_col) in characters of the original text; end_col on the same line."""
        line = getattr(node, "lineno", 1) or 1
        col = self._char_col(line, getattr(node, "col_offset", 0) or 0)
        end_line = getattr(node, "end_lineno", line) or line
        if end_line == line and getattr(node, "end_col_offset", None) is not None:
            end_col = self._char_col(line, node.end_col_offset)
        else:
            end_col = (
                self.indents[line - 1] + len(self.lines[line - 1]) if line <= len(self.lines) else col + 1
            )
        return line, col, max(end_col, col + 1)

    def error(self, reason: str, node: ast.AST | None = None) -> RuleError:
        if node is None:
            return RuleError(reason, multiline=self.multiline)
        line, col, end_col = self.span(node)
        return RuleError(reason, col, end_col, line, multiline=self.multiline)


# --- parsing and the whitelist ------------------------------------------------------------------


@dataclass(frozen=True)
class Parsed:
    """A rule that parsed and passed the whitelist."""

    source: Source
    tree: ast.Expression | ast.Module
    mode: str  # "condition" or "update"


def _parse(text: str, mode: str) -> Parsed:
    if not isinstance(text, str):
        raise RuleError(f"a rule must be text, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise RuleError(f"the rule is too long ({len(text)} characters; at most {MAX_TEXT})")
    if "\x00" in text:
        raise RuleError("the rule contains a NUL character", text.index("\x00"))
    source = Source.of(text)
    if mode == "condition" and not text.strip():
        raise RuleError(
            "the condition is empty: write one that is true or false, e.g. sessions_in_stage >= 3"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning "invalid decimal literal": we report errors
            tree = ast.parse(source.parsed, mode="eval" if mode == "condition" else "exec")
    except SyntaxError as exc:
        line = exc.lineno or 1
        offset = max((exc.offset or 1) - 1, 0)
        indent = source.indents[line - 1] if 1 <= line <= len(source.indents) else 0
        col = offset + indent
        end = (exc.end_offset or 0) - 1 + indent if (exc.end_lineno or line) == line else col + 1
        reason = exc.msg or "invalid syntax"
        if not exc.offset and reason == "invalid syntax" and 1 <= line <= len(source.lines):
            # Python gives no column for an expression cut short ("accuracy >"): point at its end.
            col = max(len(source.lines[line - 1].rstrip()) - 1, 0) + indent  # its last character
            end = col + 1
            reason = "the rule is incomplete: something is missing at the end"
        if (
            mode == "condition"
            and reason.startswith("invalid syntax")
            and re.search(r"(?<![=<>!])=(?!=)", text)
        ):
            reason = "invalid syntax: use == to compare ('=' assigns, and only in policy updates)"
        if mode == "update" and reason.startswith("unexpected indent"):
            reason = "unexpected indentation"
        raise RuleError(reason, col, max(end, col + 1), line, multiline=source.multiline) from None
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        raise RuleError(f"the rule cannot be read: {short_repr(str(exc), 100)}") from None
    _whitelist(tree, source, mode)
    return Parsed(source, tree, mode)


def parse_condition(text: str) -> Parsed:
    """Parse and whitelist-check a condition; raises :class:`RuleError`."""
    return _parse(text, "condition")


def parse_update(text: str) -> Parsed:
    """Parse and whitelist-check a policy update; raises :class:`RuleError`."""
    return _parse(text, "update")


_BINOPS: dict[type, str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}
_AUGOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
_CMPOPS: dict[type, str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}
_FORBIDDEN: dict[type, str] = {
    ast.Lambda: "lambdas are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions (generator expressions) are not allowed",
    ast.NamedExpr: "':=' is not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.Dict: "dictionaries are not allowed",
    ast.Set: "sets are not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
    ast.Import: "imports are not allowed",
    ast.ImportFrom: "imports are not allowed",
}


def _is_dunder(name: str) -> bool:
    return name.startswith("__") or name.endswith("__")


def _dotted(node: ast.AST) -> tuple[str, ...] | None:
    """``a.b.c`` as ``("a", "b", "c")`` when it is a plain dotted name, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return tuple(reversed(parts))


def _suggest(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _whitelist(tree: ast.AST, source: Source, mode: str) -> None:
    """Raise a :class:`RuleError` at the first node (outermost first) that is not allowed."""
    # Depth and size first, iteratively, so nothing below recurses deeper than MAX_DEPTH.
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise source.error(f"the rule is too complex (more than {MAX_NODES} parts)")
        if depth > MAX_DEPTH:
            raise source.error(f"the rule is nested too deeply (more than {MAX_DEPTH} levels)", node)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))

    if isinstance(tree, ast.Module):
        if len(tree.body) > MAX_STATEMENTS:
            raise source.error(f"too many assignments (at most {MAX_STATEMENTS})")
        for stmt in tree.body:
            _check_statement(stmt, source)
        roots: list[ast.AST] = []
        for stmt in tree.body:
            assert isinstance(stmt, ast.Assign | ast.AugAssign)
            roots.append(stmt.value)
            if isinstance(stmt, ast.Assign):
                roots.extend(stmt.targets)
            else:
                roots.append(stmt.target)
    else:
        roots = [tree.body]  # type: ignore[union-attr]

    queue = list(roots)
    i = 0
    while i < len(queue):  # breadth first: report the outermost offence
        node = queue[i]
        i += 1
        _check_node(node, source, mode)
        if isinstance(node, ast.Attribute):
            continue  # a dotted parameter path, checked as a whole
        if isinstance(node, ast.Call):
            queue.extend(node.args)
            queue.extend(k.value for k in node.keywords)
            continue
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr_context | ast.operator | ast.cmpop | ast.boolop | ast.unaryop):
                continue
            queue.append(child)


def _check_statement(stmt: ast.stmt, source: Source) -> None:
    if isinstance(stmt, ast.Assign):
        if len(stmt.targets) != 1:
            raise source.error("one assignment per line (a = b = 1 is not allowed)", stmt)
        _check_target(stmt.targets[0], source)
    elif isinstance(stmt, ast.AugAssign):
        if not isinstance(stmt.op, _AUGOPS):
            raise source.error("only =, +=, -=, *= and /= can assign a parameter", stmt)
        _check_target(stmt.target, source)
    elif isinstance(stmt, ast.Import | ast.ImportFrom):
        raise source.error("imports are not allowed", stmt)
    elif isinstance(stmt, ast.Expr):
        raise source.error(
            "an update is made of assignments, one per line, e.g. reward_volume = 2.5 "
            "(a condition belongs on a transition)",
            stmt,
        )
    elif isinstance(stmt, ast.AnnAssign):
        raise source.error("type annotations are not allowed", stmt)
    else:
        word = type(stmt).__name__.lower()
        raise source.error(f"only assignments are allowed in an update, not {word!r} statements", stmt)


def _check_target(target: ast.expr, source: Source) -> None:
    if isinstance(target, ast.Name | ast.Attribute):
        path = _dotted(target)
        if path is None:
            raise source.error("only a task parameter (or group.parameter) can be assigned", target)
        for part in path:
            if _is_dunder(part):
                raise source.error(f"dunder names like {part!r} are not allowed", target)
        if path[0] in COUNTERS:
            raise source.error(f"{path[0]} is a counter; it cannot be assigned", target)
        if path[0] in FUNCTIONS:
            raise source.error(f"{path[0]!r} is a function; it cannot be assigned", target)
        return
    if isinstance(target, ast.Tuple | ast.List):
        raise source.error("assign one parameter per line (unpacking is not allowed)", target)
    raise source.error("only a task parameter (or group.parameter) can be assigned", target)


def _check_node(node: ast.AST, source: Source, mode: str) -> None:
    kind = type(node)
    if kind in _FORBIDDEN:
        raise source.error(_FORBIDDEN[kind], node)
    if kind is ast.Name:
        name = node.id  # type: ignore[attr-defined]
        if _is_dunder(name):
            raise source.error(f"dunder names like {name!r} are not allowed", node)
        if name in FUNCTIONS:
            raise source.error(f"{name!r} is a function: call it, e.g. {FUNCTIONS[name].signature}", node)
    elif kind is ast.Constant:
        _check_constant(node, source)  # type: ignore[arg-type]
    elif kind is ast.Attribute:
        path = _dotted(node)
        attr = node.attr  # type: ignore[attr-defined]
        if _is_dunder(attr) or (path is not None and any(_is_dunder(p) for p in path)):
            raise source.error(f"dunder names like {attr!r} are not allowed", node)
        if path is None:
            raise source.error("attribute access on values is not allowed", node)
        if mode == "condition":
            raise source.error(
                f"attribute access is not allowed ({'.'.join(path)!r}: dotted names are task parameter "
                "paths, only available in policy updates)",
                node,
            )
        if path[0] in FUNCTIONS or path[0] in COUNTERS:
            raise source.error("attribute access on values is not allowed", node)
    elif kind is ast.Call:
        _check_call(node, source)  # type: ignore[arg-type]
    elif kind is ast.BinOp:
        if type(node.op) not in _BINOPS:  # type: ignore[attr-defined]
            raise source.error("bitwise operators and '@' are not supported", node)
    elif kind is ast.UnaryOp:
        if isinstance(node.op, ast.Invert):  # type: ignore[attr-defined]
            raise source.error("'~' is not supported", node)
    elif kind is ast.Compare:
        for op in node.ops:  # type: ignore[attr-defined]
            if type(op) not in _CMPOPS:
                raise source.error("'is' and 'is not' are not supported: use == or !=", node)
    elif kind is ast.Subscript:
        if not isinstance(node.ctx, ast.Load):  # type: ignore[attr-defined]
            raise source.error("only task parameters can be assigned", node)
    elif kind is ast.Slice:
        pass
    elif kind in (ast.List, ast.Tuple):
        if len(node.elts) > MAX_LIST_LITERAL:  # type: ignore[attr-defined]
            raise source.error(f"a list may have at most {MAX_LIST_LITERAL} items", node)
    elif kind in (ast.BoolOp, ast.IfExp):
        pass
    else:
        raise source.error(f"{_describe_node(node)} is not allowed in a rule", node)


def _describe_node(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except Exception:
        text = ""
    name = type(node).__name__
    return f"{name} {short_repr(text, 40)}" if text else name


def _check_constant(node: ast.Constant, source: Source) -> None:
    value = node.value
    kind = type(value)
    if value is None or kind is bool:
        return
    if kind is int:
        if value.bit_length() > MAX_INT_CONSTANT_BITS:
            raise source.error(f"number too large (integers up to {MAX_INT_CONSTANT_BITS} bits)", node)
        return
    if kind is float:
        if not math.isfinite(value):
            raise source.error("number too large", node)
        return
    if kind is str:
        if len(value) > MAX_STRING_CONSTANT:
            raise source.error(f"text constant too long (at most {MAX_STRING_CONSTANT} characters)", node)
        return
    what = {bytes: "bytes", complex: "complex numbers"}.get(kind, f"{kind.__name__} constants")
    raise source.error(f"{what} are not allowed", node)


def _check_call(node: ast.Call, source: Source) -> None:
    func = node.func
    if not isinstance(func, ast.Name):
        raise source.error("only the rule functions can be called (" + ", ".join(FUNCTIONS) + ")", node)
    name = func.id
    info = FUNCTIONS.get(name)
    if info is None:
        if _is_dunder(name):
            raise source.error(f"dunder names like {name!r} are not allowed", func)
        raise source.error(
            f"{name}() is not a rule function{_suggest(name, list(FUNCTIONS))} "
            f"(available: {', '.join(FUNCTIONS)})",
            func,
        )
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise source.error("'*' unpacking is not allowed", arg)
    keywords = []
    for kw in node.keywords:
        if kw.arg is None:
            raise source.error("'**' unpacking is not allowed", kw.value)
        if kw.arg not in info.keywords:
            raise source.error(
                f"{name}() has no argument named {kw.arg!r} (it is {info.signature})", kw.value
            )
        keywords.append(kw.arg)
    if len(set(keywords)) != len(keywords):
        raise source.error(f"{name}(): an argument is given twice", node)
    n = len(node.args) + len(keywords)
    # a keyword fills its position: ramp(a, b, over=N) == ramp(a, b, N)
    if keywords and len(node.args) > info.max_args - len(info.keywords):  # type: ignore[operator]
        raise source.error(f"{name}(): an argument is given twice (it is {info.signature})", node)
    if n < info.min_args or (info.max_args is not None and n > info.max_args):
        raise source.error(f"{name}() takes {_arity(info)}, got {n} (it is {info.signature})", node)


def _arity(info: Any) -> str:
    if info.max_args is None:
        return f"at least {info.min_args} argument{'s' * (info.min_args != 1)}"
    if info.min_args == info.max_args:
        return f"{info.min_args} argument{'s' * (info.min_args != 1)}"
    return f"{info.min_args} to {info.max_args} arguments"


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
        return a + b if isinstance(a, str) else [*a, *b]
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
    return seq * n if isinstance(seq, str) else list(seq) * n


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
        return (lambda ctx: [f(ctx) for f in fns]), all(p[1] for p in parts)

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

        def subscript(ctx: Context) -> Any:
            v = value(ctx)
            i = index(ctx)
            try:
                if not (is_list(v) or isinstance(v, str)):
                    raise Fail(f"only a list or text can be indexed, not {describe(v)}")
                if type(i) is not int:
                    raise Fail(f"an index must be a whole number, got {describe(i)}")
                if not -len(v) <= i < len(v):
                    raise Fail(f"index {i} is out of range ({len(v)} item{'s' * (len(v) != 1)})")
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
        fail_at = self.fail_at
        if info.needs_sessions_in_policy:

            def call_with_sessions(ctx: Context) -> Any:
                args = [f(ctx) for f in fns]
                try:
                    return impl(ctx.ramp_sessions(), *args)
                except Exception as exc:
                    raise fail_at(node, exc) from None

            return call_with_sessions, False
        const = all(b[1] for b in built)
        if len(fns) == 1:
            (only,) = fns

            def call1(ctx: Context) -> Any:
                arg = only(ctx)
                try:
                    return impl(arg)
                except Exception as exc:
                    raise fail_at(node, exc) from None

            return call1, const

        def call(ctx: Context) -> Any:
            args = [f(ctx) for f in fns]
            try:
                return impl(*args)
            except Exception as exc:
                raise fail_at(node, exc) from None

        return call, const


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
    """A fresh JSON-compatible copy of a value about to be stored in the task parameters."""
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
        return [to_parameter_value(v) for v in value]
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
    parsed = parse_condition(text)
    body = parsed.tree.body  # type: ignore[union-attr]
    fn, _ = _Builder(parsed.source, parsed.mode).build(body)
    return CompiledCondition(text, parsed, fn, _metric_vs_number(body))


def compile_update(text: str) -> CompiledUpdate:
    """Parse, check and compile a policy update (assignments); raises :class:`RuleError` if not allowed."""
    parsed = parse_update(text)
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


# exported for check.py and the trainer
suggest = _suggest
PLAIN_NUMBERS = _PLAIN_NUMBERS
PLAIN_VALUES = _SCALARS
dotted_name = _dotted
BINOP_SYMBOLS = _BINOPS
MAX_SEQUENCE_ITEMS = MAX_SEQUENCE
