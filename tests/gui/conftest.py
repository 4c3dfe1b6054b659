"""GUI fixtures: the main window on the bundled example, closed without the unsaved-changes question."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from curriculum_gui.gui.document import Document
from curriculum_gui.gui.main_window import MainWindow


@pytest.fixture
def window(qtbot, example_path: Path) -> Iterator[MainWindow]:
    win = MainWindow(Document.open(example_path))
    win.show()
    yield win
    win.commit_pending()  # a field still being typed in commits now, not in close()
    win.document.undo_stack.clear()  # closing must not stop at the unsaved-changes question
    win.close()
    win.deleteLater()
