"""``--screenshot --view`` for the lifecycle dialogs, on a copy of the demo cohort with an edit published,
at a given ``--size``; and what is said when a view has nothing to show."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from curriculum_gui.cli import main
from curriculum_gui.core import native_format
from curriculum_gui.store import Workspace

from .test_lifecycle_dialogs import edit_of


@pytest.fixture
def lab(demo_v1_file: Path, tmp_path: Path, example_path: Path) -> tuple[Path, Path]:
    """A demo database where 2.0.0 (without 'Reward shaping') is published, and that edit as a file."""
    db = tmp_path / "lab.sqlite3"
    shutil.copy(demo_v1_file, db)
    edit = edit_of(native_format.load(example_path), "2.0.0", drop_shaping=True)
    path = tmp_path / "edit.json"
    native_format.save(edit, path)
    with Workspace.open(db) as ws:
        ws.publish(edit)
    return db, path


@pytest.mark.parametrize("view", ["publish", "versions", "diff", "migrate", "replay"])
def test_each_lifecycle_view_renders_at_the_size_asked(view: str, lab, tmp_path: Path, qapp, capsys) -> None:
    db, edit = lab
    out = tmp_path / f"{view}.png"
    # diff and replay: the edit against the published 1.0.0 (so that there is something to see)
    file = (
        edit
        if view in ("publish", "versions", "migrate")
        else Path(__file__).parents[2] / "resources" / "examples" / "two_choice_visual.json"
    )
    args = ["--screenshot", str(out), "--view", view, "--size", "1280x720", "--db", str(db), str(file)]
    assert main(args) == 0, capsys.readouterr().err
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 720)  # every tab fits a 1280-pixel screen
    colours = {image.pixel(x, y) for x in range(0, 1280, 23) for y in range(0, 720, 23)}
    assert len(colours) > 8  # a real picture, not a blank one
    with Workspace.open(db) as ws:  # a screenshot changes nothing
        assert [v.version for v in ws.versions()] == ["1.0.0", "2.0.0"]
        assert {r.curriculum_version for r in ws.subjects()} == {"1.0.0"}


def test_a_view_with_nothing_to_show_says_why(
    demo_v1_file: Path, tmp_path: Path, example_path: Path, qapp, capsys
) -> None:
    db = tmp_path / "lab.sqlite3"
    shutil.copy(demo_v1_file, db)
    for view, said in (("diff", "nothing to compare"), ("migrate", "latest version")):
        assert (
            main(
                ["--screenshot", str(tmp_path / "x.png"), "--view", view, "--db", str(db), str(example_path)]
            )
            == 2
        )
        err = capsys.readouterr().err
        assert said in err and len(err.strip().splitlines()) == 1
    assert main(["--screenshot", str(tmp_path / "x.png"), "--size", "12x"]) == 2
    assert "WIDTHxHEIGHT" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
