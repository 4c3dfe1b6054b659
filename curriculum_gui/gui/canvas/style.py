"""Sizes, colours and fonts of the canvas, in one place so items never build them while painting."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF

from ...core.layout import POLICY_SIZE, STAGE_SIZE

STAGE_W, STAGE_H = STAGE_SIZE
POLICY_W, POLICY_H = POLICY_SIZE
GRID = 20.0
HANDLE_R = 7.0
LABEL_MAX_W = 230.0  # edge labels wrap at this width (up to LABEL_LINES lines, where there is room)
LABEL_MIN_W = 90.0
LABEL_LINES = 3
LABEL_HOVER_W = 340.0  # on hover, the whole rule, wrapped at this width
NODE_MAX_W = 320.0  # a node grows to its name up to this width, then wraps it
TITLE_LINES = 3  # lines of a node's name before the last one is cut (the tooltip has it all)
LANE = 30.0  # distance between parallel curves
LOD_TEXT = 0.45  # below this zoom, text is not drawn (it would be unreadable anyway)
LEGIBLE_ZOOM = 0.65  # Fit and opening never go below this: the smallest text stays about 8 px tall

NODE_FILL = QColor("#ffffff")
NODE_BORDER = QColor("#78909c")
TERMINAL_FILL = QColor("#fff8e1")
START = QColor("#2e7d32")
TERMINAL = QColor("#b8860b")
SELECTED = QColor("#1565c0")
HIGHLIGHT = QColor("#ef6c00")
ERROR = QColor("#c62828")
WARNING = QColor("#f9a825")
TEXT = QColor("#1a1a1a")
SUBTEXT = QColor("#546e7a")
EDGE = QColor("#455a64")
REGRESSION = QColor("#8e24aa")
LABEL_FILL = QColor(255, 255, 255, 230)
BACKGROUND = QColor("#eef1f5")
GRID_DOT = QColor("#c5ccd6")
# Comparison marks (``GraphScene.set_marks``): what a diff added, changed or removed.
MARKS = {"added": QColor("#2e9d48"), "changed": QColor("#00897b"), "removed": QColor("#d32f2f")}
MARK_BADGES = {"added": "+ ADDED", "changed": "~ CHANGED", "removed": "− REMOVED"}


@cache
def font(role: str) -> QFont:
    """Cached fonts: ``title``, ``body``, ``badge``, ``label`` (sizes readable at 100 % zoom)."""
    f = QFont()
    size, bold = {"title": (11.0, True), "body": (9.5, False), "badge": (8.5, True), "label": (9.5, False)}[
        role
    ]
    f.setPointSizeF(size)
    f.setBold(bold)
    return f


@cache
def metrics(role: str) -> QFontMetricsF:
    return QFontMetricsF(font(role))


def wrap_text(text: str, role: str, width: float, max_lines: int) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` in font ``role``; a word longer than
    a line is cut, and text beyond ``max_lines`` ends the last line with an ellipsis."""
    fm = metrics(role)
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if fm.horizontalAdvance(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while fm.horizontalAdvance(current) > width and len(current) > 1:  # one very long word
            cut = len(current)
            while cut > 1 and fm.horizontalAdvance(current[:cut]) > width:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
    if current or not lines:
        lines.append(current)
    if len(lines) > max_lines:
        rest = " ".join(lines[max_lines - 1 :])
        lines = [*lines[: max_lines - 1], fm.elidedText(rest, Qt.TextElideMode.ElideRight, width)]
    return lines
