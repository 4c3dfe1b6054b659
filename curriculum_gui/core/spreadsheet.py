"""Text that goes into a spreadsheet (a pasted summary, a CSV file) as text, never as a formula.

Ids, names and values are other people's text: a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or tab,
carriage return, or their full-width forms) is read by Excel, LibreOffice and Google Sheets as a formula,
which can compute, fetch or run things (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``). Such a cell gets a
leading ``'``, as spreadsheets expect for text; a plain number (``-0.5``) stays a number. A file this
project reads back (the schedule CSV) takes the ``'`` off again (:func:`unguard`).
"""

from __future__ import annotations

import json
import re
from typing import Any

_FORMULA_START = tuple("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def guard(text: Any) -> Any:
    """``text``, with a leading ``'`` when a spreadsheet would take it for a formula (other values, such
    as numbers for a CSV writer, as they are)."""
    if (
        isinstance(text, str)
        and text.lstrip().startswith(_FORMULA_START)
        and not _NUMBER.fullmatch(text.strip())
    ):
        return "'" + text
    return text


def unguard(text: str) -> str:
    """What :func:`guard` was given (one leading ``'`` before a formula start is taken off)."""
    return text[1:] if text.startswith("'") and guard(text[1:]) != text[1:] else text


def tsv_cell(value: object) -> str:
    """One cell of tab-separated text: text as is, other values as JSON; on one line, never a formula."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return guard(text.replace("\t", " ").replace("\r", " ").replace("\n", " "))
