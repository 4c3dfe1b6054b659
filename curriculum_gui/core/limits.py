"""What a curriculum may hold, in one place: the readers refuse more, the writers never write more.

Real curricula are below every limit (a few dozen stages, rules of a few lines; AIND's largest task, 10,033
parameter values, fits five times over); the limits exist so that a file from anywhere is read, shown and
validated in bounded time and memory (``validate`` of any accepted file takes well under 2 s:
``benchmarks/hostile_files.py``). The README lists them.

:func:`check` works on the native document's plain data (``native_format.to_data`` shape) *before* it is
turned into model objects, so a file with a million stages is refused after counting, not after building
them; :func:`check_curriculum` applies the same checks, with the same messages, to a model in memory
(what the writers and ``validate`` use).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .errors import CurriculumGuiError

MAX_FILE_BYTES = 50 * 1024 * 1024  # a curriculum (or metrics, or state) file
MAX_JSON_DEPTH = 64  # nesting of any JSON file read
MAX_JSON_CONTAINERS = 2_000_000  # lists and objects in any JSON file read (each costs memory)
MAX_CURRICULUM_CONTAINERS = 500_000  # in a curriculum file (one at every limit holds under 400,000)
MAX_STAGES = 1_000
MAX_POLICIES = 2_000  # in all stages together
MAX_TRANSITIONS = 4_000  # stage and policy transitions together
MAX_METRICS = 1_000
MAX_RULE_CHARS = 10_000  # one expression rule (the rule compiler's own limit)
MAX_ALL_RULES_CHARS = 500_000  # every rule of the curriculum together
MAX_PYTHON_REFERENCE_CHARS = 1_000
MAX_NAME_CHARS = 1_000  # curriculum, stage, policy and task names; parameter names
MAX_METRIC_NAME_CHARS = 200
MAX_ID_CHARS = 200
MAX_SHORT_TEXT_CHARS = 200  # version, metric unit
MAX_DESCRIPTION_CHARS = 20_000
# in one task's parameters: every number, text, list, group and their items (AIND's learning_sets curriculum
# holds 10,033 in one task: a session's patch sequence of 10,000 items)
MAX_TASK_VALUES = 50_000
MAX_PARAMETER_VALUES = 100_000  # in every task together
MAX_PARAMETER_DEPTH = 32  # groups and lists inside one another
MAX_TEXT_VALUE_CHARS = 10_000  # one text in the task parameters
MAX_INT_DIGITS = 1_000  # a whole number in a file or a parameter

_INT_BITS = int(MAX_INT_DIGITS * math.log2(10))  # below this many bits an int has at most 1,000 digits


class LimitError(CurriculumGuiError):
    """Something holds more than curriculum-gui accepts. ``location`` names it in the document."""

    def __init__(self, location: str, message: str) -> None:
        self.location = location
        self.reason = message
        super().__init__(f"{location}: {message}")


def too_many(count: int, what: str, limit: int) -> str:
    return f"{count:,} {what} is more than curriculum-gui accepts (at most {limit:,})"


def check(data: Mapping[str, Any]) -> None:
    """Raise :class:`LimitError` for the first thing in native document data over a limit. Values of the
    wrong type are left alone (the model's validation reports those)."""
    stages = _list(data.get("stages"))
    metrics = _list(data.get("metrics"))
    stage_transitions = _list(data.get("stage_transitions"))
    if len(stages) > MAX_STAGES:
        raise LimitError("stages", too_many(len(stages), "stages", MAX_STAGES))
    if len(metrics) > MAX_METRICS:
        raise LimitError("metrics", too_many(len(metrics), "metrics", MAX_METRICS))
    stage_dicts = [s for s in stages if isinstance(s, Mapping)]
    policies = sum(len(_list(s.get("policies"))) for s in stage_dicts)
    if policies > MAX_POLICIES:
        raise LimitError("stages", too_many(policies, "policies (in all stages)", MAX_POLICIES))
    transitions = len(stage_transitions) + sum(len(_list(s.get("policy_transitions"))) for s in stage_dicts)
    if transitions > MAX_TRANSITIONS:
        raise LimitError("document", too_many(transitions, "transitions (stage and policy)", MAX_TRANSITIONS))

    walker = Checker()
    walker.text(data, "name", "name", MAX_NAME_CHARS)
    walker.text(data, "version", "version", MAX_SHORT_TEXT_CHARS)
    walker.text(data, "description", "description", MAX_DESCRIPTION_CHARS)
    walker.text(data, "start_stage", "start_stage", MAX_ID_CHARS)
    for i, metric in enumerate(metrics):
        if isinstance(metric, Mapping):
            where = _item("metrics", i, metric)
            walker.text(metric, "name", where, MAX_METRIC_NAME_CHARS)
            walker.text(metric, "unit", where, MAX_SHORT_TEXT_CHARS)
            walker.text(metric, "description", where, MAX_DESCRIPTION_CHARS)
    for i, transition in enumerate(stage_transitions):
        walker.transition(transition, _item("stage_transitions", i, transition))
    for i, stage in enumerate(stages):
        if isinstance(stage, Mapping):
            walker.stage(stage, _item("stages", i, stage))


class Checker:
    """Running totals (rule text, parameter values) over one document; each method raises LimitError."""

    def __init__(self) -> None:
        self.rule_chars = 0
        self.parameter_values = 0

    def text(self, obj: Mapping[str, Any], key: str, where: str, limit: int) -> None:
        value = obj.get(key)
        if isinstance(value, str) and len(value) > limit:
            location = where if where == key else f"{where}.{key}"
            raise LimitError(location, too_many(len(value), "characters", limit))

    def ids(self, obj: Mapping[str, Any], where: str, *keys: str) -> None:
        for key in keys:
            self.text(obj, key, where, MAX_ID_CHARS)

    def rule(self, obj: Mapping[str, Any], key: str, where: str) -> None:
        rule = obj.get(key)
        if not isinstance(rule, Mapping):
            return
        where = f"{where}.{key}"
        self.text(rule, "expression", where, MAX_RULE_CHARS)
        self.text(rule, "python", where, MAX_PYTHON_REFERENCE_CHARS)
        text = rule.get("expression")
        if isinstance(text, str):
            self.rule_chars += len(text)
            if self.rule_chars > MAX_ALL_RULES_CHARS:
                raise LimitError(
                    where,
                    too_many(
                        self.rule_chars, "characters of rules (all rules together)", MAX_ALL_RULES_CHARS
                    ),
                )

    def transition(self, transition: Any, where: str) -> None:
        if isinstance(transition, Mapping):
            self.ids(transition, where, "id", "source", "destination")
            self.rule(transition, "rule", where)

    def stage(self, stage: Mapping[str, Any], where: str) -> None:
        self.ids(stage, where, "id")
        self.text(stage, "name", where, MAX_NAME_CHARS)
        self.text(stage, "description", where, MAX_DESCRIPTION_CHARS)
        starts = _list(stage.get("start_policies"))
        if len(starts) > MAX_POLICIES:
            raise LimitError(f"{where}.start_policies", too_many(len(starts), "start policies", MAX_POLICIES))
        for start in starts:
            if isinstance(start, str) and len(start) > MAX_ID_CHARS:
                raise LimitError(f"{where}.start_policies", too_many(len(start), "characters", MAX_ID_CHARS))
        task = stage.get("task")
        if isinstance(task, Mapping):
            self.text(task, "name", f"{where}.task", MAX_NAME_CHARS)
            self.text(task, "description", f"{where}.task", MAX_DESCRIPTION_CHARS)
            self.parameters(task.get("parameters"), f"{where}.task.parameters")
        for i, policy in enumerate(_list(stage.get("policies"))):
            if isinstance(policy, Mapping):
                here = _item(f"{where}.policies", i, policy)
                self.ids(policy, here, "id")
                self.text(policy, "name", here, MAX_NAME_CHARS)
                self.text(policy, "description", here, MAX_DESCRIPTION_CHARS)
                self.rule(policy, "updates", here)
        for i, transition in enumerate(_list(stage.get("policy_transitions"))):
            self.transition(transition, _item(f"{where}.policy_transitions", i, transition))

    def parameters(self, params: Any, where: str) -> None:
        """Count every value, as it is found (a list of five million numbers is refused in one step, not
        after visiting them), and check each: iterative, so no nesting can make it recurse. A value's
        place is spelled out only for a message (``parent``, ``key``), not for each of 100,000 values."""
        found = 0
        stack: list[tuple[Any, str, Any, int]] = []  # (value, its parent's place, key or index, depth)

        def add(count: int) -> None:
            nonlocal found
            found += count
            self.parameter_values += count
            if found > MAX_TASK_VALUES:
                raise LimitError(where, too_many(found, "parameter values in one task", MAX_TASK_VALUES))
            if self.parameter_values > MAX_PARAMETER_VALUES:
                total = too_many(self.parameter_values, "parameter values (all tasks)", MAX_PARAMETER_VALUES)
                raise LimitError(where, total)

        add(1)
        stack.append((params, where, None, 0))
        while stack:
            value, parent, key, depth = stack.pop()
            kind = type(value)
            if kind is dict or kind is list:
                if depth >= MAX_PARAMETER_DEPTH:
                    raise LimitError(
                        _place(parent, key), f"parameters nested more than {MAX_PARAMETER_DEPTH} levels deep"
                    )
                add(len(value))
                here = _place(parent, key)
                if kind is list:
                    stack += [(item, here, i, depth + 1) for i, item in enumerate(value)]
                    continue
                for name in value:
                    if isinstance(name, str) and len(name) > MAX_NAME_CHARS:
                        raise LimitError(
                            here, f"a parameter name of {too_many(len(name), 'characters', MAX_NAME_CHARS)}"
                        )
                stack += [(item, here, name, depth + 1) for name, item in value.items()]
            elif kind is str:
                if len(value) > MAX_TEXT_VALUE_CHARS:
                    raise LimitError(
                        _place(parent, key), too_many(len(value), "characters", MAX_TEXT_VALUE_CHARS)
                    )
            elif kind is int:
                if value.bit_length() > _INT_BITS and len(str(abs(value))) > MAX_INT_DIGITS:
                    digits = too_many(len(str(abs(value))), "digits", MAX_INT_DIGITS)
                    raise LimitError(_place(parent, key), f"a whole number of {digits}")
            elif kind is float and not math.isfinite(value):
                raise LimitError(
                    _place(parent, key), f"{value} is not a number a file can hold (use a finite number)"
                )


def _place(parent: str, key: Any) -> str:
    if key is None:
        return parent
    return f"{parent}[{key}]" if isinstance(key, int) else f"{parent}.{_short(str(key))}"


def check_curriculum(curriculum: Any) -> None:
    """:func:`check` for a :class:`~curriculum_gui.core.model.Curriculum` in memory (same messages)."""
    check(curriculum.model_dump())


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _item(where: str, index: int, obj: Any) -> str:
    """``stages[3] 'Warm-up'``: the index to count with, the name to recognise (shortened)."""
    name = obj.get("name") if isinstance(obj, Mapping) else None
    return f"{where}[{index}] {_short(name)!r}" if isinstance(name, str) and name else f"{where}[{index}]"
