"""No cyclic garbage collection on a worker thread (gui/subjects/worker.py): it could free Qt objects from
there and hang the application."""

from __future__ import annotations

import gc
import threading

import pytest

from curriculum_gui.gui.subjects import worker


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_a_job_never_collects_on_its_thread_and_collection_resumes_after(qtbot) -> None:
    collected_on: list[str] = []

    def watch(phase: str, _info: dict) -> None:
        if phase == "start":
            collected_on.append(threading.current_thread().name)

    def job(_progress) -> tuple[bool, str]:
        for _ in range(gc.get_threshold()[0] * 5):  # far past the threshold of an automatic collection
            Cycle()
        return gc.isenabled(), threading.current_thread().name

    assert gc.isenabled()
    results: list[tuple[bool, str]] = []
    gc.callbacks.append(watch)
    try:
        task = worker.start(job, results.append, lambda exc: results.append(exc))
        qtbot.waitUntil(lambda: bool(results), timeout=10_000)
    finally:
        gc.callbacks.remove(watch)
    enabled_during, thread = results[0]
    assert not enabled_during and thread != threading.main_thread().name
    assert thread not in collected_on
    qtbot.waitUntil(gc.isenabled, timeout=10_000)  # back on once the last job ended
    del task


def test_overlapping_jobs_keep_it_off_until_the_last_ends(qtbot) -> None:
    go_on = threading.Event()
    ended: list[str] = []
    slow = worker.start(lambda _p: go_on.wait(10), lambda _r: ended.append("slow"), ended.append)
    quick = worker.start(lambda _p: None, lambda _r: ended.append("quick"), ended.append)
    qtbot.waitUntil(lambda: ended == ["quick"], timeout=10_000)
    qtbot.wait(50)  # the quick job's end has reached the GUI thread too
    assert not gc.isenabled()  # the slow one still runs
    go_on.set()
    qtbot.waitUntil(lambda: ended == ["quick", "slow"], timeout=10_000)
    qtbot.waitUntil(gc.isenabled, timeout=10_000)
    del slow, quick


def test_a_job_ending_after_its_window_closed_says_nothing_and_lets_go(qtbot, capfd) -> None:
    """The window (and the task's relay with it) is gone when the job ends: no traceback, and the
    interpreter's settings come back once the last job has ended."""
    import sys

    import shiboken6

    interval = sys.getswitchinterval()
    gate = worker._gc_gate()
    gate.hold()
    assert worker.running() == 1 and sys.getswitchinterval() == pytest.approx(worker.SWITCH_SECONDS)
    task = worker.Task(lambda _progress: 1 / 0)
    shiboken6.delete(task.relay)
    task.run()  # raised "Signal source has been deleted" from the thread before
    qtbot.waitUntil(lambda: worker.running() == 0, timeout=2000)
    assert sys.getswitchinterval() == interval and gc.isenabled()
    assert "Traceback" not in capfd.readouterr().err


def test_the_cycles_a_job_leaves_are_collected_once_no_job_runs(qtbot) -> None:
    """Set aside when the last job ends (no long collection on the GUI thread then), they are collected a
    while later if no job started meanwhile, and not while one runs (they were kept for good before)."""
    import weakref

    class Node:
        pass

    made: list[weakref.ref] = []

    def job(_progress) -> None:
        a, b = Node(), Node()
        a.other, b.other = b, a
        made.append(weakref.ref(a))

    gate = worker._gc_gate()
    gate.idle_collection.setInterval(300)
    go_on = threading.Event()
    ended: list[object] = []
    try:
        for _ in range(3):
            task = worker.start(job, ended.append, ended.append)
            qtbot.waitUntil(lambda: worker.running() == 0, timeout=10_000)
            del task
        slow = worker.start(lambda _p: go_on.wait(10), ended.append, ended.append)
        qtbot.wait(400)  # past the delay, but a job runs: nothing collected
        assert all(ref() is not None for ref in made)
        go_on.set()
        qtbot.waitUntil(lambda: worker.running() == 0, timeout=10_000)
        qtbot.waitUntil(lambda: all(ref() is None for ref in made), timeout=5_000)
        assert gc.isenabled() and gc.get_freeze_count() == 0
        del slow
    finally:
        go_on.set()
        gate.idle_collection.setInterval(worker.COLLECT_AFTER_MS)
