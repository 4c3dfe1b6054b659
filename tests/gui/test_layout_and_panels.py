"""Layout and panels as a newcomer meets them (issue 15, items 1-5 and 21): docks that keep their width
across restarts, inspector pages that fit, the stage page's order, the problems title, screenshots that do
not depend on the remembered layout, and no Qt noise on the console."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from curriculum_gui.cli import main
from curriculum_gui.core.lookup import item_by_name
from curriculum_gui.core.problems import Problem, Severity
from curriculum_gui.gui.main_window import MainWindow
from curriculum_gui.gui.problems_panel import problems_summary, problems_title
from curriculum_gui.gui.window_layout import DOCKS, STATE_KEY

# One window per run, three runs, each quitting on the Subjects tab; a 1920x1080 screen so that the
# window's saved size is never cut down to the offscreen platform's default 800x800 screen.
RESTARTS = r"""
import json, os, sys
from PySide6.QtWidgets import QApplication
from curriculum_gui.gui.app import _application, build_window
app = _application()
widths = []
for run in range(3):
    w = build_window(None)
    w.show()
    for _ in range(10): app.processEvents()
    widths.append([w.size().width(), w.size().height(), w.outline_dock.width(), w.inspector_dock.width()])
    w.modes.setCurrentIndex(1)
    for _ in range(10): app.processEvents()
    w.document.undo_stack.clear()
    w.close()
    w.deleteLater()
    app.processEvents()
