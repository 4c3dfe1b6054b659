"""What putting every commit in the SQLite file itself costs: the rollback journal the store uses, against
WAL with a checkpoint after each commit (a file another program keeps in WAL mode) and plain WAL (what
the store did before, leaving commits in the -wal beside the file).

Prints, per mode: ``one_change_ms`` (an override of one subject, mean of 50), ``batch_of_2000_s`` (an
override of 2,000 subjects as one batch) and ``apply_5000_s`` (applying the suggestions of 5,000
subjects). Set-up (publish, register, import, evaluate) is not timed.

    .venv/bin/python benchmarks/durability.py [--subjects N]
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from curriculum_gui.resources import example

from curriculum_gui.core import native_format
from curriculum_gui.store import Workspace
from curriculum_gui.store import engine as engines

HEADER = "subject,session,date,accuracy,trials,bias,weight_fraction,licks_per_reward\n"


@contextlib.contextmanager
def mode(name: str, path: Path) -> Iterator[None]:
    """``journal``: as shipped; ``wal+checkpoint``: another program holds the file in WAL mode;
    ``wal``: the same without the checkpoint (the store before this change)."""
    if name == "journal":
        yield
        return
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode = WAL")
    saved = engines.checkpoint
    if name == "wal":
        engines.checkpoint = lambda _conn: None
    try:
        yield
    finally:
        engines.checkpoint = saved
        holder.close()


def run(name: str, folder: Path, n: int) -> dict[str, float]:
    path = folder / f"{name.replace('+', '_')}.sqlite3"
    ids = [f"B{i:05d}" for i in range(n)]
    with Workspace.open(path, create=True) as ws:
        version = ws.publish(native_format.loads(example().read_text(encoding="utf-8")), operator="bench")
        ws.register(ids, version.id, operator="bench")
        metrics = folder / "metrics.csv"
        metrics.write_text(HEADER + "".join(f"{s},d1,2025-03-03,0.9,400,0.05,0.9,2\n" for s in ids))
        ws.import_metrics(metrics)
    figures: dict[str, float] = {}
    with mode(name, path), Workspace.open(path) as ws:
        t0 = time.perf_counter()
        for i in range(50):
            ws.override(ids[i], "Mixed contrast", reason="bench", operator="bench")
        figures["one_change_ms"] = (time.perf_counter() - t0) / 50 * 1000
        t0 = time.perf_counter()
        ws.override_many(ids[1000:3000], "Mixed contrast", reason="bench", operator="bench")
        figures["batch_of_2000_s"] = time.perf_counter() - t0
        suggestions = ws.evaluate(ids[3000:])
        t0 = time.perf_counter()
        ws.apply(suggestions, operator="bench")
        figures[f"apply_{len(suggestions)}_s"] = time.perf_counter() - t0
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=8000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for name in ("journal", "wal+checkpoint", "wal"):
            figures = run(name, Path(folder), args.subjects)
            print(name + ": " + ", ".join(f"{k}: {v:.3g}" for k, v in figures.items()), flush=True)


if __name__ == "__main__":
    main()
