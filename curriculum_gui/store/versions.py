"""Published curriculum versions: publish (immutable name + version), list, find and compare them.

A name + version is published once and never changes. Publishing the same content again (layout aside)
is "already published"; other content under a published version is refused, with the next free version
suggested from the kind of change (:func:`~curriculum_gui.core.diff.suggest_version`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sqlalchemy as sa

from ..core import native_format
from ..core.diff import CurriculumDiff, content_key, diff, suggest_version
from ..core.model import Curriculum
from ..core.problems import Problem, Severity
from ..core.text import find_surrogate
from ..core.validation import validate
from .context import StoreContext, add_event, now, operator_name, version_record
from .errors import NotFound, StoreError
from .records import PUBLISHED, CurriculumVersion
from .schema import curriculum_versions as cv_t
from .schema import events as ev_t
from .schema import subjects as sub_t


@dataclass(frozen=True)
class PublishPreview:
    """What publishing ``curriculum`` would do, before doing it (the publish dialog, the CLI's message).

    ``previous``: the latest published version of the same name, and ``diff`` against it; ``suggested``:
    the next version from the kind of change; ``existing``: the version already published under this
    curriculum's version number, ``same`` whether its content is this one's."""

    errors: tuple[Problem, ...]
    previous: CurriculumVersion | None
    diff: CurriculumDiff | None
    suggested: str
    existing: CurriculumVersion | None
    same: bool

    @property
    def refused(self) -> str | None:
        """Why it cannot be published as it is, or None."""
        if self.errors:
            more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
            return f"it has validation errors: {self.errors[0]}{more}"
        if self.existing is not None and not self.same:
            return (
                f"version {self.existing.version} of {self.existing.name!r} is already published with "
                f"other content: published versions never change; give this one a new version "
                f"(suggested: {self.suggested})"
            )
        return None


def preview(ctx: StoreContext, curriculum: Curriculum) -> PublishPreview:
    errors = tuple(p for p in validate(curriculum) if p.severity is Severity.ERROR)
    with ctx.read() as conn:
        rows = conn.execute(sa.select(cv_t).where(cv_t.c.name == curriculum.name).order_by(cv_t.c.id)).all()
    previous = version_record(rows[-1]) if rows else None
    changes = (
        diff(ctx.curriculum(previous.id), curriculum, previous.label, curriculum.version)
        if previous
        else None
    )
    taken = {r.version for r in rows}
    if previous is None or changes is None:
        suggested = curriculum.version  # the first version: the author's own number
    else:
        suggested = suggest_version(previous.version, changes.bump)
        while suggested in taken and not changes.equal:
            suggested = suggest_version(suggested, changes.bump)
    existing_row = next((r for r in rows if r.version == curriculum.version), None)
    existing = version_record(existing_row) if existing_row is not None else None
    same = existing is not None and content_key(ctx.curriculum(existing.id)) == content_key(curriculum)
    return PublishPreview(errors, previous, changes, suggested, existing, same)


def publish(ctx: StoreContext, curriculum: Curriculum, operator: str | None = None) -> CurriculumVersion:
    checked = preview(ctx, curriculum)
    if checked.refused:
        raise StoreError(f"cannot publish {curriculum.name!r} {curriculum.version}: {checked.refused}")
    if checked.existing is not None:
        return checked.existing  # the same content: already published
    unpaired = find_surrogate(native_format.to_data(curriculum))
    if unpaired is not None:
        raise StoreError(f"cannot publish {curriculum.name!r}: {unpaired}: {native_format.SURROGATE_IN_FILE}")
    document = native_format.dumps(curriculum)
    digest = hashlib.sha256(document.encode("utf-8")).hexdigest()
    operator = operator_name(operator)
    with ctx.write() as conn:
        found = conn.execute(
            sa.select(cv_t).where(cv_t.c.name == curriculum.name, cv_t.c.version == curriculum.version)
        ).first()
        if found is not None:  # published meanwhile by someone else
            if content_key(native_format.loads(found.document_json)) != content_key(curriculum):
                raise StoreError(
                    f"cannot publish {curriculum.name!r} {curriculum.version}: it was just published with "
                    "other content by someone else; give this one a new version"
                )
            return version_record(found)
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
    return ctx.version(version_id)


def versions(ctx: StoreContext) -> list[CurriculumVersion]:
    with ctx.read() as conn:
        return [version_record(r) for r in conn.execute(sa.select(cv_t).order_by(cv_t.c.id))]


def find_version(ctx: StoreContext, name: str, version: str | None = None) -> CurriculumVersion:
    query = sa.select(cv_t).where(cv_t.c.name == name)
    if version is not None:
        query = query.where(cv_t.c.version == version)
    with ctx.read() as conn:
        row = conn.execute(query.order_by(cv_t.c.id.desc()).limit(1)).first()
    if row is None:
        what = f"{name!r} version {version}" if version else repr(name)
        raise NotFound(f"no published curriculum {what} in {ctx.where} (publish it first)")
    return version_record(row)


@dataclass(frozen=True)
class VersionSummary:
    """A published version with how many subjects are on it now and how many ever were."""

    record: CurriculumVersion
    subjects_now: int
    subjects_ever: int


def summaries(ctx: StoreContext) -> list[VersionSummary]:
    """Every published version, oldest first, with its subject counts (three queries)."""
    counts = version_counts(ctx)
    return [VersionSummary(v, *counts.get(v.id, (0, 0))) for v in versions(ctx)]


def parse_ref(text: str) -> tuple[str, str | None]:
    """``NAME@VERSION`` (or ``NAME``: the latest) as ``(name, version)``; the last ``@`` splits, so a name
    may hold one."""
    name, sep, version = text.rpartition("@")
    if not sep:
        return text, None
    if not name or not version:
        raise StoreError(f"{text!r}: write NAME@VERSION (e.g. 'Two-choice visual discrimination@1.2.0')")
    return name, version


def version_counts(ctx: StoreContext) -> dict[int, tuple[int, int]]:
    """``{version id: (subjects on it now, subjects ever on it)}`` in two grouped queries."""
    with ctx.read() as conn:
        now_on = dict(
            conn.execute(
                sa.select(sub_t.c.curriculum_version_id, sa.func.count()).group_by(
                    sub_t.c.curriculum_version_id
                )
            ).all()
        )
        ever = dict(
            conn.execute(
                sa.select(ev_t.c.curriculum_version_id, sa.func.count(sa.distinct(ev_t.c.subject_pk)))
                .where(ev_t.c.subject_pk.is_not(None))
                .group_by(ev_t.c.curriculum_version_id)
            ).all()
        )
    return {v: (now_on.get(v, 0), ever.get(v, 0)) for v in {*now_on, *ever}}
