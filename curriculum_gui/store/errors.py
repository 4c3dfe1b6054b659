"""Errors the store raises on purpose. Each says what and where; none carries a password."""

from __future__ import annotations

from ..core.errors import CurriculumGuiError


class StoreError(CurriculumGuiError):
    """A refused or impossible store operation (unknown subject, empty reason, bad URL, ...)."""


class NotFound(StoreError):
    """A subject, curriculum version or event that is not in the database."""


class ConflictError(StoreError):
    """Someone else changed the subject since it was read: nothing was written, read it again and retry."""

    def __init__(self, message: str, subjects: tuple[str, ...] = ()) -> None:
        self.subjects = subjects
        super().__init__(message)


class DatabaseUnavailable(StoreError):
    """The database cannot be reached, opened or written (missing, locked, refused, not a database).
    ``written``: False (nothing was changed) but for :class:`DatabaseMoved`."""

    written = False


class DatabaseMissing(DatabaseUnavailable):
    """No database at the path given: nothing is created unless the caller asks for it explicitly."""


class DatabaseMoved(DatabaseUnavailable):
    """A change was committed, but the SQLite file it went into was moved, deleted or replaced meanwhile:
    the change is in that file, no longer at the path."""

    written = True


class DatabaseDamaged(DatabaseUnavailable):
    """The database holds data that cannot be read (a damaged file, or one changed by hand)."""
