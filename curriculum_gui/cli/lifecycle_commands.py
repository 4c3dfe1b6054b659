"""A curriculum's life once mice train on it: publish, list versions, diff, replay an edit on real
histories, and move subjects to another version (``subjects migrate``, added to ``subjects``).

Exit codes as everywhere: 0 done (diff: equal; replay: nobody would move differently); 1 done, with a
difference or problems (diff: different; replay: some subject would move differently); 2 nothing done.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .common import EXIT_ERROR, EXIT_OK, EXIT_PROBLEMS, AddCommand, dumps_json
from .store_commands import _db, _open


def _print_json(value: Any) -> None:
    print(dumps_json(value, indent=2, default=str))


# --- publish, versions ---------------------------------------------------------------------------


def _add_publish(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "publish",
        help="publish a curriculum file as an immutable version subjects can be enrolled on",
        description="Publish FILE under its name and version. Refused while it has validation errors, "
        "and when that version is already published with other content (the next version is suggested "
        "from the kind of change: patch, minor or major). The same content again: already published.",
    )
    _db(p, operator=True, create=True)
    p.add_argument("file", help="curriculum file (native or aind JSON)")
    p.add_argument("--version", help="publish as this version (default: the file's own)")
    p.set_defaults(handler=_cmd_publish)


def _cmd_publish(args: argparse.Namespace) -> int:
    from ..core.files import open_curriculum
    from ..store import StoreError

    curriculum = open_curriculum(args.file).curriculum
    if args.version:
        curriculum = curriculum.model_copy(update={"version": args.version})
    with _open(args) as ws:
        preview = ws.publish_preview(curriculum)
        if preview.errors:
            for problem in preview.errors:
                print(f"{args.file}: {problem}", file=sys.stderr)
        if preview.refused:
            raise StoreError(
                f"{args.file}: cannot publish {curriculum.name!r} {curriculum.version}: {preview.refused}"
            )
        if preview.existing is not None:
            v = preview.existing
            print(
                f"{args.file}: {v.label} is already published with this content "
                f"(#{v.id}, by {v.published_by} on {v.published_at:%Y-%m-%d}): nothing to do"
            )
            return EXIT_OK
        version = ws.publish(curriculum, operator=args.operator)
    print(f"{args.file}: published as {version.label} (#{version.id})")
    if preview.diff is not None:
        lines = preview.diff.describe()
        print(f"  {lines[0]}")
        for line in lines[1:]:
            print(f"  {line}")
        if version.version != preview.suggested and not preview.diff.equal:
            print(f"  (the kind of change suggests version {preview.suggested})")
    return EXIT_OK


def _add_versions(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("versions", help="every published curriculum version, with its subjects")
    _db(p)
    p.add_argument("--json", action="store_true", help="one JSON object per version")
    p.set_defaults(handler=_cmd_versions)


def _cmd_versions(args: argparse.Namespace) -> int:
    with _open(args) as ws:
        summaries = ws.version_summaries()
    if args.json:
        for s in summaries:
            r = s.record
            print(
                dumps_json(
                    {
                        "id": r.id,
                        "name": r.name,
                        "version": r.version,
                        "published_at": r.published_at.isoformat(),
                        "published_by": r.published_by,
                        "digest": r.digest,
                        "subjects_now": s.subjects_now,
                        "subjects_ever": s.subjects_ever,
                    }
                )
            )
        return EXIT_OK
    if not summaries:
        print("no curriculum is published yet (curriculum-gui publish FILE)")
        return EXIT_OK
    table = [("NAME", "VERSION", "PUBLISHED", "BY", "DIGEST", "SUBJECTS NOW", "EVER")]
    for s in summaries:
        r = s.record
        table.append(
            (
                r.name,
                r.version,
                f"{r.published_at:%Y-%m-%d %H:%M}",
                r.published_by,
                r.digest[:12],
                str(s.subjects_now),
                str(s.subjects_ever),
            )
        )
    _print_table(table)
    return EXIT_OK


def _print_table(table: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


# --- diff -----------------------------------------------------------------------------------------


def _add_diff(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "diff",
        help="what changed between two curricula (files or published NAME@VERSION)",
        description="Compare two curricula by stable id: stages, policies and transitions added, removed "
        "or renamed, rules, priorities, start stage and policies, terminal flags, task parameter defaults "
        "and declared metrics. A and B are curriculum files or published versions (NAME@VERSION, from "
        "--db). Exit 0 when they are the same, 1 when they differ, 2 when one cannot be read.",
    )
    _db(p)
    p.add_argument("a", metavar="A", help="the older: a file or NAME@VERSION")
    p.add_argument("b", metavar="B", help="the newer: a file or NAME@VERSION")
    p.add_argument("--json", action="store_true", help="the changes as JSON")
    p.set_defaults(handler=_cmd_diff)


def _cmd_diff(args: argparse.Namespace) -> int:
    from ..core.diff import diff

    (a, a_label), (b, b_label) = _curricula(args, [args.a, args.b])
    result = diff(a, b, a_label, b_label)
    if args.json:
        _print_json(result.to_json())
    else:
        for line in result.describe():
            print(line)
    return EXIT_OK if result.equal else EXIT_PROBLEMS


def _curricula(args: argparse.Namespace, refs: list[str]) -> list[tuple[Any, str]]:
    """Each reference as (curriculum, label): an existing file is a file; else NAME@VERSION in --db."""
    from ..core.files import open_curriculum

    out: list[tuple[Any, str]] = []
    ws = None
    try:
        for ref in refs:
            if Path(ref).exists() or "@" not in ref:
                opened = open_curriculum(ref).curriculum
                out.append((opened, ref))
                continue
            if ws is None:
                ws = _open(args)
            version = ws.find_ref(ref)
            out.append((ws.curriculum(version.id), version.label))
    finally:
        if ws is not None:
            ws.close()
    return out


# --- replay ---------------------------------------------------------------------------------------


def _add_replay(sub: argparse._SubParsersAction) -> None:
    from .curriculum_commands import _add_python_rule_options

    p = sub.add_parser(
        "replay",
        help="what-if: run a curriculum over real subjects' recorded sessions and compare",
        description="Replay FILE (an edited curriculum) over the recorded history of every subject on a "
        "curriculum of the same name (or only SUBJECTs), from enrollment: session by session, where each "
        "went in reality and where it would have gone under FILE. Manual changes (override, eject, "
        "re-enroll) are replayed at the same point unless --no-manual. Changes nothing. Exit 0 when no "
        "subject would move differently, 1 when some would.",
    )
    _db(p)
    p.add_argument("file", help="the curriculum to try (native or aind JSON)")
    p.add_argument("--subjects", nargs="+", metavar="SUBJECT", help="only these subjects")
    p.add_argument("--map", action="append", default=[], metavar="OLD=NEW", help="stage or policy mapping")
    p.add_argument("--no-manual", action="store_true", help="leave overrides, ejects and re-enrollments out")
    p.add_argument("--json", action="store_true", help="the result as JSON")
    _add_python_rule_options(p)
    p.set_defaults(handler=_cmd_replay)


def _cmd_replay(args: argparse.Namespace) -> int:
    from ..core.files import open_curriculum
    from ..core.replay_report import report_json, report_lines
    from .curriculum_commands import _python_runner

    curriculum = open_curriculum(args.file).curriculum
    with _open(args, _python_runner(args, curriculum, args.file)) as ws:
        result = ws.replay(curriculum, args.subjects, args.map, include_manual=not args.no_manual)
    if args.json:
        _print_json(report_json(result))
    else:
        for line in report_lines(result):
            print(line)
    return EXIT_PROBLEMS if result.summary.changed else EXIT_OK


# --- subjects migrate -----------------------------------------------------------------------------


def add_migrate(ss: argparse._SubParsersAction) -> None:
    q = ss.add_parser(
        "migrate",
        help="move subjects to another published version of their curriculum",
        description="Move SUBJECTs (or everyone on a version) to --to NAME@VERSION. Stages and policies are "
        "matched by id; anything with no counterpart must be mapped with --map OLD=NEW (stage or policy, "
        "by name or id; STAGE/POLICY when a policy name is not unique; NEW '-' drops a policy). Subjects "
        "keep their parameters where the type fits (new ones get the stage's defaults) unless "
        "--reset-parameters, and their counters. --dry-run shows where each would land and changes "
        "nothing. Applying is one batch: 'subjects revert --batch ID' undoes it.",
    )
    _db(q, operator=True)
    q.add_argument("--to", required=True, metavar="NAME@VERSION", help="the version to move them to")
    who = q.add_mutually_exclusive_group(required=True)
    who.add_argument("--subjects", nargs="+", metavar="SUBJECT")
    who.add_argument("--from", dest="from_ref", metavar="NAME@VERSION", help="everyone on this version")
    q.add_argument("--map", action="append", default=[], metavar="OLD=NEW", help="a stage or policy mapping")
    q.add_argument("--reset-parameters", action="store_true", help="give everyone the new stage's defaults")
    q.add_argument(
        "--dry-run", action="store_true", help="show where each subject would land; change nothing"
    )
    q.add_argument("--reason", help="why (kept in each subject's history)")
    q.add_argument("--json", action="store_true", help="the plan as JSON")
    q.set_defaults(handler=_cmd_migrate)


def _cmd_migrate(args: argparse.Namespace) -> int:
    from ..store.subject_migration import states_json

    with _open(args) as ws:
        target = ws.find_ref(args.to)
        source = ws.find_ref(args.from_ref).id if args.from_ref else None
        plan = ws.plan_migration(target.id, args.subjects, source, args.map, args.reset_parameters)
        if args.json:
            _print_json(
                {
                    "target": target.label,
                    "moves": states_json(plan.moves),
                    "needs_mapping": [{"what": n.label, "subjects": list(n.subjects)} for n in plan.needed],
                    "skipped": [{"subject": s, "why": why} for s, why in plan.skipped],
                }
            )
        else:
            for move in plan.moves:
                print(_describe_move(move))
            for subject, why in plan.skipped:
                print(f"{subject}: not moved: {why}")
        if plan.needed:
            for n in plan.needed:
                print(
                    f"{target.label} has no counterpart of {n.label} (subjects on it: "
                    f"{', '.join(n.subjects)}): map it with --map OLD=NEW",
                    file=sys.stderr,
                )
            print("nothing was moved", file=sys.stderr)
            return EXIT_ERROR
        if args.dry_run or not plan.moves:
            if not plan.moves:
                print(f"no subject to move to {target.label}")
            return EXIT_OK
        result = ws.migrate(plan, operator=args.operator, reason=args.reason)
    print(
        f"moved {len(result.moved)} subject(s) to {target.label} as batch {result.batch} "
        f"(undo: curriculum-gui subjects revert --batch {result.batch})"
    )
    return EXIT_OK


def _describe_move(move: Any) -> str:
    m = move.moved
    stage = (
        f"{m.before_stage!r} → {m.after_stage!r}" if m.before_stage != m.after_stage else repr(m.after_stage)
    )
    policies = (
        f"[{', '.join(m.before_policies)}] → [{', '.join(m.after_policies)}]"
        if m.before_policies != m.after_policies
        else f"[{', '.join(m.after_policies) or 'no policies'}]"
    )
    changes = "; ".join(f"{k}: {_value(a)} → {_value(b)}" for k, (a, b) in m.parameter_changes.items())
    head = f"{m.subject}: {move.from_version.label} → stage {stage} {policies}"
    return head + (f"; parameters: {changes}" if changes else "; parameters kept")


def _value(value: Any) -> str:
    return "(none)" if value is None else json.dumps(value, ensure_ascii=False)


COMMANDS: list[AddCommand] = [_add_publish, _add_versions, _add_diff, _add_replay]
