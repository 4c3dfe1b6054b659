"""Body weight at the rig: the fraction of baseline the rules read, the lab's threshold, and which stage
changes count as a promotion (held back from an underweight mouse unless a person accepts it).

No database here: the store keeps the grams and the baseline and calls these.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from .model import Curriculum

WEIGHT_FRACTION = "weight_fraction"
"""The metric a curriculum declares to read ``weight / baseline``; the store fills it in per session."""
WEIGHT_COLUMN = "weight_g"
"""A metrics-file column holding the session's body weight in grams (recorded as the session's weight)."""
DEFAULT_THRESHOLD = 0.8
MAX_GRAMS = 10_000.0  # a mouse, a rat, a marmoset: anything above is a typing error


def check_grams(value: Any, what: str = "a weight") -> float:
    """A weight in grams as typed or read: a finite number above 0 and below :data:`MAX_GRAMS`.
    ValueError saying what is wrong otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number of grams, not {value!r}")
    if isinstance(value, str):
        text = value.strip().lower().removesuffix("g").strip().replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{what} must be a number of grams (e.g. 23.4), not {value!r}") from None
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number of grams, not {value!r}")
    if not 0 < value < MAX_GRAMS:
        raise ValueError(f"{what} must be between 0 and {MAX_GRAMS:g} g (found {value:g})")
    return float(value)


def check_threshold(value: Any) -> float:
    """A lab threshold: a fraction of baseline in (0, 2]."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"the weight threshold must be a number, e.g. 0.8 (found {value!r})")
    if not 0 < value <= 2:
        raise ValueError(f"the weight threshold is a fraction of baseline, e.g. 0.8 (found {value:g})")
    return float(value)


def weight_fraction(grams: float | None, baseline: float | None) -> float | None:
    """``grams / baseline`` rounded to 4 decimals (so 20 g of 25 g is exactly 0.8); None without both."""
    if grams is None or not baseline:
        return None
    return round(grams / baseline, 4)


def is_underweight(fraction: float | None, threshold: float) -> bool:
    return fraction is not None and fraction < threshold


def stage_depths(curriculum: Curriculum) -> dict[str, int]:
    """Each stage's distance from the start stage along stage transitions (breadth first); stages not
    reachable from it come after every reachable one, in list order."""
    depth: dict[str, int] = {}
    start = curriculum.start_stage or (curriculum.stages[0].id if curriculum.stages else None)
    if start is not None:
        depth[start] = 0
        queue = deque([start])
        while queue:
            here = queue.popleft()
            for t in curriculum.outgoing_stage_transitions(here):
                if t.destination not in depth:
                    depth[t.destination] = depth[here] + 1
                    queue.append(t.destination)
    deepest = max(depth.values(), default=0)
    for index, stage in enumerate(curriculum.stages):
        depth.setdefault(stage.id, deepest + 1 + index)
    return depth


def is_promotion(curriculum: Curriculum, from_stage: str | None, to_stage: str | None) -> bool:
    """A move further along the curriculum (farther from the start stage; equal distance: later in the
    list). A regression or staying put is not a promotion."""
    if from_stage is None or to_stage is None or from_stage == to_stage:
        return False
    depth = stage_depths(curriculum)
    order = {s.id: i for i, s in enumerate(curriculum.stages)}
    key_from = (depth.get(from_stage, 0), order.get(from_stage, 0))
    key_to = (depth.get(to_stage, 0), order.get(to_stage, 0))
    return key_to > key_from
