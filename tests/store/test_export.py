"""Next-session files: one per subject, named so that no subject's file can replace another's."""

from __future__ import annotations

import json
from pathlib import Path

from curriculum_gui.store import Workspace
from curriculum_gui.store.export import file_stems

HOSTILE = ["=1+1", "+1+1", "M 1", "M_1", "a/b", "a_b", "M1", "m1", "A", "A.trainer_state", "CON", "..", "é"]


def test_every_subject_gets_its_own_file_name_even_where_case_is_ignored() -> None:
    stems = file_stems(HOSTILE)
    assert len({s.casefold() for s in stems.values()}) == len(HOSTILE)
    names = [f"{s}.json" for s in stems.values()] + [f"{s}.trainer_state.json" for s in stems.values()]
    assert len({n.casefold() for n in names}) == len(names)  # no json is another subject's aind file
    assert all("/" not in s and not s.startswith(".") for s in stems.values())
    assert stems["M_1"] == "M_1" and stems["a_b"] == "a_b" and stems["A"] == "A"  # safe ids stay as they are
    assert stems["M 1"].startswith("M_1-") and stems["CON"].startswith("_CON-")
    assert file_stems(["M 1"]) == {"M 1": stems["M 1"]}  # the same name on every export


def test_export_writes_one_file_per_subject_and_says_which_were_renamed(
    ws: Workspace, version, tmp_path: Path
) -> None:
    ws.register(HOSTILE, version.id)
    result = ws.export_next_sessions(HOSTILE, tmp_path / "out")
    files = sorted((tmp_path / "out").glob("*.json"))
    assert len(files) == len(HOSTILE) == len(result.written)  # the example has expression rules: no aind
    held = {json.loads(f.read_text(encoding="utf-8"))["subject"] for f in files}
    assert held == set(HOSTILE)
    assert set(result.renamed) == {
        "=1+1",
        "+1+1",
        "M 1",
        "a/b",
        "M1",
        "m1",
        "A.trainer_state",
        "CON",
        "..",
        "é",
    }
    assert "'M 1' → M_1-" in result.renamed_text(limit=20)
