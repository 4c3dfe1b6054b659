"""Running histories: what the trainer reads from a subject's evaluated sessions, kept up to date as
sessions are applied, so that evaluating one new session costs the same at session 500 as at session 1.

One row of ``subject_histories`` per subject: the histories of its curriculum's ``number_list`` metrics over
every evaluated session (applied, or set aside by a re-enrollment), in date order, with the key (date,
import order) of the last one. A row is valid while its ``row_version`` is the subject's: every writer
here carries it forward in the same transaction as the change (apply appends the sessions evaluated;
override and eject change no session; a revert takes the sessions it makes pending again off the end), and
a change made any other way (another program, a re-enrollment, a migration to another curriculum
version) leaves it stale. A stale or missing row, a session imported late (dated before the last one), or
a curriculum version with list metrics the row does not hold make the next evaluation rebuild the
histories from the subject's sessions, which stay the only record of the facts.

Stored packed (``columns_json`` says what ``data`` holds): each history as an array of 64-bit floats or
integers (a gap as NaN or the smallest integer), or, for anything else, JSON. The last :data:`CHUNK_ITEMS`
sessions or fewer, which grow, are in the subject's header row (with what it is valid for); the ones
before, joined, in one row of ``subject_history_chunks``, rewritten only when the last chunk fills up.
Reading 500 sessions' worth is two rows and a few microseconds; an apply rewrites a few hundred bytes.
"""

from __future__ import annotations

import functools
import json
import math
import struct
import sys
from array import array
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..core.histories import add_session
from .context import execute_many, fetch_tuples, insert_many, upsert_many
from .schema import curriculum_versions as cv_t
from .schema import metrics_sessions as ms_t
from .schema import subject_histories as sh_t
from .schema import subject_history_chunks as sc_t
from .schema import subjects as sub_t

CHUNK = 500
_GAP_INT = -(2**63)  # the gap of an integer history (a value no import accepts as an integer history)
_LITTLE = sys.byteorder == "little"
_DOUBLE = struct.Struct("<d").pack
_LONG = struct.Struct("<q").pack
_NAN = _DOUBLE(math.nan)
_GAP_BYTES = _LONG(_GAP_INT)


def _fits(kind: str, values: Iterable[Any]) -> bool:
    if kind == "d":
        return all(not (type(v) is not float and v is not None) for v in values)
    if kind == "q":
        return all(not (v is not None and (type(v) is not int or not _GAP_INT < v < 2**63)) for v in values)
    return False


def _pack(kind: str, values: Sequence[Any]) -> bytes:
    gap = math.nan if kind == "d" else _GAP_INT
    packed = array(kind, [gap if v is None else v for v in values] if None in values else values)
    if not _LITTLE:
        packed.byteswap()
    return packed.tobytes()


def _unpack(kind: str, blob: bytes, gaps: int) -> list[Any]:
    packed = array(kind)
    packed.frombytes(blob)
    if not _LITTLE:
        packed.byteswap()
    values = packed.tolist()
    if gaps:
        if kind == "d":
            return [None if v != v else v for v in values]
        return [None if v == _GAP_INT else v for v in values]
    return values


def _pack_column(values: Sequence[Any]) -> tuple[list[Any], bytes]:
    kind = "d" if _fits("d", values) else "q" if _fits("q", values) else "j"
    if kind == "j":
        blob = json.dumps(list(values), separators=(",", ":"), allow_nan=False).encode()
    else:
        blob = _pack(kind, values)
    return [kind, len(values), values.count(None), len(blob)], blob


