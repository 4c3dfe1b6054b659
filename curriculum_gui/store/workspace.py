"""The store's front door: one object the CLI and the GUI share (``Workspace.open(url)``).

Every write is one transaction; every change of a subject bumps its ``row_version`` and is refused with
:class:`ConflictError` when the version the caller read is stale, so two rigs on one database never lose
an update. Every change also appends to the event log, which nothing rewrites. The operations live in
small modules (:mod:`.versions`, :mod:`.subjects`, :mod:`.evaluation`, :mod:`.positions`, :mod:`.metrics`)
that take the connection context (:class:`~.context.StoreContext`); this facade only offers them as
methods, and nothing but the callers imports it.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable, Collection, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from ..core.attention import Alert
from ..core.errors import CurriculumGuiError
from ..core.migration import Mapping as IdMapping
from ..core.model import Curriculum
from ..core.replay import ReplayResult
from ..core.rules.functions import short_repr
from ..core.stats import SESSIONS, Comparison, StageStatistics
from ..core.trainer import SubjectState
from . import evaluation, export, metrics, positions, progress, replay_source, subject_migration, versions
from . import subjects as subject_ops
from .context import Progress, StoreContext, default_operator, subject_row
from .errors import DatabaseDamaged, NotFound
from .records import (
    ApplyResult,
    ChangeResult,
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
from .rig_workspace import RigWorkspace

__all__ = ["Progress", "Workspace", "default_operator"]

# What reading damaged data raises (JSON that does not parse, a state without its keys, a date that is not
# one): a one-line DatabaseDamaged instead of a traceback. Nothing was written: the transaction rolled back.
_UNREADABLE = (ValueError, KeyError, TypeError, IndexError, AttributeError)
_NOT_GUARDED = {"open", "close", "read", "write", "where", "engine", "url", "python_rules"}


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: StoreContext, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except CurriculumGuiError:
            raise
        except _UNREADABLE as exc:
            detail = short_repr(f"{type(exc).__name__}: {exc}", 160).strip("'\"")
            raise DatabaseDamaged(
                f"{self.where} holds data that cannot be read ({detail}): the file may be damaged or "
                "changed by hand; nothing was changed"
            ) from exc

    return call


def _reads_damage_as_errors(cls: type) -> type:
    """Every public operation: damaged data is a one-line :class:`DatabaseDamaged`, never a traceback."""
    for name in dir(cls):
        if name.startswith("_") or name in _NOT_GUARDED:
            continue
        attribute = inspect.getattr_static(cls, name)
        if inspect.isfunction(attribute):
            setattr(cls, name, _guarded(attribute))
    return cls


@_reads_damage_as_errors
class Workspace(RigWorkspace):
    """A database of subjects, curricula and their history. Use ``with Workspace.open(url) as ws:``.

    Changes made without naming an ``operator`` are signed with :meth:`~.context.StoreContext.who`
    (the person chosen in the GUI, else the login name). The rig's methods are in
    :class:`~.rig_workspace.RigWorkspace`."""

    # -- curriculum versions (see .versions) ---------------------------------------------------

    def publish(self, curriculum: Curriculum, operator: str | None = None) -> CurriculumVersion:
        """Publish ``curriculum`` as ``name`` + ``version`` (immutable). Publishing the same content
        again returns the existing record; other content under a published version is refused."""
        return versions.publish(self, curriculum, self.who(operator))

    def versions(self) -> list[CurriculumVersion]:
        """Every published version, oldest first."""
        return versions.versions(self)

    def find_version(self, name: str, version: str | None = None) -> CurriculumVersion:
        """By name (and version; without one, the latest published)."""
        return versions.find_version(self, name, version)

    def find_ref(self, ref: str) -> CurriculumVersion:
        """``NAME@VERSION`` (or ``NAME``, the latest published)."""
        return versions.find_version(self, *versions.parse_ref(ref))

    def publish_preview(self, curriculum: Curriculum) -> versions.PublishPreview:
        """What publishing would do: validation errors, the change against the latest published version
        of the same name, the suggested version, and whether this version is already published."""
        return versions.preview(self, curriculum)

    def version_summaries(self) -> list[versions.VersionSummary]:
        """Every published version with how many subjects are on it now and how many ever were."""
        return versions.summaries(self)

    # -- moving subjects to another version, replaying an edit (see .subject_migration, .replay_source)

    def plan_migration(
        self,
        target_version_id: int,
        subjects: Sequence[str] | None = None,
        from_version_id: int | None = None,
        mapping: Sequence[str] | IdMapping = (),
        reset_parameters: bool = False,
    ) -> subject_migration.MigrationPlan:
        """A dry run of moving ``subjects`` (or everyone on ``from_version_id``) to another version: where
        each lands, and what still needs a mapping by hand (``OLD=NEW`` entries, or an id mapping)."""
        return subject_migration.plan(
            self, target_version_id, subjects, from_version_id, mapping, reset_parameters
        )

    def migrate(
        self,
        plan: subject_migration.MigrationPlan,
        operator: str | None = None,
        reason: str | None = None,
    ) -> subject_migration.MigrationResult:
        """Apply a migration plan as one batch (undone as one step by :meth:`revert_batch`)."""
        return subject_migration.apply(self, plan, self.who(operator), reason)

    def replay(
        self,
        curriculum: Curriculum,
        subjects: Sequence[str] | None = None,
        mapping: Sequence[str] = (),
        include_manual: bool = True,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
        shortcut: bool = True,
    ) -> ReplayResult:
        """What-if: ``curriculum`` run over the recorded histories of ``subjects`` (default: every subject
        on a curriculum of the same name), compared with what really happened. Changes nothing.
        ``shortcut=False`` evaluates every session again, even where the edit cannot differ."""
        return replay_source.replay(
            self, curriculum, subjects, mapping, include_manual, progress, cancelled, shortcut
        )

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
        return subject_ops.register(self, subjects, version_id, start_stage, self.who(operator))

    def subjects(self, subjects: Sequence[str] | None = None) -> list[SubjectRow]:
        """The subjects table in one query, ordered by id (or only ``subjects``)."""
        return subject_ops.list_subjects(self, subjects)

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
        return subject_ops.history(self, subject)

    def batch_subjects(self, batch: str) -> list[str]:
        """The subjects of a batch (``ApplyResult.batch``, ``ChangeResult.batch``, ``Event.batch``),
        sorted."""
        return subject_ops.batch_subjects(self, batch)

    def sessions(self, subject: str) -> list[MetricsSession]:
        """The subject's imported sessions with their values, oldest first, and whether each was evaluated
        (for plots: session numbers line up with the ``applied`` events' sessions)."""
        return subject_ops.sessions(self, subject)

    def position_events(self, subjects: Sequence[str] | None = None) -> dict[str, list[PositionEvent]]:
        """Every change of position (enrolled, applied, override, eject, re-enroll, revert) of ``subjects``
        (default: all), by subject, oldest first, in one query (the cohort view of thousands of mice)."""
        return subject_ops.position_events(self, subjects)

    def next_session(self, subject: str) -> dict[str, Any]:
        """What the rig runs next: stage, task, active policies and the task parameters (plain JSON)."""
        return subject_ops.next_session(self, subject)

    def trainer_state(self, subject: str) -> dict[str, Any]:
        """The same as an aind TrainerState (needs an aind-exportable curriculum: Python rule references)."""
        return subject_ops.trainer_state(self, subject)

    def export_next_sessions(
        self, subjects: Sequence[str], folder: str | Path, aind: bool = True
    ) -> export.ExportResult:
        """``<name>.json`` per subject in ``folder`` (and ``<name>.trainer_state.json`` where it can be
        made), each file name unique per subject: see :mod:`.export`."""
        return export.export_next_sessions(self, subjects, folder, aind)

    def aind_blocker(self, subject: str) -> str | None:
        """Why :meth:`trainer_state` cannot work for this subject (one short line), or None if it can."""
        return subject_ops.aind_blocker(self, subject)

    # -- metrics and the trainer (see .metrics, .evaluation) -----------------------------------

    def import_metrics(
        self, source: str | Path, format: str | None = None, progress: Progress | None = None
    ) -> ImportReport:
        """Import a CSV/JSON/JSONL metrics file; bad rows are reported and skipped, sessions already
        imported are not duplicated. ``progress(rows checked and written, rows read)``."""
        return metrics.import_file(self, source, format, progress)

    def import_session_folder(
        self,
        subject: str,
        folder: str | Path,
        python_rules: Any = None,
        session: str | None = None,
        on: date | None = None,
    ) -> ImportReport:
        """One session from its data folder, read by the subject's stage's aind ``metrics_provider`` (its
        module trusted by ``python_rules``, default: this workspace's runner). Session id: the folder's
        name unless given; date: today unless given."""
        runner = python_rules if python_rules is not None else self.python_rules
        return metrics.import_session_folder(self, subject, folder, runner, session, on)

    def evaluate(
        self, subjects: Sequence[str] | None = None, progress: Progress | None = None
    ) -> list[Suggestion]:
        """Suggestions for every subject with new sessions (or only ``subjects``); changes nothing.
        ``progress(subjects evaluated, subjects to evaluate)``."""
        return evaluation.evaluate(self, subjects, progress)

    def apply(
        self,
        suggestions: Sequence[Suggestion],
        operator: str | None = None,
        progress: Progress | None = None,
        notes: dict[str, dict[str, Any]] | None = None,
    ) -> ApplyResult:
        """Apply the applicable suggestions as one all-or-nothing transaction; :class:`ConflictError`
        (and nothing written) if any subject changed since it was evaluated. ``notes``: per subject, what
        else its ``applied`` event keeps (e.g. ``{"underweight_accepted": ...}``)."""
        return evaluation.apply(self, suggestions, self.who(operator), progress, notes=notes)

    def reject(
        self, suggestions: Sequence[Suggestion], *, reason: str | None = None, operator: str | None = None
    ) -> int:
        """Log that these suggestions were turned down (an ``evaluated`` event marked rejected, with what
        was suggested, why, and ``reason``), changing no subject: the sessions stay pending. Returns the
        number of events written."""
        return evaluation.record(self, suggestions, self.who(operator), reason, rejected=True)

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
        return positions.override(
            self, subject, stage, policies, parameters, reason, self.who(operator), expected_version
        )

    def eject(
        self, subject: str, *, reason: str, operator: str | None = None, expected_version: int | None = None
    ) -> SubjectRow:
        """Take a subject off its curriculum (the trainer stops evaluating it)."""
        return positions.eject(self, subject, reason, self.who(operator), expected_version)

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
        return positions.reenroll(
            self, subject, version_id, start_stage, reason, self.who(operator), expected_version
        )

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
        return positions.revert(self, subject, reason, self.who(operator), expected_version)

    def revert_batch(
        self, batch: str, *, reason: str | None = None, operator: str | None = None
    ) -> RevertResult:
        """Undo a batch as one step: an applied batch (``ApplyResult.batch``), a migration, or a change of
        many subjects (``ChangeResult.batch``): every subject of it back where it was, its sessions as
        they were, one ``revert`` event each, in one transaction. If any of them changed since (or the
        batch was already undone), nothing is reverted: :class:`ConflictError` naming them."""
        return positions.revert_batch(self, batch, reason, self.who(operator))

    # -- attention and stage statistics (see .progress; computed from the history, never stored) --------

    def attention(
        self,
        subjects: Collection[str] | None = None,
        today: date | None = None,
        suggestions: Sequence[Suggestion] = (),
    ) -> dict[str, list[Alert]]:
        """Why each subject on its curriculum needs a person as of ``today`` (default: today), most
        urgent first; subjects that need nothing are left out. Subjects with an applicable suggestion in
        ``suggestions`` are checked where the trainer suggests they go."""
        return progress.attention(self, subjects, today, suggestions)

    def overview(self, today: date | None = None) -> progress.Overview:
        """Attention and every curriculum's stage statistics from one reading of the history."""
        return progress.overview(self, today)

    def curriculum_names(self) -> list[str]:
        """The published curricula, by name."""
        return progress.curriculum_names(self)

    def stage_statistics(
        self,
        curriculum: str | None = None,
        versions: Collection[str] | None = None,
        subjects: Collection[str] | None = None,
        today: date | None = None,
    ) -> StageStatistics:
        """How long each stage of ``curriculum`` (default: the only one) takes: all versions or only
        ``versions`` (e.g. ``["1.0.0"]``), all subjects or only ``subjects``."""
        return progress.statistics(self, curriculum, versions, subjects, today)

    def compare(
        self,
        curriculum: str | None,
        a: progress.Arm,
        b: progress.Arm,
        unit: str = SESSIONS,
        today: date | None = None,
    ) -> Comparison:
        """Two versions (or sets of subjects) of one curriculum side by side, stage by stage."""
        return progress.comparison(self, curriculum, a, b, unit, today)

    # -- manual changes of many subjects: one batch each (see .positions) ----------------------
    # ``subjects``: ids, or ``(id, row_version read)`` pairs (a subject changed since is a conflict).
    # All or nothing, in one transaction; every event carries the batch id (``revert_batch`` undoes it).

    def override_many(
        self,
        subjects: Sequence[tuple[str, int | None] | str],
        stage: str,
        policies: Sequence[str] | None = None,
        parameters: dict[str, Any] | None = None,
        *,
        reason: str,
        operator: str | None = None,
    ) -> ChangeResult:
        """:meth:`override` of many subjects as one batch."""
        return positions.override_many(
            self, subjects, stage, policies, parameters, reason, self.who(operator)
        )

    def eject_many(
        self, subjects: Sequence[tuple[str, int | None] | str], *, reason: str, operator: str | None = None
    ) -> ChangeResult:
        """:meth:`eject` of many subjects as one batch."""
        return positions.eject_many(self, subjects, reason, self.who(operator))

    def reenroll_many(
        self,
        subjects: Sequence[tuple[str, int | None] | str],
        *,
        version_id: int | None = None,
        start_stage: str | None = None,
        reason: str | None = None,
        operator: str | None = None,
    ) -> ChangeResult:
        """:meth:`reenroll` of many subjects as one batch."""
        return positions.reenroll_many(self, subjects, version_id, start_stage, reason, self.who(operator))

    def revert_many(
        self,
        subjects: Sequence[tuple[str, int | None] | str],
        *,
        reason: str | None = None,
        operator: str | None = None,
    ) -> ChangeResult:
        """:meth:`revert` (each subject's last change) of many subjects as one batch."""
        return positions.revert_many(self, subjects, reason, self.who(operator))
