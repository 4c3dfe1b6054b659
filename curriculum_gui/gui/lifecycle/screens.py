"""``--screenshot PATH --view NAME`` for the lifecycle dialogs: each opened on the open document and the
subjects database as a person would open it, with its work done on this thread (no event loop runs).

- ``publish``: the publish dialog for the open document;
- ``versions``: the published versions, the open document's latest one selected;
- ``diff``: the latest published version of the open document's name against the document (or, when they
  are the same, the two latest published versions), its first change on the graph selected;
- ``migrate``: everyone on an older version of that name, moved to the latest one (the dry run);
- ``replay``: the open document replayed on the subjects of its name, the first that differs selected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QWidget

from ...core.diff import content_key
from ...core.errors import CurriculumGuiError

if TYPE_CHECKING:
    from ..main_window import MainWindow

VIEWS = ("publish", "versions", "diff", "migrate", "replay")


def fit_inside(window: QWidget, widget: QWidget, margin: int = 40) -> None:
    """Make ``widget`` no larger than ``window`` (less a margin), and lay it out at that size."""
    widget.resize(
        min(widget.width(), window.width() - 2 * margin), min(widget.height(), window.height() - 2 * margin)
    )
    QApplication.processEvents()


def show(window: MainWindow, name: str) -> QWidget:
    """Open view ``name``; returns the dialog or window to draw over the main window."""
    life = window.lifecycle
    window.ensure_workspace(raise_errors=True)
    ws = window.workspace
    curriculum = window.document.curriculum
    ours = [v for v in ws.versions() if v.name == curriculum.name]
    if name == "publish":
        dialog = life.publish_dialog()
        assert dialog is not None
        return dialog
    if name == "versions":
        versions = life.show_versions()
        assert versions is not None
        if ours:
            versions.select_ids([ours[-1].id])
        return versions
    if name == "diff":
        if ours and content_key(ws.curriculum(ours[-1].id)) != content_key(curriculum):
            diff = life.compare_with_latest()
        elif len(ours) >= 2:
            diff = life.compare(ours[-2].id, ours[-1].id)
        else:
            raise CurriculumGuiError(
                f"--view diff: nothing to compare: {curriculum.name!r} has one published version, the same "
                "as the open document (open an edited file, or publish another version)"
            )
        assert diff is not None
        fit_inside(window, diff)
        diff.canvas.view.fit()
        on_canvas = [i for i, c in enumerate(diff.diff.changes) if c.ref.kind not in ("curriculum", "metric")]
        if on_canvas:
            diff.select_change(on_canvas[0])
        return diff
    if name == "migrate":
        if not ours:
            raise CurriculumGuiError(f"--view migrate: {curriculum.name!r} is not published in {ws.where}")
        latest = ours[-1].id
        subjects = [r.subject for r in ws.subjects() if r.curriculum_version_id in {v.id for v in ours[:-1]}]
        if not subjects:
            raise CurriculumGuiError(
                f"--view migrate: every subject of {curriculum.name!r} is on its latest version: publish "
                "another version first"
            )
        dialog = life.move_subjects(subjects, target=latest)
        assert dialog is not None
        dialog.plan_now()  # type: ignore[attr-defined]
        dialog.reason.setText(f"{curriculum.name} {ours[-1].version} is out")  # type: ignore[attr-defined]
        return dialog
    if name == "replay":
        replay = life.replay(synchronous=True)
        assert replay is not None
        fit_inside(window, replay)
        return replay
    raise CurriculumGuiError(f"unknown view {name!r}")
