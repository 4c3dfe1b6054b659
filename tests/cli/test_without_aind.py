"""Without the ``[aind]`` extra: everything works but running Python references, which says what to install.

Each command runs in a fresh interpreter where ``aind_behavior_curriculum`` cannot be imported (a meta-path
finder refuses it, as if it were not installed), so nothing already imported in the test process helps.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA, EXAMPLES, REPO

EXAMPLE = str(EXAMPLES / "two_choice_visual.json")
AIND_JSON = str(DATA / "aind" / "example_project_curriculum.json")

BLOCK_AIND = """
import importlib.abc, sys

class _NoAind(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "aind_behavior_curriculum" or name.startswith("aind_behavior_curriculum."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, _NoAind())
from curriculum_gui.cli import main
code = main(sys.argv[1:])
assert "aind_behavior_curriculum" not in sys.modules, "aind was imported"
raise SystemExit(code)
"""


def cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK_AIND, *argv], capture_output=True, text=True, timeout=120, cwd=REPO
    )


def test_the_block_works() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            BLOCK_AIND.replace("from curriculum_gui.cli import main", "import aind_behavior_curriculum"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert result.returncode != 0 and "No module named 'aind_behavior_curriculum'" in result.stderr


def test_expression_curricula_work_without_aind(tmp_path: Path) -> None:
    assert cli("validate", EXAMPLE).returncode == 0
    native = tmp_path / "copy.json"
    assert cli("convert", EXAMPLE, "-o", str(native), "--to", "native").returncode == 0
    package = cli("convert", EXAMPLE, "-o", str(tmp_path / "pkg"), "--to", "aind-package")
    assert package.returncode == 0, package.stderr
    assert (tmp_path / "pkg" / "pkg" / "curriculum.py").is_file()
    metrics = tmp_path / "m.jsonl"
    session = {"licks_per_reward": 5, "accuracy": [0.9], "trials": [300], "bias": 0.0, "weight_fraction": 1.0}
    metrics.write_text("\n".join(json.dumps(session) for _ in range(3)) + "\n")
    result = cli("simulate", str(native), "--metrics", str(metrics))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["stage"] for line in lines] == [
        "Habituation",
        "Habituation",
        "Warm-up: one side",
        "Two-choice, high contrast",
    ]


def test_aind_json_opens_and_converts_without_aind(tmp_path: Path) -> None:
    result = cli("validate", AIND_JSON)
    assert result.returncode == 0 and "aind format" in result.stdout, result.stderr
    native, back = tmp_path / "n.json", tmp_path / "back.json"
    assert cli("convert", AIND_JSON, "-o", str(native), "--to", "native").returncode == 0
    assert cli("convert", str(native), "-o", str(back), "--to", "aind").returncode == 0
    assert json.loads(back.read_text()) == json.loads(Path(AIND_JSON).read_text())


@pytest.mark.parametrize("trust", [["--trust-python-rules"], ["--trust-module", "example_project"]])
def test_running_python_rules_says_what_to_install(tmp_path: Path, trust: list[str]) -> None:
    metrics = tmp_path / "m.jsonl"
    metrics.write_text('{"theta_1": 6}\n')
    result = cli("simulate", AIND_JSON, "--metrics", str(metrics), *trust)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert "pip install 'curriculum-gui[aind]'" in result.stderr and AIND_JSON in result.stderr


def test_suggest_with_python_rules_says_what_to_install(tmp_path: Path) -> None:
    metrics = tmp_path / "metrics.json"
    metrics.write_text('{"theta_1": 6}')
    state = str(DATA / "aind" / "trainer_state_enrollment.json")
    result = cli(
        "suggest",
        "--input-trainer-state",
        state,
        "--metrics",
        str(metrics),
        "--trust-python-rules",
    )
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "pip install 'curriculum-gui[aind]'" in result.stderr
