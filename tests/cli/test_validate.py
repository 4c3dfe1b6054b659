"""`curriculum-gui validate`: exit 0 / 1 / 2, one line per problem, never a traceback whatever the bytes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from curriculum_gui.cli import main

GOOD_HEADER = '{"format": "curriculum-gui", "format_version": 1'

MALFORMED: dict[str, bytes] = {
    "empty": b"",
    "whitespace": b"   \n\t ",
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "truncated": (GOOD_HEADER + ', "stages": [{"id": "a", "na').encode(),
    "deeply_nested": b"[" * 100_000 + b"]" * 100_000,
    "deep_objects": b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    "latin1": '{"format": "curriculum-gui", "name": "Souris \xe9tape"}'.encode("latin-1"),
    "utf16": '{"format": "curriculum-gui"}'.encode("utf-16"),
    "nan": (GOOD_HEADER + ', "stages": [{"id": "a", "name": "A", "position": {"x": NaN, "y": 0}}]}').encode(),
    "infinity": (GOOD_HEADER + ', "version": Infinity}').encode(),
    "top_level_list": b"[1, 2, 3]",
    "top_level_string": b'"curriculum"',
    "null": b"null",
    "number": b"12",
    "other_json": b'{"hello": "world"}',
    "wrong_format": b'{"format": "something-else", "format_version": 1}',
    "future_version": b'{"format": "curriculum-gui", "format_version": 99}',
    "wrong_types": (GOOD_HEADER + ', "stages": "not a list"}').encode(),
    "stage_without_id": (GOOD_HEADER + ', "stages": [{"name": "A"}]}').encode(),
    "bad_rule_shape": (
        GOOD_HEADER + ', "stages": [{"id": "a", "name": "A", "policies": '
        '[{"id": "p", "name": "P", "updates": {"code": "import os"}}]}]}'
    ).encode(),
    "huge_number": (
        GOOD_HEADER + ', "stages": [{"id": "a", "name": "A", "position": {"x": 1e999, "y": 0}}]}'
    ).encode(),
    "huge_parameter": (
        GOOD_HEADER + ', "stages": [{"id": "a", "name": "A", "task": {"parameters": {"x": -2e400}}}]}'
    ).encode(),
    "control_chars": b'{"format": "curriculum-gui\x01"}',
    "lone_surrogate": b'{"format": "\\ud800"}',
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_files_exit_2_with_one_line(name: str, tmp_path: Path, capsys) -> None:
    path = tmp_path / f"{name}.json"
    path.write_bytes(MALFORMED[name])
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(path) in lines[0]
    assert "Traceback" not in err


def test_missing_file_and_directory(tmp_path: Path, capsys) -> None:
    assert main(["validate", str(tmp_path / "nope.json")]) == 2
    assert main(["validate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no such file" in err and "is a directory" in err


def test_huge_file_is_refused_without_reading_it_all(tmp_path: Path, capsys) -> None:
    path = tmp_path / "huge.json"
    with open(path, "wb") as handle:
        handle.write(b'{"format": "curriculum-gui", "pad": "')
        handle.truncate(60 * 1024 * 1024)
    assert main(["validate", str(path)]) == 2
    assert "larger than 50 MB" in capsys.readouterr().err


def test_valid_file_exits_0(example_path: Path, capsys) -> None:
    assert main(["validate", str(example_path)]) == 0
    assert "ok (native format, 6 stages)" in capsys.readouterr().out


def test_problems_exit_1_one_line_each(example_path: Path, tmp_path: Path, capsys) -> None:
    data = json.loads(example_path.read_text())
    data["start_stage"] = None
    data["stage_transitions"][0]["destination"] = "nowhere"
    path = tmp_path / "problems.json"
    path.write_text(json.dumps(data))
    assert main(["validate", str(path)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines)
    assert any("no start stage" in line for line in lines)
    assert any("'nowhere' is not a stage" in line for line in lines)


def test_warnings_alone_exit_0_unless_asked(example_path: Path, tmp_path: Path, capsys) -> None:
    data = json.loads(example_path.read_text())
    data["stages"][-1]["terminal"] = False  # Graduated becomes a dead end: a warning
    path = tmp_path / "warn.json"
    path.write_text(json.dumps(data))
    assert main(["validate", str(path)]) == 0
    assert "warning: has no way out" in capsys.readouterr().out
    assert main(["validate", "--warnings-as-errors", str(path)]) == 1


def test_validate_never_imports_what_the_file_names(example_path: Path, tmp_path: Path, monkeypatch) -> None:
    marker = tmp_path / "ran.txt"
    (tmp_path / "side_effect_rules.py").write_text(
        f"open({str(marker)!r}, 'w').write('imported')\ndef rule(metrics):\n    return True\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    data = json.loads(example_path.read_text())
    data["stage_transitions"][0]["rule"] = {"python": "side_effect_rules.rule"}
    path = tmp_path / "refs.json"
    path.write_text(json.dumps(data))
    main(["validate", str(path)])
    assert not marker.exists()
    assert "side_effect_rules" not in sys.modules


@pytest.mark.parametrize("name", ["binary", "deeply_nested", "nan", "latin1"])
def test_real_process_prints_no_traceback(name: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(MALFORMED[name])
    result = subprocess.run(
        [sys.executable, "-m", "curriculum_gui.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_version_flag(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("curriculum-gui ")


def test_unknown_command_option_is_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["validate"])
    assert info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_a_rule_that_cannot_compile_fails_validate_and_publish(
    example_path: Path, tmp_path: Path, capsys
) -> None:
    data = json.loads(example_path.read_text())
    data["stages"][0]["policies"][1]["updates"] = {"expression": "reward_volume_ul = 9**9**9"}
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(data))
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert (
        "policy 'Space rewards out': error: rule 'reward_volume_ul = 9**9**9': column 20: power too large"
        in out
    )
    assert main(["publish", str(path), "--db", str(tmp_path / "lab.sqlite3"), "--create"]) == 2
    err = capsys.readouterr().err
    assert (
        "cannot publish" in err and "power too large (more than 4096 bits)" in err and "Traceback" not in err
    )
