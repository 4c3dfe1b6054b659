"""The replay's fast reading of applied events gives exactly what parsing the whole text gives, including
for texts that defeat its slicing (a parameter named like the key that follows, a session id holding
"],", values only the standard library reads)."""

from __future__ import annotations

import json
import math
from datetime import datetime

import pytest

from curriculum_gui.store.replay_source import _applied, _change


def _event(after_parameters: dict, session: str = "s1") -> str:
    state = {
        "stage_id": "two_choice",
        "active_policies": ["p"],
        "parameters": after_parameters,
        "is_on_curriculum": True,
        "sessions_total": 3,
        "sessions_in_stage": 2,
        "sessions_in_policy": {"p": 2},
    }
    data = {
        "before": dict(state, sessions_total=2),
        "after": state,
        "before_stage": "Two-choice",
        "after_stage": "Two-choice",
        "before_version": 1,
        "after_version": 1,
        "sessions": [session],
        "parameter_changes": {},
        "error": None,
        "why": [{"session": session, "kind": "stage_transition", "id": "t1", "fired": False}],
    }
    return json.dumps(data, separators=(",", ":"))


def _full(text: str):
    """What the slow path makes of it: the whole text parsed."""
    data = json.loads(text)
    return data["after"], tuple(data["sessions"]), data["why"]


@pytest.mark.parametrize(
    "parameters, session",
    [
        ({"iti_s": 2.0, "block_length": 40}, "s1"),
        (
            {"x": 1, "before_stage": 1, "y": {"z": 0, "before_stage": [1, 2]}},
            "s1",
        ),  # the next key, nested in the value
        ({"label": ',"before_stage":'}, 'a"],["b'),  # both keys' texts inside strings
        ({"iti_s": 2.0}, "R1],x"),  # the end of the session list inside the session id
        ({"huge": 10**30, "gap": math.nan}, "s1"),  # orjson: a float and a refusal; json reads them
    ],
)
def test_fast_reading_equals_the_whole_text_parsed(parameters: dict, session: str) -> None:
    text = _event(parameters, session)
    at = "2025-01-02 10:00:00.000000"
    change = _change(7, "applied", 1, at, text)
    after, sessions, why = _full(text)
    assert change.after.stage_id == after["stage_id"]
    assert change.after.active_policies == tuple(after["active_policies"])
    # NaN-safe equality that also tells 10**30 from 1e30
    assert json.dumps(change.after.parameters) == json.dumps(after["parameters"])
    assert (change.after.sessions_total, change.after.sessions_in_stage) == (3, 2)
    assert change.sessions == sessions and change.session_stages == ("two_choice",)
    assert [dict(c) for c in change.checks()] == why
    assert change.at == datetime(2025, 1, 2, 10, 0)


def test_texts_the_slices_cannot_read_take_the_whole_parse() -> None:
    nested = _event({"x": 1, "before_stage": 1})
    assert _applied(1, 1, None, nested) is None  # the slice ends inside the value: not JSON
    assert _applied(1, 1, None, _event({"iti_s": 2.0})) is not None


@pytest.mark.parametrize(
    "text", ["[1e30, 10000000000000000000000]", '{"a": NaN, "b": -Infinity}', '{"a": 18446744073709551616}']
)
def test_stored_json_reads_exactly_as_the_standard_library_reads_it(text: str) -> None:
    from curriculum_gui.store.json_text import loads

    assert json.dumps(loads(text)) == json.dumps(json.loads(text))
    assert [type(v) for v in _values(loads(text))] == [type(v) for v in _values(json.loads(text))]


def _values(data):
    return list(data.values()) if isinstance(data, dict) else list(data)


@pytest.mark.parametrize(
    "value",
    [
        [
            {
                "session": "s1",
                "values": {"acc": [0.5, 1e-05, 1e16, None], "n": 3},
                "fired": True,
                "rule": "é ✓",
            }
        ],
        {"big": 2**70, "small": -(2**70)},  # beyond orjson's 64 bits: written by json
        {1: "a key that is not text"},  # json writes it as "1"; orjson refuses it
        ["line\nbreak", "\x01", "\u2028", "/"],
    ],
)
def test_a_why_written_fast_reads_back_as_json_would_have_written_it(value: object) -> None:
    from curriculum_gui.store.json_text import dumps_finite

    text = dumps_finite(value)
    assert json.loads(text) == json.loads(json.dumps(value))
    assert "\n" not in text and ": " not in text  # compact, one line, as the event log stores it
