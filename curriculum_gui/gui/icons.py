"""Icons. The application's own is an SVG in ``resources/icons`` (window, about box, desktop file); the
toolbars use one consistent set, Material Design Icons through qtawesome, drawn in the text's colour."""

from __future__ import annotations

import os
from functools import cache

os.environ.setdefault("QT_API", "pyside6")  # qtawesome (through QtPy) uses the Qt binding we use

from PySide6.QtCore import QObject, QSize, Qt
from PySide6.QtGui import QAction, QGuiApplication, QIcon
from PySide6.QtWidgets import QToolBar

from .. import resources

# action -> Material Design Icons 6 name (https://pictogrammers.com/library/mdi/)
ACTION_ICONS = {
    "new": "file-outline",
    "open": "folder-open-outline",
    "save": "content-save-outline",
    "undo": "undo",
    "redo": "redo",
    "add": "plus-box-outline",
    "delete": "delete-outline",
    "layout": "graph-outline",
    "snap": "grid",
    "fit": "fit-to-screen-outline",
    "try": "play-circle-outline",
    "publish": "publish",
    "register": "account-plus-outline",
    "import": "file-import-outline",
    "import_folder": "folder-download-outline",
    "evaluate": "calculator-variant-outline",
    "override": "hand-back-right-outline",
    "eject": "eject-outline",
    "reenroll": "account-reactivate-outline",
    "revert": "history",
    "move": "swap-horizontal",
    "undo_apply": "undo-variant",
    "export": "export",
    "copy": "content-copy",
    "database": "database-outline",
    "refresh": "refresh",
}
COLOUR, DISABLED = "#37474f", "#b0bec5"


SIZES = (16, 24, 32)
"""The sizes an icon is drawn at once (a menu's, a toolbar's, a large button's; others are scaled)."""


@cache
def icon(name: str) -> QIcon:
    """The toolbar icon of an action (see ACTION_ICONS); needs a QApplication.

    Drawn once into pixmaps (each size, normal and greyed out, at the screen's pixel ratio): qtawesome's
    own icon draws its glyph in Python at every paint, and each of those waits its turn for the
    interpreter while a long job runs on another thread (84 paints held the window 79 ms during an
    import of 10,000 rows).
    """
    import qtawesome

    glyph = qtawesome.icon(f"mdi6.{ACTION_ICONS[name]}", color=COLOUR, color_disabled=DISABLED)
    app = QGuiApplication.instance()
    ratio = app.devicePixelRatio() if isinstance(app, QGuiApplication) else 1.0
    out = QIcon()
    for mode in (QIcon.Mode.Normal, QIcon.Mode.Disabled):
        for size in SIZES:
            out.addPixmap(glyph.pixmap(QSize(size, size), ratio, mode), mode)
    return out


class FittingToolBar(QObject):
    """Keeps ``toolbar``'s buttons in view: text beside the icons where the row has room, under them (about
    a third narrower) where it has not, so no action hides behind the » menu on a 1280-pixel screen."""

    BESIDE = Qt.ToolButtonStyle.ToolButtonTextBesideIcon
    UNDER = Qt.ToolButtonStyle.ToolButtonTextUnderIcon

    def __init__(self, toolbar: QToolBar) -> None:
        super().__init__(toolbar)
        self.toolbar = toolbar
        self.beside_width = 0  # measured once (the actions and their texts are fixed)
        toolbar.installEventFilter(self)

    def eventFilter(self, watched: QObject, event) -> bool:
        if watched is self.toolbar and event.type() == event.Type.Resize:
            self.fit(event.size().width())
        return False

    def fit(self, room: int) -> None:
        if not self.beside_width:
            style = self.toolbar.toolButtonStyle()
            self.toolbar.setToolButtonStyle(self.BESIDE)
            self.beside_width = self.toolbar.sizeHint().width()
            self.toolbar.setToolButtonStyle(style)
        wanted = self.BESIDE if self.beside_width <= room else self.UNDER
        if self.toolbar.toolButtonStyle() != wanted:
            self.toolbar.setToolButtonStyle(wanted)


def set_icons(pairs: dict[str, QAction]) -> None:
    for name, action in pairs.items():
        action.setIcon(icon(name))


@cache
def app_icon() -> QIcon:
    """The application's icon (window, about box), from the bundled SVG."""
    return QIcon(str(resources.app_icon()))
