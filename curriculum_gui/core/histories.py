"""The metrics one session's evaluation reads: its own values, and for ``number_list`` metrics the history.

A ``number_list`` metric given one number per session is read by rules as the list of the subject's
values so far, oldest first: every session up to this one (by date, then import order), and also the
sessions already evaluated that are dated after it (a session imported late still sees the whole evaluated
history). A session that gives a whole list is evaluated on that list, and a whole list starts the series
again. The store evaluates this way; the what-if replay (:mod:`.replay`) rebuilds the same lists from the
recorded sessions, so replaying the published curriculum gives what really happened.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def add_values(history: dict[str, list[Any]], values: Mapping[str, Any]) -> None:
    """Add one session's values to each list metric's series (a whole list starts it again)."""
    for name, series in history.items():
        value = values.get(name)
        if isinstance(value, list):
            series[:] = value
        elif value is not None:
            series.append(value)


def session_metrics(
    list_metrics: Iterable[str],
    up_to: Sequence[Mapping[str, Any]],
    later: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The metrics of the session ``up_to[-1]``: ``up_to`` holds the values of every session up to and
    including it, in order; ``later``, those of the sessions dated after it that were already evaluated.
    Each list is the caller's own (a new list)."""
    history: dict[str, list[Any]] = {name: [] for name in list_metrics}
    for values in up_to:
        add_values(history, values)
    for values in later:
        add_values(history, values)
    return with_history(up_to[-1], history)


def with_history(
    own: Mapping[str, Any], history: Mapping[str, list[Any]], copy: bool = True
) -> dict[str, Any]:
    """``own`` values with each list metric read from ``history``, unless the session gives a whole list.
    The lists are copied (evaluations keep their metrics, and the caller goes on appending to
    ``history``) unless ``copy`` is false: then read the evaluation's why before the history grows."""
    metrics = dict(own)
    for name, series in history.items():
        value = own.get(name)
        metrics[name] = value if isinstance(value, list) else list(series) if copy else series
    return metrics
