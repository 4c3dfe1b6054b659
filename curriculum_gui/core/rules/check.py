"""Edit-time checks of rules against the declared metrics and task parameters.

Used two ways: :func:`check_condition` / :func:`check_update` give :class:`RuleIssue` spans for the editor
(live, as the user types), and :func:`rule_problems` gives validation :class:`Problem` s for a whole
curriculum (joined into :func:`~curriculum_gui.core.validation.validate`).

Types are tracked only as far as they are known: ``number``, ``boolean``, ``string``, ``list``, ``none``,
``group`` (a nested parameter group) and ``any`` (not known; never reported).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..model import Curriculum, ExpressionRule, MetricType
from ..problems import ItemRef, Problem, Severity
from .compiler import compile_parsed
from .errors import RuleError
from .functions import ATTENTION_COUNTERS, CONSTANTS, COUNTERS, FUNCTIONS
from .parser import BINOP_SYMBOLS, Parsed, dotted_name, parse_condition, parse_update, suggest

NUMBER, BOOLEAN, STRING, LIST, NONE, GROUP, ANY = (
    "number",
    "boolean",
    "string",
    "list",
    "none",
    "group",
    "any",
)

_WORDS = {
    NUMBER: "a number",
    BOOLEAN: "true/false",
    STRING: "text",
    LIST: "a list",
    NONE: "None",
    GROUP: "a group of parameters",
    ANY: "a value",
}

_METRIC_TYPES = {
    MetricType.NUMBER: NUMBER,
    MetricType.INTEGER: NUMBER,
    MetricType.BOOLEAN: BOOLEAN,
    MetricType.STRING: STRING,
    MetricType.NUMBER_LIST: LIST,
    MetricType.JSON: ANY,
}


@dataclass(frozen=True, slots=True)
class RuleIssue:
    """One problem in a rule's text. ``col``/``end_col``: 0-based character offsets in ``line`` (1-based)."""

    col: int
    end_col: int
    message: str
    line: int = 1
    severity: str = "error"  # "error" or "warning"

    def describe(self, multiline: bool = False) -> str:
        where = f"line {self.line}, column {self.col + 1}" if multiline else f"column {self.col + 1}"
        return f"{where}: {self.message}"


def type_of_metric(metric_type: Any) -> str:
    if metric_type is None:
        return ANY
    try:
        return _METRIC_TYPES[MetricType(metric_type)]
    except ValueError:
        return ANY


def type_of_value(value: Any) -> str:
    if value is None:
        return NONE
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int | float):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if isinstance(value, list | tuple):
        return LIST
    if isinstance(value, dict):
        return GROUP
    return ANY


def _metric_types(names: Mapping[str, Any] | Iterable[str]) -> dict[str, str]:
    if isinstance(names, Mapping):
        return {str(k): type_of_metric(v) for k, v in names.items()}
    return {str(n): ANY for n in names}


def counter_available(name: str, *, policy_rule: bool = False, attention_rule: bool = False) -> bool:
    """Whether a rule of this kind can read the counter ``name`` (``sessions_in_policy``: policy rules;
    ``days_*``: attention rules)."""
    if name == "sessions_in_policy":
        return policy_rule
    return attention_rule or name not in ATTENTION_COUNTERS


def available_names(
    names: Mapping[str, Any] | Iterable[str],
    *,
    policy_rule: bool = False,
    parameters: Mapping[str, Any] | None = None,
    attention_rule: bool = False,
) -> dict[str, str]:
    """Every name a rule may use here, with a short description: for the editor's completion."""
    out: dict[str, str] = {}
    for name, kind in _metric_types(names).items():
        out[name] = f"metric ({_WORDS[kind]})" if kind != ANY else "metric"
    for path, value in _parameter_paths(parameters or {}):
        out[path] = f"task parameter (now {value!r})"
    for name, doc in COUNTERS.items():
        if counter_available(name, policy_rule=policy_rule, attention_rule=attention_rule):
            out[name] = doc
    for f in FUNCTIONS.values():
        if policy_rule or not f.needs_sessions_in_policy:
            out[f.name] = f"{f.signature}: {f.doc}"
    for name, doc in CONSTANTS.items():
        out[name] = doc
    return out


