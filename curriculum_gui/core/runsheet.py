"""The day's run sheet: per rig, each mouse with its stage, policies and every next-session parameter,
as printable HTML (one self-contained page per rig, for the browser's Print) and as CSV.

Pure: the store gathers :class:`RunSheetEntry` rows (:func:`curriculum_gui.store.rigs.run_sheet`).
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from typing import Any

from .spreadsheet import guard


@dataclass(frozen=True, slots=True)
class RunSheetEntry:
    rig: str
    slot: int | None
    subject: str
    curriculum: str
    stage: str | None
    policies: tuple[str, ...]
    parameters: dict[str, Any]
    on_curriculum: bool
    baseline_g: float | None = None
    last_weight_g: float | None = None
    last_weighed_on: date | None = None
    weight_fraction: float | None = None
    underweight: bool = False
    pending: int = 0  # sessions waiting for the trainer
    notes: tuple[str, ...] = field(default=())


def flat_parameters(parameters: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(dotted name, value)`` for every leaf, groups opened in order."""
    for key, value in parameters.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from flat_parameters(value, f"{name}.")
        else:
            yield name, value


def exact(value: Any) -> str:
    """A value as the rig reads it: text as written, everything else as JSON, numbers to 10 significant
    digits (``2.6999999999999997``, the float a policy's ``2.8 - 0.1`` gives, reads ``2.7``)."""
    return value if isinstance(value, str) else json.dumps(_tidy(value), ensure_ascii=False)


def _tidy(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.10g}")
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    return value


def mice(n: int) -> str:
    return f"{n} mouse" if n == 1 else f"{n} mice"


def grams(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _ordered(entries: Sequence[RunSheetEntry]) -> list[RunSheetEntry]:
    return sorted(entries, key=lambda e: (e.rig, e.slot if e.slot is not None else 10**6, e.subject))


def to_csv(day: date, entries: Sequence[RunSheetEntry]) -> str:
    """One row per mouse; one column per parameter (dotted names), the union over all mice."""
    names: dict[str, None] = {}
    for e in entries:
        names.update(dict.fromkeys(name for name, _ in flat_parameters(e.parameters)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    head = ["date", "rig", "slot", "subject", "curriculum", "stage", "policies", "on_curriculum"]
    head += ["baseline_g", "last_weight_g", "last_weighed_on", "weight_fraction", "underweight"]
    writer.writerow([guard(h) for h in (*head, *names)])
    for e in _ordered(entries):
        params = dict(flat_parameters(e.parameters))
        writer.writerow(
            guard(cell)  # ids, names and values are other people's text: never a formula
            for cell in [
                day.isoformat(),
                e.rig,
                "" if e.slot is None else e.slot,
                e.subject,
                e.curriculum,
                e.stage or "",
                "; ".join(e.policies),
                "yes" if e.on_curriculum else "no",
                grams(e.baseline_g),
                grams(e.last_weight_g),
                e.last_weighed_on.isoformat() if e.last_weighed_on else "",
                "" if e.weight_fraction is None else f"{e.weight_fraction:.3f}",
                "yes" if e.underweight else "",
                *(exact(params[n]) if n in params else "" for n in names),
            ]
        )
    return out.getvalue()


_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 11pt; color: #111; margin: 16px; }
h1 { font-size: 16pt; margin: 0 0 4px 0; }
h2 { font-size: 14pt; margin: 18px 0 6px 0; border-bottom: 2px solid #333; }
section.rig { page-break-after: always; break-after: page; }
section.rig:last-of-type { page-break-after: auto; break-after: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #999; padding: 4px 6px; vertical-align: top; text-align: left; }
th { background: #eee; }
td.subject { font-size: 14pt; font-weight: bold; white-space: nowrap; }
td.params { font-family: "DejaVu Sans Mono", monospace; font-size: 10pt; }
td.box { width: 110px; }
tr.under td { color: #b71c1c; }
span.flag { color: #fff; background: #b71c1c; padding: 0 4px; font-weight: bold; }
span.off { color: #fff; background: #616161; padding: 0 4px; }
p.meta { color: #444; margin: 0; }
@media print { body { margin: 0; } a { color: inherit; } }
"""


def to_html(day: date, entries: Sequence[RunSheetEntry], threshold: float, title: str = "Run sheet") -> str:
    """A self-contained page (no scripts, no network): one section per rig, page breaks between rigs."""
    esc = html.escape
    when = f"{day:%A %d %B %Y}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)} — {esc(when)}</title><style>{_CSS}</style></head><body>",
    ]
    ordered = _ordered(entries)
    if not ordered:
        parts.append(f"<h1>{esc(title)} — {esc(when)}</h1><p>No mouse is scheduled on this day.</p>")
    for rig, group in groupby(ordered, key=lambda e: e.rig):
        group_mice = list(group)
        parts.append('<section class="rig">')
        parts.append(f"<h1>{esc(rig)} — {esc(when)}</h1>")
        parts.append(
            f'<p class="meta">{mice(len(group_mice))} · weight threshold {threshold:.0%} of baseline · '
            "weigh each mouse before its session</p>"
        )
        parts.append(
            "<table><thead><tr><th>#</th><th>Subject</th><th>Stage and policies</th>"
            "<th>Next-session parameters</th><th>Baseline / last weight</th>"
            "<th>Weight today (g)</th><th>Done</th></tr></thead><tbody>"
        )
        for n, e in enumerate(group_mice, 1):
            parts.append(_row(n, e))
        parts.append("</tbody></table></section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _row(n: int, e: RunSheetEntry) -> str:
    esc = html.escape
    stage = esc(e.stage or "—")
    if not e.on_curriculum:
        stage = f'<span class="off">OFF CURRICULUM</span> (was {stage})'
    policies = esc(", ".join(e.policies)) if e.policies else "no policy"
    params = "<br>".join(f"{esc(k)} = {esc(exact(v))}" for k, v in flat_parameters(e.parameters)) or "—"
    weight = f"{grams(e.baseline_g) or '—'} g / {grams(e.last_weight_g) or '—'} g"
    if e.last_weighed_on is not None:
        weight += f" ({e.last_weighed_on:%d %b})"
    if e.weight_fraction is not None:
        weight += f"<br>{e.weight_fraction:.0%} of baseline"
    if e.underweight:
        weight += ' <span class="flag">UNDERWEIGHT</span>'
    extra = "".join(f"<br><i>{esc(note)}</i>" for note in e.notes)
    pending = f"<br><i>{e.pending} session(s) wait for the trainer</i>" if e.pending else ""
    cls = ' class="under"' if e.underweight else ""
    return (
        f"<tr{cls}><td>{e.slot if e.slot is not None else n}</td><td class='subject'>{esc(e.subject)}</td>"
        f"<td><b>{stage}</b><br>{policies}<br><small>{esc(e.curriculum)}</small>{pending}{extra}</td>"
        f"<td class='params'>{params}</td><td>{weight}</td><td class='box'></td><td class='box'></td></tr>"
    )
