"""Counted nouns for messages and titles: "1 error", "2 errors", "1 policy", "3 policies"."""

from __future__ import annotations

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
