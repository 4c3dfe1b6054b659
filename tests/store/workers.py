"""Run by the concurrency and crash tests as real, separate processes (``python -m tests.store.workers``).

``apply DB`` evaluates every subject and applies the batch, printing ``progress DONE TOTAL`` after each
chunk; with ``--stall`` it stops after the first chunk, inside the transaction, until it is killed.
``race DB SUBJECT SYNC NAME MODE`` reads the subject, waits at a file barrier in folder SYNC for the other
writer, then writes (MODE ``apply`` or ``override``); prints ``ok`` or ``conflict``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from curriculum_gui.store import ConflictError, Workspace


def apply(db: str, stall: bool) -> int:
    with Workspace.open(db) as ws:
        suggestions = ws.evaluate()
        print(f"evaluated {len(suggestions)}", flush=True)

        def progress(done: int, total: int) -> None:
            print(f"progress {done} {total}", flush=True)
            if stall and done < total:
                time.sleep(600)

        ws.apply(suggestions, operator="worker", progress=progress)
    print("committed", flush=True)
    return 0


def race(db: str, subject: str, sync: str, name: str, mode: str) -> int:
    with Workspace.open(db) as ws:
        if mode == "apply":
            suggestions = ws.evaluate([subject])
        else:
            version = ws.subject(subject).row_version
        barrier = Path(sync)
        (barrier / f"{name}.ready").touch()
        deadline = time.monotonic() + 60
        while len(list(barrier.glob("*.ready"))) < 2:
            if time.monotonic() > deadline:
                print("timeout", flush=True)
                return 4
            time.sleep(0.005)
        try:
            if mode == "apply":
                ws.apply(suggestions, operator=name)
            else:
                ws.override(
                    subject, "Warm-up: one side", reason=f"moved by {name}", operator=name,
                    expected_version=version,
                )  # fmt: skip
        except ConflictError as exc:
            print(f"conflict {exc}", flush=True)
            return 3
    print("ok", flush=True)
    return 0


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    if command == "apply":
        sys.exit(apply(rest[0], "--stall" in rest))
    sys.exit(race(*rest))
