"""What leaves the screen: next-session parameters per subject (JSON, and aind TrainerState JSON), and a
tab-separated summary for a spreadsheet. No Qt here: the view picks the folder and the clipboard."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ...core.errors import CurriculumGuiError
from ...store import Workspace
from ...store.records import SubjectRow
from .table_model import COLUMNS

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class ExportResult:
    written: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "M01 (aind): why"


def file_stem(subject: str) -> str:
    return _UNSAFE.sub("_", subject) or "subject"


def _write_json(path: Path, data: object) -> None:
    """Atomically: a rig reading the folder never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, ensure_ascii=False, default=str)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export_next_sessions(
    ws: Workspace, subjects: Sequence[str], folder: str | Path, aind: bool = True
) -> ExportResult:
    """``<subject>.json`` (stage, task, policies, parameters) for each subject and, with ``aind``,
    ``<subject>.trainer_state.json`` where the curriculum can be written as aind (Python rules)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    result = ExportResult()
    for subject in subjects:
        path = out / f"{file_stem(subject)}.json"
        _write_json(path, ws.next_session(subject))
        result.written.append(path)
        if aind:
            try:
                state = ws.trainer_state(subject)
            except CurriculumGuiError as exc:
                result.problems.append(f"{subject} (aind TrainerState): {exc}")
                continue
            path = out / f"{file_stem(subject)}.trainer_state.json"
            _write_json(path, state)
            result.written.append(path)
    return result


def summary_tsv(rows: Sequence[SubjectRow], cells: Sequence[Sequence[str]]) -> str:
    """The table's columns (as shown) plus sessions in all and every parameter, tab-separated."""
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(row.parameters))
    header = [*COLUMNS, "Sessions in all", *keys]
    lines = ["\t".join(header)]
    for row, shown in zip(rows, cells, strict=True):
        params = [_cell(row.parameters.get(k, "")) for k in keys]
        lines.append("\t".join([*(_cell(c) for c in shown), str(row.sessions_total), *params]))
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text.replace("\t", " ").replace("\n", " ")
