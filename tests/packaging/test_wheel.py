"""The wheel built from this repository works on its own: in a clean venv it validates a bundled example.

Slow (a build and an install, from pip's cache on a set-up machine), but it is the only test that catches a
resource left out of the wheel or an import that only works from the source tree.
"""

import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LOCAL_ONLY = (
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    "screenshots",
)

pytestmark = pytest.mark.timeout(900)


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=800)


def test_installed_wheel_validates_a_bundled_example(tmp_path: Path) -> None:
    # Build from a clean copy: setuptools reuses ./build, where files deleted since could linger.
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*LOCAL_ONLY))
    dist = tmp_path / "dist"
    built = _run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(source)],
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = dist.glob("curriculum_gui-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "curriculum_gui/resources/examples/two_choice_visual.json" in names
    assert "curriculum_gui/resources/schema/curriculum.schema.json" in names
    assert any(n.startswith("curriculum_gui/store/migrations/versions/") for n in names)
    assert "curriculum_gui/gui/canvas.py" not in names  # a module that no longer exists

    env_dir = tmp_path / "clean"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    installed = _run([str(python), "-m", "pip", "install", "-q", str(wheel)], cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr[-2000:]

    # Run from an unrelated folder so nothing can come from the source tree.
    where = _run(
        [str(python), "-c", "from curriculum_gui import resources; print(resources.example())"], cwd=tmp_path
    )
    assert where.returncode == 0, where.stderr
    example = Path(where.stdout.strip())
    assert env_dir in example.parents, f"example came from outside the clean venv: {example}"

    result = _run([str(env_dir / "bin" / "curriculum-gui"), "validate", str(example)], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    version = _run([str(env_dir / "bin" / "curriculum-gui"), "--version"], cwd=tmp_path)
    assert version.stdout.startswith("curriculum-gui ")

    schema = _run(
        [
            str(python),
            "-c",
            "from curriculum_gui import resources; print(len(resources.schema().read_text()))",
        ],
        cwd=tmp_path,
    )
    assert schema.returncode == 0 and int(schema.stdout) > 0, schema.stderr
