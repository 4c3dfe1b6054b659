"""Open an aind curriculum from the Python package that defines it (``open --aind-module MODULE``).

The module is imported, which runs its code: only a module the person names (and so trusts) is opened.
Its ``CURRICULUM`` (an aind ``Curriculum``), or else what its ``construct_curriculum()`` returns, is
written with aind's own ``model_dump_json`` and read here like an aind JSON file, so what opens is exactly
what the package would export; its ``Metrics`` class then fills the declared metrics.

Which modules of a package hold a curriculum is found without importing anything (their source is read):
a package such as ``aind_behavior_vr_foraging_curricula`` holds several, one per subpackage.
"""

from __future__ import annotations

import ast
import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import CurriculumGuiError
from .model import Curriculum
from .python_source import SourceUnavailable, find_module_file, parse_module

ENTRY_POINTS = ("CURRICULUM", "construct_curriculum")


class AindModuleError(CurriculumGuiError):
    """The module cannot be opened as a curriculum (one line saying why and what to do)."""


@dataclass(frozen=True)
class OpenedModule:
    curriculum: Curriculum
    module: str
    trusted: tuple[str, ...]  # the top-level packages now trusted (named by the person)
    metrics_note: str = ""  # why the declared metrics could not be read from the package, if so


def _defines_curriculum(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "construct_curriculum":
            return True
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "CURRICULUM" for t in targets):
                return True
        if isinstance(node, ast.ImportFrom) and any((a.asname or a.name) in ENTRY_POINTS for a in node.names):
            return True
    return False


def find_curricula(package: str, search_path: Any = None) -> list[str]:
    """The modules of ``package`` (itself and its direct submodules) that define ``CURRICULUM`` or
    ``construct_curriculum``, read from their source: nothing is imported."""
    _check_name(package)
    path = find_module_file(package, search_path)
    if path is None:
        raise AindModuleError(f"module {package!r} is not installed (not found on the import path)")
    found = []
    candidates = [(package, path)]
    if path.name == "__init__.py":
        for child in sorted(path.parent.iterdir()):
            name = child.stem if child.suffix == ".py" else child.name
            if name.startswith("_") or not name.isidentifier():
                continue
            if child.is_dir() and (child / "__init__.py").is_file():
                candidates.append((f"{package}.{name}", child / "__init__.py"))
            elif child.suffix == ".py":
                candidates.append((f"{package}.{name}", child))
    for module, _ in candidates:
        try:
            _, _, tree = parse_module(module, search_path)
        except SourceUnavailable:
            continue
        if _defines_curriculum(tree):
            found.append(module)
    return found


def _check_name(module: str) -> None:
    if not module or not all(part.isidentifier() for part in module.split(".")):
        raise AindModuleError(f"{module!r} is not a Python module name (e.g. my_lab_curricula.shaping)")


def open_module(module: str, python_path: tuple[str, ...] = ()) -> OpenedModule:
    """Import ``module`` (the caller has chosen to trust it) and read its curriculum. Raises
    :class:`AindModuleError` in one line."""
    import sys

    from .aind_format import curriculum_from_data
    from .errors import LoadError
    from .python_rules import aind_available

    _check_name(module)
    if not aind_available():
        raise AindModuleError(
            "opening an aind package needs aind-behavior-curriculum: pip install 'curriculum-gui[aind]'"
        )
    search = [*python_path, *sys.path]
    if find_module_file(module, search) is None:
        raise AindModuleError(f"module {module!r} is not installed (not found on the import path)")
    added = [p for p in python_path if p not in sys.path]
    sys.path[:0] = added
    try:
        imported = importlib.import_module(module)
        value = getattr(imported, "CURRICULUM", None)
        if value is None and callable(getattr(imported, "construct_curriculum", None)):
            value = imported.construct_curriculum()
    except Exception as exc:  # the package's own code failed
        raise AindModuleError(f"importing {module!r} failed: {type(exc).__name__}: {exc}") from None
    finally:
        for p in added:
            if p in sys.path:
                sys.path.remove(p)
    if value is None:
        inside = [m for m in find_curricula(module, search) if m != module] if _is_package(imported) else []
        short = ", ".join(m.rpartition(".")[2] for m in inside)
        hint = f"; its curricula: {short} (open one, e.g. {inside[0]})" if inside else ""
        raise AindModuleError(f"module {module!r} has no CURRICULUM and no construct_curriculum(){hint}")
    dump = getattr(value, "model_dump_json", None)
    if dump is None:
        raise AindModuleError(f"{module}.CURRICULUM is a {type(value).__name__}, not an aind Curriculum")
    try:
        data = json.loads(dump())
        curriculum = curriculum_from_data(data, f"module {module}")
    except LoadError as exc:
        raise AindModuleError(str(exc)) from None
    except Exception as exc:
        raise AindModuleError(
            f"{module}: its curriculum cannot be written ({type(exc).__name__}: {exc})"
        ) from None
    top = module.split(".")[0]
    curriculum, note = with_package_metrics(curriculum, (top,), python_path)
    return OpenedModule(curriculum, module, (top,), note)


def _is_package(module: Any) -> bool:
    return hasattr(module, "__path__") and Path(getattr(module, "__file__", "") or "").name == "__init__.py"


def with_package_metrics(
    curriculum: Curriculum, trusted: tuple[str, ...], python_path: tuple[str, ...] = ()
) -> tuple[Curriculum, str]:
    """The curriculum with its declared metrics read from the package's ``Metrics`` class (marked as
    coming from the package), and a note when that is not possible (nothing changes then)."""
    from .aind_metrics import declared_metrics, merge_declared, metrics_class
    from .python_rules import PythonRuleUnavailable, runner_for

    runner = runner_for(modules=trusted, paths=python_path)
    try:
        cls = metrics_class(curriculum, runner)
    except PythonRuleUnavailable as exc:
        return curriculum, exc.reason
    if cls is None:
        return curriculum, "its rule functions do not name a Metrics class"
    metrics = merge_declared(list(curriculum.metrics), declared_metrics(cls))
    return curriculum.model_copy(update={"metrics": metrics}), ""
