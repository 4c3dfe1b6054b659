"""aind JSON round trips verbatim: every field of aind's model, and fields a newer aind or a subclass adds,
survive open -> edit -> save native -> export aind (no package needed: files shaped like AIND's)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from curriculum_gui.core import aind_format, edits, native_format
from curriculum_gui.core.files import open_curriculum
from curriculum_gui.core.trainer import SubjectState

DATA = Path(__file__).resolve().parents[1] / "data" / "aind"

DISTRIBUTION = {
    "family": "Exponential",
    "distribution_parameters": {"family": "Exponential", "rate": 0.05},
    "truncation_parameters": {"truncation_mode": "exclude", "min": 20.0, "max": 50.0},
    "scaling_parameters": None,
}


def real_world() -> dict:
    """Shaped like AIND's VR foraging curricula: a package's pkg_location, nested parameters with
    distributions and nulls, task version and stage_name, metrics providers, and fields a newer aind or a
    subclass could add at each level."""

    def stage(name: str, policies: list[str], stage_name: str | None) -> dict:
        return {
            "name": name,
            "task": {
                "name": "AindVrForaging",
                "description": "",
                "task_parameters": {
                    "rng_seed": None,
                    "environment": {"blocks": [{"patches": [{"delay": DISTRIBUTION, "label": "PatchZA"}]}]},
                    "updaters": {
                        "StopDurationOffset": {"operation": "Offset", "parameters": {"minimum": 0.1}}
                    },
                },
                "version": "1.3.2",
                "stage_name": stage_name,
                "task_schema_extra": {"added": "by a subclass"},
            },
            "graph": {
                "nodes": {str(i): p for i, p in enumerate(policies)},
                "graph": {str(i): [] for i in range(len(policies))},
            },
            "start_policies": policies,
            "metrics_provider": "lab_curricula.shaping.metrics.metrics_from_dataset",
            "stage_note": None,
        }

    return {
        "pkg_location": "lab_curricula.shaping",
        "name": "Shaping",
        "version": "2.0.1",
        "graph": {
            "nodes": {
                "0": stage("learn", ["lab_curricula.shaping.policies.p_run"], "learn"),
                "1": stage("graduated", [], None),
            },
            "graph": {"0": [["lab_curricula.shaping.curriculum.st_learn_graduated", 1]], "1": []},
        },
        "curriculum_schema": {"newer": ["aind", 1]},
    }


def test_every_field_survives_open_edit_save_export(tmp_path: Path) -> None:
    original = real_world()
    source = tmp_path / "aind.json"
    source.write_text(json.dumps(original))
    curriculum = open_curriculum(source).curriculum
    assert curriculum.pkg_location == "lab_curricula.shaping"
    assert curriculum.aind_extra == {"curriculum_schema": {"newer": ["aind", 1]}}
    learn = curriculum.stages[0]
    assert learn.metrics_provider == "lab_curricula.shaping.metrics.metrics_from_dataset"
    assert (learn.task.version, learn.task.stage_name) == ("1.3.2", "learn")
    assert learn.task.aind_extra == {"task_schema_extra": {"added": "by a subclass"}}
    assert learn.aind_extra == {"stage_note": None}
    assert [p.name for p in learn.policies] == ["p_run"]
    # edit: a parameter, a name, a description
    edits.set_parameter(
        curriculum, learn.id, ["updaters", "StopDurationOffset", "parameters", "minimum"], 0.2
    ).apply(curriculum)
    edits.rename(curriculum, "stage", learn.id, "learn to run").apply(curriculum)
    curriculum.description = "our own notes"
    native = tmp_path / "native.json"
    native_format.save(curriculum, native)
    back = aind_format.curriculum_to_aind_data(native_format.load(native))
    expected = copy.deepcopy(original)
    node = expected["graph"]["nodes"]["0"]
    node["name"] = "learn to run"  # the task's own stage_name is its field: kept as it was
    node["task"]["task_parameters"]["updaters"]["StopDurationOffset"]["parameters"]["minimum"] = 0.2
    assert back == expected


def test_kept_fields_never_override_the_model(tmp_path: Path) -> None:
    """A hand-edited native file cannot smuggle a second 'name' past the model through aind_extra."""
    curriculum = aind_format.curriculum_from_data(real_world(), "x")
    curriculum.aind_extra["name"] = "sneaky"
    curriculum.stages[0].task.aind_extra["task_parameters"] = {}
    data = aind_format.curriculum_to_aind_data(curriculum)
    assert data["name"] == "Shaping"
    assert data["graph"]["nodes"]["0"]["task"]["task_parameters"] != {}


def test_format_1_files_open_without_the_new_fields(tmp_path: Path) -> None:
    data = json.loads(native_format.dumps(aind_format.curriculum_from_data(real_world(), "x")))
    for key in ("pkg_location", "aind_extra"):
        data.pop(key)
    data["format_version"] = 1
    for stage in data["stages"]:
        for key in ("metrics_provider", "aind_extra"):
            stage.pop(key)
        for key in ("version", "stage_name", "aind_extra"):
            stage["task"].pop(key)
    curriculum = native_format.loads(json.dumps(data))
    assert curriculum.pkg_location is None and curriculum.stages[0].metrics_provider is None
    exported = aind_format.curriculum_to_aind_data(curriculum)
    assert exported["pkg_location"] == aind_format.DEFAULT_PKG_LOCATION  # what aind writes for no package


@pytest.mark.parametrize("state_file", sorted(DATA.glob("trainer_state_*.json")), ids=lambda p: p.stem)
def test_aind_trainer_states_pass_through_suggest_data_unchanged(state_file: Path) -> None:
    data = json.loads(state_file.read_text())
    curriculum = aind_format.trainer_state_curriculum(data, str(state_file))
    if curriculum is None:
        return
    state = aind_format.trainer_state_from_data(data, curriculum, str(state_file))
    assert aind_format.trainer_state_to_data(curriculum, state, aind_format.trainer_state_extra(data)) == data


def test_trainer_state_fields_a_subclass_adds_are_kept() -> None:
    curriculum = aind_format.curriculum_from_data(real_world(), "x")
    state = SubjectState(stage_id="stage_0", active_policies=("stage_0.policy_0",), parameters={"a": 1})
    data = aind_format.trainer_state_to_data(curriculum, state, {"subject_id": "M1", "stage": "not this"})
    assert data["subject_id"] == "M1" and data["stage"]["name"] == "learn"
    assert data["stage"]["metrics_provider"] == "lab_curricula.shaping.metrics.metrics_from_dataset"
    assert data["stage"]["task"]["version"] == "1.3.2"