class Chunk(NamedTuple):
    """Items ``[i * CHUNK_ITEMS, (i + 1) * CHUNK_ITEMS)`` of every history: ``columns`` (name -> kind,
    items, gaps, bytes) and their ``data`` (None: not read, see :func:`load`). (Named tuples here: a
    cohort makes ten thousand at a time.)"""

    columns: dict[str, list[Any]]
    data: bytes | None

    @classmethod
    def of(cls, series: Mapping[str, Sequence[Any]]) -> Chunk:
        columns, parts = {}, []
        for name in sorted(series):
            columns[name], blob = _pack_column(series[name])
            parts.append(blob)
        return cls(columns, b"".join(parts))

    def appended(self, new: Mapping[str, Sequence[Any]]) -> Chunk | None:
        """This chunk with ``new`` items added to each column (their bytes after the old ones), or None
        when they do not fit its kinds or make it longer than :data:`CHUNK_ITEMS`."""
        columns, parts = {}, []
        offset = 0
        data = self.data
        for name, (kind, items, gaps, size) in self.columns.items():
            added = new[name]
            end = offset + size
            if kind == "j" or items + len(added) > CHUNK_ITEMS:
                return None
            if len(added) == 1:  # the usual case, one session: without the general loops
                value = added[0]
                if value is None:
                    parts.append(data[offset:end] + (_NAN if kind == "d" else _GAP_BYTES))
                    columns[name] = [kind, items + 1, gaps + 1, size + 8]
                elif (kind == "d" and type(value) is float) or (
                    kind == "q" and type(value) is int and _GAP_INT < value < 2**63
                ):
                    parts.append(data[offset:end] + (_DOUBLE if kind == "d" else _LONG)(value))
                    columns[name] = [kind, items + 1, gaps, size + 8]
                else:
                    return None
            elif not _fits(kind, added):
                return None
            else:
                blob = data[offset:end] + _pack(kind, added) if added else data[offset:end]
                columns[name] = [kind, items + len(added), gaps + added.count(None), len(blob)]
                parts.append(blob)
            offset = end
        return Chunk(columns, b"".join(parts))

    @staticmethod
    def merged(chunks: Sequence[Chunk]) -> Chunk:
        """One chunk of ``chunks`` one after the other (their bytes joined when their kinds agree)."""
        if len(chunks) == 1:
            return chunks[0]
        columns: dict[str, list[Any]] = {}
        parts = []
        lists = None
        for name in chunks[0].columns:
            found = []
            for chunk in chunks:
                offset = 0
                for other, column in chunk.columns.items():
                    if other == name:
                        found.append((column, chunk.data[offset : offset + column[3]]))
                        break
                    offset += column[3]
            kinds = {column[0] for column, _ in found}
            if len(kinds) == 1 and "j" not in kinds:
                blob = b"".join(part for _, part in found)
                items = sum(column[1] for column, _ in found)
                gaps = sum(column[2] for column, _ in found)
                columns[name] = [found[0][0][0], items, gaps, len(blob)]
                parts.append(blob)
            else:  # kinds that differ: packed again from the values
                lists = lists or Packed(tuple(chunks)).lists()
                columns[name], blob = _pack_column(lists[name])
                parts.append(blob)
        return Chunk(columns, b"".join(parts))

    def lists(self) -> dict[str, list[Any]]:
        out = {}
        offset = 0
        data = self.data
        for name, (kind, items, gaps, size) in self.columns.items():
            start = offset
            offset += size
            if not items:  # a new subject's: nothing to unpack
                out[name] = []
                continue
            blob = data[start:offset]
            out[name] = json.loads(blob) if kind == "j" else _unpack(kind, blob, gaps)
        return out


