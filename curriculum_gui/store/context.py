"""The store's connection context: the engine, its transactions and the per-version caches, plus the
small helpers every operation module shares.

Every write is one transaction (:meth:`StoreContext.write`); each transaction on a SQLite file first checks
that the path still names the file opened (one ``os.stat``): a deleted or replaced file is
:class:`DatabaseUnavailable`, not changes lost into an unlinked file. The operations themselves live in
small modules (:mod:`.versions`, :mod:`.subjects`, :mod:`.evaluation`, :mod:`.positions`, :mod:`.metrics`)
that import this module; :mod:`.workspace` is the facade that offers them as methods.
"""

from __future__ import annotations

import functools
import gc
import getpass
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ParamSpec, Self, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine

from ..core import native_format
from ..core.histories import history_windows
from ..core.model import Curriculum
from ..core.text import text_problem
from ..core.trainer import PythonRuleRunner, Trainer
from . import engine as engines
from . import migrate, opening
from .errors import NotFound, StoreError
from .opening import Upgrade
from .records import CurriculumVersion, position_summary, summary_text
from .schema import curriculum_versions as cv_t
from .schema import events as ev_t
from .schema import subjects as sub_t

P = ParamSpec("P")
R = TypeVar("R")

Progress = Callable[[int, int], None]
"""``progress(done, total)``: called from the thread doing the work, ``done`` increasing up to ``total``."""


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off while a cohort's records are made: tens of thousands
    of objects that live until the caller is done with them, which the collector would otherwise go
    through again and again (a third of an evaluation's time). Reference counting frees the rest as
    usual; the collector runs again after (if it was running)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            # The young objects made meanwhile are looked at now, on this thread, rather than on whichever
            # thread next allocates (the GUI thread installing what a worker read).
            try:
                gc.collect(0)
            finally:
                gc.enable()


def without_collector(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` run with the collector held off (:func:`collector_paused`): for reads that make tens of
    thousands of objects the caller keeps (a subject's history, a cohort's positions). In a program
    holding a large cohort, one full pass of the collector while they were made cost more than the read."""

    @functools.wraps(fn)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        with collector_paused():
            return fn(*args, **kwargs)

    return paused


def default_operator() -> str:
    """Who is at the keyboard: the OS user name (what the event log records when nobody says)."""
    try:
        return getpass.getuser() or "unknown"
    except (KeyError, OSError):
        return os.environ.get("USER") or "unknown"


def now() -> datetime:
    return datetime.now(UTC)


def utc(value: datetime) -> datetime:
    """SQLite gives back naive datetimes: they were written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def require_reason(reason: str | None, what: str) -> str:
    text = optional_text(reason, "the reason")
    if not text:
        raise StoreError(f"{what} needs a reason: say why (it is kept in the subject's history)")
    return text


def optional_text(text: str | None, what: str) -> str | None:
    """Free text a person gave (a reason, an operator), stripped; None when blank. Refused (nothing
    written) when it cannot be stored: a NUL, or a lone surrogate."""
    text = (text or "").strip()
    problem = text_problem(text)
    if problem is not None:
        raise StoreError(f"{what} {text!r} {problem}: nothing was changed")
    return text or None


def operator_name(operator: str | None) -> str:
    """Who made a change: as given (checked like any text), else the OS user."""
    return optional_text(operator, "the operator name") or default_operator()


@dataclass(frozen=True)
class Loaded:
    """A published version, parsed once and compiled once (published versions never change)."""

    record: CurriculumVersion
    curriculum: Curriculum
    trainer: Trainer
    list_metrics: frozenset[str]
    windows: dict[str, int | None]
    """Per list metric, how many of its last items the rules can read (None: all of it); see
    :func:`~curriculum_gui.core.histories.history_windows`."""


class StoreContext:
    """An open database: the engine, its transactions and the cache of parsed published versions.
    The operation modules take one of these; :class:`~.workspace.Workspace` adds the operations.

    ``operator``: who signs the changes made without naming someone (the GUI sets the person chosen at
    the rig); ``ask_operator``: then a change with nobody chosen is refused instead of being signed with
    the login name (see :meth:`who`)."""

    def __init__(self, engine: Engine, url: URL, python_rules: PythonRuleRunner | None = None) -> None:
        self.engine = engine
        self.url = url
        self.python_rules = python_rules
        self.operator: str | None = None
        self.ask_operator = False
        self._loaded: dict[int, Loaded] = {}
        # The SQLite file as opened: every transaction checks the path still names it (see engine).
        self._file_id = engines.sqlite_file_id(url)
        self._checked = False  # SQLite's quick_check passed (before the first write)
        self.created = False  # opening made this database (an explicit create)
        self.upgrade: Upgrade | None = None  # opening migrated an older schema (after a backup copy)

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        db: str | os.PathLike[str] | None = None,
        python_rules: PythonRuleRunner | None = None,
        *,
        create: bool = False,
    ) -> Self:
        """Open the database ``db`` (see :mod:`.engine`; None: the default one). A path that does not
        exist is :class:`DatabaseMissing` unless ``create``; an existing file must be a database of this
        application at a schema this version knows (an older one is copied beside it, then migrated):
        see :mod:`.opening`."""
        url = engines.resolve_url(db)
        created, upgrade = False, None
        if url.get_backend_name() == "sqlite":
            created, upgrade = opening.prepare_sqlite(url, create)
        engine = engines.create_engine(url)
        try:
            with engines.readable_errors(url):
                if url.get_backend_name() != "sqlite":
                    upgrade = opening.check_postgresql(engine, engines.where(url))
                migrate.upgrade(engine, where=engines.where(url))
        except BaseException:
            engine.dispose()
            raise
        context = cls(engine, url, python_rules)
        context.created, context.upgrade = created, upgrade
        return context

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def who(self, operator: str | None = None) -> str:
        """The name a change is signed with: ``operator``, else :attr:`operator`, else the login name
        (unless :attr:`ask_operator`: then a StoreError asking to choose one)."""
        name = optional_text(operator or self.operator, "the operator name")  # stored: checked as text
        if name:
            return name
        if self.ask_operator:
            raise StoreError(
                "choose who you are first (Operator… at the top of the Rig tab): every change is signed"
            )
        return default_operator()

    @property
    def where(self) -> str:
        """The database, for messages (password masked)."""
        return engines.where(self.url)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One all-or-nothing transaction holding the write lock (SQLite) from its start.
        :class:`DatabaseUnavailable` if the SQLite file was deleted or replaced since it was opened.

        Before the first write to a SQLite file, SQLite's ``quick_check`` runs: a damaged file is
        :class:`DatabaseDamaged` (a write would otherwise succeed on the pages still whole).
        On SQLite every commit is in the database file itself before this returns (a rollback journal;
        a file still in WAL mode is checkpointed, :func:`.engine.checkpoint`): a file moved or replaced
        later carries every change reported done, and nothing is left at the path for another file to
        pick up. A file moved or replaced during the transaction is :class:`DatabaseMoved` (the change
        is in the file that was open)."""
        engines.check_same_file(self.url, self._file_id)
        with engines.readable_errors(self.url), self.engine.connect().execution_options(write=True) as conn:
            with conn.begin():
                if self._file_id is not None and not self._checked:
                    engines.check_structure(conn, self.url)  # once, before the first change
                    self._checked = True
                yield conn
            if self._file_id is not None:
                engines.checkpoint(conn)
        engines.check_still_there(self.url, self._file_id)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        engines.check_same_file(self.url, self._file_id)
        with engines.readable_errors(self.url), self.engine.connect() as conn, conn.begin():
            yield conn

    def is_empty(self) -> bool:
        """No curriculum published and no subject: the GUI offers the demo cohort then."""
        with self.read() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(cv_t)).scalar_one() == 0

    # -- published versions (cached: a published version never changes) ------------------------

    def version(self, version_id: int) -> CurriculumVersion:
        return self.loaded(version_id).record

    def curriculum(self, version_id: int) -> Curriculum:
        return self.loaded(version_id).curriculum

    def loaded(self, version_id: int) -> Loaded:
        """The parsed curriculum and its trainer (cached: a published version never changes)."""
        cached = self._loaded.get(version_id)
        if cached is not None:
            return cached
        with self.read() as conn:
            row = conn.execute(sa.select(cv_t).where(cv_t.c.id == version_id)).first()
        if row is None:
            raise NotFound(f"no curriculum version #{version_id} in {self.where}")
        curriculum = native_format.loads(row.document_json, f"{row.name} {row.version}")
        lists = frozenset(m.name for m in curriculum.metrics if m.type.value == "number_list")
        trainer = Trainer(curriculum, self.python_rules)
        windows = history_windows(curriculum, lists)
        loaded = Loaded(version_record(row), curriculum, trainer, lists, windows)
        self._loaded[version_id] = loaded
        return loaded


# --- helpers shared by the operation modules ---------------------------------------------------


def version_record(row: Any) -> CurriculumVersion:
    return CurriculumVersion(
        row.id, row.name, row.version, row.digest, utc(row.published_at), row.published_by
    )


def shown_names(names: Sequence[str], limit: int = 5) -> str:
    """Subject ids for a message: the first few, then how many more."""
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(repr(n) for n in names[:limit]) + more


def fetch_tuples(conn: Connection, query: sa.Select) -> list[tuple[Any, ...]]:
    """``query``'s rows as the driver gives them (plain tuples, no result processing): for reading tens
    of thousands of rows of plain integers and text, where SQLAlchemy's rows cost more than the query."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    args: Any = tuple(params[name] for name in compiled.positiontup or ()) if compiled.positional else params
    sql = str(compiled)
    with _driver_cursor(conn, sql, args) as cursor:
        cursor.execute(sql, args)
        return cursor.fetchall()


@contextmanager
def _driver_cursor(conn: Connection, sql: str, args: Any) -> Iterator[Any]:
    """A cursor of the driver's own on ``conn`` (in its transaction), closed after; the driver's errors
    raised as SQLAlchemy raises them, so the store's messages are the same."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        yield cursor
    except dbapi_error as e:
        raise sa.exc.DBAPIError.instance(sql, args, e, dbapi_error) from e
    finally:
        cursor.close()


def execute_many(
    conn: Connection, statement: sa.Insert | sa.Update | sa.Delete, rows: Sequence[dict[str, Any]]
) -> int:
    """``statement`` once for each of ``rows`` (dicts with the same keys); the number of rows changed.

    On SQLite, through the driver's ``executemany`` with the statement compiled once. SQLAlchemy's own
    path builds and converts every row's parameters in Python. For apply of 10,000 subjects that took
    longer than SQLite's own work. A statement with Python-side defaults (which SQLAlchemy works out per
    row) and other databases go through SQLAlchemy (on PostgreSQL it batches inserts into multi-row
    VALUES)."""
    if not rows:
        return 0
    if conn.dialect.name != "sqlite":
        return conn.execute(statement, list(rows)).rowcount
    dialect = conn.dialect
    keys = list(rows[0])
    compiled = statement.compile(dialect=dialect, column_keys=keys)
    if compiled.insert_prefetch or compiled.update_prefetch or not compiled.positional:
        return conn.execute(statement, list(rows)).rowcount
    names = compiled.positiontup or ()
    binds = compiled.binds
    # Built a column at a time, then zipped into rows: a value is converted once per distinct value. A
    # name the rows do not hold is a value of the statement's own (``.values(updated_at=at)``).
    columns = []
    for name in names:
        processor = binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        own = name not in rows[0]
        column = [binds[name].effective_value] * len(rows) if own else [row[name] for row in rows]
        if processor is not None:
            column = _converted(column, processor)
        columns.append(column)
    args = list(zip(*columns, strict=True))
    sql = compiled.string
    with _driver_cursor(conn, sql, args[:1]) as cursor:
        cursor.executemany(sql, args)
        return cursor.rowcount


def insert_many(conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` (dicts with the same keys) into ``table``; the number inserted. On PostgreSQL (with
    psycopg) by ``COPY``: the driver's ``executemany`` sends each row as a statement of its own, and its
    Python side cost more than the server's work (10,000 applied events: 0.4 s, by COPY about 0.1 s).
    Triggers fire as for an ``INSERT``. Elsewhere :func:`execute_many`. (No column of the store's tables
    has a Python-side default, which COPY would not see.)"""
    if not rows:
        return 0
    if not _copies(conn):
        return execute_many(conn, sa.insert(table), rows)
    _copy(conn, conn.dialect.identifier_preparer.format_table(table), table, rows)
    return len(rows)


def upsert_many(
    conn: Connection, table: sa.Table, keys: tuple[str, ...], rows: Sequence[dict[str, Any]]
) -> None:
    """``INSERT … ON CONFLICT (keys) DO UPDATE`` of ``rows`` (dicts with the same keys, no two with the
    same ``keys``): every other column of a row already there is replaced. On PostgreSQL the rows are
    copied into a temporary table first (see :func:`insert_many`), then merged in one statement."""
    if not rows:
        return
    if not _copies(conn):
        execute_many(conn, _upsert(conn, table, keys), rows)
        return
    quote = conn.dialect.identifier_preparer
    incoming = quote.quote(f"incoming_{table.name}")
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {incoming} "
        f"(LIKE {quote.format_table(table)}) ON COMMIT DELETE ROWS"
    )
    _copy(conn, incoming, table, rows)
    names = [quote.quote(table.c[key].name) for key in rows[0]]
    kept = {quote.quote(table.c[key].name) for key in keys}
    columns = ", ".join(names)
    others = ", ".join(f"{name} = excluded.{name}" for name in names if name not in kept)
    conn.exec_driver_sql(
        f"INSERT INTO {quote.format_table(table)} ({columns}) SELECT {columns} FROM {incoming} "
        f"ON CONFLICT ({', '.join(sorted(kept))}) DO UPDATE SET {others}"
    )
    conn.exec_driver_sql(f"DELETE FROM {incoming}")


def update_many(
    conn: Connection,
    build: Callable[[Callable[[str], Any]], sa.Update],
    types: dict[str, sa.types.TypeEngine[Any]],
    rows: Sequence[dict[str, Any]],
) -> int:
    """An ``UPDATE`` for each of ``rows`` (dicts with the keys of ``types``); the number of rows changed.
    ``build(value)`` makes the statement, ``value(key)`` standing for a row's value. Elsewhere it is a bound
    parameter (:func:`execute_many`); on PostgreSQL a column of a temporary table the rows are copied into,
    so that one statement updates them all (10,000 guarded updates: 240 ms one by one)."""
    if not rows:
        return 0
    if not _copies(conn):
        return execute_many(conn, build(sa.bindparam), rows)
    incoming = sa.Table(
        f"incoming_{'_'.join(types)}",
        sa.MetaData(),
        *(sa.Column(key, kind) for key, kind in types.items()),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DELETE ROWS",
    )
    conn.execute(sa.schema.CreateTable(incoming, if_not_exists=True))
    _copy(conn, conn.dialect.identifier_preparer.format_table(incoming), incoming, rows)
    changed = conn.execute(build(lambda key: incoming.c[key])).rowcount
    conn.execute(sa.delete(incoming))
    return changed


def _upsert(conn: Connection, table: sa.Table, keys: tuple[str, ...]) -> Any:
    """``INSERT … ON CONFLICT (keys) DO UPDATE`` of every other column (SQLite and PostgreSQL alike)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table)
    others = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
    return statement.on_conflict_do_update(index_elements=list(keys), set_=others)


def _copies(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


def _copy(conn: Connection, target: str, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """``rows`` into ``target`` (quoted; ``table``'s columns) by ``COPY … FROM STDIN``."""
    keys = list(rows[0])
    quote = conn.dialect.identifier_preparer
    columns = ", ".join(quote.quote(table.c[key].name) for key in keys)
    sql = f"COPY {target} ({columns}) FROM STDIN"
    with _driver_cursor(conn, sql, ()) as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([row[key] for key in keys])


def _converted(column: list[Any], processor: Callable[[Any], Any]) -> list[Any]:
    try:
        done = {(type(v), v): processor(v) for v in set(column) if v is not None}  # (True and 1 differ)
    except TypeError:  # unhashable values: one at a time
        return [None if v is None else processor(v) for v in column]
    return [None if v is None else done[type(v), v] for v in column]


def subject_row(conn: Connection, subject: str, where: str) -> Any:
    row = conn.execute(sa.select(sub_t).where(sub_t.c.subject_id == subject)).first()
    if row is None:
        raise NotFound(f"no subject {subject!r} in {where}")
    return row


def add_event(
    conn: Connection,
    subject_pk: int | None,
    kind: str,
    operator: str,
    reason: str | None,
    data: dict[str, Any],
    at: datetime,
    batch: str | None = None,
    version_id: int | None = None,
) -> int:
    summary = position_summary(kind, data)
    return conn.execute(
        sa.insert(ev_t)
        .values(
            subject_pk=subject_pk,
            curriculum_version_id=version_id,
            kind=kind,
            at=at,
            operator=operator,
            reason=reason,
            batch=batch,
            data_json=dumps(data),
            position_summary=summary_text(summary),
        )
        .returning(ev_t.c.id)
    ).scalar_one()


def check_parameters(params: Any, where: str) -> None:
    """Task parameters set by hand (an override, the rig tab): within the limits a curriculum file's
    task is held to (values in one task, nesting, text length), else one :class:`StoreError`."""
    from ..core import limits

    try:
        limits.Checker().parameters(params, where)
    except limits.LimitError as exc:
        raise StoreError(f"{exc}; nothing was changed") from None