print(json.dumps(widths))
"""


def _settle(qtbot, window: MainWindow) -> None:
    for _ in range(8):
        QApplication.processEvents()
    qtbot.wait(20)


def _big_screen_env(tmp_path: Path) -> dict[str, str]:
    screen = tmp_path / "screen.json"
    screen.write_text(
        json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": 1920, "height": 1080, "dpr": 1}]})
    )
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM=f"offscreen:configfile={screen}",
        XDG_CONFIG_HOME=str(tmp_path / "config"),  # a fresh settings folder
        XDG_DATA_HOME=str(tmp_path / "data"),
        CURRICULUM_GUI_DB=str(tmp_path / "subjects.sqlite3"),
    )
    return env


def test_quitting_on_the_subjects_tab_never_shrinks_the_docks_or_the_window(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", RESTARTS],
        env=_big_screen_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    runs = json.loads(done.stdout.strip().splitlines()[-1])
    assert runs[0] == [1400, 860, DOCKS["outline"].size, DOCKS["inspector"].size]
    assert runs[1] == runs[0] and runs[2] == runs[0], runs


def test_no_dock_is_ever_narrower_than_its_minimum_usable_width(qtbot, window: MainWindow) -> None:
    window.resizeDocks([window.inspector_dock, window.outline_dock], [40, 30], Qt.Orientation.Horizontal)
    _settle(qtbot, window)
    assert window.inspector_dock.width() >= DOCKS["inspector"].min_width
    assert window.outline_dock.width() >= DOCKS["outline"].min_width


def test_a_layout_saved_by_an_older_version_is_not_restored(qtbot, example_path: Path) -> None:
    """States saved before this fix may hold the shrunken docks: they are dropped for the defaults."""
    from curriculum_gui.gui.document import Document

    first = MainWindow(Document.open(example_path))
    first.inspector_dock.hide()
    first.history_dock.show()
    old_state = first.saveState()  # version 0, as the old code saved it
    first.close()
    QSettings().setValue(STATE_KEY, old_state)
    again = MainWindow(Document.open(example_path))
    qtbot.addWidget(again)
    again.show()
    _settle(qtbot, again)
    assert again.inspector_dock.isVisible() and not again.history_dock.isVisible()


def test_view_reset_layout_puts_every_panel_back(qtbot, window: MainWindow) -> None:
    window.inspector_dock.hide()
    window.outline_dock.setFloating(True)
    window.history_dock.show()
    _settle(qtbot, window)
    assert window.reset_layout_action in window.view_menu.actions()
    window.reset_layout_action.trigger()
    _settle(qtbot, window)
    assert window.inspector_dock.isVisible() and not window.outline_dock.isFloating()
    assert not window.history_dock.isVisible()
    assert window.dockWidgetArea(window.inspector_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert abs(window.inspector_dock.width() - DOCKS["inspector"].size) <= 4


PAGES = [
    "curriculum",
    "Warm-up: one side",
    "Warm-up: one side -> Mixed contrast",
    "Mixed contrast/Reward shaping",
    "Mixed contrast/Reward shaping -> Reward floor",
]


@pytest.mark.parametrize("size", [(1400, 860), (1280, 720)])
@pytest.mark.parametrize("select", PAGES)
def test_no_inspector_page_is_cut_off(qtbot, window: MainWindow, select: str, size: tuple[int, int]) -> None:
    window.resize(*size)
    window.select_item(item_by_name(window.document.curriculum, select))
    _settle(qtbot, window)
    page = window.inspector.stack.currentWidget()
    body = page.widget()
    assert body.minimumSizeHint().width() <= page.viewport().width(), select
    assert body.width() <= page.viewport().width()
    assert not page.horizontalScrollBar().isVisible()


def test_inspector_pages_fit_the_docks_narrowest_width(qtbot, window: MainWindow) -> None:
    window.resizeDocks([window.inspector_dock], [DOCKS["inspector"].min_width], Qt.Orientation.Horizontal)
    for select in PAGES:
        window.select_item(item_by_name(window.document.curriculum, select))
        _settle(qtbot, window)
        page = window.inspector.stack.currentWidget()
        assert page.widget().minimumSizeHint().width() <= page.viewport().width(), select


def test_the_stage_page_shows_name_task_and_priorities_without_scrolling(qtbot, window: MainWindow) -> None:
    window.resize(1280, 720)
    window.history_dock.show()  # a bottom panel open as well
    window.select_item(item_by_name(window.document.curriculum, "Warm-up: one side"))
    _settle(qtbot, window)
    page = window.inspector.pages["stage"]
    body, viewport = page.widget(), page.viewport().height()

    def bottom(widget) -> int:
        return widget.mapTo(body, widget.rect().bottomLeft()).y()

    for widget in (page.name, page.task, page.priorities):
        assert bottom(widget) <= viewport, widget
    assert bottom(page.priorities) < page.parameters.mapTo(body, page.parameters.rect().topLeft()).y()
    # every row of the two-row priority list is shown whole, not scrolled inside the list
    assert not page.priorities.list.verticalScrollBar().isVisible()
    # the task parameter table shows more than 2½ rows
    assert page.parameters.tree.height() >= 8 * page.fontMetrics().lineSpacing()


def test_priorities_can_be_reordered_from_the_transitions_own_page(qtbot, window: MainWindow) -> None:
    c = window.document.curriculum
    ref = item_by_name(c, "Warm-up: one side -> Mixed contrast")
    window.select_item(ref)
    page = window.inspector.pages["transition"]
    assert page.priorities.list.currentItem().data(Qt.ItemDataRole.UserRole + 1) == ref.id
    assert page.priority_box.title().startswith("Priority: 1 of 2")
    page.priorities.move_selected(1)
    assert [t.id for t in c.outgoing_stage_transitions("warmup")][1] == ref.id
    assert page.priority_box.title().startswith("Priority: 2 of 2")
    window.undo_action.trigger()
    assert c.outgoing_stage_transitions("warmup")[0].id == ref.id


def test_the_policy_page_keeps_its_buttons_and_heading_in_view(qtbot, window: MainWindow) -> None:
    window.select_item(item_by_name(window.document.curriculum, "Mixed contrast/Reward shaping"))
    _settle(qtbot, window)
    page = window.inspector.pages["policy"]
    right = page.viewport().width()
    for widget in (page.updates.apply_button, page.priorities.up, page.priorities.down, page.name):
        assert widget.mapTo(page.widget(), widget.rect().topRight()).x() <= right, widget


def test_problems_title_is_short_and_counts_right(qtbot, window: MainWindow) -> None:
    one = [Problem(Severity.ERROR, "x", "broken")]
    assert problems_title([]) == "Problems"
    assert problems_title(one) == "Problems (1)"
    assert problems_summary(one) == "1 error"
    assert problems_summary(one + [Problem(Severity.WARNING, "y", "odd")] * 2) == "1 error, 2 warnings"
    window.resizeDocks([window.outline_dock], [DOCKS["problems"].min_width], Qt.Orientation.Horizontal)
    _settle(qtbot, window)
    title = "Problems (888)"
    room = window.problems_dock.width() - 60  # the float and close buttons
    assert window.problems_dock.fontMetrics().horizontalAdvance(title) <= room
    assert "0 errors" not in window.summary.text() and "no problems" in window.summary.text()
    assert "1 errors" not in problems_summary(one)


def _grab(tmp_path: Path, name: str, *args: str) -> QImage:
    out = tmp_path / f"{name}.png"
    assert main(["--screenshot", str(out), *args]) == 0
    image = QImage(str(out))
    assert not image.isNull()
    return image


def test_a_screenshot_ignores_the_remembered_layout(tmp_path: Path, qapp, example_path: Path) -> None:
    from curriculum_gui.gui.app import _application
    from curriculum_gui.gui.document import Document

    _application()  # the application's settings file (its name), as in a real run
    used = MainWindow(Document.open(example_path))
    used.resize(900, 650)
    used.history_dock.show()
    used.inspector_dock.hide()
    used.layout_memory.save()
    used.close()
    image = _grab(tmp_path, "default")
    assert (image.width(), image.height()) == (1400, 860)
    sized = _grab(tmp_path, "sized", "--size", "1280x720")
    assert (sized.width(), sized.height()) == (1280, 720)
    # and the run left the remembered layout alone
    assert QSettings().value(STATE_KEY) is not None


def test_problems_and_inspector_views_show_what_they_name(tmp_path: Path, qapp, capsys) -> None:
    editor = _grab(tmp_path, "editor")
    problems = _grab(tmp_path, "problems", "--view", "problems")
    inspector = _grab(tmp_path, "inspector", "--view", "inspector")
    assert editor != problems and editor != inspector and problems != inspector


def test_the_inspector_view_shows_a_stage_and_select_picks_the_page(qtbot, window: MainWindow) -> None:
    window.show_view("inspector")
    assert window.inspector.ref.kind == "stage"
    window.show_view("inspector", select="Mixed contrast/Reward floor")
    assert window.inspector.ref.kind == "policy"
    window.show_view("problems")
    for _ in range(8):
        QApplication.processEvents()
    assert window.problems_dock.height() > window.outline_dock.height()


def test_size_and_select_are_checked(tmp_path: Path, qapp, capsys) -> None:
    assert main(["--screenshot", str(tmp_path / "x.png"), "--size", "big"]) == 2
    assert "WIDTHxHEIGHT" in capsys.readouterr().err
    assert main(["--screenshot", str(tmp_path / "x.png"), "--select", "Nowhere"]) == 2
    assert "no stage named 'Nowhere'" in capsys.readouterr().err
    assert main(["--size", "1280x720"]) == 2
    assert "only applies with --screenshot" in capsys.readouterr().err


def test_a_screenshot_run_prints_no_qt_noise(tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    done = subprocess.run(
        [sys.executable, "-m", "curriculum_gui", "--screenshot", str(out), "--view", "inspector"],
        env=_big_screen_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "propagateSizeHints" not in done.stderr + done.stdout
    assert done.stdout.strip() == f"wrote {out}"


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_every_subjects_action_is_in_view_on_its_toolbar(
    qtbot, demo_file: Path, tmp_path: Path, size
) -> None:
    """Icons beside their text where there is room, under it where not: never behind the » menu."""
    import shutil

    from curriculum_gui.gui.app import build_window, settle

    db = tmp_path / "lab.sqlite3"
    shutil.copy(demo_file, db)
    window = build_window(None, str(db), remember_layout=False)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show_view("subjects")
    window.show()
    settle()
    toolbar = window.subjects_view.toolbar
    assert window.width() == size[0]  # the window fits the screen
    actions = [a for a in toolbar.actions() if not a.isSeparator()]
    assert len(actions) >= 12
    for action in actions:
        button = toolbar.widgetForAction(action)
        assert button is not None and button.isVisible(), action.text()
        assert toolbar.rect().contains(button.geometry()), action.text()
    wide = size[0] >= 1920
    assert (toolbar.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextBesideIcon) == wide
    window.document.undo_stack.clear()
    window.close()


def test_a_python_references_page_keeps_its_priorities_above_the_source(qtbot) -> None:
    """The function's source can be long: the priority list comes before it, in view at 1280x720."""
    from curriculum_gui.gui.document import Document

    from .conftest import shown_window

    path = Path(__file__).parents[1] / "data" / "aind" / "example_project_curriculum.json"
    for window in shown_window(qtbot, Document.open(path)):
        window.reset_layout()  # the default layout, whatever an earlier test left in the settings
        window.resize(1280, 720)
        window.select_item(item_by_name(window.document.curriculum, "StageA -> StageB"))
        _settle(qtbot, window)
        page = window.inspector.pages["transition"]
        assert page.python.isVisible()
        body = page.widget()
        top = page.priorities.mapTo(body, page.priorities.rect().bottomLeft()).y()
        assert top <= page.viewport().height()
        assert top < page.python.mapTo(body, page.python.rect().topLeft()).y()
