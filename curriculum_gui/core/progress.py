"""A subject's way through a curriculum, from its logged changes: runs (one per enrollment) made of stage
visits (entered when, left when and how). Pure: the store hands over the events, :mod:`.stats` counts.

An event undone by a revert is taken out with the revert, as if neither had happened (the log keeps both).
A visit counts the sessions evaluated while the subject was in the stage, the session that moved it on
included (as the trainer's ``sessions_in_stage`` does). It ends:

* ``forward`` or ``regressed``: to a later or an earlier stage (see :func:`stage_order`), by the trainer or
  by a person's override or migration to another version (``manual``);
* ``ejected``: taken off the curriculum (or enrolled again without an eject);
* not at all: the subject is still in it.

Days are calendar days between session dates (an enrollment or a manual change counts from its own day).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from .event_kinds import APPLIED, EJECT, ENROLLED, MIGRATED, OVERRIDE, REENROLL, REVERT
from .model import Curriculum

FORWARD, REGRESSED, EJECTED = "forward", "regressed", "ejected"


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One logged change of a subject's position. ``stage``: the stage id after it; ``sessions``: for an
    applied batch, ``(session id, stage id after that session)`` in order; ``reverts``: the event a revert
    undid; ``version``: the curriculum version after it (None: unchanged)."""

    id: int
    kind: str
    day: date
    version: int | None
    stage: str | None
    on_curriculum: bool = True
    sessions: tuple[tuple[str, str | None], ...] = ()
    reverts: int | None = None


@dataclass(slots=True)
class Visit:
    stage: str
    version: int
    entered: date
    entered_after: int  # sessions since enrollment when it entered
    sessions: int = 0
    left: date | None = None
    exit: str | None = None  # FORWARD, REGRESSED, EJECTED, or None: still in it
    manual: bool = False  # left by a person's override
    to_stage: str | None = None

    def days(self, today: date) -> int:
        """Calendar days in the stage (until today while still in it)."""
        return ((self.left or today) - self.entered).days


@dataclass(slots=True)
class Run:
    """One enrollment of a subject, on ``version``, and its visits in order."""

    subject: str
    version: int
    enrolled: date
    visits: list[Visit] = field(default_factory=list)
    sessions: int = 0
    ended: date | None = None  # ejected (or enrolled again)
    last_day: date | None = None  # its latest session (or change)

    @property
    def current(self) -> Visit | None:
        """The visit the subject is in now (None once the run ended)."""
        if self.visits and self.visits[-1].exit is None and self.ended is None:
            return self.visits[-1]
        return None

    def first_visit(self, stage: str) -> Visit | None:
        return next((v for v in self.visits if v.stage == stage), None)


def stage_order(curriculum: Curriculum) -> dict[str, int]:
    """Each stage's rank along the curriculum: nearer the start stage (fewer transitions away) is earlier;
    at the same distance the stage listed first is. Stages the start cannot reach come last, in list order.
    A move to a higher rank is forward, to a lower one a regression."""
    index = {s.id: i for i, s in enumerate(curriculum.stages)}
    distance: dict[str, int] = {}
    start = curriculum.start_stage
    if start in index:
        distance[start] = 0
        frontier = [start]
        while frontier:
            following = []
            for stage in frontier:
                for t in curriculum.outgoing_stage_transitions(stage):
                    if t.destination in index and t.destination not in distance:
                        distance[t.destination] = distance[stage] + 1
                        following.append(t.destination)
            frontier = following
    far = len(index) + 1
    ranked = sorted(index, key=lambda s: (distance.get(s, far), index[s]))
    return {stage: rank for rank, stage in enumerate(ranked)}


def effective(events: Iterable[HistoryEvent]) -> list[HistoryEvent]:
    """The events still in force: each revert takes out the event it undid, and itself."""
    kept: list[HistoryEvent] = []
    for event in events:
        if event.kind == REVERT:
            for i in range(len(kept) - 1, -1, -1):
                if kept[i].id == event.reverts:
                    del kept[i]
                    break
        else:
            kept.append(event)
    return kept


def runs_of(
    subject: str,
    events: Sequence[HistoryEvent],
    session_days: Mapping[str, date],
    order: Mapping[str, int],
) -> list[Run]:
    """The subject's runs from its events (oldest first). ``session_days``: the date of each session id;
    ``order``: stage ranks (:func:`stage_order`) that tell forward from regressed."""
    runs: list[Run] = []
    run: Run | None = None
    far = len(order) + 1

    def leave(visit: Visit, day: date, to: str | None, manual: bool) -> None:
        visit.left, visit.to_stage, visit.manual = day, to, manual
        if to is None:
            visit.exit = EJECTED
        else:
            visit.exit = FORWARD if order.get(to, far) > order.get(visit.stage, far) else REGRESSED

    def enter(stage: str | None, day: date, version: int | None) -> None:
        if run is not None and stage is not None:
            run.visits.append(Visit(stage, run.version if version is None else version, day, run.sessions))

    for event in effective(events):
        if event.kind in (ENROLLED, REENROLL):
            if run is not None and run.current is not None:
                leave(run.current, event.day, None, True)
                run.ended = event.day
            run = Run(subject, event.version or 0, event.day, last_day=event.day)
            runs.append(run)
            enter(event.stage, event.day, event.version)
            continue
        if run is None:
            continue  # (a log that does not start with an enrollment: nothing to count from)
        current = run.current
        if event.kind == APPLIED:
            for session, stage in event.sessions:
                day = session_days.get(session, event.day)
                run.sessions += 1
                run.last_day = day
                if current is None:
                    continue
                current.sessions += 1
                if stage is not None and stage != current.stage:
                    leave(current, day, stage, False)
                    enter(stage, day, event.version)
                    current = run.current
        elif event.kind == EJECT:
            if current is not None:
                leave(current, event.day, None, True)
            run.ended = event.day
        elif event.kind == MIGRATED:  # to another version: the run goes on (it keeps its enrollment's)
            if current is not None and event.stage != current.stage:
                leave(current, event.day, event.stage, True)
                enter(event.stage, event.day, event.version)
        elif event.kind == OVERRIDE:
            if run.ended is not None:  # put back on by hand: the run goes on from here
                run.ended = None
                enter(event.stage, event.day, event.version)
            elif current is not None and event.stage != current.stage:
                leave(current, event.day, event.stage, True)
                enter(event.stage, event.day, event.version)
        run.last_day = max(run.last_day or event.day, event.day)
    return runs


def session_cells(events: Sequence[HistoryEvent]) -> list[tuple[str | None, bool]]:
    """One cell per evaluated session for a cohort grid: ``(stage id after it, changed by a person)``; an
    override outlines the session before it, an eject adds an off-curriculum cell (None)."""
    cells: list[tuple[str | None, bool]] = []
    for event in effective(events):
        if event.kind == APPLIED:
            cells.extend((stage, False) for _, stage in event.sessions)
        elif event.kind in (OVERRIDE, MIGRATED) and cells:
            moved = event.kind == OVERRIDE or cells[-1][0] != event.stage  # (a migration may keep it)
            cells[-1] = (event.stage, True) if moved else cells[-1]
        elif event.kind == EJECT:
            cells.append((None, True))
    return cells
