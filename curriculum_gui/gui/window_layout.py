"""The main window's layout: the editor's docks where a newcomer expects them, remembered between runs.

The docks belong to the editor and are hidden on the Subjects tab. Their layout is therefore captured when
the editor is left, and that capture (not the hidden state, nor one taken the instant they are shown
again, before Qt has laid them out) is what is saved at quit. Every dock also has a minimum usable width,
so no remembered or dragged layout can squeeze the inspector to a sliver.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow

GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
LAYOUT_VERSION = 2  # saveState's version: a state saved by an older layout is not restored

DEFAULT_SIZE = QSize(1400, 860)
MIN_SIZE = QSize(960, 600)

LEFT = Qt.DockWidgetArea.LeftDockWidgetArea
RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea


@dataclass(frozen=True)
class DockDefault:
    area: Qt.DockWidgetArea
    size: int  # width for a side dock, height for a bottom one
    min_width: int  # the narrowest that is still usable
    visible: bool


DOCKS: dict[str, DockDefault] = {
    "outline": DockDefault(LEFT, 230, 170, True),
    "problems": DockDefault(LEFT, 230, 170, True),
    "inspector": DockDefault(RIGHT, 420, 360, True),
    "history": DockDefault(BOTTOM, 240, 0, False),
    "simulate": DockDefault(BOTTOM, 260, 0, False),
}
LEFT_SPLIT = (440, 260)  # outline above problems


class WindowLayout:
    """Default placement, minimum widths, save and restore of a main window's docks (by object name)."""

    def __init__(self, window: QMainWindow, docks: dict[str, QDockWidget]) -> None:
        self.window = window
        self.docks = docks
        self.editor_state: QByteArray | None = None  # captured when the editor was left
        for name, dock in docks.items():
            if DOCKS[name].min_width:
                dock.setMinimumWidth(DOCKS[name].min_width)

    def dock_defaults(self) -> None:
        """Every dock docked in its own place, at its default size; the bottom ones tabbed and hidden."""
        window, docks = self.window, self.docks
        for name, dock in docks.items():
            dock.setFloating(False)
            window.addDockWidget(DOCKS[name].area, dock)
        window.splitDockWidget(docks["outline"], docks["problems"], Qt.Orientation.Vertical)
        window.tabifyDockWidget(docks["history"], docks["simulate"])
        for name, dock in docks.items():
            dock.setVisible(DOCKS[name].visible)
        sides = [docks[n] for n in ("outline", "inspector")]
        window.resizeDocks(
            sides, [DOCKS[n].size for n in ("outline", "inspector")], Qt.Orientation.Horizontal
        )
        window.resizeDocks([docks["outline"], docks["problems"]], list(LEFT_SPLIT), Qt.Orientation.Vertical)
        window.resizeDocks([docks["simulate"]], [DOCKS["simulate"].size], Qt.Orientation.Vertical)
        self.editor_state = None

    def reset(self) -> None:
        """View → Reset Layout: the default docks and, where the screen has room, the default size."""
        self.dock_defaults()
        if self.window.isMaximized() or self.window.isFullScreen():
            self.window.showNormal()
        self.window.resize(fitting_size(self.window, DEFAULT_SIZE))

    def restore(self) -> None:
        """The layout of the last run, if there is one and it is usable; the defaults otherwise."""
        settings = QSettings()
        geometry, state = settings.value(GEOMETRY_KEY), settings.value(STATE_KEY)
        if isinstance(geometry, QByteArray) and self.window.restoreGeometry(geometry):
            size = self.window.size()
            if size.width() < MIN_SIZE.width() or size.height() < MIN_SIZE.height():
                self.window.resize(fitting_size(self.window, DEFAULT_SIZE))
        if isinstance(state, QByteArray) and not self.window.restoreState(state, LAYOUT_VERSION):
            self.dock_defaults()

    def editor_left(self) -> None:
        """The editor is about to hide its docks (the Subjects tab): remember how they are laid out now."""
        self.editor_state = self.window.saveState(LAYOUT_VERSION)

    def editor_shown(self) -> None:
        self.editor_state = None

    def save(self) -> None:
        settings = QSettings()
        settings.setValue(GEOMETRY_KEY, self.window.saveGeometry())
        state = self.editor_state if self.editor_state is not None else self.window.saveState(LAYOUT_VERSION)
        settings.setValue(STATE_KEY, state)


def fitting_size(window: QMainWindow, wanted: QSize) -> QSize:
    """``wanted``, or less where the screen is smaller."""
    screen = window.screen() or QApplication.primaryScreen()
    if screen is None:
        return wanted
    room = screen.availableGeometry().size()
    return QSize(min(wanted.width(), room.width()), min(wanted.height(), room.height()))
