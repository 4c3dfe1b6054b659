"""Persistence: subjects, published curricula, the event log and metrics (SQLAlchemy Core). No Qt.

Start here::

    from curriculum_gui.store import Workspace
    with Workspace.open(None) as ws:          # the user's SQLite file; or a path, or postgresql://...
        version = ws.publish(curriculum)
        ws.register(["M1", "M2"], version.id)
        report = ws.import_metrics("sessions.csv")
        ws.apply(ws.evaluate())

See :class:`~curriculum_gui.store.workspace.Workspace` for every operation.
"""

from .errors import (
    ConflictError,
    DatabaseDamaged,
    DatabaseMissing,
    DatabaseUnavailable,
    NotFound,
    StoreError,
)
from .records import (
    ApplyResult,
    ChangeResult,
    CurriculumVersion,
    Event,
    ImportReport,
    MetricsSession,
    PositionEvent,
    RevertResult,
    SubjectInfo,
    SubjectRow,
    Suggestion,
)
from .workspace import Workspace, default_operator

__all__ = [
    "ApplyResult",
    "ChangeResult",
    "ConflictError",
    "CurriculumVersion",
    "DatabaseDamaged",
    "DatabaseMissing",
    "DatabaseUnavailable",
    "Event",
    "ImportReport",
    "MetricsSession",
    "NotFound",
    "PositionEvent",
    "RevertResult",
    "StoreError",
    "SubjectInfo",
    "SubjectRow",
    "Suggestion",
    "Workspace",
    "default_operator",
]
