"""Small inline SVG plots for the cohort report (no network, no plotting library in the file).

Every text that comes from users (stage and subject names) is escaped. Coordinates are rounded to one
decimal so the file stays small.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE = (
    "#1f78b4",
    "#ff7f00",
    "#33a02c",
    "#e31a1c",
    "#6a3d9a",
    "#b15928",
    "#a6cee3",
    "#fdbf6f",
    "#b2df8a",
    "#fb9a99",
    "#cab2d6",
    "#ffff99",
)
FONT = "font-family:sans-serif;font-size:11px;fill:#333"


@dataclass(frozen=True, slots=True)
class Series:
    """A step curve: ``xs``/``ys`` (ys from 0 to 1), an optional band, and markers ``(x, y, title, open)``
    (open: a censored subject)."""

    label: str
    colour: str
    xs: Sequence[float]
    ys: Sequence[float]
    low: Sequence[float] = ()
    high: Sequence[float] = ()
    marks: Sequence[tuple[float, float, str, bool]] = ()


def _nice_ticks(high: float, count: int = 5) -> list[float]:
    if high <= 0:
        return [0.0]
    step = 10 ** math.floor(math.log10(high / count))
    for factor in (1, 2, 5, 10):
        if high / (step * factor) <= count:
            step *= factor
            break
    ticks, value = [0.0], 0.0
    while value < high - 1e-9:  # up to the first tick at or past ``high``
        value += step
        ticks.append(value)
    return ticks


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def step_plot(
    series: Sequence[Series],
    x_label: str,
    y_label: str,
    title: str = "",
    width: int = 460,
    height: int = 260,
) -> str:
    """Cumulative step curves (fraction 0–1 over time) with bands, censor marks and a legend."""
    left, right, top, bottom = 46, 12, 24 if title else 10, 38
    x_max = max([1.0, *(x for s in series for x in s.xs), *(m[0] for s in series for m in s.marks)])
    x_ticks = _nice_ticks(x_max * 1.05)  # a step at the last time is not drawn on the frame
    x_max = max(x_ticks[-1], x_max)
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + plot_w * x / x_max

    def py(y: float) -> float:
        return top + plot_h * (1 - y)

    out = [_open(width, height, title or y_label)]
    if title:
        out.append(f'<text x="{left}" y="15" style="{FONT};font-weight:bold">{escape(title)}</text>')
    for y in (0, 0.25, 0.5, 0.75, 1):
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_f(py(y))}" y2="{_f(py(y))}" stroke="#e0e0e0"/>'
            f'<text x="{left - 4}" y="{_f(py(y) + 4)}" text-anchor="end" style="{FONT}">{y:g}</text>'
        )
    for x in x_ticks:
        x_at, y_at = _f(px(x)), height - bottom + 14
        out.append(f'<text x="{x_at}" y="{y_at}" text-anchor="middle" style="{FONT}">{x:g}</text>')
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{_f(py(0))}" y2="{_f(py(0))}" stroke="#555"/>'
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{_f(py(0))}" stroke="#555"/>'
        f'<text x="{left + plot_w / 2:.0f}" y="{height - 6}" text-anchor="middle" style="{FONT}">'
        f"{escape(x_label)}</text>"
        f'<text transform="translate(12,{top + plot_h / 2:.0f}) rotate(-90)" text-anchor="middle" '
        f'style="{FONT}">{escape(y_label)}</text>'
    )
    for s in series:
        if s.low and s.high:
            upper = _steps([px(x) for x in s.xs], [py(y) for y in s.high], px(x_max))
            lower = _steps([px(x) for x in s.xs], [py(y) for y in s.low], px(x_max))
            polygon = upper + list(reversed(lower))
            points = " ".join(f"{_f(x)},{_f(y)}" for x, y in polygon)
            out.append(f'<polygon points="{points}" fill="{s.colour}" fill-opacity="0.15" stroke="none"/>')
        line = _steps([px(x) for x in s.xs], [py(y) for y in s.ys], px(x_max))
        points = " ".join(f"{_f(x)},{_f(y)}" for x, y in line)
        out.append(f'<polyline points="{points}" fill="none" stroke="{s.colour}" stroke-width="2"/>')
        for x, y, mark_title, hollow in s.marks:
            fill = "white" if hollow else s.colour
            out.append(
                f'<circle cx="{_f(px(x))}" cy="{_f(py(y))}" r="3" fill="{fill}" stroke="{s.colour}">'
                f"<title>{escape(mark_title)}</title></circle>"
            )
    out.append(_legend([(s.label, s.colour) for s in series], left + 8, top + 6))
    out.append("</svg>")
    return "".join(out)


def _steps(xs: Sequence[float], ys: Sequence[float], x_end: float) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        if i:
            points.append((x, points[-1][1]))
        points.append((x, y))
    if points:
        points.append((x_end, points[-1][1]))
    return points


def _legend(items: Sequence[tuple[str, str]], x: float, y: float) -> str:
    out = []
    for i, (label, colour) in enumerate(items):
        out.append(
            f'<rect x="{x}" y="{y + i * 15}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{y + i * 15 + 9}" style="{FONT}">{escape(label)}</text>'
        )
    return "".join(out)


def _open(width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">'
    )


def strip_plot(
    groups: Sequence[tuple[str, Sequence[tuple[float, str, bool]]]],
    y_label: str,
    title: str = "",
    width: int = 460,
    height: int = 260,
) -> str:
    """One column of points per group (``(value, title, open)``; open: still in it, censored): the
    dwell-time distribution per stage."""
    left, right, top, bottom = 46, 12, 24 if title else 10, 64
    y_max = max([1.0, *(v for _, points in groups for v, _, _ in points)])
    y_ticks = _nice_ticks(y_max)
    y_max = max(y_ticks[-1], y_max)
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / max(len(groups), 1)

    def py(y: float) -> float:
        return top + plot_h * (1 - y / y_max)

    out = [_open(width, height, title or y_label)]
    if title:
        out.append(f'<text x="{left}" y="15" style="{FONT};font-weight:bold">{escape(title)}</text>')
    for y in y_ticks:
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_f(py(y))}" y2="{_f(py(y))}" stroke="#e0e0e0"/>'
            f'<text x="{left - 4}" y="{_f(py(y) + 4)}" text-anchor="end" style="{FONT}">{y:g}</text>'
        )
    out.append(
        f'<text transform="translate(12,{top + plot_h / 2:.0f}) rotate(-90)" text-anchor="middle" '
        f'style="{FONT}">{escape(y_label)}</text>'
    )
    for i, (label, points) in enumerate(groups):
        centre = left + slot * (i + 0.5)
        colour = PALETTE[i % len(PALETTE)]
        for j, (value, point_title, hollow) in enumerate(points):
            jitter = ((j * 7919) % 21 - 10) / 10 * min(slot * 0.3, 14)
            fill = "white" if hollow else colour
            out.append(
                f'<circle cx="{_f(centre + jitter)}" cy="{_f(py(value))}" r="3" fill="{fill}" '
                f'stroke="{colour}"><title>{escape(point_title)}</title></circle>'
            )
        short = label if len(label) <= 18 else label[:17] + "…"
        at = f"{_f(centre)},{height - bottom + 12}"
        out.append(
            f'<text transform="translate({at}) rotate(-20)" text-anchor="end" style="{FONT}">'
            f"<title>{escape(label)}</title>{escape(short)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def cohort_grid(
    rows: Sequence[tuple[str, Sequence[tuple[str | None, bool]]]], colours: dict[str, str], cell: int = 10
) -> str:
    """Subjects × sessions, each cell filled with the stage after that session (grey: off curriculum);
    a black outline marks a person's change."""
    label_w = 44
    columns = max((len(cells) for _, cells in rows), default=0)
    width = label_w + columns * cell + 4
    height = len(rows) * cell + 4
    out = [_open(width, height, "cohort grid")]
    for r, (subject, cells) in enumerate(rows):
        y = 2 + r * cell
        out.append(f'<text x="0" y="{y + cell - 1}" style="{FONT};font-size:9px">{escape(subject)}</text>')
        for c, (stage, manual) in enumerate(cells):
            fill = colours.get(stage or "", "#e0e0e0") if stage else "#e0e0e0"
            stroke = ' stroke="#000" stroke-width="1.2"' if manual else ""
            out.append(
                f'<rect x="{label_w + c * cell}" y="{y}" width="{cell - 1}" height="{cell - 1}" '
                f'fill="{fill}"{stroke}><title>{escape(subject)}, session {c + 1}: '
                f"{escape(stage or 'off curriculum')}</title></rect>"
            )
    out.append("</svg>")
    return "".join(out)
