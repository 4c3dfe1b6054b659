"""Published curriculum versions: publish (immutable name + version), list and find them."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from ..core import native_format
from ..core.model import Curriculum
from ..core.problems import Severity
from ..core.validation import validate
from .context import StoreContext, add_event, default_operator, now, version_record
from .errors import NotFound, StoreError
from .records import PUBLISHED, CurriculumVersion
from .schema import curriculum_versions as cv_t


def publish(ctx: StoreContext, curriculum: Curriculum, operator: str | None = None) -> CurriculumVersion:
    errors = [p for p in validate(curriculum) if p.severity is Severity.ERROR]
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise StoreError(f"cannot publish {curriculum.name!r}: {errors[0]}{more}")
    document = native_format.dumps(curriculum)
    digest = hashlib.sha256(document.encode("utf-8")).hexdigest()
    operator = operator or default_operator()
    with ctx.write() as conn:
        found = conn.execute(
            sa.select(cv_t).where(cv_t.c.name == curriculum.name, cv_t.c.version == curriculum.version)
        ).first()
        if found is not None:
            if found.digest != digest:
                raise StoreError(
                    f"curriculum {curriculum.name!r} version {curriculum.version} is already published "
                    "with different content: published versions never change, give this one a new version"
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
