"""Open a curriculum file whatever its format, detected from the content (never from the extension)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import native_format
from .errors import LoadError
from .model import Curriculum


@dataclass(frozen=True)
class Opened:
    curriculum: Curriculum
    format: str  # "native" or "aind"


def detect_format(data: Any) -> str | None:
    if native_format.is_native(data):
        return "native"
    if isinstance(data, dict) and isinstance(data.get("graph"), dict) and "nodes" in data["graph"]:
        return "aind"
    return None


def open_curriculum(path: str | Path) -> Opened:
    """Read and parse; raises :class:`LoadError` naming the file and the place."""
    name = str(path)
    data = native_format.read_curriculum_json(path)
    kind = detect_format(data)
    if kind == "native":
        return Opened(native_format.document_from_data(data, name), "native")
    if kind == "aind":
        from . import aind_format  # local: only needed for aind files

        return Opened(aind_format.curriculum_from_data(data, name), "aind")
    if isinstance(data, dict) and "format" in data:
        return Opened(native_format.document_from_data(data, name), "native")  # reports the bad format key
    raise LoadError(
        name,
        "not a curriculum file (neither the native format, with a 'format' key, "
        "nor aind-behavior-curriculum JSON, with a 'graph' of 'nodes')",
    )
