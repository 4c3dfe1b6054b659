"""A day's evaluation must not get slower as the mice get older; and a lab's whole archive stays fast.

1. ``history_growth``: 1,000 subjects (``--subjects``); after 1, 100 and 500 days of history (``--days``),
   the time of one day's import + evaluate + apply (the median of ``--repeats`` days in a row). The
   history is built in bulk (``archive.py``: what the store would hold had it applied every day). Last
   line of this part: ``history_growth_<backend>: R``, day 500 over day 1 (goal R <= 1.3).
3. ``long_history_N``: one subject with N sessions imported at once (``--long-sessions``, SQLite).
2. The archive: ``--archive-subjects`` x ``--archive-sessions`` (10,000 x 500: 5 million sessions and
   as many events), built once by the script: open the subjects table (the store and the Qt model, goal
   <= 0.5 s), a subject's full timeline (the store's history, goal <= 50 ms; and the timeline widget
   filled), the cohort grid of 100 subjects (goal <= 0.3 s), then one more day of 10,000 sessions.

Both on SQLite, and on PostgreSQL when ``$CURRICULUM_GUI_TEST_PG_URL`` names a test server (in a schema
of its own, dropped afterwards). ``--part growth|archive|all``.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/history.py [--part growth] [--backend sqlite]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import archive
import sqlalchemy as sa

from curriculum_gui.store import Workspace


@contextmanager
def database(backend: str, folder: Path, name: str) -> Iterator[str | None]:
    """A fresh database: a SQLite file in ``folder``, or a schema of its own on the PostgreSQL server."""
    if backend == "sqlite":
        path = folder / f"{name}.sqlite3"
        try:
            yield str(path)
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    base = os.environ.get("CURRICULUM_GUI_TEST_PG_URL")
    if not base:
        yield None
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        sep = "&" if "?" in base else "?"
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


CPU: list[float] = []  # this process's CPU time of each timed call (on a shared machine, wall time varies)


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    c0, t0 = time.process_time(), time.perf_counter()
    result = fn()
    CPU.append(time.process_time() - c0)
    return time.perf_counter() - t0, result


def one_day(ws: Workspace, ids: list[str], made: list, day: int, folder: Path) -> tuple[float, ...]:
    """(import, evaluate, apply) wall seconds, then the CPU seconds of the three."""
    path = folder / f"day{day}.csv"
    archive.day_file(path, ids, made, day)
    t_import, report = timed(lambda: ws.import_metrics(path))
    t_evaluate, suggestions = timed(ws.evaluate)
    t_apply, result = timed(lambda: ws.apply(suggestions, operator="bench"))
    assert report.imported == len(ids) and report.ok, report.bad[:3]
    assert result.applied == len(ids), result.skipped[:3]
    path.unlink()
    return t_import, t_evaluate, t_apply, sum(CPU[-3:])


def growth(backend: str, subjects: int, days: list[int], repeats: int, folder: Path) -> float | None:
    totals, cpu = {}, {}
    for day in days:
        with database(backend, folder, f"growth{day}") as url:
            if url is None:
                print(f"history_growth_{backend}: skipped (set CURRICULUM_GUI_TEST_PG_URL to a test server)")
                return None
            with Workspace.open(url, create=True) as ws:
                t_build, (ids, made, _vid) = timed(
                    lambda ws=ws, day=day: archive.build(ws, subjects, day - 1, extra_days=repeats)
                )
                parts = [one_day(ws, ids, made, day - 1 + r, folder) for r in range(repeats)]
        medians = [statistics.median(p[i] for p in parts) for i in range(3)]
        totals[day] = statistics.median(sum(p[:3]) for p in parts)
        cpu[day] = statistics.median(p[3] for p in parts)
        print(
            f"  {backend}: day {day} ({subjects} subjects, {day - 1} days of history built in "
            f"{t_build:.1f} s): {totals[day]:.3f} s (import {medians[0]:.3f}, evaluate {medians[1]:.3f}, "
            f"apply {medians[2]:.3f}; this process's CPU {cpu[day]:.3f} s; median of {repeats} days)"
        )
    first, last = min(days), max(days)
    ratio = totals[last] / totals[first]
    print(f"history_growth_{backend}: {ratio:.2f} (CPU time: {cpu[last] / cpu[first]:.2f})")
    return ratio


def archive_figures(
    backend: str, subjects: int, sessions: int, folder: Path, reuse: str | None = None
) -> None:
    from PySide6.QtWidgets import QApplication

    from curriculum_gui.gui.subjects.cohort import CohortView, page_cells
    from curriculum_gui.gui.subjects.detail import SubjectDetail
    from curriculum_gui.gui.subjects.table_model import SubjectFilterProxy, SubjectTableModel

    app = QApplication.instance() or QApplication([])
    with database(backend, folder, "archive") if reuse is None else nullcontext(reuse) as url:
        if url is None:
            print(f"archive_{backend}: skipped (set CURRICULUM_GUI_TEST_PG_URL to a test server)")
            return
        with Workspace.open(url, create=reuse is None) as ws:
            if reuse is None:
                t_build, (ids, made, _vid) = timed(
                    lambda: archive.build(ws, subjects, sessions, extra_days=1)
                )
                print(f"  {backend}: archive of {subjects} x {sessions} sessions built in {t_build:.1f} s")
            else:  # an archive this script built before (--archive-db): the same profiles, made again
                ids = [r.subject for r in ws.subjects()]
                sessions = ws.subject(ids[len(ids) // 2]).sessions_total  # days added by earlier runs too
                subjects, made = len(ids), archive.profiles(ws.versions()[0].id, 10, sessions + 1)
                print(f"  {backend}: the archive {reuse} ({subjects} subjects)")
            model = SubjectTableModel()
            proxy = SubjectFilterProxy()
            proxy.setSourceModel(model)

            def table() -> int:
                model.set_rows(ws.subjects())
                app.processEvents()
                return proxy.rowCount()

            t_table, shown = timed(table)
            assert shown == subjects
            print(f"archive_subjects_table_{backend}_s: {t_table:.3f}")
            middle = ids[len(ids) // 2]
            t_history, events = timed(lambda: ws.history(middle))
            assert len(events) == sessions + 1
            print(f"archive_timeline_{backend}_ms: {t_history * 1000:.1f}")
            detail = SubjectDetail(wide=False)
            t_widget, _ = timed(lambda: detail.show_subject(ws, middle))
            print(f"  {backend}: the subject's page filled (store and widgets): {t_widget * 1000:.1f} ms")
            cohort = CohortView()
            chosen = ids[: min(100, len(ids))]

            def grid() -> int:
                cohort.set_cohort(chosen, page_cells(ws, chosen), ["stage"])
                app.processEvents()
                return cohort.model.columns

            t_grid, columns = timed(grid)
            assert columns == sessions
            print(f"archive_cohort_100_{backend}_s: {t_grid:.3f}")
            t_import, t_evaluate, t_apply, _cpu = one_day(ws, ids, made, sessions, folder)
            print(
                f"  {backend}: one more day on the archive: import {t_import:.3f} s, "
                f"evaluate {t_evaluate:.3f} s, apply {t_apply:.3f} s ({subjects} sessions)"
            )


def long_history(sessions: int, folder: Path) -> None:
    """Issue 19: one subject with ``sessions`` sessions imported at once (10,000 took 29 s and 848 MB to
    evaluate, 40,000 ran out of memory). Evaluations take 1,000 at a time; the first one's time and the
    memory it allocated at most, then the time to work through all of them (evaluate, apply, again)."""
    import tracemalloc

    with database("sqlite", folder, f"long{sessions}") as url, Workspace.open(url, create=True) as ws:
        version = ws.publish(archive.curriculum(), operator="bench")
        ws.register(["L1"], version.id, start_stage=archive.STAGE, operator="bench")
        made = archive.profiles(version.id, 1, sessions)[0]
        path = folder / "long.csv"
        with open(path, "w", encoding="utf-8") as f:
            f.write(archive.HEADER)
            for i, values in enumerate(made.values):
                day = archive.START + timedelta(days=i)
                f.write(archive.csv_row("L1", f"s{i + 1:05d}", day, values))
        t_import, _ = timed(lambda: ws.import_metrics(path))
        tracemalloc.start()
        t_first, first = timed(ws.evaluate)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        evaluated = len(first[0].sessions)
        total = t_first
        suggestions = first
        rounds = 0
        while suggestions and suggestions[0].sessions:
            t_apply, _ = timed(lambda s=suggestions: ws.apply(s, operator="bench"))
            t_eval, suggestions = timed(ws.evaluate)
            total += t_apply + t_eval
            rounds += 1
        assert ws.subject("L1").sessions_total == sessions
    print(
        f"long_history_{sessions}: import {t_import:.1f} s; first evaluation {t_first:.2f} s "
        f"({evaluated} sessions, {peak / 1e6:.0f} MB allocated at most); all {sessions} sessions "
        f"evaluated and applied in {rounds} rounds, {total:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["growth", "archive", "long", "all"], default="all")
    parser.add_argument("--long-sessions", type=int, nargs="+", default=[10_000, 40_000])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--subjects", type=int, default=1000)
    parser.add_argument("--days", type=int, nargs="+", default=[1, 100, 500])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--archive-subjects", type=int, default=10_000)
    parser.add_argument("--archive-sessions", type=int, default=500)
    parser.add_argument("--folder", default=None, help="where the SQLite files go (default: a temp folder)")
    parser.add_argument(
        "--archive-db",
        default=None,
        help="measure this archive (built by this script before) instead of a new one",
    )
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print(
        f"load average at start: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}"
    )
    ratios = {}
    with tempfile.TemporaryDirectory(dir=args.folder) as name:
        folder = Path(name)
        for backend in backends:
            if args.part in ("archive", "all"):
                archive_figures(
                    backend, args.archive_subjects, args.archive_sessions, folder, args.archive_db
                )
            if args.part in ("growth", "all"):
                ratios[backend] = growth(backend, args.subjects, sorted(args.days), args.repeats, folder)
        if args.part in ("long", "all"):
            for n in args.long_sessions:
                long_history(n, folder)
    print(f"load average at end: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    ratio = ratios.get("sqlite") or next((r for r in ratios.values() if r), None)
    if ratio is not None:
        print(f"history_growth: {ratio:.2f}")


if __name__ == "__main__":
    main()