class Packed(NamedTuple):
    """Histories as stored: chunks of :data:`CHUNK_ITEMS` items. The last one, which grows, lives in the
    subject's header row; the ones before it are stored joined in one row (``stored``: 1 when it is
    there), rewritten only when the last chunk fills up. ``grown``: these are stored histories with items
    added since (an apply writes the header, and that row when a chunk filled up)."""

    chunks: tuple[Chunk, ...]
    stored: int = 0
    grown: bool = False

    @classmethod
    def of(cls, series: Mapping[str, Sequence[Any]]) -> Packed:
        return cls(_chunked(series), 0)

    def names(self) -> set[str]:
        return set(self.chunks[0].columns) if self.chunks else set()

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for chunk in self.chunks:
            for name, (_kind, items, _gaps, _size) in chunk.columns.items():
                out[name] = out.get(name, 0) + items
        return out

    def lists(self) -> dict[str, list[Any]]:
        chunks = self.chunks
        if len(chunks) == 1:
            return chunks[0].lists()
        out: dict[str, list[Any]] = {}
        pieces: dict[str, list[tuple[list[Any], bytes]]] = {name: [] for name in chunks[0].columns}
        for chunk in chunks:
            offset = 0
            for name, column in chunk.columns.items():
                size = column[3]
                pieces[name].append((column, chunk.data[offset : offset + size]))
                offset += size
        for name, parts in pieces.items():
            kinds = {column[0] for column, _ in parts}
            if len(kinds) == 1 and "j" not in kinds:  # one array: unpacked at once
                gaps = sum(column[2] for column, _ in parts)
                out[name] = _unpack(parts[0][0][0], b"".join(blob for _, blob in parts), gaps)
            else:
                values: list[Any] = []
                for column, blob in parts:
                    values += json.loads(blob) if column[0] == "j" else _unpack(column[0], blob, column[2])
                out[name] = values
        return out

    def tails(self, windows: Mapping[str, int | None]) -> dict[str, list[Any]]:
        """The histories as :meth:`lists` gives them, but for a name with a window ``n``: only its last
        ``n`` items or more (at least the whole last chunk) are read, the ones before are ``None``. Same
        length, same last items; unpacking 500 sessions of floats is what this saves. For the trainer's
        rules that read no more (:func:`~curriculum_gui.core.histories.history_windows`); never stored:
        :meth:`extended` takes only the items after the stored ones, and the last chunk is whole."""
        if len(self.chunks) <= 1:  # the last chunk is always whole: nothing to leave out
            return self.lists()
        out: dict[str, list[Any]] = {}
        whole: dict[str, list[Any]] | None = None
        for name in self.chunks[0].columns:
            n = windows.get(name)
            tail = self._tail(name, n) if n is not None else None
            if tail is None:
                whole = whole or self.lists()
                tail = whole[name]
            out[name] = tail
        return out

    def _tail(self, name: str, n: int) -> list[Any] | None:
        """History ``name``, all but its last ``max(n, items of the last chunk)`` items as ``None``; None
        when a part it needs is stored as JSON or was not read. Chunks holding none of its items are not
        needed (they may be unread)."""
        parts: list[tuple[list[Any], bytes, int]] = []  # (column, the chunk's data, where the column starts)
        for chunk in self.chunks:
            offset = 0
            for other, column in chunk.columns.items():
                if other == name:
                    parts.append((column, chunk.data, offset))
                    break
                offset += column[3]
        total = sum(column[1] for column, _, _ in parts)
        keep = min(max(n, parts[-1][0][1]), total)
        pieces: list[list[Any]] = []
        left = keep
        for (kind, items, gaps, size), data, offset in reversed(parts):
            if not items:  # e.g. a full chunk from before a session gave this history as an empty list
                continue
            if kind == "j" or data is None:
                return None
            take = min(items, left)
            pieces.append(_unpack(kind, data[offset + (items - take) * 8 : offset + size], gaps))
            left -= take
            if not left:
                break
        values: list[Any] = [None] * (total - keep)
        for piece in reversed(pieces):
            values += piece
        return values

    def extended(self, series: Mapping[str, list[Any]], restarted: set[str]) -> Packed:
        """The histories ``series``: these ones with items added at the end (but the names in
        ``restarted``, which a whole list started again). The new items go at the end of the last
        chunk, and into new ones when it is full; the chunks before are kept as they are."""
        counts = self.counts()
        if set(series) != set(counts) or restarted or not self.chunks:
            return Packed.of(series)
        last = len(self.chunks) - 1
        tail = self.chunks[last]
        added = tail.appended({name: series[name][counts[name] :] for name in series})
        if added is not None:
            return Packed((*self.chunks[:last], added), self.stored, True)
        if all(tail.columns[name][1] == CHUNK_ITEMS for name in series):  # full: new chunks after it
            return Packed(self.chunks + _chunked(series, counts), self.stored, True)
        starts = {name: counts[name] - tail.columns[name][1] for name in series}
        return Packed(self.chunks[:last] + _chunked(series, starts), min(self.stored, last), True)


CHUNK_ITEMS = 64
"""Items of each history per stored chunk. The last one is rewritten by each apply, in the subject's
header row (a few hundred bytes, beside the other subjects'); full ones are written once."""


