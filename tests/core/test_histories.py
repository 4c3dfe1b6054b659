"""Histories of list metrics without a database: gaps, whole lists, the why of long histories, and the
cost of one subject's long run of sessions."""

from __future__ import annotations

import tracemalloc

import pytest

from curriculum_gui.core import histories as core_histories
from curriculum_gui.core.rules.compiler import Context, compile_condition
from curriculum_gui.core.rules.errors import RuleError
from curriculum_gui.core.trainer import SHOWN_ITEMS, Trainer, shown_value


def _value(rule: str, **metrics) -> object:
    return compile_condition(rule).evaluate(Context(metrics))


def test_a_gap_is_a_slot_of_its_own_and_a_whole_list_starts_again() -> None:
    series = {"accuracy": [0.7], "trials": [300]}
    assert core_histories.add_session(series, {"accuracy": 0.8}) == ["trials"]
    assert core_histories.add_session(series, {"accuracy": [0.1, 0.2], "trials": 200}) == []
    assert series == {"accuracy": [0.1, 0.2], "trials": [300, None, 200]}
    assert core_histories.replay(["accuracy"], [{"accuracy": 1}, {}, {"accuracy": 2}]) == {
        "accuracy": [1, None, 2]
    }


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("mean(xs)", 0.75),
        ("median(xs)", 0.75),
        ("min(xs)", 0.5),
        ("max(last(xs, 2))", 1.0),
        ("sum(xs)", 1.5),
        ("len(xs)", 3),
        ("last(xs, 2)", [None, 1.0]),
    ],
)
def test_aggregates_leave_gaps_out_and_lists_keep_them(rule: str, expected: object) -> None:
    assert _value(f"{rule} == {expected!r}", xs=[0.5, None, 1.0]) is True


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("mean(last(xs, 1)) > 0.5", "no value measured (1 session(s) not measured)"),
        ("last(xs, 1)[0] > 0.5", "None"),
        ("xs[-1] + 1 > 0.5", "None"),
    ],
)
def test_reading_the_value_of_a_gap_is_an_error_not_another_sessions_value(rule: str, message: str) -> None:
    with pytest.raises(RuleError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _value(rule, xs=[0.9, None])


def test_the_why_keeps_the_last_items_of_a_long_list() -> None:
    long = list(range(500))
    shown = shown_value(long)
    assert len(shown) == SHOWN_ITEMS and shown[0] == f"… {500 - SHOWN_ITEMS + 1} earlier"
    assert shown[1:] == long[-(SHOWN_ITEMS - 1) :]
    assert shown_value(shown) == shown and shown_value([1, 2]) == [1, 2]


def test_a_settled_evaluation_reads_the_same_and_holds_no_metrics(example) -> None:
    trainer = Trainer(example)
    state = trainer.enroll(trainer.stage_id_for("Two-choice, high contrast"))
    accuracy = [0.5] * 400 + [0.9, 0.9, 0.9]
    lazy = trainer.evaluate(state, {"accuracy": accuracy, "trials": [300], "bias": 0.1})
    settled = lazy.settled()
    assert settled.state == lazy.state and settled.to_json() == lazy.to_json()
    assert [c.describe() for c in settled.why] == [c.describe() for c in lazy.why]
    accuracy.append(0.1)  # the caller's list changes: the settled why does not
    assert settled.to_json()["why"] == lazy.settled().to_json()["why"][:0] + settled.to_json()["why"]
    assert all(len(v) <= SHOWN_ITEMS for c in settled.why for v in c.values.values() if isinstance(v, list))


def _sessions(n: int) -> list[core_histories.Session]:
    values = {"trials": 300, "bias": 0.1, "weight_fraction": 0.9, "licks_per_reward": 3}
    return [core_histories.Session(f"s{i}", i, {**values, "accuracy": 0.5 + (i % 5) / 10}) for i in range(n)]


def test_one_subjects_long_run_costs_memory_in_proportion_not_squared(example) -> None:
    """Issue 19: 10,000 sessions of one subject used 848 MB. Sessions are evaluated at most
    ``MAX_SESSIONS`` at a time, over a shared history: memory grows with the sessions, not their square."""
    trainer = Trainer(example)
    state = trainer.enroll(trainer.stage_id_for("Full task"))
    peaks = []
    for n in (500, 1000):
        tracemalloc.start()
        run = core_histories.run(
            trainer, state, {"accuracy": [0.6] * 20_000, "trials": [300] * 20_000}, _sessions(n)
        )
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert run.error is None and len(run.done) == n
    # Copying the 20,000-session history for each session: 160 MB for 500 sessions, 330 MB for 1,000.
    assert peaks[1] < 2.6 * peaks[0] and peaks[1] < 40e6


def test_sessions_beyond_the_limit_wait_for_the_next_evaluation(example) -> None:
    trainer = Trainer(example)
    state = trainer.enroll(trainer.stage_id_for("Full task"))
    run = core_histories.run(trainer, state, {"accuracy": [], "trials": []}, _sessions(7), limit=5)
    assert [pk for _, pk in run.done] == [0, 1, 2, 3, 4] and run.waiting == 2
    assert len(run.series["accuracy"]) == 5 and run.state.sessions_total == 5
