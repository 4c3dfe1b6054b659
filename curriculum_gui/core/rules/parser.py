"""Parse rule text and check it against the whitelist (the first half of compiling a rule).

The text is parsed by Python's own :mod:`ast`; every node is then checked against a whitelist (names,
constants, arithmetic, comparisons, ``and``/``or``/``not``, ``x if c else y``, indexing and slicing, list
literals and calls to the functions of :mod:`.functions`; in policy updates also dotted parameter paths and
assignments). A :class:`Parsed` rule is safe to build closures from (:mod:`.compiler`) and to check
against a curriculum's names and types (:mod:`.check`); errors carry the line and column.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
import warnings
from dataclasses import dataclass
from typing import Any

from .errors import RuleError
from .functions import COUNTERS, FUNCTIONS, short_repr

MAX_TEXT = 10_000  # characters in one rule
MAX_NODES = 2_000  # syntax-tree nodes in one rule
MAX_DEPTH = 40  # nesting depth of the syntax tree
MAX_STRING_CONSTANT = 1_000  # characters in one text constant
MAX_INT_CONSTANT_BITS = 128  # integer literals up to about 3.4e38
MAX_LIST_LITERAL = 1_000  # items in one [ ... ] literal
MAX_STATEMENTS = 200  # assignments in one update


_SURROGATE = re.compile("[\ud800-\udfff]")  # half of a UTF-16 pair: not a character, cannot be encoded


def _surrogate_reason(char: str) -> str:
    return (
        f"the text holds {char.encode('unicode_escape').decode()}, half of a UTF-16 surrogate pair: "
        "it is not a character and cannot be saved or printed"
    )


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
    bad = _SURROGATE.search(text)
    if bad is not None:  # ast would fail on it; and no such text can be written or printed
        line = text.count("\n", 0, bad.start()) + 1
        col = bad.start() - (text.rfind("\n", 0, bad.start()) + 1)
        raise RuleError(_surrogate_reason(bad.group()), col, col + 1, line, multiline=source.multiline)
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


MAX_SUGGESTION_CANDIDATES = 300  # names compared in one did-you-mean search (it costs ~20 µs a name)


def _suggest(name: str, candidates: list[str]) -> str:
    """``; did you mean 'x'?`` for the closest candidate, or "". Bounded: only candidates whose length
    could reach difflib's 0.6 ratio at all, and at most MAX_SUGGESTION_CANDIDATES of them."""
    if len(name) > 200:
        return ""
    size = len(name)
    near = [c for c in candidates if 2 * min(size, len(c)) >= 0.6 * (size + len(c))]
    close = difflib.get_close_matches(name, near[:MAX_SUGGESTION_CANDIDATES], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _whitelist(tree: ast.AST, source: Source, mode: str) -> None:
    """Raise a :class:`RuleError` at the first node (outermost first) that is not allowed."""
    # Depth and size first, iteratively, so nothing below recurses deeper than MAX_DEPTH. Level by level
    # over ``_fields`` (five times faster than ast.iter_child_nodes: validate checks thousands of rules).
    count = 0
    level: list[ast.AST] = [tree]
    for depth in range(MAX_DEPTH + 2):
        if not level:
            break
        count += len(level)
        if count > MAX_NODES:
            raise source.error(f"the rule is too complex (more than {MAX_NODES} parts)")
        if depth > MAX_DEPTH:
            raise source.error(f"the rule is nested too deeply (more than {MAX_DEPTH} levels)", level[0])
        below: list[ast.AST] = []
        for node in level:
            for field in node._fields:
                value = getattr(node, field, None)
                if isinstance(value, ast.AST):
                    below.append(value)
                elif type(value) is list:
                    below += [item for item in value if isinstance(item, ast.AST)]
        level = below

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
        bad = _SURROGATE.search(value)
        if bad is not None:
            raise source.error(_surrogate_reason(bad.group()), node)
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


# exported for check.py
suggest = _suggest
dotted_name = _dotted
BINOP_SYMBOLS = _BINOPS
CMPOP_SYMBOLS = _CMPOPS
AUGOP_SYMBOLS = tuple(_BINOPS[op] + "=" for op in _AUGOPS)
FORBIDDEN_REASONS = _FORBIDDEN
