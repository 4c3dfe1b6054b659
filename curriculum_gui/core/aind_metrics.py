"""A trusted aind package's metrics: its ``Metrics`` class, the metrics it declares, validation, providers.

Everything here imports the package's modules, so it is reached only through an :class:`AindRuleRunner`
whose trust allows them (``resolve`` refuses the others with the message saying how to trust them).

- The curriculum's ``Metrics`` class is the annotation of its rule functions' argument (aind's examples
  and AIND's curricula all annotate it), or what its stages' ``metrics_provider`` returns.
- Metric values are validated by that class exactly as aind reads them from JSON (strict: ``160.0`` is
  not a count, ``"3"`` not a number; keys of a ``dict[int, int]`` come back as numbers). A metric this
  app holds as "not measured" (absent) is given as null to a field that is required but may be null.
- A stage's ``metrics_provider`` is called on a session's data folder, as aind's ``curriculum run``
  does, and its result is kept as plain JSON values (what the store holds and ``suggest`` prints).
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import CurriculumGuiError
from .model import Curriculum, Metric, MetricSource, MetricType, PythonRule
from .python_rules import AindRuleRunner, PythonRuleFailed, PythonRuleUnavailable

MAX_MESSAGE = 300


class MetricsRejected(CurriculumGuiError):
    """Metric values the package's ``Metrics`` class refuses (one line: the class, the field, why)."""

    def __init__(self, class_name: str, reason: str) -> None:
        self.class_name = class_name
        self.reason = f"metrics do not fit {class_name} (the package's Metrics class): {reason}"
        super().__init__(self.reason)


# --- the class ----------------------------------------------------------------------------------


def is_metrics_class(value: Any) -> bool:
    """A subclass of aind's ``Metrics`` (aind itself is imported only when trusted code already ran)."""
    try:
        from aind_behavior_curriculum import Metrics
    except ImportError:
        return False
    return isinstance(value, type) and issubclass(value, Metrics) and value is not Metrics


def annotation_of(fn: Any, index: int | str) -> Any:
    """A function's annotation: of its ``index``-th parameter, or its return (``"return"``); None if
    unknown."""
    import inspect

    try:
        hints = typing.get_type_hints(fn)
        if index == "return":
            return hints.get("return")
        params = list(inspect.signature(fn).parameters)
    except Exception:
        return None
    return hints.get(params[index]) if isinstance(index, int) and index < len(params) else None


def _condition_references(curriculum: Curriculum) -> Iterable[str]:
    for t in curriculum.stage_transitions:
        if isinstance(t.rule, PythonRule):
            yield t.rule.python
    for stage in curriculum.stages:
        for t in stage.policy_transitions:
            if isinstance(t.rule, PythonRule):
                yield t.rule.python
        for p in stage.policies:
            if isinstance(p.updates, PythonRule):
                yield p.updates.python


def metrics_class(curriculum: Curriculum, runner: AindRuleRunner) -> type | None:
    """The curriculum's ``Metrics`` class: the first rule argument annotated with one, else what a
    ``metrics_provider`` returns. Imports the (trusted) modules; raises :class:`PythonRuleUnavailable`
    for one that cannot be imported or is not trusted."""
    for reference in dict.fromkeys(_condition_references(curriculum)):
        cls = annotation_of(runner.resolve(reference), 0)
        if is_metrics_class(cls):
            return cls
    for stage in curriculum.stages:
        if stage.metrics_provider:
            cls = annotation_of(runner.resolve(stage.metrics_provider), "return")
            if is_metrics_class(cls):
                return cls
    return None


# --- declared metrics from the class -------------------------------------------------------------


def _strip(annotation: Any) -> tuple[Any, bool]:
    """(the annotation without ``Annotated[...]`` and ``| None``, whether it admits None)."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin is typing.Union or origin is types.UnionType:
            args = typing.get_args(annotation)
            rest = [a for a in args if a is not type(None)]
            optional = optional or len(rest) < len(args)
            if len(rest) == 1:
                annotation = rest[0]
                continue
        return annotation, optional


def _is_number(annotation: Any) -> bool:
    annotation, _ = _strip(annotation)
    return annotation in (int, float)


def metric_type(annotation: Any) -> tuple[MetricType, bool]:
    """A field's annotation -> (our metric type, may be null). Anything else is JSON (read as it is)."""
    inner, optional = _strip(annotation)
    origin = typing.get_origin(inner)
    if inner is bool:
        return MetricType.BOOLEAN, optional
    if inner is int:
        return MetricType.INTEGER, optional
    if inner is float:
        return MetricType.NUMBER, optional
    if inner is str:
        return MetricType.STRING, optional
    if origin is typing.Literal and all(isinstance(a, str) for a in typing.get_args(inner)):
        return MetricType.STRING, optional
    if origin in (list, tuple) or inner in (list, tuple):
        args = [a for a in typing.get_args(inner) if a is not Ellipsis]
        if args and all(_is_number(a) for a in args):
            return MetricType.NUMBER_LIST, optional
    return MetricType.JSON, optional


