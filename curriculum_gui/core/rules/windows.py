"""How much of a history (a ``number_list`` metric) a rule can read.

A rule that reads a history only as ``last(name, n)`` (``n`` written as a whole number) or ``len(name)``
sees its length and its last ``n`` items, nothing more. The store then hands the trainer the history with
its earlier items left as ``None`` placeholders (:func:`~curriculum_gui.core.histories.history_windows`):
the same length, the same last items, and no float made for each of the 500 sessions before. Any other
read (``mean(name)``, ``name[0]``, ``last(name, k)`` with a computed ``k``, the name passed on or stored)
may read anything: the whole history.
"""

from __future__ import annotations

import ast
from collections.abc import Collection

WHOLE = None
"""What :func:`history_reads` gives for a history that a rule may read anywhere."""


def history_reads(tree: ast.AST, names: Collection[str]) -> dict[str, int | None]:
    """For each of ``names`` the rule (its parsed ``tree``) reads: the most items it reads from the end
    (0 for its length only), or :data:`WHOLE`. Names it does not read are left out."""
    bounded: dict[str, int] = {}
    whole: set[str] = set()
    allowed: set[int] = set()  # ids of the Name nodes read as last(name, n) or len(name)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords):
            continue
        args = node.args
        if not args or not isinstance(args[0], ast.Name) or args[0].id not in names:
            continue
        name = args[0].id
        if node.func.id == "len" and len(args) == 1:
            allowed.add(id(args[0]))
            bounded[name] = max(bounded.get(name, 0), 0)
        elif node.func.id == "last" and len(args) == 2 and _whole_number(args[1]):
            allowed.add(id(args[0]))
            bounded[name] = max(bounded.get(name, 0), args[1].value)  # type: ignore[attr-defined]
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in names and id(node) not in allowed:
            whole.add(node.id)
    out: dict[str, int | None] = dict(bounded)
    out.update(dict.fromkeys(whole, WHOLE))
    return out


def _whole_number(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and node.value >= 0
