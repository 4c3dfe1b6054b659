"""Setting one task parameter by hand, checked against the stage's own parameter types.

A stage's default parameters say what each parameter is (a whole number stays whole, a number, true/false,
text, a list; a group is set leaf by leaf). A person overriding a value at the rig may change the value,
never the kind, and only of a parameter the stage has.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from typing import Any

KINDS = ("whole number", "number", "true/false", "text", "list", "group", "value")


def kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "whole number"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "group"
    return "value"


def value_at(parameters: Mapping[str, Any], path: Sequence[str]) -> Any:
    """The value at ``path``; KeyError if it is not there."""
    value: Any = parameters
    for part in path:
        if not isinstance(value, Mapping) or part not in value:
            raise KeyError(".".join(path))
        value = value[part]
    return value


def checked_value(default: Any, value: Any, name: str) -> Any:
    """``value`` converted to the kind of ``default`` (a whole number given as 14.0 is 14; a whole number
    where a number is expected is kept); ValueError naming the parameter otherwise."""
    expected = kind_of(default)
    found = kind_of(value)
    if expected == "group":
        raise ValueError(f"{name} is a group of parameters: set its values one by one")
    if expected == "value" or default is None:
        return copy.deepcopy(value)
    if expected == "number" and found in ("number", "whole number"):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number")
        return float(value)
    if expected == "whole number" and found == "number" and math.isfinite(value) and value.is_integer():
        return int(value)
    if expected != found:
        raise ValueError(f"{name} is a {expected} in this stage, not a {found} ({value!r})")
    return copy.deepcopy(value)


def with_values(
    defaults: Mapping[str, Any], current: Mapping[str, Any], changes: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, tuple[Any, Any]]]:
    """``current`` with ``changes`` (dotted paths → values) set, each checked against ``defaults`` (the
    stage's parameters); and what changed, path → (before, after). ValueError naming the first problem."""
    result = copy.deepcopy(dict(current))
    changed: dict[str, tuple[Any, Any]] = {}
    for name, value in changes.items():
        path = name.split(".")
        try:
            default = value_at(defaults, path)
        except KeyError:
            raise ValueError(f"the stage has no parameter {name!r}") from None
        new = checked_value(default, value, name)
        group: Any = result
        for part in path[:-1]:
            group = group.setdefault(part, {})
            if not isinstance(group, dict):
                raise ValueError(f"{name}: {part!r} is a value, not a group")
        before = copy.deepcopy(group.get(path[-1]))
        if before != new or type(before) is not type(new):
            group[path[-1]] = new
            changed[name] = (before, new)
    return result, changed
