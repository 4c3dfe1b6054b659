"""A cohort of 10,000 subjects with one metrics row each: import, evaluate, apply in one batch.

Prints ``cohort_seconds_sqlite: S`` (goal: S <= 1.5) and ``cohort_seconds_postgresql: S`` (on the server
named by ``$CURRICULUM_GUI_TEST_PG_URL``, in a schema of its own, dropped afterwards), plus the parts and
how long listing the subjects table takes. Registration is set-up, timed apart.

    .venv/bin/python benchmarks/cohort.py [--subjects N]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from curriculum_gui.resources import example

from curriculum_gui.core import native_format
from curriculum_gui.store import Workspace

HEADER = "subject,session,date,accuracy,trials,bias,weight_fraction,licks_per_reward\n"


def write_metrics(path: Path, ids: list[str]) -> None:
    rng = random.Random(1)
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEADER)
        for sid in ids:
            f.write(f"{sid},day1,2025-03-03,{rng.uniform(0.4, 0.9):.3f},{rng.randrange(50, 400)},")
            f.write(f"{rng.uniform(0, 0.5):.3f},{rng.uniform(0.8, 1):.3f},{rng.uniform(2, 12):.2f}\n")


def run(db: str, n: int, folder: Path, label: str) -> None:
    curriculum = native_format.loads(example().read_text(encoding="utf-8"))
    ids = [f"B{i:05d}" for i in range(n)]
    metrics = folder / "metrics.csv"
    write_metrics(metrics, ids)
    with Workspace.open(db, create=True) as ws:
        version = ws.publish(curriculum, operator="bench")
        t0 = time.perf_counter()
        ws.register(ids, version.id, operator="bench")
        t_register = time.perf_counter() - t0

        t0 = time.perf_counter()
        report = ws.import_metrics(metrics)
        t1 = time.perf_counter()
        suggestions = ws.evaluate()
        t2 = time.perf_counter()
        result = ws.apply(suggestions, operator="bench")
        t3 = time.perf_counter()
        assert report.imported == n and report.ok, report.bad[:3]
        assert result.applied == n, result.skipped[:3]

        t4 = time.perf_counter()
        rows = ws.subjects()
        t5 = time.perf_counter()
        assert len(rows) == n
    print(f"cohort_seconds_{label}: {t3 - t0:.3f}")
    print(
        f"  {label}: import {t1 - t0:.3f} s, evaluate {t2 - t1:.3f} s, apply {t3 - t2:.3f} s; "
        f"(set-up: register {t_register:.3f} s); list {n} subjects {t5 - t4:.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(str(Path(folder) / "bench.sqlite3"), args.subjects, Path(folder), "sqlite")
        base = os.environ.get("CURRICULUM_GUI_TEST_PG_URL")
        if not base:
            print("cohort_seconds_postgresql: skipped (set CURRICULUM_GUI_TEST_PG_URL to a test server)")
            return
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        try:
            sep = "&" if "?" in base else "?"
            run(f"{base}{sep}options=-csearch_path%3D{schema}", args.subjects, Path(folder), "postgresql")
        finally:
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            admin.dispose()


if __name__ == "__main__":
    main()
