"""Values typed by a person (a list parameter, a list cell in Try it): read as defensively as files, so
deep nesting, NaN, huge numbers and text that is not Unicode are one message, never a crash."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[" * 50_000 + "]" * 50_000, "nested more than 64 levels"),
        ("[NaN]", "NaN is not allowed"),
        ("[1e999]", "too large"),
        ('["\\ud800"]', "not valid Unicode"),
    ],
)
def test_a_list_parameter_that_cannot_be_kept_is_refused(text: str, fragment: str) -> None:
    from curriculum_gui.gui.parameters_editor import parse_value

    with pytest.raises(ValueError, match=fragment):
        parse_value(text, "list")
    assert parse_value("[1, [2, 3]]", "list") == [1, [2, 3]]


@pytest.mark.parametrize("text", ["[" * 50_000 + "]" * 50_000, "[NaN]", "1e999", "9" * 5_000])
def test_a_simulated_list_cell_that_cannot_be_a_value_is_one_message(text: str) -> None:
    from curriculum_gui.core.model import MetricType
    from curriculum_gui.gui.simulate_panel import SimulationError, parse_cell

    with pytest.raises(SimulationError) as caught:
        parse_cell(text, MetricType.NUMBER_LIST, "session 1, accuracy")
    assert str(caught.value).startswith("session 1, accuracy: ") and len(str(caught.value)) < 120
    assert parse_cell("[0.5, 0.75]", MetricType.NUMBER_LIST, "s") == [0.5, 0.75]
