"""Which subjects need attention, how long each stage takes, and the cohort report: ``subjects list
--attention``, ``stats`` and ``report``. Thin: the figures come from the store and core.

Exit codes: 0 done (``subjects list --attention``: nobody needs attention); 1 ``subjects list
--attention`` found subjects that need it (for a cron job); 2 nothing done (unknown curriculum or version,
bad date, no database).
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from ..core.attention import at_least
from ..core.model import SEVERITY_ORDER, AttentionSeverity
from ..core.stats import SESSIONS, UNITS, Comparison, StageStatistics
from .common import EXIT_OK, EXIT_PROBLEMS, AddCommand, dumps_json
from .store_commands import _db, _open, _print_json


def add_attention_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--attention",
        action="store_true",
        help="only subjects that need attention, with why; exit 1 when any does (for a cron job)",
    )
    p.add_argument(
        "--severity",
        choices=[s.value for s in SEVERITY_ORDER],
        default="info",
        help="with --attention: only alerts at least this severe (default: all)",
    )
    _today(p)


def _today(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--today",
        metavar="YYYY-MM-DD",
        help="count days (since the last session, in the stage) up to this day",
    )


def _day(args: argparse.Namespace) -> date | None:
    from ..store import StoreError

    if not getattr(args, "today", None):
        return None
    try:
        return date.fromisoformat(args.today)
    except ValueError:
        raise StoreError(f"--today {args.today!r} is not a date (YYYY-MM-DD)") from None


def list_attention(args: argparse.Namespace) -> int:
    """``subjects list --attention``: one line per alert, most urgent subjects first."""
    floor = AttentionSeverity(args.severity)
    with _open(args) as ws:
        rows = {r.subject: r for r in ws.subjects()}
        found = {s: at_least(alerts, floor) for s, alerts in ws.attention(today=_day(args)).items()}
    found = {s: alerts for s, alerts in found.items() if alerts}
    order = sorted(found, key=lambda s: (-max(a.rank for a in found[s]), s))
    for subject in order:
        row = rows.get(subject)
        if args.json:
            print(
                dumps_json(
                    {
                        "subject": subject,
                        "stage": row.stage if row else None,
                        "attention": [a.to_json() for a in found[subject]],
                    }
                )
            )
        else:
            for alert in found[subject]:
                print(f"{subject}\t{row.stage if row else '-'}\t{alert.describe()}")
    if not args.json:
        print(f"{len(found)} subject(s) need attention" if found else "no subject needs attention")
    return EXIT_PROBLEMS if found else EXIT_OK


# --- stats -------------------------------------------------------------------------------------------


def _add_stats(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "stats",
        help="how long each stage takes (Kaplan–Meier), and whether one curriculum version is faster",
        description="Per stage of a curriculum (all versions, or NAME@VERSION): subjects that entered, left "
        "forward, regressed, are still in it, were ejected; sessions and days in the stage and from "
        "enrollment to reach it (median and quartiles, Kaplan–Meier: subjects still training or ejected are "
        "censored). --compare puts two versions side by side: per stage, the time to meet its criterion "
        "with a 95% confidence interval, the log-rank test's p-value and a verdict in words.",
    )
    _db(p)
    p.add_argument("--curriculum", metavar="NAME[@VERSION]", help="default: the only published curriculum")
    p.add_argument("--compare", nargs=2, metavar=("NAME@V1", "NAME@V2"), help="compare two versions")
    p.add_argument("--unit", choices=UNITS, default=SESSIONS, help="time in sessions or days (for --compare)")
    p.add_argument("--json", action="store_true", help="the figures as one JSON object")
    _today(p)
    p.set_defaults(handler=_cmd_stats)


def _cmd_stats(args: argparse.Namespace) -> int:
    today = _day(args)
    name, versions = None, None
    if args.curriculum:
        name, at, version = args.curriculum.rpartition("@")
        name, versions = (name, [version]) if at else (version, None)
    with _open(args) as ws:
        statistics = ws.stage_statistics(name, versions, today=today)
        comparison = compare(ws, args.compare, args.unit, today) if args.compare else None
    if args.json:
        out: dict[str, Any] = {"statistics": statistics.to_json()}
        if comparison is not None:
            out["comparison"] = comparison.to_json()
        _print_json(out)
        return EXIT_OK
    print(statistics_text(statistics))
    if comparison is not None:
        print()
        print(comparison_text(comparison))
    return EXIT_OK


def compare(ws: Any, specs: list[str], unit: str, today: date | None) -> Comparison:
    from ..store import StoreError
    from ..store.progress import version_arm

    (name_a, arm_a), (name_b, arm_b) = version_arm(ws, specs[0]), version_arm(ws, specs[1])
    if name_a != name_b:
        raise StoreError(f"--compare: two versions of one curriculum, not {name_a!r} and {name_b!r}")
    return ws.compare(name_a, arm_a, arm_b, unit, today)


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def statistics_text(stats: StageStatistics) -> str:
    share = f" ({stats.graduated / stats.enrolled:.0%})" if stats.enrolled else ""
    head = ("STAGE", "ENTERED", "FORWARD", "REGRESSED", "STILL IN", "EJECTED", "SESSIONS IN STAGE")
    rows = [(*head, "DAYS IN STAGE", "SESSIONS TO REACH")]
    for r in stats.stages:
        reach = r.reach_sessions.iqr_text() if r.reach_sessions else "(start)"
        counts = (r.entered, r.forward, r.regressed, r.still, r.ejected)
        rows.append((r.name, *map(str, counts), r.sessions.iqr_text(), r.days.iqr_text(), reach))
    return (
        f"{stats.label}: {stats.enrolled} enrolled, {stats.graduated} graduated{share}\n"
        "times: median (quartiles), Kaplan–Meier (still in a stage or ejected: censored)\n" + _table(rows)
    )


def comparison_text(result: Comparison) -> str:
    rows = [("STAGE", result.a_label, result.b_label, "P", "VERDICT")]
    for r in result.rows:
        p = f"{r.pvalue:.3f}" if r.pvalue is not None else "-"
        rows.append((r.name, f"{r.a.ci_text()} n={r.a.n}", f"{r.b.ci_text()} n={r.b.n}", p, r.verdict))
    return (
        f"{result.a_label} vs {result.b_label}: {result.unit} to meet each stage's criterion "
        f"(first visit), median [95% CI]; log-rank p\n" + _table(rows)
    )


# --- report ------------------------------------------------------------------------------------------


def _add_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="one self-contained HTML file for a lab meeting: attention, subjects, cohort grid, statistics",
        description="Writes FILE: who needs attention and why, each subject's position and last sessions, "
        "the cohort grid, each curriculum's stage statistics and survival curves (inline SVG; no network "
        "needed to open it), and with --compare a comparison of two versions.",
    )
    _db(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the HTML file to write")
    p.add_argument("--compare", nargs=2, metavar=("NAME@V1", "NAME@V2"), help="add a version comparison")
    p.add_argument("--unit", choices=UNITS, default=SESSIONS, help="time in sessions or days (for --compare)")
    _today(p)
    p.set_defaults(handler=_cmd_report)


def _cmd_report(args: argparse.Namespace) -> int:
    from ..report import write_report

    today = _day(args)
    with _open(args) as ws:
        comparison = compare(ws, args.compare, args.unit, today) if args.compare else None
        path = write_report(ws, args.output, today=today, comparison=comparison)
    print(f"{path}: written")
    return EXIT_OK


COMMANDS: list[AddCommand] = [_add_stats, _add_report]
