"""Parameter changes in words (issue 15, item 17): a parameter the new task adds or drops is "added" or
"removed", never "null → off" or "15.0 → None"; the review's row and its expansion say the same."""

from __future__ import annotations

from curriculum_gui.core.trainer import SubjectState
from curriculum_gui.core.wording import MISSING, change_text
from curriculum_gui.store.records import Suggestion


def _suggestion(before: dict, after: dict) -> Suggestion:
    changes = {k: (before.get(k), after.get(k)) for k in {**before, **after} if before.get(k) != after.get(k)}
    return Suggestion(
        subject="M1",
        subject_pk=1,
        row_version=1,
        curriculum_version_id=1,
        current=SubjectState("habituation", (), before),
        suggested=SubjectState("warmup", (), after),
        current_stage="Habituation",
        suggested_stage="Warm-up",
        current_policies=(),
        suggested_policies=(),
        parameter_changes=dict(sorted(changes.items())),
        sessions=("S1",),
        session_pks=(1,),
    )


def test_change_text_says_added_and_removed() -> None:
    assert change_text(3, 2.5) == "3 → 2.5"
    assert change_text(MISSING, False, str) == "False (added)"
    assert change_text(15.0, MISSING) == "15.0 (removed)"
    assert change_text(None, 1) == "None → 1"  # a real null is a value, not a missing parameter


def test_a_new_task_adds_and_removes_parameters_in_words() -> None:
    s = _suggestion({"free_reward_interval_s": 15.0, "reward": 3.0}, {"auto_reward": False, "reward": 2.5})
    texts = s.change_texts()
    assert texts == {
        "auto_reward": "False (added)",
        "free_reward_interval_s": "15.0 (removed)",
        "reward": "3.0 → 2.5",
    }
    assert "None" not in " ".join(texts.values())


def test_the_command_line_says_removed_not_none() -> None:
    from curriculum_gui.cli.store_commands import _describe

    s = _suggestion(
        {"free_reward_interval_s": 15.0, "reward": 2.6999999999999997}, {"reward": 2.5999999999999996}
    )
    assert _describe(s) == (
        "M1: 'Habituation' → 'Warm-up' [no policies] "
        "(free_reward_interval_s: 15 (removed); reward: 2.7 → 2.6)"
    )
