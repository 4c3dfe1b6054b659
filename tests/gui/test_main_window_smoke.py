"""The application starts: menus, the editor area, the status bar, undo, and the --screenshot mode."""

from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from curriculum_gui.cli import main
from curriculum_gui.core import edits
from curriculum_gui.core.errors import CurriculumGuiError
from curriculum_gui.gui.main_window import MainWindow


def test_menus_and_status_bar(window: MainWindow) -> None:
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles[:3] == ["File", "Edit", "View"]
    assert titles[-1] == "Help"
    assert "6 stages" in window.summary.text()
    assert window.windowTitle().startswith("two_choice_visual.json")


def test_an_edit_marks_the_document_modified_and_undo_reverts_it(window: MainWindow) -> None:
    before = window.document.curriculum.model_copy(deep=True)
    window.document.apply(edits.rename(window.document.curriculum, "stage", "habituation", "Day one"))
    assert window.document.curriculum.stage("habituation").name == "Day one"
    assert "*" in window.windowTitle()
    window.undo_action.trigger()
    assert window.document.curriculum == before
    assert "*" not in window.windowTitle()


def test_unknown_view_is_an_error(window: MainWindow) -> None:
    with pytest.raises(CurriculumGuiError, match="unknown view"):
        window.show_view("nope")


def test_screenshot_writes_a_png_of_the_window(tmp_path: Path, example_path: Path, capsys, qapp) -> None:
    out = tmp_path / "main.png"
    assert main(["--screenshot", str(out), str(example_path)]) == 0
    image = QImage(str(out))
    assert not image.isNull() and image.width() >= 800 and image.height() >= 500
    # Not a blank image: a real window has many distinct colours.
    colours = {image.pixel(x, y) for x in range(0, image.width(), 17) for y in range(0, image.height(), 17)}
    assert len(colours) > 5


def test_screenshot_with_unknown_view_exits_2(tmp_path: Path, capsys, qapp) -> None:
    assert main(["--screenshot", str(tmp_path / "x.png"), "--view", "nope"]) == 2
    assert "unknown view" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_opening_a_malformed_file_for_a_screenshot_exits_2(tmp_path: Path, capsys, qapp) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    assert main(["--screenshot", str(tmp_path / "x.png"), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.json" in err and len(err.strip().splitlines()) == 1


def test_a_database_chosen_in_the_app_is_remembered_without_its_password(window, tmp_path: Path) -> None:
    from sqlalchemy.engine import make_url

    from curriculum_gui.store import Workspace
    from curriculum_gui.store.engine import without_password

    assert without_password(make_url("postgresql://rig:s3cret@db.lab.org/mice")) == (
        "postgresql://rig@db.lab.org/mice"
    )
    workspace = Workspace.open(str(tmp_path / "chosen.sqlite3"), create=True)
    window._workspace_changed(workspace)  # what the Subjects view's Database dialog reports
    assert window.remembered_db() == f"sqlite+pysqlite:///{tmp_path / 'chosen.sqlite3'}"
    window.workspace = None
    workspace.close()
