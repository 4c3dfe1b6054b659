"""The wheel built from this repository works on its own: in a clean venv it validates every bundled
example, renders the window with --screenshot (editor and subjects), and carries the application's
icons, desktop files and the examples' metrics files.

Slow (a build and an install, from pip's cache on a set-up machine), but it is the only test that catches a
resource left out of the wheel or an import that only works from the source tree.
"""

import os
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
    assert "curriculum_gui/resources/examples/two_choice_visual.metrics.csv" in names
    assert "curriculum_gui/resources/schema/curriculum.schema.json" in names
    assert "curriculum_gui/resources/icons/curriculum-gui.svg" in names
    assert "curriculum_gui/resources/desktop/org.curriculumgui.CurriculumGui.desktop" in names
    assert "curriculum_gui/resources/desktop/org.curriculumgui.CurriculumGui.metainfo.xml" in names
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

    app = str(env_dir / "bin" / "curriculum-gui")
    listed = _run(
        [str(python), "-c", "from curriculum_gui import resources; print(*resources.examples(), sep='\\n')"],
        cwd=tmp_path,
    )
    examples = [Path(line) for line in listed.stdout.split()]
    assert example in examples
    for path in examples:  # every bundled example, and the metrics file that goes with it
        result = _run([app, "validate", str(path)], cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert path.with_name(path.stem + ".metrics.csv").is_file(), path

    # The window renders from the wheel alone: the editor (icons, example) and the subjects (the store,
    # its migrations) on a fresh demo database.
    headless = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_RUNTIME_DIR": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    db = tmp_path / "demo.sqlite3"
    made = subprocess.run(
        [app, "demo", "--db", str(db)], cwd=tmp_path, env=headless, capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    for view in ("editor", "subjects"):
        shot = tmp_path / f"{view}.png"
        run = subprocess.run(
            [app, "--screenshot", str(shot), "--view", view, "--db", str(db)],
            cwd=tmp_path,
            env=headless,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert shot.stat().st_size > 10_000, f"{view}: an empty picture"
        assert "propagateSizeHints" not in run.stderr
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
