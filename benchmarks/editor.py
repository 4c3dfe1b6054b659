"""Editor speed: opening a large curriculum on the canvas, cold start of the window, repaint of a pan.

Run: ``.venv/bin/python benchmarks/editor.py`` (offscreen). Prints:

- ``open_large_s``: a synthetic curriculum of 200 stages x 10 policies with 400 stage transitions and no
  positions, from reading the file to the canvas laid out by Graphviz ``dot`` (off the GUI thread, applied
  as one undo step) and painted once. Goal <= 1.5 s.
- ``cold_start_s``: a new Python process, from its start to the first painted main window with the
  bundled example. Goal <= 1.0 s.
- ``pan_repaint_ms``: the median repaint of the whole viewport (1400x860) after a 40 px pan, with the whole
  large graph in view ("fit"); ``pan_repaint_100_ms`` the same at 100 % zoom. Goal <= 16 ms.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="xdg-"))
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from curriculum_gui.core import native_format  # noqa: E402
from curriculum_gui.core.model import (  # noqa: E402
    Curriculum,
    ExpressionRule,
    Metric,
    Policy,
    PolicyTransition,
    Stage,
    StageTransition,
    Task,
)

STAGES, POLICIES, TRANSITIONS = 200, 10, 400


def synthetic(stages: int = STAGES, policies: int = POLICIES, transitions: int = TRANSITIONS) -> Curriculum:
    """A chain of stages with skips ahead and regressions back, like a long real curriculum."""
    out = []
    for i in range(stages):
        pols = [
            Policy(
                id=f"s{i}_p{j}", name=f"Policy {j}", updates=ExpressionRule(expression=f"theta_{j % 3} = {j}")
            )
            for j in range(policies)
        ]
        pts = [
            PolicyTransition(
                id=f"s{i}_pt{j}",
                source=f"s{i}_p{j}",
                destination=f"s{i}_p{j + 1}",
                rule=ExpressionRule(expression=f"theta_1 > {j}"),
            )
            for j in range(policies - 1)
        ]
        out.append(
            Stage(
                id=f"s{i}",
                name=f"Stage {i}",
                task=Task(name="two_choice", parameters={"theta_0": 0, "theta_1": 0, "theta_2": 0}),
                policies=pols,
                policy_transitions=pts,
                start_policies=[f"s{i}_p0"],
                terminal=i == stages - 1,
            )
        )
    edges: list[tuple[int, int]] = [(i, i + 1) for i in range(stages - 1)]
    k = 0
    while len(edges) < transitions:
        i = k % (stages - 3)
        edges.append((i, i + 2 + k % 2) if k % 3 else (i + 3, i))  # skips ahead, regressions back
        k += 1
    trans = [
        StageTransition(
            id=f"t{n}",
            source=f"s{a}",
            destination=f"s{b}",
            rule=ExpressionRule(expression=f"theta_2 > {n % 50}"),
        )
        for n, (a, b) in enumerate(edges)
    ]
    metrics = [Metric(name=f"theta_{i}") for i in range(3)]
    return Curriculum(
        name="Synthetic", stages=out, stage_transitions=trans, start_stage="s0", metrics=metrics
    )


def open_large(path: Path, app) -> tuple[float, object]:
    from curriculum_gui.gui.canvas import CanvasWidget
    from curriculum_gui.gui.document import Document

    t0 = time.perf_counter()
    document = Document.open(path)
    widget = CanvasWidget(document)
    widget.resize(1400, 860)
    widget.show()
    done: list[str] = []
    widget.layout_finished.connect(lambda engine, notice: done.append(engine))
    widget.scene.auto_layout()
    while not done:
        app.processEvents()
        time.sleep(0.001)
    widget.view.fit()
    widget.view.viewport().repaint()
    elapsed = time.perf_counter() - t0
    if done[0] != "dot":
        print(f"note: layout engine was {done[0]}", file=sys.stderr)
    return elapsed, widget


def cold_start() -> float:
    code = (
        "import os; os.environ.setdefault('QT_QPA_PLATFORM', 'offscreen')\n"
        "from curriculum_gui.gui.app import _application, build_window\n"
        "app = _application(); window = build_window(None); window.show()\n"
        "app.processEvents(); window.grab(); print('painted', flush=True)\n"
    )
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - t0
    proc.wait(timeout=30)
    if "painted" not in line:
        raise SystemExit("cold start: the window did not paint")
    return elapsed


def pan_repaint_ms(view, app, rounds: int = 40) -> float:
    bar = view.horizontalScrollBar()
    times = []
    for n in range(rounds):
        view.pan(40 if n % 2 == 0 else -40, 0)
        if bar.maximum() == 0:
            view.verticalScrollBar().setValue(view.verticalScrollBar().value() + (40 if n % 2 == 0 else -40))
        app.processEvents()
        t0 = time.perf_counter()
        view.viewport().repaint()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "large.json"
        native_format.save(synthetic(), path)
        seconds, widget = open_large(path, app)
    view = widget.view  # type: ignore[attr-defined]
    print(f"open_large_s: {seconds:.3f}")
    print(f"cold_start_s: {min(cold_start() for _ in range(3)):.3f}")
    view.fit()
    fit_ms = pan_repaint_ms(view, app)
    view.reset_zoom()
    view.centerOn(view.scene().itemsBoundingRect().center())
    full_ms = pan_repaint_ms(view, app)
    print(f"pan_repaint_100_ms: {full_ms:.2f}")
    print(f"pan_repaint_ms: {fit_ms:.2f}")


if __name__ == "__main__":
    main()
