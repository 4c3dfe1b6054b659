"""Errors a user can cause. Each says what went wrong and where; none should reach a user as a traceback."""

from __future__ import annotations


class CurriculumGuiError(Exception):
    """Base of every error the project raises on purpose (bad input, refused edits, ...)."""


class LoadError(CurriculumGuiError):
    """A file that cannot be read or understood at all."""

    def __init__(self, path: str, message: str, location: str | None = None) -> None:
        self.path = path
        self.location = location
        self.reason = message
        where = f"{path}: {location}" if location else path
        super().__init__(f"{where}: {message}")


class SaveError(CurriculumGuiError):
    """Writing failed; the previous file on disk is untouched."""


class EditError(CurriculumGuiError):
    """An edit that would break the curriculum (unknown id, a non-permutation, a duplicate name...)."""
