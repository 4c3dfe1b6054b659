"""The cohort report: one self-contained HTML file for a lab meeting (``curriculum-gui report``, File →
Export report…). No network, no scripts: styles inline, plots as inline SVG; it opens in any browser.

In order: who needs attention and why, each subject's position and last sessions, the cohort grid, each
curriculum's stage statistics with its survival curves, and a comparison of two versions when asked for.
Presentation only: the figures come from the store and core, the same ones the app and ``stats`` show.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from html import escape
from pathlib import Path
from typing import Any

from .. import __version__
from ..core.attention import Alert
from ..core.model import AttentionSeverity
from ..core.native_format import atomic_write_text
from ..core.progress import EJECTED, FORWARD, REGRESSED, session_cells
from ..core.stats import SESSIONS, Comparison, StageStatistics
from ..store import Workspace
from ..store.progress import overview
from ..store.records import SubjectRow
from . import svg

LAST_SESSIONS = 3
SEVERITY_COLOURS = {
    AttentionSeverity.CRITICAL: "#b71c1c",
    AttentionSeverity.WARNING: "#e65100",
    AttentionSeverity.INFO: "#455a64",
}
STYLE = """
body{font-family:-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px;color:#222;
max-width:1400px}
h1{margin-bottom:0}h2{margin-top:32px;border-bottom:2px solid #ddd;padding-bottom:4px}
.meta{color:#555;margin-top:4px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.sev{color:#fff;border-radius:3px;padding:1px 6px;font-size:12px;white-space:nowrap}
.ok{color:#1b5e20}.muted{color:#666;font-size:12px}
.plots{display:flex;flex-wrap:wrap;gap:16px}
.legend span{display:inline-block;margin-right:12px;font-size:12px}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}
"""


def build_report(ws: Workspace, *, today: date | None = None, comparison: Comparison | None = None) -> str:
    """The report as HTML text (see the module docstring); ``comparison``: a version comparison to add."""
    facts = overview(ws, today)
    rows = ws.subjects()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Cohort report {facts.today.isoformat()}</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Cohort report</h1>",
        f'<p class="meta">{escape(ws.where)} · as of {facts.today:%A %d %B %Y} · {len(rows)} subjects · '
        f"made {datetime.now():%Y-%m-%d %H:%M} by curriculum-gui {escape(__version__)}</p>",
        _attention(facts.attention, {r.subject: r for r in rows}),
        _subjects(ws, rows),
        _grid(ws, facts.histories, facts.statistics),
    ]
    for statistics in facts.statistics.values():
        parts.append(_statistics(statistics))
    if comparison is not None:
        parts.append(_comparison(comparison))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report(ws: Workspace, path: str | Path, **options: Any) -> Path:
    """Write the report to ``path`` (atomically: a failure leaves any older file as it was)."""
    atomic_write_text(path, build_report(ws, **options))
    return Path(path)


def _badge(severity: AttentionSeverity) -> str:
    return f'<span class="sev" style="background:{SEVERITY_COLOURS[severity]}">{severity.value}</span>'


def _attention(alerts: dict[str, list[Alert]], rows: dict[str, SubjectRow]) -> str:
    out = ['<section id="attention"><h2>Needs attention</h2>']
    if not alerts:
        out.append('<p class="ok">No subject needs attention.</p></section>')
        return "".join(out)
    worst = sorted(alerts, key=lambda s: (-max(a.rank for a in alerts[s]), s))
    out.append(
        f"<p>{len(alerts)} subject(s) need attention, most urgent first.</p>"
        "<table><tr><th>Subject</th><th>Stage</th><th>Severity</th><th>Why</th></tr>"
    )
    for subject in worst:
        found = alerts[subject]
        row = rows.get(subject)
        stage = escape(row.stage or "—") if row else "—"
        for i, alert in enumerate(found):
            span = f' rowspan="{len(found)}"'
            head = f"<td{span}><b>{escape(subject)}</b></td><td{span}>{stage}</td>" if i == 0 else ""
            out.append(
                f'<tr class="alert">{head}<td>{_badge(alert.severity)}</td>'
                f"<td><b>{escape(alert.name)}</b>: {escape(alert.message)}"
                + (f'<br><span class="muted">{escape(alert.description)}</span>' if alert.description else "")
                + "</td></tr>"
            )
    out.append("</table></section>")
    return "".join(out)


def _subjects(ws: Workspace, rows: Sequence[SubjectRow]) -> str:
    names = {row.curriculum for row in rows}
    one = len(names) == 1  # one curriculum (the usual lab): its name once, the version per subject
    title = f"Subjects — {escape(next(iter(names)))}" if one else "Subjects"
    out = [
        f'<section id="subjects"><h2>{title}</h2>',
        f"<table><tr><th>Subject</th><th>{'Version' if one else 'Curriculum'}</th><th>Stage</th>"
        "<th>In stage</th><th>In all</th>"
        "<th>Last session</th><th>Status</th><th>Active policies</th>"
        f"<th>Last {LAST_SESSIONS} sessions</th></tr>",
    ]
    for row in rows:
        sessions = ws.sessions(row.subject)[-LAST_SESSIONS:]
        last = "<br>".join(
            f"{s.date:%d %b}: " + escape(", ".join(f"{k} {_short(v)}" for k, v in s.values.items()))
            for s in reversed(sessions)
        )
        stage = escape(row.stage or "—") if row.on_curriculum else f"<i>off ({escape(row.stage or '—')})</i>"
        out.append(
            f'<tr class="subject"><td><b>{escape(row.subject)}</b></td>'
            f"<td>{'' if one else escape(row.curriculum) + ' '}{escape(row.curriculum_version)}</td>"
            f"<td>{stage}</td>"
            f'<td class="num">{row.sessions_in_stage}</td><td class="num">{row.sessions_total}</td>'
            f"<td>{row.last_session_date or '—'}</td><td>{escape(row.status)}</td>"
            f"<td>{escape(', '.join(row.policies) or '—')}</td>"
            f'<td class="muted">{last or "—"}</td></tr>'
        )
    out.append("</table></section>")
    return "".join(out)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        return f"[{len(value)} values]"
    return str(value)


def _grid(ws: Workspace, histories: Sequence[Any], statistics: dict[str, StageStatistics]) -> str:
    names: dict[str, str] = {}
    for stats in statistics.values():
        for row in stats.stages:
            names.setdefault(row.stage_id, row.name)
    colours = {stage: svg.PALETTE[i % len(svg.PALETTE)] for i, stage in enumerate(names)}
    rows = [
        (h.subject, [(names.get(s, s) if s else None, manual) for s, manual in session_cells(h.events)])
        for h in histories
    ]
    by_name = {names[s]: colour for s, colour in colours.items()}
    legend = "".join(
        f'<span><i style="background:{c}"></i>{escape(name)}</span>' for name, c in by_name.items()
    )
    return (
        '<section id="cohort"><h2>Cohort grid</h2>'
        '<p class="muted">One row per subject, one cell per evaluated session, filled with the stage it was '
        "on after that session; an outlined cell is a person's change (override or eject), grey is off "
        "the curriculum.</p>"
        f'<p class="legend">{legend}<span><i style="background:#e0e0e0"></i>off curriculum</span></p>'
        f"{svg.cohort_grid(rows, by_name)}</section>"
    )


def _statistics(stats: StageStatistics) -> str:
    share = f" ({stats.graduated / stats.enrolled:.0%})" if stats.enrolled else ""
    out = [
        f'<section class="statistics" id="statistics"><h2>Stage statistics — {escape(stats.label)}</h2>',
        f"<p>{stats.enrolled} enrolled, {stats.graduated} graduated{share}. Times are Kaplan–Meier "
        "estimates: a subject still in a stage, or taken off, counts as not yet done (censored). Median "
        "(quartiles); “not reached”: fewer than half are done.</p>",
        "<table><tr><th>Stage</th><th>Entered</th><th>Left forward</th><th>Regressed</th><th>Still in</th>"
        "<th>Ejected</th><th>Sessions in stage</th><th>Days in stage</th>"
        "<th>Sessions from enrollment to reach it</th></tr>",
    ]
    for row in stats.stages:
        reach = row.reach_sessions.iqr_text() if row.reach_sessions else "(start)"
        out.append(
            f'<tr class="stage"><td>{escape(row.name)}</td><td class="num">{row.entered}</td>'
            f'<td class="num">{row.forward}</td><td class="num">{row.regressed}</td>'
            f'<td class="num">{row.still}</td><td class="num">{row.ejected}</td>'
            f"<td>{row.sessions.iqr_text()}</td><td>{row.days.iqr_text()}</td><td>{reach}</td></tr>"
        )
    out.append("</table>")
    series = []
    for i, row in enumerate(r for r in stats.stages if r.reach_sessions is not None):
        curve = stats.reach_curve(row.stage_id)
        series.append(
            svg.Series(row.name, svg.PALETTE[(i + 1) % len(svg.PALETTE)], curve.times, curve.fraction)
        )
    groups = [
        (
            row.name,
            [
                (p.sessions, f"{p.subject}: {p.sessions} sessions ({_exit(p.exit)})", p.exit is None)
                for p in row.points
            ],
        )
        for row in stats.stages
        if not row.terminal
    ]
    out.append('<div class="plots">')
    out.append(
        svg.step_plot(series, "sessions since enrollment", "fraction that reached it", "Reaching each stage")
    )
    out.append(svg.strip_plot(groups, "sessions in the stage", "Time in each stage (open: still in it)"))
    out.append("</div></section>")
    return "".join(out)


def _exit(exit: str | None) -> str:
    return {FORWARD: "left forward", REGRESSED: "regressed", EJECTED: "ejected"}.get(
        exit or "", "still in it"
    )


def _comparison(result: Comparison) -> str:
    unit = result.unit
    out = [
        f'<section id="comparison"><h2>Comparison — {escape(result.a_label)} vs '
        f"{escape(result.b_label)}</h2>",
        f"<p>{result.a.enrolled} vs {result.b.enrolled} subjects. Per stage, the {unit} each subject's "
        "first visit took to meet the stage's criterion (leave it forward): median [95 % confidence "
        "interval], n, and the log-rank test's p-value.</p>",
        f"<table><tr><th>Stage</th><th>{escape(result.a_label)}</th><th>{escape(result.b_label)}</th>"
        "<th>p</th><th>Verdict</th></tr>",
    ]
    for row in result.rows:
        p = f"{row.pvalue:.3f}" if row.pvalue is not None else "—"
        out.append(
            f'<tr class="compared"><td>{escape(row.name)}</td>'
            f"<td>{row.a.ci_text()} <span class='muted'>n={row.a.n}</span></td>"
            f"<td>{row.b.ci_text()} <span class='muted'>n={row.b.n}</span></td>"
            f'<td class="num">{p}</td><td>{escape(row.verdict)}</td></tr>'
        )
    out.append('</table><div class="plots">')
    for row in result.rows:
        a, b = result.criterion_curves(row.stage_id)
        series = [
            svg.Series(result.a_label, svg.PALETTE[0], a.times, a.fraction, a.low, a.high),
            svg.Series(result.b_label, svg.PALETTE[1], b.times, b.fraction, b.low, b.high),
        ]
        out.append(svg.step_plot(series, f"{unit}", "fraction done", row.name, width=360, height=220))
    out.append("</div></section>")
    return "".join(out)


__all__ = ["SESSIONS", "build_report", "write_report"]
