"""Fuzzing the compiler: whatever the text or syntax tree, only RuleError ever escapes (compile or run)."""

from __future__ import annotations

import ast
import contextlib
import string

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from curriculum_gui.core.errors import CurriculumGuiError
from curriculum_gui.core.rules import (
    RuleError,
    check_condition,
    check_update,
    compile_condition,
    compile_update,
)
from curriculum_gui.core.rules.compiler import Context

NAMES = [
    "x",
    "y",
    "xs",
    "s",
    "flag",
    "missing",
    "sessions_in_stage",
    "sessions_in_policy",
    "__class__",
    "open",
    "mean",
]
METRICS = {"x": 3, "y": 0, "xs": [1.0, 2.5, -3.0], "s": "ab", "flag": True}
COUNTERS = {"sessions_in_stage": 2, "sessions_total": 5, "sessions_in_policy": 1}
PARAMS = {"x": 1.0, "level": 2, "flag": False, "group": {"a": 1, "b": [1, 2]}, "s": "txt"}
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run_condition(text: str) -> None:
    try:
        compiled = compile_condition(text)
    except RuleError:
        return
    for metrics in (METRICS, {}, {"x": "a", "xs": "zz", "flag": 1, "s": [1]}):
        try:
            result = compiled.evaluate(Context(metrics, COUNTERS))
        except RuleError:
            continue
        assert result is True or result is False


def _run_update(text: str) -> None:
    try:
        compiled = compile_update(text)
    except RuleError:
        return
    before = repr(PARAMS)
    with contextlib.suppress(RuleError):
        compiled.apply(Context(METRICS, COUNTERS), PARAMS)
    assert repr(PARAMS) == before  # never modified in place


# --- arbitrary text -------------------------------------------------------------------------------

ALPHABET = string.ascii_letters[:12] + string.digits + "_ .,:;()[]{}'\"+-*/%<>=!~&|^@#\\\n\t" + "é"
TOKENS = st.sampled_from(
    [
        "x",
        "xs",
        "s",
        "flag",
        "1",
        "0",
        "2.5",
        "'a'",
        "True",
        "None",
        "(",
        ")",
        "[",
        "]",
        ",",
        ".",
        "+",
        "-",
        "*",
        "/",
        "//",
        "%",
        "**",
        "<",
        ">=",
        "==",
        "!=",
        " and ",
        " or ",
        "not ",
        " if ",
        " else ",
        " in ",
        " is ",
        "lambda",
        ":",
        "=",
        "+=",
        "\n",
        "mean",
        "last",
        "clamp",
        "ramp",
        "over=",
        "__class__",
        "__import__",
        "open",
        "getattr",
        "for",
        "import ",
        "9**9**9",
        "'a'*10**9",
        "[x for x in xs]",
    ]
)


@SETTINGS
@given(st.text(alphabet=ALPHABET, max_size=80))
def test_arbitrary_text_condition(text):
    _run_condition(text)


@SETTINGS
@given(st.lists(TOKENS, max_size=25).map("".join))
def test_token_soup_condition(text):
    _run_condition(text)


@SETTINGS
@given(st.lists(TOKENS, max_size=25).map("".join))
def test_token_soup_update(text):
    _run_update(text)


@SETTINGS
@given(st.text(max_size=60))
def test_any_unicode_text(text):
    _run_condition(text)
    _run_update(text)
    for issue in check_condition(text, {"x": "number"}) + check_update(text, {"x": "number"}, PARAMS):
        assert issue.col >= 0 and issue.end_col > issue.col


# --- arbitrary syntax trees (allowed and forbidden nodes), unparsed to text -----------------------

constants = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.none(),
    st.text(alphabet="ab%s", max_size=4),
    st.sampled_from([10**40, 10**400, 2**128, 1e308, b"x", 1j]),
).map(lambda v: ast.Constant(value=v))
names = st.sampled_from(NAMES).map(lambda n: ast.Name(id=n, ctx=ast.Load()))
BINOPS = [
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.LShift,
    ast.BitOr,
    ast.MatMult,
]
CMPOPS = [ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot]
FUNCS = [
    "mean",
    "median",
    "min",
    "max",
    "sum",
    "len",
    "abs",
    "round",
    "all",
    "any",
    "clamp",
    "last",
    "ramp",
    "open",
    "getattr",
    "__import__",
    "eval",
    "type",
]


