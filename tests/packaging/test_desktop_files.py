"""What a desktop application ships (issue 15, item 19): an icon (the window's and the about box's), a
freedesktop .desktop file and AppStream metainfo that validate, and a metrics file for each example."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from curriculum_gui import resources


def _path(traversable) -> Path:
    path = Path(str(traversable))
    assert path.is_file(), path
    return path


def test_the_desktop_file_launches_the_command_with_the_bundled_icon() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(_path(resources.desktop_file()), encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Exec"].split()[0] == "curriculum-gui"
    assert desktop["Icon"] == Path(str(resources.app_icon())).stem
    assert desktop["StartupWMClass"] == "curriculum-gui"


def test_the_metainfo_names_the_desktop_file_and_the_licence() -> None:
    root = ET.parse(_path(resources.metainfo_file())).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == resources.APP_ID
    assert root.findtext("launchable") == Path(str(resources.desktop_file())).name
    assert root.findtext("project_license") == "MIT" and root.findtext("metadata_license") == "CC0-1.0"
    assert root.find("provides/binary").text == "curriculum-gui"


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_the_desktop_file_validates() -> None:
    done = subprocess.run(
        ["desktop-file-validate", str(_path(resources.desktop_file()))], capture_output=True, text=True
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstream not installed")
def test_the_metainfo_validates() -> None:
    done = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(_path(resources.metainfo_file()))],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_icon_is_the_windows_and_the_about_boxs(qapp) -> None:
    from PySide6.QtWidgets import QApplication

    from curriculum_gui.gui.app import _application
    from curriculum_gui.gui.icons import app_icon

    assert not app_icon().isNull() and not app_icon().pixmap(64, 64).isNull()
    _application()
    assert QApplication.windowIcon().cacheKey() == app_icon().cacheKey()
    assert QApplication.desktopFileName() == resources.APP_ID


def test_every_example_has_a_metrics_file_that_imports_cleanly(tmp_path: Path) -> None:
    from curriculum_gui.core import native_format
    from curriculum_gui.store import Workspace

    for example in resources.examples():
        curriculum = native_format.loads(example.read_text(encoding="utf-8"), example.name)
        metrics = _path(resources.example_metrics(example.name))
        with Workspace.open(tmp_path / f"{example.name}.sqlite3", create=True) as ws:
            version = ws.publish(curriculum)
            subjects = sorted({line.split(",")[0] for line in metrics.read_text().splitlines()[1:]})
            ws.register(subjects, version.id)
            report = ws.import_metrics(metrics)
            assert report.ok and report.imported > 0, report
            suggestions = ws.evaluate()
            assert suggestions and not any(s.error for s in suggestions)
            assert any(s.stage_changed for s in suggestions)  # the example shows the trainer at work
