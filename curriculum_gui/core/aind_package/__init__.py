"""Export a curriculum written with expressions as a ready aind-behavior-curriculum Python package.

``write_package(curriculum, OUT)`` writes ``OUT/pyproject.toml``, ``OUT/README.md`` and ``OUT/<package>/``:

- ``curriculum.py``: a ``Metrics`` class from the declared metrics, one ``TaskParameters``/``Task`` pair per
  task name, one function per rule and per policy, ``Curriculum = create_curriculum(...)``,
  ``construct_curriculum()``, ``trainer()`` and ``evaluate(trainer, state, metrics)``;
- ``cli.py`` / ``__main__.py``: ``curriculum run --data-directory DIR --input-trainer-state FILE`` (also
  ``python -m <package> run ...``), the command AIND's experiment launcher calls, printing a
  CurriculumSuggestion JSON;
- ``_cg/``: this project's rule compiler (``parser.py``, ``operations.py``, ``compiler.py``,
  ``functions.py``, ``errors.py``) and :mod:`.runtime`, copied as they are.

Why the rule functions run the copied compiler rather than Python generated from each rule: the package
then evaluates every rule *exactly* as curriculum-gui's trainer does (same code: the same type checks,
guards and errors), it needs neither curriculum-gui nor Qt on a rig, and no user text ever becomes code —
rule text, names and task values enter the generated source only as ``repr()`` string literals (or JSON
inside one), and identifiers are derived from them by keeping ``[a-z0-9_]``. The compiler parses each rule
with ``ast`` and its whitelist when the package is imported; nothing is given to ``eval``/``exec``.

Counters (``sessions_in_stage``, ``sessions_total``, ``sessions_in_policy``, ``ramp``): aind has none, so
when rules use them the package carries them as metrics fields and keeps them between sessions in the
task parameters (see :mod:`.runtime`); the package's ``evaluate`` is its metrics provider.

Refused, with a message naming the place: Python references (export those as aind JSON), rules that do not
compile, validation errors (e.g. two stages with one name), a version that is not semantic.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import keyword
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..aind_format import SEMVER, expression_rules
from ..errors import CurriculumGuiError
from ..model import Curriculum, ExpressionRule, MetricType, Stage
from ..problems import Severity
from ..python_rules import iter_references
from ..rules.check import BOOLEAN, GROUP, LIST, NUMBER, STRING, type_of_value
from ..rules.errors import RuleError
from ..rules.functions import COUNTERS, FUNCTIONS
from ..rules.parser import Parsed, parse_condition, parse_update
from .runtime import COUNTER_FIELDS, STATE_KEY

AIND_REQUIREMENT = "aind-behavior-curriculum==0.0.42"
PACKAGE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# What the package runs beside on a rig (aind and what it needs) and what it is itself: a package of one
# of these names would replace that module, or be hidden by it, and the rig's `curriculum run` would fail.
RESERVED_PACKAGES = {
    "aind_behavior_curriculum",
    "curriculum_gui",
    "example_project",
    "example_project_2",
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "typing_extensions",
    "typing_inspection",
    "semver",
    "jinja2",
    "markupsafe",
    "curriculum",  # the console script every generated package installs
    "setuptools",
    "pip",
    "pkg_resources",
}
_HERE = Path(__file__).resolve().parent
_RULES = _HERE.parent / "rules"


class AindPackageError(CurriculumGuiError):
    """The curriculum cannot be written as an aind Python package (says what to change)."""


# --- checks -------------------------------------------------------------------------------------


def _rules(curriculum: Curriculum) -> Iterable[tuple[str, str, str]]:
    """Every expression rule as ``(text, mode, place)``, in document order."""
    names = {s.id: s.name for s in curriculum.stages}
    for t in curriculum.stage_transitions:
        if isinstance(t.rule, ExpressionRule):
            place = f"stage transition {names.get(t.source, t.source)!r} -> {names.get(t.destination, '?')!r}"
            yield t.rule.expression, "condition", place
    for stage in curriculum.stages:
        pnames = {p.id: p.name for p in stage.policies}
        for p in stage.policies:
            if isinstance(p.updates, ExpressionRule):
                yield p.updates.expression, "update", f"policy {p.name!r} of stage {stage.name!r}"
        for t in stage.policy_transitions:
            if isinstance(t.rule, ExpressionRule):
                place = (
                    f"policy transition {pnames.get(t.source, t.source)!r} -> "
                    f"{pnames.get(t.destination, '?')!r} of stage {stage.name!r}"
                )
                yield t.rule.expression, "condition", place


def _parse(text: str, mode: str) -> Parsed | None:
    if mode == "update" and not text.strip():
        return None
    return parse_condition(text) if mode == "condition" else parse_update(text)


def uses_counters(curriculum: Curriculum) -> bool:
    """True when a rule reads a counter or calls a function that does (``ramp``)."""
    for text, mode, _ in _rules(curriculum):
        parsed = _parse(text, mode)
        if parsed is None:
            continue
        for node in ast.walk(parsed.tree):
            if isinstance(node, ast.Name) and node.id in COUNTERS:
                return True
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and FUNCTIONS.get(node.func.id) is not None
                and FUNCTIONS[node.func.id].needs_sessions_in_policy
            ):
                return True
    return False


def check_exportable(curriculum: Curriculum) -> None:
    """Raise :class:`AindPackageError` naming the first thing that keeps this curriculum from a package."""
    from ..validation import validate

    prefix = "cannot export as an aind package"
    refs = list(iter_references(curriculum))
    if refs:
        ref, place = refs[0]
        more = f" (and {len(refs) - 1} more)" if len(refs) > 1 else ""
        raise AindPackageError(
            f"{prefix}: {place} is the Python reference {ref!r}{more}; a package is generated from "
            "expressions only (export a curriculum of Python references as aind JSON: --to aind)"
        )
    if not expression_rules(curriculum) and not curriculum.stages:
        raise AindPackageError(f"{prefix}: the curriculum has no stages")
    for text, mode, place in _rules(curriculum):
        try:
            _parse(text, mode)
        except RuleError as exc:
            raise AindPackageError(f"{prefix}: {place}: the rule does not compile: {exc}") from None
    errors = [p for p in validate(curriculum) if p.severity is Severity.ERROR]
    if errors:
        more = f" (and {len(errors) - 1} more; see curriculum-gui validate)" if len(errors) > 1 else ""
        raise AindPackageError(f"{prefix}: {errors[0]}{more}")
    if not SEMVER.match(curriculum.version):
        raise AindPackageError(f"{prefix}: version {curriculum.version!r} is not a semantic version (1.2.3)")
    if curriculum.start_stage is None or curriculum.stage(curriculum.start_stage) is None:
        raise AindPackageError(f"{prefix}: the curriculum has no start stage")
    clash = [m.name for m in curriculum.metrics if m.name in COUNTER_FIELDS or m.name == STATE_KEY]
    if clash:
        raise AindPackageError(f"{prefix}: metric {clash[0]!r} has a name the package keeps for its counters")
    if "\x00" in curriculum.name or _unencodable(curriculum.name):
        raise AindPackageError(
            f"{prefix}: the curriculum name {curriculum.name!r} holds a NUL character or text that is not "
            "Unicode, which aind cannot take (it makes a Python class of that name): rename the curriculum"
        )


def _unencodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# --- names --------------------------------------------------------------------------------------

_TAKEN_IN_MODULE = {
    "json",
    "Annotated",
    "StringConstraints",
    "Text",
    "Any",
    "Literal",
    "Metrics",
    "Policy",
    "PolicyTransition",
    "Stage",
    "StageTransition",
    "Task",
    "TaskParameters",
    "Trainer",
    "create_curriculum",
    "CURRICULUM_NAME",
    "CURRICULUM_VERSION",
    "USES_COUNTERS",
    "CurriculumMetrics",
    "RULE_IDS",
    "Curriculum",
    "construct_curriculum",
    "trainer",
    "evaluate",
    "main",
}


class _Names:
    """Python identifiers made from people's names: only ``[A-Za-z0-9_]`` survives, and each is unique."""

    def __init__(self) -> None:
        self.used = set(_TAKEN_IN_MODULE)

    def make(self, text: str, prefix: str, *, pascal: bool = False, suffix: str = "") -> str:
        words = re.findall(r"[A-Za-z0-9]+", text)
        if pascal:
            base = "".join(w[:1].upper() + w[1:] for w in words)[:40]
        else:
            base = "_".join(w.lower() for w in words)[:40]
        base = f"{prefix}{base}{suffix}" if base else f"{prefix.rstrip('_') or 'x'}{suffix}"
        if base[0].isdigit() or keyword.iskeyword(base):
            base = f"x_{base}"
        name, n = base, 2
        while name in self.used:
            name, n = f"{base}_{n}", n + 1
        self.used.add(name)
        return name


