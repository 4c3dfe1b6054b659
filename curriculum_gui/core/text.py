"""User text at the edges: what may be stored, and how it is shown on a terminal.

Subject ids, stage names, reasons and metric values come from people and files. Two kinds of character
cause harm there: control characters (``ESC ] 0 ; … BEL`` retitles a terminal, ``ESC [ 2 J`` clears it,
NUL cannot be stored in PostgreSQL text) and lone UTF-16 surrogates (``\\ud800``, from a JSON escape or an
undecodable file name), which are not characters at all and cannot be encoded to be written or printed.
"""

from __future__ import annotations

import re
from typing import Any

SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 control characters and DEL; in ids even tab and newline.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# What a terminal must not receive raw: controls but tab and newline, and the bidirectional overrides
# that reorder what is shown ("Trojan source"). Surrogates are escaped by the stream (backslashreplace).
_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# In JSON text: what ``json.dumps`` leaves raw but a terminal would act on (C0 is already escaped).
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def escape_char(char: str) -> str:
    """``\\x1b``, ``\\u202e``: the character as Python writes it in an escaped string."""
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with every control character (but tab and newline) and bidi override shown escaped."""
    return _TERMINAL_UNSAFE.sub(lambda m: escape_char(m.group()), text)


def json_safe(json_text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with DEL, C1 controls, bidi overrides,
    line separators and lone surrogates written as ``\\uXXXX`` escapes: the same JSON value, safe to print
    (these characters only ever occur inside JSON strings, where the escape is valid)."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json_text)


def text_problem(text: str, *, identifier: bool = False) -> str | None:
    """Why ``text`` cannot be stored (None when it can). An ``identifier`` (a subject or session id)
    holds no control character at all; other text (a reason, a note) no NUL and no lone surrogate."""
    bad = SURROGATE.search(text)
    if bad is not None:
        return f"holds {escape_char(bad.group())}, half of a UTF-16 surrogate pair (not a character)"
    bad = CONTROL.search(text) if identifier else (re.search("\x00", text))
    if bad is not None:
        return f"holds the control character {escape_char(bad.group())}"
    return None


def find_surrogate(value: Any, path: str = "") -> str | None:
    """The place (``stages[2].name``) of the first text in parsed JSON holding a lone surrogate, or None."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if SURROGATE.search(item):
                return where or "the document"
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and SURROGATE.search(key):
                    return f"{where}.{escape_surrogates(key)}" if where else escape_surrogates(key)
                stack.append((child, f"{where}.{key}" if where else str(key)))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))
    return None


def escape_surrogates(text: str) -> str:
    return SURROGATE.sub(lambda m: escape_char(m.group()), text)
