"""Another rig, as a separate process (``python -m tests.gui.live_writer DB SUBJECT``): moves SUBJECT to
"Warm-up: one side" and prints ``committed`` once the change is in the database."""

from __future__ import annotations

import sys

from curriculum_gui.store import Workspace


def main(db: str, subject: str) -> int:
    with Workspace.open(db) as ws:
        ws.override(subject, "Warm-up: one side", reason="moved on rig-b", operator="rig-b")
    print("committed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