_BASEMODEL_NAMES = set(dir(BaseModel))


def _field_name_ok(name: str) -> bool:
    """A key that can be a declared pydantic field (others stay extras, which aind's bases allow)."""
    return (
        name.isidentifier()
        and name.isascii()
        and not keyword.iskeyword(name)
        and not name.startswith(("_", "model_"))
        and name not in _BASEMODEL_NAMES
        and name not in COUNTER_FIELDS
        and name != STATE_KEY
    )


# Field annotations name only these module-level aliases: their leading "_" keeps any field (a metric
# named ``bool``, ``int``, ``Text`` or ``Any``, which becomes a class attribute) from hiding the type that
# a later field's annotation needs (``bool: bool | None = None`` sets bool to None, then reads it).
_TYPE_ALIASES = (
    "# Field types under names no field can take (a field is never named with a leading '_').",
    "_Number = int | float",
    "_Bool = bool",
    "_Text = Text",
    "_List = list[Any]",
    "_Numbers = list[int | float]",
    "_Group = dict[str, Any]",
    "_Any = Any",
    "_Int = int",
    "_Counts = dict[str, int]",
)

_ANNOTATIONS = {  # the rule checker's value types -> field annotations (numbers stay as given: 5 or 5.0)
    NUMBER: "_Number",
    BOOLEAN: "_Bool",
    STRING: "_Text",
    LIST: "_List",
    GROUP: "_Group",
}


