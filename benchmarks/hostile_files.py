"""How long ``validate`` takes on the worst curriculum files the readers accept, and how fast they refuse
the ones over a limit (``curriculum_gui/core/limits.py``; the README lists the limits).

Run: ``.venv/bin/python benchmarks/hostile_files.py [--keep DIR]``. Each file is written to a temporary
folder, then read and validated as ``curriculum-gui validate`` does (``open_curriculum`` + ``validate``),
best of two runs, in CPU seconds of this process (other work on the machine inflates wall time; both are
printed). Prints one line per file and, last, ``worst_accepted_validate_s: X`` (the goal: under 2 s on
the project's 2-core machine) and ``worst_refusal_s: Y``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from curriculum_gui.core import limits  # noqa: E402
from curriculum_gui.core.errors import LoadError  # noqa: E402
from curriculum_gui.core.files import open_curriculum  # noqa: E402
from curriculum_gui.core.validation import validate  # noqa: E402

L = limits
Doc = dict[str, Any]


def native(stages: list[Doc], transitions: list[Doc], metrics: list[Doc], **extra: Any) -> Doc:
    return {
        "format": "curriculum-gui",
        "format_version": 2,
        "name": "hostile",
        "version": "1.0.0",
        "metrics": metrics,
        "stages": stages,
        "stage_transitions": transitions,
        "start_stage": stages[0]["id"] if stages else None,
        **extra,
    }


def metrics(n: int = L.MAX_METRICS, description: str = "") -> list[Doc]:
    return [{"name": f"metric_{i}", "type": "number", "description": description} for i in range(n)]


def chain(
    n_stages: int = L.MAX_STAGES,
    policies_per_stage: int = L.MAX_POLICIES // L.MAX_STAGES,
    condition: Callable[[int], str] = lambda i: f"metric_{i % 1000} > {i} and sessions_in_stage >= 2",
    update: Callable[[int], str] = lambda i: f"x = clamp(x + metric_{i % 1000}, 0, 100)",
    description: str = "",
    parameters: Callable[[int], Doc] = lambda i: {"x": 1.0},
    branches: int = 1,
) -> Doc:
    """Stages in a chain (each also to the ``branches - 1`` stages after the next: several outgoing
    transitions in priority order); every stage's policies in a chain, while the transition limit lasts."""
    transitions = [
        {
            "id": f"t{s}_{b}",
            "source": f"s{s}",
            "destination": f"s{s + 1 + b}",
            "rule": {"expression": condition(s + b)},
        }
        for s in range(n_stages - 1)
        for b in range(branches)
        if s + 1 + b < n_stages
    ]
    stages = []
    budget = L.MAX_TRANSITIONS - len(transitions)
    for s in range(n_stages):
        pols = [
            {
                "id": f"s{s}p{p}",
                "name": f"P{p}",
                "description": description,
                "updates": {"expression": update(s * 10 + p)},
            }
            for p in range(policies_per_stage)
        ]
        ptrans = []
        for p in range(policies_per_stage - 1):
            if budget > 0:
                budget -= 1
                ptrans.append(
                    {
                        "id": f"s{s}t{p}",
                        "source": f"s{s}p{p}",
                        "destination": f"s{s}p{p + 1}",
                        "rule": {
                            "expression": condition(s * 10 + p).replace(
                                "sessions_in_stage", "sessions_in_policy"
                            )
                        },
                    }
                )
        stages.append(
            {
                "id": f"s{s}",
                "name": f"Stage {s}",
                "description": description,
                "terminal": s == n_stages - 1,
                "task": {"name": "task", "description": description, "parameters": parameters(s)},
                "policies": pols,
                "policy_transitions": ptrans,
                "start_policies": [pols[0]["id"]] if pols else [],
            }
        )
    return native(stages, transitions, metrics())


def unknown_names(i: int) -> str:
    """A rule full of names that are not metrics: each asks for a did-you-mean search."""
    return " and ".join(f"metrik{k}_{i} > 0" for k in range(4))


def big_rule(i: int) -> str:
    """About 10,000 characters and just under the compiler's 2,000 syntax nodes."""
    return " and ".join(f"metric_{(i + k) % 1000} > {k}" for k in range(380))


def big_update(i: int) -> str:
    return "\n".join(f"x = clamp(x + metric_{(i + k) % 1000} * {k}, 0, 100)" for k in range(125))


def max_parameters(s: int) -> Doc:
    per_task = L.MAX_PARAMETER_VALUES // L.MAX_STAGES - 1
    return {"x": 1.0, **{f"p{k}": "v" * 400 for k in range(per_task - 1)}}


