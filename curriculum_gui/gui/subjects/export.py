"""What leaves the screen as text: a tab-separated summary for a spreadsheet. No Qt here: the view puts it
on the clipboard. (Next-session files are written by the store: :mod:`curriculum_gui.store.export`.)

Ids, names and parameter values are other people's text: a cell a spreadsheet would read as a formula
(``=HYPERLINK(...)``, ``+1+1``, ``-2+3``, ``@SUM(...)``) is prefixed with ``'``, as spreadsheets expect, so it
is shown as written and never computed (:mod:`curriculum_gui.core.spreadsheet`). Plain numbers stay numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...core.spreadsheet import tsv_cell
from ...store.records import SubjectRow
from .table_model import COLUMNS


def summary_tsv(rows: Sequence[SubjectRow], cells: Sequence[Sequence[str]]) -> str:
    """The table's columns (as shown) plus sessions in all and every parameter, tab-separated."""
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(row.parameters))
    header = [*COLUMNS, "Sessions in all", *keys]
    lines = ["\t".join(tsv_cell(h) for h in header)]
    for row, shown in zip(rows, cells, strict=True):
        params = [row.parameters.get(k, "") for k in keys]
        lines.append("\t".join(tsv_cell(c) for c in [*shown, row.sessions_total, *params]))
    return "\n".join(lines) + "\n"
