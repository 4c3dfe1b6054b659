"""The native curriculum file: versioned JSON, read strictly, written atomically.

Reading never imports or runs anything the file names. Every failure is a :class:`LoadError` that
names the file and, where known, the line/column or the path inside the document.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import tempfile
import time
from array import array
from collections.abc import Callable
from itertools import accumulate
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import limits
from .errors import LoadError, SaveError
from .model import FORMAT_NAME, FORMAT_VERSION, Curriculum, NativeDocument
from .text import find_surrogate

MAX_FILE_BYTES = limits.MAX_FILE_BYTES
MAX_DEPTH = limits.MAX_JSON_DEPTH
MAX_INT_DIGITS = limits.MAX_INT_DIGITS  # a longer whole number in a file is a mistake
SURROGATE_IN_FILE = (
    "text holds a lone UTF-16 surrogate (a \\udXXX escape that is half of a pair, not a character)"
)


def read_bytes(path: str | Path, what: str = "") -> bytes:
    """A file's bytes, at most MAX_FILE_BYTES, with one clear LoadError for every way reading can fail.

    Only a regular file is read: a FIFO, a device or a socket would block the program (or never end), so
    the file is opened without waiting and refused unless it is a plain file."""
    name = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise LoadError(name, "no such file") from None
    except IsADirectoryError:
        raise LoadError(name, "is a directory, not a file") from None
    except OSError as exc:
        raise LoadError(name, f"cannot be read ({exc.strerror or exc})") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise LoadError(name, "is a directory, not a file")
        if not stat.S_ISREG(mode):
            raise LoadError(name, f"is not a regular file (it is {_file_kind(mode)}); nothing was read")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise LoadError(name, f"cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_FILE_BYTES:
        raise LoadError(name, f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB{what}")
    return raw


def _file_kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "not a plain file"


def read_json_file(path: str | Path, max_containers: int = limits.MAX_JSON_CONTAINERS) -> Any:
    """Read any JSON file defensively: size, encoding, syntax, NaN/Infinity and nesting depth."""
    return parse_json_bytes(read_bytes(path, "; not a curriculum file"), str(path), max_containers)


def read_curriculum_json(path: str | Path) -> Any:
    """A curriculum file's JSON (native or aind), with the curriculum's tighter bound on lists and objects."""
    raw = read_bytes(path, "; not a curriculum file")
    return parse_json_bytes(raw, str(path), limits.MAX_CURRICULUM_CONTAINERS, check_depth=False)


def parse_json_bytes(
    raw: bytes, name: str, max_containers: int = limits.MAX_JSON_CONTAINERS, *, check_depth: bool = True
) -> Any:
    """Parse JSON defensively, in time and memory bounded by the size: NaN/Infinity, whole numbers of
    more than MAX_INT_DIGITS digits and infinite numbers are refused, and so are more than
    ``max_containers`` lists and objects (each costs memory: 50 MB of ``[]`` would take a gigabyte) and,
    with ``check_depth``, nesting deeper than MAX_DEPTH; all counted at C speed before anything is built.

    ``check_depth=False`` is for curriculum files: json's parser is itself safe from deep nesting (it
    stops at Python's recursion limit), and :func:`limits.check` bounds every nesting a curriculum can
    hold before anything else reads it, so the scan (a second or so on a 50 MB file of short strings)
    is not needed."""
    if not raw.strip():
        raise LoadError(name, "is empty")
    if b"\x00" in raw[:4096]:
        raise LoadError(name, "is a binary file, not JSON")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(name, f"is not UTF-8 text (bad byte at offset {exc.start})") from None
    brackets = raw.count(b"[") + raw.count(b"{")  # at least the lists and objects (strings hold some)
    outside_strings = b""
    if check_depth or brackets > max_containers:
        outside_strings = _JSON_STRING.sub(b"", raw)
        steps = outside_strings.translate(*_BRACKET_STEPS)
        containers = steps.count(1)
        if containers > max_containers:
            raise LoadError(
                name, f"holds {containers:,} lists and objects; at most {max_containers:,} are read"
            )
        if check_depth and len(steps) > 2 * MAX_DEPTH and max(accumulate(array("b", steps))) > MAX_DEPTH:
            _check_depth(text, name)  # says where (and is sure); if it finds nothing, the parser reports
    # Numbers are checked one by one only when one could be too large (a long run of digits or an
    # exponent of three digits outside strings): the checks would otherwise cost seconds on big files.
    hooks = (
        {"parse_float": _finite_float, "parse_int": _sized_int}
        if _may_be_huge(outside_strings or raw)
        else {}
    )
    try:
        data = json.loads(text, parse_constant=_reject_constant, **hooks)
        if _SURROGATE_ESCAPE.search(raw):
            _check_unicode(data, name)
        return data
    except json.JSONDecodeError as exc:
        raise LoadError(name, f"invalid JSON: {exc.msg}", f"line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:  # NaN / Infinity, from _reject_constant; a huge number, from _sized_int
        huge = re.search(rf"\d{{{MAX_INT_DIGITS + 1},}}", text)
        if huge is not None:
            line = text.count("\n", 0, huge.start()) + 1
            column = huge.start() - (text.rfind("\n", 0, huge.start()) + 1) + 1
            raise LoadError(name, str(exc), f"line {line} column {column}") from None
        raise LoadError(name, str(exc)) from None
    except RecursionError:  # json's own parser stops at Python's recursion limit
        _check_depth(text, name)
        raise LoadError(name, f"is nested more than {MAX_DEPTH} levels deep") from None


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _check_unicode(data: Any, name: str) -> None:
    """Refuse text that is not Unicode: a ``\\ud800`` escape alone (not half of a pair) gives a string
    that no file, database or terminal can take. Checked only when such an escape is in the file."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise LoadError(
            name,
            "holds text that is not valid Unicode (a lone surrogate escape such as \\ud800)",
            find_surrogate(data),
        ) from None