def _parameter_paths(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out = []
    for key, value in params.items():
        if isinstance(value, dict):
            out += _parameter_paths(value, f"{prefix}{key}.")
        else:
            out.append((f"{prefix}{key}", value))
    return out


class Suggestions:
    """How many did-you-mean searches may still run (each compares a name with up to a few hundred
    others): a whole curriculum shares one budget, so a file full of unknown names is still checked
    fast; past the budget, unknown names are reported without a suggestion."""

    PER_RULE = 20
    PER_CURRICULUM = 30

    def __init__(self, remaining: int = PER_RULE) -> None:
        self.remaining = remaining

    def __call__(self, name: str, candidates: Callable[[], Iterable[str]]) -> str:
        if self.remaining <= 0:
            return ""
        self.remaining -= 1
        return suggest(name, list(candidates()))


class _Checker:
    def __init__(
        self,
        parsed: Parsed,
        metrics: dict[str, str],
        *,
        policy_rule: bool,
        parameters: Mapping[str, Any] | None,
        suggestions: Suggestions | None = None,
        attention_rule: bool = False,
    ) -> None:
        self.parsed = parsed
        self.metrics = metrics
        self.policy_rule = policy_rule
        self.attention_rule = attention_rule
        self.parameters = parameters
        self.issues: list[RuleIssue] = []
        self.suggest = suggestions or Suggestions()

    def issue(self, node: ast.AST, message: str, severity: str = "error") -> None:
        line, col, end_col = self.parsed.source.span(node)
        self.issues.append(RuleIssue(col, end_col, message, line, severity))

    def known_names(self) -> list[str]:
        names = list(self.metrics)
        names += [
            c
            for c in COUNTERS
            if counter_available(c, policy_rule=self.policy_rule, attention_rule=self.attention_rule)
        ]
        if self.parameters is not None:
            names += list(self.parameters)
        return names

    # -- expressions

    def infer(self, node: ast.AST) -> str:
        method = getattr(self, "_t_" + type(node).__name__, None)
        return method(node) if method else ANY

    def _t_Constant(self, node: ast.Constant) -> str:
        return type_of_value(node.value)

    def _t_Name(self, node: ast.Name) -> str:
        name = node.id
        if name in COUNTERS:
            if name == "sessions_in_policy" and not self.policy_rule:
                where = "attention rules" if self.attention_rule else "stage transitions"
                self.issue(node, f"sessions_in_policy is only available in policy rules (not in {where})")
            elif name in ATTENTION_COUNTERS and not self.attention_rule:
                self.issue(node, f"{name} is only available in attention rules (it depends on today's date)")
            return NUMBER
        if self.parameters is not None and name in self.parameters:
            if name in self.metrics:
                self.issue(
                    node,
                    f"{name!r} is both a task parameter and a metric: this reads the parameter",
                    "warning",
                )
            return type_of_value(self.parameters[name])
        if name in self.metrics:
            return self.metrics[name]
        what = "metric or task parameter" if self.parameters is not None else "metric"
        self.issue(
            node, f"unknown name {name!r}: not a declared {what}{self.suggest(name, self.known_names)}"
        )
        return ANY

    def _t_Attribute(self, node: ast.Attribute) -> str:
        path = dotted_name(node)
        if path is None or self.parameters is None:
            return ANY
        return self._param_path(node, path, reading=True)

    def _param_value(self, path: tuple[str, ...]) -> Any:
        """The parameter's current (default) value, or None if there is no such parameter."""
        level: Any = self.parameters
        for part in path:
            if not isinstance(level, dict) or part not in level:
                return None
            level = level[part]
        return level

    def _param_path(self, node: ast.AST, path: tuple[str, ...], *, reading: bool) -> str:
        assert self.parameters is not None
        level: Any = self.parameters
        for i, part in enumerate(path):
            if not isinstance(level, dict):
                self.issue(node, f"{'.'.join(path[:i])!r} is not a group of parameters")
                return ANY
            if part not in level:
                where = "the task" if i == 0 else repr(".".join(path[:i]))
                if i == 0 and reading and part in self.metrics:
                    self.issue(node, f"{part!r} is a metric: attribute access on values is not allowed")
                    return ANY
                hint = self.suggest(part, lambda keys=level: map(str, keys))
                self.issue(node, f"{where} has no parameter {part!r}{hint}")
                return ANY
            level = level[part]
        return type_of_value(level)

    def _t_List(self, node: ast.List | ast.Tuple) -> str:
        for e in node.elts:
            self.infer(e)
        return LIST

    _t_Tuple = _t_List

    def _t_BinOp(self, node: ast.BinOp) -> str:
        a, b = self.infer(node.left), self.infer(node.right)
        sym = BINOP_SYMBOLS[type(node.op)]
        if ANY in (a, b):
            known = b if a == ANY else a
            if sym == "+" and known in (STRING, LIST):
                return known
            if sym in "+*" and known != NUMBER:
                return ANY
            return NUMBER if known == NUMBER or sym not in "+*" else ANY
        if a == b == NUMBER:
            return NUMBER
        if sym == "+" and a == b and a in (STRING, LIST):
            return a
        if sym == "*" and {a, b} in ({STRING, NUMBER}, {LIST, NUMBER}):
            return a if a != NUMBER else b
        self.issue(node, f"'{sym}' cannot combine {_WORDS[a]} and {_WORDS[b]}")
        return ANY

    def _t_UnaryOp(self, node: ast.UnaryOp) -> str:
        t = self.infer(node.operand)
        if isinstance(node.op, ast.Not):
            if t not in (ANY, BOOLEAN):
                self.issue(node, f"'not' needs true/false; this is {_WORDS[t]}")
            return BOOLEAN
        if t not in (ANY, NUMBER):
            self.issue(node, f"a sign needs a number; this is {_WORDS[t]}")
        return NUMBER

    def _t_BoolOp(self, node: ast.BoolOp) -> str:
        word = "and" if isinstance(node.op, ast.And) else "or"
        for value in node.values:
            t = self.infer(value)
            if t not in (ANY, BOOLEAN):
                self.issue(value, f"'{word}' needs true/false on both sides; this is {_WORDS[t]}")
        return BOOLEAN

    def _t_IfExp(self, node: ast.IfExp) -> str:
        t = self.infer(node.test)
        if t not in (ANY, BOOLEAN):
            self.issue(node.test, f"'if' needs a true/false test; this is {_WORDS[t]}")
        a, b = self.infer(node.body), self.infer(node.orelse)
        return a if a == b else ANY

    def _t_Compare(self, node: ast.Compare) -> str:
        left = self.infer(node.left)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = self.infer(comp)
            if isinstance(op, ast.In | ast.NotIn):
                if right not in (ANY, LIST, STRING):
                    self.issue(comp, f"'in' needs a list or text on the right; this is {_WORDS[right]}")
            elif isinstance(op, ast.Eq | ast.NotEq):
                pass
            elif ANY not in (left, right) and not (left == right and left in (NUMBER, STRING, LIST)):
                self.issue(node, f"cannot compare {_WORDS[left]} with {_WORDS[right]}")
            left = right
        return BOOLEAN

    def _t_Subscript(self, node: ast.Subscript) -> str:
        t = self.infer(node.value)
        if t not in (ANY, LIST, STRING):
            self.issue(node.value, f"only a list or text can be indexed; this is {_WORDS[t]}")
        if isinstance(node.slice, ast.Slice):
            for part in (node.slice.lower, node.slice.upper, node.slice.step):
                if part is not None and self.infer(part) not in (ANY, NUMBER, NONE):
                    self.issue(part, "slice bounds must be whole numbers")
            return t if t != ANY else ANY
        i = self.infer(node.slice)
        if i not in (ANY, NUMBER):
            self.issue(node.slice, f"an index must be a whole number; this is {_WORDS[i]}")
        return STRING if t == STRING else ANY

    def _t_Call(self, node: ast.Call) -> str:
        assert isinstance(node.func, ast.Name)
        info = FUNCTIONS[node.func.id]
        types = [self.infer(a) for a in node.args] + [self.infer(k.value) for k in node.keywords]
        args = list(node.args) + [k.value for k in node.keywords]
        if info.needs_sessions_in_policy and not self.policy_rule:
            self.issue(node, f"{info.name}() uses sessions_in_policy: only available in policy rules")
        if info.numbers_or_list:
            expected = [LIST] if len(types) == 1 else [NUMBER] * len(types)
            if len(types) == 1 and types[0] == NUMBER:
                self.issue(args[0], f"{info.name}() of one number: give a list, or several numbers")
                return info.returns
        else:
            expected = list(info.args)
        for arg, t, want in zip(args, types, expected, strict=False):
            if want == ANY or t == ANY:
                continue
            if info.name == "len" and t not in (LIST, STRING):
                self.issue(arg, f"len() needs a list or text; this is {_WORDS[t]}")
            elif want != ANY and t != want and not (want == NUMBER and t == NONE and info.name == "round"):
                self.issue(arg, f"{info.name}() needs {_WORDS[want]} here; this is {_WORDS[t]}")
        return info.returns

    # -- statements

    def check_update(self) -> None:
        for stmt in self.parsed.tree.body:  # type: ignore[union-attr]
            target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
            value_type = self.infer(stmt.value)
            path = dotted_name(target)
            assert path is not None
            current = self._param_path(target, path, reading=False)
            if current == ANY:
                continue
            if current == GROUP:
                self.issue(target, f"{'.'.join(path)!r} is a group of parameters: assign its fields")
                continue
            if type(self._param_value(path)) is int:
                self._check_whole(stmt, ".".join(path))
            if isinstance(stmt, ast.AugAssign):
                sym = BINOP_SYMBOLS[type(stmt.op)]
                if value_type == ANY:
                    continue
                ok = (current == value_type == NUMBER) or (
                    sym == "+" and current == value_type and current in (STRING, LIST)
                )
                if not ok:
                    self.issue(
                        stmt,
                        f"'{sym}=' cannot combine {_WORDS[current]} ({'.'.join(path)}) "
                        f"and {_WORDS[value_type]}",
                    )
            elif NONE not in (current, value_type) and value_type != ANY and value_type != current:
                self.issue(
                    stmt.value, f"{'.'.join(path)} is {_WORDS[current]}; this gives {_WORDS[value_type]}"
                )

    def _check_whole(self, stmt: ast.Assign | ast.AugAssign, name: str) -> None:
        """A whole-number parameter (the rig reads an integer) must not be given a fraction: a fractional
        constant, or a true division ``/`` that is not rounded, is refused here (and at run time)."""
        value = stmt.value
        if isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.Div):
            self.issue(stmt, f"{name} holds whole numbers; '/=' can give a fraction: use '//=' or round()")
            return
        if isinstance(value, ast.Constant) and type(value.value) is float and not value.value.is_integer():
            self.issue(value, f"{name} holds whole numbers; this gives a fraction ({value.value!r})")
            return
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div):
            self.issue(value, f"{name} holds whole numbers; '/' can give a fraction: use '//' or round()")


