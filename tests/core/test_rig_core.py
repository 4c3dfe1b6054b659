"""Pure parts of the rig: weekdays and the schedule CSV, the run sheet, weight fractions and promotions,
single parameters checked against the stage's types."""

from __future__ import annotations

import csv
import io
from datetime import date
from html.parser import HTMLParser

import pytest

from curriculum_gui.core.errors import LoadError
from curriculum_gui.core.parameter_types import checked_value, with_values
from curriculum_gui.core.runsheet import RunSheetEntry, exact, flat_parameters, to_csv, to_html
from curriculum_gui.core.schedule import (
    ScheduleEntry,
    parse_weekdays,
    read_csv,
    weekdays_text,
)
from curriculum_gui.core.schedule import (
    to_csv as schedule_csv,
)
from curriculum_gui.core.weights import check_grams, is_promotion, stage_depths, weight_fraction


@pytest.mark.parametrize(
    ("text", "mask"),
    [
        ("Mon-Fri", "1111100"),
        ("mon, wed, fri", "1010100"),
        ("weekdays", "1111100"),
        ("daily", "1111111"),
        ("Sat–Sun", "0000011"),
        ("Fri-Mon", "1000111"),
        ("Tuesday Thursday", "0101000"),
        ("0100000", "0100000"),
    ],
)
def test_weekdays_as_people_write_them(text: str, mask: str) -> None:
    assert parse_weekdays(text) == mask
    assert parse_weekdays(weekdays_text(mask)) == mask


@pytest.mark.parametrize("text", ["", "Funday", "0000000", "Mon-Xyz"])
def test_bad_weekdays_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_weekdays(text)


def test_the_schedule_csv_round_trips_and_names_the_bad_line() -> None:
    entries = [ScheduleEntry("M1", "rig-1", "1111100", 1), ScheduleEntry("M2", "rig-2", "1010100")]
    text = schedule_csv(entries)
    assert text.splitlines()[:2] == ["subject,rig,weekdays,slot", "M1,rig-1,Mon-Fri,1"]
    assert sorted(read_csv(text), key=lambda e: e.subject) == entries
    with pytest.raises(LoadError, match=r"line 3: weekdays: 'Funday' is not a weekday"):
        read_csv("subject,rig,weekdays\nM1,rig-1,Mon\nM2,rig-1,Funday\n", "s.csv")
    with pytest.raises(LoadError, match="missing: weekdays"):
        read_csv("subject,rig\nM1,rig-1\n")
    with pytest.raises(LoadError, match="'M1' is on 'rig-1' and 'rig-2' on Wed"):
        read_csv("subject,rig,weekdays\nM1,rig-1,Mon-Wed\nM1,rig-2,Wed-Fri\n")


def _entry(**kw) -> RunSheetEntry:
    base = dict(
        rig="rig-1",
        slot=None,
        subject="M1",
        curriculum="Two-choice 1.0.0",
        stage="Mixed contrast",
        policies=("Contrast ramp",),
        parameters={
            "reward_volume_ul": 3.0,
            "contrast_set": {"lowest": 0.5, "levels": 4},
            "note": "<b>x</b>",
        },
        on_curriculum=True,
    )
    return RunSheetEntry(**{**base, **kw})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.sections = 0
        self.scripts = 0

    def handle_starttag(self, tag, attrs) -> None:
        self.sections += tag == "section"
        self.scripts += tag in ("script", "link", "img")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_run_sheet_html_shows_every_parameter_per_rig_and_flags_the_underweight() -> None:
    entries = [
        _entry(),
        _entry(
            subject="M2", rig="rig-2", underweight=True, weight_fraction=0.76, baseline_g=25, last_weight_g=19
        ),
        _entry(subject="M3", on_curriculum=False),
    ]
    page = to_html(date(2025, 3, 3), entries, 0.8)
    parser = _Text()
    parser.feed(page)
    text = " ".join(parser.text)
    assert parser.sections == 2 and parser.scripts == 0  # one page per rig, self-contained
    assert "rig-1 — Monday 03 March 2025" in text
    assert "contrast_set.lowest = 0.5" in text and "reward_volume_ul = 3.0" in text
    assert "note = <b>x</b>" in text  # user text escaped, shown as written
    assert "UNDERWEIGHT" in text and "76% of baseline" in text and "OFF CURRICULUM" in text
    assert "page-break-after" in page


def test_the_run_sheet_csv_has_one_column_per_parameter() -> None:
    rows = list(
        csv.reader(io.StringIO(to_csv(date(2025, 3, 3), [_entry(slot=2), _entry(subject="M0", slot=1)])))
    )
    head = rows[0]
    assert head[:4] == ["date", "rig", "slot", "subject"] and "contrast_set.levels" in head
    assert [r[3] for r in rows[1:]] == ["M0", "M1"]  # in running order
    assert rows[1][head.index("contrast_set.lowest")] == "0.5"
    assert dict(flat_parameters({"a": {}, "b": {"c": 1}})) == {"a": {}, "b.c": 1}
    assert exact(2.8 - 0.1) == "2.7" and exact([0.1 + 0.2, "x"]) == '[0.3, "x"]' and exact(2.0) == "2.0"


def test_weight_fraction_and_grams() -> None:
    assert weight_fraction(20.0, 25.0) == 0.8 and weight_fraction(19.0, None) is None
    assert check_grams("23,5 g") == 23.5
    for bad in (0, -1, "abc", float("nan"), True, 20_000):
        with pytest.raises(ValueError):
            check_grams(bad)


def test_promotions_follow_the_stage_graph_from_the_start(example) -> None:
    ids = {s.name: s.id for s in example.stages}
    depth = stage_depths(example)
    assert depth[ids["Habituation"]] == 0 and depth[ids["Graduated"]] > depth[ids["Full task"]]
    assert is_promotion(example, ids["Warm-up: one side"], ids["Two-choice, high contrast"])
    assert is_promotion(example, ids["Warm-up: one side"], ids["Mixed contrast"])
    assert not is_promotion(example, ids["Mixed contrast"], ids["Two-choice, high contrast"])  # a regression
    assert not is_promotion(example, ids["Full task"], ids["Full task"])


def test_single_parameters_keep_the_stage_types() -> None:
    defaults = {"n": 40, "x": 1.0, "on": True, "name": "a", "xs": [1], "g": {"lowest": 0.5}}
    current = {**defaults, "n": 30}
    params, changed = with_values(defaults, current, {"n": 12.0, "x": 2, "g.lowest": 0.25})
    assert params["n"] == 12 and type(params["n"]) is int and type(params["x"]) is float
    assert params["g"] == {"lowest": 0.25} and current["g"] == {"lowest": 0.5}  # the input is not changed
    assert changed == {"n": (30, 12), "x": (1.0, 2.0), "g.lowest": (0.5, 0.25)}
    for name, value, message in [
        ("n", 1.5, "whole number"),
        ("on", 1, "true/false"),
        ("name", 3, "text"),
        ("xs", "1", "list"),
        ("g", {}, "group"),
        ("zz", 1, "no parameter"),
    ]:
        with pytest.raises(ValueError, match=message):
            with_values(defaults, current, {name: value})
    assert checked_value(None, {"a": 1}, "free") == {"a": 1}
