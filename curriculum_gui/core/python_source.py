"""A Python reference's source code, read as text from the installed package: nothing is imported.

``importlib.util.find_spec("a.b")`` imports ``a`` (running its ``__init__``), so it is not used: the module's
file is looked up by walking the import path's folders (``sys.path``) as the import system would for plain
source packages (``a/b.py`` or ``a/b/__init__.py``; namespace packages too). Modules that exist only as
compiled code, in a zip file or behind an import hook (some editable installs) are not found; the inspector
then says so. The file is read (at most 2 MB) and parsed with ``ast``; the function is found by name, also
through a simple ``from .module import name`` in that file.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import CurriculumGuiError
from .model import PythonRule, Rule

MAX_SOURCE_BYTES = 2 * 1024 * 1024
MAX_HOPS = 4  # ``from .x import fn`` followed at most this often


class SourceUnavailable(CurriculumGuiError):
    """The source cannot be shown (says why: not installed, compiled only, not a function...)."""


@dataclass(frozen=True)
class FunctionSource:
    reference: str
    module: str
    path: Path
    line: int  # 1-based, of the ``def`` (or its first decorator)
    text: str  # the function's source, dedented
    node: ast.FunctionDef | ast.AsyncFunctionDef
    tree: ast.Module  # the whole module, parsed (for its constants)


def function_name(reference: str) -> str:
    """``"pkg.mod.fn"`` -> ``"fn"``: what a person calls the rule."""
    return reference.strip().rpartition(".")[2] or reference


def rule_label(rule: Rule, *, one_line: bool = False) -> str:
    """A rule as the canvas shows it: a Python reference by its function name (every reference of an aind
    curriculum shares a long module prefix, the same on every edge), an expression as written; ``one_line``:
    its whitespace collapsed, for places with one line of room (edges, priority lists)."""
    text = function_name(rule.python) if isinstance(rule, PythonRule) else rule.text
    return " ".join(text.split()) if one_line else text


def _search_path(search_path: Sequence[str] | None) -> list[Path]:
    entries = sys.path if search_path is None else search_path
    return [Path(entry or ".") for entry in entries if isinstance(entry, str)]


def find_module_file(module: str, search_path: Sequence[str] | None = None) -> Path | None:
    """The ``.py`` file of ``module`` on the import path, found by looking at folders only."""
    parts = module.split(".")
    if not module or not all(p.isidentifier() for p in parts):
        return None
    for root in _search_path(search_path):
        folder = root.joinpath(*parts[:-1])
        try:
            if not folder.is_dir():
                continue
            for candidate in (folder / f"{parts[-1]}.py", folder / parts[-1] / "__init__.py"):
                if candidate.is_file():
                    return candidate
        except OSError:
            continue
    return None


def _read(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_SOURCE_BYTES + 1)
    except OSError as exc:
        raise SourceUnavailable(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_SOURCE_BYTES:
        raise SourceUnavailable(f"{path}: larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MB")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SourceUnavailable(f"{path}: not UTF-8 text") from None


def parse_module(module: str, search_path: Sequence[str] | None = None) -> tuple[Path, str, ast.Module]:
    """(file, text, parsed tree) of an installed module, without importing it."""
    path = find_module_file(module, search_path)
    if path is None:
        raise SourceUnavailable(
            f"module {module!r} is not installed as Python source on this computer's import path"
        )
    text = _read(path)
    try:
        tree = ast.parse(text, filename=str(path))
    except (SyntaxError, ValueError) as exc:
        raise SourceUnavailable(f"{path}: cannot be parsed ({exc})") from None
    return path, text, tree


def resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str:
    """``from ..x import y`` inside ``module`` -> the absolute module name."""
    if level == 0:
        return name or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def function_source(reference: str, search_path: Sequence[str] | None = None) -> FunctionSource:
    """The source of the function a reference names. Raises :class:`SourceUnavailable` saying why."""
    module, _, attr = reference.strip().rpartition(".")
    if not module or not attr.isidentifier():
        raise SourceUnavailable(f"{reference!r} is not a 'module.function' reference")
    if module == "__main__":
        raise SourceUnavailable("it points at __main__, the script that exported the curriculum")
    for _ in range(MAX_HOPS):
        path, text, tree = parse_module(module, search_path)
        found = _top_level_def(tree, attr)
        if found is not None:
            return FunctionSource(
                reference, module, path, _first_line(found), _segment(text, found), found, tree
            )
        imported = _imported_from(tree, attr, module, path.name == "__init__.py")
        if imported is None:
            raise SourceUnavailable(f"{path}: no function {attr!r} is defined there")
        module, attr = imported
    raise SourceUnavailable(f"{reference!r}: imported through too many modules to follow")


def _top_level_def(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    found = None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            found = node  # the last definition wins, as when the module runs
    return found


def _imported_from(tree: ast.Module, name: str, module: str, is_package: bool) -> tuple[str, str] | None:
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return resolve_relative(module, is_package, node.level, node.module), alias.name
    return None


def _first_line(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def _segment(text: str, node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    lines = text.splitlines()
    chunk = lines[_first_line(node) - 1 : node.end_lineno or node.lineno]
    indent = min((len(line) - len(line.lstrip()) for line in chunk if line.strip()), default=0)
    return "\n".join(line[indent:] for line in chunk)


def module_constant(tree: ast.Module, module: str, name: str, is_package: bool, search_path=None, hops=0):
    """A module-level constant (``NAME = 5`` / ``NAME: float = 8.0``, or imported so from another module)
    read from the source; raises :class:`SourceUnavailable` when it is not a plain number, text or
    boolean assigned once."""
    values = []
    for node in tree.body:
        targets: list[ast.expr] = []
        value = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            values.append(value)
    if len(values) == 1:
        try:
            constant = ast.literal_eval(values[0])
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            constant = None
        if isinstance(constant, bool | int | float | str):
            return constant
        raise SourceUnavailable(f"{name!r} in {module} is not a plain number, text or true/false")
    if len(values) > 1:
        raise SourceUnavailable(f"{name!r} is assigned more than once in {module}")
    imported = _imported_from(tree, name, module, is_package)
    if imported is None or hops >= MAX_HOPS:
        raise SourceUnavailable(f"{name!r} is not a constant defined in {module}")
    other, attr = imported
    path, _, other_tree = parse_module(other, search_path)
    return module_constant(other_tree, other, attr, path.name == "__init__.py", search_path, hops + 1)