def _chunked(
    series: Mapping[str, Sequence[Any]], starts: Mapping[str, int] | None = None
) -> tuple[Chunk, ...]:
    """``series`` from ``starts`` (each history's first item; default 0) in chunks of
    :data:`CHUNK_ITEMS` items (at least one chunk)."""
    begin = starts or dict.fromkeys(series, 0)
    longest = max((len(v) - begin[name] for name, v in series.items()), default=0)
    return tuple(
        Chunk.of(
            {
                name: values[begin[name] + i * CHUNK_ITEMS : begin[name] + (i + 1) * CHUNK_ITEMS]
                for name, values in series.items()
            }
        )
        for i in range(max((longest + CHUNK_ITEMS - 1) // CHUNK_ITEMS, 1))
    )


class Running(NamedTuple):
    """A subject's running histories, valid for its ``row_version``: ``sessions`` evaluated sessions, the
    last of which has the key ``last`` (date, session row id)."""

    row_version: int
    sessions: int
    last: tuple[date, int] | None
    packed: Packed

    def carries_on(
        self, row_version: int, list_metrics: frozenset[str], first_pending: tuple[date, int] | None
    ) -> bool:
        """Valid for this row version, holding these ``number_list`` metrics, and the first pending
        session (its key, if any) dated after the last evaluated one (else: imported late)."""
        chunks = self.packed.chunks
        names = chunks[0].columns.keys() if chunks else frozenset()
        if self.row_version != row_version or not list_metrics <= names:
            return False
        return self.last is None or first_pending is None or first_pending > self.last

    def header(self, subject_pk: int) -> dict[str, Any]:
        """The header row: what it is valid for, and the last chunk (``chunks``: 1 when the ones before
        it are stored, joined, in the chunk table)."""
        tail = self.packed.chunks[-1]
        return {
            "subject_pk": subject_pk,
            "row_version": self.row_version,
            "sessions": self.sessions,
            "last_date": self.last[0] if self.last else None,
            "last_session": self.last[1] if self.last else None,
            "chunks": 1 if len(self.packed.chunks) > 1 else 0,
            "columns_json": _columns_text(tail.columns),
            "data": tail.data,
        }

    def rewrites_full_chunks(self, everything: bool = True) -> bool:
        """:meth:`chunk_rows` gives a row (none while only the last chunk changes)."""
        chunks = self.packed.chunks
        return len(chunks) > 1 and (everything or len(chunks) - 1 > self.packed.stored)

    def chunk_rows(self, subject_pk: int, everything: bool = True) -> list[dict[str, Any]]:
        """The row of the full chunks, joined (unless ``everything`` is false and it is stored as it is:
        none while only the last chunk changes)."""
        chunks = self.packed.chunks
        if not self.rewrites_full_chunks(everything):
            return []
        body = Chunk.merged(chunks[:-1])
        return [
            {
                "subject_pk": subject_pk,
                "chunk": 0,
                "columns_json": _columns_text(body.columns),
                "data": body.data,
            }
        ]


def _columns_text(columns: dict[str, list[Any]]) -> str:
    return _columns_dumped(tuple((name, tuple(column)) for name, column in columns.items()))


@functools.lru_cache(maxsize=4096)
def _columns_dumped(columns: tuple[tuple[str, tuple[Any, ...]], ...]) -> str:
    return json.dumps({name: list(column) for name, column in columns}, separators=(",", ":"))


@functools.lru_cache(maxsize=4096)
def _columns(text: str) -> dict[str, list[Any]]:
    """A chunk's ``columns_json``, parsed (the chunks of a cohort mostly share a handful of them).
    Read-only: the dict is shared."""
    return json.loads(text)


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def load(conn: Connection, subject_pks: Sequence[int] | sa.Select, stored: bool = True) -> dict[int, Running]:
    """The running histories of these subjects (``subject_pks``: a list, or a query of them). Without
    ``stored``, the full chunks before the last one are left unread (their ``data`` is None; their
    columns say what they hold): :func:`read_stored` reads them for the subjects that need them. Most
    evaluations read only the last items, and that row is most of a long history's bytes (on PostgreSQL,
    reading it for 1,000 subjects with 500 sessions took 46 ms of a 60 ms load)."""
    if isinstance(subject_pks, sa.Select):
        chunks: Iterable[Any] = [subject_pks]
    else:
        pks = list(subject_pks)
        chunks = [pks[i : i + CHUNK] for i in range(0, len(pks), CHUNK)]
    out: dict[int, Running] = {}
    for chosen in chunks:
        headers = {
            row[0]: row
            for row in fetch_tuples(
                conn,
                sa.select(
                    sh_t.c.subject_pk,
                    sh_t.c.row_version,
                    sh_t.c.sessions,
                    sh_t.c.last_date,
                    sh_t.c.last_session,
                    sh_t.c.chunks,
                    sh_t.c.columns_json,
                    sh_t.c.data,
                ).where(sh_t.c.subject_pk.in_(chosen)),
            )
        }
        parts: dict[int, list[Chunk]] = {}
        query = (
            sa.select(sc_t.c.subject_pk, sc_t.c.columns_json, sc_t.c.data if stored else sa.null())
            .where(sc_t.c.subject_pk.in_(chosen))
            .order_by(sc_t.c.subject_pk, sc_t.c.chunk)
        )
        for pk, columns, data in fetch_tuples(conn, query):
            parts.setdefault(pk, []).append(Chunk(_columns(columns), bytes(data) if stored else None))
        for pk, (_pk, version, sessions, last_date, last_session, count, columns, data) in headers.items():
            full = parts.get(pk, [])
            if len(full) != count:
                continue  # not whole: rebuilt when needed
            last = (_date(last_date), last_session) if last_date is not None else None
            tail = Chunk(_columns(columns), bytes(data))
            out[pk] = Running(version, sessions, last, Packed((*full, tail), len(full)))  # full: 0 or 1
    return out


def read_stored(conn: Connection, running: dict[int, Running], subject_pks: Sequence[int]) -> None:
    """Read the full chunks :func:`load` left unread for these subjects into ``running`` (each chunk's
    columns and data from one row, so they always agree)."""
    pks = [pk for pk in subject_pks if pk in running]
    for start in range(0, len(pks), CHUNK):
        query = (
            sa.select(sc_t.c.subject_pk, sc_t.c.columns_json, sc_t.c.data)
            .where(sc_t.c.subject_pk.in_(pks[start : start + CHUNK]))
            .order_by(sc_t.c.subject_pk, sc_t.c.chunk)
        )
        found: dict[int, list[Chunk]] = {}
        for pk, columns, data in fetch_tuples(conn, query):
            found.setdefault(pk, []).append(Chunk(_columns(columns), bytes(data)))
        for pk in pks[start : start + CHUNK]:
            current = running[pk]
            stored = iter(found.get(pk, []))
            chunks = tuple(next(stored, None) if c.data is None else c for c in current.packed.chunks)
            if None in chunks or next(stored, None) is not None:
                del running[pk]  # rewritten meanwhile (another program): rebuilt when needed
                continue
            running[pk] = current._replace(packed=current.packed._replace(chunks=chunks))


def unread(running: Running) -> bool:
    """Some of its chunks were left unread by :func:`load`."""
    chunks = running.packed.chunks
    return len(chunks) > 1 and any(chunk.data is None for chunk in chunks)


def save(conn: Connection, running: Mapping[int, Running], fresh: bool = False, grown: bool = False) -> None:
    """Write these subjects' running histories: the header (with the last chunk), and the full chunks
    the chunk table does not hold yet. ``fresh``: none of them has one yet (new subjects); ``grown``:
    each one only grew since it was read (an apply): the header is replaced, full chunks are added."""
    if not running:
        return
    missing = [pk for pk, r in running.items() if unread(r) and r.rewrites_full_chunks(everything=not grown)]
    if missing:  # (an evaluation reads them when its apply will need them: this is a safety net)
        running = dict(running)
        read_stored(conn, running, missing)
        drop(conn, [pk for pk in missing if pk not in running])  # not as read: rebuilt when needed
    pks = list(running)
    if not fresh and not grown:
        for start in range(0, len(pks), CHUNK):
            conn.execute(sa.delete(sh_t).where(sh_t.c.subject_pk.in_(pks[start : start + CHUNK])))
        execute_many(
            conn,
            sa.delete(sc_t).where(
                sc_t.c.subject_pk == sa.bindparam("b_pk"), sc_t.c.chunk >= sa.bindparam("b_from")
            ),
            [{"b_pk": pk, "b_from": 0} for pk in running],
        )
    headers = [r.header(pk) for pk, r in running.items()]
    rows = [row for pk, r in running.items() for row in r.chunk_rows(pk, everything=not grown)]
    for start in range(0, len(headers), CHUNK):
        if grown:  # a row there is replaced in one statement (an insert or an update)
            upsert_many(conn, sh_t, ("subject_pk",), headers[start : start + CHUNK])
        else:
            insert_many(conn, sh_t, headers[start : start + CHUNK])
    for start in range(0, len(rows), CHUNK):
        if grown:
            upsert_many(conn, sc_t, ("subject_pk", "chunk"), rows[start : start + CHUNK])
        else:
            insert_many(conn, sc_t, rows[start : start + CHUNK])


def drop(conn: Connection, subject_pks: Sequence[int]) -> None:
    """Forget these subjects' running histories (the next evaluation rebuilds them)."""
    pks = list(subject_pks)
    for start in range(0, len(pks), CHUNK):
        chosen = pks[start : start + CHUNK]
        conn.execute(sa.delete(sc_t).where(sc_t.c.subject_pk.in_(chosen)))
        conn.execute(sa.delete(sh_t).where(sh_t.c.subject_pk.in_(chosen)))


def carry(conn: Connection, moves: Sequence[tuple[int, int]]) -> None:
    """``(subject_pk, row_version before)`` for changes that evaluated no session and made none pending
    again (override, eject): a running history valid before is valid after (its row version goes up by
    one, as the subject's did); a stale one stays stale."""
    if moves:
        execute_many(
            conn,
            sa.update(sh_t)
            .where(sh_t.c.subject_pk == sa.bindparam("b_pk"), sh_t.c.row_version == sa.bindparam("b_v"))
            .values(row_version=sh_t.c.row_version + 1),
            [{"b_pk": pk, "b_v": version} for pk, version in moves],
        )


def unconsume(conn: Connection, undone: Mapping[int, tuple[int, Sequence[int]]]) -> None:
    """After a revert, ``{subject_pk: (row_version before, [events undone])}``: the sessions those events
    had evaluated (or set aside) are pending again. Call it *before* they are marked pending. A history
    they end is cut back to before them; otherwise (stale, or they were not the last ones, or one of
    them gave a whole list) it is dropped and rebuilt when needed."""
    if not undone:
        return
    running = load(conn, list(undone))
    events = sorted({e for _, ids in undone.values() for e in ids})
    sessions: dict[int, list[tuple[tuple[date, int], str]]] = {}
    for start in range(0, len(events), CHUNK):
        query = sa.select(ms_t.c.subject_pk, ms_t.c.session_date, ms_t.c.id, ms_t.c.values_json).where(
            ms_t.c.consumed_by.in_(events[start : start + CHUNK])
        )
        for pk, day, sid, values in conn.execute(query):
            sessions.setdefault(pk, []).append(((_date(day), sid), values))
    keep: dict[int, Running] = {}
    moves: list[tuple[int, int]] = []
    stale: list[int] = []
    fresh = [
        pk for pk, (version, _) in undone.items() if getattr(running.get(pk), "row_version", None) == version
    ]
    remaining = _last_evaluated(conn, {pk: undone[pk][1] for pk in fresh if pk in sessions})
    for pk, (version, _events) in undone.items():
        current = running.get(pk)
        gone = sorted(sessions.get(pk, ()))
        if current is None or current.row_version != version:
            stale.append(pk)
            continue
        if not gone:
            moves.append((pk, version))
            continue
        last = remaining.get(pk)
        series = current.packed.lists()
        gone_values = [json.loads(v) for _, v in gone]
        if (
            (last is not None and last >= gone[0][0])
            or current.last != gone[-1][0]
            or current.sessions < len(gone)
            or any(type(v.get(name)) is list for v in gone_values for name in series)
        ):
            stale.append(pk)
            continue
        for history in series.values():
            del history[len(history) - len(gone) :]
        keep[pk] = Running(version + 1, current.sessions - len(gone), last, Packed.of(series))
    drop(conn, stale)
    carry(conn, moves)
    save(conn, keep)


def _last_evaluated(conn: Connection, undone: Mapping[int, Sequence[int]]) -> dict[int, tuple[date, int]]:
    """``{subject_pk: events undone}`` -> the (date, id) of each subject's last evaluated session that
    none of those events evaluated (absent: none). A statement per :data:`CHUNK` subjects, not one per
    subject: ten thousand small statements in a row kept the GUI thread from the interpreter for tens of
    milliseconds at a time (each gives it up and takes it back before the other thread wakes)."""
    out: dict[int, tuple[date, int]] = {}
    pks = list(undone)
    other = ms_t.alias("other")
    for start in range(0, len(pks), CHUNK):
        chunk = pks[start : start + CHUNK]
        events = sorted({e for pk in chunk for e in undone[pk]})
        latest = (
            sa.select(other.c.id)
            .where(
                other.c.subject_pk == sub_t.c.id,
                other.c.consumed_by.is_not(None),
                other.c.consumed_by.not_in(events),
            )
            .order_by(other.c.session_date.desc(), other.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        query = sa.select(ms_t.c.subject_pk, ms_t.c.session_date, ms_t.c.id).where(
            ms_t.c.id.in_(sa.select(latest).where(sub_t.c.id.in_(chunk)))
        )
        for pk, day, sid in conn.execute(query):
            out[pk] = (_date(day), sid)
    return out


# --- rebuilding from the sessions (the migration that builds the table, and tests) -----------------


def list_metrics(document_json: str) -> frozenset[str]:
    """The ``number_list`` metrics a published curriculum document declares."""
    metrics = json.loads(document_json).get("metrics") or []
    return frozenset(m["name"] for m in metrics if isinstance(m, dict) and m.get("type") == "number_list")


def rebuild_all(conn: Connection) -> int:
    """Replay every subject's evaluated sessions into its running histories (the table is emptied first):
    one pass over the sessions, in date order. Returns the number of subjects written."""
    names = {vid: list_metrics(doc) for vid, doc in conn.execute(sa.select(cv_t.c.id, cv_t.c.document_json))}
    subjects = {
        pk: (version, sorted(names.get(vid, ())))
        for pk, vid, version in conn.execute(
            sa.select(sub_t.c.id, sub_t.c.curriculum_version_id, sub_t.c.row_version)
        )
    }
    conn.execute(sa.delete(sc_t))
    conn.execute(sa.delete(sh_t))
    query = (
        sa.select(ms_t.c.subject_pk, ms_t.c.session_date, ms_t.c.id, ms_t.c.values_json)
        .where(ms_t.c.consumed_by.is_not(None))
        .order_by(ms_t.c.subject_pk, ms_t.c.session_date, ms_t.c.id)
    )
    batch: dict[int, Running] = {}
    done: set[int] = set()

    def close(pk: int | None, series: dict[str, list[Any]], count: int, last: Any) -> None:
        nonlocal batch
        if pk is None or pk not in subjects:
            return
        done.add(pk)
        batch[pk] = Running(subjects[pk][0], count, last, Packed.of(series))
        if len(batch) >= CHUNK:
            save(conn, batch)
            batch = {}

    series: dict[str, list[Any]] = {}
    count = 0
    last: tuple[date, int] | None = None
    current = None
    loads = json.loads
    rows = conn.execute(query, execution_options={"stream_results": True, "yield_per": 5000})
    for pk, day, sid, values in rows:
        if pk != current:
            close(current, series, count, last)
            current, count = pk, 0
            series = {name: [] for name in subjects.get(pk, (0, []))[1]}
        add_session(series, loads(values))
        count += 1
        last = (_date(day), sid)
    close(current, series, count, last)
    for pk, (_version, metric_names) in subjects.items():
        if pk not in done:
            close(pk, {name: [] for name in metric_names}, 0, None)
    save(conn, batch)
    return len(subjects)
