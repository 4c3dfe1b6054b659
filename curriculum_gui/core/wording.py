"""Words for messages and titles: counted nouns ("1 error", "3 policies") and parameter changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_IRREGULAR = {"policy": "policies", "was": "were", "is": "are", "this": "these", "batch": "batches"}


def plural(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def counted(number: int, word: str, many: str | None = None) -> str:
    """``counted(1, "error")`` -> "1 error"; ``counted(2, "error")`` -> "2 errors"."""
    return f"{number} {word if number == 1 else (many or plural(word))}"


class _Missing:
    """Not there at all (a parameter the task did not have, or no longer has): not the value null."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def change_text(before: Any, after: Any, fmt: Callable[[Any], str] = repr) -> str:
    """A parameter's change in words: ``3 → 2.5``; ``off (added)`` when it was not there before (a new
    task), ``15 (removed)`` when the new task has no such parameter; never "null → off" or "15 → None"."""
    if before is MISSING:
        return f"{fmt(after)} (added)"
    if after is MISSING:
        return f"{fmt(before)} (removed)"
    return f"{fmt(before)} → {fmt(after)}"
