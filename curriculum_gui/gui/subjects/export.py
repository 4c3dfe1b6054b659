"""What leaves the screen as text: a tab-separated summary for a spreadsheet. No Qt here: the view puts it
on the clipboard. (Next-session files are written by the store: :mod:`curriculum_gui.store.export`.)

Ids, names and parameter values are other people's text: a cell a spreadsheet would read as a formula
(``=HYPERLINK(...)``, ``+1+1``, ``-2+3``, ``@SUM(...)``) is prefixed with ``'``, as spreadsheets expect, so it
is shown as written and never computed. Plain numbers (``-0.5``) stay numbers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from ...store.records import SubjectRow
from .table_model import COLUMNS

# A leading character that makes Excel, LibreOffice or Google Sheets read the cell as a formula (or run
# DDE), in ASCII or full width; tab and carriage return are the OWASP list's too.
_FORMULA_START = tuple("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def summary_tsv(rows: Sequence[SubjectRow], cells: Sequence[Sequence[str]]) -> str:
    """The table's columns (as shown) plus sessions in all and every parameter, tab-separated."""
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(row.parameters))
    header = [*COLUMNS, "Sessions in all", *keys]
    lines = ["\t".join(spreadsheet_cell(h) for h in header)]
    for row, shown in zip(rows, cells, strict=True):
        params = [row.parameters.get(k, "") for k in keys]
        lines.append("\t".join(spreadsheet_cell(c) for c in [*shown, row.sessions_total, *params]))
    return "\n".join(lines) + "\n"


def spreadsheet_cell(value: object) -> str:
    """One cell: on one line, without tabs, and never a formula."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.replace("\t", " ").replace("\r", " ").replace("\n", " ")
    if text.lstrip().startswith(_FORMULA_START) and not _NUMBER.fullmatch(text.strip()):
        return "'" + text
    return text
