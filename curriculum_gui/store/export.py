"""Next-session files for a folder the rigs read: one ``<name>.json`` per subject (stage, task, policies,
parameters) and, where the curriculum can be written as aind, ``<name>.trainer_state.json``.

Subject ids are free text (``=1+1``, ``M 1``, ``a/b``), so a file name is the id only when the id is a
safe file name as it is and no other subject's file could take its place (on a file system that ignores
case, ``M1`` and ``m1`` are one file). Any other id gets a cleaned name with a short hash of the exact id
(``M 1`` -> ``M_1-0a1b2c3d.json``): the same on every export, so a rig can find its file again, and never
another subject's. Every file holds its subject id; the result says which ids were renamed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import CurriculumGuiError
from . import subjects as subject_ops
from .context import StoreContext

AIND_SUFFIX = ".trainer_state"
MAX_STEM = 100  # file names are at most 255 bytes; leaves room for the hash and the suffixes
_SAFE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_RESERVED_ON_WINDOWS = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10))}
_RESERVED_ON_WINDOWS |= {f"LPT{i}" for i in range(1, 10)}


@dataclass
class ExportResult:
    written: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "M01 (aind TrainerState): why"
    renamed: dict[str, str] = field(default_factory=dict)  # subject id -> its file stem, when not the id
    no_aind: dict[str, list[str]] = field(default_factory=dict)  # why not -> subjects without a TrainerState

    def aind_note(self) -> str:
        """One short line: which subjects got no aind TrainerState, and why (empty when all did)."""
        if not self.no_aind:
            return ""
        why, subjects = max(self.no_aind.items(), key=lambda item: len(item[1]))
        count = sum(len(s) for s in self.no_aind.values())
        who = "these subjects" if count > 1 else subjects[0]
        return f"No aind TrainerState for {who}: {why}."

    def renamed_text(self, limit: int = 3) -> str:
        """One sentence for a message, or "" when every file is named by its subject id."""
        if not self.renamed:
            return ""
        shown = ", ".join(f"{s!r} → {stem}.json" for s, stem in list(self.renamed.items())[:limit])
        more = f" and {len(self.renamed) - limit} more" if len(self.renamed) > limit else ""
        return (
            f"{len(self.renamed)} subject id(s) cannot be file names as they are, so their files are named "
            f"{shown}{more} (each file holds its subject id)."
        )


def _is_safe(subject: str) -> bool:
    return (
        _SAFE.fullmatch(subject) is not None
        and len(subject) <= MAX_STEM
        and not subject.casefold().endswith(AIND_SUFFIX)  # "A.trainer_state.json" is A's aind file
        and subject.split(".")[0].upper() not in _RESERVED_ON_WINDOWS
    )


def _hashed(subject: str) -> str:
    clean = _UNSAFE.sub("_", subject).lstrip(".")[:MAX_STEM] or "subject"
    if clean.split(".")[0].upper() in _RESERVED_ON_WINDOWS:
        clean = f"_{clean}"
    return f"{clean}-{hashlib.sha256(subject.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


def file_stems(subjects: Iterable[str]) -> dict[str, str]:
    """Each subject's file stem: unique among ``subjects`` even where case is ignored."""
    stems = {s: (s if _is_safe(s) else _hashed(s)) for s in dict.fromkeys(subjects)}
    by_folded: dict[str, list[str]] = {}
    for subject, stem in stems.items():
        by_folded.setdefault(stem.casefold(), []).append(subject)
    for group in by_folded.values():
        if len(group) > 1:  # "M1" and "m1"; or an id that happens to equal another's hashed name
            for subject in group:
                stems[subject] = _hashed(subject) if stems[subject] == subject else stems[subject]
    taken: set[str] = set()
    for subject, stem in stems.items():  # a hash collision in 8 hex digits: numbered, still unique
        n, unique = 1, stem
        while unique.casefold() in taken:
            n += 1
            unique = f"{stem}-{n}"
        stems[subject] = unique
        taken.add(unique.casefold())
    return stems


def write_json(path: Path, data: object) -> None:
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
    ws: StoreContext, subjects: Sequence[str], folder: str | Path, aind: bool = True
) -> ExportResult:
    """Write the files (see the module docstring). An aind TrainerState is offered only where the
    curriculum allows it (``no_aind`` says why not: nothing failed); one that still cannot be made is a
    problem in the result, not a failure."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    stems = file_stems(subjects)
    result = ExportResult(renamed={s: stem for s, stem in stems.items() if stem != s})
    for subject, stem in stems.items():
        path = out / f"{stem}.json"
        write_json(path, subject_ops.next_session(ws, subject))
        result.written.append(path)
        if aind:
            blocker = subject_ops.aind_blocker(ws, subject)
            if blocker is not None:
                result.no_aind.setdefault(blocker, []).append(subject)
                continue
            try:
                state = subject_ops.trainer_state(ws, subject)
            except CurriculumGuiError as exc:
                result.problems.append(f"{subject} (aind TrainerState): {exc}")
                continue
            path = out / f"{stem}{AIND_SUFFIX}.json"
            write_json(path, state)
            result.written.append(path)
    return result
