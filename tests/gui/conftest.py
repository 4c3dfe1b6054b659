"""GUI fixtures: the main window on the bundled example (closed without the unsaved-changes question), and
the subjects view on a copy of the demo cohort."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from curriculum_gui.gui.document import Document
from curriculum_gui.gui.main_window import MainWindow


def shown_window(qtbot, document: Document, db: str | None = None) -> Iterator[MainWindow]:
    win = MainWindow(document, db=db)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.commit_pending()  # a field still being typed in commits now, not in close()
    win.document.undo_stack.clear()  # closing must not stop at the unsaved-changes question
    if win.subjects_view is not None:
        wait_idle(qtbot, win.subjects_view)
    win.close()
    win.deleteLater()


@pytest.fixture
def window(qtbot, example_path: Path) -> Iterator[MainWindow]:
    yield from shown_window(qtbot, Document.open(example_path))


@pytest.fixture
def empty_window(qtbot) -> Iterator[MainWindow]:
    """The main window on a new, empty curriculum."""
    from curriculum_gui.core.model import Curriculum

    yield from shown_window(qtbot, Document(Curriculum()))


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo cohort, created once; each test works on its own copy. Made as of a fixed day, so that the
    cohort (who is where) does not depend on the day the tests run."""
    from datetime import date

    from curriculum_gui.store import Workspace
    from curriculum_gui.store.demo import create_demo

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    with Workspace.open(path, create=True) as ws:
        create_demo(ws, today=date(2026, 11, 20))
    return path


@pytest.fixture(scope="session")
def demo_v1_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's first dozen only, all on 1.0.0 (a lab with one published version): for the lifecycle
    tests, which publish the next versions themselves."""
    from datetime import date

    from curriculum_gui.store import Workspace
    from curriculum_gui.store.demo import create_demo

    path = tmp_path_factory.mktemp("demo") / "demo_v1.sqlite3"
    with Workspace.open(path, create=True) as ws:
        create_demo(ws, today=date(2026, 11, 20), second_version=False)
    return path


@pytest.fixture
def ws(demo_file: Path, tmp_path: Path):
    from curriculum_gui.store import Workspace

    copy = tmp_path / "subjects.sqlite3"
    shutil.copy(demo_file, copy)
    with Workspace.open(copy) as workspace:
        yield workspace


@pytest.fixture
def view(qtbot, ws):
    from curriculum_gui.gui.subjects.view import SubjectsView

    widget = SubjectsView(ws)
    qtbot.addWidget(widget)
    widget.resize(1400, 860)
    widget.show()
    yield widget
    wait_idle(qtbot, widget)


def wait_idle(qtbot, view) -> None:
    """Background jobs (import, evaluate, apply; attention and figures) finish before a test looks or ends."""
    insight = getattr(view, "insight", None)  # (the subjects view's)
    qtbot.waitUntil(lambda: not view.busy and (insight is None or insight.idle), timeout=30_000)
