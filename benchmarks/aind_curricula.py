"""AIND's real curricula (``aind-behavior-vr-foraging-curricula``): how long what a person waits for takes.

Prints, for the nine curricula: opening the aind JSON here and exporting it back (``round_trip_seconds``),
reading every rule's source without importing (``source_seconds``), converting and checking the simple
conditions (``convert_seconds``, 400 random metric sets each), an evaluation by our trainer and by aind's
(``evaluate_ms_ours`` / ``evaluate_ms_aind``, per session, Python rules trusted), and opening the depletion
curriculum from its package (``open_module_seconds``, the first import of the package included).

    .venv/bin/python benchmarks/aind_curricula.py
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from curriculum_gui.core import aind_format
from curriculum_gui.core.aind_metrics import metrics_class, validate_metrics
from curriculum_gui.core.python_rules import references, runner_for
from curriculum_gui.core.python_source import function_source
from curriculum_gui.core.rule_conversion import MetricsSampler, NotConvertible, convert
from curriculum_gui.core.trainer import Trainer


def main() -> None:
    started = time.perf_counter()
    from curriculum_gui.core.aind_module import open_module

    open_module("aind_behavior_vr_foraging_curricula.depletion")
    print(f"open_module_seconds: {time.perf_counter() - started:.2f}")
    from tests.vr_foraging import PACKAGE, aind_json, curricula, fresh_state, module

    names = curricula()
    data = {name: aind_json(name) for name in names}
    t = time.perf_counter()
    for name in names:
        back = aind_format.curriculum_to_aind_data(aind_format.curriculum_from_data(data[name], name))
        assert back == data[name]
    print(f"round_trip_seconds: {time.perf_counter() - t:.3f} ({len(names)} curricula)")
    runner = runner_for(modules=[PACKAGE])
    refs = sorted(
        {r for name in names for r in references(aind_format.curriculum_from_data(data[name], name))}
    )
    t = time.perf_counter()
    for ref in refs:
        function_source(ref)
    print(f"source_seconds: {time.perf_counter() - t:.3f} ({len(refs)} functions)")
    conditions = sorted({r for name in names for v in data[name]["graph"]["graph"].values() for r, _ in v})
    t = time.perf_counter()
    converted = 0
    for ref in conditions:
        try:
            convert(ref, runner)
            converted += 1
        except NotConvertible:
            pass
    print(f"convert_seconds: {time.perf_counter() - t:.2f} ({converted} of {len(conditions)} converted)")
    for name in ("depletion", "learning_sets"):
        curriculum = aind_format.curriculum_from_data(data[name], name)
        cls = metrics_class(curriculum, runner)
        sampler = MetricsSampler(random.Random(1), [0.0, 1.0, 10.0, 200.0], high=0.5)
        sessions = []
        while len(sessions) < 20:
            try:
                instance = validate_metrics(cls, sampler.metrics(cls))
            except Exception:
                continue
            sessions.append((instance, json.loads(instance.model_dump_json())))
        ours, theirs = Trainer(curriculum, python_rules=runner), module(name).TRAINER
        state = ours.enroll()
        t = time.perf_counter()
        for _, values in sessions:
            state = ours.evaluate(state, values).state
        mine = (time.perf_counter() - t) / len(sessions) * 1000
        a = fresh_state(theirs, theirs.create_enrollment())
        t = time.perf_counter()
        for instance, _ in sessions:
            a = fresh_state(theirs, theirs.evaluate(a, instance))
        aind = (time.perf_counter() - t) / len(sessions) * 1000
        print(f"evaluate_ms_ours[{name}]: {mine:.1f}  evaluate_ms_aind[{name}]: {aind:.1f}")


if __name__ == "__main__":
    main()