_DIGIT_SHAPES = bytes.maketrans(b"0123456789eE+-", b"0000000000ee++")
_LONGEST_FINITE = b"0" * 309  # 1 followed by 309 digits is past a float's range


def _may_be_huge(outside_strings: bytes) -> bool:
    shapes = outside_strings.translate(_DIGIT_SHAPES)
    return _LONGEST_FINITE in shapes or b"e000" in shapes or b"e+000" in shapes


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not allowed (JSON has no {token}; use a finite number or null)")


def _sized_int(token: str) -> int:
    if len(token.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(
            f"a whole number of {len(token.lstrip('-')):,} digits is too large (at most {MAX_INT_DIGITS:,})"
        )
    return int(token)


def _finite_float(token: str) -> float:
    value = float(token)
    if math.isinf(value):
        raise ValueError(f"{token} is too large for a number")
    return value


_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET_STEPS = (bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff"), bytes(set(range(256)) - set(b"[]{}")))


def _check_depth(text: str, name: str) -> None:
    """Raise at the line where nesting first passes MAX_DEPTH (strings are skipped). A walk of the text
    in Python: used only once the fast count has found the text too deep, to say where."""
    depth = 0
    in_string = False
    escaped = False
    line = 1
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise LoadError(name, f"is nested more than {MAX_DEPTH} levels deep", f"line {line}")
        elif char in "]}":
            depth -= 1
        elif char == "\n":
            line += 1


def describe_location(loc: tuple[int | str, ...], data: Any) -> str:
    """``("stages", 2, "name")`` -> ``stages[2] 'Warm-up'.name`` (the name helps a person find it)."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int):
            label = f"[{key}]"
            if isinstance(node, list) and 0 <= key < len(node):
                node = node[key]
                if isinstance(node, dict) and isinstance(node.get("name"), str):
                    label += f" {node['name']!r}"
            else:
                node = None
            parts.append(label)
        else:
            parts.append(f".{key}" if parts else str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts) or "document"


def _from_1(data: dict[str, Any]) -> dict[str, Any]:
    """Format 2 only adds optional fields (attention rules, stage session budgets): a format 1 document is a
    format 2 document as it is."""
    return data


# Each entry turns a document of that format_version into one of the next (applied in a chain).
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _from_1}


def upgrade(data: dict[str, Any], name: str) -> dict[str, Any]:
    """A native document of any supported ``format_version``, as a document of the current one (a new
    dict; ``data`` is not changed). A version from a newer curriculum-gui is refused, naming both."""
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < min(UPGRADES, default=1):
        raise LoadError(
            name,
            f"format_version {version!r} is not supported by this version (expected 1 to {FORMAT_VERSION})",
            "format_version",
        )
    if version > FORMAT_VERSION:
        raise LoadError(
            name,
            f"format_version {version} is not supported by this version (it reads 1 to {FORMAT_VERSION}): "
            "the file was written by a newer curriculum-gui",
            "format_version",
        )
    while version < FORMAT_VERSION:
        data = UPGRADES[version](dict(data))
        version += 1
    return {**data, "format_version": FORMAT_VERSION}


def document_from_data(data: Any, name: str) -> Curriculum:
    """Validate parsed JSON as a native document (upgraded from an older format_version first); the first
    problem is reported with its location."""
    if not isinstance(data, dict):
        raise LoadError(name, f"expected a JSON object at the top level, found {type(data).__name__}")
    fmt = data.get("format")
    if fmt != FORMAT_NAME:
        raise LoadError(name, f"not a {FORMAT_NAME} file (format key is {fmt!r})", "format")
    data = upgrade(data, name)
    try:
        limits.check(data)  # counted before anything is built: a million stages costs nothing
    except limits.LimitError as exc:
        raise LoadError(name, exc.reason, exc.location) from None
    try:
        return Curriculum.model_validate({k: v for k, v in data.items() if k not in _MARKERS})
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = describe_location(tuple(first["loc"]), data)
        more = exc.error_count() - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise LoadError(name, f"{first['msg']}{suffix}", where) from None


_MARKERS = ("format", "format_version")


def is_native(data: Any) -> bool:
    return isinstance(data, dict) and data.get("format") == FORMAT_NAME


def load(path: str | Path) -> Curriculum:
    return document_from_data(read_curriculum_json(path), str(path))


def loads(text: str, name: str = "<string>") -> Curriculum:
    return document_from_data(
        parse_json_bytes(text.encode("utf-8"), name, limits.MAX_CURRICULUM_CONTAINERS, check_depth=False),
        name,
    )


def to_data(curriculum: Curriculum) -> dict[str, Any]:
    """Plain JSON data, format marker first so a person opening the file sees what it is."""
    body = curriculum.model_dump(mode="json", exclude_none=False)
    return {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **body}


def dumps(curriculum: Curriculum) -> str:
    return json.dumps(to_data(curriculum), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def atomic_write_text(path: str | Path, text: str, what: str = "; not a curriculum file") -> None:
    """Write beside the target, fsync, then rename over it: a crash leaves the old file or the new one.

    A text the readers would refuse for its size is refused before anything is written, with their
    words (``what`` as the reader says it). A symbolic link stays a link (its target is replaced, as an
    editor does); a read-only file is not replaced. Temporary files left by a save that was killed (its
    process gone) are removed first."""
    target = Path(path)
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    directory = target.parent if str(target.parent) else Path(".")
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SaveError(f"{target}: {SURROGATE_IN_FILE} at character {exc.start}: not saved") from None
    if len(raw) > MAX_FILE_BYTES:
        raise SaveError(
            f"{target}: is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB{what}: not saved, it could not "
            "be opened again (the previous file is untouched)"
        )
    if target.exists() and _read_only(target):
        raise SaveError(f"{target}: the file is read-only: not saved (the previous file is untouched)")
    remove_stale_temporaries(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise SaveError(f"{target}: cannot write in {directory} ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise SaveError(
            f"{target}: could not be saved ({exc.strerror or exc}); the previous file is untouched"
        ) from None


def _read_only(path: Path) -> bool:
    """No write permission for this user, or none for anybody (root may write anyway: we do not)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not os.access(path, os.W_OK) or not mode & 0o222


STALE_AFTER_S = 3600  # a temporary file of an older version (no process id in its name) this old is left over


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove ``.NAME.PID-XXXX.tmp`` files beside ``target`` whose process is gone (a save that was
    killed); those without a process id (older versions) once they are an hour old."""
    removed: list[Path] = []
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(?:(\d+)-)?[^/]*\.tmp$")
    try:
        entries = list(os.scandir(target.parent if str(target.parent) else "."))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        match = pattern.match(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        pid = int(match.group(1)) if match.group(1) else None
        try:
            stale = not _running(pid) if pid is not None else now - entry.stat().st_mtime > STALE_AFTER_S
            if stale:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue  # another process's file, or gone meanwhile
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process (no permission to signal it): alive
    return True


def check_writable(curriculum: Curriculum, path: str | Path) -> None:
    """The writers refuse what the readers would refuse (see :mod:`.limits`), before writing anything."""
    try:
        limits.check_curriculum(curriculum)
    except limits.LimitError as exc:
        raise SaveError(f"{path}: {exc}; nothing was written") from None


def save(curriculum: Curriculum, path: str | Path) -> None:
    check_writable(curriculum, path)
    atomic_write_text(path, dumps(curriculum))


def json_schema() -> dict[str, Any]:
    schema = NativeDocument.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "curriculum-gui native curriculum file"
    return schema
