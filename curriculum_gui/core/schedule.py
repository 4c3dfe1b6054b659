"""The weekly schedule: which mice run on which rig on which weekdays, and its CSV form.

Weekdays are kept as a 7-character mask, Monday first (``"1111100"`` = Monday to Friday). People write
them as ``Mon-Fri``, ``Mon,Wed,Fri``, ``weekdays``, ``daily`` or the mask itself. The CSV has the header
``subject,rig,weekdays[,slot]`` (slot: the mouse's place in the rig's day, 1 first; optional).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from .errors import LoadError
from .spreadsheet import guard, unguard

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_NAMES = {name.lower(): i for i, name in enumerate(WEEKDAYS)} | {
    full: i
    for i, full in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
}
_WORDS = {"weekdays": "1111100", "daily": "1111111", "every day": "1111111", "weekends": "0000011"}
HEADER = ("subject", "rig", "weekdays", "slot")
MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    """``subject`` runs on ``rig`` on the ``weekdays`` (mask, Monday first), ``slot``-th in the day."""

    subject: str
    rig: str
    weekdays: str
    slot: int | None = None

    def runs_on(self, day: date) -> bool:
        return runs_on(self.weekdays, day)


def runs_on(mask: str, day: date) -> bool:
    return mask[day.weekday()] == "1"


def parse_weekdays(text: str) -> str:
    """A mask from what a person typed; ValueError saying what is wrong."""
    raw = text.strip()
    if raw.lower() in _WORDS:
        return _WORDS[raw.lower()]
    if len(raw) == 7 and set(raw) <= {"0", "1"}:
        if "1" not in raw:
            raise ValueError("no weekday chosen")
        return raw
    days = [False] * 7
    for part in (p.strip() for p in raw.replace(";", ",").replace(" ", ",").split(",")):
        if not part:
            continue
        if "-" in part or "–" in part:
            first, _, last = part.replace("–", "-").partition("-")
            a, b = _day(first), _day(last)
            span = range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)]
            for i in span:
                days[i] = True
        else:
            days[_day(part)] = True
    if not any(days):
        raise ValueError("no weekday given (e.g. Mon-Fri, or Mon,Wed,Fri)")
    return "".join("1" if d else "0" for d in days)


def _day(name: str) -> int:
    key = name.strip().lower()
    if key in _NAMES:
        return _NAMES[key]
    if len(key) >= 3 and key[:3] in _NAMES:
        return _NAMES[key[:3]]
    raise ValueError(f"{name!r} is not a weekday (Mon, Tue, Wed, Thu, Fri, Sat, Sun)")


def weekdays_text(mask: str) -> str:
    """``Mon–Fri``, ``Mon, Wed, Fri``, ``daily``."""
    if mask == "1111111":
        return "daily"
    on = [i for i, c in enumerate(mask) if c == "1"]
    if len(on) >= 3 and on == list(range(on[0], on[-1] + 1)):
        return f"{WEEKDAYS[on[0]]}–{WEEKDAYS[on[-1]]}"
    return ", ".join(WEEKDAYS[i] for i in on)


def check_entries(entries: Sequence[ScheduleEntry]) -> list[str]:
    """What is wrong with a whole schedule: a subject twice on one rig, or on two rigs the same day."""
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    days: dict[str, list[tuple[str, str]]] = {}
    for n, e in enumerate(entries, 1):
        if (e.subject, e.rig) in seen:
            problems.append(
                f"{e.subject!r} is listed twice on {e.rig!r} (entries {seen[e.subject, e.rig]}, {n})"
            )
        seen[(e.subject, e.rig)] = n
        for rig, mask in days.get(e.subject, []):
            both = [WEEKDAYS[i] for i in range(7) if mask[i] == e.weekdays[i] == "1"]
            if both:
                problems.append(f"{e.subject!r} is on {rig!r} and {e.rig!r} on {', '.join(both)}")
        days.setdefault(e.subject, []).append((e.rig, e.weekdays))
    return problems


def read_csv(text: str, name: str = "schedule") -> list[ScheduleEntry]:
    """The schedule CSV; LoadError naming the line of the first problem (nothing is half-read)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise LoadError(name, "is empty (expected the header subject,rig,weekdays[,slot])") from None
    except csv.Error as exc:
        raise LoadError(name, f"cannot read the header: {exc}", "line 1") from None
    missing = [h for h in HEADER[:3] if h not in header]
    if missing:
        raise LoadError(
            name, f"the header must name subject, rig, weekdays (missing: {', '.join(missing)})", "line 1"
        )
    col = {h: header.index(h) for h in HEADER if h in header}
    entries = []
    try:
        for cells in reader:
            line = f"line {reader.line_num}"
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise LoadError(name, f"has {len(cells)} cells, the header has {len(header)}", line)
            subject, rig = (unguard(cells[col[c]].strip()) for c in ("subject", "rig"))  # as exported
            for what, value in (("subject", subject), ("rig", rig)):
                if not value or len(value) > MAX_NAME:
                    raise LoadError(name, f"a {what} of 1 to {MAX_NAME} characters is required", line)
            try:
                mask = parse_weekdays(cells[col["weekdays"]])
            except ValueError as exc:
                raise LoadError(name, f"weekdays: {exc}", line) from None
            slot_text = cells[col["slot"]].strip() if "slot" in col else ""
            try:
                slot = int(slot_text) if slot_text else None
            except ValueError:
                raise LoadError(name, f"slot {slot_text!r} is not a whole number", line) from None
            if slot is not None and not 1 <= slot <= 1000:
                raise LoadError(name, f"slot {slot} must be between 1 and 1000", line)
            entries.append(ScheduleEntry(subject, rig, mask, slot))
    except csv.Error as exc:
        raise LoadError(name, f"not valid CSV: {exc}", f"line {reader.line_num}") from None
    problems = check_entries(entries)
    if problems:
        raise LoadError(name, problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    return entries


def to_csv(entries: Iterable[ScheduleEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for e in sorted(entries, key=lambda e: (e.rig, e.slot if e.slot is not None else 10**6, e.subject)):
        days = weekdays_text(e.weekdays).replace("–", "-")  # plain ASCII for spreadsheets
        writer.writerow([guard(e.subject), guard(e.rig), days, "" if e.slot is None else e.slot])
    return out.getvalue()