def _kind(value: Any) -> str:
    return _ANNOTATIONS.get(type_of_value(value), "_Any")


_METRIC_TYPES = {
    MetricType.NUMBER: "_Number",
    MetricType.INTEGER: "_Number",  # the trainer reads 5.0 as readily as 5
    MetricType.BOOLEAN: "_Bool",
    MetricType.STRING: "_Text",
    MetricType.NUMBER_LIST: "_Numbers",
    MetricType.JSON: "_Any",
}


# --- generation ---------------------------------------------------------------------------------


def _literal(value: Any) -> str:
    """A JSON value as Python source: a repr'd JSON string, read back by json.loads (no code in it)."""
    return f"json.loads({json.dumps(value, ensure_ascii=False, allow_nan=False)!r})"


class _Generator:
    def __init__(self, curriculum: Curriculum) -> None:
        self.c = curriculum
        self.names = _Names()
        self.counters = uses_counters(curriculum)
        self.lines: list[str] = []
        self.rule_number = 0
        self.stage_fns: dict[str, str] = {}
        self.ids: dict[str, str] = {}  # function name -> the id of its transition or policy

    def emit(self, *lines: str) -> None:
        self.lines.extend(lines)

    def rule_constant(self, text: str, mode: str) -> str:
        self.rule_number += 1
        name = f"_{'C' if mode == 'condition' else 'U'}{self.rule_number}"
        self.emit(f"{name} = _rt.{mode}({text!r})")
        return name

    def module(self) -> str:
        c = self.c
        self.emit(
            '"""The curriculum, generated by curriculum-gui (edit the curriculum there and export again).',
            "",
            "Each rule and policy is a function running the rule text through curriculum-gui's whitelist",
            "compiler (in ``_cg``), so this package evaluates exactly as curriculum-gui's trainer does.",
            '"""',
            "",
            "import json",
            "from typing import Annotated, Any, Literal",
            "",
            "from aind_behavior_curriculum import (",
            "    Metrics,",
            "    Policy,",
            "    PolicyTransition,",
            "    Stage,",
            "    StageTransition,",
            "    Task,",
            "    TaskParameters,",
            "    Trainer,",
            "    create_curriculum,",
            ")",
            "from pydantic import StringConstraints",
            "",
            "from ._cg import runtime as _rt",
            "",
            "# Text kept as given (aind's models strip whitespace; curriculum-gui's trainer does not).",
            "Text = Annotated[str, StringConstraints(strip_whitespace=False)]",
            *_TYPE_ALIASES,
            f"CURRICULUM_NAME = {c.name!r}",
            f"CURRICULUM_VERSION = {c.version!r}",
            f"USES_COUNTERS = {self.counters!r}",
            "",
        )
        self.metrics_class()
        tasks = self.task_classes()
        self.stage_fns = self.stage_functions()
        builders = [self.stage_builder(stage, tasks[stage.task.name]) for stage in self.stages()]
        self.curriculum_builder(tasks, builders)
        return "\n".join(self.lines) + "\n"

    def stages(self) -> list[Stage]:
        """The start stage first: aind enrolls into the lowest node id."""
        start = self.c.stage(self.c.start_stage or "")
        return [start] + [s for s in self.c.stages if s is not start] if start else list(self.c.stages)

    def metrics_class(self) -> None:
        self.emit(
            "",
            "class CurriculumMetrics(Metrics):",
            '    """The metrics the rules read (others may be given too)."""',
            "",
        )
        for metric in self.c.metrics:
            if _field_name_ok(metric.name):
                self.emit(f"    {metric.name}: {_METRIC_TYPES[metric.type]} | None = None")
                if metric.description:
                    self.emit(f"    {metric.description!r}")
        if self.counters:
            self.emit(
                "    # Counters, filled in by evaluate(), counting this session: see _cg/runtime.py.",
                "    sessions_total: _Int | None = None",
                "    sessions_in_stage: _Int | None = None",
                "    sessions_in_policy: _Counts | None = None",
                "    sessions_in_policy_applied: _Counts | None = None",
            )
        self.emit("")

    def task_classes(self) -> dict[str, str]:
        """One TaskParameters/Task pair per task name: fields are the parameters every such stage has."""
        by_task: dict[str, list[Stage]] = {}
        for stage in self.c.stages:
            by_task.setdefault(stage.task.name, []).append(stage)
        classes: dict[str, str] = {}
        for task_name, stages in by_task.items():
            pascal = self.names.make(task_name, "", pascal=True, suffix="Parameters")
            params_cls = pascal
            task_cls = self.names.make(
                pascal.removesuffix("Parameters") or "Task", "", pascal=True, suffix="Task"
            )
            common = [k for k in stages[0].task.parameters if all(k in s.task.parameters for s in stages)]
            self.emit(
                "",
                f"class {params_cls}(TaskParameters):",
                f"    {f'Parameters of task {task_name!r}.'!r}",
                "",
            )
            for key in common:
                kinds = {_kind(s.task.parameters[key]) for s in stages}
                if _field_name_ok(key):
                    self.emit(f"    {key}: {kinds.pop() if len(kinds) == 1 else '_Any'}")
            self.emit(
                "",
                "",
                f"class {task_cls}(Task):",
                f"    name: Literal[{task_name!r}] = {task_name!r}",
                f"    task_parameters: {params_cls}",
                "",
            )
            classes[task_name] = f"{task_cls}:{params_cls}"
        return classes

    def rule_function(
        self,
        item_id: str,
        rule: ExpressionRule,
        mode: str,
        label: str,
        prefix: str,
        doc: str,
        signature: str,
        call: str,
    ) -> str:
        """Emit the rule's compiled constant and its function; ``call`` is formatted with const and fn."""
        const = self.rule_constant(rule.expression, mode)
        fn = self.names.make(label, prefix)
        body = call.format(const=const, fn=fn)
        self.emit(
            "",
            "",
            f"def {fn}{signature}:",
            f"    {doc + ': ' + rule.expression!r}",
            f"    return _rt.{body}",
            "",
        )
        self.ids[fn] = item_id
        return fn

    def stage_functions(self) -> dict[str, str]:
        """A function per stage transition, in priority order: ``{transition id: function name}``."""
        names = {s.id: s.name for s in self.c.stages}
        out: dict[str, str] = {}
        for t in self.c.stage_transitions:
            assert isinstance(t.rule, ExpressionRule)
            src, dst = names[t.source], names[t.destination]
            out[t.id] = self.rule_function(
                t.id,
                t.rule,
                "condition",
                f"{src} to {dst}",
                "stage_",
                f"Stage transition {src!r} -> {dst!r}",
                "(metrics: CurriculumMetrics) -> bool",
                "check({const}, metrics)",
            )
        return out

    def stage_builder(self, stage: Stage, task: str) -> str:
        task_cls, params_cls = task.split(":")
        policies: dict[str, str] = {}
        for p in stage.policies:
            assert isinstance(p.updates, ExpressionRule)
            policies[p.id] = self.rule_function(
                p.id,
                p.updates,
                "update",
                f"{stage.name} {p.name}",
                "policy_",
                f"Policy {p.name!r} of stage {stage.name!r}",
                f"(metrics: CurriculumMetrics, task: {task_cls}) -> {task_cls}",
                "apply({const}, metrics, task, {fn!r})",
            )
        transitions = []
        for t in stage.policy_transitions:
            assert isinstance(t.rule, ExpressionRule)
            src, dst = stage.policy(t.source), stage.policy(t.destination)
            assert src is not None and dst is not None
            fn = self.rule_function(
                t.id,
                t.rule,
                "condition",
                f"{stage.name} {src.name} to {dst.name}",
                "when_",
                f"Policy transition {src.name!r} -> {dst.name!r} of stage {stage.name!r}",
                "(metrics: CurriculumMetrics) -> bool",
                f"check({{const}}, metrics, {policies[t.source]!r})",
            )
            transitions.append(
                f"    stage.add_policy_transition(Policy({policies[t.source]}), "
                f"Policy({policies[t.destination]}), PolicyTransition({fn}))"
            )
        builder = self.names.make(stage.name, "_stage_")
        start = ", ".join(f"Policy({policies[p]})" for p in stage.start_policies)
        task_expr = (
            f"{task_cls}(description={stage.task.description!r}, "
            f"task_parameters={params_cls}.model_validate({_literal(stage.task.parameters)}))"
        )
        self.emit(
            "",
            "",
            f"def {builder}() -> Stage:",
            f"    stage = Stage(name={stage.name!r}, task={task_expr})",
            *[f"    stage.add_policy(Policy({fn}))" for fn in policies.values()],
            *transitions,
            f"    stage.set_start_policies([{start}])",
            "    return stage",
            "",
        )
        return builder

    def curriculum_builder(self, tasks: dict[str, str], builders: list[str]) -> None:
        index = {s.id: i for i, s in enumerate(self.stages())}
        task_classes = ", ".join(dict.fromkeys(v.split(":")[0] for v in tasks.values()))
        self.emit(
            "",
            "",
            "Curriculum = create_curriculum(",
            f"    name=CURRICULUM_NAME, version=CURRICULUM_VERSION, tasks=({task_classes},)",
            ")",
            "",
            "",
            "def construct_curriculum() -> Curriculum:",
            '    """A fresh curriculum (aind\'s Trainer changes stages in place: build one per trainer)."""',
            f"    stages = [{', '.join(f'{b}()' for b in builders)}]",
            "    curriculum = Curriculum(name=CURRICULUM_NAME)",
            "    for stage in stages:",
            "        curriculum.add_stage(stage)",
        )
        for t in self.c.stage_transitions:
            fn = self.stage_fns[t.id]
            self.emit(
                f"    curriculum.add_stage_transition(stages[{index[t.source]}], "
                f"stages[{index[t.destination]}], StageTransition({fn}))"
            )
        self.emit(
            "    return curriculum",
            "",
            "",
            "# Each function's transition or policy id in the curriculum-gui file (to trace a rule back).",
            f"RULE_IDS = {self.ids!r}",
            "",
            "",
            "def trainer() -> Trainer:",
            '    """aind\'s own Trainer on a fresh curriculum."""',
            "    return Trainer(construct_curriculum())",
            "",
            "",
            "def evaluate(trainer: Trainer, state: Any, metrics: dict[str, Any]) -> Any:",
            '    """One session as `curriculum run` evaluates it (metrics and counters, aind\'s Trainer)."""',
            "    return _rt.evaluate(trainer, state, metrics, CurriculumMetrics, USES_COUNTERS)",
        )


