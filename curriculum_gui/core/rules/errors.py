"""The rule language's one error type: what went wrong and where (line and column of the rule text)."""

from __future__ import annotations

from ..errors import CurriculumGuiError


class RuleError(CurriculumGuiError):
    """A rule that cannot be compiled, or that failed while it was evaluated.

    ``col`` and ``end_col`` are 0-based character offsets in line ``line`` (1-based) of the rule text, so a
    text widget can underline the span; the message says "column N" counting from 1, as people do. ``col`` is
    None when the error is about the rule as a whole (e.g. it is empty or too long).
    """

    def __init__(
        self,
        reason: str,
        col: int | None = None,
        end_col: int | None = None,
        line: int = 1,
        *,
        multiline: bool = False,
    ) -> None:
        self.reason = reason
        self.col = col
        self.end_col = end_col if end_col is not None else (None if col is None else col + 1)
        self.line = line
        if col is None:
            where = f"line {line}: " if multiline else ""
        elif multiline:
            where = f"line {line}, column {col + 1}: "
        else:
            where = f"column {col + 1}: "
        super().__init__(f"{where}{reason}")