def aind(n_stages: int = L.MAX_STAGES, per_stage: int = L.MAX_POLICIES // L.MAX_STAGES) -> Doc:
    nodes = {}
    for s in range(n_stages):
        refs = {str(p): f"pkg.policies.p{s}_{p}" for p in range(per_stage)}
        pgraph = {str(p): [[f"pkg.rules.r{s}_{p}", p + 1]] for p in range(per_stage - 1)}
        nodes[str(s)] = {
            "name": f"Stage {s}",
            "task": {"name": "t", "description": "d", "task_parameters": {f"p{k}": k for k in range(99)}},
            "graph": {"nodes": refs, "graph": pgraph},
            "start_policies": [refs["0"]],
        }
    graph = {str(s): [[f"pkg.rules.stage_{s}", s + 1]] for s in range(n_stages - 1)}
    return {"name": "hostile", "version": "1.0.0", "graph": {"nodes": nodes, "graph": graph}}


def filled(text_chars: int) -> Doc:
    """Every description at its limit, on as many objects as fit in the file size limit."""
    description = "d" * text_chars
    per_stage = 7 * (text_chars + 100)  # the stage, its task and its 5 policies
    n_stages = min(L.MAX_STAGES, int(L.MAX_FILE_BYTES * 0.9) // per_stage)
    return chain(n_stages=n_stages, policies_per_stage=5, description=description)


ACCEPTED: dict[str, Callable[[], Doc]] = {
    f"max counts, {L.MAX_POLICIES + L.MAX_TRANSITIONS:,} small rules": lambda: chain(),
    "max counts, 3 transitions a stage": lambda: chain(branches=3),
    "max counts, rules full of unknown names": lambda: chain(
        condition=unknown_names, update=lambda i: "y = 1"
    ),
    "all rule text, 10,000-character rules": lambda: chain(
        n_stages=12, policies_per_stage=2, condition=big_rule, update=big_update
    ),
    "max parameter values (100,000, long texts)": lambda: chain(parameters=max_parameters),
    "descriptions at their limit, ~48 MB": lambda: filled(L.MAX_DESCRIPTION_CHARS),
    "aind JSON, max stages and policies": aind,
}

REFUSED: dict[str, Callable[[], Doc | bytes]] = {
    "1,000,000 stages": lambda: native([{"id": f"s{i}", "name": "S"} for i in range(1_000_000)], [], []),
    "49 MB description": lambda: native([], [], [], description="d" * (49 * 1024 * 1024)),
    "200,000-stage chain": lambda: native(
        [{"id": f"s{i}", "name": f"S{i}"} for i in range(200_000)],
        [{"id": f"t{i}", "source": f"s{i}", "destination": f"s{i + 1}"} for i in range(199_999)],
        [],
    ),
    "20,000 metrics": lambda: native([], [], metrics(20_000)),
    "5,000,000 parameter values": lambda: native(
        [{"id": "s", "name": "S", "task": {"parameters": {"blob": list(range(5_000_000))}}}], [], []
    ),
    "aind, 1,000,000 nodes": lambda: {"graph": {"nodes": {str(i): {"name": "S"} for i in range(1_000_000)}}},
    "48 MB of nested brackets": lambda: b"[" + b"[]," * 16_000_000 + b"[]]",
    "a parameter nested 60 deep, 300,000 times": lambda: native(
        [{"id": "s", "name": "S", "task": {"parameters": {"x": [[[0] * 0] * 1] * 300_000}}}], [], []
    ),
}


def measure(path: Path) -> tuple[float, float, str]:
    """(CPU seconds, wall seconds, outcome), the best of two runs."""
    cpu = wall = float("inf")
    outcome = ""
    for _ in range(2):
        start, start_cpu = time.perf_counter(), time.process_time()
        try:
            problems = validate(open_curriculum(path).curriculum)
            errors = sum(1 for p in problems if p.severity.value == "error")
            outcome = f"accepted, {len(problems)} problems ({errors} errors)"
        except LoadError as exc:
            outcome = f"refused: {exc.reason}"
        cpu = min(cpu, time.process_time() - start_cpu)
        wall = min(wall, time.perf_counter() - start)
    return cpu, wall, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="write the files here (default: a temporary folder)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="hostile-"))
    folder.mkdir(parents=True, exist_ok=True)
    worst_accepted = worst_refused = 0.0
    for group, cases in (("accepted", ACCEPTED), ("refused", REFUSED)):
        for i, (label, make) in enumerate(cases.items()):
            data = make()
            raw = data if isinstance(data, bytes) else json.dumps(data).encode()
            path = folder / f"{group}_{i}.json"
            path.write_bytes(raw)
            seconds, wall, outcome = measure(path)
            ok = outcome.startswith("accepted") == (group == "accepted")
            flag = "" if ok else "  <-- UNEXPECTED"
            print(
                f"{label:44s} {len(raw) / 1e6:5.1f} MB {seconds:5.2f} s ({wall:5.2f} s wall)  {outcome}{flag}"
            )
            if group == "accepted":
                worst_accepted = max(worst_accepted, seconds)
            else:
                worst_refused = max(worst_refused, seconds)
            if not args.keep:
                path.unlink()
    print(f"worst_accepted_validate_s: {worst_accepted:.2f}")
    print(f"worst_refusal_s: {worst_refused:.2f}")


if __name__ == "__main__":
    main()
