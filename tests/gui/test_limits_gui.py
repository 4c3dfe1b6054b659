"""The window with files and curricula past the limits: one clear message, nothing opened or saved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from curriculum_gui.core import limits
from curriculum_gui.core.model import Metric
from curriculum_gui.gui.main_window import MainWindow


def test_a_file_past_a_limit_does_not_open(
    window: MainWindow, example_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = json.loads(example_path.read_text(encoding="utf-8"))
    data["description"] = "d" * 25 * 1024 * 1024  # 49 MB took 120 s and 2.25 GB to open
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: warnings.append(text))
    before = window.document
    assert window.open_path(path) is False
    assert window.document is before and len(warnings) == 1 and "\n" not in warnings[0]
    assert (
        "description: 26,214,400 characters is more than curriculum-gui accepts (at most 20,000)"
        in warnings[0]
    )


def test_a_curriculum_past_a_limit_shows_a_problem_and_is_not_saved(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.document.curriculum.metrics += [Metric(name=f"m{i}") for i in range(limits.MAX_METRICS)]
    window.document.changed.emit()
    assert any("metrics is more than curriculum-gui accepts" in str(p) for p in window.document.problems)
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: warnings.append(text))
    target = tmp_path / "c.json"
    assert window._save_to(target) is False
    assert not target.exists() and len(warnings) == 1
    assert "metrics: 1,00" in warnings[0] and "nothing was written" in warnings[0]
