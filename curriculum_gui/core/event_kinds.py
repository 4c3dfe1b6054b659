"""The event log's vocabulary: the kind of each event a subject's history holds.

One list for the store (which writes and reads the events) and for core's pure readers of a history (the
what-if replay, stage statistics), so the words cannot drift apart.
"""

from __future__ import annotations

# Event kinds (the event log's vocabulary).
ENROLLED = "enrolled"
EVALUATED = "evaluated"
APPLIED = "applied"
OVERRIDE = "override"
EJECT = "eject"
REENROLL = "reenroll"
REVERT = "revert"
PUBLISHED = "published"
MIGRATED = "migrated"  # moved to another version of its curriculum
# At the rig: a note, the next session sent to a rig's folder, a baseline weight set or changed.
NOTE = "note"
SENT = "sent"
BASELINE = "baseline"
EVENT_KINDS = (
    ENROLLED,
    EVALUATED,
    APPLIED,
    OVERRIDE,
    EJECT,
    REENROLL,
    REVERT,
    PUBLISHED,
    MIGRATED,
    NOTE,
    SENT,
    BASELINE,
)
# Kinds that change a subject's position (what `revert` can undo, newest first).
REVERTIBLE = (APPLIED, OVERRIDE, EJECT, REENROLL, MIGRATED)
# Kinds whose events a batch groups, undone together by `revert_batch`: an apply, a migration, and a change
# of many subjects made in the app (override, eject, re-enroll, revert).
BATCH_KINDS = (*REVERTIBLE, REVERT)
# Kinds that put a subject somewhere (what `Workspace.position_events` lists).
POSITION_KINDS = (ENROLLED, *REVERTIBLE, REVERT)
