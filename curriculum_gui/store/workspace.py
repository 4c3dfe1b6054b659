"""The store's front door: one object the CLI and the GUI share (``Workspace.open(url)``).

Every write is one transaction; every change of a subject bumps its ``row_version`` and is refused with
:class:`ConflictError` when the version the caller read is stale, so two rigs on one database never lose
an update. Every change also appends to the event log, which nothing rewrites. The operations live in
small modules (:mod:`.subjects`, :mod:`.evaluation`, :mod:`.positions`, :mod:`.metrics`); this class
holds the engine and the per-version caches and offers them as methods. Each transaction on a SQLite
file first checks that the path still names the file opened (one ``os.stat``): a deleted or replaced file
is :class:`DatabaseUnavailable`, not changes lost into an unlinked file.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine

from ..core import native_format
from ..core.model import Curriculum
from ..core.trainer import PythonRuleRunner, SubjectState, Trainer
from . import engine as engines
from . import migrate
from .errors import NotFound, StoreError
from .records import (
    PUBLISHED,
    ApplyResult,
    CurriculumVersion,
    Event,
    ImportReport,
    MetricsSession,
    PositionEvent,
    RevertResult,
    SubjectInfo,
    SubjectRow,
    Suggestion,
)
from .schema import curriculum_versions as cv_t
from .schema import events as ev_t
from .schema import subjects as sub_t

Progress = Callable[[int, int], None]
"""``progress(done, total)``: called from the thread doing the work, ``done`` increasing up to ``total``."""


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
    text = (reason or "").strip()
    if not text:
        raise StoreError(f"{what} needs a reason: say why (it is kept in the subject's history)")
    return text


@dataclass(frozen=True)
class Loaded:
    """A published version, parsed once and compiled once (published versions never change)."""

    record: CurriculumVersion
    curriculum: Curriculum
    trainer: Trainer
    list_metrics: frozenset[str]


class Workspace:
    """A database of subjects, curricula and their history. Use ``with Workspace.open(url) as ws:``."""

    def __init__(self, engine: Engine, url: URL, python_rules: PythonRuleRunner | None = None) -> None:
        self.engine = engine
        self.url = url
        self.python_rules = python_rules
        self._loaded: dict[int, Loaded] = {}
        # The SQLite file as opened: every transaction checks the path still names it (see engine).
        self._file_id = engines.sqlite_file_id(url)

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(
        cls, db: str | os.PathLike[str] | None = None, python_rules: PythonRuleRunner | None = None
    ) -> Workspace:
        """Open (creating and migrating the schema as needed) the database ``db`` (see :mod:`.engine`)."""
        url = engines.resolve_url(db)
        engine = engines.create_engine(url)
        try:
            with engines.readable_errors(url):
                if url.get_backend_name() == "sqlite" and Path(url.database or "").exists():
                    _check_sqlite_header(Path(url.database or ""), url)
                migrate.upgrade(engine, where=engines.where(url))
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, url, python_rules)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def where(self) -> str:
        """The database, for messages (password masked)."""
        return engines.where(self.url)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One all-or-nothing transaction holding the write lock (SQLite) from its start.
        :class:`DatabaseUnavailable` if the SQLite file was deleted or replaced since it was opened."""
        engines.check_same_file(self.url, self._file_id)
        with (
            engines.readable_errors(self.url),
            self.engine.connect().execution_options(write=True) as conn,
            conn.begin(),
        ):
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        engines.check_same_file(self.url, self._file_id)
        with engines.readable_errors(self.url), self.engine.connect() as conn, conn.begin():
            yield conn

    def is_empty(self) -> bool:
        """No curriculum published and no subject: the GUI offers the demo cohort then."""
        with self.read() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(cv_t)).scalar_one() == 0

    # -- curriculum versions -------------------------------------------------------------------

    def publish(self, curriculum: Curriculum, operator: str | None = None) -> CurriculumVersion:
        """Publish ``curriculum`` as ``name`` + ``version`` (immutable). Publishing the same content
        again returns the existing record; other content under a published version is refused."""
        from ..core.problems import Severity
        from ..core.validation import validate

        errors = [p for p in validate(curriculum) if p.severity is Severity.ERROR]
        if errors:
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise StoreError(f"cannot publish {curriculum.name!r}: {errors[0]}{more}")
        document = native_format.dumps(curriculum)
        digest = hashlib.sha256(document.encode("utf-8")).hexdigest()
        operator = operator or default_operator()
        with self.write() as conn:
            found = conn.execute(
                sa.select(cv_t).where(cv_t.c.name == curriculum.name, cv_t.c.version == curriculum.version)
            ).first()
            if found is not None:
                if found.digest != digest:
                    raise StoreError(
                        f"curriculum {curriculum.name!r} version {curriculum.version} is already published "
                        "with different content: published versions never change, give this one a new version"
                    )
                return _version(found)
            at = now()
            version_id = conn.execute(
                sa.insert(cv_t)
                .values(
                    name=curriculum.name,
                    version=curriculum.version,
                    document_json=document,
                    digest=digest,
                    published_at=at,
                    published_by=operator,
                )
                .returning(cv_t.c.id)
            ).scalar_one()
            add_event(
                conn,
                None,
                PUBLISHED,
                operator,
                None,
                {"name": curriculum.name, "version": curriculum.version, "digest": digest},
                at,
                version_id=version_id,
            )
        return self.version(version_id)

    def versions(self) -> list[CurriculumVersion]:
        """Every published version, oldest first."""
        with self.read() as conn:
            return [_version(r) for r in conn.execute(sa.select(cv_t).order_by(cv_t.c.id))]

    def version(self, version_id: int) -> CurriculumVersion:
        return self.loaded(version_id).record

    def find_version(self, name: str, version: str | None = None) -> CurriculumVersion:
        """By name (and version; without one, the latest published)."""
        query = sa.select(cv_t).where(cv_t.c.name == name)
        if version is not None:
            query = query.where(cv_t.c.version == version)
        with self.read() as conn:
            row = conn.execute(query.order_by(cv_t.c.id.desc()).limit(1)).first()
        if row is None:
            what = f"{name!r} version {version}" if version else repr(name)
            raise NotFound(f"no published curriculum {what} in {self.where} (publish it first)")
        return _version(row)

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
        loaded = Loaded(_version(row), curriculum, Trainer(curriculum, self.python_rules), lists)
        self._loaded[version_id] = loaded
        return loaded

    # -- subjects (see .subjects) --------------------------------------------------------------

    def register(
        self,
        subjects: Sequence[SubjectInfo | str],
        version_id: int,
        start_stage: str | None = None,
        operator: str | None = None,
    ) -> int:
        """Register and enroll new subjects on a published version (start stage, or ``start_stage``:
        name or id). All or none: an id already registered refuses the whole call. Returns the count."""
        from .subjects import register

        return register(self, subjects, version_id, start_stage, operator)

    def subjects(self, subjects: Sequence[str] | None = None) -> list[SubjectRow]:
        """The subjects table in one query, ordered by id (or only ``subjects``)."""
        from .subjects import list_subjects

        return list_subjects(self, subjects)

    def subject(self, subject: str) -> SubjectRow:
        rows = self.subjects([subject])
        if not rows:
            raise NotFound(f"no subject {subject!r} in {self.where}")
        return rows[0]

    def state(self, subject: str) -> SubjectState:
        with self.read() as conn:
            return SubjectState.from_json(json.loads(subject_row(conn, subject, self.where).state_json))

    def history(self, subject: str) -> list[Event]:
        """The subject's events, oldest first (nothing is ever removed from it)."""
        from .subjects import history

        return history(self, subject)

    def batch_subjects(self, batch: str) -> list[str]:
        """The subjects of an applied batch (``ApplyResult.batch``, ``Event.batch``), sorted."""
        from .subjects import batch_subjects

        return batch_subjects(self, batch)

    def sessions(self, subject: str) -> list[MetricsSession]:
        """The subject's imported sessions with their values, oldest first, and whether each was evaluated
        (for plots: session numbers line up with the ``applied`` events' sessions)."""
        from .subjects import sessions

        return sessions(self, subject)

    def position_events(self, subjects: Sequence[str] | None = None) -> dict[str, list[PositionEvent]]:
        """Every change of position (enrolled, applied, override, eject, re-enroll, revert) of ``subjects``
        (default: all), by subject, oldest first, in one query (the cohort view of thousands of mice)."""
        from .subjects import position_events

        return position_events(self, subjects)

    def next_session(self, subject: str) -> dict[str, Any]:
        """What the rig runs next: stage, task, active policies and the task parameters (plain JSON)."""
        from .subjects import next_session

        return next_session(self, subject)

    def trainer_state(self, subject: str) -> dict[str, Any]:
        """The same as an aind TrainerState (needs an aind-exportable curriculum: Python rule references)."""
        from .subjects import trainer_state

        return trainer_state(self, subject)

    # -- metrics and the trainer (see .metrics, .evaluation) -----------------------------------

    def import_metrics(
        self, source: str | Path, format: str | None = None, progress: Progress | None = None
    ) -> ImportReport:
        """Import a CSV/JSON/JSONL metrics file; bad rows are reported and skipped, sessions already
        imported are not duplicated. ``progress(rows checked and written, rows read)``."""
        from .metrics import import_file

        return import_file(self, source, format, progress)

    def evaluate(
        self, subjects: Sequence[str] | None = None, progress: Progress | None = None
    ) -> list[Suggestion]:
        """Suggestions for every subject with new sessions (or only ``subjects``); changes nothing.
        ``progress(subjects evaluated, subjects to evaluate)``."""
        from .evaluation import evaluate

        return evaluate(self, subjects, progress)

    def apply(
        self,
        suggestions: Sequence[Suggestion],
        operator: str | None = None,
        progress: Progress | None = None,
    ) -> ApplyResult:
        """Apply the applicable suggestions as one all-or-nothing transaction; :class:`ConflictError`
        (and nothing written) if any subject changed since it was evaluated."""
        from .evaluation import apply

        return apply(self, suggestions, operator, progress)

    def reject(
        self, suggestions: Sequence[Suggestion], *, reason: str | None = None, operator: str | None = None
    ) -> int:
        """Log that these suggestions were turned down (an ``evaluated`` event marked rejected, with what
        was suggested, why, and ``reason``), changing no subject: the sessions stay pending. Returns the
        number of events written."""
        from .evaluation import record

        return record(self, suggestions, operator, reason, rejected=True)

    # -- manual changes (see .positions) -------------------------------------------------------

    def override(
        self,
        subject: str,
        stage: str,
        policies: Sequence[str] | None = None,
        parameters: dict[str, Any] | None = None,
        *,
        reason: str,
        operator: str | None = None,
        expected_version: int | None = None,
    ) -> SubjectRow:
        """Put a subject on ``stage`` (name or id) with ``policies`` (names or ids; default: the start
        policies on a new stage, the current ones on the same stage) and ``parameters`` (default: the
        stage's defaults on a new stage, the current ones on the same stage)."""
        from .positions import override

        return override(self, subject, stage, policies, parameters, reason, operator, expected_version)

    def eject(
        self, subject: str, *, reason: str, operator: str | None = None, expected_version: int | None = None
    ) -> SubjectRow:
        """Take a subject off its curriculum (the trainer stops evaluating it)."""
        from .positions import eject

        return eject(self, subject, reason, operator, expected_version)

    def reenroll(
        self,
        subject: str,
        *,
        version_id: int | None = None,
        start_stage: str | None = None,
        reason: str | None = None,
        operator: str | None = None,
        expected_version: int | None = None,
    ) -> SubjectRow:
        """Enroll again (on ``version_id``, default its current version), from the start stage or
        ``start_stage``; sessions not yet evaluated are set aside."""
        from .positions import reenroll

        return reenroll(self, subject, version_id, start_stage, reason, operator, expected_version)

    def revert(
        self,
        subject: str,
        *,
        reason: str | None = None,
        operator: str | None = None,
        expected_version: int | None = None,
    ) -> SubjectRow:
        """Undo the subject's last change not yet undone (applied, override, eject, re-enroll); the undo
        is itself an event. Repeated reverts walk back; enrollment cannot be reverted."""
        from .positions import revert

        return revert(self, subject, reason, operator, expected_version)

    def revert_batch(
        self, batch: str, *, reason: str | None = None, operator: str | None = None
    ) -> RevertResult:
        """Undo an applied batch (``ApplyResult.batch``) as one step: every subject of it back where it
        was, its sessions pending again, one ``revert`` event each, in one transaction. If any of them
        changed since (or its apply was already undone), nothing is reverted: :class:`ConflictError`
        naming them."""
        from .positions import revert_batch

        return revert_batch(self, batch, reason, operator)


# --- helpers shared by the operation modules ---------------------------------------------------


def _check_sqlite_header(path: Path, url: URL) -> None:
    if path.is_dir():
        raise engines.DatabaseUnavailable(f"{path} is a folder, not a SQLite database file")
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as e:
        raise engines.DatabaseUnavailable(f"{engines.where(url)}: cannot be read ({e.strerror})") from None
    if head and head != b"SQLite format 3\x00":
        raise engines.DatabaseUnavailable(f"{path} is not a SQLite database: nothing was changed")


def _version(row: Any) -> CurriculumVersion:
    return CurriculumVersion(
        row.id, row.name, row.version, row.digest, utc(row.published_at), row.published_by
    )


def shown_names(names: Sequence[str], limit: int = 5) -> str:
    """Subject ids for a message: the first few, then how many more."""
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(repr(n) for n in names[:limit]) + more


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
        )
        .returning(ev_t.c.id)
    ).scalar_one()
