"""The rule expression language: safe conditions and policy updates over a curriculum's metrics.

Public API:

* :func:`compile_condition`, :func:`compile_update` (compile once; evaluate with a :class:`Context`);
* :func:`check_condition`, :func:`check_update` (edit-time :class:`RuleIssue` s for the editor),
  :func:`rule_problems` (validation problems for a whole curriculum), :func:`available_names` (completion);
* :data:`FUNCTIONS` (name -> :class:`FunctionInfo` with signature and one-line doc), :data:`COUNTERS`;
* :class:`RuleError`, the only error the language raises.
"""

from .check import RuleIssue, available_names, check_condition, check_update, rule_problems
from .compiler import (
    CompiledCondition,
    CompiledUpdate,
    Context,
    compile_condition,
    compile_rule,
    compile_update,
)
from .errors import RuleError
from .functions import COUNTERS, FUNCTIONS, FunctionInfo, function_docs

__all__ = [
    "COUNTERS",
    "FUNCTIONS",
    "CompiledCondition",
    "CompiledUpdate",
    "Context",
    "FunctionInfo",
    "RuleError",
    "RuleIssue",
    "available_names",
    "check_condition",
    "check_update",
    "compile_condition",
    "compile_rule",
    "compile_update",
    "function_docs",
    "rule_problems",
]