# --- the package files --------------------------------------------------------------------------

_INIT = '''"""An aind-behavior-curriculum curriculum generated by curriculum-gui."""

from .curriculum import *  # noqa: F403
from .curriculum import CURRICULUM_VERSION as __version__  # noqa: F401
'''

_CLI = '''"""`curriculum run --data-directory DIR --input-trainer-state FILE`: what AIND's launcher calls."""

import sys

from . import curriculum as _c
from ._cg import runtime as _rt


def main(argv=None) -> int:
    return _rt.run_command(
        sys.argv[1:] if argv is None else argv,
        trainer=_c.trainer,
        metrics_class=_c.CurriculumMetrics,
        counters=_c.USES_COUNTERS,
        curriculum_name=_c.CURRICULUM_NAME,
        version=_c.CURRICULUM_VERSION,
    )


if __name__ == "__main__":
    raise SystemExit(main())
'''

_MAIN = """from .cli import main

raise SystemExit(main())
"""

_ERRORS_IMPORT = "from ..errors import CurriculumGuiError\n"
_ERRORS_STANDIN = (
    "\n\nclass CurriculumGuiError(Exception):\n"
    '    """Base of the errors the rule compiler raises (curriculum-gui\'s own, outside curriculum-gui)."""\n'
)
_RUNTIME_IMPORT = "from ..rules."


