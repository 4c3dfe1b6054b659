"""Python references (``"module.qualname"``, aind-compatible): trust, and the runner that calls them.

Importing a module runs its code, so nothing here imports anything unless the user has said they trust
that module (``--trust-python-rules`` / ``--trust-module NAME`` on the command line, a prompt naming the
modules in the GUI). Opening, validating, editing and saving a curriculum never come here.

The runner calls the functions exactly as aind-behavior-curriculum's ``Trainer`` does:
``rule(metrics) -> bool`` for stage and policy transitions and ``policy(metrics, task) -> task`` for
policies, with an aind ``Metrics`` object built from the metric values and an aind ``Task`` built from the
stage's task name and current parameters. Where the function's annotations name a ``Metrics`` or ``Task``
subclass (as aind's own examples do), that class is used, so its defaults and types apply. Metrics that
do not fit the function's ``Metrics`` class are refused, as aind refuses them (a rule error saying which
field and why); a task that does not fit its ``Task`` class is given as aind's plain ``Task``.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import CurriculumGuiError
from .model import Curriculum, PythonRule

INSTALL_HINT = "pip install 'curriculum-gui[aind]'"
MAIN = "__main__"


class PythonRuleUnavailable(CurriculumGuiError):
    """A reference that cannot be run: not trusted, not importable, aind missing, ``__main__`` not given."""

    def __init__(self, reference: str, reason: str) -> None:
        self.reference = reference
        self.reason = reason
        super().__init__(f"Python rule {reference!r} is unavailable: {reason}")


class PythonRuleFailed(CurriculumGuiError):
    """The user's function ran and raised, or returned something aind would not accept."""

    def __init__(self, reference: str, reason: str) -> None:
        self.reference = reference
        self.reason = reason
        super().__init__(f"Python rule {reference!r} failed: {reason}")


# --- references ---------------------------------------------------------------------------------


def split_reference(reference: str) -> tuple[str, str]:
    """``"pkg.mod.fn"`` -> ``("pkg.mod", "fn")``: the module is all but the last part, as aind resolves it."""
    module, _, attr = reference.strip().rpartition(".")
    return module, attr


def iter_references(curriculum: Curriculum) -> Iterable[tuple[str, str]]:
    """Every Python reference with a readable place, in document order."""
    names = {s.id: s.name for s in curriculum.stages}
    for t in curriculum.stage_transitions:
        if isinstance(t.rule, PythonRule):
            yield (
                t.rule.python,
                f"stage transition {names.get(t.source, t.source)!r} -> "
                f"{names.get(t.destination, t.destination)!r}",
            )
    for stage in curriculum.stages:
        pnames = {p.id: p.name for p in stage.policies}
        for p in stage.policies:
            if isinstance(p.updates, PythonRule):
                yield p.updates.python, f"policy {p.name!r} of stage {stage.name!r}"
        for t in stage.policy_transitions:
            if isinstance(t.rule, PythonRule):
                yield (
                    t.rule.python,
                    f"policy transition {pnames.get(t.source, t.source)!r} -> "
                    f"{pnames.get(t.destination, t.destination)!r} of stage {stage.name!r}",
                )


def references(curriculum: Curriculum) -> list[str]:
    """Distinct references, in first-use order."""
    return list(dict.fromkeys(ref for ref, _ in iter_references(curriculum)))


def modules_referenced(curriculum: Curriculum) -> list[str]:
    """The modules that running this curriculum would import (what a trust prompt names), sorted."""
    return sorted({split_reference(ref)[0] or ref for ref in references(curriculum)})


# --- trust --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trust:
    """Which modules may be imported. Trusting a package trusts its submodules."""

    modules: frozenset[str] = frozenset()
    all: bool = False

    @classmethod
    def nothing(cls) -> Trust:
        return cls()

    @classmethod
    def everything(cls) -> Trust:
        return cls(all=True)

    @classmethod
    def of(cls, modules: Iterable[str]) -> Trust:
        return cls(modules=frozenset(m.strip() for m in modules if m.strip()))

    def allows(self, module: str) -> bool:
        if self.all:
            return True
        parts = module.split(".")
        return any(".".join(parts[:n]) in self.modules for n in range(1, len(parts) + 1))

    def untrusted(self, curriculum: Curriculum) -> list[str]:
        return [m for m in modules_referenced(curriculum) if not self.allows(m)]