def _issue_from_error(exc: RuleError, text: str) -> RuleIssue:
    if exc.col is None:
        return RuleIssue(0, max(len(text.split("\n")[0]), 1), exc.reason, 1)
    return RuleIssue(exc.col, exc.end_col or exc.col + 1, exc.reason, exc.line)


def check_condition(
    text: str,
    names: Mapping[str, Any] | Iterable[str],
    *,
    policy_rule: bool = False,
    attention_rule: bool = False,
) -> list[RuleIssue]:
    """Problems of a condition: syntax, whitelist, unknown names (did-you-mean), types; it must be boolean;
    and what cannot be computed (``x > 9**9**9``).

    ``names``: the declared metrics, as ``{name: MetricType or type string}`` or just names.
    ``policy_rule``: True for a policy transition (``sessions_in_policy`` and ``ramp`` are available);
    ``attention_rule``: True for an attention rule (``days_since_last_session``, ``days_in_stage``).
    """
    return _condition_issues(text, _metric_types(names), policy_rule, Suggestions(), attention_rule)


def check_update(
    text: str,
    names: Mapping[str, Any] | Iterable[str],
    parameters: Mapping[str, Any],
) -> list[RuleIssue]:
    """Problems of a policy update against the metrics and the stage's parameters (nested dicts = groups),
    and what cannot be computed (``reward_volume_ul = 9**9**9``)."""
    return _update_issues(text, _metric_types(names), parameters, Suggestions())


