"""Export a curriculum written with expressions as a ready aind-behavior-curriculum Python package."""

from __future__ import annotations

from pathlib import Path

from .errors import CurriculumGuiError
from .model import Curriculum


class AindPackageError(CurriculumGuiError):
    """The curriculum cannot be written as an aind Python package."""


def write_package(
    curriculum: Curriculum, output: str | Path, package_name: str | None = None, force: bool = False
) -> Path:
    raise AindPackageError("export as an aind Python package is not available yet in this version")