def aind_available() -> bool:
    try:
        import aind_behavior_curriculum  # noqa: F401
    except ImportError:
        return False
    return True


# --- the runner ---------------------------------------------------------------------------------


@dataclass
class AindRuleRunner:
    """Runs trusted Python references as aind's Trainer does. Satisfies the trainer's ``PythonRuleRunner``.

    ``main`` stands in for ``__main__`` (the script that built an aind curriculum and exported it): a path
    to a ``.py`` file or an importable module name. Without it, ``__main__.x`` references are unavailable.
    ``paths`` are prepended to ``sys.path`` while importing (e.g. the folder holding the user's package).
    """

    trust: Trust = field(default_factory=Trust)
    main: str | Path | None = None
    paths: tuple[str, ...] = ()
    _functions: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _main_module: ModuleType | None = field(default=None, init=False, repr=False)

    # The PythonRuleRunner protocol --------------------------------------------------------------

    def condition(self, reference: str, metrics: Mapping[str, Any]) -> bool:
        fn = self.resolve(reference)
        metrics_obj = self._metrics_for(fn, metrics)
        try:
            result = fn(metrics_obj)
        except Exception as exc:
            raise PythonRuleFailed(reference, f"{type(exc).__name__}: {exc}") from exc
        return bool(result)  # aind: `if rule.invoke(metrics):`

    def update(self, reference: str, metrics: Mapping[str, Any], task_name: str, parameters: dict) -> dict:
        fn = self.resolve(reference)
        metrics_obj = self._metrics_for(fn, metrics)
        task = self._task_for(fn, task_name, parameters)
        try:
            result = fn(metrics_obj, task)
        except Exception as exc:
            raise PythonRuleFailed(reference, f"{type(exc).__name__}: {exc}") from exc
        task_parameters = getattr(result, "task_parameters", None)
        if task_parameters is None or not hasattr(task_parameters, "model_dump"):
            raise PythonRuleFailed(
                reference, f"a policy must return a Task, it returned {type(result).__name__}"
            )
        try:
            return json.loads(json.dumps(task_parameters.model_dump(mode="json"), allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise PythonRuleFailed(
                reference, f"the task parameters it returned are not plain JSON values ({exc})"
            ) from exc

    # Resolution ---------------------------------------------------------------------------------

    def check(self, curriculum: Curriculum) -> dict[str, str]:
        """Resolve every reference (imports trusted modules only): ``{reference: why unavailable}``."""
        missing: dict[str, str] = {}
        for ref in references(curriculum):
            try:
                self.resolve(ref)
            except PythonRuleUnavailable as exc:
                missing[ref] = exc.reason
        return missing

    def resolve(self, reference: str) -> Any:
        cached = self._functions.get(reference)
        if cached is not None:
            return cached
        module_name, attr = split_reference(reference)
        if not module_name or not attr:
            raise PythonRuleUnavailable(reference, "not a 'module.function' reference")
        if not self.trust.allows(module_name):
            raise PythonRuleUnavailable(
                reference,
                f"module {module_name!r} is not trusted; importing it would run its code "
                f"(trust it with --trust-python-rules or --trust-module {module_name.split('.')[0]})",
            )
        if not aind_available():
            raise PythonRuleUnavailable(
                reference, f"running Python rules needs aind-behavior-curriculum: {INSTALL_HINT}"
            )
        module = self._import(reference, module_name)
        try:
            fn = getattr(module, attr)
        except AttributeError:
            raise PythonRuleUnavailable(reference, f"module {module_name!r} has no {attr!r}") from None
        if not callable(fn):
            raise PythonRuleUnavailable(reference, f"{attr!r} in {module_name!r} is not a function")
        self._functions[reference] = fn
        return fn

    def _import(self, reference: str, module_name: str) -> ModuleType:
        if module_name == MAIN:
            return self._import_main(reference)
        added = [p for p in self.paths if p not in sys.path]
        sys.path[:0] = added
        try:
            return importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            raise PythonRuleUnavailable(
                reference,
                f"module {module_name!r} cannot be imported ({exc}); install the package that defines it",
            ) from None
        except Exception as exc:  # the module ran and failed
            raise PythonRuleUnavailable(
                reference, f"importing {module_name!r} failed: {type(exc).__name__}: {exc}"
            ) from None
        finally:
            for p in added:
                if p in sys.path:
                    sys.path.remove(p)

    def _import_main(self, reference: str) -> ModuleType:
        if self._main_module is not None:
            return self._main_module
        if self.main is None:
            raise PythonRuleUnavailable(
                reference,
                "it points at __main__, the script that exported the curriculum; give that script "
                "(--python-main FILE.py or a module name) to run it",
            )
        main = str(self.main)
        try:
            if main.endswith(".py") or Path(main).is_file():
                path = Path(main)
                if not path.is_file():
                    raise PythonRuleUnavailable(reference, f"__main__ script {main!r} does not exist")
                spec = importlib.util.spec_from_file_location("curriculum_gui_user_main", path)
                if spec is None or spec.loader is None:
                    raise PythonRuleUnavailable(reference, f"cannot load {main!r} as a Python file")
                module = importlib.util.module_from_spec(spec)
                # Registered while it runs, so pydantic/dataclasses can resolve its own names.
                sys.modules[spec.name] = module
                try:
                    spec.loader.exec_module(module)
                except BaseException:
                    sys.modules.pop(spec.name, None)
                    raise
            else:
                module = importlib.import_module(main)
        except PythonRuleUnavailable:
            raise
        except Exception as exc:
            raise PythonRuleUnavailable(
                reference, f"loading {main!r} for __main__ failed: {type(exc).__name__}: {exc}"
            ) from None
        self._main_module = module
        return module

    # aind objects -------------------------------------------------------------------------------

    @staticmethod
    def _annotation(fn: Any, index: int) -> Any:
        from .aind_metrics import annotation_of

        return annotation_of(fn, index)

    def _metrics_for(self, fn: Any, metrics: Mapping[str, Any]) -> Any:
        """The function's own ``Metrics`` class validates the values as aind reads them from JSON (strict;
        a refusal is a :class:`~curriculum_gui.core.aind_metrics.MetricsRejected`, never a fallback);
        an unannotated function gets aind's plain ``Metrics``."""
        from aind_behavior_curriculum import Metrics

        from .aind_metrics import is_metrics_class, validate_metrics

        cls = self._annotation(fn, 0)
        if is_metrics_class(cls):
            return validate_metrics(cls, metrics)
        return Metrics.model_validate(dict(metrics))

    def _task_for(self, fn: Any, task_name: str, parameters: Mapping[str, Any]) -> Any:
        from aind_behavior_curriculum import Task
        from pydantic import ValidationError

        payload = json.dumps({"name": task_name, "task_parameters": dict(parameters)})
        cls = self._annotation(fn, 1)
        if isinstance(cls, type) and issubclass(cls, Task) and cls is not Task:
            try:
                return cls.model_validate_json(payload)
            except ValidationError:
                pass
        return Task.model_validate_json(payload)


def runner_for(
    trust_all: bool = False,
    modules: Iterable[str] = (),
    main: str | Path | None = None,
    paths: Iterable[str] = (),
) -> AindRuleRunner:
    """The runner for command-line options. Naming a ``__main__`` stand-in trusts it (the user chose it).

    With nothing trusted it still answers, saying which module is not trusted and how to trust it.
    """
    names = set(modules)
    if main is not None:
        names.add(MAIN)
    trust = Trust.everything() if trust_all else Trust.of(names)
    return AindRuleRunner(trust=trust, main=main, paths=tuple(str(p) for p in paths))