def _vendored() -> dict[str, str]:
    """The compiler and the runtime, as files of ``<package>/_cg/``; imports rewritten to stay inside it."""
    files = {
        "__init__.py": '"""The rule compiler of curriculum-gui and the package runtime (copied)."""\n',
        "compiler.py": (_RULES / "compiler.py").read_text(encoding="utf-8"),
        "parser.py": (_RULES / "parser.py").read_text(encoding="utf-8"),
        "operations.py": (_RULES / "operations.py").read_text(encoding="utf-8"),
        "functions.py": (_RULES / "functions.py").read_text(encoding="utf-8"),
        "errors.py": (_RULES / "errors.py").read_text(encoding="utf-8"),
        "runtime.py": (_HERE / "runtime.py").read_text(encoding="utf-8"),
    }
    if _ERRORS_IMPORT not in files["errors.py"] or _RUNTIME_IMPORT not in files["runtime.py"]:
        raise AindPackageError("internal: the rule compiler's imports changed; update aind_package")
    files["errors.py"] = files["errors.py"].replace(_ERRORS_IMPORT, _ERRORS_STANDIN)
    files["runtime.py"] = files["runtime.py"].replace(_RUNTIME_IMPORT, "from .")
    return files


def _pyproject(package: str, version: str) -> str:
    core = re.match(r"\d+\.\d+\.\d+", version)
    assert core is not None  # checked: a semantic version
    return (
        "[build-system]\n"
        'requires = ["setuptools>=68"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        "[project]\n"
        f'name = "{package.replace("_", "-")}"\n'
        f'version = "{core.group(0)}"\n'
        'description = "An aind-behavior-curriculum curriculum generated by curriculum-gui"\n'
        'requires-python = ">=3.11"\n'
        f'dependencies = ["{AIND_REQUIREMENT}", "pydantic>=2.7,<3"]\n\n'
        "[project.scripts]\n"
        f'curriculum = "{package}.cli:main"\n'
        f'{package} = "{package}.cli:main"\n\n'
        "[tool.setuptools]\n"
        f'packages = ["{package}", "{package}._cg"]\n'
    )


