"""A subject's events, found through ``event_positions``: its key (subject, event) is the event log's only
index by subject (see migration 0006), and every event of a subject has its row there (a trigger)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from .schema import event_positions as ep_t
from .schema import events as ev_t


def subject_events(
    *columns: Any, pks: Iterable[int] | None = None, kinds: Iterable[str] | None = None
) -> sa.Select:
    """``columns`` (of ``events``) of the events of the subjects ``pks`` (None: every subject), of these
    ``kinds`` (None: all), by subject then id."""
    query = sa.select(*columns).select_from(ep_t.join(ev_t, ev_t.c.id == ep_t.c.event_id))
    if pks is not None:
        query = query.where(ep_t.c.subject_pk.in_(list(pks)))
    if kinds is not None:
        query = query.where(ep_t.c.kind.in_(list(kinds)))
    return query.order_by(ep_t.c.subject_pk, ep_t.c.event_id)
