"""A lab mixing both tools, session after session, on AIND's real depletion curriculum: each session's
suggestion is the next session's input state, alternating our `suggest`, AIND's own `curriculum run` and
AIND's launcher client (clabe's ``CurriculumApp``) pointed at our command. The metrics always come from the
session folder through the package's own ``metrics_provider``: no ``metrics.json`` is written."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from curriculum_gui.cli import main
from tests.vr_foraging import (
    BIN,
    PACKAGE,
    console_script,
    fresh_state,
    module,
    view_of_aind,
    view_of_state_json,
    write_session,
)

# What each session's folder holds, and the stage aind's own trainer moves the subject to.
SESSIONS = [
    ("ours", {"sites": 20, "patches": [0]}, "one_odor_no_depletion"),  # policies run, no graduation
    ("aind", {"sites": 250, "choices_per_patch": 160, "site_length": 55.0}, "one_odor_w_depletion_day_0"),
    ("launcher", {"patches": [0, 0] * 11}, "all_odors_rewarded"),
    ("aind", {"patches": [0, 1] * 12}, "graduation"),
    ("ours", {"patches": [0, 1] * 12, "water_ul": 100.0}, "graduation"),
]


def _ours(state: Path, folder: Path, capsys) -> str:
    code = main(
        [
            "suggest",
            "--input-trainer-state",
            str(state),
            "--data-directory",
            str(folder),
            "--trust-module",
            PACKAGE,
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def _aind(state: Path, folder: Path) -> str:
    result = subprocess.run(
        [
            console_script("curriculum"),
            "run",
            "--data-directory",
            str(folder),
            "--input-trainer-state",
            str(state),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _launcher(state: Path, folder: Path, project: Path, monkeypatch) -> str:
    """AIND's launcher (clabe) runs `uv run <script> --data-directory D --input-trainer-state S` and parses
    its stdout as a CurriculumSuggestion: here the script is our command."""
    from clabe.apps import CurriculumApp, CurriculumSettings

    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    settings = CurriculumSettings(
        script=[console_script("curriculum-gui"), "suggest", "--trust-module", PACKAGE, "--compact"],
        project_directory=project,
        input_trainer_state=state,
        data_directory=folder,
    )
    app = CurriculumApp(settings, python_script_app_kwargs={"skip_validation": True})
    result = app.run()
    assert result.exit_code == 0, result.stderr
    suggestion = app.process_suggestion()  # clabe's own model reads it
    assert suggestion.trainer_state.stage is not None
    return result.stdout


@pytest.mark.timeout(900)
def test_a_chain_of_sessions_alternating_our_suggest_aind_and_the_launcher(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    trainer = module("depletion").TRAINER
    init = subprocess.run(
        [console_script("curriculum"), "init", "--curriculum", "depletion"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert init.returncode == 0, init.stderr[-2000:]
    state = tmp_path / "state_0.json"
    state.write_text(init.stdout)
    expected = trainer.trainer_state_model.model_validate_json(init.stdout)
    (tmp_path / "project").mkdir()
    for number, (who, session, stage) in enumerate(SESSIONS, start=1):
        folder = write_session(tmp_path / f"session_{number}", **session)
        assert not (folder / "metrics.json").exists()
        if who == "ours":
            out = _ours(state, folder, capsys)
        elif who == "aind":
            out = _aind(state, folder)
        else:
            out = _launcher(state, folder, tmp_path / "project", monkeypatch)
        suggestion = json.loads(out)
        # what aind's own trainer does with the metrics its own provider computes from the same folder
        metrics = module("depletion.metrics").metrics_from_dataset(folder)
        expected = fresh_state(trainer, trainer.evaluate(fresh_state(trainer, expected), metrics))
        assert view_of_state_json(suggestion["trainer_state"]) == view_of_aind(expected), (
            f"session {number} ({who})"
        )
        assert suggestion["trainer_state"]["stage"]["name"] == stage, f"session {number} ({who})"
        assert suggestion["metrics"] == json.loads(metrics.model_dump_json())
        state = tmp_path / f"state_{number}.json"
        state.write_text(json.dumps(suggestion["trainer_state"]))  # the next session's input
    assert {who for who, _, _ in SESSIONS} == {"ours", "aind", "launcher"}


def test_suggest_on_a_session_folder_needs_the_provider_trusted(tmp_path: Path, capsys) -> None:
    trainer = module("depletion").TRAINER
    state = tmp_path / "state.json"
    state.write_text(trainer.create_enrollment().model_dump_json())
    folder = write_session(tmp_path / "session")
    code = main(["suggest", "--input-trainer-state", str(state), "--data-directory", str(folder)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"{PACKAGE}.depletion.metrics" in err and f"--trust-module {PACKAGE}" in err


def test_suggest_compact_and_output_folder_as_aind(tmp_path: Path, capsys) -> None:
    trainer = module("depletion").TRAINER
    state = tmp_path / "state.json"
    state.write_text(trainer.create_enrollment().model_dump_json())
    folder = write_session(tmp_path / "session", sites=20)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    args = ["--input-trainer-state", str(state), "--data-directory", str(folder), "--trust-module", PACKAGE]
    assert main(["suggest", *args, "--compact", "--output-suggestion", str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and json.loads(out) == json.loads((out_dir / "suggestion.json").read_text())
    assert main(["suggest", *args, "--mute-suggestion"]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("n_choices", 160.0, "n_choices: Input should be a valid integer (got 160.0)"),
        ("n_choices", -3, "n_choices: Input should be greater than or equal to 0"),
        ("n_choices", None, "n_choices: Input should be a valid integer (got null)"),
        ("total_water_consumed", "1.5", "total_water_consumed: Input should be a valid number"),
        ("n_patches_visited", "missing", "n_patches_visited: Field required"),
    ],
)
def test_metrics_the_curriculum_class_refuses_are_refused_in_one_line(
    field: str, value, why: str, tmp_path: Path, capsys
) -> None:
    trainer = module("depletion").TRAINER
    state = tmp_path / "state.json"
    state.write_text(trainer.create_enrollment().model_dump_json())
    good = json.loads(
        module("depletion.metrics").metrics_from_dataset(write_session(tmp_path / "s")).model_dump_json()
    )
    bad = dict(good)
    if value == "missing":
        del bad[field]
    else:
        bad[field] = value
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps(bad))
    code = main(
        ["suggest", "--input-trainer-state", str(state), "--metrics", str(metrics), "--trust-module", PACKAGE]
    )
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "DepletionCurriculumMetrics" in err and why in err and str(metrics) in err


def test_per_patch_counts_are_read_as_numbers(tmp_path: Path, capsys) -> None:
    """JSON keys are text; the package's class makes them numbers again, so patch 0 is found."""
    trainer = module("depletion").TRAINER
    stage = next(s for s in trainer.curriculum.see_stages() if s.name == "all_odors_rewarded")
    state = tmp_path / "state.json"
    state.write_text(trainer.create_trainer_state(stage=stage, is_on_curriculum=True).model_dump_json())
    good = json.loads(
        module("depletion.metrics").metrics_from_dataset(write_session(tmp_path / "s")).model_dump_json()
    )
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({**good, "n_patches_visited_per_patch": {"0": 11, "1": 12}}))
    code = main(
        ["suggest", "--input-trainer-state", str(state), "--metrics", str(metrics), "--trust-module", PACKAGE]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["trainer_state"]["stage"]["name"] == "graduation"


def test_a_state_off_the_curriculum_holding_a_stage_is_evaluated_as_aind_does(tmp_path: Path, capsys) -> None:
    trainer = module("depletion").TRAINER
    enrolled = trainer.create_enrollment()
    off = trainer.create_trainer_state(
        stage=enrolled.stage, is_on_curriculum=False, active_policies=enrolled.active_policies
    )
    state = tmp_path / "state.json"
    state.write_text(off.model_dump_json())
    folder = write_session(tmp_path / "session", sites=250, choices_per_patch=160, site_length=55.0)
    out = json.loads(_ours(state, folder, capsys))
    theirs = json.loads(_aind(state, folder))
    assert out["trainer_state"]["is_on_curriculum"] is True
    assert out["trainer_state"] == theirs["trainer_state"]