def _extend(children):
    return st.one_of(
        st.builds(lambda a, op, b: ast.BinOp(a, op(), b), children, st.sampled_from(BINOPS), children),
        st.builds(
            lambda op, a: ast.UnaryOp(op(), a),
            st.sampled_from([ast.Not, ast.USub, ast.UAdd, ast.Invert]),
            children,
        ),
        st.builds(
            lambda op, vs: ast.BoolOp(op(), vs),
            st.sampled_from([ast.And, ast.Or]),
            st.lists(children, min_size=2, max_size=3),
        ),
        st.builds(
            lambda a, ops, bs: ast.Compare(
                a, [o() for o in ops], bs[: len(ops)] + [bs[-1]] * (len(ops) - len(bs))
            ),
            children,
            st.lists(st.sampled_from(CMPOPS), min_size=1, max_size=2),
            st.lists(children, min_size=1, max_size=2),
        ),
        st.builds(lambda t, b, o: ast.IfExp(t, b, o), children, children, children),
        st.builds(lambda v, i: ast.Subscript(v, i, ast.Load()), children, children),
        st.builds(
            lambda v, lo, hi: ast.Subscript(v, ast.Slice(lo, hi, None), ast.Load()),
            children,
            st.none() | children,
            st.none() | children,
        ),
        st.builds(lambda es: ast.List(es, ast.Load()), st.lists(children, max_size=3)),
        st.builds(lambda es: ast.Tuple(es, ast.Load()), st.lists(children, max_size=3)),
        st.builds(
            lambda f, args, kw: ast.Call(
                ast.Name(f, ast.Load()), args, [ast.keyword(arg="over", value=kw)] if kw is not None else []
            ),
            st.sampled_from(FUNCS),
            st.lists(children, max_size=3),
            st.none() | children,
        ),
        st.builds(
            lambda v, a: ast.Attribute(v, a, ast.Load()),
            children,
            st.sampled_from(["real", "__class__", "a", "b"]),
        ),
        st.builds(lambda b: ast.Lambda(ast.arguments([], [], None, [], [], None, []), b), children),
        st.builds(
            lambda e, it: ast.ListComp(e, [ast.comprehension(ast.Name("q", ast.Store()), it, [], 0)]),
            children,
            children,
        ),
        st.builds(lambda k, v: ast.Dict([k], [v]), children, children),
        st.builds(lambda v: ast.Starred(v, ast.Load()), children),
        st.builds(lambda v: ast.NamedExpr(ast.Name("w", ast.Store()), v), children),
        st.builds(lambda v: ast.JoinedStr([ast.FormattedValue(v, -1, None)]), children),
    )


expressions = st.recursive(constants | names, _extend, max_leaves=12)


def _unparse(tree: ast.AST) -> str:
    try:
        return ast.unparse(ast.fix_missing_locations(tree))
    except Exception:
        assume(False)
        raise


@SETTINGS
@given(expressions)
def test_arbitrary_trees_as_conditions(tree):
    text = _unparse(ast.Expression(tree))
    _run_condition(text)
    check_condition(
        text, {"x": "number", "xs": "number_list", "s": "string", "flag": "boolean"}, policy_rule=True
    )


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["x", "level", "group.a", "group", "nope", "s"]),
            st.sampled_from(["=", "+=", "-=", "*=", "/="]),
            expressions,
        ),
        min_size=1,
        max_size=3,
    )
)
def test_arbitrary_trees_as_updates(lines):
    text = "\n".join(f"{target} {op} {_unparse(ast.Expression(value))}" for target, op, value in lines)
    _run_update(text)
    check_update(text, {"x": "number", "xs": "number_list"}, PARAMS)


def test_known_escape_attempts_are_rejected():
    for text in [
        "().__class__.__bases__[0].__subclasses__()",
        "__import__('os')",
        "(lambda: 1)()",
        "[x for x in 'a']",
        "9**9**9",
        "'a'*10**9",
        "open('f')",
        "getattr(1,'real')",
        "[].__class__",
        "x.__globals__",
        "mean.__globals__",
        "(1).__class__",
        "''.__class__.__mro__[1].__subclasses__()",
        "clamp.__code__",
        "[c for c in ().__class__.__base__.__subclasses__()]",
        "max(xs, key=len)",
        "min(*xs)",
    ]:
        try:
            compile_condition(text)
        except RuleError as exc:
            assert isinstance(exc, CurriculumGuiError)
        else:
            raise AssertionError(f"accepted: {text}")
