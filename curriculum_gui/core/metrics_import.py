"""Session metrics files (CSV, TSV, JSON, JSON Lines) -> checked rows and a report of the bad ones.

No database. A file holds one row per subject and session. Every row names ``subject``, ``session`` (an id
unique per subject) and ``date`` (ISO, ``2025-03-14``); every other column or key is a metric. In CSV the
header is required; a ``.tsv`` file is tab-separated, and so is a CSV file whose header has tabs and no
comma (spreadsheets export "CSV" either way). In JSON, a list of objects (or ``{"sessions": [...]}``), each
either flat or with its metrics under ``"metrics"``; JSON Lines holds one such object per line.

Reading (:func:`read_metrics`) only checks the shape; :func:`check_row` then checks a row against the
declared metrics of the subject's curriculum and converts its values. A bad row is reported with where it
is (row: the file's line for CSV and JSON Lines, the item number for JSON), the column and what is wrong;
it is never half-imported. A file that cannot be read at all raises :class:`LoadError`.

``number_list`` metrics: a cell may hold a JSON list (``[0.7, 0.8]``, used as is) or one number, this
session's value; the store then builds the list from the subject's sessions, oldest first.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .errors import LoadError
from .model import Metric, MetricType
from .native_format import MAX_INT_DIGITS, parse_json_bytes, read_bytes
from .text import text_problem

SUBJECT, SESSION, DATE = "subject", "session", "date"
KEYS = (SUBJECT, SESSION, DATE)
MAX_ID = 200
FORMATS = {".csv": "csv", ".tsv": "tsv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
"""The format of a file by its extension (another extension: detected from the content)."""


@dataclass(frozen=True, slots=True)
class MetricsRow:
    """One session of one subject. ``values``: as read until checked, then converted."""

    row: int
    subject: str
    session: str
    date: date
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class BadRow:
    row: int
    column: str | None
    problem: str

    def __str__(self) -> str:
        column = f", column {self.column!r}" if self.column else ""
        return f"row {self.row}{column}: {self.problem}"


def summarise(bad: Sequence[BadRow], shown: int = 5) -> list[str]:
    """One line per distinct problem (the same column and words), naming the rows it is found in: a file
    whose every row has the same fault gives one line, not one per row."""
    groups: dict[tuple[str | None, str], list[int]] = {}
    for problem in bad:
        groups.setdefault((problem.column, problem.problem), []).append(problem.row)
    lines = []
    for (column, text), rows in groups.items():
        if len(rows) == 1:
            where = f"row {rows[0]}"
        else:
            more = f" … ({len(rows):,} rows)" if len(rows) > shown else ""
            where = f"rows {', '.join(str(r) for r in rows[:shown])}{more}"
        lines.append(f"{where}{f', column {column!r}' if column else ''}: {text}")
    return lines


@dataclass
class MetricsFile:
    """What :func:`read_metrics` found: the rows with a good shape and the rows without."""

    name: str
    format: str
    rows: list[MetricsRow] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)


# --- reading ------------------------------------------------------------------------------------


def read_metrics(path: str | Path, format: str | None = None) -> MetricsFile:
    """Read a metrics file; the format comes from ``format`` or the extension (else the content)."""
    name = str(path)
    raw = read_bytes(path)
    suffix = Path(name).suffix.lower()
    fmt = format or FORMATS.get(suffix)
    return parse_metrics(raw, name, fmt)


def parse_metrics(raw: bytes, name: str, format: str | None = None) -> MetricsFile:
    """As :func:`read_metrics`, from bytes (``format``: ``csv``, ``tsv``, ``json``, ``jsonl`` or None to
    detect)."""
    if not raw.strip():
        raise LoadError(name, "is empty")
    if b"\x00" in raw[:4096]:
        raise LoadError(name, "is a binary file, not CSV or JSON")
    if format is None:
        first = raw.lstrip()[:1]
        format = "csv" if first not in (b"[", b"{") else "json"
        if first == b"{":  # one JSON document, or JSON Lines (several objects, one a line)?
            try:
                json.loads(raw.decode("utf-8-sig"))
            except (ValueError, RecursionError):  # not one document (RecursionError: read as lines)
                format = "jsonl"
    if format == "json":
        return _from_json(parse_json_bytes(raw, name), name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(name, f"is not UTF-8 text (bad byte at offset {exc.start})") from None
    if format == "jsonl":
        return _from_jsonl(text, name)
    if format == "csv" and _tab_header(text):
        format = "tsv"
    if format in ("csv", "tsv"):
        return _from_csv(text, name, format)
    raise LoadError(name, f"unknown metrics format {format!r} (use csv, tsv, json or jsonl)")


def _tab_header(text: str) -> bool:
    """A "CSV" file whose header is tab-separated (tabs, no comma): read it as TSV."""
    header = text.split("\n", 1)[0]
    return "\t" in header and "," not in header


def _from_csv(text: str, name: str, format: str = "csv") -> MetricsFile:
    """CSV, or TSV (``format="tsv"``: the same with tabs between cells)."""
    out = MetricsFile(name, format)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if format == "tsv" else ",")
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise LoadError(name, f"cannot read the header: {exc}", "line 1") from None
    header = [h.strip() for h in header]
    missing = [k for k in KEYS if k not in header]
    if missing:
        raise LoadError(
            name,
            f"the header must name the columns {', '.join(KEYS)} (missing: {', '.join(missing)}; "
            f"found: {', '.join(repr(h) for h in header[:8])})",
            "line 1",
        )
    seen: set[str] = set()
    for column in header:
        if not column:
            raise LoadError(name, "a column of the header has no name", "line 1")
        if column in seen:
            raise LoadError(name, f"column {column!r} appears twice in the header", "line 1")
        seen.add(column)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            out.bad.append(BadRow(reader.line_num, None, f"not valid CSV: {exc}"))
            continue
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            out.bad.append(BadRow(line, None, f"has {len(cells)} cells, the header has {len(header)}"))
            continue
        _add(out, line, dict(zip(header, (c.strip() for c in cells), strict=True)), csv_text=True)
    return out


def _from_json(data: Any, name: str) -> MetricsFile:
    out = MetricsFile(name, "json")
    if isinstance(data, dict) and isinstance(data.get("sessions"), list):
        data = data["sessions"]
    if not isinstance(data, list):
        raise LoadError(name, 'expected a list of session objects (or {"sessions": [...]})')
    for number, item in enumerate(data, 1):
        _add_object(out, number, item)
    return out


def _from_jsonl(text: str, name: str) -> MetricsFile:
    out = MetricsFile(name, "jsonl")
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = parse_json_bytes(line.encode("utf-8"), name)
        except LoadError as exc:
            out.bad.append(BadRow(number, None, exc.reason))
            continue
        _add_object(out, number, item)
    return out


def _add_object(out: MetricsFile, number: int, item: Any) -> None:
    if not isinstance(item, dict):
        out.bad.append(BadRow(number, None, "expected an object with subject, session, date and metrics"))
        return
    values = {k: v for k, v in item.items() if k not in KEYS and k != "metrics"}
    nested = item.get("metrics")
    if nested is not None:
        if not isinstance(nested, dict):
            out.bad.append(BadRow(number, "metrics", "expected an object of metric values"))
            return
        if values:
            extra = ", ".join(sorted(values))
            out.bad.append(BadRow(number, None, f"metrics both under 'metrics' and beside it ({extra})"))
            return
        values = dict(nested)
    _add(out, number, {**{k: item.get(k) for k in KEYS}, **values}, csv_text=False)


def _add(out: MetricsFile, number: int, record: dict[str, Any], csv_text: bool) -> None:
    problems = []
    ids = {}
    for key in (SUBJECT, SESSION):
        value = record.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and not csv_text:
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            problems.append(BadRow(number, key, f"a {key} id is required"))
        elif len(value) > MAX_ID:
            problems.append(BadRow(number, key, f"longer than {MAX_ID} characters"))
        elif (problem := text_problem(value.strip(), identifier=True)) is not None:
            # A NUL or an escape sequence in an id: stored by SQLite, refused by PostgreSQL, printed raw.
            problems.append(BadRow(number, key, f"the {key} id {_show(value.strip())} {problem}"))
        else:
            ids[key] = value.strip()
    when = _date(record.get(DATE))
    if isinstance(when, str):
        problems.append(BadRow(number, DATE, when))
    if problems:
        out.bad.extend(problems)
        return
    assert isinstance(when, date)
    values = {k: v for k, v in record.items() if k not in KEYS}
    out.rows.append(MetricsRow(number, ids[SUBJECT], ids[SESSION], when, values))


def _date(value: Any) -> date | str:
    """The date, or what is wrong with it."""
    if not isinstance(value, str) or not value.strip():
        return "a date is required (YYYY-MM-DD)"
    text = value.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        return f"{text!r} is not a date (YYYY-MM-DD)"


# --- checking against the curriculum ------------------------------------------------------------


def check_row(row: MetricsRow, metrics: Sequence[Metric], curriculum: str = "the curriculum") -> list[BadRow]:
    """Convert ``row.values`` in place to the declared types; the problems (empty when the row is good).

    Empty cells and nulls are a metric not measured that session: dropped, not an error.
    """
    declared = {m.name: m for m in metrics}
    problems = []
    converted: dict[str, Any] = {}
    for column, raw in row.values.items():
        metric = declared.get(column)
        if metric is None:
            continue
        if raw is None or raw == "":
            continue
        value = _convert(raw, metric.type)
        if isinstance(value, _Problem):
            problems.append(BadRow(row.row, column, value.text))
        else:
            converted[column] = value
    unknown = [column for column in row.values if column not in declared]
    if unknown:  # one problem for the row, however many columns (a file may have thousands)
        names = ", ".join(sorted(declared)) or "none"
        if len(unknown) == 1:
            problems.append(BadRow(row.row, unknown[0], f"not a metric of {curriculum} (declared: {names})"))
        else:
            listed = ", ".join(repr(c) for c in unknown[:5]) + (", …" if len(unknown) > 5 else "")
            problems.append(
                BadRow(
                    row.row,
                    None,
                    f"{len(unknown):,} columns are not metrics of {curriculum}: {listed} (declared: {names})",
                )
            )
    if not problems:
        row.values.clear()
        row.values.update(converted)
    return problems


def check_rows(
    rows: Iterable[MetricsRow], metrics: Sequence[Metric], curriculum: str = "the curriculum"
) -> tuple[list[MetricsRow], list[BadRow]]:
    """The good rows (converted) and the problems of the others, for a file whose subjects share metrics."""
    good, bad = [], []
    for row in rows:
        problems = check_row(row, metrics, curriculum)
        if problems:
            bad.extend(problems)
        else:
            good.append(row)
    return good, bad


@dataclass(frozen=True, slots=True)
class _Problem:
    text: str


_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


def _convert(raw: Any, kind: MetricType) -> Any:
    text = raw if isinstance(raw, str) else None
    if kind is MetricType.JSON:  # any JSON value; a CSV cell holds it as JSON text
        if text is None:
            return raw
        try:
            return json.loads(text, parse_constant=_no_constant)
        except ValueError:
            return _Problem(f"expected a JSON value, found {_show(text)}")
    if kind is MetricType.STRING:
        if not isinstance(raw, str):
            return _Problem(f"expected text, found {_show(raw)}")
        problem = text_problem(raw)
        return _Problem(f"the text {problem}") if problem else raw
    if kind is MetricType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        if text is not None and text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        return _Problem(f"expected true or false, found {_show(raw)}")
    if kind is MetricType.INTEGER:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        if text is not None and len(text.strip().lstrip("+-")) <= MAX_INT_DIGITS:
            try:
                return int(text)
            except ValueError:
                pass
        return _Problem(f"expected a whole number, found {_show(raw)}")
    if kind is MetricType.NUMBER_LIST:
        if text is not None and text.startswith("["):
            try:  # as defensively as a file: a cell nested 50,000 deep is a bad cell, not a crash
                raw = parse_json_bytes(text.encode("utf-8", "surrogatepass"), "cell")
            except LoadError as exc:
                return _Problem(f"expected a number or a list of numbers, found {_show(text)} ({exc.reason})")
        if isinstance(raw, list):
            items = [_number(v) for v in raw]
            bad = next((v for v in items if isinstance(v, _Problem)), None)
            return _Problem(f"in the list: {bad.text}") if bad else items
        return _number(raw)
    return _number(raw)


def _no_constant(token: str) -> Any:
    raise ValueError(token)


def _number(raw: Any) -> float | int | _Problem:
    if isinstance(raw, bool):
        return _Problem(f"expected a number, found {_show(raw)}")
    value = raw
    if isinstance(raw, str):
        try:
            value = float(raw)
        except ValueError:
            return _Problem(f"expected a number, found {_show(raw)}")
    if isinstance(value, int):
        return value
    if not isinstance(value, float) or not math.isfinite(value):
        return _Problem(f"expected a finite number, found {_show(raw)}")
    return value


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    text = text if len(text) <= 40 else text[:37] + "..."
    return repr(text) if isinstance(value, str) else text
