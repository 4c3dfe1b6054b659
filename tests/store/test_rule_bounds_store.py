"""The bounds on what a rule builds (issue 18.1) hold on the store's paths too: an evaluation with a
subject's running history, its apply, and the what-if replay of an edit over recorded sessions."""

from __future__ import annotations

from pathlib import Path

from curriculum_gui.core import native_format
from curriculum_gui.core.model import Curriculum
from curriculum_gui.core.rules.functions import MAX_VALUE_SIZE
from curriculum_gui.store import Workspace

from .conftest import session_csv

DOUBLING = "\n".join(["xs = [0] * 10000"] + ["xs = [xs, xs]"] * 20)


def _with_update(curriculum: Curriculum, text: str, version: str) -> Curriculum:
    data = native_format.to_data(curriculum)
    data["version"] = version
    stage = data["stages"][0]
    stage["task"]["parameters"]["xs"] = []
    stage["policies"][0]["updates"]["expression"] = text
    return native_format.document_from_data(data, "test")


def _sessions(tmp_path: Path, day: int) -> Path:
    rows = [("M1", f"s{day}", f"2026-01-{day:02d}", 0.5, 100, 0.1, 0.9, 3)]
    return session_csv(tmp_path / f"m{day}.csv", rows)


def test_evaluate_apply_and_replay_stop_at_the_limit(ws: Workspace, curriculum: Curriculum, tmp_path) -> None:
    plain = ws.publish(curriculum, operator="t")
    ws.register(["M1"], plain.id, operator="t")
    for day in (1, 2):  # a recorded history, with a running history kept for M1
        assert ws.import_metrics(_sessions(tmp_path, day)).ok
        ws.apply(ws.evaluate())
    hostile = _with_update(curriculum, DOUBLING, "9.0.0")

    result = ws.replay(hostile, shortcut=False)  # the edit over M1's two recorded sessions
    (m1,) = [s for s in result.subjects if s.subject == "M1"]
    assert m1.errors >= 1 and m1.changed
    errors = [step.error for s in result.subjects for step in s.steps if step.error]
    assert errors and all("too large" in e and f"{MAX_VALUE_SIZE:,}" in e for e in errors)

    version = ws.publish(hostile, operator="t")
    ws.register(["M2"], version.id, operator="t")
    rows = [("M2", "t1", "2026-01-03", 0.5, 100, 0.1, 0.9, 3)]
    assert ws.import_metrics(session_csv(tmp_path / "m2.csv", rows)).ok
    before = ws.subject("M2")
    (suggestion,) = [s for s in ws.evaluate() if s.subject == "M2"]
    assert suggestion.error is not None and "too large" in suggestion.error
    applied = ws.apply([suggestion])
    assert applied.skipped and ws.subject("M2").row_version == before.row_version
