"""The graph canvas of the curriculum editor: one generic scene for the stage graph and a stage's
policy graph, its view (zoom, pan, minimap), and the editor widget with drill-down and actions.

``StageScene`` and ``CanvasView`` keep their old names; ``StageScene().rebuild(curriculum, problems)``
still works without a document (read-only), but editing needs ``set_document(document)``.
"""

from .items import EdgeItem, NodeItem
from .levels import CLIPBOARD_MIME, PolicyLevel, StageLevel
from .scene import GraphScene, PolicyScene, StageScene
from .view import CanvasView, Minimap
from .widget import CanvasWidget

__all__ = [
    "CLIPBOARD_MIME",
    "CanvasView",
    "CanvasWidget",
    "EdgeItem",
    "GraphScene",
    "Minimap",
    "NodeItem",
    "PolicyLevel",
    "PolicyScene",
    "StageLevel",
    "StageScene",
]