def declared_metrics(cls: type) -> list[Metric]:
    """The metrics a ``Metrics`` class declares, in its order, marked as coming from the package."""
    out = []
    for name, field in cls.model_fields.items():  # type: ignore[attr-defined]
        kind, optional = metric_type(field.annotation)
        out.append(
            Metric(
                name=name,
                type=kind,
                description=(field.description or "").strip(),
                source=MetricSource.PACKAGE,
                optional=optional,
            )
        )
    return out


def package_metrics(runner: AindRuleRunner, reference: str) -> list[Metric]:
    """The metrics declared by the ``Metrics`` class a rule function's argument names (empty if none)."""
    cls = annotation_of(runner.resolve(reference), 0)
    return declared_metrics(cls) if is_metrics_class(cls) else []


def merge_declared(existing: list[Metric], from_package: list[Metric]) -> list[Metric]:
    """The package's metrics (in its order) then the person's own that the package does not name.
    Metrics read from the package before are replaced (the class is the truth)."""
    names = {m.name for m in from_package}
    own = [m for m in existing if m.source is not MetricSource.PACKAGE and m.name not in names]
    return [*from_package, *own]


# --- validation ---------------------------------------------------------------------------------


def describe_validation_error(exc: Any) -> str:
    """A pydantic ``ValidationError`` in one line: the first problem, where, and how many more."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "the metrics"
    text = f"{where}: {first.get('msg', 'invalid')}"
    if first.get("type") != "missing" and "input" in first:
        shown = json.dumps(first["input"], default=str)
        text += f" (got {shown if len(shown) <= 40 else shown[:37] + '...'})"
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def with_nulls(cls: type, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` plus null for each required field that may be null and is absent (not measured)."""
    out = dict(values)
    for name, field in cls.model_fields.items():  # type: ignore[attr-defined]
        if name not in out and field.is_required() and _strip(field.annotation)[1]:
            out[name] = None
    return out


def validate_metrics(cls: type, values: Mapping[str, Any]) -> Any:
    """An instance of ``cls`` from metric values, validated as aind reads them from JSON; raises
    :class:`MetricsRejected` in one line."""
    from pydantic import ValidationError

    try:
        payload = json.dumps(with_nulls(cls, values), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise MetricsRejected(cls.__name__, f"not plain JSON values ({exc})") from None
    try:
        return cls.model_validate_json(payload)  # type: ignore[attr-defined]
    except ValidationError as exc:
        raise MetricsRejected(cls.__name__, describe_validation_error(exc)) from None


# --- providers ----------------------------------------------------------------------------------


def metrics_from_provider(
    runner: AindRuleRunner, reference: str, data_directory: str | Path
) -> dict[str, Any]:
    """Call a stage's ``metrics_provider`` on a session's data folder, as aind's ``curriculum run`` does;
    its metrics as plain JSON values. Raises :class:`PythonRuleUnavailable` (not trusted, cannot import)
    or :class:`PythonRuleFailed` (it raised, or did not return metrics)."""
    folder = Path(data_directory)
    if not folder.is_dir():
        raise PythonRuleFailed(reference, f"the session's data folder {str(folder)!r} does not exist")
    fn = runner.resolve(reference)
    try:
        result = fn(folder)
    except Exception as exc:
        text = str(exc).splitlines()[0] if str(exc) else ""
        raise PythonRuleFailed(reference, f"on {folder}: {type(exc).__name__}: {text[:200]}") from exc
    dump = getattr(result, "model_dump", None)
    if dump is None:
        raise PythonRuleFailed(
            reference, f"a metrics provider must return Metrics, it returned {type(result).__name__}"
        )
    try:
        return json.loads(json.dumps(dump(mode="json"), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise PythonRuleFailed(
            reference, f"the metrics it returned are not plain JSON values ({exc})"
        ) from exc


def untrusted_provider_message(reference: str) -> str:
    """One line: which module a provider needs and how to trust it."""
    module = reference.rpartition(".")[0] or reference
    return (
        f"the stage's metrics_provider {reference!r} is in module {module!r}, which is not trusted: "
        f"importing it would run its code (trust it with --trust-module {module.split('.')[0]} "
        "or --trust-python-rules)"
    )


__all__ = [
    "MetricsRejected",
    "PythonRuleFailed",
    "PythonRuleUnavailable",
    "declared_metrics",
    "describe_validation_error",
    "merge_declared",
    "metric_type",
    "metrics_class",
    "metrics_from_provider",
    "validate_metrics",
]
