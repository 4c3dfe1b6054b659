"""Qt's own console messages: the ones that mean nothing to a user are dropped, every other one goes on.

Qt's offscreen platform (``--screenshot``, headless runs, CI) prints "This plugin does not support
propagateSizeHints()" whenever a top-level window's size limits change, which every window does while it
is built: the platform simply has no window manager to tell. The message is harmless and says nothing a
user can act on, so it is filtered here rather than printed on every screenshot.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

NOISE = ("This plugin does not support propagateSizeHints()",)

_previous: Callable[..., Any] | None = None
_installed = False


def is_noise(message: str) -> bool:
    return message.strip() in NOISE


def _handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    if is_noise(message):
        return
    if _previous is not None:
        _previous(kind, context, message)
    else:
        print(message, file=sys.stderr)


def install() -> None:
    """Filter Qt's messages (once; the handler installed before keeps receiving all others)."""
    global _previous, _installed
    if _installed:
        return
    _previous = qInstallMessageHandler(_handler)
    _installed = True
