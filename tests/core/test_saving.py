"""Saving never writes what cannot be opened again, never leaves temporary files behind for good, keeps a
symbolic link a link and does not replace a read-only file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from curriculum_gui.core import native_format
from curriculum_gui.core.errors import LoadError, SaveError
from curriculum_gui.core.model import Curriculum


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_text_too_large_to_open_is_not_written(tmp_path: Path, example: Curriculum) -> None:
    """The readers' size limit, said in their words (the curriculum limits keep real curricula far below)."""
    path = tmp_path / "big.json"
    native_format.save(example, path)
    before = path.read_bytes()
    big = tmp_path / "too-big.json"
    big.write_text('{"a": "' + "x" * (52 * 1024 * 1024) + '"}')
    with pytest.raises(LoadError) as opened:
        native_format.load(big)
    with pytest.raises(SaveError) as saved:
        native_format.atomic_write_text(path, '{"a": "' + "x" * (52 * 1024 * 1024) + '"}')
    reader_says = str(opened.value).split(": ", 1)[1]  # the same words, after the file name
    assert reader_says in str(saved.value) and "not saved" in str(saved.value)
    assert path.read_bytes() == before and leftovers(tmp_path) == []


def test_temporary_files_of_a_killed_save_are_removed(tmp_path: Path, example: Curriculum) -> None:
    path = tmp_path / "c.json"
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(gone.stdout)
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        killed = tmp_path / f".c.json.{dead_pid}-abc123.tmp"
        running = tmp_path / f".c.json.{alive.pid}-def456.tmp"  # another program saving right now
        old = tmp_path / ".c.json.k2j3h4g5.tmp"  # from an older version: no process id in the name
        recent = tmp_path / ".c.json.z9y8x7w6.tmp"
        other = tmp_path / ".d.json.1-abc.tmp"  # another file's
        for leftover in (killed, running, old, recent, other):
            leftover.write_text("partial")
        hours_ago = time.time() - 2 * 3600
        os.utime(old, (hours_ago, hours_ago))
        native_format.save(example, path)
        assert leftovers(tmp_path) == sorted(p.name for p in (running, recent, other))
    finally:
        alive.kill()
        alive.wait()


def test_a_save_killed_midway_leaves_a_temporary_file_the_next_save_removes(
    tmp_path: Path, example: Curriculum
) -> None:
    path = tmp_path / "c.json"
    native_format.save(example, path)
    script = (
        "import os, sys\n"
        "from curriculum_gui.core import native_format\n"
        "real = os.replace\n"
        "def stop(*args):\n"
        "    os.kill(os.getpid(), 9)\n"  # SIGKILL between writing the temporary file and the rename
        "native_format.os.replace = stop\n"
        "native_format.save(native_format.load(sys.argv[1]), sys.argv[1])\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, timeout=60)
    assert done.returncode == -9 and len(leftovers(tmp_path)) == 1
    native_format.save(example, path)
    assert leftovers(tmp_path) == []
    assert native_format.load(path).name == example.name


def test_saving_over_a_symbolic_link_keeps_the_link(tmp_path: Path, example: Curriculum) -> None:
    real = tmp_path / "shared" / "c.json"
    real.parent.mkdir()
    native_format.save(example, real)
    link = tmp_path / "c.json"
    link.symlink_to(real)
    renamed = example.model_copy(update={"name": "Renamed"})
    native_format.save(renamed, link)
    assert link.is_symlink() and native_format.load(real).name == "Renamed"


def test_a_read_only_file_is_not_replaced(tmp_path: Path, example: Curriculum) -> None:
    path = tmp_path / "c.json"
    native_format.save(example, path)
    before = path.read_bytes()
    path.chmod(0o444)
    try:
        with pytest.raises(SaveError, match="read-only: not saved"):
            native_format.save(example.model_copy(update={"name": "Renamed"}), path)
        assert path.read_bytes() == before and leftovers(tmp_path) == []
    finally:
        path.chmod(0o644)
