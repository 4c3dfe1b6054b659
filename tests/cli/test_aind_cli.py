"""Command line: convert between native and aind JSON; validate either format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curriculum_gui.cli import main
from curriculum_gui.core import aind_format, native_format
from curriculum_gui.core.files import open_curriculum

DATA = Path(__file__).resolve().parents[1] / "data" / "aind"
EXAMPLE = DATA / "example_project_curriculum.json"
MAIN_REFS = DATA / "example_project_curriculum_as_script_main_refs.json"


def test_validate_accepts_aind_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLE)]) == 0
    assert "aind format" in capsys.readouterr().out


@pytest.mark.parametrize("path", [EXAMPLE, MAIN_REFS], ids=lambda p: p.stem)
def test_convert_aind_native_aind_round_trip(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    native = tmp_path / "c.curriculum.json"
    back = tmp_path / "back.json"
    assert main(["convert", str(path), "-o", str(native), "--to", "native"]) == 0
    assert native_format.is_native(json.loads(native.read_text()))
    assert main(["convert", str(native), "-o", str(back), "--to", "aind"]) == 0
    assert json.loads(back.read_text()) == json.loads(path.read_text())
    assert open_curriculum(back).curriculum == open_curriculum(path).curriculum
    assert "written (aind)" in capsys.readouterr().out


def test_convert_expression_curriculum_to_aind_fails_in_one_line(
    tmp_path: Path, example_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.json"
    assert main(["convert", str(example_path), "-o", str(out), "--to", "aind"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "aind-package" in err
    assert not out.exists()


def test_convert_bad_input_fails_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(EXAMPLE.read_text())
    data["graph"]["graph"]["0"][0] = [{"rule": "x.y"}, 1]
    bad = tmp_path / "old.json"
    bad.write_text(json.dumps(data))
    assert main(["convert", str(bad), "-o", str(tmp_path / "o.json"), "--to", "native"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "0.0.29" in err and str(bad) in err


def test_convert_needs_a_target_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main_exit(["convert", str(EXAMPLE), "-o", "x.json", "--to", "yaml"]) == 2


def main_exit(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code)


def test_aind_export_file_reloads(tmp_path: Path) -> None:
    out = tmp_path / "x.json"
    aind_format.save(open_curriculum(EXAMPLE).curriculum, out)
    assert open_curriculum(out).format == "aind"


# --- suggest ------------------------------------------------------------------------------------


def _suggest(capsys, *args: str) -> tuple[int, dict | None, str]:
    code = main(["suggest", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else None), err


def _metrics(tmp_path: Path, **values: int) -> str:
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps({"theta_1": 0, "theta_2": 0, "theta_3": 0, **values}))
    return str(path)


def test_suggest_matches_aind_trainer_states(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _suggest(
        capsys,
        "--input-trainer-state",
        str(DATA / "trainer_state_enrollment.json"),
        "--metrics",
        _metrics(tmp_path, theta_1=6),
        "--trust-module",
        "example_project",
    )
    assert code == 0, err
    assert set(out) == {"trainer_state", "metrics", "version", "dsl_version"}
    assert out["trainer_state"] == json.loads((DATA / "trainer_state_stageA_policyA.json").read_text())
    assert out["metrics"] == {"theta_1": 6, "theta_2": 0, "theta_3": 0}
    assert out["version"] == "0.1.0" and out["dsl_version"] == "0.0.42"


def test_suggest_stage_transition_and_data_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _metrics(tmp_path, theta_2=11)
    code, out, err = _suggest(
        capsys,
        str(EXAMPLE),
        "--input-trainer-state",
        str(DATA / "trainer_state_stageA_policyA.json"),
        "--data-directory",
        str(tmp_path),
        "--trust-python-rules",
    )
    assert code == 0, err
    assert out["trainer_state"] == json.loads((DATA / "trainer_state_graduated.json").read_text())


def test_suggest_default_state_enrolls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _suggest(
        capsys,
        str(EXAMPLE),
        "--input-trainer-state",
        str(DATA / "trainer_state_default.json"),
        "--metrics",
        _metrics(tmp_path),
    )
    assert code == 0
    assert out["trainer_state"] == json.loads((DATA / "trainer_state_enrollment.json").read_text())


def test_suggest_off_curriculum_stays_off(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _suggest(
        capsys,
        "--input-trainer-state",
        str(DATA / "trainer_state_off_curriculum.json"),
        "--metrics",
        _metrics(tmp_path),
    )
    assert code == 0
    assert out["trainer_state"] == json.loads((DATA / "trainer_state_off_curriculum.json").read_text())


def test_suggest_untrusted_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _suggest(
        capsys,
        "--input-trainer-state",
        str(DATA / "trainer_state_enrollment.json"),
        "--metrics",
        _metrics(tmp_path),
    )
    assert code == 2
    assert "not trusted" in err and err.count("\n") == 1


def test_suggest_output_loads_in_aind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess
    import sys
    import textwrap

    code, out, _ = _suggest(
        capsys,
        "--input-trainer-state",
        str(DATA / "trainer_state_enrollment.json"),
        "--metrics",
        _metrics(tmp_path, theta_1=11),
        "--trust-python-rules",
    )
    assert code == 0
    path = tmp_path / "suggestion.json"
    path.write_text(json.dumps(out))
    script = textwrap.dedent(
        f"""
        import json
        from aind_behavior_curriculum import Metrics, TrainerState
        data = json.load(open({str(path)!r}))
        state = TrainerState.model_validate_json(json.dumps(data["trainer_state"]))
        Metrics.model_validate(data["metrics"])
        print(state.stage.name, [p.name for p in state.active_policies])
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "StageA ['example_project.curriculum.stageA_policyB_rule']"
