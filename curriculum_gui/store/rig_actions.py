"""What a technician does to one mouse at the rig, beyond the moves of :mod:`.positions`: set single task
parameters by hand (checked against the stage's parameter types), add or withdraw a note, and send the
next session to the rig's folder.

Parameters set by hand are an ``override`` event (the states before and after, the parameters changed,
the reason), so ``revert`` undoes them like any override. A note is a ``note`` event; withdrawing it is
another (nothing is removed from the history). "Send to rig" writes the files atomically, then records
what was sent, when and by whom as a ``sent`` event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..core.errors import CurriculumGuiError, SaveError
from ..core.native_format import atomic_write_text
from ..core.parameter_types import with_values
from ..core.trainer import SubjectState
from . import histories
from .context import StoreContext, add_event, check_parameters, now, require_reason, subject_row
from .errors import NotFound, StoreError
from .manual import change_data
from .records import NOTE, OVERRIDE, SENT, SentResult, SubjectRow
from .schema import events as ev_t
from .subject_events import subject_events
from .subjects import check_version, list_subjects, next_session, trainer_state, write_state

MAX_NOTE = 5_000
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def set_parameters(
    ws: StoreContext,
    subject: str,
    changes: Mapping[str, Any],
    reason: str | None,
    operator: str | None = None,
    expected_version: int | None = None,
) -> SubjectRow:
    """Set task parameters (dotted names → values) of the subject's next session, keeping its stage and
    policies; each value must be of the stage's type for that parameter."""
    why = require_reason(reason, "changing a task parameter")
    who = ws.who(operator)
    at = now()
    with ws.write() as conn:
        row = subject_row(conn, subject, ws.where)
        check_version(row, expected_version, ws.where)
        loaded = ws.loaded(row.curriculum_version_id)
        current = SubjectState.from_json(json.loads(row.state_json))
        if not current.is_on_curriculum:
            raise StoreError(f"subject {subject!r} is off curriculum: re-enroll it first")
        stage = loaded.curriculum.stage(current.stage_id) if current.stage_id else None
        if stage is None:
            raise StoreError(f"subject {subject!r} is on no stage of {loaded.record.label}")
        try:
            params, changed = with_values(stage.task.parameters, current.parameters, changes)
        except ValueError as exc:
            raise StoreError(f"{subject}: {exc} (stage {stage.name!r}); nothing was changed") from None
        if not changed:
            raise StoreError(f"{subject}: the parameters already have these values; nothing was changed")
        check_parameters(params, f"{subject}'s task parameters")
        new = current._replace(parameters=params)
        write_state(conn, row, expected_version, new, ws.where, at)
        histories.carry(conn, [(row.id, row.row_version)])  # no session evaluated or made pending
        data = change_data(current, loaded, new, loaded)
        data["parameters_given"] = True
        data["parameters_set"] = {k: [a, b] for k, (a, b) in changed.items()}
        add_event(conn, row.id, OVERRIDE, who, why, data, at, version_id=row.curriculum_version_id)
    return list_subjects(ws, [subject])[0]


def add_note(ws: StoreContext, subject: str, text: str, operator: str | None = None) -> int:
    """A note in the subject's history (its text is the event's reason); returns the event id."""
    note = (text or "").strip()
    if not note:
        raise StoreError("a note needs some text")
    if len(note) > MAX_NOTE:
        raise StoreError(f"a note is at most {MAX_NOTE} characters (this one has {len(note)})")
    who = ws.who(operator)
    with ws.write() as conn:
        row = subject_row(conn, subject, ws.where)
        return add_event(
            conn, row.id, NOTE, who, note, {"note": note}, now(), version_id=row.curriculum_version_id
        )


def withdraw_note(ws: StoreContext, note_id: int, operator: str | None = None) -> int:
    """Withdraw a note (a second ``note`` event that names it); returns the new event's id."""
    who = ws.who(operator)
    with ws.write() as conn:
        row = conn.execute(sa.select(ev_t).where(ev_t.c.id == note_id, ev_t.c.kind == NOTE)).first()
        if row is None or "withdraws" in json.loads(row.data_json):
            raise NotFound(f"no note #{note_id} in {ws.where}")
        notes = conn.execute(subject_events(ev_t.c.data_json, pks=[row.subject_pk], kinds=[NOTE])).scalars()
        if any(json.loads(text).get("withdraws") == note_id for text in notes):
            raise StoreError(f"note #{note_id} was withdrawn already")
        data = {"withdraws": note_id, "note": row.reason}
        return add_event(
            conn, row.subject_pk, NOTE, who, "withdrawn", data, now(), version_id=row.curriculum_version_id
        )


def file_stem(subject: str) -> str:
    return _UNSAFE.sub("_", subject) or "subject"


def send_to_rig(
    ws: StoreContext, subject: str, folder: str | Path, rig: str | None = None, operator: str | None = None
) -> SentResult:
    """Write ``<subject>.json`` (the next session: stage, task, policies, every parameter) into the rig's
    folder and, when the curriculum can be written as aind, ``<subject>.trainer_state.json``; each file
    atomically (a temporary file, then a rename). Then record a ``sent`` event with what was written."""
    who = ws.who(operator)
    out = Path(folder).expanduser()
    if not out.is_dir():
        raise StoreError(f"the rig's folder {out} does not exist (or is not a folder): nothing was sent")
    session = next_session(ws, subject)
    if not session["is_on_curriculum"]:
        raise StoreError(f"subject {subject!r} is off curriculum: nothing to send (re-enroll it first)")
    at = now()
    sent = {**session, "sent_at": at.isoformat(), "sent_by": who, "rig": rig}
    files = [(out / f"{file_stem(subject)}.json", sent)]
    aind_problem = None
    try:
        files.append((out / f"{file_stem(subject)}.trainer_state.json", trainer_state(ws, subject)))
    except CurriculumGuiError as exc:
        aind_problem = str(exc)
    written = []
    try:
        for path, data in files:
            atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
            written.append(str(path))
    except SaveError as exc:
        raise StoreError(f"sending {subject!r} to the rig failed: {exc}") from None
    data = {
        "rig": rig,
        "folder": str(out),
        "files": written,
        "next_session": session,
        "aind": aind_problem is None,
    }
    with ws.write() as conn:
        row = subject_row(conn, subject, ws.where)
        if row.row_version != session["row_version"]:
            # Changed while the files were written: say so rather than record a stale send.
            raise StoreError(
                f"{subject!r} changed while it was being sent: the files in {out} may be stale; send again"
            )
        event_id = add_event(conn, row.id, SENT, who, None, data, at, version_id=row.curriculum_version_id)
    return SentResult(subject, tuple(written), aind_problem, event_id)
