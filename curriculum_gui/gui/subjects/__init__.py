"""Subjects and the trainer in the GUI (issue 7): the table, review, subject page and cohort view.

``SubjectsView(workspace)`` is the whole screen; ``show_part(name)`` picks a page for ``--view``.
"""

from .view import PARTS, SubjectsView

__all__ = ["PARTS", "SubjectsView"]