def _readme(curriculum: Curriculum, package: str, counters: bool) -> str:
    text = (
        f"# {package}\n\n"
        f"The curriculum {curriculum.name!r} (version {curriculum.version}) as an aind-behavior-curriculum "
        "package, generated by curriculum-gui. Edit the curriculum in curriculum-gui and export it again.\n\n"
        "    pip install .\n"
        "    curriculum run --data-directory SESSION_DIR --input-trainer-state TRAINER_STATE.json\n\n"
        f"`python -m {package} run ...` does the same. It reads `SESSION_DIR/metrics.json` and prints a "
        "CurriculumSuggestion JSON (trainer_state, metrics, version, dsl_version), as AIND's experiment "
        "launcher expects. A TrainerState without a stage and curriculum enrolls the subject.\n\n"
        f"In Python: `{package}.trainer()` is aind's `Trainer` on `{package}.construct_curriculum()`; "
        f"`{package}.evaluate(trainer, state, metrics_dict)` evaluates one session.\n"
    )
    if counters:
        text += (
            "\nThe rules read session counters, which aind does not keep: `evaluate` (and `curriculum run`) "
            "compute them and keep them between sessions in the task parameters under "
            f"`{STATE_KEY}`. Evaluate with `evaluate`, not `Trainer.evaluate` alone, so they stay right.\n"
        )
    return text


