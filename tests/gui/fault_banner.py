"""Run the app on a database with a fault and report (JSON on stdout) what the Subjects tab says.

    python -m tests.gui.fault_banner FAULT DB [PNG_PREFIX]

FAULT ``open``: the database cannot be opened at start (not SQLite, newer schema, unreachable server):
the Subjects tab shows why. ``write``: it opens, then ejecting two subjects fails (a read-only file or
folder, set up by the caller); ``apply``: evaluating and applying fails (a full disk: the caller sets a
file size limit). The window must stay usable: the editor tab and the Subjects actions still respond.
With PNG_PREFIX, screenshots at 1920x1080 and 1280x720 are written (``PREFIX-1920.png``...).
Run as a separate process because the faults are real (file permissions, ``RLIMIT_FSIZE``).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="xdg-"))

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QApplication


def main(fault: str, db: str, prefix: str | None = None) -> int:
    QStandardPaths.setTestModeEnabled(True)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp(prefix="s-"))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("curriculum-gui")
    from curriculum_gui.gui.app import build_window

    window = build_window(None, db)
    window.rig_tab.operators.add("ana")  # who signs the changes on this computer
    window.resize(1400, 860)
    window.show()
    window.modes.setCurrentIndex(1)
    app.processEvents()
    view = window.subjects_view
    report: dict[str, object] = {"opened": view is not None}
    if view is not None:
        deadline = time.monotonic() + 60
        while (view.busy or not view.loaded) and time.monotonic() < deadline:  # as a person waits for it
            app.processEvents()
        if fault == "write":
            view.select_subjects(["M05", "M06"])
            view.eject(view.selected_rows(), "rig maintenance")
        elif fault == "apply":
            view.evaluate(synchronous=True)
            view.apply(view.review.suggestions)
        while view.busy:
            app.processEvents()
        view.tabs.setCurrentWidget(view.table_page)
        report.update(
            banner=view.banner.text(),
            level=view.banner.level,
            rows=view.model.rowCount(),
            actions=view.register_action.isEnabled() and view.refresh_action.isEnabled(),
        )
    else:
        report.update(
            message=window.subjects_message.text(), database_button=window.database_button.isVisible()
        )
    window.modes.setCurrentIndex(0)  # the editor still works
    app.processEvents()
    report["editor"] = window.modes.currentWidget() is window.tabs and window.canvas.isVisible()
    window.modes.setCurrentIndex(1)
    app.processEvents()
    if prefix:
        for width, height in ((1920, 1080), (1280, 720)):
            window.resize(width, height)
            for _ in range(3):
                app.processEvents()
            window.grab().save(f"{prefix}-{width}.png")
    print(json.dumps(report))
    window.document.undo_stack.clear()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
