"""The Rig tab (issue 14): one rig's mice for the day, the selected mouse in large type, the actions a
technician takes at the rig, the watched metrics folder, the weekly schedule and the run sheet.

``RigView(workspace)`` is the whole screen.
"""

from .view import RigView

__all__ = ["RigView"]