def package_files(curriculum: Curriculum, package: str) -> dict[str, str]:
    """Every file of the package, by relative path (checks the curriculum first)."""
    check_exportable(curriculum)
    generator = _Generator(curriculum)
    files = {
        "pyproject.toml": _pyproject(package, curriculum.version),
        "README.md": _readme(curriculum, package, generator.counters),
        f"{package}/__init__.py": _INIT,
        f"{package}/__main__.py": _MAIN,
        f"{package}/cli.py": _CLI,
        f"{package}/curriculum.py": generator.module(),
    }
    files.update({f"{package}/_cg/{name}": text for name, text in _vendored().items()})
    return files


def _package_name(output: Path, package_name: str | None) -> str:
    name = package_name if package_name is not None else re.sub(r"[^a-z0-9_]", "_", output.name.lower())
    hint = "choose another with --package-name NAME"
    if not PACKAGE_NAME.match(name) or keyword.iskeyword(name):
        raise AindPackageError(
            f"cannot use {name!r} as the package name: use lower-case letters, digits and '_', starting "
            f"with a letter ({hint})"
        )
    if name in sys.stdlib_module_names or name == "test":  # CPython's own tests are not in that list
        raise AindPackageError(
            f"cannot use {name!r} as the package name: Python has a standard module of that name, which "
            f"the package would replace or be hidden by ({hint})"
        )
    if name in RESERVED_PACKAGES:
        raise AindPackageError(
            f"cannot use {name!r} as the package name: aind-behavior-curriculum or the package itself needs "
            f"a module of that name on the rig ({hint})"
        )
    spec = importlib.util.find_spec(name)  # looks the name up; imports nothing
    if spec is not None and spec.origin is not None:  # a real module (a bare folder is no conflict)
        raise AindPackageError(
            f"cannot use {name!r} as the package name: a module of that name is installed here, and "
            f"installing the package would replace it or be hidden by it ({hint})"
        )
    return name


def write_package(
    curriculum: Curriculum, output: str | Path, package_name: str | None = None, force: bool = False
) -> Path:
    """Write the package into the folder ``output`` (created; replaced only with ``force``); returns it.

    Written beside ``output`` first and then renamed into place, so a failure leaves nothing half-written.
    """
    out = Path(output)
    package = _package_name(out.resolve(), package_name)
    if out.exists() and not out.is_dir():
        raise AindPackageError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise AindPackageError(f"{out}: the folder is not empty (use --force to replace it)")
    files = package_files(curriculum, package)
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=parent))
            out.rename(old / "previous")
            staging.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(out)
    except OSError as exc:
        raise AindPackageError(f"{out}: cannot write the package ({exc.strerror or exc})") from None
    return out
