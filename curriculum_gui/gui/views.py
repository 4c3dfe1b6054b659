"""The views ``--screenshot --view NAME [--select ITEM]`` renders: the same window, set up to show one
thing (the inspector on a stage, the problems list with its first problem selected, a tab of the
subjects, a lifecycle dialog over the window), so that each picture shows what its name says."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from ..core.errors import CurriculumGuiError
from ..core.lookup import item_by_name
from ..core.problems import ItemRef
from .lifecycle import screens as lifecycle_screens

if TYPE_CHECKING:
    from .main_window import MainWindow

EDITOR_VIEWS = ("editor", "policies", "problems", "inspector", "history", "simulate")
SUBJECT_VIEWS = ("subjects", "review", "subject", "cohort", "progress", "compare")
VIEWS = (*EDITOR_VIEWS, *SUBJECT_VIEWS, "rig", *lifecycle_screens.VIEWS)


def show_view(window: MainWindow, name: str, select: str | None = None) -> QWidget | None:
    """Set ``window`` up to show view ``name``; a lifecycle view returns its dialog or window, to be drawn
    over the window."""
    if name not in VIEWS:
        raise CurriculumGuiError(f"unknown view {name!r} (choose from: {', '.join(VIEWS)})")
    if name == "rig":
        if select:
            raise CurriculumGuiError("--select applies to the editor's views, not to 'rig'")
        window.ensure_workspace(raise_errors=True)
        window.modes.setCurrentWidget(window.rig_tab.widget)
        return None
    if name in lifecycle_screens.VIEWS:
        if select:
            raise CurriculumGuiError(f"--select applies to the editor's views, not to {name!r}")
        return lifecycle_screens.show(window, name)
    if name in SUBJECT_VIEWS:
        if select:
            raise CurriculumGuiError(f"--select applies to the editor's views, not to {name!r}")
        window.ensure_workspace(raise_errors=True)
        window.modes.setCurrentWidget(window.subjects_view)
        window.subjects_view.show_part(name)
        return None
    window.modes.setCurrentWidget(window.tabs)
    window.tabs.setCurrentWidget(window.canvas)
    curriculum = window.document.curriculum
    ref = item_by_name(curriculum, select) if select else None
    if name == "policies" and ref is None:
        stages = sorted(curriculum.stages, key=lambda s: -len(s.policies))
        if not stages or not stages[0].policies:
            raise CurriculumGuiError("--view policies: this curriculum has no stage with policies")
        window.inspector.show_item(ItemRef("stage", stages[0].id))
        window.canvas.open_stage(stages[0].id)
        return None
    if name == "inspector" and ref is None and curriculum.stages:
        # the page people work in most: a stage's (the start stage, else the first)
        ref = ItemRef("stage", curriculum.start_stage or curriculum.stages[0].id)
    if name == "problems":
        # the list gets most of the left column; its first problem is selected everywhere
        window.problems_dock.show()
        window.resizeDocks([window.outline_dock, window.problems_dock], [160, 600], Qt.Orientation.Vertical)
        window.problems.setCurrentRow(0)
        window.problems.setFocus()
        problems = window.document.problems
        if ref is None and problems:
            ref = problems[0].ref
    if ref is not None:
        window.select_item(ref)
    dock = {
        "problems": window.problems_dock,
        "inspector": window.inspector_dock,
        "history": window.history_dock,
        "simulate": window.simulate_dock,
    }.get(name)
    if dock is not None:
        dock.show()
        dock.raise_()
    return None