def _condition_issues(
    text: str,
    metrics: dict[str, str],
    policy_rule: bool,
    suggestions: Suggestions,
    attention_rule: bool = False,
) -> list[RuleIssue]:
    try:
        parsed = parse_condition(text)
    except RuleError as exc:
        return [_issue_from_error(exc, text)]
    checker = _Checker(
        parsed,
        metrics,
        policy_rule=policy_rule,
        parameters=None,
        suggestions=suggestions,
        attention_rule=attention_rule,
    )
    body = parsed.tree.body  # type: ignore[union-attr]
    result = checker.infer(body)
    if result not in (ANY, BOOLEAN):
        checker.issue(body, f"a condition must be true or false; this gives {_WORDS[result]}")
    return _compiled(checker, text)


def _update_issues(
    text: str, metrics: dict[str, str], parameters: Mapping[str, Any], suggestions: Suggestions
) -> list[RuleIssue]:
    try:
        parsed = parse_update(text)
    except RuleError as exc:
        return [_issue_from_error(exc, text)]
    checker = _Checker(parsed, metrics, policy_rule=True, parameters=parameters, suggestions=suggestions)
    checker.check_update()
    return _compiled(checker, text)


def _compiled(checker: _Checker, text: str) -> list[RuleIssue]:
    """The checker's issues; when it found no error, also what compiling says: constant parts are
    computed then, so a rule that can never run (``9**9**9``, ``1/0``) is refused here, as the trainer,
    ``publish`` and the aind package would refuse it."""
    if any(issue.severity == "error" for issue in checker.issues):
        return checker.issues
    try:
        compile_parsed(checker.parsed)
    except RuleError as exc:
        return [*checker.issues, _issue_from_error(exc, text)]
    return checker.issues


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def rule_problems(curriculum: Curriculum) -> list[Problem]:
    """Every expression rule of the curriculum checked at edit time (Python references are not checked)."""
    problems: list[Problem] = []
    metrics = _metric_types({m.name: m.type for m in curriculum.metrics})  # once, not once a rule
    suggestions = Suggestions(Suggestions.PER_CURRICULUM)
    for metric in curriculum.metrics:
        if metric.name in COUNTERS:
            problems.append(
                Problem(
                    Severity.ERROR,
                    f"metric {metric.name!r}",
                    "is the name of a counter the trainer keeps; rules would read the counter: "
                    "rename the metric",
                    ItemRef("metric", metric.name),
                )
            )
        elif metric.name in FUNCTIONS or metric.name in CONSTANTS:
            problems.append(
                Problem(
                    Severity.WARNING,
                    f"metric {metric.name!r}",
                    "has the name of a rule function or constant: rules cannot read it",
                    ItemRef("metric", metric.name),
                )
            )

    def add(issues: list[RuleIssue], text: str, location: str, ref: ItemRef) -> None:
        multiline = "\n" in text.strip()
        for issue in issues:
            severity = Severity.WARNING if issue.severity == "warning" else Severity.ERROR
            problems.append(
                Problem(severity, location, f"rule {_short(text)!r}: {issue.describe(multiline)}", ref)
            )

    stage_names = {s.id: s.name for s in curriculum.stages}
    for t in curriculum.stage_transitions:
        if isinstance(t.rule, ExpressionRule):
            location = (
                f"stage transition {stage_names.get(t.source, t.source)!r} → "
                f"{stage_names.get(t.destination, t.destination)!r}"
            )
            add(
                _condition_issues(t.rule.expression, metrics, False, suggestions),
                t.rule.expression,
                location,
                ItemRef("stage_transition", t.id),
            )
    for stage in curriculum.stages:
        policy_names = {p.id: p.name for p in stage.policies}
        scope = f"stage {stage.name!r} › "
        for t in stage.policy_transitions:
            if isinstance(t.rule, ExpressionRule):
                location = (
                    f"{scope}policy transition {policy_names.get(t.source, t.source)!r} → "
                    f"{policy_names.get(t.destination, t.destination)!r}"
                )
                issues = _condition_issues(t.rule.expression, metrics, True, suggestions)
                add(issues, t.rule.expression, location, ItemRef("policy_transition", t.id, stage.id))
        for policy in stage.policies:
            if isinstance(policy.updates, ExpressionRule):
                issues = _update_issues(
                    policy.updates.expression, metrics, stage.task.parameters, suggestions
                )
                add(
                    issues,
                    policy.updates.expression,
                    f"{scope}policy {policy.name!r}",
                    ItemRef("policy", policy.id, stage.id),
                )
    for attention in curriculum.attention_rules:
        text = attention.rule.expression
        ref = ItemRef("attention_rule", attention.id)
        location = f"attention rule {attention.name!r}"
        if not text.strip():
            problems.append(Problem(Severity.ERROR, location, "has no condition: write one", ref))
            continue
        add(_condition_issues(text, metrics, False, suggestions, attention_rule=True), text, location, ref)
    return problems
