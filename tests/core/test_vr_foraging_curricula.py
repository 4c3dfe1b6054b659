"""AIND's published curricula (``aind-behavior-vr-foraging-curricula`` 1.3.2), every one of them: lossless
round trip, the package's own classes accept what we write, our trainer agrees with aind's on random
trajectories, and trainer states / suggestions pass both ways."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from curriculum_gui.cli import main
from curriculum_gui.core import aind_format, native_format
from curriculum_gui.core.aind_metrics import metrics_class, validate_metrics
from curriculum_gui.core.files import open_curriculum
from curriculum_gui.core.model import Point
from curriculum_gui.core.python_rules import references, runner_for
from curriculum_gui.core.python_source import function_source
from curriculum_gui.core.rule_conversion import MetricsSampler, numbers_in
from curriculum_gui.core.trainer import Trainer
from tests.vr_foraging import (
    PACKAGE,
    aind_json,
    curricula,
    fresh_state,
    module,
    view_of_aind,
    view_of_state_json,
)

CURRICULA = curricula()


def test_the_package_defines_nine_curricula() -> None:
    assert len(CURRICULA) == 9
    assert {"depletion", "learning_sets", "single_site"} <= set(CURRICULA)


@pytest.mark.parametrize("name", CURRICULA)
def test_open_edit_save_export_is_equal_to_aind_and_valid_for_the_package(name: str, tmp_path: Path) -> None:
    theirs = aind_json(name)
    exported = tmp_path / "aind.json"
    exported.write_text(json.dumps(theirs, indent=3))
    opened = open_curriculum(exported)
    assert opened.format == "aind"
    curriculum = opened.curriculum
    assert curriculum.pkg_location == f"{PACKAGE}.{name}"
    assert all(s.metrics_provider and s.task.version == "1.3.2" for s in curriculum.stages)
    # edits of what aind has no place for (positions, descriptions) change nothing it reads
    curriculum.stages[0].position = Point(x=40, y=80)
    curriculum.description = "edited here"
    native = tmp_path / "native.json"
    native_format.save(curriculum, native)
    assert json.loads(native.read_text())["format_version"] == 2
    back = aind_format.curriculum_to_aind_data(native_format.load(native))
    assert back == theirs
    # the package's own Curriculum subclass validates it and writes it back the same
    cls = type(module(name).CURRICULUM)
    assert json.loads(cls.model_validate_json(json.dumps(back)).model_dump_json()) == theirs


def test_convert_command_round_trips_a_real_curriculum(tmp_path: Path, capsys) -> None:
    source = tmp_path / "single_site.json"
    source.write_text(json.dumps(aind_json("single_site")))
    native, back = tmp_path / "n.json", tmp_path / "back.json"
    assert main(["convert", str(source), "-o", str(native), "--to", "native"]) == 0
    assert main(["convert", str(native), "-o", str(back), "--to", "aind"]) == 0
    capsys.readouterr()
    assert json.loads(back.read_text()) == aind_json("single_site")


def _setup(name: str):
    curriculum = aind_format.curriculum_from_data(aind_json(name), name)
    runner = runner_for(modules=[PACKAGE])
    cls = metrics_class(curriculum, runner)
    assert cls is not None, f"{name}: no Metrics class found from its rules"
    numbers = sorted({n for ref in references(curriculum) for n in numbers_in(function_source(ref))})
    return curriculum, runner, cls, numbers


def _random_metrics(sampler: MetricsSampler, cls) -> tuple[object, dict]:
    for _ in range(200):
        try:
            instance = validate_metrics(cls, sampler.metrics(cls))
        except Exception:
            continue
        return instance, json.loads(instance.model_dump_json())
    raise AssertionError(f"no random metrics fit {cls.__name__}")


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", CURRICULA)
def test_ten_random_trajectories_agree_step_by_step_with_aind(name: str) -> None:
    curriculum, runner, cls, numbers = _setup(name)
    theirs = module(name).TRAINER
    ours = Trainer(curriculum, python_rules=runner)
    sampler = MetricsSampler(random.Random(f"trajectories {name}"), numbers, high=0.5)
    for trajectory in range(10):
        a = fresh_state(theirs, theirs.create_enrollment())
        b = ours.enroll()
        assert view_of_aind(a) == (ours.stage_name(b.stage_id), sorted(ours.policy_names(b)), b.parameters)
        for step in range(6):
            instance, values = _random_metrics(sampler, cls)
            seed = sampler.rng.random()  # learning_sets' policies draw a patch sequence from `random`
            random.seed(seed)
            a = fresh_state(theirs, theirs.evaluate(fresh_state(theirs, a), instance))
            random.seed(seed)
            evaluation = ours.evaluate(b, values)
            assert not evaluation.error, evaluation.message
            b = evaluation.state
            where = f"{name}, trajectory {trajectory}, step {step + 1}, metrics {values}"
            assert view_of_aind(a) == (
                ours.stage_name(b.stage_id),
                sorted(ours.policy_names(b)),
                b.parameters,
            ), where


def _suggest(capsys, *args: str) -> dict:
    code = main(["suggest", *args, "--trust-module", PACKAGE])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("name", CURRICULA)
def test_trainer_states_and_suggestions_pass_both_ways(name: str, tmp_path: Path, capsys) -> None:
    from aind_behavior_curriculum import Metrics, TrainerState
    from aind_behavior_vr_foraging_curricula.cli import CurriculumSuggestion

    _, _, cls, numbers = _setup(name)
    trainer = module(name).TRAINER
    sampler = MetricsSampler(random.Random(f"suggestions {name}"), numbers)
    state_file, metrics_file = tmp_path / "state.json", tmp_path / "metrics.json"
    state_file.write_text(trainer.create_enrollment().model_dump_json())  # as `curriculum init` writes it
    for _ in range(3):
        instance, values = _random_metrics(sampler, cls)
        metrics_file.write_text(json.dumps(values))
        # theirs -> ours: aind's state is our input; ours -> theirs: our suggestion is aind's input
        seed = sampler.rng.random()  # learning_sets' policies draw a patch sequence from `random`
        random.seed(seed)
        ours = _suggest(capsys, "--input-trainer-state", str(state_file), "--metrics", str(metrics_file))
        random.seed(seed)
        expected = trainer.evaluate(
            fresh_state(trainer, trainer.trainer_state_model.model_validate_json(state_file.read_text())),
            instance,
        )
        assert view_of_state_json(ours["trainer_state"]) == view_of_aind(expected)
        suggestion = CurriculumSuggestion[TrainerState, Metrics].model_validate_json(json.dumps(ours))
        assert suggestion.trainer_state.stage.name == expected.stage.name
        read_back = trainer.trainer_state_model.model_validate_json(json.dumps(ours["trainer_state"]))
        assert json.loads(read_back.model_dump_json()) == ours["trainer_state"]
        assert ours["metrics"] == values and ours["version"] == "1.3.2" and ours["dsl_version"] == "0.0.42"
        # next session from aind's own serialisation of the state we suggested
        state_file.write_text(read_back.model_dump_json())
    # a whole CurriculumSuggestion file (as the launcher keeps it) is read as its trainer state
    (tmp_path / "suggestion.json").write_text(json.dumps(ours))
    again = _suggest(
        capsys, "--input-trainer-state", str(tmp_path / "suggestion.json"), "--metrics", str(metrics_file)
    )
    assert again["trainer_state"]["curriculum"] == aind_json(name)
