"""Reads that make a cohort's worth of objects run with Python's cyclic collector held off, and leave it
as they found it, also when they fail."""

from __future__ import annotations

import gc

import pytest

from curriculum_gui.store import Workspace
from curriculum_gui.store.context import without_collector
from curriculum_gui.store.errors import NotFound


def test_a_read_holds_the_collector_off_and_gives_it_back_also_after_an_error() -> None:
    seen = []

    @without_collector
    def read(fail: bool) -> int:
        seen.append(gc.isenabled())
        if fail:
            raise ValueError("the database went away")
        return 7

    assert gc.isenabled()
    assert read(False) == 7
    with pytest.raises(ValueError):
        read(True)
    assert seen == [False, False]
    assert gc.isenabled()
    gc.disable()  # a caller that had it off: still off after
    try:
        read(False)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_subjects_history_is_read_without_the_collector(tmp_path, monkeypatch) -> None:
    from curriculum_gui.store import subjects as store_subjects

    states = []
    real = store_subjects.subject_events
    monkeypatch.setattr(
        store_subjects, "subject_events", lambda *a, **k: states.append(gc.isenabled()) or real(*a, **k)
    )
    with Workspace.open(str(tmp_path / "g.sqlite3"), create=True) as ws:
        with pytest.raises(NotFound):
            ws.history("nobody")
        assert gc.isenabled()
        from curriculum_gui.resources import example

        from curriculum_gui.core import native_format

        version = ws.publish(native_format.loads(example().read_text(encoding="utf-8")), operator="t")
        ws.register(["M1"], version.id, operator="t")
        assert [e.kind for e in ws.history("M1")] == ["enrolled"]
    assert states == [False]
    assert gc.isenabled()
