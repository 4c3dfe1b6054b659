"""Runs :func:`curriculum_gui.core.layout.layout` on the thread pool so the window stays responsive.

The worker only sees plain data (a :class:`~curriculum_gui.core.layout.Graph`), never the live
curriculum, and hands the result back through a queued signal to the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ...core import layout


class _Relay(QObject):
    done = Signal(int, object)  # generation, LayoutResult


class LayoutTask(QRunnable):
    def __init__(self, generation: int, graph: layout.Graph, size: tuple[float, float], dot: str) -> None:
        super().__init__()
        self.relay = _Relay()  # created on the GUI thread, so its receivers run there
        self._args = (generation, graph, size, dot)
        self.setAutoDelete(True)

    def run(self) -> None:
        generation, graph, size, dot = self._args
        try:
            result = layout.layout(graph, size, dot=dot)
        except Exception as exc:  # a layout must never take the application down
            result = layout.LayoutResult(
                layout.layered_layout(graph, size),
                "fallback",
                f"Layout failed ({exc}): used the built-in one.",
            )
        self.relay.done.emit(generation, result)


def start(task: LayoutTask) -> None:
    QThreadPool.globalInstance().start(task)
