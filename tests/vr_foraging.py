"""AIND's real curricula (``aind-behavior-vr-foraging-curricula``, a test dependency) for the tests: the
curricula, the package's own trainer, and session folders its ``metrics_provider`` reads.

Session folders are written in the layout the package's data contract reads
(``behavior/SoftwareEvents/*.json`` and ``behavior/UpdaterEvents/*.json``, JSON Lines of
``SoftwareEvent``), so the package's own ``metrics_from_dataset`` computes the metrics from them; no
``metrics.json`` is written.
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

PACKAGE = "aind_behavior_vr_foraging_curricula"
BIN = Path(sys.executable).parent


def curricula() -> list[str]:
    """The package's curricula, as its ``curriculum list`` names them."""
    from aind_behavior_vr_foraging_curricula.cli import _KNOWN_CURRICULA

    return sorted(_KNOWN_CURRICULA)


def module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def aind_json(name: str) -> dict[str, Any]:
    """The curriculum as aind's own API writes it."""
    return json.loads(module(name).CURRICULUM.model_dump_json())


def console_script(name: str) -> str:
    found = BIN / name
    if found.exists():
        return str(found)
    which = shutil.which(name)
    assert which, f"{name} is not installed (pip install -e '.[test]')"
    return which


def write_session(
    folder: Path,
    *,
    sites: int = 10,
    choices_per_patch: int = 1,
    patches: list[int] | None = None,
    site_length: float = 30.0,
    water_ul: float = 5.0,
    rewards: int = 10,
    stop_offset: float = 0.2,
    delay: float = 0.1,
) -> Path:
    """A session folder for the depletion-family ``metrics_from_dataset``: ``patches`` lists the patch
    (state index) of each visit, each visit with ``choices_per_patch`` choices."""
    patches = [0] if patches is None else patches
    events = folder / "behavior" / "SoftwareEvents"
    updaters = folder / "behavior" / "UpdaterEvents"
    logs = folder / "behavior" / "Logs"
    for d in (events, updaters, logs):
        d.mkdir(parents=True, exist_ok=True)
    (logs / "tasklogic_output.json").write_text(json.dumps({"version": "1.3.2"}))

    def write(directory: Path, name: str, items: list[tuple[float, Any]]) -> None:
        lines = [json.dumps({"name": name, "timestamp": t, "data": data}) for t, data in items]
        (directory / f"{name}.json").write_text("".join(line + "\n" for line in lines))

    t = 0.0
    visits, choices = [], []
    for patch in patches:
        visits.append((t, {"state_index": patch, "label": f"Patch{patch}"}))
        for _ in range(choices_per_patch):
            t += 0.1
            choices.append((t, True))
        t += 1.0
    visits.append((t + 1.0, {"state_index": patches[-1], "label": "end"}))  # closes the last visit
    write(events, "ActivePatch", visits)
    write(events, "ChoiceFeedback", choices)
    write(
        events,
        "ActiveSite",
        [(0.5 * i, {"label": "RewardSite", "length": site_length}) for i in range(sites)],
    )
    write(events, "GiveReward", [(1.0 * i, water_ul) for i in range(rewards)])
    write(updaters, "UpdaterStopDurationOffset", [(1.0, stop_offset)])
    write(updaters, "UpdaterRewardDelayOffset", [(1.0, delay)])
    return folder


def fresh_state(trainer: Any, state: Any) -> Any:
    """A state whose stage is a copy, as aind's ``curriculum run`` reads it from a file in a new process
    (its ``Trainer.evaluate`` changes the stage object in place)."""
    return trainer.trainer_state_model(
        curriculum=trainer.curriculum,
        stage=state.stage.model_copy(deep=True) if state.stage is not None else None,
        is_on_curriculum=state.is_on_curriculum,
        active_policies=state.active_policies,
    )


def view_of_aind(state: Any) -> tuple[str, list[str], Any]:
    policies = sorted(p.name.rpartition(".")[2] for p in (state.active_policies or []))
    return state.stage.name, policies, json.loads(state.stage.task.task_parameters.model_dump_json())


def view_of_state_json(data: dict[str, Any]) -> tuple[str, list[str], Any]:
    """The same view of a TrainerState as JSON (what either command prints)."""
    policies = sorted(p.rpartition(".")[2] for p in (data.get("active_policies") or []))
    return data["stage"]["name"], policies, data["stage"]["task"]["task_parameters"]
