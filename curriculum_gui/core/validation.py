"""Whole-curriculum checks, returned as problems (never raised), so a broken curriculum still opens.

Errors make a curriculum unusable by the trainer; warnings point at something probably unintended.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import semver

from . import limits
from .model import Curriculum, ExpressionRule, Rule, Stage
from .problems import ItemRef, Problem, Severity
from .rules.check import rule_problems


def stage_label(stage: Stage) -> str:
    return f"stage {stage.name!r}"


@dataclass(frozen=True)
class _Node:
    id: str
    name: str


@dataclass(frozen=True)
class _Edge:
    id: str
    source: str
    destination: str
    rule: Rule


def validate(curriculum: Curriculum) -> list[Problem]:
    problems: list[Problem] = []
    try:
        limits.check_curriculum(curriculum)
        within_limits = True
    except limits.LimitError as exc:  # e.g. built in the editor past a limit: no file would hold it
        problems.append(Problem(Severity.ERROR, exc.location, exc.reason))
        within_limits = False
    problems += _check_curriculum(curriculum)
    stages = [_Node(s.id, s.name) for s in curriculum.stages]
    edges = [_Edge(t.id, t.source, t.destination, t.rule) for t in curriculum.stage_transitions]
    names = {s.id: s.name for s in curriculum.stages}

    problems += _check_graph(
        nodes=stages,
        edges=edges,
        starts=[curriculum.start_stage] if curriculum.start_stage else [],
        node_word="stage",
        edge_word="stage transition",
        node_ref=lambda i: ItemRef("stage", i),
        edge_ref=lambda i: ItemRef("stage_transition", i),
        scope="",
        terminal={s.id for s in curriculum.stages if s.terminal},
        names=names,
    )
    if curriculum.stages and not curriculum.start_stage:
        problems.append(Problem(Severity.ERROR, "curriculum", "no start stage: choose where subjects enroll"))
    elif curriculum.start_stage and curriculum.start_stage not in names:
        problems.append(
            Problem(Severity.ERROR, "curriculum", f"start stage {curriculum.start_stage!r} does not exist")
        )

    for stage in curriculum.stages:
        problems += _check_stage(stage)
    problems += _check_attention(curriculum)
    if within_limits:  # the rules' checks are what limits keep fast
        problems += rule_problems(curriculum)
    return problems


def _check_attention(curriculum: Curriculum) -> list[Problem]:
    """Attention rules need a name people recognise in the subjects table; ids must be unique."""
    rules = curriculum.attention_rules

    def ref(rule_id: str) -> ItemRef:
        return ItemRef("attention_rule", rule_id)

    problems = _duplicates([(r.id, r.id) for r in rules], "attention rule id", ref)
    problems += [
        Problem(Severity.WARNING, f"attention rule name {key!r}", "is used twice", ref(rule_id))
        for key, rule_id in _repeated((r.name.strip(), r.id) for r in rules)
    ]
    problems += [
        Problem(Severity.ERROR, f"attention rule {r.id!r}", "has no name", ref(r.id))
        for r in rules
        if not r.name.strip()
    ]
    return problems


def _repeated(items: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """``(key, id)`` of every item whose non-empty key was seen before."""
    seen: set[str] = set()
    out = []
    for key, item_id in items:
        if key and key in seen:
            out.append((key, item_id))
        seen.add(key)
    return out


def _check_curriculum(curriculum: Curriculum) -> list[Problem]:
    problems = []
    if not curriculum.name.strip():
        problems.append(Problem(Severity.ERROR, "curriculum", "the curriculum has no name"))
    if not semver.Version.is_valid(curriculum.version):
        problems.append(
            Problem(
                Severity.ERROR,
                "curriculum.version",
                f"{curriculum.version!r} is not a semantic version (e.g. 1.0.0)",
            )
        )
    seen: set[str] = set()
    for metric in curriculum.metrics:
        if metric.name in seen:
            problems.append(
                Problem(
                    Severity.ERROR,
                    f"metric {metric.name!r}",
                    "declared twice",
                    ItemRef("metric", metric.name),
                )
            )
        seen.add(metric.name)
        if not metric.name.isidentifier():
            problems.append(
                Problem(
                    Severity.ERROR,
                    f"metric {metric.name!r}",
                    "a metric name must be a valid identifier (letters, digits, _)",
                    ItemRef("metric", metric.name),
                )
            )
    if not curriculum.stages:
        problems.append(Problem(Severity.WARNING, "curriculum", "the curriculum has no stages yet"))
    return problems


def _check_stage(stage: Stage) -> list[Problem]:
    label = stage_label(stage)
    problems: list[Problem] = []
    policies = [_Node(p.id, p.name) for p in stage.policies]
    edges = [_Edge(t.id, t.source, t.destination, t.rule) for t in stage.policy_transitions]
    names = {p.id: p.name for p in stage.policies}
    for start in stage.start_policies:
        if start not in names:
            problems.append(
                Problem(
                    Severity.ERROR,
                    label,
                    f"start policy {start!r} does not exist in this stage",
                    ItemRef("stage", stage.id),
                )
            )
    if len(set(stage.start_policies)) != len(stage.start_policies):
        problems.append(
            Problem(Severity.WARNING, label, "a start policy is listed twice", ItemRef("stage", stage.id))
        )
    if stage.policies and not stage.start_policies:
        problems.append(
            Problem(
                Severity.WARNING,
                label,
                "has policies but no start policy: none will be active on entry",
                ItemRef("stage", stage.id),
            )
        )
    problems += _check_graph(
        nodes=policies,
        edges=edges,
        starts=[p for p in stage.start_policies if p in names],
        node_word="policy",
        edge_word="policy transition",
        node_ref=lambda i: ItemRef("policy", i, stage.id),
        edge_ref=lambda i: ItemRef("policy_transition", i, stage.id),
        scope=f"{label} › ",
        terminal=None,
        names=names,
    )
    return problems


def _check_graph(
    *,
    nodes: list[_Node],
    edges: list[_Edge],
    starts: list[str],
    node_word: str,
    edge_word: str,
    node_ref: Callable[[str], ItemRef],
    edge_ref: Callable[[str], ItemRef],
    scope: str,
    terminal: set[str] | None,
    names: dict[str, str],
) -> list[Problem]:
    """The checks stages and policies share: identity, references, reachability, dead ends, shadowing."""
    problems: list[Problem] = []
    problems += _duplicates([(n.id, n.id) for n in nodes], f"{scope}{node_word} id", node_ref)
    problems += _duplicates([(n.name.strip(), n.id) for n in nodes], f"{scope}{node_word} name", node_ref)
    problems += _duplicates([(e.id, e.id) for e in edges], f"{scope}{edge_word} id", edge_ref)
    for node in nodes:
        if not node.name.strip():
            problems.append(
                Problem(Severity.ERROR, f"{scope}{node_word} {node.id!r}", "has no name", node_ref(node.id))
            )

    def edge_label(edge: _Edge) -> str:
        src = names.get(edge.source, edge.source)
        dst = names.get(edge.destination, edge.destination)
        return f"{scope}{edge_word} {src!r} → {dst!r}"

    for edge in edges:
        for end, value in (("source", edge.source), ("destination", edge.destination)):
            if value not in names:
                problems.append(
                    Problem(
                        Severity.ERROR,
                        edge_label(edge),
                        f"its {end} {value!r} is not a {node_word} of this "
                        f"{'stage' if scope else 'curriculum'}",
                        edge_ref(edge.id),
                    )
                )

    # Reachability from the start(s), following every edge whose ends exist.
    if starts:
        adjacency: dict[str, list[str]] = {}
        for edge in edges:
            adjacency.setdefault(edge.source, []).append(edge.destination)
        reached = _reachable(starts, adjacency)
        for node in nodes:
            if node.id not in reached:
                problems.append(
                    Problem(
                        Severity.WARNING,
                        f"{scope}{node_word} {node.name!r}",
                        f"unreachable from the start {node_word}{'' if len(starts) == 1 else 's'}",
                        node_ref(node.id),
                    )
                )

    if terminal is not None:
        sources = {e.source for e in edges}
        for node in nodes:
            if node.id not in sources and node.id not in terminal:
                problems.append(
                    Problem(
                        Severity.WARNING,
                        f"{scope}{node_word} {node.name!r}",
                        "has no way out and is not marked terminal (e.g. Graduated)",
                        node_ref(node.id),
                    )
                )

    by_source: dict[str, list[_Edge]] = {}
    for edge in edges:
        by_source.setdefault(edge.source, []).append(edge)
    for outgoing in by_source.values():
        for index, edge in enumerate(outgoing[:-1]):
            if is_always_true(edge.rule):
                for later in outgoing[index + 1 :]:
                    problems.append(
                        Problem(
                            Severity.WARNING,
                            edge_label(later),
                            f"can never fire: the earlier {edge_word} (priority {index + 1}) is always true",
                            edge_ref(later.id),
                        )
                    )
                break
    return problems


def _duplicates(items: Iterable[tuple[str, str]], what: str, ref: Callable[[str], ItemRef]) -> list[Problem]:
    return [
        Problem(Severity.ERROR, f"{what} {key!r}", "is used twice", ref(item_id))
        for key, item_id in _repeated(items)
    ]


def _reachable(starts: list[str], adjacency: dict[str, list[str]]) -> set[str]:
    seen = set(starts)
    stack = list(starts)
    while stack:
        for nxt in adjacency.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


_NAME_OTHER_THAN_CONSTANTS = re.compile(r"(?!\b(?:True|False|and|or|not)\b)\b[A-Za-z_]")


def is_always_true(rule: Rule) -> bool:
    """A condition made only of constants that is true (``True``, ``1 == 1``, ``not False``...)."""
    if not isinstance(rule, ExpressionRule):
        return False
    text = rule.expression.strip()
    if not text or len(text) > 200 or _NAME_OTHER_THAN_CONSTANTS.search(text):
        return False  # reads a name: not constant (and no parse needed, for thousands of rules)
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError):
        return False
    allowed = (ast.Expression, ast.Constant, ast.BoolOp, ast.UnaryOp, ast.Compare, ast.And, ast.Or, ast.Not)
    allowed += (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
    if not all(isinstance(node, allowed) for node in ast.walk(tree)):
        return False
    if any(
        isinstance(n, ast.Constant) and not isinstance(n.value, int | float | bool) for n in ast.walk(tree)
    ):
        return False
    try:
        return bool(_fold(tree.body))
    except Exception:
        return False


def _fold(node: ast.expr) -> object:
    """Evaluate a constant-only tree without eval (numbers and booleans only, checked above)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp):
        return not _fold(node.operand)
    if isinstance(node, ast.BoolOp):
        values = [_fold(v) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Compare):
        ops = {
            ast.Eq: lambda a, b: a == b,
            ast.NotEq: lambda a, b: a != b,
            ast.Lt: lambda a, b: a < b,
            ast.LtE: lambda a, b: a <= b,
            ast.Gt: lambda a, b: a > b,
            ast.GtE: lambda a, b: a >= b,
        }
        left = _fold(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _fold(right_node)
            if not ops[type(op)](left, right):
                return False
            left = right
        return True
    raise ValueError("not constant")
