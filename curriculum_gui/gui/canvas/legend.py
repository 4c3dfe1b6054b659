"""The canvas legend: what the colours and badges mean (View → Legend), in the view's bottom-left corner."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from . import style


def _cell(colour: str, mark: str, text: str) -> str:
    return (
        f"<td style='padding-right:10px'><span style='color:{colour}; font-weight:bold'>{html.escape(mark)}"
        f"</span>&nbsp;{html.escape(text)}</td>"
    )


def legend_html(node_word: str) -> str:
    """Two short rows (edges, then badges) for a graph of stages or of policies (``node_word``)."""
    edges = [
        _cell(style.EDGE.name(), "━▶", "leads on"),
        _cell(style.REGRESSION.name(), "━▶", "goes back"),
        _cell(style.SELECTED.name(), "━▶", "selected"),
        _cell(style.EDGE.name(), "(1)", "priority"),
    ]
    badges = [_cell(style.START.name(), "▶", "START")]
    if node_word == "stage":
        badges.append(_cell(style.TERMINAL.name(), "■", "TERMINAL"))
    badges += [
        _cell(style.HIGHLIGHT.name(), "●", "CURRENT"),
        _cell(style.ERROR.name(), "!", "problem"),
    ]
    if node_word == "stage":
        badges.append(_cell(style.WARNING.name(), "○", "in its policies"))
    return (
        f"<table cellspacing='0' cellpadding='0'><tr>{''.join(edges)}</tr><tr>{''.join(badges)}</tr></table>"
    )


def legend_tooltip(node_word: str) -> str:
    """The long form, on hover."""
    lines = [
        f"Grey arrow: leads on, to a {node_word} further from the start (by the fewest steps).",
        f"Purple arrow: goes back, to a {node_word} nearer the start (a regression).",
        "Blue: selected.",
        "(1), (2)…: the order in which a source's rules are checked; the first true one wins.",
        "START: "
        + ("where new subjects begin." if node_word == "stage" else "active on entering the stage."),
    ]
    if node_word == "stage":
        lines.append("TERMINAL: an end of the curriculum (e.g. graduated).")
    lines += [
        "CURRENT: where the subject of Try it (simulate) is.",
        "! red: an error; ! yellow: a warning (hover the item for it).",
    ]
    if node_word == "stage":
        lines.append("○ yellow ring: problems inside the stage's policy graph.")
    return "\n".join(lines)


class Legend(QLabel):
    """A small, translucent key over the canvas (two rows); hover it for the long form."""

    def __init__(self, parent: QWidget, node_word: str = "stage") -> None:
        super().__init__(parent)
        self.setObjectName("canvas_legend")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setStyleSheet(
            "QLabel#canvas_legend { background: rgba(255, 255, 255, 225); border: 1px solid #b0bec5;"
            " border-radius: 4px; padding: 4px 6px; color: #37474f; }"
        )
        font = self.font()
        font.setPointSizeF(8.5)
        self.setFont(font)
        self.set_level(node_word)

    def set_level(self, node_word: str) -> None:
        self._full = legend_html(node_word)
        self.setToolTip(legend_tooltip(node_word))
        self.set_compact(False)

    def set_compact(self, compact: bool) -> None:
        """Where the view has no room for both rows beside the minimap: one small chip, the whole
        legend in its tooltip."""
        self.compact = compact
        self.setText("Legend (hover)" if compact else self._full)
        self.adjustSize()

    def full_width(self) -> int:
        """The width of the two-row legend (whatever is shown now)."""
        probe = QLabel()
        probe.setFont(self.font())
        probe.setTextFormat(Qt.TextFormat.RichText)
        probe.setText(self._full)
        return probe.sizeHint().width() + 14  # the padding of the style sheet
