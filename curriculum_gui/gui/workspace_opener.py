"""Which subjects database the app opens, and the demo cohort a newcomer sees on first start."""

from __future__ import annotations

from ..store import Workspace


def open_workspace(db: str | None, create: bool = False) -> Workspace:
    """``db`` None: the default database (``$CURRICULUM_GUI_DB`` or the per-user SQLite file), made on first
    start. Only that one is created when missing and gets the demo cohort when empty: a database a person
    names must exist (unless ``create``: File → New Database…), and is never filled with invented mice."""
    workspace = Workspace.open(db, create=create or db is None)
    try:
        if db is None and workspace.is_empty():
            from ..store.demo import create_demo

            create_demo(workspace)
    except BaseException:
        workspace.close()
        raise
    return workspace
